-- The change feed (`GET /api/v1/changes`) lists what changed after a version, scoped like the
-- objects themselves. An object still there is checked against the caller's scope as it is now;
-- one that was deleted, or left somebody's view (a tenant moved to another account, a customer
-- moved to another partner, a tenant taken out of an event's scope), is told as deleted to the
-- callers whose view it left: `data_departures` keeps whose view that was (`account_id`, and
-- that account's managing partner; NULL account: everyone's). `purged` is the newest version
-- the change log no longer holds: a `since` before it answers 410.
INSERT INTO change_counters (name, value) VALUES ('purged', 0);

CREATE TABLE data_departures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    table_name TEXT NOT NULL,
    row_id BIGINT NOT NULL,
    account_id BIGINT,
    partner_id BIGINT,
    at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX data_departures_row_idx ON data_departures (table_name, row_id);
CREATE INDEX data_changes_at_idx ON data_changes (at);

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
