-- +goose Up
-- The rules that queries, guards and rollups share, each stated once in
-- SQL (and once in Go: internal/orderstatus, catalog.Tender.OpenOn,
-- authorities.Authority.Name). They are immutable, so that the planner
-- inlines them and indexes may use them.

CREATE FUNCTION order_status_reserves(status text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN status IN ('pending_approval', 'sent', 'confirmed', 'partially_delivered', 'delivered', 'closed');

CREATE FUNCTION order_status_committed(status text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN order_status_reserves(status);

CREATE FUNCTION order_status_in_handling(status text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN status IN ('pending_approval', 'sent', 'confirmed', 'partially_delivered');

-- A tender takes orders on day: it is active and day is within its
-- validity (with its extension).
CREATE FUNCTION tender_takes_orders(status text, valid_from date, valid_until date, extended_until date, day date)
    RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN status = 'active' AND valid_from <= day AND coalesce(extended_until, valid_until) >= day;

-- An authority's (or any trilingual) name in lang, the Hebrew when lang's
-- is not given.
CREATE FUNCTION name_in(lang text, he text, ar text, en text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN lang = 'ar' AND ar <> '' THEN ar WHEN lang = 'en' AND en <> '' THEN en ELSE he END;

-- The capacity guards name their refusal by message key (MESSAGE) with its
-- argument (DETAIL), which the service translates.

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

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION guard_participation_removed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    reserving int;
BEGIN
    IF EXISTS (SELECT 1 FROM tender_authorities WHERE tender_id = OLD.tender_id AND authority_id = OLD.authority_id) THEN
        RETURN NULL;
    END IF;
    SELECT count(*) INTO reserving FROM orders
    WHERE tender_id = OLD.tender_id AND authority_id = OLD.authority_id
      AND status IN ('pending_approval', 'sent', 'confirmed', 'partially_delivered', 'delivered', 'closed');
    IF reserving > 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'MDR01',
            MESSAGE = format('the authority cannot leave the tender: %s of its orders there reserve capacity', reserving);
    END IF;
    RETURN NULL;
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
    WHERE tender_id = NEW.tender_id AND authority_id = NEW.authority_id
      AND status IN ('pending_approval', 'sent', 'confirmed', 'partially_delivered', 'delivered', 'closed');
    IF NEW.allocation < reserved THEN
        RAISE EXCEPTION USING ERRCODE = 'MDR01',
            MESSAGE = format('the allocation cannot be below the %s already reserved by orders', to_char(reserved, 'FM999999999990.00'));
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
    WHERE tender_id = NEW.id
      AND status IN ('pending_approval', 'sent', 'confirmed', 'partially_delivered', 'delivered', 'closed');
    IF NEW.ceiling < reserved THEN
        RAISE EXCEPTION USING ERRCODE = 'MDR01',
            MESSAGE = format('the ceiling cannot be below the %s already reserved by orders', to_char(reserved, 'FM999999999990.00'));
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION guard_budget_line_amount() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    reserved numeric;
BEGIN
    SELECT coalesce(sum(total), 0) INTO reserved FROM orders
    WHERE budget_line_id = NEW.id
      AND status IN ('pending_approval', 'sent', 'confirmed', 'partially_delivered', 'delivered', 'closed');
    IF NEW.amount < reserved THEN
        RAISE EXCEPTION USING ERRCODE = 'MDR01',
            MESSAGE = format('the budget line amount cannot be below the %s already reserved by orders', to_char(reserved, 'FM999999999990.00'));
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd

DROP FUNCTION name_in(text, text, text, text);
DROP FUNCTION tender_takes_orders(text, date, date, date, date);
DROP FUNCTION order_status_in_handling(text);
DROP FUNCTION order_status_committed(text);
DROP FUNCTION order_status_reserves(text);
