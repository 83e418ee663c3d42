-- How an endpoint's deliveries are written: `slack` (an incoming webhook's message) or `teams`
-- (an Adaptive Card for a Teams workflow webhook); no row: Standard Webhooks JSON.
CREATE TABLE webhook_formats (
    webhook_id BIGINT PRIMARY KEY REFERENCES webhooks (id) ON DELETE CASCADE,
    format TEXT NOT NULL CHECK (format IN ('standard', 'slack', 'teams'))
);
