package documents

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/database"
)

// Store keeps and reads documents, on the pool or inside a caller's
// transaction. It decides nothing about who may see or add a document:
// its callers check the owner's scope first.
type Store struct {
	db database.Handle
}

// NewStore returns a Store over the pool db.
func NewStore(db *sqlx.DB) *Store { return &Store{db: database.Audited(db)} }

// InTx returns a Store that runs its statements in tx, so that a document
// is added with the caller's own change or not at all.
func (s *Store) InTx(tx *sqlx.Tx) *Store { return &Store{db: tx} }

// Check reads what Add would store for file: its cleaned name and its
// content type, read from the content. A file without a name or content
// is invalid ("file"), one over MaxSize too large, one that is none of
// the Accepted types invalid with the list of those, and so is one whose
// name claims another accepted type than its content is (a PNG called
// .pdf). A name without a known extension is given its type's.
func Check(file Upload) (name, contentType string, err error) {
	name = cleanName(file.Name)
	switch {
	case len(file.Content) == 0:
		return "", "", apperr.Invalid("document.invalid", apperr.Field("file", "document.empty"))
	case len(file.Content) > MaxSize:
		return "", "", apperr.New(apperr.KindTooLarge, "document.too_large", MaxSize>>20)
	case name == "":
		return "", "", apperr.Invalid("document.invalid", apperr.Field("file", "document.no_name"))
	}
	if contentType = Detect(file.Content); contentType == "" {
		return "", "", apperr.Invalid("document.invalid", apperr.Field("file", "document.type_refused", Accepted))
	}
	switch named := typeOfName(name); named {
	case contentType:
	case "":
		name = cleanName(name + extensions[contentType][0])
	default:
		return "", "", apperr.Invalid("document.invalid", apperr.Field("file", "document.type_mismatch", Accepted))
	}
	return name, contentType, nil
}

const documentColumns = `d.id, d.owner_kind, d.owner_id, d.file_name, d.content_type, d.size, d.sha256,
	d.uploaded_by, u.name AS uploader_name, d.uploaded_at, d.replaces, d.internal,
	(SELECT n.id FROM documents n WHERE n.replaces = d.id) AS replaced_by`

// Add stores file as a new document of owner, uploaded by by, and returns
// it. The file is refused as Check refuses it; a Replaces that is not a
// document of the same owner is an invalid "replaces", one already
// replaced by another version a conflict. A new version is internal as
// the version it replaces is (an Internal that differs is an invalid
// "internal"); another file is internal when its Internal says so.
// Nothing stored is ever
// changed: the replaced version stays as it was.
func (s *Store) Add(ctx context.Context, owner Owner, file Upload, by *auth.Principal) (d *Document, err error) {
	defer apperr.Wrap(&err, "documents.Store.Add(%s %d, %q)", owner.Kind, owner.ID, file.Name)
	name, contentType, err := Check(file)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(file.Content)
	var replaces *int64
	if file.Replaces != 0 {
		replaces = &file.Replaces
	}
	var authority *int64
	if owner.AuthorityID != 0 {
		authority = &owner.AuthorityID
	}
	internal := file.Internal != nil && *file.Internal
	const qr = `SELECT internal FROM documents WHERE id = $1 AND owner_kind = $2 AND owner_id = $3`
	const q = `INSERT INTO documents (owner_kind, owner_id, authority_id, file_name, content_type, size, sha256, uploaded_by, replaces, internal)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`
	const qc = `INSERT INTO document_contents (document_id, content) VALUES ($1, $2)`
	var id int64
	err = database.Transact(ctx, s.db, func(tx *sqlx.Tx) error {
		if replaces != nil {
			// One visibility for all the versions of a document: a new
			// version is internal as the one it replaces is. A replaced
			// document of another owner is left to the insert's key.
			var was bool
			switch err := tx.GetContext(ctx, &was, qr, file.Replaces, owner.Kind, owner.ID); {
			case errors.Is(err, sql.ErrNoRows):
			case err != nil:
				return err
			case file.Internal != nil && *file.Internal != was:
				return apperr.Invalid("document.invalid", apperr.Field("internal", "document.internal_version"))
			default:
				internal = was
			}
		}
		if err := tx.GetContext(ctx, &id, q, owner.Kind, owner.ID, authority, name, contentType,
			len(file.Content), hex.EncodeToString(sum[:]), by.UserID, replaces, internal); err != nil {
			return addError(err)
		}
		_, err := tx.ExecContext(ctx, qc, id, file.Content)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id)
}

// addError maps the constraints a caller's Replaces may break.
func addError(err error) error {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		switch pqErr.Constraint {
		case "documents_owner_fkey":
			return apperr.NotFound("not_found.resource")
		case "documents_replaces_fkey":
			return apperr.Invalid("document.invalid", apperr.Field("replaces", "document.replaces_unknown"))
		case "documents_replaces_key":
			return apperr.Conflict("document.already_replaced")
		}
	}
	return err
}

// List returns owner's documents (their metadata only), newest first.
func (s *Store) List(ctx context.Context, owner Owner) (out []Document, err error) {
	defer apperr.Wrap(&err, "documents.Store.List(%s %d)", owner.Kind, owner.ID)
	const q = `SELECT ` + documentColumns + ` FROM documents d JOIN users u ON u.id = d.uploaded_by
		WHERE d.owner_kind = $1 AND d.owner_id = $2 ORDER BY d.id DESC`
	out = []Document{}
	err = s.db.SelectContext(ctx, &out, q, owner.Kind, owner.ID)
	return out, err
}

// Get returns document id's metadata; a missing one is apperr not-found
// ("not_found.document").
func (s *Store) Get(ctx context.Context, id int64) (d *Document, err error) {
	defer apperr.Wrap(&err, "documents.Store.Get(%d)", id)
	const q = `SELECT ` + documentColumns + ` FROM documents d JOIN users u ON u.id = d.uploaded_by WHERE d.id = $1`
	d = &Document{}
	if err := s.db.GetContext(ctx, d, q, id); err != nil {
		return nil, notFound(err)
	}
	return d, nil
}

// Open returns document id's metadata and its bytes; a missing one is
// apperr not-found ("not_found.document").
func (s *Store) Open(ctx context.Context, id int64) (d *Document, content []byte, err error) {
	defer apperr.Wrap(&err, "documents.Store.Open(%d)", id)
	if d, err = s.Get(ctx, id); err != nil {
		return nil, nil, err
	}
	const q = `SELECT content FROM document_contents WHERE document_id = $1`
	if err := s.db.GetContext(ctx, &content, q, id); err != nil {
		return nil, nil, notFound(err)
	}
	return d, content, nil
}

// OwnerExists reports whether owner exists.
func (s *Store) OwnerExists(ctx context.Context, owner Owner) (ok bool, err error) {
	defer apperr.Wrap(&err, "documents.Store.OwnerExists(%s %d)", owner.Kind, owner.ID)
	const q = `SELECT document_owner_exists($1, $2)`
	err = s.db.GetContext(ctx, &ok, q, owner.Kind, owner.ID)
	return ok, err
}

// notFound maps a missing row to apperr not-found ("not_found.document").
func notFound(err error) error {
	if err = database.MapError(err); apperr.Is(err, apperr.KindNotFound) {
		return apperr.NotFound("not_found.document")
	}
	return err
}
