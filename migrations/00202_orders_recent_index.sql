-- +goose Up
-- The dashboard lists the most recently changed orders past draft; without
-- this index it sorts the whole orders table.
CREATE INDEX orders_recent ON orders (updated_at DESC, id DESC) WHERE status <> 'draft';

-- +goose Down
DROP INDEX orders_recent;
