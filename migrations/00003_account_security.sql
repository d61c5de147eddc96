-- +goose Up
-- What a user sees of their own sessions: when each was opened and last
-- used, from which address and browser; the id by which they end one.
ALTER TABLE sessions
    ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    ADD COLUMN last_used_at timestamptz NOT NULL DEFAULT now(),
    ADD COLUMN address text NOT NULL DEFAULT '',
    ADD COLUMN user_agent text NOT NULL DEFAULT '';

-- The second factor (TOTP, RFC 6238): the secret is set when enrolment
-- starts and counts once the user has confirmed a code (totp_enabled_at).
-- The audit trail records the secret as changed, never its value.
ALTER TABLE users
    ADD COLUMN totp_secret text,
    ADD COLUMN totp_enabled_at timestamptz,
    ADD CONSTRAINT users_totp_enabled_has_secret CHECK (totp_enabled_at IS NULL OR totp_secret IS NOT NULL);

-- The last time step whose code signed the user in: a code is good once.
CREATE TABLE totp_last_steps (
    user_id bigint PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    step    bigint NOT NULL
);

-- Single-use recovery codes, stored as their SHA-256.
CREATE TABLE recovery_codes (
    user_id    bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash  bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    used_at    timestamptz,
    PRIMARY KEY (user_id, code_hash)
);

-- One-time tokens, stored as the SHA-256 of their secret: a link that
-- sets a password (reset, or the invitation of a new user) and the step
-- between a sign-in's password and its second factor (sign_in). Each is
-- good once, until it expires.
CREATE TABLE account_tokens (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose    text NOT NULL CHECK (purpose IN ('reset', 'invitation', 'sign_in')),
    token_hash bytea NOT NULL UNIQUE,
    created_by bigint REFERENCES users(id),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz
);
CREATE INDEX account_tokens_user ON account_tokens (user_id, purpose, created_at);

-- Whether a user must have a second factor: the roles that sign or decide
-- (treasurer, head, cluster admin), and whoever holds a signature
-- delegation that is not revoked and not yet past (Israel's date).
-- +goose StatementBegin
CREATE FUNCTION second_factor_required(uid bigint, held text[]) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN held && ARRAY['treasurer', 'head', 'cluster_admin']
        OR EXISTS (SELECT 1 FROM signature_delegations d
                   WHERE d.delegate_id = uid AND d.revoked_at IS NULL
                     AND d.valid_until >= (now() AT TIME ZONE 'Asia/Jerusalem')::date);
END $$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION second_factor_required(bigint, text[]);
DROP TABLE account_tokens;
DROP TABLE recovery_codes;
DROP TABLE totp_last_steps;
ALTER TABLE users
    DROP CONSTRAINT users_totp_enabled_has_secret,
    DROP COLUMN totp_enabled_at,
    DROP COLUMN totp_secret;
ALTER TABLE sessions
    DROP COLUMN user_agent,
    DROP COLUMN address,
    DROP COLUMN last_used_at,
    DROP COLUMN id;
