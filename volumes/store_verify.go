package volumes

import (
	"context"
	"fmt"
	"io"

	"madaf/internal/apperr"
	"madaf/internal/database"
)

// The recomputations Verify compares with what the transitions kept. Each
// query answers the rows that differ, as text.
var verifications = []struct {
	what  string
	query string
}{
	{"rollups", `WITH want AS (
			SELECT o.tender_id, o.authority_id, o.supplier_id, t.category,
				date_trunc('month', o.submitted_on)::date AS month,
				count(*) FILTER (WHERE order_status_committed(o.status)) AS order_count,
				coalesce(sum(o.subtotal) FILTER (WHERE order_status_committed(o.status)), 0) AS subtotal,
				coalesce(sum(o.vat) FILTER (WHERE order_status_committed(o.status)), 0) AS vat,
				coalesce(sum(o.total) FILTER (WHERE order_status_committed(o.status)), 0) AS total,
				coalesce(sum(o.fee) FILTER (WHERE order_status_committed(o.status)), 0) AS fee,
				count(*) FILTER (WHERE o.confirmed_at IS NOT NULL) AS confirmed,
				count(*) FILTER (WHERE (o.confirmed_at AT TIME ZONE 'Asia/Jerusalem')::date <= o.confirm_by) AS confirmed_in_window,
				count(*) FILTER (WHERE o.status = 'rejected') AS rejected,
				count(*) FILTER (WHERE o.delivered_at IS NOT NULL) AS delivered,
				count(*) FILTER (WHERE coalesce(d.delivered_on, (o.delivered_at AT TIME ZONE 'Asia/Jerusalem')::date) <= o.promised_on
					AND o.delivered_at IS NOT NULL) AS delivered_by_promised
			FROM orders o
			JOIN tenders t ON t.id = o.tender_id
			LEFT JOIN (SELECT order_id, max(delivered_on) AS delivered_on FROM order_deliveries GROUP BY order_id) d
				ON d.order_id = o.id
			WHERE o.submitted_on IS NOT NULL AND o.status <> 'draft'
			GROUP BY 1, 2, 3, 4, 5
		), have AS (
			SELECT tender_id, authority_id, supplier_id, category, month, order_count, subtotal, vat, total, fee,
				confirmed, confirmed_in_window, rejected, delivered, delivered_by_promised
			FROM volume_rollups
		)
		SELECT format('tender %s authority %s supplier %s category %s month %s: kept %s, recomputed %s',
			coalesce(h.tender_id, w.tender_id), coalesce(h.authority_id, w.authority_id),
			coalesce(h.supplier_id, w.supplier_id), coalesce(h.category, w.category),
			to_char(coalesce(h.month, w.month), 'YYYY-MM'),
			coalesce(format('orders %s subtotal %s vat %s total %s fee %s confirmed %s/%s rejected %s delivered %s/%s',
				h.order_count, h.subtotal, h.vat, h.total, h.fee, h.confirmed_in_window, h.confirmed, h.rejected,
				h.delivered_by_promised, h.delivered), 'nothing'),
			coalesce(format('orders %s subtotal %s vat %s total %s fee %s confirmed %s/%s rejected %s delivered %s/%s',
				w.order_count, w.subtotal, w.vat, w.total, w.fee, w.confirmed_in_window, w.confirmed, w.rejected,
				w.delivered_by_promised, w.delivered), 'nothing'))
		FROM have h FULL JOIN want w USING (tender_id, authority_id, supplier_id, category, month)
		WHERE (coalesce(h.order_count, 0), coalesce(h.subtotal, 0), coalesce(h.vat, 0), coalesce(h.total, 0),
				coalesce(h.fee, 0), coalesce(h.confirmed, 0), coalesce(h.confirmed_in_window, 0), coalesce(h.rejected, 0),
				coalesce(h.delivered, 0), coalesce(h.delivered_by_promised, 0))
			IS DISTINCT FROM
			(coalesce(w.order_count, 0), coalesce(w.subtotal, 0), coalesce(w.vat, 0), coalesce(w.total, 0),
				coalesce(w.fee, 0), coalesce(w.confirmed, 0), coalesce(w.confirmed_in_window, 0), coalesce(w.rejected, 0),
				coalesce(w.delivered, 0), coalesce(w.delivered_by_promised, 0))
		ORDER BY 1`},
	{"fee rollups", `WITH want AS (
			SELECT month, supplier_id, tender_id, authority_id, count(*) AS order_count, sum(subtotal) AS subtotal,
				sum(fee) AS fee
			FROM fee_orders GROUP BY 1, 2, 3, 4
		)
		SELECT format('month %s supplier %s tender %s authority %s: kept %s, recomputed %s',
			to_char(coalesce(h.month, w.month), 'YYYY-MM'), coalesce(h.supplier_id, w.supplier_id),
			coalesce(h.tender_id, w.tender_id), coalesce(h.authority_id, w.authority_id),
			coalesce(format('orders %s subtotal %s fee %s', h.order_count, h.subtotal, h.fee), 'nothing'),
			coalesce(format('orders %s subtotal %s fee %s', w.order_count, w.subtotal, w.fee), 'nothing'))
		FROM fee_rollups h FULL JOIN want w USING (month, supplier_id, tender_id, authority_id)
		WHERE (coalesce(h.order_count, 0), coalesce(h.subtotal, 0), coalesce(h.fee, 0))
			IS DISTINCT FROM (coalesce(w.order_count, 0), coalesce(w.subtotal, 0), coalesce(w.fee, 0))
		ORDER BY 1`},
	{"fee ledger", `SELECT format('order %s: kept %s, recomputed %s', coalesce(h.order_id, w.order_id),
			coalesce(format('%s %s/%s/%s subtotal %s fee %s', to_char(h.month, 'YYYY-MM'), h.supplier_id, h.tender_id,
				h.authority_id, h.subtotal, h.fee), 'nothing'),
			coalesce(format('%s %s/%s/%s subtotal %s fee %s', to_char(w.month, 'YYYY-MM'), w.supplier_id, w.tender_id,
				w.authority_id, w.subtotal, w.fee), 'nothing'))
		FROM fee_ledger h FULL JOIN fee_orders w USING (order_id)
		WHERE (h.month, h.supplier_id, h.tender_id, h.authority_id, h.subtotal, h.fee)
			IS DISTINCT FROM (w.month, w.supplier_id, w.tender_id, w.authority_id, w.subtotal, w.fee)
		ORDER BY 1`},
	{"status counts", `WITH want AS (
			SELECT tender_id, authority_id, supplier_id, status, count(*) AS order_count
			FROM orders GROUP BY 1, 2, 3, 4
		)
		SELECT format('tender %s authority %s supplier %s %s: kept %s, recomputed %s',
			coalesce(h.tender_id, w.tender_id), coalesce(h.authority_id, w.authority_id),
			coalesce(h.supplier_id, w.supplier_id), coalesce(h.status, w.status),
			coalesce(h.order_count, 0), coalesce(w.order_count, 0))
		FROM volume_status_counts h FULL JOIN want w USING (tender_id, authority_id, supplier_id, status)
		WHERE coalesce(h.order_count, 0) <> coalesce(w.order_count, 0)
		ORDER BY 1`},
	{"orders", `SELECT format('order %s: kept %s, recomputed %s', coalesce(v.order_id, o.id),
			coalesce(format('%s %s/%s/%s %s total %s', v.status, v.tender_id, v.authority_id, v.supplier_id,
				to_char(v.month, 'YYYY-MM'), v.total), 'nothing'),
			coalesce(format('%s %s/%s/%s %s total %s', o.status, o.tender_id, o.authority_id, o.supplier_id,
				to_char(o.submitted_on, 'YYYY-MM'), o.total), 'nothing'))
		FROM volume_orders v FULL JOIN orders o ON o.id = v.order_id
		WHERE v.order_id IS NULL OR o.id IS NULL OR v.status <> o.status
			OR (order_status_committed(o.status) AND (v.tender_id, v.authority_id, v.supplier_id, v.month, v.subtotal, v.vat, v.total, v.fee)
				IS DISTINCT FROM (o.tender_id, o.authority_id, o.supplier_id, date_trunc('month', o.submitted_on)::date,
					o.subtotal, o.vat, o.total, o.fee))
			OR (o.status = 'sent' AND v.confirm_by IS DISTINCT FROM o.confirm_by)
		ORDER BY coalesce(v.order_id, o.id)`},
	{"confirmations", `WITH want AS (
			SELECT id AS order_id, supplier_id, date_trunc('month', submitted_on)::date AS month,
				floor(extract(epoch FROM confirmed_at - sent_at))::bigint AS seconds
			FROM orders WHERE confirmed_at IS NOT NULL
		)
		SELECT format('order %s: kept %s s, recomputed %s s', coalesce(h.order_id, w.order_id),
			coalesce(h.seconds::text, 'nothing'), coalesce(w.seconds::text, 'nothing'))
		FROM volume_confirmations h FULL JOIN want w USING (order_id)
		WHERE h.seconds IS DISTINCT FROM w.seconds OR h.supplier_id IS DISTINCT FROM w.supplier_id
			OR h.month IS DISTINCT FROM w.month
		ORDER BY 1`},
	{"totals", `WITH want AS (
			SELECT tender_id, authority_id, count(*) AS order_count, sum(subtotal) AS subtotal, sum(vat) AS vat,
				sum(total) AS total, sum(fee) AS fee
			FROM orders WHERE order_status_committed(status) GROUP BY 1, 2
		)
		SELECT format('tender %s authority %s: kept %s, recomputed %s',
			coalesce(h.tender_id, w.tender_id), coalesce(h.authority_id, w.authority_id),
			coalesce(format('orders %s subtotal %s vat %s total %s fee %s', h.order_count, h.subtotal, h.vat, h.total, h.fee), 'nothing'),
			coalesce(format('orders %s subtotal %s vat %s total %s fee %s', w.order_count, w.subtotal, w.vat, w.total, w.fee), 'nothing'))
		FROM volume_totals h FULL JOIN want w USING (tender_id, authority_id)
		WHERE (coalesce(h.order_count, 0), coalesce(h.subtotal, 0), coalesce(h.vat, 0), coalesce(h.total, 0), coalesce(h.fee, 0))
			IS DISTINCT FROM (coalesce(w.order_count, 0), coalesce(w.subtotal, 0), coalesce(w.vat, 0), coalesce(w.total, 0), coalesce(w.fee, 0))
		ORDER BY 1`},
	{"confirmation years", `WITH want AS (
			SELECT year, supplier_id, hour, count(*) AS order_count FROM volume_confirmations GROUP BY 1, 2, 3
		)
		SELECT format('year %s supplier %s hour %s: kept %s, recomputed %s', coalesce(h.year, w.year),
			coalesce(h.supplier_id, w.supplier_id), coalesce(h.hour, w.hour), coalesce(h.order_count, 0), coalesce(w.order_count, 0))
		FROM volume_confirmation_year_hours h FULL JOIN want w USING (year, supplier_id, hour)
		WHERE coalesce(h.order_count, 0) <> coalesce(w.order_count, 0)
		ORDER BY 1`},
	{"confirmation hours", `WITH want AS (
			SELECT supplier_id, hour, count(*) AS order_count FROM volume_confirmations GROUP BY 1, 2
		)
		SELECT format('supplier %s hour %s: kept %s, recomputed %s', coalesce(h.supplier_id, w.supplier_id),
			coalesce(h.hour, w.hour), coalesce(h.order_count, 0), coalesce(w.order_count, 0))
		FROM volume_confirmation_hours h FULL JOIN want w USING (supplier_id, hour)
		WHERE coalesce(h.order_count, 0) <> coalesce(w.order_count, 0)
		ORDER BY 1`},
	// What the reserving orders hold on each capacity, which submissions
	// and the capacity guards read (kept by the triggers on orders).
	// An open change of an order holds what it raises the order by.
	{"capacity holds", `WITH want AS (
			SELECT kind, id, authority_id, sum(subtotal) AS subtotal, sum(total) AS total, sum(orders) AS orders FROM (
				SELECT c.kind, c.id, c.authority_id, o.subtotal, o.total, 1 AS orders
				FROM orders o
				CROSS JOIN LATERAL (VALUES ('tender', o.tender_id, 0::bigint), ('allocation', o.tender_id, o.authority_id),
					('budget_line', o.budget_line_id, 0::bigint)) AS c(kind, id, authority_id)
				WHERE order_status_reserves(o.status) AND c.id IS NOT NULL
				UNION ALL
				SELECT c.kind, c.id, c.authority_id, x.held_subtotal, x.held_total, 0
				FROM order_changes x
				CROSS JOIN LATERAL (VALUES ('tender', x.tender_id, 0::bigint), ('allocation', x.tender_id, x.authority_id),
					('budget_line', x.budget_line_id, 0::bigint)) AS c(kind, id, authority_id)
				WHERE order_change_open(x.status)) AS held
			GROUP BY 1, 2, 3
		)
		SELECT format('%s %s%s: kept %s, recomputed %s', kind, id,
			CASE WHEN authority_id <> 0 THEN ' authority ' || authority_id ELSE '' END,
			coalesce(format('subtotal %s total %s orders %s', h.subtotal, h.total, h.orders), 'nothing'),
			coalesce(format('subtotal %s total %s orders %s', w.subtotal, w.total, w.orders), 'nothing'))
		FROM capacity_holds h FULL JOIN want w USING (kind, id, authority_id)
		WHERE (coalesce(h.subtotal, 0), coalesce(h.total, 0), coalesce(h.orders, 0))
			IS DISTINCT FROM (coalesce(w.subtotal, 0), coalesce(w.total, 0), coalesce(w.orders, 0))
		ORDER BY kind, id, authority_id`},
}

// Verify recomputes every figure on db, and what the reserving orders hold
// on each capacity, from the orders tables and writes each difference from
// what the transitions kept to w, one a line, then a summary. It returns
// the number of differences; there should be none.
func Verify(ctx context.Context, db database.Handle, w io.Writer) (differences int, err error) {
	defer apperr.Wrap(&err, "volumes.Verify")
	for _, v := range verifications {
		var diffs []string
		if err := db.SelectContext(ctx, &diffs, v.query); err != nil {
			return differences, fmt.Errorf("verify %s: %w", v.what, err)
		}
		for _, d := range diffs {
			fmt.Fprintf(w, "%s: %s\n", v.what, d)
		}
		differences += len(diffs)
	}
	var orders int
	const q = `SELECT count(*) FROM orders`
	if err := db.GetContext(ctx, &orders, q); err != nil {
		return differences, err
	}
	fmt.Fprintf(w, "volumes verify: %d orders, %d differences\n", orders, differences)
	return differences, nil
}
