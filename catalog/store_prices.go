package catalog

import (
	"context"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"madaf/internal/apperr"
	"madaf/internal/calendar"
	"madaf/internal/database"
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
			return decimal.Zero, apperr.NotFound("price in force")
		}
		return decimal.Zero, err
	}
	return price, nil
}

// OffersInForce returns, for each of itemIDs, every active award's price in
// force on day, cheapest first (then by supplier name): the side-by-side
// comparison an officer sees for a "choice" tender. Items without any
// active priced award are absent from the map.
func OffersInForce(ctx context.Context, q sqlx.QueryerContext, itemIDs []int64, on calendar.Date) (map[int64][]Offer, error) {
	out := make(map[int64][]Offer, len(itemIDs))
	if len(itemIDs) == 0 {
		return out, nil
	}
	const query = `
		SELECT i.id AS item_id, a.id AS award_id, a.supplier_id, s.legal_name, p.price, p.valid_from
		FROM tender_items i
		JOIN awards a ON a.tender_id = i.tender_id AND a.status = 'active'
		JOIN suppliers s ON s.id = a.supplier_id
		CROSS JOIN LATERAL (
			SELECT ap.price, ap.valid_from
			FROM award_prices ap
			WHERE ap.award_id = a.id AND ap.item_id = i.id AND ap.valid_from <= $2
			ORDER BY ap.valid_from DESC, ap.id DESC
			LIMIT 1
		) p
		WHERE i.id = ANY($1)
		ORDER BY i.id, p.price, s.legal_name, a.id`
	var offers []Offer
	if err := sqlx.SelectContext(ctx, q, &offers, query, pq.Array(itemIDs), on); err != nil {
		return nil, err
	}
	for _, o := range offers {
		out[o.ItemID] = append(out[o.ItemID], o)
	}
	return out, nil
}
