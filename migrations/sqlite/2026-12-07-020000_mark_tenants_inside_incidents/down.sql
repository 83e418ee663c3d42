DROP TABLE incident_tenant_states;
