-- Maintenance gets the same scope as incidents: the whole service, classifications (what every
-- existing window has), or an explicit set of tenants.
ALTER TABLE maintenances ADD COLUMN scope_kind TEXT NOT NULL DEFAULT 'classifications'
    CHECK (scope_kind IN ('service', 'classifications', 'tenants'));

CREATE TABLE maintenance_tenants (
    maintenance_id BIGINT NOT NULL REFERENCES maintenances (id) ON DELETE CASCADE,
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    PRIMARY KEY (maintenance_id, tenant_id)
);
CREATE INDEX maintenance_tenants_tenant_idx ON maintenance_tenants (tenant_id);
CREATE INDEX maintenance_classifications_classification_idx
    ON maintenance_classifications (classification_id);
