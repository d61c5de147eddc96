// Package documents keeps the files that belong to the service's objects
// (an order, a tender, a supplier, a mini-competition, a work-plan task):
// PDF, images and OOXML spreadsheets and documents up to MaxSize, their
// type read from their content, stored with their SHA-256, uploader and
// time in PostgreSQL, never overwritten nor deleted.
//
// The Store keeps and reads documents whoever asks; who may see and add an
// owner's documents is the owner's feature's to decide, through the Access
// each kind is given (see Service). A feature that attaches a document to
// its own object inside its own transaction calls Store.InTx(tx).Add after
// checking its own scope.
//
// A document may be internal: the papers of the authority or the cluster
// about an object that a supplier also sees (the committee's memo, a
// budget approval). A supplier never lists nor opens an internal document,
// and cannot add one (see Service.grant, where this is decided for every
// kind). All the versions of a document have one visibility: a new version
// is internal as the one it replaces is.
package documents

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// MaxSize is the largest document accepted (20 MiB).
const MaxSize = 20 << 20

// Kind is the kind of object a document belongs to, as stored.
type Kind string

// The kinds of owner. Adding one takes a migration (documents_owner_kind_check).
const (
	KindOrder        Kind = "order"
	KindTender       Kind = "tender"
	KindSupplier     Kind = "supplier"
	KindCompetition  Kind = "competition"
	KindWorkplanTask Kind = "workplan_task"
)

// Owner is the object a document belongs to.
type Owner struct {
	Kind Kind
	ID   int64
	// AuthorityID is the authority the owner belongs to (an order's, a
	// competition's), for the audit trail; 0 for others.
	AuthorityID int64
}

// Order, Tender, Supplier, Competition and WorkplanTask name an owner.
func Order(id int64) Owner        { return Owner{Kind: KindOrder, ID: id} }
func Tender(id int64) Owner       { return Owner{Kind: KindTender, ID: id} }
func Supplier(id int64) Owner     { return Owner{Kind: KindSupplier, ID: id} }
func Competition(id int64) Owner  { return Owner{Kind: KindCompetition, ID: id} }
func WorkplanTask(id int64) Owner { return Owner{Kind: KindWorkplanTask, ID: id} }

// Upload is a file to add.
type Upload struct {
	// Name is the file's name as the uploader gave it; only its last path
	// element is kept.
	Name    string
	Content []byte
	// Replaces is the id of the earlier version of the same owner's
	// document that this one replaces (0: none). The earlier one is kept.
	Replaces int64
	// Internal, when set, says whether the document is internal; a new
	// version is internal as the one it replaces is, and one that says
	// otherwise is refused. Unset, a first version is not internal.
	Internal *bool
}

// Document is a document's metadata (never its bytes).
type Document struct {
	ID           int64     `db:"id" json:"id"`
	OwnerKind    Kind      `db:"owner_kind" json:"owner_kind"`
	OwnerID      int64     `db:"owner_id" json:"owner_id"`
	FileName     string    `db:"file_name" json:"file_name"`
	ContentType  string    `db:"content_type" json:"content_type"`
	Size         int64     `db:"size" json:"size"`
	SHA256       string    `db:"sha256" json:"sha256"`
	UploadedBy   int64     `db:"uploaded_by" json:"uploaded_by"`
	UploaderName string    `db:"uploader_name" json:"uploader_name"`
	UploadedAt   time.Time `db:"uploaded_at" json:"uploaded_at"`
	Replaces     *int64    `db:"replaces" json:"replaces"`
	// Internal documents are never shown to a supplier.
	Internal bool `db:"internal" json:"internal"`
	// ReplacedBy is the later version, if any.
	ReplacedBy *int64 `db:"replaced_by" json:"replaced_by"`
}

// ETag is the document's entity tag: its SHA-256, quoted.
func (d *Document) ETag() string { return strconv.Quote(d.SHA256) }

// Path is the document's download path.
func (d *Document) Path() string { return "/api/v1/documents/" + strconv.FormatInt(d.ID, 10) }

// MarshalJSON adds the download path.
func (d Document) MarshalJSON() ([]byte, error) {
	type plain Document
	return json.Marshal(struct {
		plain
		Href string `json:"href"`
	}{plain(d), d.Path()})
}

// Accepted names the accepted kinds of file, for the refusal of any other.
const Accepted = "PDF, PNG, JPEG, GIF, WebP, XLSX, DOCX"

// cleanName keeps the last path element of name, without control
// characters, at most 255 characters long (keeping the extension).
func cleanName(name string) string {
	name = strings.ToValidUTF8(name, "")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '"' {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if utf8.RuneCountInString(name) <= 255 {
		return name
	}
	ext := ""
	if i := strings.LastIndexByte(name, '.'); i >= 0 && utf8.RuneCountInString(name[i:]) <= 16 {
		ext = name[i:]
	}
	r := []rune(strings.TrimSuffix(name, ext))
	return string(r[:255-utf8.RuneCountInString(ext)]) + ext
}

// KB is the document's size in kilobytes (of 1024 bytes), rounded up.
func (d Document) KB() int64 { return (d.Size + 1023) / 1024 }

// ReplacesID is the id of the version this one replaces, 0 for none.
func (d Document) ReplacesID() int64 {
	if d.Replaces == nil {
		return 0
	}
	return *d.Replaces
}
