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
-- (A reminder sent is not a change anyone reads.)
CREATE TRIGGER maintenance_schedules_row_changed AFTER INSERT OR UPDATE OF auto_transition, series_id ON maintenance_schedules FOR EACH ROW EXECUTE FUNCTION slr_row_changed('maintenance_id');
CREATE TRIGGER maintenance_schedules_data_notify AFTER INSERT OR UPDATE OF auto_transition, series_id ON maintenance_schedules FOR EACH STATEMENT EXECUTE FUNCTION slr_data_notify();
