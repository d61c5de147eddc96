-- +goose Up

-- VAT is effective-dated: the rate of a day is the row with the latest
-- valid_from on or before it.
CREATE TABLE vat_rates (
    valid_from date PRIMARY KEY,
    rate       numeric(5,2) NOT NULL CHECK (rate >= 0 AND rate < 100)
);
INSERT INTO vat_rates (valid_from, rate) VALUES ('2015-10-01', 17.00), ('2025-01-01', 18.00);

-- Order numbers run per authority and year without gaps: the creating
-- transaction locks and increments its counter row, so a number is taken
-- only when the order is committed.
CREATE TABLE order_counters (
    authority_id bigint NOT NULL REFERENCES authorities(id),
    year         int NOT NULL CHECK (year BETWEEN 2000 AND 2100),
    last         int NOT NULL CHECK (last >= 0),
    PRIMARY KEY (authority_id, year)
);

CREATE TABLE orders (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    authority_id         bigint NOT NULL REFERENCES authorities(id),
    year                 int NOT NULL,
    seq                  int NOT NULL CHECK (seq > 0),
    number               text NOT NULL,
    tender_id            bigint NOT NULL REFERENCES tenders(id),
    supplier_id          bigint NOT NULL REFERENCES suppliers(id),
    budget_line_id       bigint NOT NULL REFERENCES budget_lines(id),
    status               text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'pending_approval', 'sent', 'confirmed',
                             'partially_delivered', 'delivered', 'closed', 'rejected', 'cancelled')),
    -- version is the ETag: every change increments it.
    version              int NOT NULL DEFAULT 1 CHECK (version > 0),
    delivery_address     text NOT NULL DEFAULT '',
    requested_date       date,
    notes                text NOT NULL DEFAULT '',
    -- A rotation tender's proposal at the last submission (or creation),
    -- and the officer's written justification when another supplier was
    -- chosen.
    proposed_supplier_id bigint REFERENCES suppliers(id),
    justification        text NOT NULL DEFAULT '',
    -- Money: estimates while draft, fixed at submission (prices, VAT rate
    -- and fee percent of the submission date).
    subtotal             numeric(14,2) NOT NULL DEFAULT 0 CHECK (subtotal >= 0),
    vat_rate             numeric(5,2) NOT NULL DEFAULT 0,
    vat                  numeric(14,2) NOT NULL DEFAULT 0 CHECK (vat >= 0),
    total                numeric(14,2) NOT NULL DEFAULT 0 CHECK (total >= 0),
    fee_percent          numeric(5,2) NOT NULL DEFAULT 0,
    fee                  numeric(14,2) NOT NULL DEFAULT 0 CHECK (fee >= 0),
    -- submission counts signatures: a return to draft voids the round's
    -- signatures, the next submit starts a new round.
    submission           int NOT NULL DEFAULT 0,
    submitted_on         date,
    submitted_at         timestamptz,
    signatures_required  text[] NOT NULL DEFAULT '{}',
    sent_at              timestamptz,
    confirm_by           date,
    confirmed_at         timestamptz,
    promised_on          date,
    delivered_at         timestamptz,
    closed_at            timestamptz,
    invoice_ref          text NOT NULL DEFAULT '',
    reject_reason        text NOT NULL DEFAULT '',
    cancel_reason        text NOT NULL DEFAULT '',
    cancel_note          text NOT NULL DEFAULT '',
    return_note          text NOT NULL DEFAULT '',
    created_by           bigint NOT NULL REFERENCES users(id),
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    UNIQUE (authority_id, number),
    UNIQUE (authority_id, year, seq),
    CHECK (total = subtotal + vat)
);
CREATE INDEX orders_tender ON orders (tender_id, status);
CREATE INDEX orders_supplier ON orders (supplier_id, status);
CREATE INDEX orders_budget_line ON orders (budget_line_id, status);
CREATE INDEX orders_authority ON orders (authority_id, id);
CREATE INDEX orders_overdue ON orders (confirm_by) WHERE status = 'sent';

