package authorities

import (
	"context"

	"github.com/jmoiron/sqlx"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/database"
	"madaf/internal/paging"
	"madaf/internal/validate"
)

// Store reads and writes authorities and budget lines.
type Store struct {
	db *sqlx.DB
}

// NewStore returns a Store over db.
func NewStore(db *sqlx.DB) *Store { return &Store{db: db} }

// scope limits reads to what p may see: the cluster sees every authority,
// an authority user its own, a supplier none. It returns the authority id
// to filter on (0 = all) and whether p may see any at all.
func scope(p *auth.Principal) (authorityID int64, any bool) {
	switch p.OrgKind {
	case auth.OrgCluster:
		return 0, true
	case auth.OrgAuthority:
		return p.AuthorityID, true
	}
	return 0, false
}

const authorityColumns = `id, code, name_he, name_ar, name_en, kind, signature_threshold, active, created_at, updated_at`

// List returns a page of the authorities p may see, in id order.
func (s *Store) List(ctx context.Context, p *auth.Principal, pg paging.Page) ([]Authority, error) {
	only, ok := scope(p)
	if !ok {
		return []Authority{}, nil
	}
	out := []Authority{}
	err := s.db.SelectContext(ctx, &out, `SELECT `+authorityColumns+` FROM authorities
		WHERE ($1 = 0 OR id = $1) AND id > $2 ORDER BY id LIMIT $3`, only, pg.After, pg.Limit)
	return out, err
}

// Get returns authority id if p may see it, else apperr not-found.
func (s *Store) Get(ctx context.Context, p *auth.Principal, id int64) (*Authority, error) {
	only, ok := scope(p)
	if !ok || (only != 0 && only != id) {
		return nil, apperr.NotFound("not_found.authority")
	}
	return Get(ctx, s.db, id)
}

// Get returns authority id without scoping, for other features' services
// that have already scoped their own object.
func Get(ctx context.Context, q sqlx.QueryerContext, id int64) (*Authority, error) {
	var a Authority
	if err := sqlx.GetContext(ctx, q, &a, `SELECT `+authorityColumns+` FROM authorities WHERE id = $1`, id); err != nil {
		if err = database.MapError(err); apperr.Is(err, apperr.KindNotFound) {
			return nil, apperr.NotFound("not_found.authority")
		}
		return nil, err
	}
	return &a, nil
}

func checkAuthority(in *AuthorityInput) error {
	if fe := validate.Amount("signature_threshold", in.SignatureThreshold, true); fe != nil {
		return apperr.Invalid("the authority is invalid", *fe)
	}
	return nil
}

// Create adds an authority. A duplicate CBS code is a conflict.
func (s *Store) Create(ctx context.Context, in AuthorityInput) (*Authority, error) {
	if err := checkAuthority(&in); err != nil {
		return nil, err
	}
	active := in.Active == nil || *in.Active
	const q = `INSERT INTO authorities (code, name_he, name_ar, name_en, kind, signature_threshold, active)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ` + authorityColumns
	var a Authority
	err := s.db.GetContext(ctx, &a, q, in.Code, in.NameHe, in.NameAr, in.NameEn, in.Kind, in.SignatureThreshold, active)
	if database.IsUniqueViolation(err) {
		return nil, apperr.Invalid("the authority is invalid", apperr.Field("code", "another authority has CBS code %s", in.Code))
	}
	return &a, database.MapError(err)
}

// Update replaces the writable fields of authority id.
func (s *Store) Update(ctx context.Context, id int64, in AuthorityInput) (*Authority, error) {
	if err := checkAuthority(&in); err != nil {
		return nil, err
	}
	const q = `UPDATE authorities SET code = $2, name_he = $3, name_ar = $4, name_en = $5, kind = $6,
		signature_threshold = $7, active = COALESCE($8, active), updated_at = now()
		WHERE id = $1 RETURNING ` + authorityColumns
	var a Authority
	err := s.db.GetContext(ctx, &a, q, id, in.Code, in.NameHe, in.NameAr, in.NameEn, in.Kind, in.SignatureThreshold, in.Active)
	if database.IsUniqueViolation(err) {
		return nil, apperr.Invalid("the authority is invalid", apperr.Field("code", "another authority has CBS code %s", in.Code))
	}
	if err != nil {
		if err = database.MapError(err); apperr.Is(err, apperr.KindNotFound) {
			return nil, apperr.NotFound("not_found.authority")
		}
		return nil, err
	}
	return &a, nil
}

