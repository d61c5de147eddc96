package volumes

import (
	"context"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"madaf/internal/auth"
	"madaf/internal/calendar"
)

// Performance is how a supplier answers and delivers, over the orders
// submitted in the filtered months.
type Performance struct {
	SupplierID   int64  `json:"supplier_id"`
	SupplierName string `json:"supplier_name"`
	// Confirmed orders, and of them those confirmed by the confirmation
	// deadline; InWindowPercent is their share ("92.50"), null when none
	// was confirmed.
	Confirmed         int     `json:"confirmed"`
	ConfirmedInWindow int     `json:"confirmed_in_window"`
	InWindowPercent   *string `json:"in_window_percent"`
	// MedianHoursToConfirm is the median time from sending to confirmation,
	// in hours with two decimals; null when none was confirmed.
	MedianHoursToConfirm *float64 `json:"median_hours_to_confirm"`
	// Rejected orders; RejectionPercent is their share of the orders the
	// supplier answered (confirmed or rejected).
	Rejected         int     `json:"rejected"`
	RejectionPercent *string `json:"rejection_percent"`
	// Delivered (in full) orders, and of them those delivered by the
	// promised date.
	Delivered           int     `json:"delivered"`
	DeliveredByPromised int     `json:"delivered_by_promised"`
	ByPromisedPercent   *string `json:"by_promised_percent"`
	// OverdueNow are the orders sent to the supplier and still unanswered
	// after their confirmation deadline, today (whatever the months).
	OverdueNow int `json:"overdue_now"`
}

func percent(part, whole int) *string {
	if whole == 0 {
		return nil
	}
	s := decimal.NewFromInt(int64(part)).Mul(decimal.NewFromInt(100)).Div(decimal.NewFromInt(int64(whole))).Round(2).StringFixed(2)
	return &s
}

// Performance returns the performance of the suppliers p may see, narrowed
// by f, counting as overdue the orders whose deadline was before today;
// worst (most overdue, then lowest in-window share) first.
func (s *Store) Performance(ctx context.Context, p *auth.Principal, f Filter, today calendar.Date) ([]Performance, error) {
	f, err := scope(p, f)
	if err != nil {
		return nil, err
	}
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
	var counts []struct {
		SupplierID int64 `db:"supplier_id"`
		Confirmed  int   `db:"confirmed"`
		InWindow   int   `db:"confirmed_in_window"`
		Rejected   int   `db:"rejected"`
		Delivered  int   `db:"delivered"`
		ByPromised int   `db:"delivered_by_promised"`
	}
	if err := s.db.SelectContext(ctx, &counts, q, args...); err != nil {
		return nil, err
	}
	bySupplier := map[int64]*Performance{}
	get := func(id int64) *Performance {
		if pf, ok := bySupplier[id]; ok {
			return pf
		}
		pf := &Performance{SupplierID: id}
		bySupplier[id] = pf
		return pf
	}
	for _, c := range counts {
		pf := get(c.SupplierID)
		pf.Confirmed, pf.ConfirmedInWindow, pf.Rejected = c.Confirmed, c.InWindow, c.Rejected
		pf.Delivered, pf.DeliveredByPromised = c.Delivered, c.ByPromised
	}

	overdue, err := overdueBySupplier(ctx, s.db, f, today)
	if err != nil {
		return nil, err
	}
	for id, n := range overdue {
		get(id).OverdueNow = n
	}

	medians, err := medianSeconds(ctx, s.db, f)
	if err != nil {
		return nil, err
	}
	for id, sec := range medians {
		h := sec.Div(decimal.NewFromInt(3600)).Round(2).InexactFloat64()
		get(id).MedianHoursToConfirm = &h
	}

	ids := make([]int64, 0, len(bySupplier))
	for id := range bySupplier {
		ids = append(ids, id)
	}
	n, err := names(ctx, s.db, p.Lang, nil, nil, ids)
	if err != nil {
		return nil, err
	}
	out := make([]Performance, 0, len(bySupplier))
	for _, pf := range bySupplier {
		pf.SupplierName = n.Suppliers[pf.SupplierID]
		pf.InWindowPercent = percent(pf.ConfirmedInWindow, pf.Confirmed)
		pf.RejectionPercent = percent(pf.Rejected, pf.Confirmed+pf.Rejected)
		pf.ByPromisedPercent = percent(pf.DeliveredByPromised, pf.Delivered)
		out = append(out, *pf)
	}
	slices.SortFunc(out, func(a, b Performance) int {
		if a.OverdueNow != b.OverdueNow {
			return b.OverdueNow - a.OverdueNow
		}
		if c := lateShare(b).Cmp(lateShare(a)); c != 0 {
			return c
		}
		return compareStrings(a.SupplierName, b.SupplierName)
	})
	return out, nil
}

