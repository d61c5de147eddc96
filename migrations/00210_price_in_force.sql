-- +goose Up
-- The price in force, stated once in SQL as catalog.PriceInForce states it
-- in Go: the price supplier offers for item on day is that of the
-- supplier's award in the item's tender whose valid_from is the latest on
-- or before day, the latest entry winning between two of the same day;
-- null when the supplier has no award in the tender or no price started
-- by day. It does not look at the award's or the tender's status.
-- +goose StatementBegin
CREATE FUNCTION price_in_force(item bigint, supplier bigint, day date) RETURNS numeric
    LANGUAGE sql STABLE STRICT PARALLEL SAFE AS $$
    SELECT p.price
    FROM tender_items i
    JOIN awards a ON a.tender_id = i.tender_id AND a.supplier_id = supplier
    JOIN award_prices p ON p.award_id = a.id AND p.item_id = i.id
    WHERE i.id = item AND p.valid_from <= day
    ORDER BY p.valid_from DESC, p.id DESC
    LIMIT 1
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION price_in_force(bigint, bigint, date);
