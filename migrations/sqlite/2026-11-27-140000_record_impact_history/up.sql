-- An incident's impact may change over its life: the impact it started with, and each later
-- change from the instant it took effect. `reopened` marks incidents whose timeline has a
-- resolved gap, so availability reads the timeline only for those.
ALTER TABLE incidents ADD COLUMN initial_impact TEXT NOT NULL DEFAULT 'major_outage'
    CHECK (initial_impact IN ('degraded', 'partial_outage', 'major_outage'));
UPDATE incidents SET initial_impact = impact;
ALTER TABLE incidents ADD COLUMN reopened BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE incidents SET reopened = TRUE
WHERE id IN (
    SELECT incident_id FROM incident_updates WHERE status = 'resolved'
    GROUP BY incident_id HAVING count(*) > 1
) OR (status <> 'resolved' AND id IN (
    SELECT incident_id FROM incident_updates WHERE status = 'resolved'
));

CREATE TABLE incident_impacts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id BIGINT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    impact TEXT NOT NULL CHECK (impact IN ('degraded', 'partial_outage', 'major_outage')),
    effective_at TIMESTAMP NOT NULL
);
CREATE INDEX incident_impacts_incident_idx ON incident_impacts (incident_id, effective_at);
