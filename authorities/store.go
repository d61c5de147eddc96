package authorities

import (
	"context"
	"strings"

	"github.com/jmoiron/sqlx"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/database"
	"madaf/internal/paging"
	"madaf/internal/validate"
)

// Store reads and writes authorities and budget lines, on the pool or
// inside a caller's transaction.
type Store struct {
	db database.Handle
}

// NewStore returns a Store over the pool db.
func NewStore(db *sqlx.DB) *Store { return &Store{db: database.Audited(db)} }

// InTx returns a Store that runs its statements in tx.
func (s *Store) InTx(tx *sqlx.Tx) *Store { return &Store{db: tx} }

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

// authorityColumns are the authorities table's own columns; Kind there is
// the kind in force as of the authority's last write.
const authorityColumns = `id, code, name_he, name_ar, name_en, kind, default_delivery_address, active, created_at, updated_at`

// authorityInForce reads authorities with their profile in force on $1;
// the caller adds the WHERE clause.
const authorityInForce = `SELECT a.id, a.code, a.name_he, a.name_ar, a.name_en,
		p.kind, p.population, p.delegation_band, p.effective_from AS profile_effective_from,
		a.default_delivery_address, a.active, a.created_at, a.updated_at
	FROM authorities a CROSS JOIN LATERAL authority_profile_on(a.id, $1) p`

// List returns a page of the authorities p may see, in id order, each with
// its profile in force today.
func (s *Store) List(ctx context.Context, p *auth.Principal, pg paging.Page) (out []Authority, err error) {
	defer apperr.Wrap(&err, "authorities.Store.List(%d)", pg.After)
	out = []Authority{}
	only, ok := scope(p)
	if !ok {
		return out, nil
	}
	const q = authorityInForce + ` WHERE ($2::bigint = 0 OR a.id = $2) AND a.id > $3 ORDER BY a.id LIMIT $4`
	err = s.db.SelectContext(ctx, &out, q, calendar.Today(), only, pg.After, pg.Limit)
	return out, err
}

// Get returns authority id with its profile in force today if p may see
// it; out of p's scope or missing, it is apperr not-found
// ("not_found.authority").
func (s *Store) Get(ctx context.Context, p *auth.Principal, id int64) (a *Authority, err error) {
	defer apperr.Wrap(&err, "authorities.Store.Get(%d)", id)
	only, ok := scope(p)
	if !ok || (only != 0 && only != id) {
		return nil, apperr.NotFound("not_found.authority")
	}
	return s.inForce(ctx, id)
}

// inForce reads authority id with its profile in force today.
func (s *Store) inForce(ctx context.Context, id int64) (*Authority, error) {
	const q = authorityInForce + ` WHERE a.id = $2`
	a := &Authority{}
	if err := s.db.GetContext(ctx, a, q, calendar.Today(), id); err != nil {
		return nil, notFound(err, "not_found.authority")
	}
	return a, nil
}

// notFound maps a missing row to apperr not-found with the message key.
func notFound(err error, key string) error {
	if err = database.MapError(err); apperr.Is(err, apperr.KindNotFound) {
		return apperr.NotFound(key)
	}
	return err
}

// checkAuthority trims in's delivery address and reports every field of in
// that breaks a rule the validator tags do not say.
func checkAuthority(in *AuthorityInput) error {
	if in.DefaultDeliveryAddress != nil {
		address := strings.TrimSpace(*in.DefaultDeliveryAddress)
		in.DefaultDeliveryAddress = &address
	}
	if in.DelegationBand != nil {
		if fe := validate.Amount("delegation_band", *in.DelegationBand, false); fe != nil {
			return apperr.Invalid("authority.invalid", *fe)
		}
	}
	return nil
}

// codeTaken is the refusal of a CBS code another authority has.
func codeTaken(code string) error {
	return apperr.Invalid("authority.invalid", apperr.Field("code", "authority.code_taken", code))
}

