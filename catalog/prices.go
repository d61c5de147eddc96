package catalog

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"madaf/internal/apperr"
	"madaf/internal/calendar"
	"madaf/internal/database"
	"madaf/internal/money"
)

// priceRow is one price to add: from the API (line 0) or from row line of
// a price-list file, with what is already known to be wrong with it.
type priceRow struct {
	PriceInput
	line int
	sku  string
	errs []apperr.FieldError
}

// Fail records that field of r is wrong; fields of file rows are named
// rows[<line>].<field>.
func (r *priceRow) Fail(field, key string, args ...any) {
	r.errs = append(r.errs, apperr.Field(r.fieldName(field), key, args...))
}

func (r *priceRow) fieldName(field string) string {
	if r.line > 0 {
		return fmt.Sprintf("rows[%d].%s", r.line, field)
	}
	return field
}

// AddPrice adds one price to award awardID of tender tenderID; see
// AddPrices for the rules.
func (s *Store) AddPrice(ctx context.Context, tenderID, awardID int64, in PriceInput) (_ *Price, err error) {
	defer apperr.Wrap(&err, "catalog.Store.AddPrice(%d, %d)", tenderID, awardID)
	ps, err := s.addPrices(ctx, tenderID, awardID, []*priceRow{{PriceInput: in}})
	if err != nil {
		return nil, err
	}
	return &ps[0], nil
}

// AddPrices adds prices to award awardID of tender tenderID, all or none.
// History is never rewritten: a new price starts on its date and the
// earlier ones stay in force before it. Each price must be positive, in
// agorot, for an item of the tender, not above the item's maximum, and
// start within the tender's validity; it may start before today only as
// the item's first price in the award or as a correction. A reason left
// empty is "initial" for the item's first price, else "price_update".
// A closed tender or a terminated award takes no prices (conflict). When
// rows are wrong, the invalid error names each (rows[<n>].<field>) and
// carries them as BadRows under "bad_rows".
func (s *Store) AddPrices(ctx context.Context, tenderID, awardID int64, ins []PriceInput) (_ []Price, err error) {
	defer apperr.Wrap(&err, "catalog.Store.AddPrices(%d, %d)", tenderID, awardID)
	rows := make([]*priceRow, len(ins))
	for i, in := range ins {
		rows[i] = &priceRow{PriceInput: in, line: i + 1}
	}
	return s.addPrices(ctx, tenderID, awardID, rows)
}

func (s *Store) addPrices(ctx context.Context, tenderID, awardID int64, rows []*priceRow) ([]Price, error) {
	if len(rows) == 0 {
		return nil, apperr.Invalid("tender.no_prices", apperr.Field("rows", "tender.msg.no_rows"))
	}
	var out []Price
	err := database.Transact(ctx, s.db, func(tx *sqlx.Tx) error {
		ts := s.InTx(tx)
		t, err := ts.Tender(ctx, tenderID)
		if err != nil {
			return err
		}
		if t.Status == StatusClosed {
			return stateConflict(t.Status, "change_prices")
		}
		awardStatus, _, err := ts.lockAward(ctx, tenderID, awardID)
		if err != nil {
			return err
		}
		if awardStatus == AwardTerminated {
			return &apperr.Error{Kind: apperr.KindConflict, Msg: apperr.M("tender.award_terminated"),
				Fields: []apperr.FieldError{apperr.Field("status", "tender.msg.status_is", apperr.K("award_status."+awardStatus))},
				Extra:  map[string]any{"award_status": awardStatus}}
		}
		if err := ts.checkPrices(ctx, t, awardID, rows); err != nil {
			return err
		}
		out, err = ts.insertPrices(ctx, awardID, rows)
		return err
	})
	return out, err
}

// checkPrices checks every row and reports all that are wrong at once.
func (s *Store) checkPrices(ctx context.Context, t *Tender, awardID int64, rows []*priceRow) error {
	ids := make([]int64, 0, len(rows))
	for _, r := range rows {
		if r.ItemID > 0 {
			ids = append(ids, r.ItemID)
		}
	}
	byID, err := s.itemsOf(ctx, t.ID, ids)
	if err != nil {
		return err
	}
	priced, err := s.pricedItems(ctx, awardID, ids)
	if err != nil {
		return err
	}

	today := calendar.Today()
	type key struct {
		item int64
		from calendar.Date
	}
	seen := map[key]int{}
	var fs []apperr.FieldError
	for _, r := range rows {
		it := byID[r.ItemID]
		if r.Reason == "" && it != nil {
			r.Reason = ReasonPriceUpdate
			if !priced[it.ID] {
				r.Reason = ReasonInitial
			}
		}
		reported := map[string]bool{}
		for _, f := range r.errs {
			reported[f.Field] = true
		}
		for _, f := range r.PriceInput.fieldErrors() {
			if reported[r.fieldName(f.Field)] || f.Field == "item_id" && reported[r.fieldName("sku")] {
				continue // what could not be read is reported once
			}
			r.errs = append(r.errs, apperr.FieldError{Field: r.fieldName(f.Field), Msg: f.Msg})
		}
		if r.ItemID > 0 && it == nil {
			r.Fail("item_id", "tender.msg.not_an_item")
		}
		if it != nil && r.Price.IsPositive() && it.MaxPrice != nil && r.Price.GreaterThan(it.MaxPrice.Decimal) {
			r.Fail("price", "tender.msg.above_max_price", money.Format(r.Price.Decimal), money.Format(it.MaxPrice.Decimal))
		}
		if !r.ValidFrom.IsZero() {
			switch {
			case r.ValidFrom.Before(t.ValidFrom):
				r.Fail("valid_from", "tender.msg.before_validity", r.ValidFrom, t.ValidFrom)
			case r.ValidFrom.After(t.EndsOn()):
				r.Fail("valid_from", "tender.msg.after_validity", r.ValidFrom, t.EndsOn())
			case it != nil && priced[it.ID] && r.ValidFrom.Before(today) && r.Reason != ReasonCorrection:
				r.Fail("valid_from", "tender.msg.change_in_past", r.ValidFrom)
			}
		}
		if it != nil && priced[it.ID] && r.Reason == ReasonInitial {
			r.Fail("reason", "tender.msg.initial_taken")
		}
		if it != nil && !r.ValidFrom.IsZero() {
			k := key{it.ID, r.ValidFrom}
			if first, dup := seen[k]; dup && r.line > 0 {
				r.Fail("sku", "tender.msg.second_price", it.SKU, r.ValidFrom, first)
			} else if !dup {
				seen[k] = r.line
			}
		}
		if it != nil && len(r.errs) == 0 {
			priced[it.ID] = true
		}
		fs = append(fs, r.errs...)
	}
	if len(fs) == 0 {
		return nil
	}
	if len(rows) == 1 && rows[0].line == 0 {
		return apperr.Invalid("tender.price_invalid", fs...)
	}
	bad := make([]BadRow, 0, len(fs))
	badRows := 0
	for _, r := range rows {
		if len(r.errs) > 0 {
			badRows++
		}
		for _, f := range r.errs {
			bad = append(bad, BadRow{Row: r.line, Column: f.Field[strings.LastIndexByte(f.Field, '.')+1:], Msg: f.Msg})
		}
	}
	return &apperr.Error{Kind: apperr.KindInvalid, Fields: fs, Extra: map[string]any{"bad_rows": bad},
		Msg: apperr.M("tender.rows_wrong", badRows, len(rows))}
}
