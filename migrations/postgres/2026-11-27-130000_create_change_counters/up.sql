-- Monotonic counters bumped in the same transaction as the rows they summarise, so every
-- replica can tell cheaply whether what it cached is still current. `names`: tenant and account
-- names (the event-text guard's index).
CREATE TABLE change_counters (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO change_counters (name, value) VALUES ('names', 0);
