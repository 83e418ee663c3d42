DROP FUNCTION slr_tenant_marks_viewed() CASCADE;
DROP FUNCTION slr_classification_relabelled() CASCADE;
DROP FUNCTION slr_mark_viewed() CASCADE;
DROP TRIGGER maintenances_scope_narrowed ON maintenances;
DROP TRIGGER incidents_scope_narrowed ON incidents;
DROP FUNCTION slr_event_scope_viewed() CASCADE;
DROP FUNCTION slr_offering_viewed() CASCADE;
DROP FUNCTION slr_tenant_viewed() CASCADE;
DROP FUNCTION slr_account_viewed() CASCADE;
DROP FUNCTION slr_contact_viewed() CASCADE;
DROP FUNCTION slr_gone_for_everyone() CASCADE;
DROP FUNCTION slr_log_views(slr_view[]);
DROP TYPE slr_view;
DROP VIEW event_reach;
DROP VIEW event_keys;
DROP INDEX incident_classifications_classification_idx;
DELETE FROM data_changes WHERE table_name LIKE 'view:%';
ALTER TABLE data_changes DROP COLUMN partner_id;
ALTER TABLE data_changes DROP COLUMN account_id;

CREATE TABLE data_departures (
    id BIGSERIAL PRIMARY KEY,
    table_name TEXT NOT NULL,
    row_id BIGINT NOT NULL,
    account_id BIGINT,
    partner_id BIGINT,
    at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);
CREATE INDEX data_departures_row_idx ON data_departures (table_name, row_id);

-- The owner of a tenant: its account and that account's managing partner.
-- (Parameters are read by position: `accounts` has a column named `kind`.)
CREATE FUNCTION slr_tenant_departed(TEXT, BIGINT, BIGINT) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO data_departures (table_name, row_id, account_id, partner_id)
        SELECT $1, $2, t.account_id, a.managing_partner_id
        FROM tenants t JOIN accounts a ON a.id = t.account_id WHERE t.id = $3;
$$;

CREATE FUNCTION slr_departed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    CASE TG_TABLE_NAME
    WHEN 'accounts' THEN
        IF TG_OP = 'DELETE' THEN
            INSERT INTO data_departures (table_name, row_id, account_id, partner_id)
                VALUES ('accounts', OLD.id, OLD.id, OLD.managing_partner_id);
        ELSIF OLD.managing_partner_id IS DISTINCT FROM NEW.managing_partner_id THEN
            -- A customer moved to another partner leaves the old partner's view with its
            -- tenants, and its tenants are logged again so the new partner's feed lists them.
            INSERT INTO data_departures (table_name, row_id, account_id, partner_id)
                VALUES ('accounts', OLD.id, NULL, OLD.managing_partner_id);
            INSERT INTO data_departures (table_name, row_id, account_id, partner_id)
                SELECT 'tenants', id, NULL, OLD.managing_partner_id FROM tenants WHERE account_id = OLD.id;
            UPDATE tenants SET updated_at = updated_at WHERE account_id = OLD.id;
        END IF;
    WHEN 'contacts' THEN
        INSERT INTO data_departures (table_name, row_id, account_id) VALUES ('contacts', OLD.id, OLD.account_id);
    WHEN 'services' THEN
        INSERT INTO data_departures (table_name, row_id) VALUES ('services', OLD.id);
    WHEN 'classifications' THEN
        INSERT INTO data_departures (table_name, row_id) VALUES ('classifications', OLD.id);
    WHEN 'offerings' THEN
        INSERT INTO data_departures (table_name, row_id, account_id) VALUES ('offerings', OLD.id, OLD.account_id);
    WHEN 'tenants' THEN
        IF TG_OP = 'DELETE' OR OLD.account_id IS DISTINCT FROM NEW.account_id THEN
            INSERT INTO data_departures (table_name, row_id, account_id, partner_id)
                SELECT 'tenants', OLD.id, OLD.account_id, a.managing_partner_id FROM accounts a WHERE a.id = OLD.account_id;
        END IF;
    WHEN 'incident_tenants' THEN
        PERFORM slr_tenant_departed('incidents', OLD.incident_id, OLD.tenant_id);
    WHEN 'maintenance_tenants' THEN
        PERFORM slr_tenant_departed('maintenances', OLD.maintenance_id, OLD.tenant_id);
    END CASE;
    RETURN NULL;
