DROP INDEX maintenance_classifications_classification_idx;
DROP TABLE maintenance_tenants;
ALTER TABLE maintenances DROP COLUMN scope_kind;
