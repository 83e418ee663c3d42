-- Incidents with their scope and timeline, maintenance windows with the classifications they
-- impact, and the stored responses of idempotent POSTs.
CREATE TABLE incidents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    service_id BIGINT NOT NULL REFERENCES services (id),
    title TEXT NOT NULL,
    impact TEXT NOT NULL CHECK (impact IN ('degraded', 'partial_outage', 'major_outage')),
    status TEXT NOT NULL CHECK (status IN ('investigating', 'identified', 'monitoring', 'resolved')),
    scope_kind TEXT NOT NULL CHECK (scope_kind IN ('service', 'classifications', 'tenants')),
    started_at TIMESTAMP NOT NULL,
    resolved_at TIMESTAMP,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK ((status = 'resolved') = (resolved_at IS NOT NULL))
);
CREATE INDEX incidents_service_status_idx ON incidents (service_id, status);
CREATE INDEX incidents_started_idx ON incidents (started_at);

CREATE TABLE incident_classifications (
    incident_id BIGINT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    classification_id BIGINT NOT NULL REFERENCES classifications (id),
    PRIMARY KEY (incident_id, classification_id)
);

CREATE TABLE incident_tenants (
    incident_id BIGINT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    tenant_id BIGINT NOT NULL REFERENCES tenants (id),
    PRIMARY KEY (incident_id, tenant_id)
);
CREATE INDEX incident_tenants_tenant_idx ON incident_tenants (tenant_id);

CREATE TABLE incident_updates (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id BIGINT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('investigating', 'identified', 'monitoring', 'resolved')),
    message TEXT NOT NULL,
    author_contact_id BIGINT REFERENCES contacts (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX incident_updates_incident_idx ON incident_updates (incident_id);

CREATE TABLE maintenances (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    service_id BIGINT NOT NULL REFERENCES services (id),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('scheduled', 'in_progress', 'completed', 'cancelled')),
    expected_impact TEXT NOT NULL CHECK (expected_impact IN ('none', 'degraded', 'downtime')),
    scheduled_start TIMESTAMP NOT NULL,
    scheduled_end TIMESTAMP NOT NULL,
    actual_start TIMESTAMP,
    actual_end TIMESTAMP,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (scheduled_end > scheduled_start)
);
CREATE INDEX maintenances_service_idx ON maintenances (service_id);
CREATE INDEX maintenances_window_idx ON maintenances (scheduled_end, scheduled_start);

CREATE TABLE maintenance_classifications (
    maintenance_id BIGINT NOT NULL REFERENCES maintenances (id) ON DELETE CASCADE,
    classification_id BIGINT NOT NULL REFERENCES classifications (id),
    PRIMARY KEY (maintenance_id, classification_id)
);

CREATE TABLE idempotency_keys (
    contact_id BIGINT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status_code INTEGER NOT NULL,
    location TEXT,
    response_body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (contact_id, idempotency_key)
);
