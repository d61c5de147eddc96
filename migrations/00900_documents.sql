-- +goose Up
-- Documents: files that belong to one object of the service (an order, a
-- tender, a supplier, a mini-competition, a work-plan task). A document is
-- never changed nor deleted; a new version is a new document that names
-- the one it replaces. The metadata is audited; the bytes live in a table
-- of their own, so that listing and auditing never read them.
CREATE TABLE documents (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The owner's kind; a later kind (an invoice, a receipt) is added by
    -- replacing this constraint in a migration.
    owner_kind   text NOT NULL CONSTRAINT documents_owner_kind_check
        CHECK (owner_kind IN ('order', 'tender', 'supplier', 'competition', 'workplan_task')),
    owner_id     bigint NOT NULL CHECK (owner_id > 0),
    -- The authority the owner belongs to (an order's, a competition's),
    -- so that the audit trail is the authority's; NULL for the cluster's
    -- and the suppliers' objects.
    authority_id bigint REFERENCES authorities(id),
    file_name    text NOT NULL CHECK (file_name <> '' AND length(file_name) <= 255),
    content_type text NOT NULL CHECK (content_type <> ''),
    size         bigint NOT NULL CHECK (size > 0 AND size <= 20971520),
    sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    uploaded_by  bigint NOT NULL REFERENCES users(id),
    uploaded_at  timestamptz NOT NULL DEFAULT now(),
    -- replaces is the earlier version of this document, of the same owner;
    -- a version is replaced at most once, so that versions form one line.
    replaces     bigint,
    UNIQUE (id, owner_kind, owner_id),
    CONSTRAINT documents_replaces_key UNIQUE (replaces),
    CONSTRAINT documents_replaces_fkey FOREIGN KEY (replaces, owner_kind, owner_id)
        REFERENCES documents (id, owner_kind, owner_id)
);
CREATE INDEX documents_owner ON documents (owner_kind, owner_id, id);

CREATE TABLE document_contents (
    document_id bigint PRIMARY KEY REFERENCES documents(id),
    content     bytea NOT NULL
);

-- document_owner_exists says whether the owner of a document exists; a
-- migration that adds a kind of owner replaces it.
CREATE FUNCTION document_owner_exists(kind text, id bigint) RETURNS boolean
    LANGUAGE sql STABLE AS $$
    SELECT CASE kind
        WHEN 'order' THEN EXISTS (SELECT 1 FROM orders o WHERE o.id = document_owner_exists.id)
        WHEN 'tender' THEN EXISTS (SELECT 1 FROM tenders t WHERE t.id = document_owner_exists.id)
        WHEN 'supplier' THEN EXISTS (SELECT 1 FROM suppliers s WHERE s.id = document_owner_exists.id)
        WHEN 'competition' THEN EXISTS (SELECT 1 FROM competitions c WHERE c.id = document_owner_exists.id)
        WHEN 'workplan_task' THEN EXISTS (SELECT 1 FROM workplan_tasks w WHERE w.id = document_owner_exists.id)
        ELSE false
    END
$$;

-- +goose StatementBegin
CREATE FUNCTION documents_owner_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT document_owner_exists(NEW.owner_kind, NEW.owner_id) THEN
        RAISE EXCEPTION 'document owner % % does not exist', NEW.owner_kind, NEW.owner_id
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'documents_owner_fkey';
    END IF;
    RETURN NEW;
END $$;
-- +goose StatementEnd

CREATE TRIGGER documents_owner_check BEFORE INSERT ON documents
    FOR EACH ROW EXECUTE FUNCTION documents_owner_check();
CREATE TRIGGER documents_append_only BEFORE UPDATE OR DELETE ON documents
    FOR EACH ROW EXECUTE FUNCTION append_only();
CREATE TRIGGER document_contents_append_only BEFORE UPDATE OR DELETE ON document_contents
    FOR EACH ROW EXECUTE FUNCTION append_only();
CREATE TRIGGER audit AFTER INSERT OR UPDATE OR DELETE ON documents
    FOR EACH ROW EXECUTE FUNCTION audit_row();

-- +goose Down
DROP TABLE document_contents;
DROP TABLE documents;
DROP FUNCTION documents_owner_check();
DROP FUNCTION document_owner_exists(text, bigint);
