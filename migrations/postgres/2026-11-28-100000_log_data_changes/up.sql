-- One data version for everything a read can show, and what each version changed. Every row
-- written to these tables bumps the `data` counter inside the writing transaction and logs
-- (version, table, id of the object it belongs to) in `data_changes`: the counter's row lock,
-- held to commit, makes versions follow commit order, so a replica that has applied every change
-- up to version v only needs the changes after v. Each statement also sends NOTIFY slr_data
-- with the version, delivered when the transaction commits. Rows older than an hour are purged;
-- a replica further behind reloads everything.
INSERT INTO change_counters (name, value) VALUES ('data', 0);

CREATE TABLE data_changes (
    version BIGINT PRIMARY KEY,
    table_name TEXT NOT NULL,
    row_id BIGINT NOT NULL,
    at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);

-- TG_ARGV[0]: the column naming the object a row belongs to.
CREATE FUNCTION slr_row_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    version BIGINT;
    object BIGINT;
BEGIN
    IF TG_OP = 'DELETE' THEN
        object := (to_jsonb(OLD) ->> TG_ARGV[0])::BIGINT;
    ELSE
        object := (to_jsonb(NEW) ->> TG_ARGV[0])::BIGINT;
    END IF;
    UPDATE change_counters SET value = value + 1 WHERE name = 'data' RETURNING value INTO version;
    INSERT INTO data_changes (version, table_name, row_id) VALUES (version, TG_TABLE_NAME, object);
    IF TG_OP = 'UPDATE' AND (to_jsonb(OLD) ->> TG_ARGV[0]) IS DISTINCT FROM (to_jsonb(NEW) ->> TG_ARGV[0]) THEN
        UPDATE change_counters SET value = value + 1 WHERE name = 'data' RETURNING value INTO version;
        INSERT INTO data_changes (version, table_name, row_id)
            VALUES (version, TG_TABLE_NAME, (to_jsonb(OLD) ->> TG_ARGV[0])::BIGINT);
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION slr_data_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('slr_data', (SELECT value FROM change_counters WHERE name = 'data')::TEXT);
    RETURN NULL;
