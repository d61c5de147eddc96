-- +goose Up
CREATE TABLE tenders (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    number            text NOT NULL UNIQUE CHECK (number <> ''),
    title             text NOT NULL CHECK (title <> ''),
    category          text NOT NULL CHECK (category <> ''),
    description       text NOT NULL DEFAULT '',
    valid_from        date NOT NULL,
    valid_until       date NOT NULL,
    extended_until    date,
    status            text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'suspended', 'closed')),
    ceiling           numeric(14,2) CHECK (ceiling > 0),
    fee_percent       numeric(5,2) NOT NULL DEFAULT 0 CHECK (fee_percent BETWEEN 0 AND 100),
    award_rule        text NOT NULL CHECK (award_rule IN ('single', 'choice', 'rotation', 'competition')),
    confirmation_days int NOT NULL DEFAULT 3 CHECK (confirmation_days BETWEEN 1 AND 60),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CHECK (valid_until >= valid_from),
    CHECK (extended_until IS NULL OR extended_until > valid_until)
);
CREATE INDEX tenders_category ON tenders (category);

CREATE TABLE tender_authorities (
    tender_id    bigint NOT NULL REFERENCES tenders(id),
    authority_id bigint NOT NULL REFERENCES authorities(id),
    allocation   numeric(14,2) CHECK (allocation > 0),
    PRIMARY KEY (tender_id, authority_id)
);
CREATE INDEX tender_authorities_authority ON tender_authorities (authority_id, tender_id);

CREATE TABLE tender_items (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tender_id  bigint NOT NULL REFERENCES tenders(id),
    sku        text NOT NULL CHECK (sku <> ''),
    name       text NOT NULL CHECK (name <> ''),
    unit       text NOT NULL CHECK (unit <> ''),
    max_price  numeric(14,2) CHECK (max_price > 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tender_id, sku)
);
-- Catalog search matches substrings of item names (ILIKE '%q%').
CREATE INDEX tender_items_name_trgm ON tender_items USING gin (name gin_trgm_ops);

CREATE TABLE awards (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tender_id   bigint NOT NULL REFERENCES tenders(id),
    supplier_id bigint NOT NULL REFERENCES suppliers(id),
    status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'terminated')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (tender_id, supplier_id)
);
CREATE INDEX awards_supplier ON awards (supplier_id, tender_id);

CREATE TABLE award_prices (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    award_id   bigint NOT NULL REFERENCES awards(id),
    item_id    bigint NOT NULL REFERENCES tender_items(id),
    price      numeric(14,2) NOT NULL CHECK (price > 0),
    valid_from date NOT NULL,
    reason     text NOT NULL CHECK (reason IN ('initial', 'price_update', 'index_linkage', 'vat_change', 'correction')),
    created_at timestamptz NOT NULL DEFAULT now()
);
-- The price in force: the latest valid_from on or before a day, the latest
-- row winning between two of the same day.
CREATE INDEX award_prices_in_force ON award_prices (award_id, item_id, valid_from DESC, id DESC);
CREATE INDEX award_prices_item ON award_prices (item_id);

-- A price belongs to an item of its award's tender and never exceeds the
-- item's maximum; prices are history and are never rewritten.
-- +goose StatementBegin
CREATE FUNCTION award_prices_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    item_tender bigint;
    item_max    numeric;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        RAISE EXCEPTION 'award prices are never rewritten' USING ERRCODE = 'check_violation', COLUMN = 'price';
    END IF;
    SELECT i.tender_id, i.max_price INTO item_tender, item_max FROM tender_items i WHERE i.id = NEW.item_id;
    IF item_tender IS DISTINCT FROM (SELECT a.tender_id FROM awards a WHERE a.id = NEW.award_id) THEN
        RAISE EXCEPTION 'the item is not in the award''s tender' USING ERRCODE = 'check_violation', COLUMN = 'item_id';
    END IF;
    IF item_max IS NOT NULL AND NEW.price > item_max THEN
        RAISE EXCEPTION 'the price is above the item''s maximum' USING ERRCODE = 'check_violation', COLUMN = 'price';
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd
CREATE TRIGGER award_prices_check BEFORE INSERT OR UPDATE OR DELETE ON award_prices
    FOR EACH ROW EXECUTE FUNCTION award_prices_check();

-- +goose Down
DROP TABLE award_prices;
DROP FUNCTION award_prices_check();
DROP TABLE awards;
DROP TABLE tender_items;
DROP TABLE tender_authorities;
DROP TABLE tenders;
