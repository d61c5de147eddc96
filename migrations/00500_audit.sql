-- +goose Up
-- One append-only trail of every change to the service's records: who
-- (the signed-in user, or the database role for a change made outside the
-- service), when, from which address, the object, the action, and the
-- fields before and after. A trigger on each audited table writes it in
-- the same transaction as the change; nothing may update or delete it.
--
-- The service names the actor for each transaction with
-- set_config('madaf.actor_id' | 'madaf.actor' | 'madaf.address', …, true).
CREATE TABLE audit_log (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    actor_id     bigint,
    actor        text NOT NULL,
    address      text NOT NULL DEFAULT '',
    authority_id bigint,
    object       text NOT NULL,
    object_id    text NOT NULL,
    action       text NOT NULL CHECK (action IN ('insert', 'update', 'delete')),
    before       jsonb,
    after        jsonb
);
CREATE INDEX audit_log_object ON audit_log (object, object_id, id);
CREATE INDEX audit_log_actor ON audit_log (actor_id, id);
CREATE INDEX audit_log_authority ON audit_log (authority_id, id);
CREATE INDEX audit_log_at ON audit_log (at, id);

-- +goose StatementBegin
CREATE FUNCTION append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'check_violation';
END $$;

-- audit_row records one row's change. Its arguments name the key columns
-- (id when none is given). Secrets are recorded as changed, never their
-- value; bookkeeping columns (last use) neither count as a change nor are
-- recorded.
CREATE FUNCTION audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION append_only();
CREATE TRIGGER workplan_task_events_append_only BEFORE UPDATE OR DELETE ON workplan_task_events
    FOR EACH ROW EXECUTE FUNCTION append_only();

-- +goose StatementBegin
DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT * FROM (VALUES
        ('authorities', ''), ('authority_profiles', 'authority_id,effective_from'),
        ('budget_lines', ''), ('budget_line_defaults', 'authority_id,fiscal_year,category'),
        ('signature_delegations', ''),
        ('suppliers', ''), ('supplier_certificates', ''),
        ('users', ''), ('api_tokens', ''), ('account_tokens', ''), ('recovery_codes', 'user_id'),
        ('tenders', ''), ('tender_authorities', 'tender_id,authority_id'), ('tender_items', ''),
        ('awards', ''), ('award_prices', ''),
        ('vat_rates', 'valid_from'), ('holidays', 'day'),
        ('strategic_engines', ''), ('strategic_engine_activities', ''),
        ('workplan_plans', ''), ('workplan_domains', ''), ('workplan_goals', ''), ('workplan_tasks', '')
    ) AS v(name, keys) LOOP
        EXECUTE format('CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON %I FOR EACH ROW EXECUTE FUNCTION audit_row(%s)',
            t.name, (SELECT coalesce(string_agg(quote_literal(k), ', '), '') FROM unnest(string_to_array(nullif(t.keys, ''), ',')) AS k));
    END LOOP;
END $$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DO $$
DECLARE
    t text;
BEGIN
    FOR t IN SELECT c.relname FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid WHERE g.tgname = 'audit' AND NOT g.tgisinternal LOOP
        EXECUTE format('DROP TRIGGER audit ON %I', t);
    END LOOP;
END $$;
-- +goose StatementEnd
DROP TRIGGER workplan_task_events_append_only ON workplan_task_events;
DROP TABLE audit_log;
DROP FUNCTION audit_row();
DROP FUNCTION append_only();
