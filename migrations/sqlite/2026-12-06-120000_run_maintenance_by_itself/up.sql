-- Maintenance that runs itself, one row per window scheduled since: with `auto_transition` the
-- window moves to in_progress at its scheduled start and to completed at its scheduled end
-- (each step a conditional update, so of two replicas one takes it and announces it once); an
-- admin moving its status by hand turns it off. `reminded_at` records the one
-- `maintenance.reminder` sent before its start. `series_id`: the first window of the recurring
-- series (RRULE) the window was expanded from. Windows without a row are moved by hand.
CREATE TABLE maintenance_schedules (
    maintenance_id BIGINT PRIMARY KEY REFERENCES maintenances (id) ON DELETE CASCADE,
    auto_transition BOOLEAN NOT NULL,
    reminded_at TIMESTAMP,
    series_id BIGINT
);
CREATE INDEX maintenance_schedules_series_idx ON maintenance_schedules (series_id);
CREATE INDEX maintenances_due_idx ON maintenances (status, scheduled_start);
CREATE TRIGGER maintenance_schedules_insert_changed AFTER INSERT ON maintenance_schedules BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'maintenance_schedules', NEW.maintenance_id);
END;
CREATE TRIGGER maintenance_schedules_update_changed AFTER UPDATE OF auto_transition, series_id ON maintenance_schedules BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'data';
    INSERT INTO data_changes (version, table_name, row_id) VALUES ((SELECT value FROM change_counters WHERE name = 'data'), 'maintenance_schedules', NEW.maintenance_id);
END;
