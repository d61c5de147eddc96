-- +goose Up
-- Monthly fee statements the cluster issues to a supplier, and the one
-- basis every fee figure counts an order on.

-- fee_orders is each committed order sent to its supplier — never one
-- still awaiting signatures — counted by what the supplier invoiced of it
-- (its matched and approved invoices) or, before any invoice, by what was
-- sent, with the fee at the order's percent rounded to agorot, half away
-- from zero (PostgreSQL's round of numeric), as orders.Percent computes
-- it. The fee accrual and the fee statements both read it. An aggregate
-- over it reads the ledger with one index probe of the invoices per order:
-- the join to orders (left, on its key) drops out when its columns are not
-- read, and an order's percent is read only when it has invoices.
CREATE VIEW fee_orders AS
SELECT v.order_id, o.number, o.submitted_on, v.status, v.tender_id, v.authority_id, v.supplier_id, v.month, o.fee_percent,
    coalesce(i.subtotal, v.subtotal) AS subtotal,
    CASE WHEN i.subtotal IS NULL THEN 'sent' ELSE 'invoiced' END AS basis,
    coalesce(i.fee, v.fee) AS fee
FROM volume_orders v
LEFT JOIN orders o ON o.id = v.order_id
LEFT JOIN LATERAL (SELECT sum(subtotal) AS subtotal,
        CASE WHEN count(*) > 0 THEN round(sum(subtotal) * (SELECT p.fee_percent FROM orders p WHERE p.id = v.order_id) / 100, 2) END AS fee
    FROM invoices WHERE order_id = v.order_id AND status IN ('matched', 'approved')) i ON true
WHERE order_status_committed(v.status) AND v.sent_at IS NOT NULL;

-- The last number given to a statement of each month: statements are
-- numbered YYYY-MM/NNNN, the month they cover and a running sequence
-- within that month, from 0001.
CREATE TABLE fee_statement_numbers (
    month date PRIMARY KEY CHECK (month = date_trunc('month', month)::date),
    last  int NOT NULL CHECK (last > 0)
);

-- An issued statement holds its figures, its supplier's names and its
-- lines (fee_statement_lines) as they were issued: a later invoice,
-- transition or rename changes the live statement, never this one.
-- A supplier's month has one original statement (supplements_id null).
-- What changes in the month's live statement after it was issued — an
-- order sent later, an invoice that lowers or raises an order's basis, a
-- cancellation — is billed by supplements, each naming the month's
-- original (supplements_id) and billing, order by order, the difference
-- between the live statement and what the month's earlier statements
-- billed, so that the month's statements together bill its live
-- statement as it stood when the last was issued. A supplement's lines
-- and total may be negative: a credit to the supplier.
-- paid_on is the day the supplier paid (or, for a credit, was settled), as
-- the cluster records it with the payment's reference.
CREATE TABLE fee_statements (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number            text NOT NULL UNIQUE CHECK (number ~ '^[0-9]{4}-[0-9]{2}/[0-9]{4,}$'),
    supplier_id       bigint NOT NULL REFERENCES suppliers(id),
    supplier_name     text NOT NULL,
    company_number    text NOT NULL,
    month             date NOT NULL CHECK (month = date_trunc('month', month)::date),
    supplements_id    bigint,
    order_count       int NOT NULL CHECK (order_count > 0),
    subtotal          numeric(20,2) NOT NULL,
    fee               numeric(20,2) NOT NULL,
    issued_by         bigint NOT NULL REFERENCES users(id),
    issued_at         timestamptz NOT NULL DEFAULT now(),
    paid_on           date,
    payment_reference text CHECK (length(payment_reference) BETWEEN 1 AND 100),
    paid_by           bigint REFERENCES users(id),
    paid_at           timestamptz,
    version           int NOT NULL DEFAULT 1,
    UNIQUE (id, supplier_id, month),
    -- A supplement supplements a statement of its own supplier and month.
    FOREIGN KEY (supplements_id, supplier_id, month) REFERENCES fee_statements (id, supplier_id, month),
    CHECK (supplements_id <> id),
    CHECK (supplements_id IS NOT NULL OR (subtotal >= 0 AND fee >= 0)),
    CHECK ((paid_on IS NULL) = (paid_at IS NULL) AND (paid_on IS NULL) = (paid_by IS NULL)
        AND (paid_on IS NULL) = (payment_reference IS NULL))
);
-- One original a supplier and month.
CREATE UNIQUE INDEX fee_statements_original ON fee_statements (supplier_id, month) WHERE supplements_id IS NULL;
CREATE INDEX fee_statements_supplier ON fee_statements (supplier_id, month);
CREATE INDEX fee_statements_month ON fee_statements (month, number);

-- The orders of an issued statement, each as fee_orders counted it then
-- (on a supplement, the difference from what the month's earlier
-- statements billed of it; basis 'withdrawn' for an order no longer on
-- the live statement, credited what was billed of it), with its
-- authority's names in every language as they were then.
CREATE TABLE fee_statement_lines (
    statement_id      bigint NOT NULL REFERENCES fee_statements(id),
    order_id          bigint NOT NULL REFERENCES orders(id),
    order_number      text NOT NULL,
    submitted_on      date NOT NULL,
    status            text NOT NULL,
    authority_id      bigint NOT NULL REFERENCES authorities(id),
    authority_name_he text NOT NULL,
    authority_name_ar text NOT NULL,
    authority_name_en text NOT NULL,
    tender_id         bigint NOT NULL REFERENCES tenders(id),
    tender_number     text NOT NULL,
    subtotal          numeric(20,2) NOT NULL,
    basis             text NOT NULL CHECK (basis IN ('sent', 'invoiced', 'withdrawn')),
    fee_percent       numeric(5,2) NOT NULL,
    fee               numeric(20,2) NOT NULL,
    PRIMARY KEY (statement_id, order_id)
);

CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON fee_statements FOR EACH ROW EXECUTE FUNCTION audit_row();
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON fee_statement_lines FOR EACH ROW EXECUTE FUNCTION audit_row('statement_id', 'order_id');

-- fee_ledger is fee_orders kept, one row an order, and fee_rollups its sums
-- by month, supplier, tender and authority, so that the fee accrual reads a
-- few rows whatever the number of orders. fee_ledger_sync brings an order's
-- row and its rollup to what fee_orders says of it; it runs from deferred
-- triggers on the volumes' ledger and on the invoices, at commit, after
-- every other lock of the transaction (an order's transaction holds its
-- order's row): a rollup row is always the last lock a transaction takes,
-- so it never waits in a cycle with a transition's rollups.
CREATE TABLE fee_ledger (
    order_id     bigint PRIMARY KEY,
    month        date NOT NULL,
    supplier_id  bigint NOT NULL,
    tender_id    bigint NOT NULL,
    authority_id bigint NOT NULL,
    subtotal     numeric(20,2) NOT NULL,
    fee          numeric(20,2) NOT NULL
);

CREATE TABLE fee_rollups (
    month        date NOT NULL,
    supplier_id  bigint NOT NULL,
    tender_id    bigint NOT NULL,
    authority_id bigint NOT NULL,
    order_count  int NOT NULL CHECK (order_count >= 0),
    subtotal     numeric(20,2) NOT NULL,
    fee          numeric(20,2) NOT NULL,
    PRIMARY KEY (month, supplier_id, tender_id, authority_id)
);
CREATE INDEX fee_rollups_supplier ON fee_rollups (supplier_id, month);
CREATE INDEX fee_rollups_authority ON fee_rollups (authority_id, month);

-- The backfill and the triggers below see the same orders and invoices:
-- until this migration commits, nobody else writes what fee_orders reads
-- (a write committed between the backfill and the triggers would be in
-- neither).
LOCK TABLE volume_orders, invoices IN SHARE ROW EXCLUSIVE MODE;
INSERT INTO fee_ledger (order_id, month, supplier_id, tender_id, authority_id, subtotal, fee)
SELECT order_id, month, supplier_id, tender_id, authority_id, subtotal, fee FROM fee_orders;
INSERT INTO fee_rollups (month, supplier_id, tender_id, authority_id, order_count, subtotal, fee)
SELECT month, supplier_id, tender_id, authority_id, count(*), sum(subtotal), sum(fee)
FROM fee_ledger GROUP BY 1, 2, 3, 4;

-- +goose StatementBegin
CREATE FUNCTION fee_ledger_sync(id bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    kept fee_ledger;
    want fee_ledger;
    had boolean;
    has boolean;
BEGIN
    SELECT * INTO kept FROM fee_ledger l WHERE l.order_id = id;
    had := FOUND;
    SELECT f.order_id, f.month, f.supplier_id, f.tender_id, f.authority_id, f.subtotal, f.fee
        INTO want FROM fee_orders f WHERE f.order_id = id;
    has := FOUND;
    IF had = has AND (NOT had OR kept = want) THEN
        RETURN;
    END IF;
    IF had THEN
        UPDATE fee_rollups r SET order_count = r.order_count - 1, subtotal = r.subtotal - kept.subtotal, fee = r.fee - kept.fee
        WHERE (r.month, r.supplier_id, r.tender_id, r.authority_id) = (kept.month, kept.supplier_id, kept.tender_id, kept.authority_id);
        DELETE FROM fee_ledger l WHERE l.order_id = id;
    END IF;
    IF has THEN
        INSERT INTO fee_rollups AS r (month, supplier_id, tender_id, authority_id, order_count, subtotal, fee)
        VALUES (want.month, want.supplier_id, want.tender_id, want.authority_id, 1, want.subtotal, want.fee)
        ON CONFLICT (month, supplier_id, tender_id, authority_id) DO UPDATE
            SET order_count = r.order_count + 1, subtotal = r.subtotal + EXCLUDED.subtotal, fee = r.fee + EXCLUDED.fee;
        INSERT INTO fee_ledger VALUES (want.*);
    END IF;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION fee_ledger_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM fee_ledger_sync(OLD.order_id);
    ELSE
        PERFORM fee_ledger_sync(NEW.order_id);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE CONSTRAINT TRIGGER fee_ledger AFTER INSERT OR UPDATE OR DELETE ON volume_orders
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION fee_ledger_touch();
CREATE CONSTRAINT TRIGGER fee_ledger AFTER INSERT OR UPDATE OR DELETE ON invoices
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION fee_ledger_touch();

-- +goose Down
DROP TRIGGER fee_ledger ON invoices;
DROP TRIGGER fee_ledger ON volume_orders;
DROP FUNCTION fee_ledger_touch();
DROP FUNCTION fee_ledger_sync(bigint);
DROP TABLE fee_rollups;
DROP TABLE fee_ledger;
DROP TABLE fee_statement_lines;
DROP TABLE fee_statements;
DROP TABLE fee_statement_numbers;
DROP VIEW fee_orders;
