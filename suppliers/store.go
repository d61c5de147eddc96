package suppliers

import (
	"context"

	"github.com/go-playground/validator/v10"
	"github.com/jmoiron/sqlx"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/database"
	"madaf/internal/paging"
	"madaf/internal/validate"
)

func init() {
	validate.Validator.RegisterValidation("company_number", func(fl validator.FieldLevel) bool {
		return ValidCompanyNumber(fl.Field().String())
	})
}

// Store reads and writes suppliers and their certificates.
type Store struct {
	db *sqlx.DB
}

// NewStore returns a Store over db.
func NewStore(db *sqlx.DB) *Store { return &Store{db: db} }

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
func (s *Store) List(ctx context.Context, p *auth.Principal, pg paging.Page) ([]Supplier, error) {
	out := []Supplier{}
	err := s.db.SelectContext(ctx, &out, `SELECT `+supplierColumns+` FROM suppliers
		WHERE ($1 = 0 OR id = $1) AND id > $2 ORDER BY id LIMIT $3`, scope(p), pg.After, pg.Limit)
	return out, err
}

// Get returns supplier id if p may see it, else apperr not-found.
func (s *Store) Get(ctx context.Context, p *auth.Principal, id int64) (*Supplier, error) {
	if only := scope(p); only != 0 && only != id {
		return nil, apperr.NotFound("not_found.supplier")
	}
	return Get(ctx, s.db, id)
}

// Get returns supplier id without scoping.
func Get(ctx context.Context, q sqlx.QueryerContext, id int64) (*Supplier, error) {
	var sp Supplier
	if err := sqlx.GetContext(ctx, q, &sp, `SELECT `+supplierColumns+` FROM suppliers WHERE id = $1`, id); err != nil {
		return nil, notFound(err, "supplier")
	}
	return &sp, nil
}

func notFound(err error, what string) error {
	if err = database.MapError(err); apperr.Is(err, apperr.KindNotFound) {
		return apperr.NotFound(what)
	}
	return err
}

func duplicateNumber(err error, number string) error {
	if database.IsUniqueViolation(err) {
		return apperr.Invalid("the supplier is invalid", apperr.Field("company_number", "supplier %s is already registered", number))
	}
	return database.MapError(err)
}

// Create registers a supplier. A company number already registered is an
// invalid company_number.
func (s *Store) Create(ctx context.Context, in SupplierInput) (*Supplier, error) {
	const q = `INSERT INTO suppliers (company_number, legal_name, email, phone, address)
		VALUES ($1, $2, $3, $4, $5) RETURNING ` + supplierColumns
	var sp Supplier
	if err := s.db.GetContext(ctx, &sp, q, in.CompanyNumber, in.LegalName, in.Email, in.Phone, in.Address); err != nil {
		return nil, duplicateNumber(err, in.CompanyNumber)
	}
	return &sp, nil
}

// Update replaces the writable fields of supplier id.
func (s *Store) Update(ctx context.Context, id int64, in SupplierInput) (*Supplier, error) {
	const q = `UPDATE suppliers SET company_number = $2, legal_name = $3, email = $4, phone = $5, address = $6, updated_at = now()
		WHERE id = $1 RETURNING ` + supplierColumns
	var sp Supplier
	if err := s.db.GetContext(ctx, &sp, q, id, in.CompanyNumber, in.LegalName, in.Email, in.Phone, in.Address); err != nil {
		if database.IsUniqueViolation(err) {
			return nil, duplicateNumber(err, in.CompanyNumber)
		}
		return nil, notFound(err, "supplier")
	}
	return &sp, nil
}

// Suspend suspends supplier id with a reason, until the given day
// (inclusive) or until resumed. An until-date in the past is invalid.
func (s *Store) Suspend(ctx context.Context, id int64, in SuspendInput) (*Supplier, error) {
	if !in.Until.IsZero() && in.Until.Before(calendar.Today()) {
		return nil, apperr.Invalid("the suspension is invalid", apperr.Field("until", "must not be in the past"))
	}
	const q = `UPDATE suppliers SET status = 'suspended', suspended_reason = $2, suspended_until = $3, updated_at = now()
		WHERE id = $1 RETURNING ` + supplierColumns
	var sp Supplier
	if err := s.db.GetContext(ctx, &sp, q, id, in.Reason, in.Until); err != nil {
		return nil, notFound(err, "supplier")
	}
	return &sp, nil
}

