package volumes

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

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

// record saves now as the order's row of volume_orders, as of at.
func (s *Store) record(ctx context.Context, now *recorded, at time.Time) error {
	const q = `INSERT INTO volume_orders (order_id, status, tender_id, authority_id, supplier_id, category, month,
			subtotal, vat, total, fee, sent_at, confirm_by, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
		ON CONFLICT (order_id) DO UPDATE SET status = EXCLUDED.status, tender_id = EXCLUDED.tender_id,
			authority_id = EXCLUDED.authority_id, supplier_id = EXCLUDED.supplier_id, category = EXCLUDED.category,
			month = EXCLUDED.month, subtotal = EXCLUDED.subtotal, vat = EXCLUDED.vat, total = EXCLUDED.total,
			fee = EXCLUDED.fee, sent_at = EXCLUDED.sent_at, confirm_by = EXCLUDED.confirm_by, updated_at = EXCLUDED.updated_at`
	_, err := s.db.ExecContext(ctx, q, now.OrderID, now.Status, now.TenderID, now.AuthorityID, now.SupplierID, now.Category,
		now.Month, now.Subtotal, now.VAT, now.Total, now.Fee, now.SentAt, now.ConfirmBy, at)
	return err
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

// applyDelta adds d to its rollup row, creating the row when it is
// missing. A delta that takes an order away updates the row the order was
// added to, which must exist.
func (s *Store) applyDelta(ctx context.Context, d *delta) error {
	k := d.key
	if d.orders < 0 {
		const q = `UPDATE volume_rollups SET order_count = order_count + $6,
				subtotal = subtotal + $7, vat = vat + $8, total = total + $9, fee = fee + $10,
				confirmed = confirmed + $11, confirmed_in_window = confirmed_in_window + $12,
				rejected = rejected + $13, delivered = delivered + $14, delivered_by_promised = delivered_by_promised + $15
			WHERE tender_id = $1 AND authority_id = $2 AND supplier_id = $3 AND category = $4 AND month = $5`
		res, err := s.db.ExecContext(ctx, q, k.TenderID, k.AuthorityID, k.SupplierID, k.Category, k.Month,
			d.orders, d.subtotal, d.vat, d.total, d.fee, d.confirmed, d.inWindow, d.rejected, d.delivered, d.byPromised)
		return mustHaveUpdated(res, err, "rollup", k)
	}
	const q = `INSERT INTO volume_rollups AS r (tender_id, authority_id, supplier_id, category, month,
			order_count, subtotal, vat, total, fee, confirmed, confirmed_in_window, rejected, delivered, delivered_by_promised)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
		ON CONFLICT (tender_id, authority_id, supplier_id, category, month) DO UPDATE SET
			order_count = r.order_count + EXCLUDED.order_count,
			subtotal = r.subtotal + EXCLUDED.subtotal, vat = r.vat + EXCLUDED.vat,
			total = r.total + EXCLUDED.total, fee = r.fee + EXCLUDED.fee,
			confirmed = r.confirmed + EXCLUDED.confirmed,
			confirmed_in_window = r.confirmed_in_window + EXCLUDED.confirmed_in_window,
			rejected = r.rejected + EXCLUDED.rejected, delivered = r.delivered + EXCLUDED.delivered,
			delivered_by_promised = r.delivered_by_promised + EXCLUDED.delivered_by_promised`
	_, err := s.db.ExecContext(ctx, q, k.TenderID, k.AuthorityID, k.SupplierID, k.Category, k.Month,
		d.orders, d.subtotal, d.vat, d.total, d.fee, d.confirmed, d.inWindow, d.rejected, d.delivered, d.byPromised)
	return err
}

// applyTotal adds d's amounts to its tender and authority's all-time total.
func (s *Store) applyTotal(ctx context.Context, d *delta) error {
	k := d.key
	if d.orders < 0 {
		const q = `UPDATE volume_totals SET order_count = order_count + $3, subtotal = subtotal + $4,
				vat = vat + $5, total = total + $6, fee = fee + $7
			WHERE tender_id = $1 AND authority_id = $2`
		res, err := s.db.ExecContext(ctx, q, k.TenderID, k.AuthorityID, d.orders, d.subtotal, d.vat, d.total, d.fee)
		return mustHaveUpdated(res, err, "total", k)
	}
	const q = `INSERT INTO volume_totals AS v (tender_id, authority_id, order_count, subtotal, vat, total, fee)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (tender_id, authority_id) DO UPDATE SET order_count = v.order_count + EXCLUDED.order_count,
			subtotal = v.subtotal + EXCLUDED.subtotal, vat = v.vat + EXCLUDED.vat,
			total = v.total + EXCLUDED.total, fee = v.fee + EXCLUDED.fee`
	_, err := s.db.ExecContext(ctx, q, k.TenderID, k.AuthorityID, d.orders, d.subtotal, d.vat, d.total, d.fee)
	return err
}

// mustHaveUpdated turns an update that found no row into an error: the
// figures would otherwise silently drift from the orders.
func mustHaveUpdated(res sql.Result, err error, what string, key any) error {
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("volumes: no %s row %v to take an order from", what, key)
	}
	return nil
}

// countStatus moves the order's count from its old status to its new one.
func (s *Store) countStatus(ctx context.Context, old, now *recorded, existed bool) error {
	type count struct {
		tender, authority, supplier int64
		status                      string
		n                           int
	}
	var rows []count
	if existed {
		rows = append(rows, count{old.TenderID, old.AuthorityID, old.SupplierID, old.Status, -1})
	}
	rows = append(rows, count{now.TenderID, now.AuthorityID, now.SupplierID, now.Status, 1})
	if len(rows) == 2 && rows[0].tender == rows[1].tender && rows[0].authority == rows[1].authority &&
		rows[0].supplier == rows[1].supplier && rows[0].status == rows[1].status {
		return nil
	}
	slices.SortFunc(rows, func(a, b count) int {
		return cmp.Or(cmp.Compare(a.tender, b.tender), cmp.Compare(a.authority, b.authority),
			cmp.Compare(a.supplier, b.supplier), cmp.Compare(a.status, b.status))
	})
	const (
		qAdd = `INSERT INTO volume_status_counts AS c (tender_id, authority_id, supplier_id, status, order_count)
			VALUES ($1, $2, $3, $4, 1)
			ON CONFLICT (tender_id, authority_id, supplier_id, status) DO UPDATE SET order_count = c.order_count + 1`
		qTake = `UPDATE volume_status_counts SET order_count = order_count - 1
			WHERE tender_id = $1 AND authority_id = $2 AND supplier_id = $3 AND status = $4`
	)
	for _, r := range rows {
		if r.n > 0 {
			if _, err := s.db.ExecContext(ctx, qAdd, r.tender, r.authority, r.supplier, r.status); err != nil {
				return err
			}
			continue
		}
		res, err := s.db.ExecContext(ctx, qTake, r.tender, r.authority, r.supplier, r.status)
		if err := mustHaveUpdated(res, err, "status count", r.status); err != nil {
			return err
		}
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