// Create adds an authority, as p (the cluster admin), with its first
// profile (from FirstProfileFrom): its kind, its population (0 when
// omitted) and its band (LegalBand of the population when omitted). A CBS
// code another authority has is an invalid code.
func (s *Store) Create(ctx context.Context, p *auth.Principal, in AuthorityInput) (a *Authority, err error) {
	defer apperr.Wrap(&err, "authorities.Store.Create(%q)", in.Code)
	if err := checkAuthority(&in); err != nil {
		return nil, err
	}
	active := in.Active == nil || *in.Active
	pr := ProfileInput{EffectiveFrom: FirstProfileFrom, Kind: in.Kind, DelegationBand: in.DelegationBand}
	if in.Population != nil {
		pr.Population = *in.Population
	}
	err = database.Transact(ctx, s.db, func(tx *sqlx.Tx) error {
		st := s.InTx(tx)
		const q = `INSERT INTO authorities (code, name_he, name_ar, name_en, kind, active, default_delivery_address)
			VALUES ($1, $2, $3, $4, $5, $6, COALESCE($7, '')) RETURNING id`
		var id int64
		err := st.db.GetContext(ctx, &id, q, in.Code, in.NameHe, in.NameAr, in.NameEn, in.Kind, active, in.DefaultDeliveryAddress)
		if database.IsUniqueViolation(err) {
			return codeTaken(in.Code)
		}
		if err != nil {
			return err
		}
		if err := st.writeProfile(ctx, p, id, pr); err != nil {
			return err
		}
		a, err = st.inForce(ctx, id)
		return err
	})
	return a, err
}

// Update replaces the writable fields of authority id, as p (the cluster
// admin). When the kind, the population or the band differ from the
// profile in force, they become a profile from today. A missing authority
// is not found; a CBS code another authority has is an invalid code.
func (s *Store) Update(ctx context.Context, p *auth.Principal, id int64, in AuthorityInput) (a *Authority, err error) {
	defer apperr.Wrap(&err, "authorities.Store.Update(%d)", id)
	if err := checkAuthority(&in); err != nil {
		return nil, err
	}
	today := calendar.Today()
	err = database.Transact(ctx, s.db, func(tx *sqlx.Tx) error {
		st := s.InTx(tx)
		const q = `UPDATE authorities SET code = $2, name_he = $3, name_ar = $4, name_en = $5, kind = $6,
			active = COALESCE($7, active), default_delivery_address = COALESCE($8, default_delivery_address), updated_at = now()
			WHERE id = $1 RETURNING id`
		var got int64
		err := st.db.GetContext(ctx, &got, q, id, in.Code, in.NameHe, in.NameAr, in.NameEn, in.Kind, in.Active, in.DefaultDeliveryAddress)
		if database.IsUniqueViolation(err) {
			return codeTaken(in.Code)
		}
		if err != nil {
			return notFound(err, "not_found.authority")
		}
		cur, err := st.Profile(ctx, id, today)
		if err != nil {
			return err
		}
		next := ProfileInput{EffectiveFrom: today, Kind: in.Kind, Population: cur.Population}
		if in.Population != nil {
			next.Population = *in.Population
		}
		band := cur.DelegationBand.Decimal
		switch {
		case in.DelegationBand != nil:
			band = *in.DelegationBand
		case next.Population != cur.Population:
			band = LegalBand(next.Population)
		}
		next.DelegationBand = &band
		if next.Kind != cur.Kind || next.Population != cur.Population || !band.Equal(cur.DelegationBand.Decimal) {
			if err := st.writeProfile(ctx, p, id, next); err != nil {
				return err
			}
		}
		a, err = st.inForce(ctx, id)
		return err
	})
	return a, err
}

const budgetLineColumns = `id, authority_id, fiscal_year, code, name, name_ar, name_en, amount, created_at, updated_at`

// BudgetLines lists authority id's budget lines (of one year when year is
// non-zero), newest year first, if p may see the authority.
func (s *Store) BudgetLines(ctx context.Context, p *auth.Principal, authorityID int64, year int) (out []BudgetLine, err error) {
	defer apperr.Wrap(&err, "authorities.Store.BudgetLines(%d, %d)", authorityID, year)
	if _, err := s.Get(ctx, p, authorityID); err != nil {
		return nil, err
	}
	const q = `SELECT ` + budgetLineColumns + ` FROM budget_lines
		WHERE authority_id = $1 AND ($2 = 0 OR fiscal_year = $2) ORDER BY fiscal_year DESC, code`
	out = []BudgetLine{}
	err = s.db.SelectContext(ctx, &out, q, authorityID, year)
	return out, err
}

