package volumes

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"madaf/internal/calendar"
)

// recorded reads order id's row of volume_orders, locked for the
// transition; exists is false for an order never recorded (its zero
// recorded has status "").
func (s *Store) recorded(ctx context.Context, id int64) (r recorded, exists bool, err error) {
	const q = `SELECT order_id, status, tender_id, authority_id, supplier_id, category, month,
		subtotal, vat, total, fee, sent_at, confirm_by
		FROM volume_orders WHERE order_id = $1 FOR UPDATE`
	err = s.db.GetContext(ctx, &r, q, id)
	if errors.Is(err, sql.ErrNoRows) {
		return recorded{}, false, nil
	}
	return r, err == nil, err
}

// deliveredOn is the day order id was delivered in full: the latest day
// of its delivery reports, or, without any, the day of at.
func (s *Store) deliveredOn(ctx context.Context, id int64, at time.Time) (calendar.Date, error) {
	var on calendar.Date
	const q = `SELECT max(delivered_on) FROM order_deliveries WHERE order_id = $1`
	if err := s.db.GetContext(ctx, &on, q, id); err != nil {
		return on, err
	}
	if on.IsZero() {
		on = calendar.DateOf(at)
	}
	return on, nil
}

// statusCount is one change to volume_status_counts.
type statusCount struct {
	tender, authority, supplier int64
	status                      string
	n                           int
}

// statusCounts are the changes that move the order's count from its old
// status to its new one, in key order; none when the key is the same.
func statusCounts(old, now *recorded, existed bool) []statusCount {
	var rows []statusCount
	if existed {
		rows = append(rows, statusCount{old.TenderID, old.AuthorityID, old.SupplierID, old.Status, -1})
	}
	rows = append(rows, statusCount{now.TenderID, now.AuthorityID, now.SupplierID, now.Status, 1})
	if len(rows) == 2 && rows[0].tender == rows[1].tender && rows[0].authority == rows[1].authority &&
		rows[0].supplier == rows[1].supplier && rows[0].status == rows[1].status {
		return nil
	}
	slices.SortFunc(rows, func(a, b statusCount) int {
		return cmp.Or(cmp.Compare(a.tender, b.tender), cmp.Compare(a.authority, b.authority),
			cmp.Compare(a.supplier, b.supplier), cmp.Compare(a.status, b.status))
	})
	return rows
}

