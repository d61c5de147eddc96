// Package volumes keeps the figures the economic lead reads: rollups of
// committed orders maintained in the same transaction as every order
// transition, so that no figure scans the orders table or goes stale.
package volumes

import (
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"madaf/internal/calendar"
	"madaf/internal/money"
)

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

// Amounts are the sums of a set of committed orders.
type Amounts struct {
	OrderCount int          `db:"order_count" json:"order_count"`
	Subtotal   money.Amount `db:"subtotal" json:"subtotal"`
	VAT        money.Amount `db:"vat" json:"vat"`
	Total      money.Amount `db:"total" json:"total"`
	Fee        money.Amount `db:"fee" json:"fee"`
}

func (a *Amounts) add(b Amounts) {
	a.OrderCount += b.OrderCount
	a.Subtotal = money.Of(a.Subtotal.Add(b.Subtotal.Decimal))
	a.VAT = money.Of(a.VAT.Add(b.VAT.Decimal))
	a.Total = money.Of(a.Total.Add(b.Total.Decimal))
	a.Fee = money.Of(a.Fee.Add(b.Fee.Decimal))
}

// Utilisation is how much of a ceiling or an allocation committed orders
// use, by their subtotal (excluding VAT) since the tender began, as the
// orders' reservations count it.
type Utilisation struct {
	Limit     money.Amount `json:"limit"`
	Used      money.Amount `json:"used"`
	Remaining money.Amount `json:"remaining"`
	// Percent is Used / Limit × 100 with two decimals ("81.25").
	Percent string `json:"percent"`
}

func utilisation(limit, used decimal.Decimal) *Utilisation {
	return &Utilisation{Limit: money.Of(limit), Used: money.Of(used), Remaining: money.Of(limit.Sub(used)),
		Percent: used.Mul(decimal.NewFromInt(100)).Div(limit).Round(2).StringFixed(2)}
}

// Row is one group of the volume figures. Exactly one of TenderID,
// AuthorityID, SupplierID, Category and Month is set, by the grouping.
type Row struct {
	Key         string `json:"key"`
	Label       string `json:"label"`
	TenderID    int64  `json:"tender_id,omitempty"`
	AuthorityID int64  `json:"authority_id,omitempty"`
	SupplierID  int64  `json:"supplier_id,omitempty"`
	Category    string `json:"category,omitempty"`
	// Month is YYYY-MM.
	Month string `json:"month,omitempty"`
	Amounts
	// Ceiling is set on a tender's row when the tender has one, for the
	// cluster only.
	Ceiling *Utilisation `json:"ceiling,omitempty"`
	// Allocation is set when the row is one tender and one authority (a
	// tender's row for an authority, an authority's row for a tender) and
	// that authority has an allocation, for the cluster only.
	Allocation *Utilisation `json:"allocation,omitempty"`
}

// Report is the volume figures grouped one way.
type Report struct {
	Group  string  `json:"group"`
	Filter Filter  `json:"-"`
	Items  []Row   `json:"items"`
	Totals Amounts `json:"totals"`
}

// Names are the display names of the tenders, authorities and suppliers the
// figures mention.
type Names struct {
	Tenders     map[int64]TenderName
	Authorities map[int64]string
	Suppliers   map[int64]string
}

// TenderName is a tender's number and title.
type TenderName struct {
	Number string `db:"number"`
	Title  string `db:"title"`
}

// Label is "number title".
func (t TenderName) Label() string { return t.Number + " " + t.Title }

// Headline is the figures in the shape the annual report gives them.
type Headline struct {
	Year int `json:"year"`
	// ActiveTenders are the shelf tenders open for orders today (for an
	// authority, those it may order from; for a supplier, those it holds
	// an active award in).
	ActiveTenders int `json:"active_tenders"`
	// OrdersInHandling are the orders pending approval, sent, confirmed or
	// partially delivered, now; InHandlingByStatus breaks them down. A
	// supplier has none pending approval: those were not sent to it.
	OrdersInHandling   int            `json:"orders_in_handling"`
	InHandlingByStatus map[string]int `json:"in_handling_by_status"`
	// OrdersThisYear are the committed orders submitted in Year, with their
	// value.
	OrdersThisYear int          `json:"orders_this_year"`
	Subtotal       money.Amount `json:"subtotal"`
	Total          money.Amount `json:"total"`
	Fee            money.Amount `json:"fee"`
	// AuthoritiesOrdered counts the authorities with a committed order
	// submitted in Year.
	AuthoritiesOrdered int `json:"authorities_ordered"`
}

// FeeRow is the fee accrued from one supplier under one tender in one
// month.
type FeeRow struct {
	Month        string       `db:"month" json:"month"`
	SupplierID   int64        `db:"supplier_id" json:"supplier_id"`
	SupplierName string       `db:"-" json:"supplier_name"`
	TenderID     int64        `db:"tender_id" json:"tender_id"`
	TenderNumber string       `db:"-" json:"tender_number"`
	TenderTitle  string       `db:"-" json:"tender_title"`
	OrderCount   int          `db:"order_count" json:"order_count"`
	Subtotal     money.Amount `db:"subtotal" json:"subtotal"`
	Fee          money.Amount `db:"fee" json:"fee"`
}

// Fees is the fee accrual: per month, supplier and tender.
type Fees struct {
	Items      []FeeRow     `json:"items"`
	OrderCount int          `json:"order_count"`
	Subtotal   money.Amount `json:"subtotal"`
	Fee        money.Amount `json:"fee"`
}

// Statement is a supplier's monthly fee statement: the committed orders
// submitted in the month and the fee the cluster invoices on each.
type Statement struct {
	SupplierID    int64           `json:"supplier_id"`
	SupplierName  string          `json:"supplier_name"`
	CompanyNumber string          `json:"company_number"`
	Month         string          `json:"month"`
	Lines         []StatementLine `json:"lines"`
	OrderCount    int             `json:"order_count"`
	Subtotal      money.Amount    `json:"subtotal"`
	Fee           money.Amount    `json:"fee"`
}

// StatementLine is one order of a fee statement.
type StatementLine struct {
	OrderID       int64         `db:"order_id" json:"order_id"`
	OrderNumber   string        `db:"number" json:"order_number"`
	SubmittedOn   calendar.Date `db:"submitted_on" json:"submitted_on"`
	Status        string        `db:"status" json:"status"`
	AuthorityID   int64         `db:"authority_id" json:"authority_id"`
	AuthorityName string        `db:"authority_name" json:"authority_name"`
	TenderID      int64         `db:"tender_id" json:"tender_id"`
	TenderNumber  string        `db:"tender_number" json:"tender_number"`
	// Subtotal is what the fee is counted on: what was invoiced of the
	// order (Basis "invoiced") or, before any invoice, what was sent
	// ("sent").
	Subtotal   money.Amount `db:"subtotal" json:"subtotal"`
	Basis      string       `db:"basis" json:"basis"`
	FeePercent money.Amount `db:"fee_percent" json:"fee_percent"`
	Fee        money.Amount `db:"fee" json:"fee"`
}

// RecentOrder is an order as the dashboard lists it.
type RecentOrder struct {
	ID            int64        `db:"id"`
	Number        string       `db:"number"`
	Status        string       `db:"status"`
	AuthorityName string       `db:"authority_name"`
	SupplierName  string       `db:"supplier_name"`
	TenderNumber  string       `db:"tender_number"`
	Total         money.Amount `db:"total"`
	UpdatedAt     time.Time    `db:"updated_at"`
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func uniq(ids []int64) []int64 {
	slices.Sort(ids)
	return slices.Compact(ids)
}
