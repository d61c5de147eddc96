package orders

import (
	"context"

	"github.com/shopspring/decimal"

	"madaf/catalog"
	"madaf/internal/apperr"
	"madaf/internal/calendar"
	"madaf/internal/database"
)

// The reads a submission checks against and reserves from. The capacity
// rows are locked in one fixed order (tender, tender authority, budget
// line) after the order row; see the package documentation.

// reserved returns what the reserving orders hold: the subtotals on the
// tender, the subtotals of the authority on the tender, and the totals on
// the budget line.
func (s *Store) reserved(ctx context.Context, tenderID, authorityID, budgetLineID int64) (tender, allocation, budget decimal.Decimal, err error) {
	const q = `SELECT
		coalesce((SELECT sum(subtotal) FROM orders WHERE tender_id = $1 AND order_status_reserves(status)), 0) AS tender,
		coalesce((SELECT sum(subtotal) FROM orders WHERE tender_id = $1 AND authority_id = $2 AND order_status_reserves(status)), 0) AS allocation,
		coalesce((SELECT sum(total) FROM orders WHERE budget_line_id = $3 AND order_status_reserves(status)), 0) AS budget`
	var r struct {
		Tender     decimal.Decimal `db:"tender"`
		Allocation decimal.Decimal `db:"allocation"`
		Budget     decimal.Decimal `db:"budget"`
	}
	err = s.db.GetContext(ctx, &r, q, tenderID, authorityID, budgetLineID)
	return r.Tender, r.Allocation, r.Budget, err
}

// committedThisYear returns each supplier's committed volume (subtotals of
// reserving orders submitted in year) on the tender.
func (s *Store) committedThisYear(ctx context.Context, tenderID int64, year int) (map[int64]decimal.Decimal, error) {
	const q = `SELECT supplier_id, sum(subtotal) AS volume FROM orders
		WHERE tender_id = $1 AND order_status_reserves(status) AND extract(year FROM submitted_on) = $2
		GROUP BY supplier_id`
	var rows []struct {
		SupplierID int64           `db:"supplier_id"`
		Volume     decimal.Decimal `db:"volume"`
	}
	if err := s.db.SelectContext(ctx, &rows, q, tenderID, year); err != nil {
		return nil, err
	}
	out := make(map[int64]decimal.Decimal, len(rows))
	for _, r := range rows {
		out[r.SupplierID] = r.Volume
	}
	return out, nil
}

// VATRate returns the VAT rate in percent in force on day on, from the
// effective-dated vat_rates table; a day before the table begins is a
// conflict ("order.no_vat_rate").
func (s *Store) VATRate(ctx context.Context, on calendar.Date) (rate decimal.Decimal, err error) {
	defer apperr.Wrap(&err, "orders.Store.VATRate(%s)", on)
	const q = `SELECT rate FROM vat_rates WHERE valid_from <= $1 ORDER BY valid_from DESC LIMIT 1`
	if err := s.db.GetContext(ctx, &rate, q, on); err != nil {
		if err = database.MapError(err); apperr.Is(err, apperr.KindNotFound) {
			return rate, apperr.Conflict("order.no_vat_rate", on.String())
		}
		return rate, err
	}
	return rate, nil
}

// priceInForce is supplierID's price of item itemID in force on day on, by
// the catalog's rule, or apperr not-found.
func (s *Store) priceInForce(ctx context.Context, itemID, supplierID int64, on calendar.Date) (decimal.Decimal, error) {
	return catalog.PriceInForce(ctx, s.db, itemID, supplierID, on)
}
