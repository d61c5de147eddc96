package catalog

import (
	"context"
	"sort"

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
func PriceInForce(ctx context.Context, q sqlx.QueryerContext, itemID, supplierID int64, on calendar.Date) (_ decimal.Decimal, err error) {
	defer apperr.Wrap(&err, "catalog.PriceInForce(%d, %d, %s)", itemID, supplierID, on)
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
		return decimal.Zero, notFound(err, "not_found.price")
	}
	return price, nil
}

// OffersInForce returns, for each of itemIDs, every active award's price in
// force on day, cheapest first (then by supplier name): the side-by-side
// comparison an officer sees for a "choice" tender. Items without any
// active priced award are absent from the map. It does not scope by
// caller; OffersInForceFor does.
func (s *Store) OffersInForce(ctx context.Context, itemIDs []int64, on calendar.Date) (_ map[int64][]Offer, err error) {
	defer apperr.Wrap(&err, "catalog.Store.OffersInForce(%v, %s)", itemIDs, on)
	return s.offersInForce(ctx, itemIDs, 0, on)
}

// OffersInForceFor is OffersInForce as p may see it: a supplier gets only
// its own award's prices, never a competitor's; the cluster and an
// authority's users get every active award's. A nil p gets none.
func (s *Store) OffersInForceFor(ctx context.Context, p *auth.Principal, itemIDs []int64, on calendar.Date) (_ map[int64][]Offer, err error) {
	defer apperr.Wrap(&err, "catalog.Store.OffersInForceFor(%v, %s)", itemIDs, on)
	switch {
	case p == nil:
		return map[int64][]Offer{}, nil
	case p.OrgKind == auth.OrgSupplier:
		if p.SupplierID <= 0 {
			return map[int64][]Offer{}, nil
		}
		return s.offersInForce(ctx, itemIDs, p.SupplierID, on)
	default:
		return s.offersInForce(ctx, itemIDs, 0, on)
	}
}

// offersInForce is OffersInForce limited to supplierID's award when
// supplierID > 0.
func (s *Store) offersInForce(ctx context.Context, itemIDs []int64, supplierID int64, on calendar.Date) (map[int64][]Offer, error) {
	out := make(map[int64][]Offer, len(itemIDs))
	if len(itemIDs) == 0 {
		return out, nil
	}
	const q = `
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
	if err := s.db.SelectContext(ctx, &offers, q, pq.Array(itemIDs), on, supplierID); err != nil {
		return nil, err
	}
	for _, o := range offers {
		out[o.ItemID] = append(out[o.ItemID], o)
	}
	return out, nil
}

// itemsOf returns those of ids that are items of tender tenderID, by id.
func (s *Store) itemsOf(ctx context.Context, tenderID int64, ids []int64) (map[int64]*Item, error) {
	var items []Item
	const q = `SELECT ` + itemColumns + ` FROM tender_items WHERE tender_id = $1 AND id = ANY($2)`
	if err := s.db.SelectContext(ctx, &items, q, tenderID, pq.Array(ids)); err != nil {
		return nil, err
	}
	byID := make(map[int64]*Item, len(items))
	for i := range items {
		byID[items[i].ID] = &items[i]
	}
	return byID, nil
}

// pricedItems reports which of ids award awardID has a price for.
func (s *Store) pricedItems(ctx context.Context, awardID int64, ids []int64) (map[int64]bool, error) {
	var priced []int64
	const q = `SELECT DISTINCT item_id FROM award_prices WHERE award_id = $1 AND item_id = ANY($2)`
	if err := s.db.SelectContext(ctx, &priced, q, awardID, pq.Array(ids)); err != nil {
		return nil, err
	}
	out := make(map[int64]bool, len(priced))
	for _, id := range priced {
		out[id] = true
	}
	return out, nil
}

// insertPrices appends rows to the award's price history in one statement.
func (s *Store) insertPrices(ctx context.Context, awardID int64, rows []*priceRow) ([]Price, error) {
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
	if err := s.db.SelectContext(ctx, &out, q, awardID, pq.Array(items), pq.Array(prices), pq.Array(dates), pq.Array(reasons)); err != nil {
		return nil, database.MapError(err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// PriceHistory returns the prices of award awardID: for one item (itemID >
// 0) every entry by date, else one keyset page of all entries by id.
func (s *Store) PriceHistory(ctx context.Context, awardID, itemID int64, page paging.Page) (_ []Price, err error) {
	defer apperr.Wrap(&err, "catalog.Store.PriceHistory(%d, %d)", awardID, itemID)
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