CREATE TABLE order_lines (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id   bigint NOT NULL REFERENCES orders(id),
    line_no    int NOT NULL CHECK (line_no > 0),
    item_id    bigint NOT NULL REFERENCES tender_items(id),
    sku        text NOT NULL,
    name       text NOT NULL,
    unit       text NOT NULL,
    quantity   numeric(12,3) NOT NULL CHECK (quantity > 0 AND quantity <= 1000000),
    unit_price numeric(14,2) NOT NULL CHECK (unit_price >= 0),
    line_total numeric(14,2) NOT NULL CHECK (line_total >= 0),
    delivered  numeric(12,3) NOT NULL DEFAULT 0 CHECK (delivered >= 0 AND delivered <= quantity),
    UNIQUE (order_id, line_no),
    UNIQUE (order_id, item_id)
);

-- Signatures of one submission round; a user signs once per round, a role
-- is signed once per round.
CREATE TABLE order_signatures (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id    bigint NOT NULL REFERENCES orders(id),
    submission  int NOT NULL,
    role        text NOT NULL CHECK (role IN ('treasurer', 'head')),
    user_id     bigint NOT NULL REFERENCES users(id),
    signed_at   timestamptz NOT NULL DEFAULT now(),
    -- The treasurer's three checks (legality, budget line, no deficit).
    check_legal       boolean NOT NULL DEFAULT false,
    check_budget_line boolean NOT NULL DEFAULT false,
    check_no_deficit  boolean NOT NULL DEFAULT false,
    UNIQUE (order_id, submission, role),
    UNIQUE (order_id, submission, user_id),
    CHECK (role <> 'treasurer' OR (check_legal AND check_budget_line AND check_no_deficit))
);

-- Every transition (and every edit, signature and delivery report) is an
-- event; events are never changed or deleted.
CREATE TABLE order_events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id    bigint NOT NULL REFERENCES orders(id),
    at          timestamptz NOT NULL DEFAULT now(),
    actor_id    bigint REFERENCES users(id),
    action      text NOT NULL,
    from_status text NOT NULL,
    to_status   text NOT NULL,
    note        text NOT NULL DEFAULT '',
    data        jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX order_events_order ON order_events (order_id, id);

-- +goose StatementBegin
CREATE FUNCTION order_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'order events are append-only' USING ERRCODE = 'check_violation';
END $$;
-- +goose StatementEnd
CREATE TRIGGER order_events_append_only BEFORE UPDATE OR DELETE ON order_events
    FOR EACH ROW EXECUTE FUNCTION order_events_append_only();

-- Delivery reports per line.
CREATE TABLE order_deliveries (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id     bigint NOT NULL REFERENCES orders(id),
    line_id      bigint NOT NULL REFERENCES order_lines(id),
    quantity     numeric(12,3) NOT NULL CHECK (quantity > 0),
    delivered_on date NOT NULL,
    reported_by  bigint NOT NULL REFERENCES users(id),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_deliveries_order ON order_deliveries (order_id);

-- Idempotency keys of POST /orders: the first answer (an order or a
-- refusal) is kept and replayed.
CREATE TABLE idempotency_keys (
    user_id      bigint NOT NULL REFERENCES users(id),
    key          text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    request_hash bytea NOT NULL,
    order_id     bigint REFERENCES orders(id),
    answer       jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, key)
);

-- Transactional outbox of e-mails, written in the transaction of the
-- transition that causes them, drained by the sender.
CREATE TABLE mail_outbox (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id        bigint REFERENCES orders(id),
    kind            text NOT NULL,
    recipient       text NOT NULL,
    lang            text NOT NULL DEFAULT 'he' CHECK (lang IN ('he', 'ar', 'en')),
    subject         text NOT NULL,
    body            text NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'dead')),
    attempts        int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE status = 'pending';

-- +goose Down
DROP TABLE mail_outbox;
DROP TABLE idempotency_keys;
DROP TABLE order_deliveries;
DROP TABLE order_events;
DROP FUNCTION order_events_append_only();
DROP TABLE order_signatures;
DROP TABLE order_lines;
DROP TABLE orders;
DROP TABLE order_counters;
DROP TABLE vat_rates;
