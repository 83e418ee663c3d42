DROP TRIGGER email_subscriptions_insert_changed;
DROP TRIGGER email_subscriptions_update_changed;
DROP TRIGGER email_subscriptions_delete_changed;
CREATE TABLE email_deliveries_old (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    subscription_id BIGINT NOT NULL REFERENCES email_subscriptions (id) ON DELETE CASCADE,
    announcement TEXT NOT NULL,
    recipient TEXT NOT NULL,
    event_type TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    link TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    claimed_until TIMESTAMP,
    claimed_by TEXT,
    created_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP,
    last_error TEXT,
    UNIQUE (announcement, recipient)
);
INSERT OR IGNORE INTO email_deliveries_old SELECT id, subscription_id, announcement, recipient,
    event_type, subject, body, link, state, attempts, next_attempt_at, claimed_until, claimed_by,
    created_at, delivered_at, last_error FROM email_deliveries ORDER BY id;
DROP TABLE email_deliveries;
ALTER TABLE email_deliveries_old RENAME TO email_deliveries;
CREATE INDEX email_deliveries_due_idx ON email_deliveries (state, next_attempt_at);
CREATE INDEX email_deliveries_subscription_idx ON email_deliveries (subscription_id);
ALTER TABLE email_subscriptions DROP COLUMN confirmed_at;
