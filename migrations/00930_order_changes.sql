-- +goose Up
-- Change requests (amendments) of an order after it was sent: new
-- quantities, added or removed lines, a new delivery date or address, with
-- a reason. An order keeps its number and counts its revisions: the
-- original is revision 1, each accepted change makes the next. A change
-- carries every line of the order as it was (the base revision) and as the
-- change would make it, so that every revision's lines and amounts are kept
-- (revision r >= 2 is the accepted change of that revision, revision 1 the
-- base of the first) and shown side by side.
ALTER TABLE orders ADD COLUMN revision int NOT NULL DEFAULT 1 CHECK (revision > 0);

-- A change is open while it awaits signatures or the supplier
-- (order_change_open). While open it holds, on the order's tender ceiling,
-- allocation and budget line, what it raises the order's amounts by
-- (held_subtotal, held_total; zero for a change that lowers them); the
-- hold ends when the change is accepted (the order's own amounts then
-- carry the new figures), declined, withdrawn, or lapses with the order
-- leaving the statuses a change is made from.
CREATE TABLE order_changes (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id             bigint NOT NULL REFERENCES orders(id),
    authority_id         bigint NOT NULL REFERENCES authorities(id),
    tender_id            bigint NOT NULL REFERENCES tenders(id),
    budget_line_id       bigint NOT NULL REFERENCES budget_lines(id),
    base_revision        int NOT NULL CHECK (base_revision > 0),
    revision             int NOT NULL CHECK (revision = base_revision + 1),
    status               text NOT NULL CHECK (status IN ('pending_signature', 'pending_supplier', 'accepted', 'declined',
                             'withdrawn', 'lapsed')),
    reason               text NOT NULL CHECK (btrim(reason) <> ''),
    old_delivery_address text NOT NULL,
    delivery_address     text NOT NULL,
    old_requested_date   date,
    requested_date       date,
    old_subtotal         numeric(20,2) NOT NULL,
    old_vat              numeric(20,2) NOT NULL,
    old_total            numeric(20,2) NOT NULL,
    old_fee              numeric(20,2) NOT NULL,
    subtotal             numeric(20,2) NOT NULL CHECK (subtotal >= 0),
    vat_rate             numeric(5,2) NOT NULL,
    vat                  numeric(20,2) NOT NULL CHECK (vat >= 0),
    total                numeric(20,2) NOT NULL CHECK (total >= 0),
    fee_percent          numeric(5,2) NOT NULL,
    fee                  numeric(20,2) NOT NULL CHECK (fee >= 0),
    held_subtotal        numeric(20,2) NOT NULL CHECK (held_subtotal >= 0),
    held_total           numeric(20,2) NOT NULL CHECK (held_total >= 0),
    signatures_required  text[] NOT NULL DEFAULT '{}',
    respond_by           date,
    decline_reason       text NOT NULL DEFAULT '',
    proposed_by          bigint NOT NULL REFERENCES users(id),
    created_at           timestamptz NOT NULL DEFAULT now(),
    sent_at              timestamptz,
    decided_at           timestamptz,
    decided_by           bigint REFERENCES users(id),
    CHECK (total = subtotal + vat),
    CHECK (held_subtotal = greatest(subtotal - old_subtotal, 0) AND held_total = greatest(total - old_total, 0))
);
-- One open change per order at a time; one change per revision.
CREATE UNIQUE INDEX order_changes_open ON order_changes (order_id) WHERE status IN ('pending_signature', 'pending_supplier');
CREATE UNIQUE INDEX order_changes_accepted ON order_changes (order_id, revision) WHERE status = 'accepted';
CREATE INDEX order_changes_order ON order_changes (order_id, id);

