package suppliers

import (
	"context"

	"github.com/jmoiron/sqlx"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/database"
	"madaf/internal/paging"
)

// Store reads and writes suppliers and their certificates, on the pool or
// inside a caller's transaction.
type Store struct {
	db database.Handle
}

// NewStore returns a Store over the pool db.
func NewStore(db *sqlx.DB) *Store { return &Store{db: database.Audited(db)} }

// InTx returns a Store that runs its statements in tx.
func (s *Store) InTx(tx *sqlx.Tx) *Store { return &Store{db: tx} }

// scope: the cluster and authority users see the whole registry (officers
// order from it); a supplier user sees only itself.
func scope(p *auth.Principal) (onlyID int64) {
	if p.OrgKind == auth.OrgSupplier {
		return p.SupplierID
	}
	return 0
}

const supplierColumns = `id, company_number, legal_name, email, phone, address, status, suspended_reason, suspended_until, created_at, updated_at`

// List returns a page of the suppliers p may see, in id order.
func (s *Store) List(ctx context.Context, p *auth.Principal, pg paging.Page) (out []Supplier, err error) {
	defer apperr.Wrap(&err, "suppliers.Store.List(%d)", pg.After)
	const q = `SELECT ` + supplierColumns + ` FROM suppliers
		WHERE ($1::bigint = 0 OR id = $1) AND id > $2 ORDER BY id LIMIT $3`
	out = []Supplier{}
	err = s.db.SelectContext(ctx, &out, q, scope(p), pg.After, pg.Limit)
	return out, err
}

// Get returns supplier id if p may see it; out of p's scope or missing, it
// is apperr not-found ("not_found.supplier").
func (s *Store) Get(ctx context.Context, p *auth.Principal, id int64) (sp *Supplier, err error) {
	defer apperr.Wrap(&err, "suppliers.Store.Get(%d)", id)
	if only := scope(p); only != 0 && only != id {
		return nil, apperr.NotFound("not_found.supplier")
	}
	return s.supplier(ctx, id)
}

// supplier reads supplier id whoever asks; Get scopes it for a caller.
func (s *Store) supplier(ctx context.Context, id int64) (*Supplier, error) {
	const q = `SELECT ` + supplierColumns + ` FROM suppliers WHERE id = $1`
	var sp Supplier
	if err := s.db.GetContext(ctx, &sp, q, id); err != nil {
		return nil, notFound(err, "not_found.supplier")
	}
	return &sp, nil
}

// notFound maps a missing row to apperr not-found with the message key.
func notFound(err error, key string) error {
	if err = database.MapError(err); apperr.Is(err, apperr.KindNotFound) {
		return apperr.NotFound(key)
	}
	return err
}

// duplicateNumber maps a unique violation to an invalid company_number.
func duplicateNumber(err error, number string) error {
	if database.IsUniqueViolation(err) {
		return apperr.Invalid("supplier.invalid", apperr.Field("company_number", "supplier.number_taken", number))
	}
	return database.MapError(err)
}

// Create registers a supplier. A company number already registered is an
// invalid company_number.
func (s *Store) Create(ctx context.Context, in SupplierInput) (sp *Supplier, err error) {
	defer apperr.Wrap(&err, "suppliers.Store.Create(%q)", in.CompanyNumber)
	const q = `INSERT INTO suppliers (company_number, legal_name, email, phone, address)
		VALUES ($1, $2, $3, $4, $5) RETURNING ` + supplierColumns
	sp = &Supplier{}
	if err := s.db.GetContext(ctx, sp, q, in.CompanyNumber, in.LegalName, in.Email, in.Phone, in.Address); err != nil {
		return nil, duplicateNumber(err, in.CompanyNumber)
	}
	return sp, nil
}

// Update replaces the writable fields of supplier id. A missing supplier is
// not found; a company number another supplier has is an invalid
// company_number.
func (s *Store) Update(ctx context.Context, id int64, in SupplierInput) (sp *Supplier, err error) {
	defer apperr.Wrap(&err, "suppliers.Store.Update(%d)", id)
	const q = `UPDATE suppliers SET company_number = $2, legal_name = $3, email = $4, phone = $5, address = $6, updated_at = now()
		WHERE id = $1 RETURNING ` + supplierColumns
	sp = &Supplier{}
	if err := s.db.GetContext(ctx, sp, q, id, in.CompanyNumber, in.LegalName, in.Email, in.Phone, in.Address); err != nil {
		if database.IsUniqueViolation(err) {
			return nil, duplicateNumber(err, in.CompanyNumber)
		}
		return nil, notFound(err, "not_found.supplier")
	}
	return sp, nil
}

// Suspend suspends supplier id with a reason, until the given day
// (inclusive) or until resumed. An until-date in the past is invalid.
func (s *Store) Suspend(ctx context.Context, id int64, in SuspendInput) (sp *Supplier, err error) {
	defer apperr.Wrap(&err, "suppliers.Store.Suspend(%d)", id)
	if !in.Until.IsZero() && in.Until.Before(calendar.Today()) {
		return nil, apperr.Invalid("supplier.suspension_invalid", apperr.Field("until", "supplier.msg.not_past"))
	}
	const q = `UPDATE suppliers SET status = 'suspended', suspended_reason = $2, suspended_until = $3, updated_at = now()
		WHERE id = $1 RETURNING ` + supplierColumns
	sp = &Supplier{}
	if err := s.db.GetContext(ctx, sp, q, id, in.Reason, in.Until); err != nil {
		return nil, notFound(err, "not_found.supplier")
	}
	return sp, nil
}