// lateShare is the share of confirmations after the deadline (0 when none).
func lateShare(p Performance) decimal.Decimal {
	if p.Confirmed == 0 {
		return decimal.Zero
	}
	return decimal.NewFromInt(int64(p.Confirmed - p.ConfirmedInWindow)).Div(decimal.NewFromInt(int64(p.Confirmed)))
}

// overdueBySupplier counts, per supplier, the orders of f's tenders,
// authorities and suppliers sent and unanswered past their deadline.
func overdueBySupplier(ctx context.Context, q sqlx.QueryerContext, f Filter, today calendar.Date) (map[int64]int, error) {
	args := []any{today}
	query := `SELECT supplier_id, count(*) AS n FROM volume_orders
		WHERE status = 'sent' AND confirm_by < $1 AND ` + f.whereIDs("", &args) + ` GROUP BY supplier_id`
	var rows []struct {
		SupplierID int64 `db:"supplier_id"`
		N          int   `db:"n"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, query, args...); err != nil {
		return nil, err
	}
	out := make(map[int64]int, len(rows))
	for _, r := range rows {
		out[r.SupplierID] = r.N
	}
	return out, nil
}

// medianSeconds returns each supplier's median confirmation time in
// seconds (the mean of the two middle values for an even count, as
// percentile_cont). Over all months, or one calendar year, of every tender
// and authority it walks the hourly counts to the hour that holds the
// middle and reads only that hour's rows; with other filters it takes the
// median of the matching confirmations.
func medianSeconds(ctx context.Context, q sqlx.QueryerContext, f Filter) (map[int64]decimal.Decimal, error) {
	var rows []struct {
		SupplierID int64           `db:"supplier_id"`
		Median     decimal.Decimal `db:"median"`
	}
	var query string
	var args []any
	allMonths := f.From.IsZero() && f.To.IsZero()
	oneYear := !f.From.IsZero() && f.From.Year() == f.To.Year() && f.From.Time().Month() == time.January && f.To.Time().Month() == time.December
	switch {
	case f.TenderID == 0 && f.AuthorityID == 0 && (allMonths || oneYear):
		// counts are a supplier's confirmations per hour; rows are its
		// confirmations of that hour, in the order of the index.
		counts := `SELECT supplier_id, hour, order_count FROM volume_confirmation_hours
			WHERE order_count > 0 AND ($1 = 0 OR supplier_id = $1)`
		rows := "c.supplier_id = m.supplier_id AND c.hour = h.hour"
		args = []any{f.SupplierID}
		if oneYear {
			counts = `SELECT supplier_id, hour, order_count FROM volume_confirmation_year_hours
				WHERE year = $2 AND order_count > 0 AND ($1 = 0 OR supplier_id = $1)`
			rows = "c.supplier_id = m.supplier_id AND c.year = $2 AND c.hour = h.hour"
			args = append(args, f.From.Year())
		}
		query = `WITH counts AS (` + counts + `),
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
		query = `SELECT supplier_id, percentile_cont(0.5) WITHIN GROUP (ORDER BY seconds)::numeric AS median
			FROM volume_confirmations WHERE ` + f.where("", &args) + ` GROUP BY supplier_id`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, query, args...); err != nil {
		return nil, err
	}
	out := make(map[int64]decimal.Decimal, len(rows))
	for _, r := range rows {
		out[r.SupplierID] = r.Median
	}
	return out, nil
}

// SupplierVolumes returns each supplier's committed subtotal (excluding
// VAT) on tenderID in year, from the rollups: what a rotation tender
// compares. It may run inside an order's transaction.
func SupplierVolumes(ctx context.Context, q sqlx.QueryerContext, tenderID int64, year int) (map[int64]decimal.Decimal, error) {
	f := YearFilter(year)
	f.TenderID = tenderID
	var args []any
	query := `SELECT supplier_id, sum(subtotal) AS volume FROM volume_rollups WHERE ` + f.where("", &args) + `
		GROUP BY supplier_id HAVING sum(order_count) > 0`
	var rows []struct {
		SupplierID int64           `db:"supplier_id"`
		Volume     decimal.Decimal `db:"volume"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, query, args...); err != nil {
		return nil, err
	}
	out := make(map[int64]decimal.Decimal, len(rows))
	for _, r := range rows {
		out[r.SupplierID] = r.Volume
	}
	return out, nil
}