// apply writes one transition in one statement: deltas added to their
// rollup rows and totals to their tender and authority's all-time row,
// counts to the status counts, and now saved as the order's row of
// volume_orders, as of at. Each table's rows are changed by one upsert in
// key order, and each upsert waits for the one before it (its one-time
// filter reads the earlier one's result; PostgreSQL promises no order of
// a statement's changing CTEs otherwise): the rollups, then the totals,
// then the status counts, then the order's row. Every transition thus
// takes its row locks, of rows that exist and of rows it creates, in one
// order, so concurrent transitions never deadlock on each other. An upsert
// proposes a count of at least zero (the tables' CHECK constraints test
// the proposed row) and adds the signed change on conflict. A change that
// takes an order away from a row that is missing would have created it:
// the statement counts those, and apply fails (the caller rolls back), so
// the figures never silently drift from the orders.
func (s *Store) apply(ctx context.Context, deltas, totals []*delta, counts []statusCount, now *recorded, at time.Time) error {
	const q = `WITH rollup AS (
			SELECT * FROM jsonb_to_recordset($1::jsonb) AS d(ord int, tender_id bigint, authority_id bigint, supplier_id bigint,
				category text, month date, order_count int, subtotal numeric, vat numeric, total numeric, fee numeric,
				confirmed int, confirmed_in_window int, rejected int, delivered int, delivered_by_promised int)),
		total AS (
			SELECT * FROM jsonb_to_recordset($2::jsonb) AS d(ord int, tender_id bigint, authority_id bigint, order_count int,
				subtotal numeric, vat numeric, total numeric, fee numeric)),
		count AS (
			SELECT * FROM jsonb_to_recordset($3::jsonb) AS d(ord int, tender_id bigint, authority_id bigint, supplier_id bigint,
				status text, n int)),
		rollups AS (
			INSERT INTO volume_rollups AS r (tender_id, authority_id, supplier_id, category, month,
				order_count, subtotal, vat, total, fee, confirmed, confirmed_in_window, rejected, delivered, delivered_by_promised)
			SELECT tender_id, authority_id, supplier_id, category, month, greatest(order_count, 0), subtotal, vat, total, fee,
				confirmed, confirmed_in_window, rejected, delivered, delivered_by_promised
			FROM rollup ORDER BY ord
			ON CONFLICT (tender_id, authority_id, supplier_id, category, month) DO UPDATE SET
				order_count = r.order_count + (SELECT d.order_count FROM rollup d
					WHERE (d.tender_id, d.authority_id, d.supplier_id, d.category, d.month)
						= (EXCLUDED.tender_id, EXCLUDED.authority_id, EXCLUDED.supplier_id, EXCLUDED.category, EXCLUDED.month)),
				subtotal = r.subtotal + EXCLUDED.subtotal, vat = r.vat + EXCLUDED.vat,
				total = r.total + EXCLUDED.total, fee = r.fee + EXCLUDED.fee,
				confirmed = r.confirmed + EXCLUDED.confirmed,
				confirmed_in_window = r.confirmed_in_window + EXCLUDED.confirmed_in_window,
				rejected = r.rejected + EXCLUDED.rejected, delivered = r.delivered + EXCLUDED.delivered,
				delivered_by_promised = r.delivered_by_promised + EXCLUDED.delivered_by_promised
			RETURNING r.xmax = 0 AS created, r.tender_id, r.authority_id, r.supplier_id, r.category, r.month),
		totals AS (
			INSERT INTO volume_totals AS v (tender_id, authority_id, order_count, subtotal, vat, total, fee)
			SELECT tender_id, authority_id, greatest(order_count, 0), subtotal, vat, total, fee FROM total
			WHERE (SELECT count(*) FROM rollups) >= 0
			ORDER BY ord
			ON CONFLICT (tender_id, authority_id) DO UPDATE SET
				order_count = v.order_count + (SELECT d.order_count FROM total d
					WHERE (d.tender_id, d.authority_id) = (EXCLUDED.tender_id, EXCLUDED.authority_id)),
				subtotal = v.subtotal + EXCLUDED.subtotal, vat = v.vat + EXCLUDED.vat,
				total = v.total + EXCLUDED.total, fee = v.fee + EXCLUDED.fee
			RETURNING v.xmax = 0 AS created, v.tender_id, v.authority_id),
		counts AS (
			INSERT INTO volume_status_counts AS c (tender_id, authority_id, supplier_id, status, order_count)
			SELECT tender_id, authority_id, supplier_id, status, greatest(n, 0) FROM count
			WHERE (SELECT count(*) FROM totals) >= 0
			ORDER BY ord
			ON CONFLICT (tender_id, authority_id, supplier_id, status) DO UPDATE SET
				order_count = c.order_count + (SELECT d.n FROM count d
					WHERE (d.tender_id, d.authority_id, d.supplier_id, d.status)
						= (EXCLUDED.tender_id, EXCLUDED.authority_id, EXCLUDED.supplier_id, EXCLUDED.status))
			RETURNING c.xmax = 0 AS created, c.tender_id, c.authority_id, c.supplier_id, c.status),
		record AS (
			INSERT INTO volume_orders (order_id, status, tender_id, authority_id, supplier_id, category, month,
				subtotal, vat, total, fee, sent_at, confirm_by, updated_at)
			SELECT $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17
			WHERE (SELECT count(*) FROM counts) >= 0
			ON CONFLICT (order_id) DO UPDATE SET status = EXCLUDED.status, tender_id = EXCLUDED.tender_id,
				authority_id = EXCLUDED.authority_id, supplier_id = EXCLUDED.supplier_id, category = EXCLUDED.category,
				month = EXCLUDED.month, subtotal = EXCLUDED.subtotal, vat = EXCLUDED.vat, total = EXCLUDED.total,
				fee = EXCLUDED.fee, sent_at = EXCLUDED.sent_at, confirm_by = EXCLUDED.confirm_by, updated_at = EXCLUDED.updated_at
			RETURNING 1)
		SELECT (SELECT count(*) FROM rollups x JOIN rollup d USING (tender_id, authority_id, supplier_id, category, month)
				WHERE x.created AND d.order_count < 0)
			+ (SELECT count(*) FROM totals x JOIN total d USING (tender_id, authority_id) WHERE x.created AND d.order_count < 0)
			+ (SELECT count(*) FROM counts x JOIN count d USING (tender_id, authority_id, supplier_id, status) WHERE x.created AND d.n < 0)
		FROM record`
	// Each table's changes are one jsonb parameter, a row each, made in
	// the order of ord.
	type rollupRow struct {
		Ord         int             `json:"ord"`
		TenderID    int64           `json:"tender_id"`
		AuthorityID int64           `json:"authority_id"`
		SupplierID  int64           `json:"supplier_id"`
		Category    string          `json:"category"`
		Month       calendar.Date   `json:"month"`
		Orders      int             `json:"order_count"`
		Subtotal    decimal.Decimal `json:"subtotal"`
		VAT         decimal.Decimal `json:"vat"`
		Total       decimal.Decimal `json:"total"`
		Fee         decimal.Decimal `json:"fee"`
		Confirmed   int             `json:"confirmed"`
		InWindow    int             `json:"confirmed_in_window"`
		Rejected    int             `json:"rejected"`
		Delivered   int             `json:"delivered"`
		ByPromised  int             `json:"delivered_by_promised"`
	}
	type countRow struct {
		Ord         int    `json:"ord"`
		TenderID    int64  `json:"tender_id"`
		AuthorityID int64  `json:"authority_id"`
		SupplierID  int64  `json:"supplier_id"`
		Status      string `json:"status"`
		N           int    `json:"n"`
	}
	rollups, sums, moves := []rollupRow{}, []rollupRow{}, []countRow{}
	for i, d := range deltas {
		k := d.key
		rollups = append(rollups, rollupRow{Ord: i, TenderID: k.TenderID, AuthorityID: k.AuthorityID, SupplierID: k.SupplierID,
			Category: k.Category, Month: k.Month, Orders: d.orders, Subtotal: d.subtotal, VAT: d.vat, Total: d.total, Fee: d.fee,
			Confirmed: d.confirmed, InWindow: d.inWindow, Rejected: d.rejected, Delivered: d.delivered, ByPromised: d.byPromised})
	}
	for i, d := range totals {
		sums = append(sums, rollupRow{Ord: i, TenderID: d.key.TenderID, AuthorityID: d.key.AuthorityID, Orders: d.orders,
			Subtotal: d.subtotal, VAT: d.vat, Total: d.total, Fee: d.fee})
	}
	for i, r := range counts {
		moves = append(moves, countRow{Ord: i, TenderID: r.tender, AuthorityID: r.authority, SupplierID: r.supplier, Status: r.status, N: r.n})
	}
	var params [3][]byte
	for i, rows := range []any{rollups, sums, moves} {
		var err error
		if params[i], err = json.Marshal(rows); err != nil {
			return err
		}
	}
	var missing int
	err := s.db.GetContext(ctx, &missing, q, string(params[0]), string(params[1]), string(params[2]),
		now.OrderID, now.Status, now.TenderID, now.AuthorityID, now.SupplierID, now.Category,
		now.Month, now.Subtotal, now.VAT, now.Total, now.Fee, now.SentAt, now.ConfirmBy, at)
	if err != nil {
		return err
	}
	if missing > 0 {
		return fmt.Errorf("volumes: order %d taken from %d figure rows that do not hold it", now.OrderID, missing)
	}
	return nil
}

