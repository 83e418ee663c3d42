-- Service credits and closed periods. An offering's credit policy (provider admins) grants a
-- credit for an SLA availability below its tiers; its tiers are text (`below:credit` pairs separated by spaces), read and written
-- whole, never queried. Closing a period (a calendar month in a time zone) freezes one signed
-- statement per tenant, offering and account: the exact bytes signed are kept in `body` and
-- answered unchanged, with their detached JWS. `account_id` is who held the subject at the
-- close (the tenant's owner, the offering's account, the account itself) and `partner_id` the
-- owner's managing partner (tenant statements): reads are scoped on them. The public keys that
-- ever signed a statement stay in `statement_keys` (the JWKS), so a rotated key's statements
-- still verify. Writes here are audited, and the audit entry moves the data version.
CREATE TABLE credit_policies (
    offering_id BIGINT PRIMARY KEY REFERENCES offerings (id) ON DELETE CASCADE,
    tiers TEXT NOT NULL,
    cap_percent DOUBLE PRECISION NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE statement_periods (
    id BIGSERIAL PRIMARY KEY,
    period TEXT NOT NULL,
    tz TEXT NOT NULL,
    window_from TIMESTAMP NOT NULL,
    window_to TIMESTAMP NOT NULL,
    data_version BIGINT NOT NULL,
    statement_count BIGINT NOT NULL,
    closed_by BIGINT,
    closed_at TIMESTAMP NOT NULL,
    UNIQUE (period, tz)
);

CREATE TABLE statements (
    id BIGSERIAL PRIMARY KEY,
    period_id BIGINT NOT NULL REFERENCES statement_periods (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('tenant', 'offering', 'account')),
    subject_id BIGINT NOT NULL,
    version INTEGER NOT NULL,
    account_id BIGINT NOT NULL,
    partner_id BIGINT,
    body TEXT NOT NULL,
    signature TEXT NOT NULL,
    key_id TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (period_id, kind, subject_id, version)
);
CREATE INDEX statements_account_idx ON statements (account_id, id);
CREATE INDEX statements_partner_idx ON statements (partner_id, id);

CREATE TABLE statement_keys (
    key_id TEXT PRIMARY KEY,
    jwk TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
