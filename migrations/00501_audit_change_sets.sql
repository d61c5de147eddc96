-- +goose Up
-- Change sets: every entry of the audit trail names the transaction that
-- wrote it (change_set, the transaction's id) and the request it was made
-- for (request_id, the X-Request-ID of the service's logs; '' for work
-- outside a request). A request that changes several rows (a tender and
-- its participants, a user and their invitation) leaves one change set.
-- Order events, the orders' own append-only history, name the client's
-- address and the request too.
--
-- The service names the request for each transaction with
-- set_config('madaf.request_id', …, true), beside the actor.
ALTER TABLE audit_log
    ADD COLUMN change_set bigint,
    ADD COLUMN request_id text NOT NULL DEFAULT '';
CREATE INDEX audit_log_change_set ON audit_log (change_set, id);
CREATE INDEX audit_log_request ON audit_log (request_id, id) WHERE request_id <> '';

ALTER TABLE order_events
    ADD COLUMN address text NOT NULL DEFAULT coalesce(current_setting('madaf.address', true), ''),
    ADD COLUMN request_id text NOT NULL DEFAULT coalesce(current_setting('madaf.request_id', true), '');

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    secret  text[] := ARRAY['password_hash', 'token_hash', 'code_hash', 'secret_hash', 'totp_secret'];
    ignored text[] := ARRAY['last_used_at'];
    old_j   jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END;
    new_j   jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END;
    row_j   jsonb := coalesce(new_j, old_j);
    keys    text[] := CASE WHEN TG_NARGS = 0 THEN ARRAY['id'] ELSE TG_ARGV END;
    k       text;
    b       jsonb := '{}';
    a       jsonb := '{}';
    actor_id bigint := nullif(current_setting('madaf.actor_id', true), '')::bigint;
BEGIN
    FOR k IN SELECT jsonb_object_keys(row_j) LOOP
        CONTINUE WHEN k = ANY (ignored);
        IF TG_OP = 'UPDATE' AND old_j -> k IS NOT DISTINCT FROM new_j -> k THEN
            CONTINUE;
        END IF;
        IF old_j IS NOT NULL THEN
            b := b || jsonb_build_object(k, CASE WHEN k = ANY (secret) THEN to_jsonb('***'::text) ELSE old_j -> k END);
        END IF;
        IF new_j IS NOT NULL THEN
            a := a || jsonb_build_object(k, CASE WHEN k = ANY (secret) THEN to_jsonb('***'::text) ELSE new_j -> k END);
        END IF;
    END LOOP;
    IF TG_OP = 'UPDATE' AND a = '{}' THEN
        RETURN NULL;
    END IF;
    INSERT INTO audit_log (actor_id, actor, address, authority_id, object, object_id, action, before, after, change_set, request_id)
    VALUES (
        actor_id,
        coalesce(nullif(current_setting('madaf.actor', true), ''), 'db:' || session_user),
        coalesce(current_setting('madaf.address', true), ''),
        CASE WHEN TG_TABLE_NAME = 'authorities' THEN (row_j ->> 'id')::bigint ELSE (row_j ->> 'authority_id')::bigint END,
        TG_TABLE_NAME,
        (SELECT string_agg(row_j ->> x, '/' ORDER BY n) FROM unnest(keys) WITH ORDINALITY AS u(x, n)),
        lower(TG_OP),
        CASE WHEN TG_OP <> 'INSERT' THEN b END,
        CASE WHEN TG_OP <> 'DELETE' THEN a END,
        pg_current_xact_id()::text::bigint,
        coalesce(current_setting('madaf.request_id', true), ''));
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    secret  text[] := ARRAY['password_hash', 'token_hash', 'code_hash', 'secret_hash', 'totp_secret'];
    ignored text[] := ARRAY['last_used_at'];
    old_j   jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END;
    new_j   jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END;
    row_j   jsonb := coalesce(new_j, old_j);
    keys    text[] := CASE WHEN TG_NARGS = 0 THEN ARRAY['id'] ELSE TG_ARGV END;
    k       text;
    b       jsonb := '{}';
    a       jsonb := '{}';
    actor_id bigint := nullif(current_setting('madaf.actor_id', true), '')::bigint;
BEGIN
    FOR k IN SELECT jsonb_object_keys(row_j) LOOP
        CONTINUE WHEN k = ANY (ignored);
        IF TG_OP = 'UPDATE' AND old_j -> k IS NOT DISTINCT FROM new_j -> k THEN
            CONTINUE;
        END IF;
        IF old_j IS NOT NULL THEN
            b := b || jsonb_build_object(k, CASE WHEN k = ANY (secret) THEN to_jsonb('***'::text) ELSE old_j -> k END);
        END IF;
        IF new_j IS NOT NULL THEN
            a := a || jsonb_build_object(k, CASE WHEN k = ANY (secret) THEN to_jsonb('***'::text) ELSE new_j -> k END);
        END IF;
    END LOOP;
    IF TG_OP = 'UPDATE' AND a = '{}' THEN
        RETURN NULL;
    END IF;
    INSERT INTO audit_log (actor_id, actor, address, authority_id, object, object_id, action, before, after)
    VALUES (
        actor_id,
        coalesce(nullif(current_setting('madaf.actor', true), ''), 'db:' || session_user),
        coalesce(current_setting('madaf.address', true), ''),
        CASE WHEN TG_TABLE_NAME = 'authorities' THEN (row_j ->> 'id')::bigint ELSE (row_j ->> 'authority_id')::bigint END,
        TG_TABLE_NAME,
        (SELECT string_agg(row_j ->> x, '/' ORDER BY n) FROM unnest(keys) WITH ORDINALITY AS u(x, n)),
        lower(TG_OP),
        CASE WHEN TG_OP <> 'INSERT' THEN b END,
        CASE WHEN TG_OP <> 'DELETE' THEN a END);
    RETURN NULL;
END $$;
-- +goose StatementEnd
ALTER TABLE order_events DROP COLUMN request_id, DROP COLUMN address;
DROP INDEX audit_log_request;
DROP INDEX audit_log_change_set;
ALTER TABLE audit_log DROP COLUMN request_id, DROP COLUMN change_set;
