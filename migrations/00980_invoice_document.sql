-- +goose Up
-- The PDF of a tax invoice: a document of the invoice's own order. The key
-- names documents' UNIQUE (id, owner_kind, owner_id) with the constant
-- owner kind 'order' and the invoice's order, so that no invoice ever
-- carries a document of another order or of another kind of owner. That
-- the document is a PDF a supplier may see (not internal) the service
-- checks in the invoice's transaction; documents never change, so the
-- check holds. A PDF is the file of one invoice only.
ALTER TABLE invoices
    ADD COLUMN document_id bigint,
    ADD COLUMN document_owner_kind text GENERATED ALWAYS AS ('order') STORED,
    ADD CONSTRAINT invoices_document_fkey FOREIGN KEY (document_id, document_owner_kind, order_id)
        REFERENCES documents (id, owner_kind, owner_id);
CREATE UNIQUE INDEX invoices_document ON invoices (document_id) WHERE document_id IS NOT NULL;

-- +goose Down
DROP INDEX invoices_document;
ALTER TABLE invoices DROP CONSTRAINT invoices_document_fkey,
    DROP COLUMN document_owner_kind, DROP COLUMN document_id;
