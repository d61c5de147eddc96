-- +goose Up
-- Receipt by the authority: a goods received note records, per order line,
-- what arrived against the supplier's delivery reports and in what
-- condition; a line short or damaged, or received otherwise than
-- delivered, opens a dispute that the supplier answers.
CREATE TABLE order_receipts (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id      bigint NOT NULL REFERENCES orders(id),
    delivery_note text NOT NULL CHECK (delivery_note <> '' AND length(delivery_note) <= 100),
    received_on   date NOT NULL,
    note          text NOT NULL DEFAULT '',
    recorded_by   bigint NOT NULL REFERENCES users(id),
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_receipts_order ON order_receipts (order_id, id);

-- quantity is what arrived of the line; condition good, damaged (what
-- arrived is not accepted) or short (fewer arrived than reported).
-- delivered is what the supplier's reports said of the line when the
-- receipt was recorded.
CREATE TABLE order_receipt_lines (
    receipt_id bigint NOT NULL REFERENCES order_receipts(id),
    line_id    bigint NOT NULL REFERENCES order_lines(id),
    quantity   numeric(12,3) NOT NULL CHECK (quantity >= 0),
    condition  text NOT NULL CHECK (condition IN ('good', 'damaged', 'short')),
    delivered  numeric(12,3) NOT NULL CHECK (delivered >= 0),
    -- disputed: the line was short or damaged, or what has arrived of it
    -- in all differs from what the supplier reported delivered.
    disputed   boolean NOT NULL DEFAULT false,
    note       text NOT NULL DEFAULT '',
    PRIMARY KEY (receipt_id, line_id)
);
CREATE INDEX order_receipt_lines_line ON order_receipt_lines (line_id);

-- A dispute opened by a receipt: open until the supplier accepts it
-- (a credit for what is short or damaged) or contests it with a note.
CREATE TABLE order_disputes (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id    bigint NOT NULL REFERENCES orders(id),
    receipt_id  bigint NOT NULL UNIQUE REFERENCES order_receipts(id),
    supplier_id bigint NOT NULL REFERENCES suppliers(id),
    status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'accepted', 'contested')),
    answer_note text NOT NULL DEFAULT '',
    answered_by bigint REFERENCES users(id),
    answered_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'open') = (answered_at IS NULL)),
    CHECK (status <> 'contested' OR answer_note <> '')
);
CREATE INDEX order_disputes_order ON order_disputes (order_id);
CREATE INDEX order_disputes_supplier ON order_disputes (supplier_id, created_at);

-- Short closing: what was not delivered of each line when the order was
-- closed short, and why. The ordered quantities stay; the order's amounts
-- become those of what was delivered, so the capacity triggers release the
-- rest from the ceiling, the allocation and the budget line.
ALTER TABLE order_lines ADD COLUMN closed_quantity numeric(12,3) NOT NULL DEFAULT 0
    CHECK (closed_quantity >= 0 AND delivered + closed_quantity <= quantity);
ALTER TABLE orders ADD COLUMN close_reason text NOT NULL DEFAULT ''
        CHECK (close_reason IN ('', 'agreed_with_supplier', 'supplier_cannot_deliver', 'no_longer_needed')),
    ADD COLUMN close_note text NOT NULL DEFAULT '';

CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON order_receipts FOR EACH ROW EXECUTE FUNCTION audit_row();
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON order_receipt_lines FOR EACH ROW EXECUTE FUNCTION audit_row('receipt_id', 'line_id');
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON order_disputes FOR EACH ROW EXECUTE FUNCTION audit_row();

-- +goose Down
ALTER TABLE orders DROP COLUMN close_note, DROP COLUMN close_reason;
ALTER TABLE order_lines DROP COLUMN closed_quantity;
DROP TABLE order_disputes;
DROP TABLE order_receipt_lines;
DROP TABLE order_receipts;
