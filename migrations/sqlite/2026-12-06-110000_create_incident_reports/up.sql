-- A post-incident report on a resolved incident: a draft only provider admins read until it is
-- published (`published_at`), then shown with the incident to everyone who sees it. Logged as
-- a change of its incident.
CREATE TABLE incident_reports (
    incident_id BIGINT PRIMARY KEY REFERENCES incidents (id) ON DELETE CASCADE,
    summary TEXT NOT NULL,
    root_cause TEXT NOT NULL,
    remediation TEXT NOT NULL,
    published_at TIMESTAMP,
    author_contact_id BIGINT REFERENCES contacts (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE TRIGGER incident_reports_insert_changed AFTER INSERT ON incident_reports BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'incident_reports', NEW.incident_id);
END;
CREATE TRIGGER incident_reports_update_changed AFTER UPDATE ON incident_reports BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'incident_reports', NEW.incident_id);
END;
CREATE TRIGGER incident_reports_delete_changed AFTER DELETE ON incident_reports BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'incident_reports', OLD.incident_id);
END;
