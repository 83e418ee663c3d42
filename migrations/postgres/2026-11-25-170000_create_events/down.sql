DROP TABLE idempotency_keys;
DROP TABLE maintenance_classifications;
DROP TABLE maintenances;
DROP TABLE incident_updates;
DROP TABLE incident_tenants;
DROP TABLE incident_classifications;
DROP TABLE incidents;
