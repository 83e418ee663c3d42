-- One data version for everything a read can show, and what each version changed: every row
-- written to these tables bumps the `data` counter in the writing transaction and logs
-- (version, table, id of the object it belongs to) in `data_changes`. The server applies the
-- changes after the version its read model has; a periodic check also catches writes by another
-- process (the CLI) on the same file. Rows older than an hour are purged.
INSERT INTO change_counters (name, value) VALUES ('data', 0);

CREATE TABLE data_changes (
    version BIGINT PRIMARY KEY,
    table_name TEXT NOT NULL,
    row_id BIGINT NOT NULL,
    at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE TRIGGER accounts_insert_changed AFTER INSERT ON accounts BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'accounts', NEW.id);
END;
CREATE TRIGGER accounts_update_changed AFTER UPDATE ON accounts BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'accounts', NEW.id);
END;
CREATE TRIGGER accounts_delete_changed AFTER DELETE ON accounts BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'accounts', OLD.id);
END;
CREATE TRIGGER contacts_insert_changed AFTER INSERT ON contacts BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'contacts', NEW.id);
END;
CREATE TRIGGER contacts_update_changed AFTER UPDATE ON contacts BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'contacts', NEW.id);
END;
CREATE TRIGGER contacts_delete_changed AFTER DELETE ON contacts BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'contacts', OLD.id);
END;
CREATE TRIGGER services_insert_changed AFTER INSERT ON services BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'services', NEW.id);
END;
CREATE TRIGGER services_update_changed AFTER UPDATE ON services BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'services', NEW.id);
END;
CREATE TRIGGER services_delete_changed AFTER DELETE ON services BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'services', OLD.id);
END;
CREATE TRIGGER classifications_insert_changed AFTER INSERT ON classifications BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'classifications', NEW.id);
END;
CREATE TRIGGER classifications_update_changed AFTER UPDATE ON classifications BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'classifications', NEW.id);
END;
CREATE TRIGGER classifications_delete_changed AFTER DELETE ON classifications BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'classifications', OLD.id);
END;
CREATE TRIGGER tenants_insert_changed AFTER INSERT ON tenants BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'tenants', NEW.id);
END;
CREATE TRIGGER tenants_update_changed AFTER UPDATE ON tenants BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'tenants', NEW.id);
END;
CREATE TRIGGER tenants_delete_changed AFTER DELETE ON tenants BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'tenants', OLD.id);
END;
CREATE TRIGGER offerings_insert_changed AFTER INSERT ON offerings BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'offerings', NEW.id);
END;
CREATE TRIGGER offerings_update_changed AFTER UPDATE ON offerings BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'offerings', NEW.id);
END;
CREATE TRIGGER offerings_delete_changed AFTER DELETE ON offerings BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'offerings', OLD.id);
END;
CREATE TRIGGER incidents_insert_changed AFTER INSERT ON incidents BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'incidents', NEW.id);
END;
CREATE TRIGGER incidents_update_changed AFTER UPDATE ON incidents BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'incidents', NEW.id);
END;
CREATE TRIGGER incidents_delete_changed AFTER DELETE ON incidents BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'incidents', OLD.id);
END;
CREATE TRIGGER incident_impacts_insert_changed AFTER INSERT ON incident_impacts BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'incident_impacts', NEW.incident_id);
END;
CREATE TRIGGER incident_impacts_update_changed AFTER UPDATE ON incident_impacts BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'incident_impacts', NEW.incident_id);
    UPDATE change_counters SET value = value + 1 WHERE name = 'data' AND OLD.incident_id IS NOT NEW.incident_id;
    INSERT INTO data_changes (version, table_name, row_id) SELECT value, 'incident_impacts', OLD.incident_id FROM change_counters WHERE name = 'data' AND OLD.incident_id IS NOT NEW.incident_id;
END;
CREATE TRIGGER incident_impacts_delete_changed AFTER DELETE ON incident_impacts BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'incident_impacts', OLD.incident_id);
END;
CREATE TRIGGER incident_classifications_insert_changed AFTER INSERT ON incident_classifications BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'incident_classifications', NEW.incident_id);
END;
CREATE TRIGGER incident_classifications_update_changed AFTER UPDATE ON incident_classifications BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'incident_classifications', NEW.incident_id);
    UPDATE change_counters SET value = value + 1 WHERE name = 'data' AND OLD.incident_id IS NOT NEW.incident_id;
    INSERT INTO data_changes (version, table_name, row_id) SELECT value, 'incident_classifications', OLD.incident_id FROM change_counters WHERE name = 'data' AND OLD.incident_id IS NOT NEW.incident_id;
