-- +goose Up
-- An internal document is the authority's or the cluster's own paper about
-- an object a supplier also sees (the committee's memo, a budget
-- approval): a supplier never lists nor opens it. Documents are
-- append-only, so the flag is given at upload; all the versions of a
-- document have one visibility, so a new version takes the flag of the
-- version it replaces.
ALTER TABLE documents ADD COLUMN internal boolean NOT NULL DEFAULT false;

-- +goose Down
-- Without the flag every document is the supplier's to see: rolling back
-- while internal documents exist would show them, so it is refused.
-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM documents WHERE internal) THEN
        RAISE EXCEPTION 'internal documents exist: rolling back would show them to suppliers';
    END IF;
END
$$;
-- +goose StatementEnd
ALTER TABLE documents DROP COLUMN internal;
