-- +goose Up
-- An authority's kind, population and the legal band of its treasurer's
-- delegation (set by regulation for the authority's size) are
-- effective-dated profiles: a change adds a profile from a date and never
-- rewrites the one before. Every authority has a profile from 2015-01-01,
-- the date of the band table; a day before an authority's first profile
-- takes that first profile.
CREATE TABLE authority_profiles (
    authority_id    bigint NOT NULL REFERENCES authorities(id),
    effective_from  date NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('municipality', 'local_council', 'regional_council')),
    population      int NOT NULL CHECK (population >= 0),
    delegation_band numeric(14,2) NOT NULL CHECK (delegation_band > 0),
    recorded_by     bigint REFERENCES users(id),
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (authority_id, effective_from)
);

INSERT INTO authority_profiles (authority_id, effective_from, kind, population, delegation_band)
SELECT id, DATE '2015-01-01', kind, 0, 93900.00 FROM authorities;

-- An authority is registered with the first profile: the smallest band
-- (up to 50,000 residents) until its own is recorded.
-- +goose StatementBegin
CREATE FUNCTION authority_first_profile() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO authority_profiles (authority_id, effective_from, kind, population, delegation_band)
    VALUES (NEW.id, DATE '2015-01-01', NEW.kind, 0, 93900.00);
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER authority_first_profile AFTER INSERT ON authorities
    FOR EACH ROW EXECUTE FUNCTION authority_first_profile();

-- The profile in force on a day: the latest from that day or before, else
-- the first.
-- +goose StatementBegin
CREATE FUNCTION authority_profile_on(authority bigint, day date) RETURNS SETOF authority_profiles
LANGUAGE sql STABLE AS $$
    SELECT * FROM authority_profiles WHERE authority_id = authority
    ORDER BY effective_from <= day DESC, abs(day - effective_from) LIMIT 1
$$;
-- +goose StatementEnd

-- authorities.kind is the kind of the profile in force as of the
-- authority's last write; reads take the profile's.
-- authorities.signature_threshold is unused: every order needs both
-- signatures whatever its total. It stays until nothing reads it, then is
-- dropped.
ALTER TABLE authorities ALTER COLUMN signature_threshold SET DEFAULT 0;
COMMENT ON COLUMN authorities.signature_threshold IS 'unused; to be dropped';

-- A holder of a signing slot (the treasurer's or the head's) lets another
-- user of the authority sign in that slot, for orders up to a total (incl.
-- VAT), for a period. A delegation is kept forever: it is only ever
-- revoked, once.
CREATE TABLE signature_delegations (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    authority_id bigint NOT NULL REFERENCES authorities(id),
    slot         text NOT NULL CHECK (slot IN ('treasurer', 'head')),
    holder_id    bigint NOT NULL REFERENCES users(id),
    delegate_id  bigint NOT NULL REFERENCES users(id),
    max_total    numeric(14,2) NOT NULL CHECK (max_total > 0),
    valid_from   date NOT NULL,
    valid_until  date NOT NULL,
    note         text NOT NULL DEFAULT '',
    granted_by   bigint NOT NULL REFERENCES users(id),
    granted_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz,
    revoked_by   bigint REFERENCES users(id),
    CONSTRAINT signature_delegations_period CHECK (valid_until >= valid_from),
    CONSTRAINT signature_delegations_not_self CHECK (delegate_id <> holder_id),
    CONSTRAINT signature_delegations_revoked_by CHECK ((revoked_at IS NULL) = (revoked_by IS NULL))
);
-- The delegations of a delegate in force: not revoked, by slot and dates.
CREATE INDEX signature_delegations_in_force ON signature_delegations (delegate_id, authority_id, slot, valid_until)
    WHERE revoked_at IS NULL;
CREATE INDEX signature_delegations_authority ON signature_delegations (authority_id, granted_at);

-- A delegation on a day: revoked (whenever it was), not yet in force,
-- expired, or in force.
-- +goose StatementBegin
CREATE FUNCTION delegation_status(revoked_at timestamptz, valid_from date, valid_until date, day date) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN revoked_at IS NOT NULL THEN 'revoked'
                WHEN day < valid_from THEN 'not_yet'
                WHEN day > valid_until THEN 'expired'
                ELSE 'in_force' END
$$;
-- +goose StatementEnd

-- Nothing deletes a delegation or changes it but its revocation, once. The
-- guard raises SQLSTATE MDR01, which the service reports as a 409 with
-- this message key.
-- +goose StatementBegin
CREATE FUNCTION signature_delegations_kept() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    unrevoked signature_delegations;
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION USING ERRCODE = 'MDR01', MESSAGE = 'authority.delegation.kept', DETAIL = OLD.id::text;
    END IF;
    unrevoked := NEW;
    unrevoked.revoked_at := NULL;
    unrevoked.revoked_by := NULL;
    IF OLD.revoked_at IS NOT NULL OR NEW.revoked_at IS NULL OR unrevoked IS DISTINCT FROM OLD THEN
        RAISE EXCEPTION USING ERRCODE = 'MDR01', MESSAGE = 'authority.delegation.kept', DETAIL = OLD.id::text;
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER signature_delegations_kept BEFORE UPDATE OR DELETE ON signature_delegations
    FOR EACH ROW EXECUTE FUNCTION signature_delegations_kept();

-- +goose Down
DROP TABLE signature_delegations;
DROP FUNCTION signature_delegations_kept();
DROP FUNCTION delegation_status(timestamptz, date, date, date);
COMMENT ON COLUMN authorities.signature_threshold IS NULL;
ALTER TABLE authorities ALTER COLUMN signature_threshold DROP DEFAULT;
DROP FUNCTION authority_profile_on(bigint, date);
DROP TRIGGER authority_first_profile ON authorities;
DROP FUNCTION authority_first_profile();
DROP TABLE authority_profiles;
