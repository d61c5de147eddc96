-- +goose Up
-- A ceiling, an allocation or a budget line may not be lowered below what
-- orders already reserve (the states pending_approval through closed).
-- The guards run under the row lock the UPDATE takes, the same lock a
-- submission takes, so a reservation and a cut never interleave. They
-- raise SQLSTATE MDR01, which the service reports as a 409 with this
-- message.

-- +goose StatementBegin
CREATE FUNCTION guard_budget_line_amount() RETURNS trigger LANGUAGE plpgsql AS $$
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

-- +goose StatementBegin
CREATE FUNCTION guard_tender_ceiling() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE FUNCTION guard_tender_allocation() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE TRIGGER budget_lines_guard BEFORE UPDATE OF amount ON budget_lines
    FOR EACH ROW EXECUTE FUNCTION guard_budget_line_amount();
CREATE TRIGGER tenders_ceiling_guard BEFORE UPDATE OF ceiling ON tenders
    FOR EACH ROW EXECUTE FUNCTION guard_tender_ceiling();
CREATE TRIGGER tender_authorities_guard BEFORE INSERT OR UPDATE OF allocation ON tender_authorities
    FOR EACH ROW EXECUTE FUNCTION guard_tender_allocation();

-- +goose Down
DROP TRIGGER tender_authorities_guard ON tender_authorities;
DROP TRIGGER tenders_ceiling_guard ON tenders;
DROP TRIGGER budget_lines_guard ON budget_lines;
DROP FUNCTION guard_tender_allocation();
DROP FUNCTION guard_tender_ceiling();
DROP FUNCTION guard_budget_line_amount();
