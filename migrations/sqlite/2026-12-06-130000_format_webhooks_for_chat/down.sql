DROP TABLE webhook_formats;
