-- +goose Up
-- A change that raises its order's total awaits the authority's two
-- signatures until sign_by (changeSignDays business days from its
-- proposal); one not signed by then lapses like one its supplier did not
-- answer by respond_by, releasing what it held. Changes already awaiting
-- signatures are given two weeks from this migration, so that none lapses
-- on the day the lifetime begins.
ALTER TABLE order_changes ADD COLUMN sign_by date;
UPDATE order_changes SET sign_by = (now() AT TIME ZONE 'Asia/Jerusalem')::date + 14
    WHERE status = 'pending_signature';
ALTER TABLE order_changes ADD CONSTRAINT order_changes_sign_by_check
    CHECK (status <> 'pending_signature' OR sign_by IS NOT NULL);

-- +goose Down
ALTER TABLE order_changes DROP CONSTRAINT order_changes_sign_by_check;
ALTER TABLE order_changes DROP COLUMN sign_by;
