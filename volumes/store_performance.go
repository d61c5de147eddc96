package volumes

import (
	"context"
	"time"

	"github.com/shopspring/decimal"

	"madaf/internal/calendar"
)

// supplierCounts are a supplier's performance counters summed over the
// rollups f selects.
type supplierCounts struct {
	SupplierID int64 `db:"supplier_id"`
	Confirmed  int   `db:"confirmed"`
	InWindow   int   `db:"confirmed_in_window"`
	Rejected   int   `db:"rejected"`
	Delivered  int   `db:"delivered"`
	ByPromised int   `db:"delivered_by_promised"`
}

// performanceCounts sums the performance counters of the suppliers with
// an order in the rollups f selects (for a supplier user, an order that
// was sent to it).
func (s *Store) performanceCounts(ctx context.Context, f Filter) ([]supplierCounts, error) {
	var args []any
	where := f.where("", &args)
	present := "sum(order_count) + sum(confirmed) + sum(rejected) + sum(delivered) > 0"
	if f.sentOnly {
		// The rollups' order count includes orders still pending approval,
		// which a supplier does not see: its row needs an order sent to it.
		present = "sum(confirmed) + sum(rejected) + sum(delivered) > 0 OR EXISTS (SELECT 1 FROM " +
			f.committedSource(&args) + " WHERE " + f.where("", &args) + ")"
	}
	q := `SELECT supplier_id, sum(confirmed) AS confirmed, sum(confirmed_in_window) AS confirmed_in_window,
			sum(rejected) AS rejected, sum(delivered) AS delivered, sum(delivered_by_promised) AS delivered_by_promised
		FROM volume_rollups WHERE ` + where + `
		GROUP BY supplier_id HAVING ` + present
	var counts []supplierCounts
	if err := s.db.SelectContext(ctx, &counts, q, args...); err != nil {
		return nil, err
	}
	return counts, nil
}

// overdueBySupplier counts, per supplier, the orders of f's tenders,
// authorities and suppliers sent and unanswered past their deadline.
// status = 'sent' is the predicate of the index of orders awaiting
// confirmation.
func (s *Store) overdueBySupplier(ctx context.Context, f Filter, today calendar.Date) (map[int64]int, error) {
	args := []any{today}
	q := `SELECT supplier_id, count(*) AS n FROM volume_orders
		WHERE status = 'sent' AND confirm_by < $1 AND ` + f.whereIDs("", &args) + ` GROUP BY supplier_id`
	return s.countBySupplier(ctx, q, args)
}

// countBySupplier runs q, whose rows are a supplier_id and its count n,
// and answers the counts by supplier.
func (s *Store) countBySupplier(ctx context.Context, q string, args []any) (map[int64]int, error) {
	var rows []struct {
		SupplierID int64 `db:"supplier_id"`
		N          int   `db:"n"`
	}
	if err := s.db.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, err
	}
	out := make(map[int64]int, len(rows))
	for _, r := range rows {
		out[r.SupplierID] = r.N
	}
	return out, nil
}

// disputesBySupplier counts, per supplier, the disputes opened by the
// receipts of the orders f selects by their submission day.
func (s *Store) disputesBySupplier(ctx context.Context, f Filter) (map[int64]int, error) {
	var args []any
	q := `SELECT o.supplier_id, count(*) AS n FROM order_disputes d JOIN orders o ON o.id = d.order_id
		WHERE ` + f.whereSubmitted(&args) + ` GROUP BY o.supplier_id`
	return s.countBySupplier(ctx, q, args)
}

// medianSeconds returns each supplier's median confirmation time in
// seconds (the mean of the two middle values for an even count, as
// percentile_cont). Over all months, or one calendar year, of every tender
// and authority it walks the hourly counts to the hour that holds the
// middle and reads only that hour's rows; with other filters it takes the
// median of the matching confirmations.
func (s *Store) medianSeconds(ctx context.Context, f Filter) (map[int64]decimal.Decimal, error) {
	var rows []struct {
		SupplierID int64           `db:"supplier_id"`
		Median     decimal.Decimal `db:"median"`
	}
	var q string
	var args []any
	allMonths := f.From.IsZero() && f.To.IsZero()
	oneYear := !f.From.IsZero() && f.From.Year() == f.To.Year() && f.From.Time().Month() == time.January && f.To.Time().Month() == time.December
	switch {
	case f.TenderID == 0 && f.AuthorityID == 0 && (allMonths || oneYear):
		// counts are a supplier's confirmations per hour; rows are its
		// confirmations of that hour, in the order of the index.
		counts := `SELECT supplier_id, hour, order_count FROM volume_confirmation_hours
			WHERE order_count > 0 AND ($1::bigint = 0 OR supplier_id = $1)`
		rows := "c.supplier_id = m.supplier_id AND c.hour = h.hour"
		args = []any{f.SupplierID}
		if oneYear {
			counts = `SELECT supplier_id, hour, order_count FROM volume_confirmation_year_hours
				WHERE year = $2 AND order_count > 0 AND ($1::bigint = 0 OR supplier_id = $1)`
			rows = "c.supplier_id = m.supplier_id AND c.year = $2 AND c.hour = h.hour"
			args = append(args, f.From.Year())
		}
		q = `WITH counts AS (` + counts + `),
			n AS (SELECT supplier_id, sum(order_count)::bigint AS n FROM counts GROUP BY supplier_id),
			middle AS (SELECT DISTINCT n.supplier_id, m.k FROM n, LATERAL (VALUES ((n.n - 1) / 2), (n.n / 2)) AS m(k)),
			h AS (
				SELECT supplier_id, hour, order_count,
					(sum(order_count) OVER (PARTITION BY supplier_id ORDER BY hour))::bigint - order_count AS before
				FROM counts
			)
			SELECT m.supplier_id, avg(x.seconds) AS median
			FROM middle m
			JOIN h ON h.supplier_id = m.supplier_id AND m.k >= h.before AND m.k < h.before + h.order_count
			CROSS JOIN LATERAL (
				SELECT c.seconds FROM volume_confirmations c WHERE ` + rows + `
				ORDER BY c.seconds OFFSET m.k - h.before LIMIT 1) AS x
			GROUP BY m.supplier_id`
	default:
		q = `SELECT supplier_id, percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds)::numeric AS median
			FROM volume_confirmations WHERE ` + f.where("", &args) + ` GROUP BY supplier_id`
	}
	if err := s.db.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, err
	}
	out := make(map[int64]decimal.Decimal, len(rows))
	for _, r := range rows {
		out[r.SupplierID] = r.Median
	}
	return out, nil
}
