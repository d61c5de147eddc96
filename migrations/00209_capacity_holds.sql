-- +goose Up
-- What the reserving orders (order_status_reserves) hold on each capacity,
-- kept on one row per capacity so that a submission and the guards read
-- one row instead of summing the orders: a tender's ceiling ('tender', the
-- tender's id), an authority's allocation on a tender ('allocation', the
-- tender's id and the authority's) and a budget line ('budget_line', the
-- line's id). Each row holds the reserving orders' subtotals (what a
-- ceiling and an allocation count), their totals incl. VAT (what a budget
-- line counts) and their number.
--
-- The rows are changed only by the triggers on orders below, in the
-- statement that changes an order's status, amounts or capacities, so no
-- path can forget them. A row exists for every tender, participation and
-- budget line (made when that row is inserted), so that a submission can
-- lock it; it is locked after the order, tender, tender authority and
-- budget line rows, in the order tender, allocation, budget line, by a
-- submission and by every trigger that changes it.
CREATE TABLE capacity_holds (
    kind         text NOT NULL CHECK (kind IN ('tender', 'allocation', 'budget_line')),
    id           bigint NOT NULL,
    authority_id bigint NOT NULL DEFAULT 0,
    subtotal     numeric(20,2) NOT NULL DEFAULT 0 CHECK (subtotal >= 0),
    total        numeric(20,2) NOT NULL DEFAULT 0 CHECK (total >= 0),
    orders       int NOT NULL DEFAULT 0 CHECK (orders >= 0),
    PRIMARY KEY (kind, id, authority_id),
    CHECK ((kind = 'allocation') = (authority_id <> 0))
);

-- capacity_hold_move adds one order's amounts to the rows of its three
-- capacities (n = 1) or takes them away (n = -1), tender first, then the
-- allocation, then the budget line (none while the order has no line).
-- +goose StatementBegin
CREATE FUNCTION capacity_hold_move(tender bigint, authority bigint, budget_line bigint, sub numeric, tot numeric, n int)
    RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    k record;
BEGIN
    FOR k IN SELECT * FROM (VALUES (1, 'tender', tender, 0::bigint), (2, 'allocation', tender, authority),
            (3, 'budget_line', budget_line, 0::bigint)) AS c(rank, kind, id, authority_id)
        WHERE c.id IS NOT NULL ORDER BY c.rank
    LOOP
        IF n > 0 THEN
            INSERT INTO capacity_holds AS h (kind, id, authority_id, subtotal, total, orders)
            VALUES (k.kind, k.id, k.authority_id, sub, tot, 1)
            ON CONFLICT (kind, id, authority_id) DO UPDATE
                SET subtotal = h.subtotal + EXCLUDED.subtotal, total = h.total + EXCLUDED.total, orders = h.orders + 1;
        ELSE
            UPDATE capacity_holds SET subtotal = subtotal - sub, total = total - tot, orders = orders - 1
            WHERE kind = k.kind AND id = k.id AND authority_id = k.authority_id;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'capacity hold % % % missing', k.kind, k.id, k.authority_id;
            END IF;
        END IF;
    END LOOP;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION capacity_holds_order_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND order_status_reserves(OLD.status) THEN
        PERFORM capacity_hold_move(OLD.tender_id, OLD.authority_id, OLD.budget_line_id, OLD.subtotal, OLD.total, -1);
    END IF;
    IF TG_OP = 'UPDATE' AND order_status_reserves(NEW.status) THEN
        PERFORM capacity_hold_move(NEW.tender_id, NEW.authority_id, NEW.budget_line_id, NEW.subtotal, NEW.total, 1);
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- Inserted orders are summed per capacity in one statement, so that a bulk
-- load adds each capacity's share once.
-- +goose StatementBegin
CREATE FUNCTION capacity_holds_orders_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO capacity_holds AS h (kind, id, authority_id, subtotal, total, orders)
    SELECT c.kind, c.id, c.authority_id, sum(o.subtotal), sum(o.total), count(*)
    FROM inserted_orders o
    CROSS JOIN LATERAL (VALUES (1, 'tender', o.tender_id, 0::bigint), (2, 'allocation', o.tender_id, o.authority_id),
        (3, 'budget_line', o.budget_line_id, 0::bigint)) AS c(rank, kind, id, authority_id)
    WHERE order_status_reserves(o.status) AND c.id IS NOT NULL
    GROUP BY c.rank, c.kind, c.id, c.authority_id
    ORDER BY c.rank, c.id, c.authority_id
    ON CONFLICT (kind, id, authority_id) DO UPDATE
        SET subtotal = h.subtotal + EXCLUDED.subtotal, total = h.total + EXCLUDED.total, orders = h.orders + EXCLUDED.orders;
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER orders_capacity_holds_inserted AFTER INSERT ON orders
    REFERENCING NEW TABLE AS inserted_orders FOR EACH STATEMENT EXECUTE FUNCTION capacity_holds_orders_inserted();
-- An update moves the order's amounts only when it enters or leaves the
-- reserving set, or changes the amounts or capacities of a reserving order.
CREATE TRIGGER orders_capacity_holds_updated AFTER UPDATE ON orders FOR EACH ROW
    WHEN (order_status_reserves(OLD.status) IS DISTINCT FROM order_status_reserves(NEW.status)
        OR (order_status_reserves(NEW.status) AND (OLD.subtotal, OLD.total, OLD.tender_id, OLD.authority_id, OLD.budget_line_id)
            IS DISTINCT FROM (NEW.subtotal, NEW.total, NEW.tender_id, NEW.authority_id, NEW.budget_line_id)))
    EXECUTE FUNCTION capacity_holds_order_changed();
CREATE TRIGGER orders_capacity_holds_deleted AFTER DELETE ON orders FOR EACH ROW
    WHEN (order_status_reserves(OLD.status)) EXECUTE FUNCTION capacity_holds_order_changed();

-- A capacity's row is made with the row that carries the capacity (an
-- authority that rejoins a tender finds its allocation's row as it was).
-- +goose StatementBegin
CREATE FUNCTION capacity_holds_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'tender_authorities' THEN
        INSERT INTO capacity_holds (kind, id, authority_id) VALUES ('allocation', NEW.tender_id, NEW.authority_id)
        ON CONFLICT DO NOTHING;
    ELSE
        INSERT INTO capacity_holds (kind, id, authority_id) VALUES (TG_ARGV[0], NEW.id, 0)
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd

CREATE TRIGGER tenders_capacity_hold AFTER INSERT ON tenders
    FOR EACH ROW EXECUTE FUNCTION capacity_holds_row('tender');
CREATE TRIGGER tender_authorities_capacity_hold AFTER INSERT ON tender_authorities
    FOR EACH ROW EXECUTE FUNCTION capacity_holds_row('allocation');
CREATE TRIGGER budget_lines_capacity_hold AFTER INSERT ON budget_lines
    FOR EACH ROW EXECUTE FUNCTION capacity_holds_row('budget_line');

INSERT INTO capacity_holds (kind, id, authority_id)
SELECT 'tender', id, 0 FROM tenders
UNION ALL SELECT 'allocation', tender_id, authority_id FROM tender_authorities
UNION ALL SELECT 'budget_line', id, 0 FROM budget_lines;

INSERT INTO capacity_holds AS h (kind, id, authority_id, subtotal, total, orders)
SELECT c.kind, c.id, c.authority_id, sum(o.subtotal), sum(o.total), count(*)
FROM orders o
CROSS JOIN LATERAL (VALUES ('tender', o.tender_id, 0::bigint), ('allocation', o.tender_id, o.authority_id),
    ('budget_line', o.budget_line_id, 0::bigint)) AS c(kind, id, authority_id)
WHERE order_status_reserves(o.status) AND c.id IS NOT NULL
GROUP BY 1, 2, 3
ON CONFLICT (kind, id, authority_id) DO UPDATE
    SET subtotal = EXCLUDED.subtotal, total = EXCLUDED.total, orders = EXCLUDED.orders;

-- The guards read the held amounts from the capacity's row. They run under
-- the row lock of the capacity they change, which a submission holds while
-- it adds to the row, so a cut never misses a reservation in flight.

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION guard_budget_line_amount() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    reserved numeric;
BEGIN
    SELECT coalesce(max(total), 0) INTO reserved FROM capacity_holds
    WHERE kind = 'budget_line' AND id = NEW.id AND authority_id = 0;
    IF NEW.amount < reserved THEN
        RAISE EXCEPTION USING ERRCODE = 'MDR01', MESSAGE = 'capacity.budget_line_below_reserved',
            DETAIL = to_char(reserved, 'FM999999999990.00');
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION guard_tender_ceiling() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    reserved numeric;
BEGIN
    IF NEW.ceiling IS NULL THEN
        RETURN NEW;
    END IF;
    SELECT coalesce(max(subtotal), 0) INTO reserved FROM capacity_holds
    WHERE kind = 'tender' AND id = NEW.id AND authority_id = 0;
    IF NEW.ceiling < reserved THEN
        RAISE EXCEPTION USING ERRCODE = 'MDR01', MESSAGE = 'capacity.ceiling_below_reserved',
            DETAIL = to_char(reserved, 'FM999999999990.00');
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION guard_tender_allocation() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    reserved numeric;
BEGIN
    IF NEW.allocation IS NULL THEN
        RETURN NEW;
    END IF;
    SELECT coalesce(max(subtotal), 0) INTO reserved FROM capacity_holds
    WHERE kind = 'allocation' AND id = NEW.tender_id AND authority_id = NEW.authority_id;
    IF NEW.allocation < reserved THEN
        RAISE EXCEPTION USING ERRCODE = 'MDR01', MESSAGE = 'capacity.allocation_below_reserved',
            DETAIL = to_char(reserved, 'FM999999999990.00');
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION guard_participation_removed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    reserving int;
BEGIN
    IF EXISTS (SELECT 1 FROM tender_authorities WHERE tender_id = OLD.tender_id AND authority_id = OLD.authority_id) THEN
        RETURN NULL;
    END IF;
    SELECT coalesce(max(orders), 0) INTO reserving FROM capacity_holds
    WHERE kind = 'allocation' AND id = OLD.tender_id AND authority_id = OLD.authority_id;
    IF reserving > 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'MDR01', MESSAGE = 'capacity.participation_reserved',
            DETAIL = reserving::text;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION guard_budget_line_amount() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    reserved numeric;
BEGIN
    SELECT coalesce(sum(total), 0) INTO reserved FROM orders
    WHERE budget_line_id = NEW.id AND order_status_reserves(status);
    IF NEW.amount < reserved THEN
        RAISE EXCEPTION USING ERRCODE = 'MDR01', MESSAGE = 'capacity.budget_line_below_reserved',
            DETAIL = to_char(reserved, 'FM999999999990.00');
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION guard_tender_ceiling() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    reserved numeric;
BEGIN
    IF NEW.ceiling IS NULL THEN
        RETURN NEW;
    END IF;
    SELECT coalesce(sum(subtotal), 0) INTO reserved FROM orders
    WHERE tender_id = NEW.id AND order_status_reserves(status);
    IF NEW.ceiling < reserved THEN
        RAISE EXCEPTION USING ERRCODE = 'MDR01', MESSAGE = 'capacity.ceiling_below_reserved',
            DETAIL = to_char(reserved, 'FM999999999990.00');
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION guard_tender_allocation() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    reserved numeric;
BEGIN
    IF NEW.allocation IS NULL THEN
        RETURN NEW;
    END IF;
    SELECT coalesce(sum(subtotal), 0) INTO reserved FROM orders
    WHERE tender_id = NEW.tender_id AND authority_id = NEW.authority_id AND order_status_reserves(status);
    IF NEW.allocation < reserved THEN
        RAISE EXCEPTION USING ERRCODE = 'MDR01', MESSAGE = 'capacity.allocation_below_reserved',
            DETAIL = to_char(reserved, 'FM999999999990.00');
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION guard_participation_removed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    reserving int;
BEGIN
    IF EXISTS (SELECT 1 FROM tender_authorities WHERE tender_id = OLD.tender_id AND authority_id = OLD.authority_id) THEN
        RETURN NULL;
    END IF;
    SELECT count(*) INTO reserving FROM orders
    WHERE tender_id = OLD.tender_id AND authority_id = OLD.authority_id AND order_status_reserves(status);
    IF reserving > 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'MDR01', MESSAGE = 'capacity.participation_reserved',
            DETAIL = reserving::text;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd

DROP TRIGGER budget_lines_capacity_hold ON budget_lines;
DROP TRIGGER tender_authorities_capacity_hold ON tender_authorities;
DROP TRIGGER tenders_capacity_hold ON tenders;
DROP FUNCTION capacity_holds_row();
DROP TRIGGER orders_capacity_holds_deleted ON orders;
DROP TRIGGER orders_capacity_holds_updated ON orders;
DROP TRIGGER orders_capacity_holds_inserted ON orders;
DROP FUNCTION capacity_holds_orders_inserted();
DROP FUNCTION capacity_holds_order_changed();
DROP FUNCTION capacity_hold_move(bigint, bigint, bigint, numeric, numeric, int);
DROP TABLE capacity_holds;
