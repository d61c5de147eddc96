-- +goose Up
-- A budget line may be named in Arabic and in English beside the Hebrew;
-- NULL when not given (pages then show the Hebrew, as name_in does).
ALTER TABLE budget_lines
    ADD COLUMN name_ar text CHECK (name_ar <> ''),
    ADD COLUMN name_en text CHECK (name_en <> '');

-- +goose Down
ALTER TABLE budget_lines DROP COLUMN name_en, DROP COLUMN name_ar;
