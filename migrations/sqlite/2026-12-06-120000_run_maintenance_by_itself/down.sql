DROP INDEX maintenances_due_idx;
DROP TABLE maintenance_schedules;
