package volumes

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"madaf/internal/calendar"
)

// rollupKey is the key figures are summed by.
type rollupKey struct {
	TenderID    int64
	AuthorityID int64
	SupplierID  int64
	Category    string
	Month       calendar.Date
}

func compareKeys(a, b rollupKey) int {
	return cmp.Or(cmp.Compare(a.TenderID, b.TenderID), cmp.Compare(a.AuthorityID, b.AuthorityID),
		cmp.Compare(a.SupplierID, b.SupplierID), cmp.Compare(a.Category, b.Category),
		a.Month.Time().Compare(b.Month.Time()))
}

// delta is a change to one rollup row.
type delta struct {
	key                           rollupKey
	orders                        int
	subtotal, vat, total, fee     decimal.Decimal
	confirmed, inWindow, rejected int
	delivered, byPromised         int
}

func (d *delta) zero() bool {
	return d.orders == 0 && d.subtotal.IsZero() && d.vat.IsZero() && d.total.IsZero() && d.fee.IsZero() &&
		d.confirmed == 0 && d.inWindow == 0 && d.rejected == 0 && d.delivered == 0 && d.byPromised == 0
}

// recorded is an order's row of volume_orders: its contribution as the last
// transition left it.
type recorded struct {
	OrderID     int64           `db:"order_id"`
	Status      string          `db:"status"`
	TenderID    int64           `db:"tender_id"`
	AuthorityID int64           `db:"authority_id"`
	SupplierID  int64           `db:"supplier_id"`
	Category    string          `db:"category"`
	Month       calendar.Date   `db:"month"`
	Subtotal    decimal.Decimal `db:"subtotal"`
	VAT         decimal.Decimal `db:"vat"`
	Total       decimal.Decimal `db:"total"`
	Fee         decimal.Decimal `db:"fee"`
	SentAt      sql.NullTime    `db:"sent_at"`
	ConfirmBy   calendar.Date   `db:"confirm_by"`
}

func (r *recorded) key() rollupKey {
	return rollupKey{r.TenderID, r.AuthorityID, r.SupplierID, r.Category, r.Month}
}

func (r *recorded) sameFigures(o *recorded) bool {
	return r.key() == o.key() && r.Subtotal.Equal(o.Subtotal) && r.VAT.Equal(o.VAT) &&
		r.Total.Equal(o.Total) && r.Fee.Equal(o.Fee)
}

// Transition records that order f moved from one state to another at at,
// inside the order's transaction tx. The orders package calls it for every
// transition, including creation (from "") and submission, after it has
// taken its own locks.
//
// The figures always equal the sum over orders of what each contributes in
// its current state: a committed order its amounts under its tender,
// authority, supplier, category and submission month; every order one count
// under its status. Entering confirmed, rejected or delivered also adds to
// the supplier's performance counters. Rollup rows are changed with
// additive upserts in one fixed order, so concurrent transitions never lose
// an update or deadlock on each other.
//
// Transition returns an error, and the caller must roll back, when from is
// not the state the last transition recorded for the order, when to is not
// an order state, or when a committed order has no submission date.
func Transition(ctx context.Context, tx sqlx.ExtContext, f OrderFigures, from, to string, at time.Time) error {
	if !statuses[to] || (from != "" && !statuses[from]) {
		return fmt.Errorf("volumes: order %d: unknown transition %q → %q", f.OrderID, from, to)
	}
	if Committed[to] && f.SubmittedOn.IsZero() {
		return fmt.Errorf("volumes: order %d is %s without a submission date", f.OrderID, to)
	}
	if to == "sent" && f.ConfirmBy.IsZero() {
		return fmt.Errorf("volumes: order %d is sent without a confirmation deadline", f.OrderID)
	}

	var old recorded
	const qOld = `SELECT order_id, status, tender_id, authority_id, supplier_id, category, month,
		subtotal, vat, total, fee, sent_at, confirm_by
		FROM volume_orders WHERE order_id = $1 FOR UPDATE`
	err := sqlx.GetContext(ctx, tx, &old, qOld, f.OrderID)
	exists := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if old.Status != from {
		return fmt.Errorf("volumes: order %d is recorded as %q, not %q", f.OrderID, old.Status, from)
	}

	now := recorded{
		OrderID: f.OrderID, Status: to, TenderID: f.TenderID, AuthorityID: f.AuthorityID, SupplierID: f.SupplierID,
		Category: f.Category, Month: Month(f.SubmittedOn),
		Subtotal: f.Subtotal, VAT: f.VAT, Total: f.Total, Fee: f.Fee,
		SentAt: old.SentAt, ConfirmBy: old.ConfirmBy,
	}
	switch {
	case !f.SentAt.IsZero():
		now.SentAt = sql.NullTime{Time: f.SentAt, Valid: true}
	case to == "sent" && from != "sent":
		now.SentAt = sql.NullTime{Time: at, Valid: true}
	}
	if !f.ConfirmBy.IsZero() {
		now.ConfirmBy = f.ConfirmBy
	}

	if to == "delivered" && from != "delivered" && f.DeliveredOn.IsZero() {
		if f.DeliveredOn, err = deliveredOn(ctx, tx, f.OrderID, at); err != nil {
			return err
		}
	}
	deltas, err := transitionDeltas(f, &old, &now, from, to, at)
	if err != nil {
		return err
	}
	for _, d := range deltas {
		if err := applyDelta(ctx, tx, d); err != nil {
			return err
		}
	}
	for _, d := range totalDeltas(deltas) {
		if err := applyTotal(ctx, tx, d); err != nil {
			return err
		}
	}
	if err := countStatus(ctx, tx, &old, &now, exists); err != nil {
		return err
	}
	if to == "confirmed" && from == "sent" {
		if err := recordConfirmation(ctx, tx, &now, at); err != nil {
			return err
		}
	}

	const qSave = `INSERT INTO volume_orders (order_id, status, tender_id, authority_id, supplier_id, category, month,
			subtotal, vat, total, fee, sent_at, confirm_by, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
		ON CONFLICT (order_id) DO UPDATE SET status = EXCLUDED.status, tender_id = EXCLUDED.tender_id,
			authority_id = EXCLUDED.authority_id, supplier_id = EXCLUDED.supplier_id, category = EXCLUDED.category,
			month = EXCLUDED.month, subtotal = EXCLUDED.subtotal, vat = EXCLUDED.vat, total = EXCLUDED.total,
			fee = EXCLUDED.fee, sent_at = EXCLUDED.sent_at, confirm_by = EXCLUDED.confirm_by, updated_at = EXCLUDED.updated_at`
	_, err = tx.ExecContext(ctx, qSave, now.OrderID, now.Status, now.TenderID, now.AuthorityID, now.SupplierID, now.Category,
		now.Month, now.Subtotal, now.VAT, now.Total, now.Fee, now.SentAt, now.ConfirmBy, at)
	return err
}

