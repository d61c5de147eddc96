-- +goose Up
-- Tenders, their categories and their items may be named in Arabic and in
-- English beside the Hebrew; NULL when not given (pages then show the
-- Hebrew, as name_in does).
ALTER TABLE tenders
    ADD COLUMN title_ar text CHECK (title_ar <> ''),
    ADD COLUMN title_en text CHECK (title_en <> ''),
    ADD COLUMN category_ar text CHECK (category_ar <> ''),
    ADD COLUMN category_en text CHECK (category_en <> '');
ALTER TABLE tender_items
    ADD COLUMN name_ar text CHECK (name_ar <> ''),
    ADD COLUMN name_en text CHECK (name_en <> '');

-- Search finds an item by any of its names.
DROP INDEX tender_items_search_key_trgm;
ALTER TABLE tender_items DROP COLUMN search_key;
ALTER TABLE tender_items ADD COLUMN search_key text GENERATED ALWAYS AS (
    catalog_search_key(name) || coalesce(' ' || catalog_search_key(name_ar), '') || coalesce(' ' || catalog_search_key(name_en), '')
) STORED;
CREATE INDEX tender_items_search_key_trgm ON tender_items USING gin (search_key gin_trgm_ops);

-- +goose Down
DROP INDEX tender_items_search_key_trgm;
ALTER TABLE tender_items DROP COLUMN search_key;
ALTER TABLE tender_items ADD COLUMN search_key text GENERATED ALWAYS AS (catalog_search_key(name)) STORED;
CREATE INDEX tender_items_search_key_trgm ON tender_items USING gin (search_key gin_trgm_ops);
ALTER TABLE tender_items DROP COLUMN name_en, DROP COLUMN name_ar;
ALTER TABLE tenders DROP COLUMN category_en, DROP COLUMN category_ar, DROP COLUMN title_en, DROP COLUMN title_ar;
