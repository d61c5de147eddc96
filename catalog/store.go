package catalog

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/database"
	"madaf/internal/paging"
	"madaf/internal/validate"
)

// Store reads and writes tenders, items, awards and prices, on the pool or
// inside a caller's transaction (InTx).
type Store struct {
	db database.Handle
}

// NewStore returns a Store over the pool db.
func NewStore(db *sqlx.DB) *Store { return &Store{db: database.Audited(db)} }

// InTx returns the store running on tx: its reads see tx's writes and its
// writes join tx, which the caller commits or rolls back.
func (s *Store) InTx(tx *sqlx.Tx) *Store { return &Store{db: tx} }

const tenderColumns = `t.id, t.number, t.title, t.title_ar, t.title_en, t.category, t.category_ar, t.category_en,
	t.description, t.valid_from, t.valid_until, t.extended_until, t.status, t.ceiling, t.fee_percent, t.award_rule,
	t.confirmation_days, t.competition_from, t.competition_min_days, t.created_at, t.updated_at`

// itemColumns are the columns of an Item.
const itemColumns = `id, tender_id, sku, name, name_ar, name_en, unit, max_price`

// Tender returns tender id with its authorities, whatever its status, or
// apperr not-found. It is not scoped: handlers use VisibleTender.
func (s *Store) Tender(ctx context.Context, id int64) (_ *Tender, err error) {
	defer apperr.Wrap(&err, "catalog.Store.Tender(%d)", id)
	var t Tender
	const q = `SELECT ` + tenderColumns + ` FROM tenders t WHERE t.id = $1`
	if err := s.db.GetContext(ctx, &t, q, id); err != nil {
		return nil, notFound(err, "not_found.tender")
	}
	if err := s.loadAuthorities(ctx, []*Tender{&t}); err != nil {
		return nil, err
	}
	return &t, nil
}

// VisibleTender returns tender id when p may see it, else apperr not-found:
// the cluster sees every tender; an authority's users see the active
// tenders open to their authority; a supplier sees the published tenders it
// is awarded.
func (s *Store) VisibleTender(ctx context.Context, p *auth.Principal, id int64) (_ *Tender, err error) {
	defer apperr.Wrap(&err, "catalog.Store.VisibleTender(%d)", id)
	where, args := scope(p, []string{"t.id = $1"}, []any{id})
	var t Tender
	query := `SELECT ` + tenderColumns + ` FROM tenders t WHERE ` + strings.Join(where, " AND ")
	if err := s.db.GetContext(ctx, &t, query, args...); err != nil {
		return nil, notFound(err, "not_found.tender")
	}
	if err := s.loadAuthorities(ctx, []*Tender{&t}); err != nil {
		return nil, err
	}
	return &t, nil
}

// scope adds to where the condition that limits tenders (alias t) to those
// p may see.
func scope(p *auth.Principal, where []string, args []any) ([]string, []any) {
	switch {
	case p == nil:
		where = append(where, "FALSE")
	case p.IsCluster():
	case p.OrgKind == auth.OrgAuthority:
		args = append(args, p.AuthorityID)
		where = append(where, "t.status = 'active'", fmt.Sprintf(
			"EXISTS (SELECT 1 FROM tender_authorities ta WHERE ta.tender_id = t.id AND ta.authority_id = $%d)", len(args)))
	case p.OrgKind == auth.OrgSupplier:
		args = append(args, p.SupplierID)
		where = append(where, "t.status <> 'draft'", fmt.Sprintf(
			"EXISTS (SELECT 1 FROM awards a WHERE a.tender_id = t.id AND a.supplier_id = $%d)", len(args)))
	default:
		where = append(where, "FALSE")
	}
	return where, args
}

// TenderFilter narrows a tender list.
type TenderFilter struct {
	Status   string
	Category string
	Page     paging.Page
}

// Tenders lists the tenders p may see, by id, one keyset page at a time.
func (s *Store) Tenders(ctx context.Context, p *auth.Principal, f TenderFilter) (_ []*Tender, err error) {
	defer apperr.Wrap(&err, "catalog.Store.Tenders(%+v)", f)
	where, args := scope(p, nil, nil)
	if f.Status != "" {
		args = append(args, f.Status)
		where = append(where, fmt.Sprintf("t.status = $%d", len(args)))
	}
	if f.Category != "" {
		args = append(args, f.Category)
		where = append(where, fmt.Sprintf("t.category = $%d", len(args)))
	}
	args = append(args, f.Page.After)
	where = append(where, fmt.Sprintf("t.id > $%d", len(args)))
	limit := f.Page.Limit
	if limit <= 0 {
		limit = 50
	}
	args = append(args, limit)
	query := `SELECT ` + tenderColumns + ` FROM tenders t WHERE ` + strings.Join(where, " AND ") +
		fmt.Sprintf(` ORDER BY t.id LIMIT $%d`, len(args))
	ts := []*Tender{}
	if err := s.db.SelectContext(ctx, &ts, query, args...); err != nil {
		return nil, err
	}
	if err := s.loadAuthorities(ctx, ts); err != nil {
		return nil, err
	}
	return ts, nil
}

