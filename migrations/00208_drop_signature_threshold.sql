-- +goose Up
-- Every order needs both signatures whatever its total, so an authority
-- has no signature threshold; nothing reads the column any more.
ALTER TABLE authorities DROP COLUMN signature_threshold;

-- +goose Down
ALTER TABLE authorities ADD COLUMN signature_threshold numeric(14,2) NOT NULL DEFAULT 0 CHECK (signature_threshold >= 0);
COMMENT ON COLUMN authorities.signature_threshold IS 'unused; to be dropped';