CREATE FUNCTION order_change_open(status text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN status IN ('pending_signature', 'pending_supplier');

-- Every line of the order as the base revision has it (line_id, the old
-- figures) and as the change makes it: quantity 0 removes a line, a line
-- without line_id or old_quantity is added.
CREATE TABLE order_change_lines (
    change_id      bigint NOT NULL REFERENCES order_changes(id),
    line_no        int NOT NULL CHECK (line_no > 0),
    line_id        bigint,
    item_id        bigint NOT NULL REFERENCES tender_items(id),
    sku            text NOT NULL,
    name           text NOT NULL,
    unit           text NOT NULL,
    old_quantity   numeric(12,3),
    quantity       numeric(12,3) NOT NULL CHECK (quantity >= 0 AND quantity <= 1000000),
    delivered      numeric(12,3) NOT NULL DEFAULT 0 CHECK (delivered >= 0 AND delivered <= quantity),
    unit_price     numeric(14,2) NOT NULL CHECK (unit_price >= 0),
    old_line_total numeric(14,2),
    line_total     numeric(14,2) NOT NULL CHECK (line_total >= 0),
    PRIMARY KEY (change_id, line_no),
    UNIQUE (change_id, item_id),
    CHECK ((line_id IS NULL) = (old_quantity IS NULL) AND (old_quantity IS NULL) = (old_line_total IS NULL))
);

-- The signatures of a change that raises the order's total: the order's
-- slots, once each, a user once.
CREATE TABLE order_change_signatures (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    change_id         bigint NOT NULL REFERENCES order_changes(id),
    authority_id      bigint NOT NULL REFERENCES authorities(id),
    slot              text NOT NULL CHECK (slot IN ('treasurer', 'head')),
    user_id           bigint NOT NULL REFERENCES users(id),
    capacity          text NOT NULL CHECK (capacity IN ('holder', 'delegate')),
    delegation_id     bigint REFERENCES signature_delegations(id),
    on_behalf_of      bigint REFERENCES users(id),
    check_legal       boolean NOT NULL DEFAULT false,
    check_budget_line boolean NOT NULL DEFAULT false,
    check_no_deficit  boolean NOT NULL DEFAULT false,
    -- The budget line as the treasurer saw it when signing: its amount,
    -- what is held (the change's increase included) and what is left
    -- before and after the increase.
    budget_amount      numeric(14,2),
    budget_held        numeric(14,2),
    budget_left_before numeric(14,2),
    budget_left_after  numeric(14,2),
    signed_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (change_id, slot),
    UNIQUE (change_id, user_id),
    CHECK (slot <> 'treasurer' OR (check_legal AND check_budget_line AND check_no_deficit
        AND budget_amount IS NOT NULL AND budget_held IS NOT NULL AND budget_left_before IS NOT NULL AND budget_left_after IS NOT NULL))
);

-- capacity_hold_shift adds amounts (negative: takes them away) to the rows
-- of a tender, an allocation and a budget line, in the order every
-- submission and trigger takes them (tender, allocation, budget line),
-- without counting an order.
-- +goose StatementBegin
CREATE FUNCTION capacity_hold_shift(tender bigint, authority bigint, budget_line bigint, sub numeric, tot numeric)
    RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    k record;
BEGIN
    FOR k IN SELECT * FROM (VALUES (1, 'tender', tender, 0::bigint), (2, 'allocation', tender, authority),
            (3, 'budget_line', budget_line, 0::bigint)) AS c(rank, kind, id, authority_id)
        ORDER BY c.rank
    LOOP
        UPDATE capacity_holds SET subtotal = subtotal + sub, total = total + tot
        WHERE kind = k.kind AND id = k.id AND authority_id = k.authority_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'capacity hold % % % missing', k.kind, k.id, k.authority_id;
        END IF;
    END LOOP;
END $$;
-- +goose StatementEnd

-- An open change's hold follows its status; its held amounts and
-- capacities never change while it is open.
-- +goose StatementBegin
CREATE FUNCTION order_change_holds() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was boolean := TG_OP = 'UPDATE' AND order_change_open(OLD.status);
    now boolean := order_change_open(NEW.status);
BEGIN
    IF was AND now AND (OLD.held_subtotal, OLD.held_total, OLD.tender_id, OLD.authority_id, OLD.budget_line_id)
            IS DISTINCT FROM (NEW.held_subtotal, NEW.held_total, NEW.tender_id, NEW.authority_id, NEW.budget_line_id) THEN
        RAISE EXCEPTION 'an open change''s hold is fixed' USING ERRCODE = 'check_violation';
    END IF;
    IF was AND NOT now AND (OLD.held_subtotal > 0 OR OLD.held_total > 0) THEN
        PERFORM capacity_hold_shift(OLD.tender_id, OLD.authority_id, OLD.budget_line_id, -OLD.held_subtotal, -OLD.held_total);
    ELSIF now AND NOT was AND (NEW.held_subtotal > 0 OR NEW.held_total > 0) THEN
        PERFORM capacity_hold_shift(NEW.tender_id, NEW.authority_id, NEW.budget_line_id, NEW.held_subtotal, NEW.held_total);
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER order_changes_holds AFTER INSERT OR UPDATE ON order_changes
    FOR EACH ROW EXECUTE FUNCTION order_change_holds();

-- An order that leaves the statuses a change is made from (delivered in
-- full, closed, rejected, cancelled) lapses its open change, which
-- releases what the change held, in the statement that moved the order.
-- +goose StatementBegin
CREATE FUNCTION order_changes_lapse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE order_changes SET status = 'lapsed', decided_at = now()
    WHERE order_id = NEW.id AND order_change_open(status);
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER orders_changes_lapse AFTER UPDATE OF status ON orders FOR EACH ROW
    WHEN (NEW.status NOT IN ('sent', 'confirmed', 'partially_delivered') AND OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION order_changes_lapse();

-- +goose StatementBegin
DO $$
DECLARE
    t record;
BEGIN
    FOR t IN SELECT * FROM (VALUES ('order_changes', ''), ('order_change_lines', 'change_id,line_no'),
        ('order_change_signatures', '')) AS v(name, keys) LOOP
        EXECUTE format('CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON %I FOR EACH ROW EXECUTE FUNCTION audit_row(%s)',
            t.name, (SELECT coalesce(string_agg(quote_literal(k), ', '), '') FROM unnest(string_to_array(nullif(t.keys, ''), ',')) AS k));
    END LOOP;
END $$;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER orders_changes_lapse ON orders;
DROP FUNCTION order_changes_lapse();
DROP TABLE order_change_signatures;
DROP TABLE order_change_lines;
DROP TABLE order_changes;
DROP FUNCTION order_change_holds();
DROP FUNCTION capacity_hold_shift(bigint, bigint, bigint, numeric, numeric);
DROP FUNCTION order_change_open(text);
ALTER TABLE orders DROP COLUMN revision;
