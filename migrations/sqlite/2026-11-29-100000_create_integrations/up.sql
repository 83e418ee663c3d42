-- Integrations an account manages for itself: feed tokens (for clients that cannot send an
-- Authorization header) and webhook endpoints with their outbox of deliveries and attempts.

-- A feed token is stored only as the SHA-256 of the token; it reads as its contact would and
-- dies with the contact. Creating and revoking one is logged like directory changes (so every
-- replica's read model learns it); recording its last use is not (it would churn the version).
CREATE TABLE feed_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    contact_id BIGINT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    -- The token's first characters, so a person can tell tokens apart.
    prefix TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP
);
CREATE INDEX feed_tokens_contact_idx ON feed_tokens (contact_id);

-- Event types, services and offerings are kept as written (space-separated): a filter naming
-- an offering that is later removed then matches nothing, instead of widening to everything.
CREATE TABLE webhooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    description TEXT NOT NULL,
    event_types TEXT NOT NULL,
    service_ids TEXT NOT NULL,
    offering_ids TEXT NOT NULL,
    secret TEXT NOT NULL,
    previous_secret TEXT,
    previous_secret_until TIMESTAMP,
    enabled BOOLEAN NOT NULL,
    disabled_reason TEXT,
    consecutive_failures INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX webhooks_account_idx ON webhooks (account_id);

-- The outbox: one row per (event, endpoint), written in the event's own transaction, with the
-- payload as that endpoint's account sees the event. A worker claims due rows for a while
-- (`claimed_until`), sends, and records the attempt.
CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id BIGINT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    message_id TEXT NOT NULL UNIQUE,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    claimed_until TIMESTAMP,
    claimed_by TEXT,
    created_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP,
    last_status INTEGER,
    last_error TEXT
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (state, next_attempt_at);
CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, id);

CREATE TABLE webhook_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id BIGINT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempted_at TIMESTAMP NOT NULL,
    duration_ms BIGINT NOT NULL,
    status INTEGER,
    error TEXT,
    succeeded BOOLEAN NOT NULL
);
CREATE INDEX webhook_attempts_delivery_idx ON webhook_attempts (delivery_id, id);

CREATE TRIGGER feed_tokens_insert_changed AFTER INSERT ON feed_tokens BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'feed_tokens', NEW.id);
END;
CREATE TRIGGER feed_tokens_delete_changed AFTER DELETE ON feed_tokens BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'feed_tokens', OLD.id);
END;