// deliveredOn is the day order id was delivered in full: the latest day
// of its delivery reports, or, without any, the day of at.
func deliveredOn(ctx context.Context, tx sqlx.ExtContext, id int64, at time.Time) (calendar.Date, error) {
	var on calendar.Date
	if err := sqlx.GetContext(ctx, tx, &on, `SELECT max(delivered_on) FROM order_deliveries WHERE order_id = $1`, id); err != nil {
		return on, err
	}
	if on.IsZero() {
		on = calendar.DateOf(at)
	}
	return on, nil
}

// transitionDeltas works out the rollup changes of one transition, merged
// per key and sorted by key.
func transitionDeltas(f OrderFigures, old, now *recorded, from, to string, at time.Time) ([]*delta, error) {
	byKey := map[rollupKey]*delta{}
	get := func(k rollupKey) *delta {
		if d, ok := byKey[k]; ok {
			return d
		}
		d := &delta{key: k}
		byKey[k] = d
		return d
	}
	if !(Committed[from] && Committed[to] && old.sameFigures(now)) {
		if Committed[from] {
			d := get(old.key())
			d.orders--
			d.subtotal, d.vat = d.subtotal.Sub(old.Subtotal), d.vat.Sub(old.VAT)
			d.total, d.fee = d.total.Sub(old.Total), d.fee.Sub(old.Fee)
		}
		if Committed[to] {
			d := get(now.key())
			d.orders++
			d.subtotal, d.vat = d.subtotal.Add(now.Subtotal), d.vat.Add(now.VAT)
			d.total, d.fee = d.total.Add(now.Total), d.fee.Add(now.Fee)
		}
	}
	if from != to {
		switch to {
		case "confirmed":
			if from != "sent" {
				break
			}
			if now.ConfirmBy.IsZero() {
				return nil, fmt.Errorf("volumes: order %d confirmed without a confirmation deadline", f.OrderID)
			}
			d := get(now.key())
			d.confirmed++
			if !calendar.DateOf(at).After(now.ConfirmBy) {
				d.inWindow++
			}
		case "rejected":
			if now.Month.IsZero() {
				return nil, fmt.Errorf("volumes: order %d rejected without a submission date", f.OrderID)
			}
			get(now.key()).rejected++
		case "delivered":
			if f.PromisedOn.IsZero() {
				return nil, fmt.Errorf("volumes: order %d delivered without a promised date", f.OrderID)
			}
			d := get(now.key())
			d.delivered++
			if !f.DeliveredOn.After(f.PromisedOn) {
				d.byPromised++
			}
		}
	}
	out := make([]*delta, 0, len(byKey))
	for _, d := range byKey {
		if !d.zero() {
			out = append(out, d)
		}
	}
	slices.SortFunc(out, func(a, b *delta) int { return compareKeys(a.key, b.key) })
	return out, nil
}

