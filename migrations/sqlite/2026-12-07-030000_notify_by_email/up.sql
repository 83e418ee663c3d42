-- Email notifications. A subscription belongs to an account: a contact's own (`contact_id`,
-- mailed to the contact's address, reading as that contact) or the account's (made by one of its
-- admins, mailed to `email`, reading as the account). Event types and services are kept as
-- written (space-separated; no services: all). `unsubscribe_token` is the secret in the
-- unsubscribe link of every message; it can do nothing else.
CREATE TABLE email_subscriptions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    contact_id BIGINT REFERENCES contacts (id) ON DELETE CASCADE,
    email TEXT,
    event_types TEXT NOT NULL,
    service_ids TEXT NOT NULL,
    unsubscribe_token TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL,
    CHECK ((contact_id IS NULL) <> (email IS NULL))
);
CREATE INDEX email_subscriptions_account_idx ON email_subscriptions (account_id);
CREATE INDEX email_subscriptions_contact_idx ON email_subscriptions (contact_id);

-- The email outbox: one row per (announcement, recipient address), written in the event's own
-- transaction with the text as that subscription's reader sees the event; the unique key keeps
-- one message per recipient and event however many of its subscriptions match. A worker claims
-- due rows for a while (`claimed_until`), sends them over SMTP, and records the attempt.
CREATE TABLE email_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    subscription_id BIGINT NOT NULL REFERENCES email_subscriptions (id) ON DELETE CASCADE,
    announcement TEXT NOT NULL,
    recipient TEXT NOT NULL,
    event_type TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    -- The path of the event's status page (the mailer puts SLR_PUBLIC_URL before it).
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
CREATE INDEX email_deliveries_due_idx ON email_deliveries (state, next_attempt_at);
CREATE INDEX email_deliveries_subscription_idx ON email_deliveries (subscription_id);