const budgetLineColumns = `id, authority_id, fiscal_year, code, name, amount, created_at, updated_at`

// BudgetLines lists authority id's budget lines (of one year when year is
// non-zero), if p may see the authority.
func (s *Store) BudgetLines(ctx context.Context, p *auth.Principal, authorityID int64, year int) ([]BudgetLine, error) {
	if _, err := s.Get(ctx, p, authorityID); err != nil {
		return nil, err
	}
	out := []BudgetLine{}
	err := s.db.SelectContext(ctx, &out, `SELECT `+budgetLineColumns+` FROM budget_lines
		WHERE authority_id = $1 AND ($2 = 0 OR fiscal_year = $2) ORDER BY fiscal_year DESC, code`, authorityID, year)
	return out, err
}

// BudgetLine returns one budget line without scoping.
func BudgetLineByID(ctx context.Context, q sqlx.QueryerContext, id int64) (*BudgetLine, error) {
	var b BudgetLine
	if err := sqlx.GetContext(ctx, q, &b, `SELECT `+budgetLineColumns+` FROM budget_lines WHERE id = $1`, id); err != nil {
		if err = database.MapError(err); apperr.Is(err, apperr.KindNotFound) {
			return nil, apperr.NotFound("not_found.budget_line")
		}
		return nil, err
	}
	return &b, nil
}

// canWriteBudget checks that p may write authority id's budget lines: out
// of scope is not found, in scope without the treasurer role is forbidden.
func (s *Store) canWriteBudget(ctx context.Context, p *auth.Principal, authorityID int64) error {
	if _, err := s.Get(ctx, p, authorityID); err != nil {
		return err
	}
	if p.OrgKind != auth.OrgAuthority || !p.Has(auth.RoleTreasurer) {
		return apperr.Forbidden("only the authority's treasurer keeps its budget lines")
	}
	return nil
}

func checkBudgetLine(in *BudgetLineInput) error {
	if fe := validate.Amount("amount", in.Amount, true); fe != nil {
		return apperr.Invalid("the budget line is invalid", *fe)
	}
	return nil
}

// CreateBudgetLine adds a budget line to authority id, as p.
func (s *Store) CreateBudgetLine(ctx context.Context, p *auth.Principal, authorityID int64, in BudgetLineInput) (*BudgetLine, error) {
	if err := s.canWriteBudget(ctx, p, authorityID); err != nil {
		return nil, err
	}
	if err := checkBudgetLine(&in); err != nil {
		return nil, err
	}
	const q = `INSERT INTO budget_lines (authority_id, fiscal_year, code, name, amount)
		VALUES ($1, $2, $3, $4, $5) RETURNING ` + budgetLineColumns
	var b BudgetLine
	err := s.db.GetContext(ctx, &b, q, authorityID, in.FiscalYear, in.Code, in.Name, in.Amount)
	if database.IsUniqueViolation(err) {
		return nil, apperr.Invalid("the budget line is invalid", apperr.Field("code", "budget line %s already exists for %d", in.Code, in.FiscalYear))
	}
	return &b, database.MapError(err)
}

// UpdateBudgetLine replaces budget line lineID of authority id, as p. A
// line of another authority is not found.
func (s *Store) UpdateBudgetLine(ctx context.Context, p *auth.Principal, authorityID, lineID int64, in BudgetLineInput) (*BudgetLine, error) {
	if err := s.canWriteBudget(ctx, p, authorityID); err != nil {
		return nil, err
	}
	if err := checkBudgetLine(&in); err != nil {
		return nil, err
	}
	const q = `UPDATE budget_lines SET fiscal_year = $3, code = $4, name = $5, amount = $6, updated_at = now()
		WHERE id = $1 AND authority_id = $2 RETURNING ` + budgetLineColumns
	var b BudgetLine
	err := s.db.GetContext(ctx, &b, q, lineID, authorityID, in.FiscalYear, in.Code, in.Name, in.Amount)
	if database.IsUniqueViolation(err) {
		return nil, apperr.Invalid("the budget line is invalid", apperr.Field("code", "budget line %s already exists for %d", in.Code, in.FiscalYear))
	}
	if err != nil {
		if err = database.MapError(err); apperr.Is(err, apperr.KindNotFound) {
			return nil, apperr.NotFound("not_found.budget_line")
		}
		return nil, err
	}
	return &b, nil
}
