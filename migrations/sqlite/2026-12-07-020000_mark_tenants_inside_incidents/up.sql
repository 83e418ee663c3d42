-- A tenant's own state inside an incident where it differs from the incident's: recovered at
-- an instant (the incident counts for it until then), or ruled out (it never counts). Every
-- other tenant the scope reaches is affected. Written with a bump of the incident's version, so
-- the incident's change log covers it.
CREATE TABLE incident_tenant_states (
    incident_id BIGINT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    tenant_id BIGINT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    state TEXT NOT NULL CHECK (state IN ('recovered', 'unaffected')),
    effective_at TIMESTAMP NOT NULL,
    PRIMARY KEY (incident_id, tenant_id)
);
CREATE INDEX incident_tenant_states_tenant ON incident_tenant_states (tenant_id);
