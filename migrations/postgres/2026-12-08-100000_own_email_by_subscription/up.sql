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

ALTER TABLE email_deliveries DROP CONSTRAINT email_deliveries_announcement_recipient_key;
ALTER TABLE email_deliveries ADD CONSTRAINT email_deliveries_announcement_subscription_key
    UNIQUE (announcement, subscription_id);

CREATE TRIGGER email_subscriptions_row_changed AFTER INSERT OR UPDATE OR DELETE ON email_subscriptions FOR EACH ROW EXECUTE FUNCTION slr_row_changed('id');
CREATE TRIGGER email_subscriptions_data_notify AFTER INSERT OR UPDATE OR DELETE ON email_subscriptions FOR EACH STATEMENT EXECUTE FUNCTION slr_data_notify();
