-- One data version for everything a read can show: every write to these tables bumps the
-- `data` counter in the writing transaction (the row lock orders concurrent writers), and
-- NOTIFY slr_data tells every replica's listener the new value when the transaction commits.
-- Replicas key cached answers by this version, so none serves an answer older than a commit it
-- has heard of; a replica whose listener dropped reads the counter (a periodic check).
INSERT INTO change_counters (name, value) VALUES ('data', 0);

CREATE FUNCTION slr_data_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    version BIGINT;
BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data' RETURNING value INTO version;
    PERFORM pg_notify('slr_data', version::text);
    RETURN NULL;
END
$$;
CREATE TRIGGER accounts_data_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON accounts FOR EACH STATEMENT EXECUTE FUNCTION slr_data_changed();
CREATE TRIGGER contacts_data_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON contacts FOR EACH STATEMENT EXECUTE FUNCTION slr_data_changed();
CREATE TRIGGER services_data_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON services FOR EACH STATEMENT EXECUTE FUNCTION slr_data_changed();
CREATE TRIGGER classifications_data_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON classifications FOR EACH STATEMENT EXECUTE FUNCTION slr_data_changed();
CREATE TRIGGER tenants_data_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON tenants FOR EACH STATEMENT EXECUTE FUNCTION slr_data_changed();
CREATE TRIGGER offerings_data_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON offerings FOR EACH STATEMENT EXECUTE FUNCTION slr_data_changed();
CREATE TRIGGER incidents_data_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON incidents FOR EACH STATEMENT EXECUTE FUNCTION slr_data_changed();
CREATE TRIGGER incident_impacts_data_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON incident_impacts FOR EACH STATEMENT EXECUTE FUNCTION slr_data_changed();
CREATE TRIGGER incident_classifications_data_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON incident_classifications FOR EACH STATEMENT EXECUTE FUNCTION slr_data_changed();
CREATE TRIGGER incident_tenants_data_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON incident_tenants FOR EACH STATEMENT EXECUTE FUNCTION slr_data_changed();
CREATE TRIGGER incident_updates_data_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON incident_updates FOR EACH STATEMENT EXECUTE FUNCTION slr_data_changed();
CREATE TRIGGER maintenances_data_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON maintenances FOR EACH STATEMENT EXECUTE FUNCTION slr_data_changed();
CREATE TRIGGER maintenance_classifications_data_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON maintenance_classifications FOR EACH STATEMENT EXECUTE FUNCTION slr_data_changed();
CREATE TRIGGER maintenance_tenants_data_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON maintenance_tenants FOR EACH STATEMENT EXECUTE FUNCTION slr_data_changed();
CREATE TRIGGER audit_log_data_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION slr_data_changed();
