-- Email belongs to whoever subscribed it. A message is one subscription's (one account's view):
-- the outbox keeps one row per (announcement, subscription), never one per address across
-- accounts. An account subscription to an address that is not one of the account's own contacts
-- sends nothing until the address confirms it (`confirmed_at`, set by the link in the
-- confirmation message); subscriptions that exist now are confirmed when they are a contact's own
-- or at the address of one of the account's contacts. Subscriptions are in the data log: every
-- replica learns of a new or ended one (its status-page link works, or stops, everywhere).
ALTER TABLE email_subscriptions ADD COLUMN confirmed_at TIMESTAMP;
UPDATE email_subscriptions SET confirmed_at = created_at
    WHERE contact_id IS NOT NULL
       OR EXISTS (SELECT 1 FROM contacts c
                  WHERE c.account_id = email_subscriptions.account_id
                    AND lower(c.email) = lower(email_subscriptions.email));

-- SQLite cannot drop a table's UNIQUE constraint: the outbox is made again with the new key.
CREATE TABLE email_deliveries_new (
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
    UNIQUE (announcement, subscription_id)
);
INSERT INTO email_deliveries_new SELECT id, subscription_id, announcement, recipient, event_type,
    subject, body, link, state, attempts, next_attempt_at, claimed_until, claimed_by, created_at,
    delivered_at, last_error FROM email_deliveries;
DROP TABLE email_deliveries;
ALTER TABLE email_deliveries_new RENAME TO email_deliveries;
CREATE INDEX email_deliveries_due_idx ON email_deliveries (state, next_attempt_at);
CREATE INDEX email_deliveries_subscription_idx ON email_deliveries (subscription_id);

CREATE TRIGGER email_subscriptions_insert_changed AFTER INSERT ON email_subscriptions BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'email_subscriptions', NEW.id);
END;
CREATE TRIGGER email_subscriptions_update_changed AFTER UPDATE ON email_subscriptions BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'email_subscriptions', NEW.id);
END;
CREATE TRIGGER email_subscriptions_delete_changed AFTER DELETE ON email_subscriptions BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'email_subscriptions', OLD.id);
END;
