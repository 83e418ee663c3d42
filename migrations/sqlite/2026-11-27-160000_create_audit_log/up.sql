-- Every write, append-only, written in the same transaction as the write: who (contact and
-- account, kept as plain ids so the history outlives them), what, which object, the object
-- before and after (JSON as the API shows it to the provider), the request id and the time.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TIMESTAMP NOT NULL,
    contact_id BIGINT NOT NULL,
    account_id BIGINT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('create', 'update', 'delete')),
    object_type TEXT NOT NULL,
    object_id BIGINT NOT NULL,
    before_json TEXT,
    after_json TEXT,
    request_id TEXT
);
CREATE INDEX audit_log_object_idx ON audit_log (object_type, object_id);
CREATE INDEX audit_log_contact_idx ON audit_log (contact_id);
CREATE INDEX audit_log_at_idx ON audit_log (at);
