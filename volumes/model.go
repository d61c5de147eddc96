// Package volumes keeps the figures the economic lead reads: rollups of
// committed orders maintained in the same transaction as every order
// transition, so that no figure scans the orders table or goes stale.
package volumes

import (
	"time"

	"github.com/shopspring/decimal"

	"madaf/internal/calendar"
)

// Order states that count as committed: from submission until the order is
// rejected, cancelled or returned to draft.
var Committed = map[string]bool{
	"pending_approval": true, "sent": true, "confirmed": true,
	"partially_delivered": true, "delivered": true, "closed": true,
}

// InHandling are the states of an order that is still being handled: the
// annual report's "orders in handling".
var InHandling = []string{"pending_approval", "sent", "confirmed", "partially_delivered"}

// statuses are every order state Transition accepts.
var statuses = map[string]bool{
	"draft": true, "pending_approval": true, "sent": true, "confirmed": true,
	"partially_delivered": true, "delivered": true, "closed": true,
	"rejected": true, "cancelled": true,
}

// OrderFigures is what one order contributes to the figures, as the orders
// package knows it at the moment of a transition.
type OrderFigures struct {
	OrderID     int64
	TenderID    int64
	AuthorityID int64
	SupplierID  int64
	Category    string
	// SubmittedOn is the submission date (the month the order counts in).
	SubmittedOn calendar.Date
	Subtotal    decimal.Decimal
	VAT         decimal.Decimal
	Total       decimal.Decimal
	Fee         decimal.Decimal
	// SentAt is when the order was sent to the supplier (zero before).
	SentAt time.Time
	// ConfirmBy is the supplier's confirmation deadline (zero before sent).
	ConfirmBy calendar.Date
	// PromisedOn is the delivery date the supplier promised (zero before
	// confirmation).
	PromisedOn calendar.Date
	// DeliveredOn is the day the order was delivered in full: the latest
	// delivered_on of its delivery reports. When zero, Transition reads it
	// from the order's delivery reports, or, without any, takes the day
	// of the transition to delivered.
	DeliveredOn calendar.Date
}

// Month is the first day of the month d falls in: the key figures are kept
// by.
func Month(d calendar.Date) calendar.Date {
	if d.IsZero() {
		return d
	}
	return calendar.NewDate(d.Year(), d.Time().Month(), 1)
}
