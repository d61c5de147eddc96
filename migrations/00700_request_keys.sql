-- +goose Up
-- Idempotency keys of every unsafe API request (POST, PUT, PATCH, DELETE
-- under /api/v1 with an Idempotency-Key), one row per user and key: the
-- request it was first used with (method, path, and a hash of the path,
-- If-Match and body), how far that request got, and its answer, replayed
-- to every retry.
--
--   running   a request holds the key (lease, until lease_until) and has
--             committed nothing: if it dies, the key is taken over once the
--             lease ends and the request runs again;
--   applied   a transaction of the request committed, and marked the row
--             so in that same transaction: the request never runs again;
--   answered  the answer (status, headers, body) is kept.
CREATE TABLE request_keys (
    user_id      bigint NOT NULL REFERENCES users(id),
    key          text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    method       text NOT NULL,
    path         text NOT NULL,
    request_hash bytea,
    state        text NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'applied', 'answered')),
    lease        text NOT NULL DEFAULT '',
    lease_until  timestamptz NOT NULL DEFAULT now(),
    status       int CHECK (status BETWEEN 200 AND 599),
    headers      jsonb NOT NULL DEFAULT '{}',
    body         bytea NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    applied_at   timestamptz,
    answered_at  timestamptz,
    PRIMARY KEY (user_id, key),
    CHECK (state <> 'answered' OR status IS NOT NULL)
);
COMMENT ON COLUMN request_keys.request_hash IS 'SHA-256 of the request (method, path and query, If-Match, body); NULL for a key kept before request_keys, replayed to any retry of its path';

-- The orders created with a key before request_keys keep their answer.
INSERT INTO request_keys (user_id, key, method, path, request_hash, state, status, headers, body, created_at, applied_at, answered_at)
SELECT k.user_id, k.key, 'POST', '/api/v1/orders', NULL, 'answered', 201,
       jsonb_build_object('Content-Type', 'application/json; charset=utf-8', 'Location', '/api/v1/orders/' || k.order_id),
       convert_to((k.answer -> 'order')::text, 'UTF8'), k.created_at, k.created_at, k.created_at
FROM idempotency_keys k
WHERE k.order_id IS NOT NULL AND k.answer ? 'order';

DROP TABLE idempotency_keys;

-- The events of an order's transitions name the request that made them:
-- a hash of the action, its If-Match and its input, so that a repeat of a
-- transition already applied, by the same actor with the same input, is
-- recognised and answered with the order as it stands.
ALTER TABLE order_events ADD COLUMN input_hash bytea;
CREATE INDEX order_events_actor ON order_events (order_id, actor_id, id);

-- +goose Down
DROP INDEX order_events_actor;
ALTER TABLE order_events DROP COLUMN input_hash;
CREATE TABLE idempotency_keys (
    user_id      bigint NOT NULL REFERENCES users(id),
    key          text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    request_hash bytea NOT NULL,
    order_id     bigint REFERENCES orders(id),
    answer       jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);
DROP TABLE request_keys;
