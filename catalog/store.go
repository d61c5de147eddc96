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

// Store reads and writes tenders, items, awards and prices.
type Store struct {
	db *sqlx.DB
}

// NewStore returns a Store over db.
func NewStore(db *sqlx.DB) *Store { return &Store{db: db} }

const tenderColumns = `t.id, t.number, t.title, t.category, t.description, t.valid_from, t.valid_until,
	t.extended_until, t.status, t.ceiling, t.fee_percent, t.award_rule, t.confirmation_days, t.created_at, t.updated_at`

// Tender returns tender id with its authorities, whatever its status, or
// apperr not-found. It is not scoped: handlers use VisibleTender.
func (s *Store) Tender(ctx context.Context, id int64) (*Tender, error) {
	return LoadTender(ctx, s.db, id)
}

// LoadTender is Store.Tender on q, for callers inside a transaction.
func LoadTender(ctx context.Context, q sqlx.QueryerContext, id int64) (*Tender, error) {
	var t Tender
	if err := sqlx.GetContext(ctx, q, &t, `SELECT `+tenderColumns+` FROM tenders t WHERE t.id = $1`, id); err != nil {
		return nil, notFound(err, "tender")
	}
	ts := []*Tender{&t}
	if err := loadAuthorities(ctx, q, ts); err != nil {
		return nil, err
	}
	return &t, nil
}

// VisibleTender returns tender id when p may see it, else apperr not-found:
// the cluster sees every tender; an authority's users see the active
// tenders open to their authority; a supplier sees the published tenders it
// is awarded.
func (s *Store) VisibleTender(ctx context.Context, p *auth.Principal, id int64) (*Tender, error) {
	return LoadVisibleTender(ctx, s.db, p, id)
}

