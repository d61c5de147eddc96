// Package volumes keeps the figures the economic lead reads: rollups of
// committed orders maintained in the same transaction as every order
// transition, so that no figure scans the orders table or goes stale.
package volumes

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"madaf/internal/calendar"
)

// Order states that count as committed: from submission until the order is
// rejected, cancelled or returned to draft.
var Committed = map[string]bool{
	"pending_approval": true, "sent": true, "confirmed": true,
	"partially_delivered": true, "delivered": true, "closed": true,
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
}

// Transition records that order f moved from one state to another at at,
// inside the order's transaction tx. The orders package calls it for every
// transition, including creation (from "") and submission.
func Transition(ctx context.Context, tx sqlx.ExtContext, f OrderFigures, from, to string, at time.Time) error {
	return nil
}
