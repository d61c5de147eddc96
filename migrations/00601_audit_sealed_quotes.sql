-- +goose Up
-- A quote's audit entries say who quoted and when: until the competition's
-- deadline, that is as sealed as the prices (which the entries mask), so
-- the audit trail's readers see none of them before it.
-- +goose StatementBegin
CREATE FUNCTION audit_sealed(object text, before jsonb, after jsonb) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
DECLARE
    row jsonb := coalesce(after, before);
    deadline timestamptz;
BEGIN
    CASE object
    WHEN 'competition_quotes' THEN
        SELECT c.deadline INTO deadline FROM competitions c WHERE c.id = (row->>'competition_id')::bigint;
    WHEN 'competition_quote_revisions' THEN
        SELECT c.deadline INTO deadline FROM competition_quotes q JOIN competitions c ON c.id = q.competition_id
        WHERE q.id = (row->>'quote_id')::bigint;
    WHEN 'competition_quote_lines' THEN
        SELECT c.deadline INTO deadline FROM competition_quote_revisions r
            JOIN competition_quotes q ON q.id = r.quote_id JOIN competitions c ON c.id = q.competition_id
        WHERE r.id = (row->>'revision_id')::bigint;
    ELSE
        RETURN false;
    END CASE;
    RETURN NOT competition_quotes_open(deadline, now());
END;
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION audit_sealed(text, jsonb, jsonb);