// Resume ends supplier id's suspension. Resuming an active supplier is a
// conflict ("supplier.not_suspended").
func (s *Store) Resume(ctx context.Context, id int64) (sp *Supplier, err error) {
	defer apperr.Wrap(&err, "suppliers.Store.Resume(%d)", id)
	const q = `UPDATE suppliers SET status = 'active', suspended_reason = '', suspended_until = NULL, updated_at = now()
		WHERE id = $1 AND status = 'suspended' RETURNING ` + supplierColumns
	sp = &Supplier{}
	if err := s.db.GetContext(ctx, sp, q, id); err != nil {
		if !apperr.Is(database.MapError(err), apperr.KindNotFound) {
			return nil, err
		}
		if _, err := s.supplier(ctx, id); err != nil {
			return nil, err
		}
		return nil, apperr.Conflict("supplier.not_suspended")
	}
	return sp, nil
}

const certificateColumns = `id, supplier_id, kind, number, valid_until, created_at`

// Certificates lists supplier id's certificates by kind, latest expiry
// first, if p may see the supplier.
func (s *Store) Certificates(ctx context.Context, p *auth.Principal, supplierID int64) (out []Certificate, err error) {
	defer apperr.Wrap(&err, "suppliers.Store.Certificates(%d)", supplierID)
	if _, err := s.Get(ctx, p, supplierID); err != nil {
		return nil, err
	}
	const q = `SELECT ` + certificateColumns + ` FROM supplier_certificates
		WHERE supplier_id = $1 ORDER BY kind, valid_until DESC`
	out = []Certificate{}
	err = s.db.SelectContext(ctx, &out, q, supplierID)
	return out, err
}

// AddCertificate records a certificate of supplier id. A certificate
// without an expiry is invalid; a missing supplier is not found.
func (s *Store) AddCertificate(ctx context.Context, supplierID int64, in CertificateInput) (c *Certificate, err error) {
	defer apperr.Wrap(&err, "suppliers.Store.AddCertificate(%d)", supplierID)
	if in.ValidUntil.IsZero() {
		return nil, apperr.Invalid("supplier.certificate_invalid", apperr.Field("valid_until", "msg.required"))
	}
	const q = `INSERT INTO supplier_certificates (supplier_id, kind, number, valid_until)
		VALUES ($1, $2, $3, $4) RETURNING ` + certificateColumns
	c = &Certificate{}
	if err := s.db.GetContext(ctx, c, q, supplierID, in.Kind, in.Number, in.ValidUntil); err != nil {
		if apperr.Is(database.MapError(err), apperr.KindInvalid) {
			return nil, apperr.NotFound("not_found.supplier")
		}
		return nil, err
	}
	return c, nil
}

// Eligibility answers whether supplier id may receive an order on day on:
// the reasons it may not (a suspension first, then each mandatory
// certificate missing or expired, in MandatoryCertificates order), none
// when it may. It does not scope: callers check that the caller may see
// the supplier. A missing supplier is not found.
func (s *Store) Eligibility(ctx context.Context, supplierID int64, on calendar.Date) (reasons []Reason, err error) {
	defer apperr.Wrap(&err, "suppliers.Store.Eligibility(%d, %s)", supplierID, on)
	// The supplier and the latest validity of each kind of its
	// certificates, in one statement: a row a kind (one row with no kind
	// when it has none).
	const q = `SELECT ` + supplierColumns + `, c.kind AS cert_kind, c.valid_until AS cert_valid_until FROM suppliers
		LEFT JOIN LATERAL (SELECT kind, max(valid_until) AS valid_until FROM supplier_certificates
			WHERE supplier_id = suppliers.id GROUP BY kind) c ON true
		WHERE id = $1`
	var rows []struct {
		Supplier
		Kind       *string       `db:"cert_kind"`
		ValidUntil calendar.Date `db:"cert_valid_until"`
	}
	if err := s.db.SelectContext(ctx, &rows, q, supplierID); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, apperr.NotFound("not_found.supplier")
	}
	sp := &rows[0].Supplier
	reasons = []Reason{}
	if sp.SuspendedOn(on) {
		r := Reason{Code: ReasonSuspended, Note: sp.SuspendedReason}
		if !sp.SuspendedUntil.IsZero() {
			until := sp.SuspendedUntil
			r.Date = &until
		}
		reasons = append(reasons, r)
	}
	valid := map[string]calendar.Date{}
	for _, r := range rows {
		if r.Kind != nil {
			valid[*r.Kind] = r.ValidUntil
		}
	}
	for _, kind := range MandatoryCertificates {
		until, ok := valid[kind]
		switch {
		case !ok:
			reasons = append(reasons, Reason{Code: ReasonCertificateMissing, Certificate: kind})
		case until.Before(on):
			reasons = append(reasons, Reason{Code: ReasonCertificateExpired, Certificate: kind, Date: &until})
		}
	}
	return reasons, nil
}