// BudgetLineByID returns budget line id without scoping, for features that
// have already scoped their own object (an order names its budget line). A
// missing line is apperr not-found ("not_found.budget_line").
func (s *Store) BudgetLineByID(ctx context.Context, id int64) (b *BudgetLine, err error) {
	defer apperr.Wrap(&err, "authorities.Store.BudgetLineByID(%d)", id)
	const q = `SELECT ` + budgetLineColumns + ` FROM budget_lines WHERE id = $1`
	b = &BudgetLine{}
	if err := s.db.GetContext(ctx, b, q, id); err != nil {
		return nil, notFound(err, "not_found.budget_line")
	}
	return b, nil
}

// canWriteBudget checks that p may write authority id's budget lines: out
// of scope is not found, in scope without the treasurer role is forbidden.
func (s *Store) canWriteBudget(ctx context.Context, p *auth.Principal, authorityID int64) error {
	if _, err := s.Get(ctx, p, authorityID); err != nil {
		return err
	}
	if p.OrgKind != auth.OrgAuthority || !p.Has(auth.RoleTreasurer) {
		return apperr.Forbidden("authority.budget_line.treasurer_only")
	}
	return nil
}

func checkBudgetLine(in *BudgetLineInput) error {
	in.NameAr, in.NameEn = strings.TrimSpace(in.NameAr), strings.TrimSpace(in.NameEn)
	if fe := validate.Amount("amount", in.Amount, true); fe != nil {
		return apperr.Invalid("authority.budget_line.invalid", *fe)
	}
	return nil
}

// lineTaken is the refusal of a budget line code the year already has.
func lineTaken(in *BudgetLineInput) error {
	return apperr.Invalid("authority.budget_line.invalid",
		apperr.Field("code", "authority.budget_line.taken", in.Code, in.FiscalYear))
}

// CreateBudgetLine adds a budget line to authority id, as p: only the
// authority's treasurer may. A code the year already has is an invalid code.
func (s *Store) CreateBudgetLine(ctx context.Context, p *auth.Principal, authorityID int64, in BudgetLineInput) (b *BudgetLine, err error) {
	defer apperr.Wrap(&err, "authorities.Store.CreateBudgetLine(%d)", authorityID)
	if err := s.canWriteBudget(ctx, p, authorityID); err != nil {
		return nil, err
	}
	if err := checkBudgetLine(&in); err != nil {
		return nil, err
	}
	const q = `INSERT INTO budget_lines (authority_id, fiscal_year, code, name, amount, name_ar, name_en)
		VALUES ($1, $2, $3, $4, $5, NULLIF($6, ''), NULLIF($7, '')) RETURNING ` + budgetLineColumns
	b = &BudgetLine{}
	err = s.db.GetContext(ctx, b, q, authorityID, in.FiscalYear, in.Code, in.Name, in.Amount.String(), in.NameAr, in.NameEn)
	if database.IsUniqueViolation(err) {
		return nil, lineTaken(&in)
	}
	if err != nil {
		return nil, database.MapError(err)
	}
	return b, nil
}

// UpdateBudgetLine replaces budget line lineID of authority id, as p: only
// the authority's treasurer may. A line of another authority is not found;
// an amount below what orders hold is a conflict.
func (s *Store) UpdateBudgetLine(ctx context.Context, p *auth.Principal, authorityID, lineID int64, in BudgetLineInput) (b *BudgetLine, err error) {
	defer apperr.Wrap(&err, "authorities.Store.UpdateBudgetLine(%d, %d)", authorityID, lineID)
	if err := s.canWriteBudget(ctx, p, authorityID); err != nil {
		return nil, err
	}
	if err := checkBudgetLine(&in); err != nil {
		return nil, err
	}
	const q = `UPDATE budget_lines SET fiscal_year = $3, code = $4, name = $5, amount = $6,
			name_ar = NULLIF($7, ''), name_en = NULLIF($8, ''), updated_at = now()
		WHERE id = $1 AND authority_id = $2 RETURNING ` + budgetLineColumns
	b = &BudgetLine{}
	err = s.db.GetContext(ctx, b, q, lineID, authorityID, in.FiscalYear, in.Code, in.Name, in.Amount.String(), in.NameAr, in.NameEn)
	if database.IsUniqueViolation(err) {
		return nil, lineTaken(&in)
	}
	if err != nil {
		return nil, notFound(err, "not_found.budget_line")
	}
	return b, nil
}
