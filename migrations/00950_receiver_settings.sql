-- +goose Up
-- The receiver (מקבל/ת טובין) of an authority, e.g. its storekeeper: it
-- records the goods received against its authority's orders. It is an
-- authority role.
ALTER TABLE users DROP CONSTRAINT users_roles_check, DROP CONSTRAINT users_check;
ALTER TABLE users ADD CONSTRAINT users_roles_check CHECK (cardinality(roles) > 0
        AND roles <@ ARRAY['cluster_admin','economic_lead','officer','treasurer','head','supplier','ceo','legal_adviser','receiver']),
    ADD CONSTRAINT users_check CHECK (
        (org_kind = 'cluster'   AND authority_id IS NULL AND supplier_id IS NULL AND roles <@ ARRAY['cluster_admin','economic_lead'])
     OR (org_kind = 'authority' AND authority_id IS NOT NULL AND supplier_id IS NULL
         AND roles <@ ARRAY['officer','treasurer','head','ceo','legal_adviser','receiver'])
     OR (org_kind = 'supplier'  AND supplier_id IS NOT NULL AND authority_id IS NULL AND roles <@ ARRAY['supplier']));

-- An authority's invoice settings (the allocation number requirement and
-- the price tolerance per unit) are set by its treasurer; settings_version
-- counts their writes, so that a write made on a stale read is refused.
-- The tolerance is at most ₪1,000 a unit; one set above it before the
-- settings had a screen is brought down to it.
UPDATE authorities SET invoice_price_tolerance = 1000 WHERE invoice_price_tolerance > 1000;
ALTER TABLE authorities ADD COLUMN settings_version int NOT NULL DEFAULT 1,
    ADD CONSTRAINT authorities_invoice_price_tolerance_cap CHECK (invoice_price_tolerance <= 1000);

-- +goose Down
-- A user whose only role is receiver has no role without it: such users
-- are to be removed first. Others lose the role.
-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM users WHERE roles = ARRAY['receiver']) THEN
        RAISE EXCEPTION 'users whose only role is receiver exist: remove them before rolling back the receiver role';
    END IF;
END
$$;
-- +goose StatementEnd
UPDATE users SET roles = array_remove(roles, 'receiver') WHERE 'receiver' = ANY(roles);
ALTER TABLE authorities DROP CONSTRAINT authorities_invoice_price_tolerance_cap, DROP COLUMN settings_version;
ALTER TABLE users DROP CONSTRAINT users_roles_check, DROP CONSTRAINT users_check;
ALTER TABLE users ADD CONSTRAINT users_roles_check CHECK (cardinality(roles) > 0
        AND roles <@ ARRAY['cluster_admin','economic_lead','officer','treasurer','head','supplier','ceo','legal_adviser']),
    ADD CONSTRAINT users_check CHECK (
        (org_kind = 'cluster'   AND authority_id IS NULL AND supplier_id IS NULL AND roles <@ ARRAY['cluster_admin','economic_lead'])
     OR (org_kind = 'authority' AND authority_id IS NOT NULL AND supplier_id IS NULL
         AND roles <@ ARRAY['officer','treasurer','head','ceo','legal_adviser'])
     OR (org_kind = 'supplier'  AND supplier_id IS NOT NULL AND authority_id IS NULL AND roles <@ ARRAY['supplier']));
