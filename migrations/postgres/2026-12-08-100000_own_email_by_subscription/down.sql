DROP TRIGGER email_subscriptions_data_notify ON email_subscriptions;
DROP TRIGGER email_subscriptions_row_changed ON email_subscriptions;
ALTER TABLE email_deliveries DROP CONSTRAINT email_deliveries_announcement_subscription_key;
DELETE FROM email_deliveries d WHERE EXISTS (
    SELECT 1 FROM email_deliveries e
    WHERE e.announcement = d.announcement AND e.recipient = d.recipient AND e.id < d.id);
ALTER TABLE email_deliveries ADD CONSTRAINT email_deliveries_announcement_recipient_key
    UNIQUE (announcement, recipient);
ALTER TABLE email_subscriptions DROP COLUMN confirmed_at;