// loadAuthorities fills the participating authorities of ts and their
// derived expiry.
func (s *Store) loadAuthorities(ctx context.Context, ts []*Tender) error {
	if len(ts) == 0 {
		return nil
	}
	today := calendar.Today()
	ids := make([]int64, len(ts))
	byID := make(map[int64]*Tender, len(ts))
	for i, t := range ts {
		ids[i] = t.ID
		byID[t.ID] = t
		t.Authorities = []TenderAuthority{}
		t.Expired = t.ExpiredOn(today)
	}
	const q = `
		SELECT ta.tender_id, ta.authority_id, a.name_he, ta.allocation
		FROM tender_authorities ta JOIN authorities a ON a.id = ta.authority_id
		WHERE ta.tender_id = ANY($1)
		ORDER BY ta.tender_id, a.name_he, ta.authority_id`
	var rows []struct {
		TenderID int64 `db:"tender_id"`
		TenderAuthority
	}
	if err := s.db.SelectContext(ctx, &rows, q, pq.Array(ids)); err != nil {
		return err
	}
	for _, r := range rows {
		t := byID[r.TenderID]
		t.Authorities = append(t.Authorities, r.TenderAuthority)
	}
	return nil
}

// CreateTender adds a draft tender. A number already in use is a conflict
// on "number"; an unknown authority is invalid.
func (s *Store) CreateTender(ctx context.Context, in TenderInput) (_ *Tender, err error) {
	defer apperr.Wrap(&err, "catalog.Store.CreateTender(%q)", in.Number)
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var id int64
	err = database.Transact(ctx, s.db, func(tx *sqlx.Tx) error {
		ts := s.InTx(tx)
		if err := ts.checkAuthorities(ctx, in.Authorities); err != nil {
			return err
		}
		const q = `
			INSERT INTO tenders (number, title, category, description, valid_from, valid_until, extended_until,
				ceiling, fee_percent, award_rule, confirmation_days, title_ar, title_en, category_ar, category_en)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULLIF($12, ''), NULLIF($13, ''), NULLIF($14, ''), NULLIF($15, ''))
			RETURNING id`
		err := tx.GetContext(ctx, &id, q, in.Number, in.Title, in.Category, in.Description, in.ValidFrom, in.ValidUntil,
			in.ExtendedUntil, in.Ceiling, *in.FeePercent, in.AwardRule, in.ConfirmationDays,
			in.TitleAr, in.TitleEn, in.CategoryAr, in.CategoryEn)
		if database.IsUniqueViolation(err) {
			return numberTaken(in.Number)
		}
		if err != nil {
			return database.MapError(err)
		}
		return ts.insertAuthorities(ctx, id, in.Authorities)
	})
	if err != nil {
		return nil, err
	}
	return s.Tender(ctx, id)
}

