package volumes

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/lib/pq"

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
// volume_orders, as of at. What adds is an upsert (the row is created when
// missing); what takes an order away updates the row the order was added
// to, which must exist: the figures would otherwise silently drift from
// the orders. Each table's rows are changed in key order.
func (s *Store) apply(ctx context.Context, deltas, totals []*delta, counts []statusCount, now *recorded, at time.Time) error {
	const q = `WITH rollup AS (
			SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::date[], $6::int[],
				$7::numeric[], $8::numeric[], $9::numeric[], $10::numeric[], $11::int[], $12::int[], $13::int[], $14::int[], $15::int[])
				WITH ORDINALITY AS d(tender_id, authority_id, supplier_id, category, month, order_count, subtotal, vat, total, fee,
					confirmed, confirmed_in_window, rejected, delivered, delivered_by_promised, ord)),
		rollup_add AS (
			INSERT INTO volume_rollups AS r (tender_id, authority_id, supplier_id, category, month,
				order_count, subtotal, vat, total, fee, confirmed, confirmed_in_window, rejected, delivered, delivered_by_promised)
			SELECT tender_id, authority_id, supplier_id, category, month, order_count, subtotal, vat, total, fee,
				confirmed, confirmed_in_window, rejected, delivered, delivered_by_promised
			FROM rollup WHERE order_count >= 0 ORDER BY ord
			ON CONFLICT (tender_id, authority_id, supplier_id, category, month) DO UPDATE SET
				order_count = r.order_count + EXCLUDED.order_count,
				subtotal = r.subtotal + EXCLUDED.subtotal, vat = r.vat + EXCLUDED.vat,
				total = r.total + EXCLUDED.total, fee = r.fee + EXCLUDED.fee,
				confirmed = r.confirmed + EXCLUDED.confirmed,
				confirmed_in_window = r.confirmed_in_window + EXCLUDED.confirmed_in_window,
				rejected = r.rejected + EXCLUDED.rejected, delivered = r.delivered + EXCLUDED.delivered,
				delivered_by_promised = r.delivered_by_promised + EXCLUDED.delivered_by_promised),
		rollup_take AS (
			UPDATE volume_rollups r SET order_count = r.order_count + d.order_count,
				subtotal = r.subtotal + d.subtotal, vat = r.vat + d.vat, total = r.total + d.total, fee = r.fee + d.fee,
				confirmed = r.confirmed + d.confirmed, confirmed_in_window = r.confirmed_in_window + d.confirmed_in_window,
				rejected = r.rejected + d.rejected, delivered = r.delivered + d.delivered,
				delivered_by_promised = r.delivered_by_promised + d.delivered_by_promised
			FROM rollup d
			WHERE d.order_count < 0 AND r.tender_id = d.tender_id AND r.authority_id = d.authority_id
				AND r.supplier_id = d.supplier_id AND r.category = d.category AND r.month = d.month
			RETURNING 1),
		total AS (
			SELECT * FROM unnest($16::bigint[], $17::bigint[], $18::int[], $19::numeric[], $20::numeric[], $21::numeric[], $22::numeric[])
				WITH ORDINALITY AS d(tender_id, authority_id, order_count, subtotal, vat, total, fee, ord)),
		total_add AS (
			INSERT INTO volume_totals AS v (tender_id, authority_id, order_count, subtotal, vat, total, fee)
			SELECT tender_id, authority_id, order_count, subtotal, vat, total, fee FROM total WHERE order_count >= 0 ORDER BY ord
			ON CONFLICT (tender_id, authority_id) DO UPDATE SET order_count = v.order_count + EXCLUDED.order_count,
				subtotal = v.subtotal + EXCLUDED.subtotal, vat = v.vat + EXCLUDED.vat,
				total = v.total + EXCLUDED.total, fee = v.fee + EXCLUDED.fee),
		total_take AS (
			UPDATE volume_totals v SET order_count = v.order_count + d.order_count, subtotal = v.subtotal + d.subtotal,
				vat = v.vat + d.vat, total = v.total + d.total, fee = v.fee + d.fee
			FROM total d WHERE d.order_count < 0 AND v.tender_id = d.tender_id AND v.authority_id = d.authority_id
			RETURNING 1),
		count AS (
			SELECT * FROM unnest($23::bigint[], $24::bigint[], $25::bigint[], $26::text[], $27::int[])
				WITH ORDINALITY AS d(tender_id, authority_id, supplier_id, status, n, ord)),
		count_add AS (
			INSERT INTO volume_status_counts AS c (tender_id, authority_id, supplier_id, status, order_count)
			SELECT tender_id, authority_id, supplier_id, status, n FROM count WHERE n > 0 ORDER BY ord
			ON CONFLICT (tender_id, authority_id, supplier_id, status) DO UPDATE SET order_count = c.order_count + EXCLUDED.order_count),
		count_take AS (
			UPDATE volume_status_counts c SET order_count = c.order_count + d.n
			FROM count d WHERE d.n < 0 AND c.tender_id = d.tender_id AND c.authority_id = d.authority_id
				AND c.supplier_id = d.supplier_id AND c.status = d.status
			RETURNING 1),
		record AS (
			INSERT INTO volume_orders (order_id, status, tender_id, authority_id, supplier_id, category, month,
				subtotal, vat, total, fee, sent_at, confirm_by, updated_at)
			VALUES ($28, $29, $30, $31, $32, $33, $34, $35, $36, $37, $38, $39, $40, $41)
			ON CONFLICT (order_id) DO UPDATE SET status = EXCLUDED.status, tender_id = EXCLUDED.tender_id,
				authority_id = EXCLUDED.authority_id, supplier_id = EXCLUDED.supplier_id, category = EXCLUDED.category,
				month = EXCLUDED.month, subtotal = EXCLUDED.subtotal, vat = EXCLUDED.vat, total = EXCLUDED.total,
				fee = EXCLUDED.fee, sent_at = EXCLUDED.sent_at, confirm_by = EXCLUDED.confirm_by, updated_at = EXCLUDED.updated_at)
		SELECT (SELECT count(*) FROM rollup_take) AS rollups, (SELECT count(*) FROM total_take) AS totals,
			(SELECT count(*) FROM count_take) AS counts`
	var want, got struct {
		Rollups int `db:"rollups"`
		Totals  int `db:"totals"`
		Counts  int `db:"counts"`
	}
	n := len(deltas)
	rt, ra, rs := make([]int64, n), make([]int64, n), make([]int64, n)
	rc, rm := make([]string, n), make([]string, n)
	ro, rcf, rw, rr, rd, rb := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	rsub, rvat, rtot, rfee := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	for i, d := range deltas {
		k := d.key
		rt[i], ra[i], rs[i], rc[i], rm[i] = k.TenderID, k.AuthorityID, k.SupplierID, k.Category, k.Month.String()
		ro[i], rcf[i], rw[i], rr[i], rd[i], rb[i] = int64(d.orders), int64(d.confirmed), int64(d.inWindow), int64(d.rejected),
			int64(d.delivered), int64(d.byPromised)
		rsub[i], rvat[i], rtot[i], rfee[i] = d.subtotal.String(), d.vat.String(), d.total.String(), d.fee.String()
		if d.orders < 0 {
			want.Rollups++
		}
	}
	m := len(totals)
	tt, ta, to := make([]int64, m), make([]int64, m), make([]int64, m)
	tsub, tvat, ttot, tfee := make([]string, m), make([]string, m), make([]string, m), make([]string, m)
	for i, d := range totals {
		tt[i], ta[i], to[i] = d.key.TenderID, d.key.AuthorityID, int64(d.orders)
		tsub[i], tvat[i], ttot[i], tfee[i] = d.subtotal.String(), d.vat.String(), d.total.String(), d.fee.String()
		if d.orders < 0 {
			want.Totals++
		}
	}
	c := len(counts)
	ct, ca, cs, cn := make([]int64, c), make([]int64, c), make([]int64, c), make([]int64, c)
	cst := make([]string, c)
	for i, r := range counts {
		ct[i], ca[i], cs[i], cst[i], cn[i] = r.tender, r.authority, r.supplier, r.status, int64(r.n)
		if r.n < 0 {
			want.Counts++
		}
	}
	err := s.db.GetContext(ctx, &got, q,
		pq.Array(rt), pq.Array(ra), pq.Array(rs), pq.Array(rc), pq.Array(rm), pq.Array(ro),
		pq.Array(rsub), pq.Array(rvat), pq.Array(rtot), pq.Array(rfee), pq.Array(rcf), pq.Array(rw), pq.Array(rr), pq.Array(rd), pq.Array(rb),
		pq.Array(tt), pq.Array(ta), pq.Array(to), pq.Array(tsub), pq.Array(tvat), pq.Array(ttot), pq.Array(tfee),
		pq.Array(ct), pq.Array(ca), pq.Array(cs), pq.Array(cst), pq.Array(cn),
		now.OrderID, now.Status, now.TenderID, now.AuthorityID, now.SupplierID, now.Category,
		now.Month, now.Subtotal, now.VAT, now.Total, now.Fee, now.SentAt, now.ConfirmBy, at)
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("volumes: order %d taken from figures that do not hold it: %d of %d rollup, %d of %d total and %d of %d status count rows found",
			now.OrderID, got.Rollups, want.Rollups, got.Totals, want.Totals, got.Counts, want.Counts)
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
