-- The change feed (`GET /api/v1/changes`) lists what changed after a version, scoped like the
-- objects themselves. An object still there is checked against the caller's scope as it is now;
-- one that was deleted, or left somebody's view (a tenant moved to another account, a customer
-- moved to another partner, a tenant taken out of an event's scope), is told as deleted to the
-- callers whose view it left: `data_departures` keeps whose view that was (`account_id`, and
-- that account's managing partner; NULL account: everyone's). `purged` is the newest version
-- the change log no longer holds: a `since` before it answers 410.
INSERT INTO change_counters (name, value) VALUES ('purged', 0);

CREATE TABLE data_departures (
    id BIGSERIAL PRIMARY KEY,
    table_name TEXT NOT NULL,
    row_id BIGINT NOT NULL,
    account_id BIGINT,
    partner_id BIGINT,
    at TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);
CREATE INDEX data_departures_row_idx ON data_departures (table_name, row_id);
CREATE INDEX data_changes_at_idx ON data_changes (at);

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
