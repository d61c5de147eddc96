-- +goose Up
-- The columns the audit trail records as changed ("***") but never by
-- value are named in one place, audit_masked, which audit_row calls: the
-- hashes of secrets in every table, and the quoted prices and totals of
-- the competitions' quotes, which are sealed until the deadline while the
-- trail is read by the cluster.
-- +goose StatementBegin
CREATE FUNCTION audit_masked(tbl text, col text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT col IN ('password_hash', 'token_hash', 'code_hash', 'secret_hash', 'totp_secret')
        OR (tbl, col) IN (('competition_quote_revisions', 'quoted_total'),
                          ('competition_quote_lines', 'quoted_price'),
                          ('competition_quote_lines', 'quoted_total'))
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
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
            b := b || jsonb_build_object(k, CASE WHEN audit_masked(TG_TABLE_NAME, k) THEN to_jsonb('***'::text) ELSE old_j -> k END);
        END IF;
        IF new_j IS NOT NULL THEN
            a := a || jsonb_build_object(k, CASE WHEN audit_masked(TG_TABLE_NAME, k) THEN to_jsonb('***'::text) ELSE new_j -> k END);
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
    secret  text[] := ARRAY['password_hash', 'token_hash', 'code_hash', 'secret_hash', 'totp_secret', 'quoted_price', 'quoted_total'];
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
DROP FUNCTION audit_masked(text, text);