END;
CREATE TRIGGER incident_classifications_delete_changed AFTER DELETE ON incident_classifications BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'incident_classifications', OLD.incident_id);
END;
CREATE TRIGGER incident_tenants_insert_changed AFTER INSERT ON incident_tenants BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'incident_tenants', NEW.incident_id);
END;
CREATE TRIGGER incident_tenants_update_changed AFTER UPDATE ON incident_tenants BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'incident_tenants', NEW.incident_id);
    UPDATE change_counters SET value = value + 1 WHERE name = 'data' AND OLD.incident_id IS NOT NEW.incident_id;
    INSERT INTO data_changes (version, table_name, row_id) SELECT value, 'incident_tenants', OLD.incident_id FROM change_counters WHERE name = 'data' AND OLD.incident_id IS NOT NEW.incident_id;
END;
CREATE TRIGGER incident_tenants_delete_changed AFTER DELETE ON incident_tenants BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'incident_tenants', OLD.incident_id);
END;
CREATE TRIGGER incident_updates_insert_changed AFTER INSERT ON incident_updates BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'incident_updates', NEW.incident_id);
END;
CREATE TRIGGER incident_updates_update_changed AFTER UPDATE ON incident_updates BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'incident_updates', NEW.incident_id);
    UPDATE change_counters SET value = value + 1 WHERE name = 'data' AND OLD.incident_id IS NOT NEW.incident_id;
    INSERT INTO data_changes (version, table_name, row_id) SELECT value, 'incident_updates', OLD.incident_id FROM change_counters WHERE name = 'data' AND OLD.incident_id IS NOT NEW.incident_id;
END;
CREATE TRIGGER incident_updates_delete_changed AFTER DELETE ON incident_updates BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'incident_updates', OLD.incident_id);
END;
CREATE TRIGGER maintenances_insert_changed AFTER INSERT ON maintenances BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'maintenances', NEW.id);
END;
CREATE TRIGGER maintenances_update_changed AFTER UPDATE ON maintenances BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'maintenances', NEW.id);
END;
CREATE TRIGGER maintenances_delete_changed AFTER DELETE ON maintenances BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'maintenances', OLD.id);
END;
CREATE TRIGGER maintenance_classifications_insert_changed AFTER INSERT ON maintenance_classifications BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'maintenance_classifications', NEW.maintenance_id);
END;
CREATE TRIGGER maintenance_classifications_update_changed AFTER UPDATE ON maintenance_classifications BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'maintenance_classifications', NEW.maintenance_id);
    UPDATE change_counters SET value = value + 1 WHERE name = 'data' AND OLD.maintenance_id IS NOT NEW.maintenance_id;
    INSERT INTO data_changes (version, table_name, row_id) SELECT value, 'maintenance_classifications', OLD.maintenance_id FROM change_counters WHERE name = 'data' AND OLD.maintenance_id IS NOT NEW.maintenance_id;
END;
CREATE TRIGGER maintenance_classifications_delete_changed AFTER DELETE ON maintenance_classifications BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'maintenance_classifications', OLD.maintenance_id);
END;
CREATE TRIGGER maintenance_tenants_insert_changed AFTER INSERT ON maintenance_tenants BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'maintenance_tenants', NEW.maintenance_id);
END;
CREATE TRIGGER maintenance_tenants_update_changed AFTER UPDATE ON maintenance_tenants BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'maintenance_tenants', NEW.maintenance_id);
    UPDATE change_counters SET value = value + 1 WHERE name = 'data' AND OLD.maintenance_id IS NOT NEW.maintenance_id;
    INSERT INTO data_changes (version, table_name, row_id) SELECT value, 'maintenance_tenants', OLD.maintenance_id FROM change_counters WHERE name = 'data' AND OLD.maintenance_id IS NOT NEW.maintenance_id;
END;
CREATE TRIGGER maintenance_tenants_delete_changed AFTER DELETE ON maintenance_tenants BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'maintenance_tenants', OLD.maintenance_id);
END;
CREATE TRIGGER audit_log_insert_changed AFTER INSERT ON audit_log BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'audit_log', NEW.id);
END;
CREATE TRIGGER audit_log_update_changed AFTER UPDATE ON audit_log BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'audit_log', NEW.id);
END;
CREATE TRIGGER audit_log_delete_changed AFTER DELETE ON audit_log BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'audit_log', OLD.id);
END;
