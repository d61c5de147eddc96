-- +goose Up

-- The orders awaiting confirmation, with what the overdue figures need, so
-- that they are read from the index alone.
DROP INDEX volume_orders_awaiting;
CREATE INDEX volume_orders_awaiting ON volume_orders (confirm_by) INCLUDE (order_id, tender_id, authority_id, supplier_id)
    WHERE status = 'sent';

-- +goose Down
DROP INDEX volume_orders_awaiting;
CREATE INDEX volume_orders_awaiting ON volume_orders (confirm_by) WHERE status = 'sent';
