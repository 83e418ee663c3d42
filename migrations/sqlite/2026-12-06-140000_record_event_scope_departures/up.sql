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
