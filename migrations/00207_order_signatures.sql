-- +goose Up
-- Every order binds the authority only when both the treasurer and the head
-- have signed it (§203 of the Municipalities Ordinance, §193 of the local
-- councils order), whatever its total. Each slot (order_signatures.role) is
-- filled by its holder or by a delegate of the holder; a delegate's
-- signature names the delegation and the holder it signs for. The
-- treasurer's slot records the budget line as the signer saw it: its
-- amount, what the reserving orders held (this one included), and what was
-- left before and after this order.
ALTER TABLE order_signatures
    ADD COLUMN capacity           text NOT NULL DEFAULT 'holder' CHECK (capacity IN ('holder', 'delegate')),
    ADD COLUMN delegation_id      bigint REFERENCES signature_delegations(id),
    ADD COLUMN on_behalf_of       bigint REFERENCES users(id),
    ADD COLUMN budget_amount      numeric(14,2),
    ADD COLUMN budget_held        numeric(14,2),
    ADD COLUMN budget_left_before numeric(14,2),
    ADD COLUMN budget_left_after  numeric(14,2);

ALTER TABLE order_signatures ADD CONSTRAINT order_signatures_delegate_named
    CHECK ((capacity = 'delegate') = (delegation_id IS NOT NULL AND on_behalf_of IS NOT NULL));

-- Signatures given before the figures were recorded keep none; every new
-- treasurer's signature carries them.
ALTER TABLE order_signatures ADD CONSTRAINT order_signatures_budget_seen
    CHECK (role <> 'treasurer' OR (budget_amount IS NOT NULL AND budget_held IS NOT NULL
        AND budget_left_before IS NOT NULL AND budget_left_after IS NOT NULL)) NOT VALID;

-- Both slots, always; the orders awaiting signatures under the former
-- threshold now await the head's too.
ALTER TABLE orders ALTER COLUMN signatures_required SET DEFAULT '{treasurer,head}';
UPDATE orders SET signatures_required = '{treasurer,head}' WHERE status = 'pending_approval';

-- The inbox lists the pending orders of an authority, oldest first.
CREATE INDEX orders_awaiting_signature ON orders (authority_id, submitted_at) WHERE status = 'pending_approval';

-- +goose Down
DROP INDEX orders_awaiting_signature;
ALTER TABLE orders ALTER COLUMN signatures_required SET DEFAULT '{}';
ALTER TABLE order_signatures DROP CONSTRAINT order_signatures_budget_seen;
ALTER TABLE order_signatures DROP CONSTRAINT order_signatures_delegate_named;
ALTER TABLE order_signatures
    DROP COLUMN budget_left_after,
    DROP COLUMN budget_left_before,
    DROP COLUMN budget_held,
    DROP COLUMN budget_amount,
    DROP COLUMN on_behalf_of,
    DROP COLUMN delegation_id,
    DROP COLUMN capacity;
