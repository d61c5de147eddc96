package volumes

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"madaf/internal/apperr"
	"madaf/internal/calendar"
	"madaf/internal/database"
	"madaf/internal/orderstatus"
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
// inside the order's transaction tx (the store's statements are part of
// it). The orders package calls it for every transition, including
// creation (from "") and submission, after it has taken its own locks.
//
// The figures always equal the sum over orders of what each contributes in
// its current state: a committed order its amounts under its tender,
// authority, supplier, category and submission month; every order one count
// under its status. Entering confirmed, rejected or delivered also adds to
// the supplier's performance counters. Rollup rows are changed with
// additive upserts in one fixed order (Store.apply), so concurrent
// transitions never lose an update or deadlock on each other.
//
// Transition returns an error, and the caller must roll back, when tx is
// not a transaction, when from is not the state the last transition
// recorded for the order, when to is not an order state, or when a
// committed order has no submission date.
func Transition(ctx context.Context, tx database.Handle, f OrderFigures, from, to string, at time.Time) (err error) {
	defer apperr.Wrap(&err, "volumes.Transition(%d, %q, %q)", f.OrderID, from, to)
	if _, ok := tx.(*sqlx.Tx); !ok {
		return fmt.Errorf("volumes: order %d: a transition runs inside the order's transaction, not on %T", f.OrderID, tx)
	}
	if !orderstatus.Valid(to) || (from != "" && !orderstatus.Valid(from)) {
		return fmt.Errorf("volumes: order %d: unknown transition %q → %q", f.OrderID, from, to)
	}
	if orderstatus.Committed(to) && f.SubmittedOn.IsZero() {
		return fmt.Errorf("volumes: order %d is %s without a submission date", f.OrderID, to)
	}
	if to == orderstatus.Sent && f.ConfirmBy.IsZero() {
		return fmt.Errorf("volumes: order %d is sent without a confirmation deadline", f.OrderID)
	}
	s := &Store{db: tx}

	old, exists, err := s.recorded(ctx, f.OrderID)
	if err != nil {
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
	case to == orderstatus.Sent && from != orderstatus.Sent:
		now.SentAt = sql.NullTime{Time: at, Valid: true}
	}
	if !f.ConfirmBy.IsZero() {
		now.ConfirmBy = f.ConfirmBy
	}

	if to == orderstatus.Delivered && from != orderstatus.Delivered && f.DeliveredOn.IsZero() {
		if f.DeliveredOn, err = s.deliveredOn(ctx, f.OrderID, at); err != nil {
			return err
		}
	}
	deltas, err := transitionDeltas(f, &old, &now, from, to, at)
	if err != nil {
		return err
	}
	if err := s.apply(ctx, deltas, totalDeltas(deltas), statusCounts(&old, &now, exists), &now, at); err != nil {
		return err
	}
	if to == orderstatus.Confirmed && from == orderstatus.Sent {
		return s.recordConfirmation(ctx, &now, at)
	}
	return nil
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
	if !(orderstatus.Committed(from) && orderstatus.Committed(to) && old.sameFigures(now)) {
		if orderstatus.Committed(from) {
			d := get(old.key())
			d.orders--
			d.subtotal, d.vat = d.subtotal.Sub(old.Subtotal), d.vat.Sub(old.VAT)
			d.total, d.fee = d.total.Sub(old.Total), d.fee.Sub(old.Fee)
		}
		if orderstatus.Committed(to) {
			d := get(now.key())
			d.orders++
			d.subtotal, d.vat = d.subtotal.Add(now.Subtotal), d.vat.Add(now.VAT)
			d.total, d.fee = d.total.Add(now.Total), d.fee.Add(now.Fee)
		}
	}
	if from != to {
		switch to {
		case orderstatus.Confirmed:
			if from != orderstatus.Sent {
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
		case orderstatus.Rejected:
			if now.Month.IsZero() {
				return nil, fmt.Errorf("volumes: order %d rejected without a submission date", f.OrderID)
			}
			get(now.key()).rejected++
		case orderstatus.Delivered:
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
