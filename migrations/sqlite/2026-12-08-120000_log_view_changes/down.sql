DROP TRIGGER classifications_relabelled;
DROP TRIGGER incident_tenant_states_viewed;
DROP TRIGGER maintenances_scope_narrowed;
DROP TRIGGER incidents_scope_narrowed;
DROP TRIGGER maintenance_classifications_viewed;
DROP TRIGGER incident_classifications_viewed;
DROP TRIGGER maintenance_tenants_viewed;
DROP TRIGGER incident_tenants_viewed;
DROP TRIGGER offerings_deleted_viewed;
DROP TRIGGER offerings_updated_viewed;
DROP TRIGGER offerings_inserted_viewed;
DROP TRIGGER tenants_deleted_viewed;
DROP TRIGGER tenants_marks_viewed;
DROP TRIGGER tenants_updated_viewed;
DROP TRIGGER tenants_inserted_viewed;
DROP TRIGGER accounts_moved;
DROP TRIGGER accounts_viewed;
DROP TRIGGER contacts_viewed;
DROP TRIGGER classifications_viewed;
DROP TRIGGER services_viewed;
DROP TRIGGER log_views_insert;
DROP VIEW log_views;
DROP VIEW event_reach;
DROP VIEW event_keys;
DROP INDEX incident_classifications_classification_idx;
DELETE FROM data_changes WHERE table_name LIKE 'view:%';
ALTER TABLE data_changes DROP COLUMN partner_id;
ALTER TABLE data_changes DROP COLUMN account_id;

CREATE TABLE data_departures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    table_name TEXT NOT NULL,
    row_id BIGINT NOT NULL,
    account_id BIGINT,
    partner_id BIGINT,
    at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX data_departures_row_idx ON data_departures (table_name, row_id);

CREATE TRIGGER accounts_departed AFTER DELETE ON accounts BEGIN
    INSERT INTO data_departures (table_name, row_id, account_id, partner_id)
        VALUES ('accounts', OLD.id, OLD.id, OLD.managing_partner_id);
END;
-- A customer moved to another partner leaves the old partner's view with its tenants, and its
-- tenants are logged again so the new partner's feed lists them.
CREATE TRIGGER accounts_moved AFTER UPDATE OF managing_partner_id ON accounts
WHEN OLD.managing_partner_id IS NOT NEW.managing_partner_id BEGIN
    INSERT INTO data_departures (table_name, row_id, account_id, partner_id)
        VALUES ('accounts', OLD.id, NULL, OLD.managing_partner_id);
    INSERT INTO data_departures (table_name, row_id, account_id, partner_id)
        SELECT 'tenants', id, NULL, OLD.managing_partner_id FROM tenants WHERE account_id = OLD.id;
    UPDATE tenants SET updated_at = updated_at WHERE account_id = OLD.id;
END;
CREATE TRIGGER contacts_departed AFTER DELETE ON contacts BEGIN
    INSERT INTO data_departures (table_name, row_id, account_id, partner_id)
        VALUES ('contacts', OLD.id, OLD.account_id, NULL);
END;
CREATE TRIGGER services_departed AFTER DELETE ON services BEGIN
    INSERT INTO data_departures (table_name, row_id, account_id, partner_id)
        VALUES ('services', OLD.id, NULL, NULL);
END;
CREATE TRIGGER classifications_departed AFTER DELETE ON classifications BEGIN
    INSERT INTO data_departures (table_name, row_id, account_id, partner_id)
        VALUES ('classifications', OLD.id, NULL, NULL);
END;
CREATE TRIGGER offerings_departed AFTER DELETE ON offerings BEGIN
    INSERT INTO data_departures (table_name, row_id, account_id, partner_id)
        VALUES ('offerings', OLD.id, OLD.account_id, NULL);
END;
CREATE TRIGGER tenants_departed AFTER DELETE ON tenants BEGIN
    INSERT INTO data_departures (table_name, row_id, account_id, partner_id)
        SELECT 'tenants', OLD.id, OLD.account_id, a.managing_partner_id FROM accounts a WHERE a.id = OLD.account_id;
END;
CREATE TRIGGER tenants_moved AFTER UPDATE OF account_id ON tenants
WHEN OLD.account_id IS NOT NEW.account_id BEGIN
    INSERT INTO data_departures (table_name, row_id, account_id, partner_id)
        SELECT 'tenants', OLD.id, OLD.account_id, a.managing_partner_id FROM accounts a WHERE a.id = OLD.account_id;
END;
CREATE TRIGGER incident_tenants_departed AFTER DELETE ON incident_tenants BEGIN
    INSERT INTO data_departures (table_name, row_id, account_id, partner_id)
        SELECT 'incidents', OLD.incident_id, t.account_id, a.managing_partner_id
        FROM tenants t JOIN accounts a ON a.id = t.account_id WHERE t.id = OLD.tenant_id;
END;
CREATE TRIGGER maintenance_tenants_departed AFTER DELETE ON maintenance_tenants BEGIN
    INSERT INTO data_departures (table_name, row_id, account_id, partner_id)
        SELECT 'maintenances', OLD.maintenance_id, t.account_id, a.managing_partner_id
        FROM tenants t JOIN accounts a ON a.id = t.account_id WHERE t.id = OLD.tenant_id;
END;
-- An event whose classification or service scope stops reaching an account's tenants leaves
-- that account's view too: record, for every account with a tenant the old scope reached, that
-- the event left its view (the change feed tells it as deleted to those who no longer see it;
-- those who still do see it listed as it is).
CREATE TRIGGER incident_classifications_departed AFTER DELETE ON incident_classifications BEGIN
    INSERT INTO data_departures (table_name, row_id, account_id, partner_id)
        SELECT DISTINCT 'incidents', OLD.incident_id, t.account_id, a.managing_partner_id
        FROM tenants t JOIN accounts a ON a.id = t.account_id
        WHERE t.classification_id = OLD.classification_id
          AND t.service_id = (SELECT service_id FROM incidents WHERE id = OLD.incident_id);
END;
CREATE TRIGGER maintenance_classifications_departed AFTER DELETE ON maintenance_classifications BEGIN
    INSERT INTO data_departures (table_name, row_id, account_id, partner_id)
        SELECT DISTINCT 'maintenances', OLD.maintenance_id, t.account_id, a.managing_partner_id
        FROM tenants t JOIN accounts a ON a.id = t.account_id
        WHERE t.classification_id = OLD.classification_id
          AND t.service_id = (SELECT service_id FROM maintenances WHERE id = OLD.maintenance_id);
END;
CREATE TRIGGER incidents_scope_narrowed AFTER UPDATE OF scope_kind ON incidents
WHEN OLD.scope_kind = 'service' AND NEW.scope_kind <> 'service' BEGIN
    INSERT INTO data_departures (table_name, row_id, account_id, partner_id)
        SELECT DISTINCT 'incidents', OLD.id, t.account_id, a.managing_partner_id
        FROM tenants t JOIN accounts a ON a.id = t.account_id WHERE t.service_id = OLD.service_id;
END;
CREATE TRIGGER maintenances_scope_narrowed AFTER UPDATE OF scope_kind ON maintenances
WHEN OLD.scope_kind = 'service' AND NEW.scope_kind <> 'service' BEGIN
    INSERT INTO data_departures (table_name, row_id, account_id, partner_id)
        SELECT DISTINCT 'maintenances', OLD.id, t.account_id, a.managing_partner_id
        FROM tenants t JOIN accounts a ON a.id = t.account_id WHERE t.service_id = OLD.service_id;
END;
