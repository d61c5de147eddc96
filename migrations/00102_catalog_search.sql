-- +goose Up
-- Catalog search compares texts in one normal form, its search key, written
-- once here for the indexed columns and once in Go (catalog.SearchKey) for
-- what people type; a test holds the two to the same table of words. The
-- key is lower case, without niqqud, tashkeel, tatweel or invisible
-- direction marks; Hebrew final letters are the plain ones (ך→כ, ם→מ, ן→נ,
-- ף→פ, ץ→צ), Arabic alef forms are ا, ة is ه and ى is ي, Arabic-Indic
-- digits are 0–9; a quote inside a word is dropped (מק"ט → מקט); every other
-- run of characters that is not a letter or a digit is one space; and
-- inside a Hebrew word ו and י are dropped (matres lectionis: כיסא → כסא),
-- the first letter of a word being kept.
CREATE FUNCTION catalog_search_key(t text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN btrim(regexp_replace(regexp_replace(regexp_replace(
        translate(translate(translate(
            regexp_replace(lower(t), '[\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7\u0610-\u061a\u0640\u064b-\u065f\u0670\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]', '', 'g'),
            'ךםןףץ', 'כמנפצ'),
            'أإآٱةى', 'ااااهي'),
            '٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹', '01234567890123456789'),
        '([0-9a-z\u00df-\u00f6\u00f8-\u024f\u05d0-\u05ea\u0620-\u064a\u066e-\u06d3\u06d5])["''`\u05f3\u05f4\u2018\u2019\u201c\u201d]+(?=[0-9a-z\u00df-\u00f6\u00f8-\u024f\u05d0-\u05ea\u0620-\u064a\u066e-\u06d3\u06d5])', '\1', 'g'),
        '[^0-9a-z\u00df-\u00f6\u00f8-\u024f\u05d0-\u05ea\u0620-\u064a\u066e-\u06d3\u06d5]+', ' ', 'g'),
        '([^ ])[וי]+', '\1', 'g'));

-- An item code in one form: its search key without spaces (MED-001,
-- med 001 and MED001 are all med001).
CREATE FUNCTION catalog_sku_key(sku text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN replace(catalog_search_key(sku), ' ', '');

ALTER TABLE tender_items
    ADD COLUMN sku_key text GENERATED ALWAYS AS (catalog_sku_key(sku)) STORED,
    ADD COLUMN search_key text GENERATED ALWAYS AS (catalog_search_key(name)) STORED;
-- Item codes are found by their start (MED-00 finds MED-001 to MED-009);
-- names by pieces of their words (LIKE) and by close spelling (pg_trgm's
-- word similarity, <%).
CREATE INDEX tender_items_sku_key ON tender_items (sku_key text_pattern_ops);
CREATE INDEX tender_items_search_key_trgm ON tender_items USING gin (search_key gin_trgm_ops);

-- +goose Down
DROP INDEX tender_items_search_key_trgm;
DROP INDEX tender_items_sku_key;
ALTER TABLE tender_items DROP COLUMN search_key, DROP COLUMN sku_key;
DROP FUNCTION catalog_sku_key(text);
DROP FUNCTION catalog_search_key(text);