// applyDelta adds d to its rollup row, creating the row when it is
// missing. A delta that takes an order away updates the row the order was
// added to, which must exist.
func applyDelta(ctx context.Context, tx sqlx.ExtContext, d *delta) error {
	k := d.key
	if d.orders < 0 {
		const q = `UPDATE volume_rollups SET order_count = order_count + $6,
				subtotal = subtotal + $7, vat = vat + $8, total = total + $9, fee = fee + $10,
				confirmed = confirmed + $11, confirmed_in_window = confirmed_in_window + $12,
				rejected = rejected + $13, delivered = delivered + $14, delivered_by_promised = delivered_by_promised + $15
			WHERE tender_id = $1 AND authority_id = $2 AND supplier_id = $3 AND category = $4 AND month = $5`
		res, err := tx.ExecContext(ctx, q, k.TenderID, k.AuthorityID, k.SupplierID, k.Category, k.Month,
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
	_, err := tx.ExecContext(ctx, q, k.TenderID, k.AuthorityID, k.SupplierID, k.Category, k.Month,
		d.orders, d.subtotal, d.vat, d.total, d.fee, d.confirmed, d.inWindow, d.rejected, d.delivered, d.byPromised)
	return err
}

// totalDeltas are the amount changes of deltas summed per tender and
// authority, in key order, for volume_totals.
func totalDeltas(deltas []*delta) []*delta {
	var out []*delta
	for _, d := range deltas {
		if d.orders == 0 && d.subtotal.IsZero() && d.vat.IsZero() && d.total.IsZero() && d.fee.IsZero() {
			continue
		}
		k := rollupKey{TenderID: d.key.TenderID, AuthorityID: d.key.AuthorityID}
		if n := len(out); n > 0 && out[n-1].key == k {
			last := out[n-1]
			last.orders += d.orders
			last.subtotal, last.vat = last.subtotal.Add(d.subtotal), last.vat.Add(d.vat)
			last.total, last.fee = last.total.Add(d.total), last.fee.Add(d.fee)
			continue
		}
		out = append(out, &delta{key: k, orders: d.orders, subtotal: d.subtotal, vat: d.vat, total: d.total, fee: d.fee})
	}
	return out
}

// applyTotal adds d's amounts to its tender and authority's all-time total.
func applyTotal(ctx context.Context, tx sqlx.ExtContext, d *delta) error {
	k := d.key
	if d.orders < 0 {
		const q = `UPDATE volume_totals SET order_count = order_count + $3, subtotal = subtotal + $4,
				vat = vat + $5, total = total + $6, fee = fee + $7
			WHERE tender_id = $1 AND authority_id = $2`
		res, err := tx.ExecContext(ctx, q, k.TenderID, k.AuthorityID, d.orders, d.subtotal, d.vat, d.total, d.fee)
		return mustHaveUpdated(res, err, "total", k)
	}
	const q = `INSERT INTO volume_totals AS v (tender_id, authority_id, order_count, subtotal, vat, total, fee)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (tender_id, authority_id) DO UPDATE SET order_count = v.order_count + EXCLUDED.order_count,
			subtotal = v.subtotal + EXCLUDED.subtotal, vat = v.vat + EXCLUDED.vat,
			total = v.total + EXCLUDED.total, fee = v.fee + EXCLUDED.fee`
	_, err := tx.ExecContext(ctx, q, k.TenderID, k.AuthorityID, d.orders, d.subtotal, d.vat, d.total, d.fee)
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
func countStatus(ctx context.Context, tx sqlx.ExtContext, old, now *recorded, existed bool) error {
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
			if _, err := tx.ExecContext(ctx, qAdd, r.tender, r.authority, r.supplier, r.status); err != nil {
				return err
			}
			continue
		}
		res, err := tx.ExecContext(ctx, qTake, r.tender, r.authority, r.supplier, r.status)
		if err := mustHaveUpdated(res, err, "status count", r.status); err != nil {
			return err
		}
	}
	return nil
}

// recordConfirmation keeps how long the supplier took to confirm, in whole
// seconds as PostgreSQL measures the two stored times.
func recordConfirmation(ctx context.Context, tx sqlx.ExtContext, now *recorded, at time.Time) error {
	if !now.SentAt.Valid {
		return fmt.Errorf("volumes: order %d confirmed but never sent", now.OrderID)
	}
	const q = `INSERT INTO volume_confirmations (order_id, tender_id, authority_id, supplier_id, month, seconds)
		VALUES ($1, $2, $3, $4, $5, greatest(0, floor(extract(epoch FROM $6::timestamptz - $7::timestamptz)))::bigint)
		RETURNING hour`
	var hour int
	if err := sqlx.GetContext(ctx, tx, &hour, q, now.OrderID, now.TenderID, now.AuthorityID, now.SupplierID, now.Month, at, now.SentAt.Time); err != nil {
		return err
	}
	const qHour = `INSERT INTO volume_confirmation_hours AS h (supplier_id, hour, order_count) VALUES ($1, $2, 1)
		ON CONFLICT (supplier_id, hour) DO UPDATE SET order_count = h.order_count + 1`
	if _, err := tx.ExecContext(ctx, qHour, now.SupplierID, hour); err != nil {
		return err
	}
	const qYear = `INSERT INTO volume_confirmation_year_hours AS h (year, supplier_id, hour, order_count) VALUES ($1, $2, $3, 1)
		ON CONFLICT (year, supplier_id, hour) DO UPDATE SET order_count = h.order_count + 1`
	_, err := tx.ExecContext(ctx, qYear, now.Month.Year(), now.SupplierID, hour)
	return err
}
