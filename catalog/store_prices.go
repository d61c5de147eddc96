package catalog

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/database"
	"madaf/internal/paging"
)

// PriceInForce returns the unit price supplierID offers for itemID on day:
// the price of the supplier's award in the item's tender whose valid_from is
// the latest on or before day (the latest entry when two start the same
// day). It does not look at the award's or tender's status; callers check
// those. It returns an apperr not-found when the supplier has no award in
// the item's tender or no price started by day.
func PriceInForce(ctx context.Context, q sqlx.QueryerContext, itemID, supplierID int64, on calendar.Date) (decimal.Decimal, error) {
	const query = `
		SELECT p.price
		FROM tender_items i
		JOIN awards a ON a.tender_id = i.tender_id AND a.supplier_id = $2
		JOIN award_prices p ON p.award_id = a.id AND p.item_id = i.id
		WHERE i.id = $1 AND p.valid_from <= $3
		ORDER BY p.valid_from DESC, p.id DESC
		LIMIT 1`
	var price decimal.Decimal
	if err := sqlx.GetContext(ctx, q, &price, query, itemID, supplierID, on); err != nil {
		if err = database.MapError(err); apperr.Is(err, apperr.KindNotFound) {
			return decimal.Zero, apperr.NotFound("not_found.price")
		}
		return decimal.Zero, err
	}
	return price, nil
}

// OffersInForce returns, for each of itemIDs, every active award's price in
// force on day, cheapest first (then by supplier name): the side-by-side
// comparison an officer sees for a "choice" tender. Items without any
// active priced award are absent from the map. It does not scope by
// caller; OffersInForceFor does.
func OffersInForce(ctx context.Context, q sqlx.QueryerContext, itemIDs []int64, on calendar.Date) (map[int64][]Offer, error) {
	return offersInForce(ctx, q, itemIDs, 0, on)
}

// OffersInForceFor is OffersInForce as p may see it: a supplier gets only
// its own award's prices, never a competitor's; the cluster and an
// authority's users get every active award's. A nil p gets none.
func OffersInForceFor(ctx context.Context, q sqlx.QueryerContext, p *auth.Principal, itemIDs []int64, on calendar.Date) (map[int64][]Offer, error) {
	switch {
	case p == nil:
		return map[int64][]Offer{}, nil
	case p.OrgKind == auth.OrgSupplier:
		if p.SupplierID <= 0 {
			return map[int64][]Offer{}, nil
		}
		return offersInForce(ctx, q, itemIDs, p.SupplierID, on)
	default:
		return offersInForce(ctx, q, itemIDs, 0, on)
	}
}

// offersInForce is OffersInForce limited to supplierID's award when
// supplierID > 0.
func offersInForce(ctx context.Context, q sqlx.QueryerContext, itemIDs []int64, supplierID int64, on calendar.Date) (map[int64][]Offer, error) {
	out := make(map[int64][]Offer, len(itemIDs))
	if len(itemIDs) == 0 {
		return out, nil
	}
	const query = `
		SELECT o.item_id, o.award_id, o.supplier_id, s.legal_name, o.price, o.valid_from
		FROM (
			SELECT DISTINCT ON (p.item_id, p.award_id) p.item_id, p.award_id, a.supplier_id, p.price, p.valid_from
			FROM award_prices p JOIN awards a ON a.id = p.award_id AND a.status = 'active'
			WHERE p.item_id = ANY($1) AND p.valid_from <= $2 AND ($3::bigint = 0 OR a.supplier_id = $3)
			ORDER BY p.item_id, p.award_id, p.valid_from DESC, p.id DESC
		) o
		JOIN suppliers s ON s.id = o.supplier_id
		ORDER BY o.item_id, o.price, s.legal_name, o.award_id`
	var offers []Offer
	if err := sqlx.SelectContext(ctx, q, &offers, query, pq.Array(itemIDs), on, supplierID); err != nil {
		return nil, err
	}
	for _, o := range offers {
		out[o.ItemID] = append(out[o.ItemID], o)
	}
	return out, nil
}

