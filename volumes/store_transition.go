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
			SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::date[], $6::int[],
				$7::numeric[], $8::numeric[], $9::numeric[], $10::numeric[], $11::int[], $12::int[], $13::int[], $14::int[], $15::int[])
				WITH ORDINALITY AS d(tender_id, authority_id, supplier_id, category, month, order_count, subtotal, vat, total, fee,
					confirmed, confirmed_in_window, rejected, delivered, delivered_by_promised, ord)),
		total AS (
			SELECT * FROM unnest($16::bigint[], $17::bigint[], $18::int[], $19::numeric[], $20::numeric[], $21::numeric[], $22::numeric[])
				WITH ORDINALITY AS d(tender_id, authority_id, order_count, subtotal, vat, total, fee, ord)),
		count AS (
			SELECT * FROM unnest($23::bigint[], $24::bigint[], $25::bigint[], $26::text[], $27::int[])
				WITH ORDINALITY AS d(tender_id, authority_id, supplier_id, status, n, ord)),
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
			SELECT $28, $29, $30, $31, $32, $33, $34, $35, $36, $37, $38, $39, $40, $41
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
	}
	m := len(totals)
	tt, ta, to := make([]int64, m), make([]int64, m), make([]int64, m)
	tsub, tvat, ttot, tfee := make([]string, m), make([]string, m), make([]string, m), make([]string, m)
	for i, d := range totals {
		tt[i], ta[i], to[i] = d.key.TenderID, d.key.AuthorityID, int64(d.orders)
		tsub[i], tvat[i], ttot[i], tfee[i] = d.subtotal.String(), d.vat.String(), d.total.String(), d.fee.String()
	}
	c := len(counts)
	ct, ca, cs, cn := make([]int64, c), make([]int64, c), make([]int64, c), make([]int64, c)
	cst := make([]string, c)
	for i, r := range counts {
		ct[i], ca[i], cs[i], cst[i], cn[i] = r.tender, r.authority, r.supplier, r.status, int64(r.n)
	}
	var missing int
	err := s.db.GetContext(ctx, &missing, q,
		pq.Array(rt), pq.Array(ra), pq.Array(rs), pq.Array(rc), pq.Array(rm), pq.Array(ro),
		pq.Array(rsub), pq.Array(rvat), pq.Array(rtot), pq.Array(rfee), pq.Array(rcf), pq.Array(rw), pq.Array(rr), pq.Array(rd), pq.Array(rb),
		pq.Array(tt), pq.Array(ta), pq.Array(to), pq.Array(tsub), pq.Array(tvat), pq.Array(ttot), pq.Array(tfee),
		pq.Array(ct), pq.Array(ca), pq.Array(cs), pq.Array(cst), pq.Array(cn),
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
