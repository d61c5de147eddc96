-- +goose Up

-- What each order contributes to the figures now, as the last transition
-- recorded it. A transition subtracts the recorded contribution and adds
-- the new one, so the rollups are always the sum over these rows. Figures
-- never scan this table; the fee statement reads one supplier's month of
-- it, and the overdue figures read the orders awaiting confirmation.
CREATE TABLE volume_orders (
    order_id     bigint PRIMARY KEY,
    status       text NOT NULL,
    tender_id    bigint NOT NULL,
    authority_id bigint NOT NULL,
    supplier_id  bigint NOT NULL,
    category     text NOT NULL,
    -- The first day of the submission month; null before submission.
    month        date CHECK (month = date_trunc('month', month)::date),
    subtotal     numeric(14,2) NOT NULL,
    vat          numeric(14,2) NOT NULL,
    total        numeric(14,2) NOT NULL,
    fee          numeric(14,2) NOT NULL,
    sent_at      timestamptz,
    confirm_by   date,
    updated_at   timestamptz NOT NULL
);
CREATE INDEX volume_orders_supplier_month ON volume_orders (supplier_id, month);
CREATE INDEX volume_orders_awaiting ON volume_orders (confirm_by) WHERE status = 'sent';

-- Committed orders (pending_approval through closed) summed by tender,
-- authority, supplier, category and submission month, with the supplier
-- performance counters of the orders of that key (whatever their status).
CREATE TABLE volume_rollups (
    tender_id             bigint NOT NULL,
    authority_id          bigint NOT NULL,
    supplier_id           bigint NOT NULL,
    category              text NOT NULL,
    month                 date NOT NULL,
    order_count           int NOT NULL DEFAULT 0 CHECK (order_count >= 0),
    subtotal              numeric(16,2) NOT NULL DEFAULT 0,
    vat                   numeric(16,2) NOT NULL DEFAULT 0,
    total                 numeric(16,2) NOT NULL DEFAULT 0,
    fee                   numeric(16,2) NOT NULL DEFAULT 0,
    -- Orders the supplier confirmed, and of them those confirmed no later
    -- than the confirmation deadline.
    confirmed             int NOT NULL DEFAULT 0 CHECK (confirmed >= 0),
    confirmed_in_window   int NOT NULL DEFAULT 0 CHECK (confirmed_in_window >= 0),
    rejected              int NOT NULL DEFAULT 0 CHECK (rejected >= 0),
    -- Orders fully delivered, and of them those delivered no later than the
    -- promised date.
    delivered             int NOT NULL DEFAULT 0 CHECK (delivered >= 0),
    delivered_by_promised int NOT NULL DEFAULT 0 CHECK (delivered_by_promised >= 0),
    PRIMARY KEY (tender_id, authority_id, supplier_id, category, month)
);
CREATE INDEX volume_rollups_month ON volume_rollups (month);
CREATE INDEX volume_rollups_authority ON volume_rollups (authority_id, month);
CREATE INDEX volume_rollups_supplier ON volume_rollups (supplier_id, month);

-- Orders by current status (drafts included), for "orders in handling".
CREATE TABLE volume_status_counts (
    tender_id    bigint NOT NULL,
    authority_id bigint NOT NULL,
    supplier_id  bigint NOT NULL,
    status       text NOT NULL,
    order_count  int NOT NULL DEFAULT 0 CHECK (order_count >= 0),
    PRIMARY KEY (tender_id, authority_id, supplier_id, status)
);

-- One row per confirmed order: how long the supplier took, in whole
-- seconds from sending to confirmation.
CREATE TABLE volume_confirmations (
    order_id     bigint PRIMARY KEY,
    tender_id    bigint NOT NULL,
    authority_id bigint NOT NULL,
    supplier_id  bigint NOT NULL,
    month        date NOT NULL,
    seconds      bigint NOT NULL CHECK (seconds >= 0),
    hour         int GENERATED ALWAYS AS ((seconds / 3600)::int) STORED
);
CREATE INDEX volume_confirmations_supplier_hour ON volume_confirmations (supplier_id, hour, seconds);

-- Confirmations per supplier and whole hour, so that a supplier's median is
-- found by walking at most a few hundred counts and then one hour's rows.
CREATE TABLE volume_confirmation_hours (
    supplier_id bigint NOT NULL,
    hour        int NOT NULL,
    order_count int NOT NULL DEFAULT 0 CHECK (order_count >= 0),
    PRIMARY KEY (supplier_id, hour)
);

-- +goose Down
DROP TABLE volume_confirmation_hours;
DROP TABLE volume_confirmations;
DROP TABLE volume_status_counts;
DROP TABLE volume_rollups;
DROP TABLE volume_orders;
