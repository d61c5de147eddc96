-- +goose Up
-- Catalog search filters item names with ILIKE '%q%'; a finer histogram lets
-- the planner tell a common three-letter piece (read items in id order and
-- stop at the page's end) from a rare one (read the trigram index).
ALTER TABLE tender_items ALTER COLUMN name SET STATISTICS 1000;

-- +goose Down
ALTER TABLE tender_items ALTER COLUMN name SET STATISTICS -1;
