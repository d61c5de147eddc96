-- +goose Up

-- The address an authority's orders are delivered to unless the officer
-- writes another; the order form offers it prefilled.
ALTER TABLE authorities ADD COLUMN default_delivery_address text NOT NULL DEFAULT ''
    CHECK (length(default_delivery_address) <= 500);

-- The budget line an authority charges a tender category to in a fiscal
-- year, set by its treasurer: the order form preselects it, and no line
-- otherwise. The line is the authority's own and of that year.
ALTER TABLE budget_lines ADD CONSTRAINT budget_lines_of_authority_year UNIQUE (id, authority_id, fiscal_year);
CREATE TABLE budget_line_defaults (
    authority_id   bigint NOT NULL REFERENCES authorities(id),
    fiscal_year    int NOT NULL,
    category       text NOT NULL CHECK (category <> ''),
    budget_line_id bigint NOT NULL,
    set_by         bigint REFERENCES users(id),
    set_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (authority_id, fiscal_year, category),
    FOREIGN KEY (budget_line_id, authority_id, fiscal_year) REFERENCES budget_lines (id, authority_id, fiscal_year)
);

-- A draft may have no budget line yet (and may be cancelled so); no order
-- is submitted without one.
ALTER TABLE orders ALTER COLUMN budget_line_id DROP NOT NULL;
ALTER TABLE orders ADD CONSTRAINT orders_budget_line_beyond_draft CHECK (status IN ('draft', 'cancelled') OR budget_line_id IS NOT NULL);

-- +goose Down
-- Lossy: a draft or cancelled order without a budget line is charged to a
-- line of its authority (the fiscal year's first by code) so that the
-- column can be required again; the Down fails if its authority has none.
ALTER TABLE orders DROP CONSTRAINT orders_budget_line_beyond_draft;
UPDATE orders o SET budget_line_id = (SELECT b.id FROM budget_lines b WHERE b.authority_id = o.authority_id
        ORDER BY b.fiscal_year = o.year DESC, b.fiscal_year DESC, b.code LIMIT 1)
    WHERE budget_line_id IS NULL;
ALTER TABLE orders ALTER COLUMN budget_line_id SET NOT NULL;
DROP TABLE budget_line_defaults;
ALTER TABLE budget_lines DROP CONSTRAINT budget_lines_of_authority_year;
ALTER TABLE authorities DROP COLUMN default_delivery_address;