// recordConfirmation keeps how long the supplier took to confirm, in whole
// seconds as PostgreSQL measures the two stored times.
func (s *Store) recordConfirmation(ctx context.Context, now *recorded, at time.Time) error {
	if !now.SentAt.Valid {
		return fmt.Errorf("volumes: order %d confirmed but never sent", now.OrderID)
	}
	const q = `INSERT INTO volume_confirmations (order_id, tender_id, authority_id, supplier_id, month, seconds)
		VALUES ($1, $2, $3, $4, $5, greatest(0, floor(extract(epoch FROM $6::timestamptz - $7::timestamptz)))::bigint)
		RETURNING hour`
	var hour int
	if err := s.db.GetContext(ctx, &hour, q, now.OrderID, now.TenderID, now.AuthorityID, now.SupplierID, now.Month, at, now.SentAt.Time); err != nil {
		return err
	}
	const qHour = `INSERT INTO volume_confirmation_hours AS h (supplier_id, hour, order_count) VALUES ($1, $2, 1)
		ON CONFLICT (supplier_id, hour) DO UPDATE SET order_count = h.order_count + 1`
	if _, err := s.db.ExecContext(ctx, qHour, now.SupplierID, hour); err != nil {
		return err
	}
	const qYear = `INSERT INTO volume_confirmation_year_hours AS h (year, supplier_id, hour, order_count) VALUES ($1, $2, $3, 1)
		ON CONFLICT (year, supplier_id, hour) DO UPDATE SET order_count = h.order_count + 1`
	_, err := s.db.ExecContext(ctx, qYear, now.Month.Year(), now.SupplierID, hour)
	return err
}
