-- +goose Up
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE authorities (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code                text NOT NULL UNIQUE CHECK (code ~ '^[0-9]{1,6}$'),
    name_he             text NOT NULL CHECK (name_he <> ''),
    name_ar             text NOT NULL DEFAULT '',
    name_en             text NOT NULL DEFAULT '',
    kind                text NOT NULL CHECK (kind IN ('municipality', 'local_council', 'regional_council')),
    signature_threshold numeric(14,2) NOT NULL CHECK (signature_threshold >= 0),
    active              boolean NOT NULL DEFAULT true,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE budget_lines (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    authority_id bigint NOT NULL REFERENCES authorities(id),
    fiscal_year  int NOT NULL CHECK (fiscal_year BETWEEN 2000 AND 2100),
    code         text NOT NULL CHECK (code <> ''),
    name         text NOT NULL CHECK (name <> ''),
    amount       numeric(14,2) NOT NULL CHECK (amount >= 0),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (authority_id, fiscal_year, code)
);

CREATE TABLE suppliers (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    company_number  text NOT NULL UNIQUE CHECK (company_number ~ '^[0-9]{9}$'),
    legal_name      text NOT NULL CHECK (legal_name <> ''),
    email           text NOT NULL,
    phone           text NOT NULL DEFAULT '',
    address         text NOT NULL DEFAULT '',
    status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    suspended_reason text NOT NULL DEFAULT '',
    suspended_until date,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE supplier_certificates (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    supplier_id bigint NOT NULL REFERENCES suppliers(id),
    kind        text NOT NULL CHECK (kind IN ('books', 'withholding_tax', 'insurance')),
    number      text NOT NULL CHECK (number <> ''),
    valid_until date NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX supplier_certificates_supplier ON supplier_certificates (supplier_id, kind, valid_until);

CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         text NOT NULL,
    name          text NOT NULL CHECK (name <> ''),
    password_hash text NOT NULL,
    org_kind      text NOT NULL CHECK (org_kind IN ('cluster', 'authority', 'supplier')),
    authority_id  bigint REFERENCES authorities(id),
    supplier_id   bigint REFERENCES suppliers(id),
    roles         text[] NOT NULL CHECK (cardinality(roles) > 0 AND roles <@ ARRAY['cluster_admin','economic_lead','officer','treasurer','head','supplier']),
    lang          text NOT NULL DEFAULT 'he' CHECK (lang IN ('he', 'ar', 'en')),
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((org_kind = 'cluster'   AND authority_id IS NULL AND supplier_id IS NULL AND roles <@ ARRAY['cluster_admin','economic_lead'])
        OR (org_kind = 'authority' AND authority_id IS NOT NULL AND supplier_id IS NULL AND roles <@ ARRAY['officer','treasurer','head'])
        OR (org_kind = 'supplier'  AND supplier_id IS NOT NULL AND authority_id IS NULL AND roles <@ ARRAY['supplier']))
);
CREATE UNIQUE INDEX users_email ON users (lower(email));

CREATE TABLE sessions (
    token_hash bytea PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users(id),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users(id),
    name         text NOT NULL,
    token_hash   bytea NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);

CREATE TABLE login_failures (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email      text NOT NULL,
    address    text NOT NULL,
    at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_email ON login_failures (lower(email), at);
CREATE INDEX login_failures_address ON login_failures (address, at);

-- +goose Down
DROP TABLE login_failures;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE supplier_certificates;
DROP TABLE suppliers;
DROP TABLE budget_lines;
DROP TABLE authorities;
DROP EXTENSION IF EXISTS pg_trgm;
