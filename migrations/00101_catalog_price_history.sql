-- +goose Up
-- An award's whole price history is paged in id order.
CREATE INDEX award_prices_award ON award_prices (award_id, id);

-- +goose Down
DROP INDEX award_prices_award;