END
$$;
CREATE TRIGGER accounts_row_changed AFTER INSERT OR UPDATE OR DELETE ON accounts FOR EACH ROW EXECUTE FUNCTION slr_row_changed('id');
CREATE TRIGGER accounts_data_notify AFTER INSERT OR UPDATE OR DELETE ON accounts FOR EACH STATEMENT EXECUTE FUNCTION slr_data_notify();
CREATE TRIGGER contacts_row_changed AFTER INSERT OR UPDATE OR DELETE ON contacts FOR EACH ROW EXECUTE FUNCTION slr_row_changed('id');
CREATE TRIGGER contacts_data_notify AFTER INSERT OR UPDATE OR DELETE ON contacts FOR EACH STATEMENT EXECUTE FUNCTION slr_data_notify();
CREATE TRIGGER services_row_changed AFTER INSERT OR UPDATE OR DELETE ON services FOR EACH ROW EXECUTE FUNCTION slr_row_changed('id');
CREATE TRIGGER services_data_notify AFTER INSERT OR UPDATE OR DELETE ON services FOR EACH STATEMENT EXECUTE FUNCTION slr_data_notify();
CREATE TRIGGER classifications_row_changed AFTER INSERT OR UPDATE OR DELETE ON classifications FOR EACH ROW EXECUTE FUNCTION slr_row_changed('id');
CREATE TRIGGER classifications_data_notify AFTER INSERT OR UPDATE OR DELETE ON classifications FOR EACH STATEMENT EXECUTE FUNCTION slr_data_notify();
CREATE TRIGGER tenants_row_changed AFTER INSERT OR UPDATE OR DELETE ON tenants FOR EACH ROW EXECUTE FUNCTION slr_row_changed('id');
CREATE TRIGGER tenants_data_notify AFTER INSERT OR UPDATE OR DELETE ON tenants FOR EACH STATEMENT EXECUTE FUNCTION slr_data_notify();
CREATE TRIGGER offerings_row_changed AFTER INSERT OR UPDATE OR DELETE ON offerings FOR EACH ROW EXECUTE FUNCTION slr_row_changed('id');
CREATE TRIGGER offerings_data_notify AFTER INSERT OR UPDATE OR DELETE ON offerings FOR EACH STATEMENT EXECUTE FUNCTION slr_data_notify();
CREATE TRIGGER incidents_row_changed AFTER INSERT OR UPDATE OR DELETE ON incidents FOR EACH ROW EXECUTE FUNCTION slr_row_changed('id');
CREATE TRIGGER incidents_data_notify AFTER INSERT OR UPDATE OR DELETE ON incidents FOR EACH STATEMENT EXECUTE FUNCTION slr_data_notify();
CREATE TRIGGER incident_impacts_row_changed AFTER INSERT OR UPDATE OR DELETE ON incident_impacts FOR EACH ROW EXECUTE FUNCTION slr_row_changed('incident_id');
CREATE TRIGGER incident_impacts_data_notify AFTER INSERT OR UPDATE OR DELETE ON incident_impacts FOR EACH STATEMENT EXECUTE FUNCTION slr_data_notify();
CREATE TRIGGER incident_classifications_row_changed AFTER INSERT OR UPDATE OR DELETE ON incident_classifications FOR EACH ROW EXECUTE FUNCTION slr_row_changed('incident_id');
CREATE TRIGGER incident_classifications_data_notify AFTER INSERT OR UPDATE OR DELETE ON incident_classifications FOR EACH STATEMENT EXECUTE FUNCTION slr_data_notify();
CREATE TRIGGER incident_tenants_row_changed AFTER INSERT OR UPDATE OR DELETE ON incident_tenants FOR EACH ROW EXECUTE FUNCTION slr_row_changed('incident_id');
CREATE TRIGGER incident_tenants_data_notify AFTER INSERT OR UPDATE OR DELETE ON incident_tenants FOR EACH STATEMENT EXECUTE FUNCTION slr_data_notify();
CREATE TRIGGER incident_updates_row_changed AFTER INSERT OR UPDATE OR DELETE ON incident_updates FOR EACH ROW EXECUTE FUNCTION slr_row_changed('incident_id');
CREATE TRIGGER incident_updates_data_notify AFTER INSERT OR UPDATE OR DELETE ON incident_updates FOR EACH STATEMENT EXECUTE FUNCTION slr_data_notify();
CREATE TRIGGER maintenances_row_changed AFTER INSERT OR UPDATE OR DELETE ON maintenances FOR EACH ROW EXECUTE FUNCTION slr_row_changed('id');
CREATE TRIGGER maintenances_data_notify AFTER INSERT OR UPDATE OR DELETE ON maintenances FOR EACH STATEMENT EXECUTE FUNCTION slr_data_notify();
CREATE TRIGGER maintenance_classifications_row_changed AFTER INSERT OR UPDATE OR DELETE ON maintenance_classifications FOR EACH ROW EXECUTE FUNCTION slr_row_changed('maintenance_id');
CREATE TRIGGER maintenance_classifications_data_notify AFTER INSERT OR UPDATE OR DELETE ON maintenance_classifications FOR EACH STATEMENT EXECUTE FUNCTION slr_data_notify();
CREATE TRIGGER maintenance_tenants_row_changed AFTER INSERT OR UPDATE OR DELETE ON maintenance_tenants FOR EACH ROW EXECUTE FUNCTION slr_row_changed('maintenance_id');
CREATE TRIGGER maintenance_tenants_data_notify AFTER INSERT OR UPDATE OR DELETE ON maintenance_tenants FOR EACH STATEMENT EXECUTE FUNCTION slr_data_notify();
CREATE TRIGGER audit_log_row_changed AFTER INSERT OR UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION slr_row_changed('id');
CREATE TRIGGER audit_log_data_notify AFTER INSERT OR UPDATE OR DELETE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION slr_data_notify();
