-- +goose Up
-- Invoices a supplier submits against an order, matched to what the
-- authority received and to the order's prices (three-way match).

-- An authority that asks for an allocation number (מספר הקצאה) on tax
-- invoices above the threshold, and the tolerance per unit it accepts
-- between an invoiced price and the order's.
ALTER TABLE authorities ADD COLUMN requires_allocation_number boolean NOT NULL DEFAULT true,
    ADD COLUMN invoice_price_tolerance numeric(20,2) NOT NULL DEFAULT 0 CHECK (invoice_price_tolerance >= 0);

CREATE TABLE invoices (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id          bigint NOT NULL REFERENCES orders(id),
    supplier_id       bigint NOT NULL REFERENCES suppliers(id),
    number            text NOT NULL CHECK (number <> '' AND length(number) <= 50),
    issued_on         date NOT NULL,
    subtotal          numeric(20,2) NOT NULL CHECK (subtotal >= 0),
    vat               numeric(20,2) NOT NULL CHECK (vat >= 0),
    total             numeric(20,2) NOT NULL CHECK (total = subtotal + vat),
    allocation_number text NOT NULL DEFAULT '' CHECK (allocation_number = '' OR allocation_number ~ '^[0-9]{9}$'),
    -- matched, in_dispute (reasons name each line that does not match),
    -- approved for payment by the authority.
    status            text NOT NULL CHECK (status IN ('matched', 'in_dispute', 'approved')),
    reasons           jsonb NOT NULL DEFAULT '[]',
    note              text NOT NULL DEFAULT '',
    submitted_by      bigint NOT NULL REFERENCES users(id),
    created_at        timestamptz NOT NULL DEFAULT now(),
    approved_by       bigint REFERENCES users(id),
    approved_at       timestamptz,
    UNIQUE (supplier_id, number),
    CHECK ((status = 'approved') = (approved_at IS NOT NULL))
);
CREATE INDEX invoices_order ON invoices (order_id, id);
CREATE INDEX invoices_supplier_issued ON invoices (supplier_id, issued_on);

CREATE TABLE invoice_lines (
    invoice_id bigint NOT NULL REFERENCES invoices(id),
    line_id    bigint NOT NULL REFERENCES order_lines(id),
    quantity   numeric(12,3) NOT NULL CHECK (quantity > 0),
    unit_price numeric(20,2) NOT NULL CHECK (unit_price >= 0),
    line_total numeric(20,2) NOT NULL CHECK (line_total >= 0),
    PRIMARY KEY (invoice_id, line_id)
);
CREATE INDEX invoice_lines_line ON invoice_lines (line_id);

CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON invoices FOR EACH ROW EXECUTE FUNCTION audit_row();
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON invoice_lines FOR EACH ROW EXECUTE FUNCTION audit_row('invoice_id', 'line_id');

-- +goose Down
DROP TABLE invoice_lines;
DROP TABLE invoices;
ALTER TABLE authorities DROP COLUMN invoice_price_tolerance, DROP COLUMN requires_allocation_number;