// UpdateTender replaces the fields and participating authorities of tender
// id when ifMatch is its current ETag (or empty). A closed tender cannot
// change (conflict); nor can a tender become "single" while it has several
// active awards.
func (s *Store) UpdateTender(ctx context.Context, id int64, in TenderInput, ifMatch string) (_ *Tender, err error) {
	defer apperr.Wrap(&err, "catalog.Store.UpdateTender(%d)", id)
	if err := in.Validate(); err != nil {
		return nil, err
	}
	err = database.Transact(ctx, s.db, func(tx *sqlx.Tx) error {
		ts := s.InTx(tx)
		status, err := ts.lockTender(ctx, id)
		if err != nil {
			return err
		}
		var current Tender
		if err := tx.GetContext(ctx, &current.UpdatedAt, `SELECT updated_at FROM tenders WHERE id = $1`, id); err != nil {
			return err
		}
		if err := validate.Matches(ifMatch, current.ETag(), "tender.stale"); err != nil {
			return err
		}
		if status == StatusClosed {
			return stateConflict(status, "update")
		}
		if in.AwardRule == RuleSingle {
			_, active, err := ts.ruleAndActiveAwards(ctx, id)
			if err != nil {
				return err
			}
			if active > 1 {
				return &apperr.Error{Kind: apperr.KindConflict, Msg: apperr.M("tender.single_has_awards", active),
					Fields: []apperr.FieldError{apperr.Field("award_rule", "tender.msg.single_has_awards", active)}}
			}
		}
		if err := ts.checkAuthorities(ctx, in.Authorities); err != nil {
			return err
		}
		const q = `
			UPDATE tenders SET number = $2, title = $3, category = $4, description = $5, valid_from = $6, valid_until = $7,
				extended_until = $8, ceiling = $9, fee_percent = $10, award_rule = $11, confirmation_days = $12,
				title_ar = NULLIF($13, ''), title_en = NULLIF($14, ''), category_ar = NULLIF($15, ''), category_en = NULLIF($16, ''),
				updated_at = now()
			WHERE id = $1`
		_, err = tx.ExecContext(ctx, q, id, in.Number, in.Title, in.Category, in.Description, in.ValidFrom, in.ValidUntil,
			in.ExtendedUntil, in.Ceiling, *in.FeePercent, in.AwardRule, in.ConfirmationDays,
			in.TitleAr, in.TitleEn, in.CategoryAr, in.CategoryEn)
		if database.IsUniqueViolation(err) {
			return numberTaken(in.Number)
		}
		if err != nil {
			return database.MapError(err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM tender_authorities WHERE tender_id = $1`, id); err != nil {
			return err
		}
		return ts.insertAuthorities(ctx, id, in.Authorities)
	})
	if err != nil {
		return nil, err
	}
	return s.Tender(ctx, id)
}

// SetCompetitionRules replaces tender id's rules for mini-competitions
// when ifMatch is its current ETag (or empty). A closed tender cannot
// change (conflict).
func (s *Store) SetCompetitionRules(ctx context.Context, id int64, in CompetitionRules, ifMatch string) (_ *Tender, err error) {
	defer apperr.Wrap(&err, "catalog.Store.SetCompetitionRules(%d)", id)
	if err := in.Validate(); err != nil {
		return nil, err
	}
	err = database.Transact(ctx, s.db, func(tx *sqlx.Tx) error {
		ts := s.InTx(tx)
		status, err := ts.lockTender(ctx, id)
		if err != nil {
			return err
		}
		var current Tender
		if err := tx.GetContext(ctx, &current.UpdatedAt, `SELECT updated_at FROM tenders WHERE id = $1`, id); err != nil {
			return err
		}
		if err := validate.Matches(ifMatch, current.ETag(), "tender.stale"); err != nil {
			return err
		}
		if status == StatusClosed {
			return stateConflict(status, "update")
		}
		const q = `UPDATE tenders SET competition_from = $2, competition_min_days = $3, updated_at = now() WHERE id = $1`
		_, err = tx.ExecContext(ctx, q, id, in.CompetitionFrom, in.CompetitionMinDays)
		return database.MapError(err)
	})
	if err != nil {
		return nil, err
	}
	return s.Tender(ctx, id)
}

// numberTaken is the conflict of a tender number another tender has.
func numberTaken(number string) error {
	return &apperr.Error{Kind: apperr.KindConflict, Msg: apperr.M("tender.number_taken", number),
		Fields: []apperr.FieldError{apperr.Field("number", "tender.msg.number_taken")}}
}

// checkAuthorities reports each listed authority that does not exist.
func (s *Store) checkAuthorities(ctx context.Context, as []AuthorityInput) error {
	if len(as) == 0 {
		return nil
	}
	ids := make([]int64, len(as))
	for i, a := range as {
		ids[i] = a.AuthorityID
	}
	var known []int64
	if err := s.db.SelectContext(ctx, &known, `SELECT id FROM authorities WHERE id = ANY($1)`, pq.Array(ids)); err != nil {
		return err
	}
	found := make(map[int64]bool, len(known))
	for _, id := range known {
		found[id] = true
	}
	var fs []apperr.FieldError
	for i, a := range as {
		if !found[a.AuthorityID] {
			fs = append(fs, apperr.Field(fmt.Sprintf("authorities[%d].authority_id", i), "tender.msg.unknown_authority", a.AuthorityID))
		}
	}
	if len(fs) > 0 {
		return apperr.Invalid("tender.unknown_authorities", fs...)
	}
	return nil
}

// insertAuthorities makes as the participating authorities of tenderID.
func (s *Store) insertAuthorities(ctx context.Context, tenderID int64, as []AuthorityInput) error {
	for _, a := range as {
		const q = `INSERT INTO tender_authorities (tender_id, authority_id, allocation) VALUES ($1, $2, $3)`
		if _, err := s.db.ExecContext(ctx, q, tenderID, a.AuthorityID, a.Allocation); err != nil {
			return database.MapError(err)
		}
	}
	return nil
}

// lockTender locks tender id until the end of the store's transaction and
// returns its status.
func (s *Store) lockTender(ctx context.Context, id int64) (string, error) {
	var status string
	if err := s.db.GetContext(ctx, &status, `SELECT status FROM tenders WHERE id = $1 FOR UPDATE`, id); err != nil {
		return "", notFound(err, "not_found.tender")
	}
	return status, nil
}

// touchTender marks tender id as changed, for its ETag.
func (s *Store) touchTender(ctx context.Context, id int64) error {
	_, err := s.db.ExecContext(ctx, `UPDATE tenders SET updated_at = now() WHERE id = $1`, id)
	return err
}

// authorityOption is a member authority offered in a form.
type authorityOption struct {
	ID   int64  `db:"id"`
	Name string `db:"name"`
}

// authorityOptions lists the active authorities, named in lang.
func (s *Store) authorityOptions(ctx context.Context, lang string) ([]authorityOption, error) {
	const q = `SELECT id, name_in($1, name_he, name_ar, name_en) AS name
		FROM authorities WHERE active ORDER BY name_he, id`
	var out []authorityOption
	err := s.db.SelectContext(ctx, &out, q, lang)
	return out, err
}

// notFound maps a missing row to apperr not-found with key (e.g.
// "not_found.tender").
func notFound(err error, key string) error {
	if err = database.MapError(err); apperr.Is(err, apperr.KindNotFound) {
		return apperr.NotFound(key)
	}
	return err
}
