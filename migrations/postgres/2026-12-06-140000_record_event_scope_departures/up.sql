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
