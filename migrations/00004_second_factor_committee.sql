-- +goose Up
-- The committee that decides a mini-competition (the director-general and
-- the legal adviser, beside the treasurer) decides as signers do: their
-- roles require a second factor too, once users hold them.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION second_factor_required(uid bigint, held text[]) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN held && ARRAY['treasurer', 'head', 'cluster_admin', 'ceo', 'legal_adviser']
        OR EXISTS (SELECT 1 FROM signature_delegations d
                   WHERE d.delegate_id = uid AND d.revoked_at IS NULL
                     AND d.valid_until >= (now() AT TIME ZONE 'Asia/Jerusalem')::date);
END $$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION second_factor_required(uid bigint, held text[]) RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN held && ARRAY['treasurer', 'head', 'cluster_admin']
        OR EXISTS (SELECT 1 FROM signature_delegations d
                   WHERE d.delegate_id = uid AND d.revoked_at IS NULL
                     AND d.valid_until >= (now() AT TIME ZONE 'Asia/Jerusalem')::date);
END $$;
-- +goose StatementEnd
