-- +goose Up
-- fee_orders holds only orders that were sent (volume_orders.sent_at is
-- set), so a change to a row of volume_orders that was not sent before it
-- and is not sent after it changes nothing of the fee ledger: creating an
-- order and submitting it no longer run fee_ledger_sync at their commits.
DROP TRIGGER fee_ledger ON volume_orders;
CREATE CONSTRAINT TRIGGER fee_ledger_insert AFTER INSERT ON volume_orders
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.sent_at IS NOT NULL) EXECUTE FUNCTION fee_ledger_touch();
CREATE CONSTRAINT TRIGGER fee_ledger_update AFTER UPDATE ON volume_orders
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (OLD.sent_at IS NOT NULL OR NEW.sent_at IS NOT NULL)
    EXECUTE FUNCTION fee_ledger_touch();
CREATE CONSTRAINT TRIGGER fee_ledger_delete AFTER DELETE ON volume_orders
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (OLD.sent_at IS NOT NULL) EXECUTE FUNCTION fee_ledger_touch();

-- +goose Down
DROP TRIGGER fee_ledger_delete ON volume_orders;
DROP TRIGGER fee_ledger_update ON volume_orders;
DROP TRIGGER fee_ledger_insert ON volume_orders;
CREATE CONSTRAINT TRIGGER fee_ledger AFTER INSERT OR UPDATE OR DELETE ON volume_orders
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION fee_ledger_touch();
