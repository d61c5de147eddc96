package catalog

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"madaf/internal/apperr"
	"madaf/internal/database"
	"madaf/internal/paging"
)

// Items returns every item of tender tenderID, by id.
func (s *Store) Items(ctx context.Context, tenderID int64) ([]Item, error) {
	return s.ItemsPage(ctx, tenderID, paging.Page{Limit: 0})
}

// ItemsPage returns one keyset page of the items of tenderID, by id; a
// page without a limit returns every item after page.After.
func (s *Store) ItemsPage(ctx context.Context, tenderID int64, page paging.Page) (_ []Item, err error) {
	defer apperr.Wrap(&err, "catalog.Store.ItemsPage(%d)", tenderID)
	const q = `
		SELECT ` + itemColumns + ` FROM tender_items
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

// AddItems adds items to tender tenderID, all or none. A closed tender
// takes no items; a SKU already in the tender (or twice in items) is a
// conflict on "sku".
func (s *Store) AddItems(ctx context.Context, tenderID int64, items []ItemInput) (_ []Item, err error) {
	defer apperr.Wrap(&err, "catalog.Store.AddItems(%d)", tenderID)
	for i := range items {
		if err := items[i].Validate(); err != nil {
			if len(items) == 1 {
				return nil, err
			}
			return nil, prefixFields(err, fmt.Sprintf("items[%d].", i))
		}
	}
	out := make([]Item, 0, len(items))
	err = database.Transact(ctx, s.db, func(tx *sqlx.Tx) error {
		out = out[:0]
		ts := s.InTx(tx)
		status, err := ts.lockTender(ctx, tenderID)
		if err != nil {
			return err
		}
		if status == StatusClosed {
			return stateConflict(status, "add_items")
		}
		for i, in := range items {
			const q = `
				INSERT INTO tender_items (tender_id, sku, name, name_ar, name_en, unit, max_price)
				VALUES ($1, $2, $3, NULLIF($4, ''), NULLIF($5, ''), $6, $7)
				RETURNING ` + itemColumns
			var it Item
			err := tx.GetContext(ctx, &it, q, tenderID, in.SKU, in.Name, in.NameAr, in.NameEn, in.Unit, in.MaxPrice)
			if database.IsUniqueViolation(err) {
				field := "sku"
				if len(items) > 1 {
					field = fmt.Sprintf("items[%d].sku", i)
				}
				return &apperr.Error{Kind: apperr.KindConflict, Msg: apperr.M("tender.sku_taken", in.SKU),
					Fields: []apperr.FieldError{apperr.Field(field, "tender.msg.sku_taken")}}
			}
			if err != nil {
				return database.MapError(err)
			}
			out = append(out, it)
		}
		return ts.touchTender(ctx, tenderID)
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