// priceRow is one price to add: from the API (line 0) or from row line of
// a price-list file, with what is already known to be wrong with it.
type priceRow struct {
	PriceInput
	line int
	sku  string
	errs []apperr.FieldError
}

// fail records that field of r is wrong; fields of file rows are named
// rows[<line>].<field>.
func (r *priceRow) fail(field, format string, args ...any) {
	r.errs = append(r.errs, apperr.Field(r.fieldName(field), format, args...))
}

func (r *priceRow) fieldName(field string) string {
	if r.line > 0 {
		return fmt.Sprintf("rows[%d].%s", r.line, field)
	}
	return field
}

// AddPrice adds one price to award awardID of tender tenderID; see
// AddPrices for the rules.
func (s *Store) AddPrice(ctx context.Context, tenderID, awardID int64, in PriceInput) (*Price, error) {
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
// A closed tender or a terminated award takes no prices (conflict).
func (s *Store) AddPrices(ctx context.Context, tenderID, awardID int64, ins []PriceInput) ([]Price, error) {
	rows := make([]*priceRow, len(ins))
	for i, in := range ins {
		rows[i] = &priceRow{PriceInput: in, line: i + 1}
	}
	return s.addPrices(ctx, tenderID, awardID, rows)
}

func (s *Store) addPrices(ctx context.Context, tenderID, awardID int64, rows []*priceRow) ([]Price, error) {
	if len(rows) == 0 {
		return nil, apperr.Invalid("there are no prices to add", apperr.Field("rows", "has no price rows"))
	}
	var out []Price
	err := database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		t, err := LoadTender(ctx, tx, tenderID)
		if err != nil {
			return err
		}
		if t.Status == StatusClosed {
			return stateConflict(t.Status, "changing prices", StatusDraft, StatusActive, StatusSuspended)
		}
		var awardStatus string
		const lockAward = `SELECT status FROM awards WHERE id = $1 AND tender_id = $2 FOR UPDATE`
		if err := tx.GetContext(ctx, &awardStatus, lockAward, awardID, tenderID); err != nil {
			return notFound(err, "award")
		}
		if awardStatus == AwardTerminated {
			return &apperr.Error{Kind: apperr.KindConflict, Msg: apperr.M("the award is terminated and takes no prices"),
				Fields: []apperr.FieldError{apperr.Field("status", "is terminated")}, Extra: map[string]any{"award_status": awardStatus}}
		}
		if err := checkPrices(ctx, tx, t, awardID, rows); err != nil {
			return err
		}
		out, err = insertPrices(ctx, tx, awardID, rows)
		return err
	})
	return out, err
}

