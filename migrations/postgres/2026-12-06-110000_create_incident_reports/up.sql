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
CREATE TRIGGER incident_reports_row_changed AFTER INSERT OR UPDATE OR DELETE ON incident_reports FOR EACH ROW EXECUTE FUNCTION slr_row_changed('incident_id');
CREATE TRIGGER incident_reports_data_notify AFTER INSERT OR UPDATE OR DELETE ON incident_reports FOR EACH STATEMENT EXECUTE FUNCTION slr_data_notify();