// LoadVisibleTender is Store.VisibleTender on q, for callers inside a
// transaction.
func LoadVisibleTender(ctx context.Context, q sqlx.QueryerContext, p *auth.Principal, id int64) (*Tender, error) {
	where, args := scope(p, []string{"t.id = $1"}, []any{id})
	var t Tender
	query := `SELECT ` + tenderColumns + ` FROM tenders t WHERE ` + strings.Join(where, " AND ")
	if err := sqlx.GetContext(ctx, q, &t, query, args...); err != nil {
		return nil, notFound(err, "tender")
	}
	if err := loadAuthorities(ctx, q, []*Tender{&t}); err != nil {
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
func (s *Store) Tenders(ctx context.Context, p *auth.Principal, f TenderFilter) ([]*Tender, error) {
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
	if err := sqlx.SelectContext(ctx, s.db, &ts, query, args...); err != nil {
		return nil, err
	}
	if err := loadAuthorities(ctx, s.db, ts); err != nil {
		return nil, err
	}
	return ts, nil
}

// loadAuthorities fills the participating authorities of ts and their
// derived expiry.
func loadAuthorities(ctx context.Context, q sqlx.QueryerContext, ts []*Tender) error {
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
	const query = `
		SELECT ta.tender_id, ta.authority_id, a.name_he, ta.allocation
		FROM tender_authorities ta JOIN authorities a ON a.id = ta.authority_id
		WHERE ta.tender_id = ANY($1)
		ORDER BY ta.tender_id, a.name_he, ta.authority_id`
	var rows []struct {
		TenderID int64 `db:"tender_id"`
		TenderAuthority
	}
	if err := sqlx.SelectContext(ctx, q, &rows, query, pq.Array(ids)); err != nil {
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
func (s *Store) CreateTender(ctx context.Context, in TenderInput) (*Tender, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var id int64
	err := database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		if err := checkAuthorities(ctx, tx, in.Authorities); err != nil {
			return err
		}
		const q = `
			INSERT INTO tenders (number, title, category, description, valid_from, valid_until, extended_until,
				ceiling, fee_percent, award_rule, confirmation_days)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			RETURNING id`
		err := tx.GetContext(ctx, &id, q, in.Number, in.Title, in.Category, in.Description, in.ValidFrom, in.ValidUntil,
			in.ExtendedUntil, in.Ceiling, *in.FeePercent, in.AwardRule, in.ConfirmationDays)
		if database.IsUniqueViolation(err) {
			return numberTaken(in.Number)
		}
		if err != nil {
			return database.MapError(err)
		}
		return replaceAuthorities(ctx, tx, id, in.Authorities)
	})
	if err != nil {
		return nil, err
	}
	return s.Tender(ctx, id)
}

// UpdateTender replaces the fields and participating authorities of tender
// id. A closed tender cannot change (conflict); nor can a tender become
// "single" while it has several active awards.
func (s *Store) UpdateTender(ctx context.Context, id int64, in TenderInput, ifMatch string) (*Tender, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	err := database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		status, err := lockTender(ctx, tx, id)
		if err != nil {
			return err
		}
		var current Tender
		if err := tx.GetContext(ctx, &current.UpdatedAt, `SELECT updated_at FROM tenders WHERE id = $1`, id); err != nil {
			return err
		}
		if !validate.IfMatch(ifMatch, current.ETag()) {
			return &apperr.Error{Kind: apperr.KindPrecondition,
				Msg: apperr.M("the tender changed since you read it; reload it"), Extra: map[string]any{"etag": current.ETag()}}
		}
		if status == StatusClosed {
			return stateConflict(status, "update", StatusDraft, StatusActive, StatusSuspended)
		}
		if in.AwardRule == RuleSingle {
			var active int
			if err := tx.GetContext(ctx, &active, `SELECT count(*) FROM awards WHERE tender_id = $1 AND status = 'active'`, id); err != nil {
				return err
			}
			if active > 1 {
				return &apperr.Error{Kind: apperr.KindConflict, Msg: apperr.M("the tender has %d active awards; a single-award tender has one", active),
					Fields: []apperr.FieldError{apperr.Field("award_rule", "cannot be single while %d awards are active", active)}}
			}
		}
		if err := checkAuthorities(ctx, tx, in.Authorities); err != nil {
			return err
		}
		const q = `
			UPDATE tenders SET number = $2, title = $3, category = $4, description = $5, valid_from = $6, valid_until = $7,
				extended_until = $8, ceiling = $9, fee_percent = $10, award_rule = $11, confirmation_days = $12, updated_at = now()
			WHERE id = $1`
		_, err = tx.ExecContext(ctx, q, id, in.Number, in.Title, in.Category, in.Description, in.ValidFrom, in.ValidUntil,
			in.ExtendedUntil, in.Ceiling, *in.FeePercent, in.AwardRule, in.ConfirmationDays)
		if database.IsUniqueViolation(err) {
			return numberTaken(in.Number)
		}
		if err != nil {
			return database.MapError(err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM tender_authorities WHERE tender_id = $1`, id); err != nil {
			return err
		}
		return replaceAuthorities(ctx, tx, id, in.Authorities)
	})
	if err != nil {
		return nil, err
	}
	return s.Tender(ctx, id)
}

func numberTaken(number string) error {
	return &apperr.Error{Kind: apperr.KindConflict, Msg: apperr.M("another tender has the number " + number),
		Fields: []apperr.FieldError{apperr.Field("number", "is already used by another tender")}}
}

// checkAuthorities reports each listed authority that does not exist.
func checkAuthorities(ctx context.Context, q sqlx.QueryerContext, as []AuthorityInput) error {
	if len(as) == 0 {
		return nil
	}
	ids := make([]int64, len(as))
	for i, a := range as {
		ids[i] = a.AuthorityID
	}
	var known []int64
	if err := sqlx.SelectContext(ctx, q, &known, `SELECT id FROM authorities WHERE id = ANY($1)`, pq.Array(ids)); err != nil {
		return err
	}
	found := make(map[int64]bool, len(known))
	for _, id := range known {
		found[id] = true
	}
	var fs []apperr.FieldError
	for i, a := range as {
		if !found[a.AuthorityID] {
			fs = append(fs, apperr.Field(fmt.Sprintf("authorities[%d].authority_id", i), "no authority has the id %d", a.AuthorityID))
		}
	}
	if len(fs) > 0 {
		return apperr.Invalid("the tender names unknown authorities", fs...)
	}
	return nil
}

func replaceAuthorities(ctx context.Context, tx *sqlx.Tx, tenderID int64, as []AuthorityInput) error {
	for _, a := range as {
		const q = `INSERT INTO tender_authorities (tender_id, authority_id, allocation) VALUES ($1, $2, $3)`
		if _, err := tx.ExecContext(ctx, q, tenderID, a.AuthorityID, a.Allocation); err != nil {
			return database.MapError(err)
		}
	}
	return nil
}

// lockTender locks tender id for the rest of tx and returns its status.
func lockTender(ctx context.Context, tx *sqlx.Tx, id int64) (string, error) {
	var status string
	if err := tx.GetContext(ctx, &status, `SELECT status FROM tenders WHERE id = $1 FOR UPDATE`, id); err != nil {
		return "", notFound(err, "tender")
	}
	return status, nil
}

// stateConflict is the 409 for an action the current status does not allow.
func stateConflict(status, action string, allowed ...string) error {
	return &apperr.Error{
		Kind:   apperr.KindConflict,
		Msg:    apperr.M("the tender is %s; %s needs it to be %s", status, action, strings.Join(allowed, " or ")),
		Fields: []apperr.FieldError{apperr.Field("status", "is %s", status)},
		Extra:  map[string]any{"tender_status": status},
	}
}

// notFound maps a missing row to apperr not-found naming what.
func notFound(err error, what string) error {
	if err = database.MapError(err); apperr.Is(err, apperr.KindNotFound) {
		return apperr.NotFound(what)
	}
	return err
}

// Items returns every item of tender tenderID, by id.
func (s *Store) Items(ctx context.Context, tenderID int64) ([]Item, error) {
	return s.ItemsPage(ctx, tenderID, paging.Page{Limit: 0})
}

// ItemsPage returns one keyset page of the items of tenderID, by id; a
// page without a limit returns every item after page.After.
func (s *Store) ItemsPage(ctx context.Context, tenderID int64, page paging.Page) ([]Item, error) {
	const q = `
		SELECT id, tender_id, sku, name, unit, max_price FROM tender_items
		WHERE tender_id = $1 AND id > $2 ORDER BY id LIMIT $3`
	var limit any
	if page.Limit > 0 {
		limit = page.Limit
	}
	items := []Item{}
	if err := s.db.SelectContext(ctx, &items, q, tenderID, page.After, limit); err != nil {
		return nil, err
	}
	return items, nil
}

// Item returns item id, or apperr not-found.
func (s *Store) Item(ctx context.Context, id int64) (*Item, error) {
	var it Item
	const q = `SELECT id, tender_id, sku, name, unit, max_price FROM tender_items WHERE id = $1`
	if err := s.db.GetContext(ctx, &it, q, id); err != nil {
		return nil, notFound(err, "item")
	}
	return &it, nil
}

// AddItems adds items to tender tenderID, all or none. A closed tender
// takes no items; a SKU already in the tender (or twice in items) is a
// conflict on "sku".
func (s *Store) AddItems(ctx context.Context, tenderID int64, items []ItemInput) ([]Item, error) {
	for i := range items {
		if err := items[i].Validate(); err != nil {
			if len(items) == 1 {
				return nil, err
			}
			return nil, prefixFields(err, fmt.Sprintf("items[%d].", i))
		}
	}
	out := make([]Item, 0, len(items))
	err := database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		out = out[:0]
		status, err := lockTender(ctx, tx, tenderID)
		if err != nil {
			return err
		}
		if status == StatusClosed {
			return stateConflict(status, "adding items", StatusDraft, StatusActive, StatusSuspended)
		}
		for i, in := range items {
			const q = `
				INSERT INTO tender_items (tender_id, sku, name, unit, max_price) VALUES ($1, $2, $3, $4, $5)
				RETURNING id, tender_id, sku, name, unit, max_price`
			var it Item
			err := tx.GetContext(ctx, &it, q, tenderID, in.SKU, in.Name, in.Unit, in.MaxPrice)
			if database.IsUniqueViolation(err) {
				field := "sku"
				if len(items) > 1 {
					field = fmt.Sprintf("items[%d].sku", i)
				}
				return &apperr.Error{Kind: apperr.KindConflict, Msg: apperr.M("the tender already has an item with the SKU " + in.SKU),
					Fields: []apperr.FieldError{apperr.Field(field, "is already used by another item of this tender")}}
			}
			if err != nil {
				return database.MapError(err)
			}
			out = append(out, it)
		}
		_, err = tx.ExecContext(ctx, `UPDATE tenders SET updated_at = now() WHERE id = $1`, tenderID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// prefixFields returns err with every field name prefixed.
func prefixFields(err error, prefix string) error {
	ae, ok := err.(*apperr.Error)
	if !ok {
		return err
	}
	c := *ae
	c.Fields = make([]apperr.FieldError, len(ae.Fields))
	for i, f := range ae.Fields {
		c.Fields[i] = apperr.FieldError{Field: prefix + f.Field, Msg: f.Msg}
	}
	return &c
}