// checkPrices checks every row and reports all that are wrong at once.
func checkPrices(ctx context.Context, tx *sqlx.Tx, t *Tender, awardID int64, rows []*priceRow) error {
	ids := make([]int64, 0, len(rows))
	for _, r := range rows {
		if r.ItemID > 0 {
			ids = append(ids, r.ItemID)
		}
	}
	var items []Item
	const qItems = `SELECT id, tender_id, sku, name, unit, max_price FROM tender_items WHERE tender_id = $1 AND id = ANY($2)`
	if err := tx.SelectContext(ctx, &items, qItems, t.ID, pq.Array(ids)); err != nil {
		return err
	}
	byID := make(map[int64]*Item, len(items))
	for i := range items {
		byID[items[i].ID] = &items[i]
	}
	var pricedIDs []int64
	const qPriced = `SELECT DISTINCT item_id FROM award_prices WHERE award_id = $1 AND item_id = ANY($2)`
	if err := tx.SelectContext(ctx, &pricedIDs, qPriced, awardID, pq.Array(ids)); err != nil {
		return err
	}
	priced := make(map[int64]bool, len(pricedIDs))
	for _, id := range pricedIDs {
		priced[id] = true
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
			r.fail("item_id", "is not an item of this tender")
		}
		if it != nil && r.Price.IsPositive() && it.MaxPrice != nil && r.Price.GreaterThan(it.MaxPrice.Decimal) {
			r.fail("price", "%s is above the item's maximum price %s", r.Price.String(), it.MaxPrice.String())
		}
		if !r.ValidFrom.IsZero() {
			switch {
			case r.ValidFrom.Before(t.ValidFrom):
				r.fail("valid_from", "%s is before the tender's validity starts (%s)", r.ValidFrom, t.ValidFrom)
			case r.ValidFrom.After(t.EndsOn()):
				r.fail("valid_from", "%s is after the tender's validity ends (%s)", r.ValidFrom, t.EndsOn())
			case it != nil && priced[it.ID] && r.ValidFrom.Before(today) && r.Reason != ReasonCorrection:
				r.fail("valid_from", "a price change cannot start in the past (%s); only a correction can", r.ValidFrom)
			}
		}
		if it != nil && priced[it.ID] && r.Reason == ReasonInitial {
			r.fail("reason", "initial is only for an item's first price; this item already has one")
		}
		if it != nil && !r.ValidFrom.IsZero() {
			k := key{it.ID, r.ValidFrom}
			if first, dup := seen[k]; dup && r.line > 0 {
				r.fail("sku", "%s has a second price from %s (first on row %d)", it.SKU, r.ValidFrom, first)
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
		return apperr.Invalid("the price has invalid fields", fs...)
	}
	bad := make([]map[string]any, 0, len(fs))
	badRows := 0
	for _, r := range rows {
		if len(r.errs) > 0 {
			badRows++
		}
		for _, f := range r.errs {
			bad = append(bad, map[string]any{"row": r.line, "column": f.Field[strings.LastIndexByte(f.Field, '.')+1:], "message": f.Msg.String()})
		}
	}
	return &apperr.Error{Kind: apperr.KindInvalid, Fields: fs, Extra: map[string]any{"bad_rows": bad},
		Msg: apperr.M("%d of %d rows are wrong; nothing was imported", badRows, len(rows))}
}

// insertPrices appends rows to the award's price history in one statement.
func insertPrices(ctx context.Context, tx *sqlx.Tx, awardID int64, rows []*priceRow) ([]Price, error) {
	items := make([]int64, len(rows))
	prices := make([]string, len(rows))
	dates := make([]string, len(rows))
	reasons := make([]string, len(rows))
	for i, r := range rows {
		items[i], prices[i], dates[i], reasons[i] = r.ItemID, r.Price.StringFixed(2), r.ValidFrom.String(), r.Reason
	}
	const q = `
		INSERT INTO award_prices (award_id, item_id, price, valid_from, reason)
		SELECT $1, u.item_id, u.price, u.valid_from, u.reason
		FROM unnest($2::bigint[], $3::numeric[], $4::date[], $5::text[]) WITH ORDINALITY AS u(item_id, price, valid_from, reason, n)
		ORDER BY u.n
		RETURNING id, award_id, item_id, price, valid_from, reason, created_at`
	var out []Price
	if err := tx.SelectContext(ctx, &out, q, awardID, pq.Array(items), pq.Array(prices), pq.Array(dates), pq.Array(reasons)); err != nil {
		return nil, database.MapError(err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// PriceHistory returns the prices of award awardID: for one item (itemID >
// 0) every entry by date, else one keyset page of all entries by id.
func (s *Store) PriceHistory(ctx context.Context, awardID, itemID int64, page paging.Page) ([]Price, error) {
	out := []Price{}
	if itemID > 0 {
		const q = `SELECT id, award_id, item_id, price, valid_from, reason, created_at FROM award_prices
			WHERE award_id = $1 AND item_id = $2 ORDER BY valid_from, id`
		return out, s.db.SelectContext(ctx, &out, q, awardID, itemID)
	}
	limit := page.Limit
	if limit <= 0 {
		limit = 50
	}
	const q = `SELECT id, award_id, item_id, price, valid_from, reason, created_at FROM award_prices
		WHERE award_id = $1 AND id > $2 ORDER BY id LIMIT $3`
	return out, s.db.SelectContext(ctx, &out, q, awardID, page.After, limit)
}