END
$$;

-- BEFORE on tenants and accounts rows that are deleted would see the owner still there; AFTER
-- sees it too (a tenant's account cannot go while it has tenants).
CREATE TRIGGER accounts_departed AFTER DELETE OR UPDATE OF managing_partner_id ON accounts FOR EACH ROW EXECUTE FUNCTION slr_departed();
CREATE TRIGGER contacts_departed AFTER DELETE ON contacts FOR EACH ROW EXECUTE FUNCTION slr_departed();
CREATE TRIGGER services_departed AFTER DELETE ON services FOR EACH ROW EXECUTE FUNCTION slr_departed();
CREATE TRIGGER classifications_departed AFTER DELETE ON classifications FOR EACH ROW EXECUTE FUNCTION slr_departed();
CREATE TRIGGER offerings_departed AFTER DELETE ON offerings FOR EACH ROW EXECUTE FUNCTION slr_departed();
CREATE TRIGGER tenants_departed AFTER DELETE OR UPDATE OF account_id ON tenants FOR EACH ROW EXECUTE FUNCTION slr_departed();
CREATE TRIGGER incident_tenants_departed AFTER DELETE ON incident_tenants FOR EACH ROW EXECUTE FUNCTION slr_departed();
CREATE TRIGGER maintenance_tenants_departed AFTER DELETE ON maintenance_tenants FOR EACH ROW EXECUTE FUNCTION slr_departed();
-- An event whose classification or service scope stops reaching an account's tenants leaves
-- that account's view too: record, for every account with a tenant the old scope reached, that
-- the event left its view (the change feed tells it as deleted to those who no longer see it;
-- those who still do see it listed as it is).
-- TG_ARGV[0]: the departures' table name; [1]: the event table.
CREATE FUNCTION slr_scope_departed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    event BIGINT;
    service BIGINT;
BEGIN
    IF TG_OP = 'DELETE' THEN
        event := (to_jsonb(OLD) ->> (CASE TG_ARGV[0] WHEN 'incidents' THEN 'incident_id' ELSE 'maintenance_id' END))::BIGINT;
        EXECUTE format('SELECT service_id FROM %I WHERE id = $1', TG_ARGV[1]) INTO service USING event;
        INSERT INTO data_departures (table_name, row_id, account_id, partner_id)
            SELECT DISTINCT TG_ARGV[0], event, t.account_id, a.managing_partner_id
            FROM tenants t JOIN accounts a ON a.id = t.account_id
            WHERE t.classification_id = (to_jsonb(OLD) ->> 'classification_id')::BIGINT AND t.service_id = service;
    ELSIF OLD.scope_kind = 'service' AND NEW.scope_kind <> 'service' THEN
        INSERT INTO data_departures (table_name, row_id, account_id, partner_id)
            SELECT DISTINCT TG_ARGV[0], OLD.id, t.account_id, a.managing_partner_id
            FROM tenants t JOIN accounts a ON a.id = t.account_id WHERE t.service_id = OLD.service_id;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER incident_classifications_departed AFTER DELETE ON incident_classifications FOR EACH ROW EXECUTE FUNCTION slr_scope_departed('incidents', 'incidents');
CREATE TRIGGER maintenance_classifications_departed AFTER DELETE ON maintenance_classifications FOR EACH ROW EXECUTE FUNCTION slr_scope_departed('maintenances', 'maintenances');
CREATE TRIGGER incidents_scope_narrowed AFTER UPDATE OF scope_kind ON incidents FOR EACH ROW EXECUTE FUNCTION slr_scope_departed('incidents', 'incidents');
CREATE TRIGGER maintenances_scope_narrowed AFTER UPDATE OF scope_kind ON maintenances FOR EACH ROW EXECUTE FUNCTION slr_scope_departed('maintenances', 'maintenances');
