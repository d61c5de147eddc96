-- +goose Up

-- Committed orders of all time by tender and authority: what ceilings and
-- allocations are used by (subtotal), and the all-time figures by tender or
-- authority, read from a few hundred rows.
CREATE TABLE volume_totals (
    tender_id    bigint NOT NULL,
    authority_id bigint NOT NULL,
    order_count  int NOT NULL DEFAULT 0 CHECK (order_count >= 0),
    subtotal     numeric(16,2) NOT NULL DEFAULT 0,
    vat          numeric(16,2) NOT NULL DEFAULT 0,
    total        numeric(16,2) NOT NULL DEFAULT 0,
    fee          numeric(16,2) NOT NULL DEFAULT 0,
    PRIMARY KEY (tender_id, authority_id)
);
INSERT INTO volume_totals (tender_id, authority_id, order_count, subtotal, vat, total, fee)
SELECT tender_id, authority_id, sum(order_count), sum(subtotal), sum(vat), sum(total), sum(fee)
FROM volume_rollups GROUP BY tender_id, authority_id;

-- Confirmations per calendar year (of the submission month), supplier and
-- whole hour: a year's median is found as the all-time one is.
CREATE TABLE volume_confirmation_year_hours (
    year        int NOT NULL,
    supplier_id bigint NOT NULL,
    hour        int NOT NULL,
    order_count int NOT NULL DEFAULT 0 CHECK (order_count >= 0),
    PRIMARY KEY (year, supplier_id, hour)
);
ALTER TABLE volume_confirmations ADD COLUMN year int GENERATED ALWAYS AS (extract(year FROM month)::int) STORED;
CREATE INDEX volume_confirmations_supplier_year_hour ON volume_confirmations (supplier_id, year, hour, seconds);
INSERT INTO volume_confirmation_year_hours (year, supplier_id, hour, order_count)
SELECT year, supplier_id, hour, count(*) FROM volume_confirmations GROUP BY 1, 2, 3;

-- +goose Down
DROP INDEX volume_confirmations_supplier_year_hour;
ALTER TABLE volume_confirmations DROP COLUMN year;
DROP TABLE volume_confirmation_year_hours;
DROP TABLE volume_totals;
