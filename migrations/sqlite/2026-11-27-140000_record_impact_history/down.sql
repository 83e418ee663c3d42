DROP TABLE incident_impacts;
ALTER TABLE incidents DROP COLUMN reopened;
ALTER TABLE incidents DROP COLUMN initial_impact;