// Resume ends supplier id's suspension. Resuming an active supplier is a
// conflict.
func (s *Store) Resume(ctx context.Context, id int64) (*Supplier, error) {
	const q = `UPDATE suppliers SET status = 'active', suspended_reason = '', suspended_until = NULL, updated_at = now()
		WHERE id = $1 AND status = 'suspended' RETURNING ` + supplierColumns
	var sp Supplier
	if err := s.db.GetContext(ctx, &sp, q, id); err != nil {
		if apperr.Is(database.MapError(err), apperr.KindNotFound) {
			if _, gerr := Get(ctx, s.db, id); gerr != nil {
				return nil, gerr
			}
			return nil, apperr.Conflict("the supplier is not suspended")
		}
		return nil, err
	}
	return &sp, nil
}

const certificateColumns = `id, supplier_id, kind, number, valid_until, created_at`

// Certificates lists supplier id's certificates, newest expiry first, if p
// may see the supplier.
func (s *Store) Certificates(ctx context.Context, p *auth.Principal, supplierID int64) ([]Certificate, error) {
	if _, err := s.Get(ctx, p, supplierID); err != nil {
		return nil, err
	}
	out := []Certificate{}
	err := s.db.SelectContext(ctx, &out, `SELECT `+certificateColumns+` FROM supplier_certificates
		WHERE supplier_id = $1 ORDER BY kind, valid_until DESC`, supplierID)
	return out, err
}

// AddCertificate records a certificate of supplier id.
func (s *Store) AddCertificate(ctx context.Context, supplierID int64, in CertificateInput) (*Certificate, error) {
	if in.ValidUntil.IsZero() {
		return nil, apperr.Invalid("the certificate is invalid", apperr.Field("valid_until", "is required"))
	}
	const q = `INSERT INTO supplier_certificates (supplier_id, kind, number, valid_until)
		VALUES ($1, $2, $3, $4) RETURNING ` + certificateColumns
	var c Certificate
	if err := s.db.GetContext(ctx, &c, q, supplierID, in.Kind, in.Number, in.ValidUntil); err != nil {
		if apperr.Is(database.MapError(err), apperr.KindInvalid) {
			return nil, apperr.NotFound("not_found.supplier")
		}
		return nil, err
	}
	return &c, nil
}

// Reason is why a supplier may not receive an order on a day: it is
// suspended (with the suspension's note and end), or a mandatory
// certificate is missing or expired (with the day it expired).
type Reason struct {
	Code        string         `json:"code"`
	Certificate string         `json:"certificate,omitempty"`
	Date        *calendar.Date `json:"date,omitempty"`
	Note        string         `json:"note,omitempty"`
}

// Reasons of ineligibility.
const (
	ReasonSuspended          = "suspended"
	ReasonCertificateMissing = "certificate_missing"
	ReasonCertificateExpired = "certificate_expired"
)

// Msg is the reason for a person.
func (r Reason) Msg() apperr.Msg {
	switch r.Code {
	case ReasonSuspended:
		if r.Date != nil {
			return apperr.M("supplier.reason.suspended_until", r.Note, r.Date.String())
		}
		return apperr.M("supplier.reason.suspended", r.Note)
	case ReasonCertificateExpired:
		return apperr.M("supplier.reason.certificate_expired", apperr.K("certificate."+r.Certificate), r.Date.String())
	}
	return apperr.M("supplier.reason.certificate_missing", apperr.K("certificate."+r.Certificate))
}

// Eligibility answers whether supplier id may receive an order on day on:
// the reasons it may not, none when it may.
func Eligibility(ctx context.Context, q sqlx.QueryerContext, supplierID int64, on calendar.Date) ([]Reason, error) {
	sp, err := Get(ctx, q, supplierID)
	if err != nil {
		return nil, err
	}
	reasons := []Reason{}
	if sp.SuspendedOn(on) {
		r := Reason{Code: ReasonSuspended, Note: sp.SuspendedReason}
		if !sp.SuspendedUntil.IsZero() {
			until := sp.SuspendedUntil
			r.Date = &until
		}
		reasons = append(reasons, r)
	}
	var latest []struct {
		Kind       string        `db:"kind"`
		ValidUntil calendar.Date `db:"valid_until"`
	}
	const cq = `SELECT kind, max(valid_until) AS valid_until FROM supplier_certificates WHERE supplier_id = $1 GROUP BY kind`
	if err := sqlx.SelectContext(ctx, q, &latest, cq, supplierID); err != nil {
		return nil, err
	}
	valid := map[string]calendar.Date{}
	for _, l := range latest {
		valid[l.Kind] = l.ValidUntil
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
