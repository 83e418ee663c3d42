-- The directory: accounts, contacts, the service catalogue, tenants and offerings.
-- AUTOINCREMENT: ids are never reused, so a deleted contact's token can never name a new contact.
CREATE TABLE accounts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('provider', 'partner', 'customer')),
    managing_partner_id BIGINT REFERENCES accounts (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    CHECK (managing_partner_id IS NULL OR kind = 'customer')
);
CREATE INDEX accounts_managing_partner_idx ON accounts (managing_partner_id);

CREATE TABLE contacts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('viewer', 'admin')),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX contacts_account_idx ON contacts (account_id);

CREATE TABLE services (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE classifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL UNIQUE,
    tier INTEGER NOT NULL CHECK (tier BETWEEN 1 AND 99),
    region TEXT NOT NULL,
    label TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE tenants (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    service_id BIGINT NOT NULL REFERENCES services (id),
    classification_id BIGINT NOT NULL REFERENCES classifications (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (service_id, name)
);
CREATE INDEX tenants_account_idx ON tenants (account_id);
CREATE INDEX tenants_classification_idx ON tenants (classification_id);

CREATE TABLE offerings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('direct', 'partner_tenants')),
    service_id BIGINT NOT NULL REFERENCES services (id),
    account_id BIGINT NOT NULL REFERENCES accounts (id),
    sla_target REAL NOT NULL DEFAULT 99.9 CHECK (sla_target > 0 AND sla_target <= 100),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (account_id, service_id, kind)
);
CREATE INDEX offerings_service_idx ON offerings (service_id);
