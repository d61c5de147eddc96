-- +goose Up
-- The addresses from which each user has signed in: a failed-login storm
-- from elsewhere slows those addresses, not the user at a known one.
CREATE TABLE login_known_addresses (
    user_id bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    address text NOT NULL,
    last_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, address)
);
CREATE INDEX login_failures_pair ON login_failures (lower(email), address, at);

-- +goose Down
DROP INDEX login_failures_pair;
DROP TABLE login_known_addresses;
