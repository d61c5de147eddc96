// Package orders holds call-off orders under shelf tenders: their lifecycle
// from draft to closed, the two signatures, the reservation of tender
// ceilings, allocations and budget lines, supplier confirmation and
// delivery, the append-only events and the e-mail outbox.
//
// # Reservation
//
// An order reserves capacity while its status is one that reserves
// (orderstatus.Reserves; order_status_reserves in SQL): from
// pending_approval (submission) until it is returned to draft, rejected or
// cancelled. Three capacities are reserved at once:
//
//   - the tender ceiling (tenders.ceiling), by the order's subtotal
//     (excluding VAT): ceilings and allocations are the framework's value,
//     which the cluster tenders without VAT;
//   - the authority's allocation on the tender (tender_authorities.allocation),
//     by the subtotal likewise;
//   - the budget line (budget_lines.amount), by the total including VAT,
//     since the authority pays the VAT out of the line.
//
// A null ceiling or allocation is unlimited. What the reserving orders hold
// on each capacity is kept on one row of capacity_holds per tender,
// participation and budget line, changed by triggers on orders in the
// statement that moves an order into or out of the reserving set
// (migrations/00209_capacity_holds.sql), so that no path can forget it and
// no check sums orders. Submit is the only operation that adds an order to
// the reserving set, and it does so in one transaction that first locks,
// with SELECT ... FOR NO KEY UPDATE (which does not block inserting an
// order that refers to those rows), the order row, then in one statement
// the tender row, the tender_authorities row, the budget_lines row and
// their three capacity_holds rows (Store.lockCapacity), and only then
// reads what is held and compares. Why no capacity is ever exceeded,
// whatever the concurrency:
//
//  1. Two submissions that share a capacity share the row that carries it,
//     so the second blocks on that row until the first commits or rolls
//     back.
//  2. What is held is read after the locks are granted; under READ
//     COMMITTED the second submission reads the row as the first one's
//     commit left it.
//  3. Every other transition keeps an order in the reserving set or takes
//     it out (return, reject, cancel), and a reserving order's amounts,
//     tender and budget line never change; releasing can only make what is
//     held smaller.
//
// Hence at every commit, for each capacity, what the reserving orders hold
// is at most the capacity. The order row is always locked first and the
// capacity rows after it, in one statement; a deadlock between that
// statement and a release's trigger is detected by PostgreSQL (40P01) and
// the transaction run again by database.WithTx, so it costs a retry, never
// a wrong figure. `madaf volumes verify` recomputes the holds from the
// orders.
//
// # Signatures
//
// Every submission needs two signatures, the treasurer's and the head's
// (Slots), in either order and whatever the total: the order is sent, and
// its supplier mailed, only once both are given. A slot is filled by a user
// of the authority holding its role or by a delegate of the holder whose
// delegation is in force on the day and covers the order's total; nobody
// who created, edited or submitted the order in its current round signs
// it, and nobody fills both slots. Signatures are taken under the order
// row's lock (so two signers are serialized) and the database's unique
// indexes on (order, submission, slot) and (order, submission, user) hold
// whatever the code does. A return to draft voids the round's signatures.
package orders

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/i18n"
	"madaf/internal/money"
	"madaf/internal/orderstatus"
	"madaf/internal/validate"
	"madaf/suppliers"
)

// Actions on an order: each is allowed to some roles from some statuses.
const (
	ActionCreate  = "create"
	ActionUpdate  = "update"
	ActionSubmit  = "submit"
	ActionSign    = "sign"
	ActionReturn  = "return"
	ActionConfirm = "confirm"
	ActionReject  = "reject"
	ActionDeliver = "deliver"
	ActionClose   = "close"
	ActionCancel  = "cancel"
	// After delivery (receipts.go, invoices.go).
	ActionReceive        = "receive"
	ActionAnswerDispute  = "answer_dispute"
	ActionCloseShort     = "close_short"
	ActionSubmitInvoice  = "submit_invoice"
	ActionApproveInvoice = "approve_invoice"
)

// rule says who may take an action and from which statuses.
type rule struct {
	roles []string
	from  []string
}

var rules = map[string]rule{
	ActionCreate:  {[]string{auth.RoleOfficer}, nil},
	ActionUpdate:  {[]string{auth.RoleOfficer}, []string{orderstatus.Draft}},
	ActionSubmit:  {[]string{auth.RoleOfficer}, []string{orderstatus.Draft}},
	ActionSign:    {[]string{auth.RoleTreasurer, auth.RoleHead}, []string{orderstatus.PendingApproval}},
	ActionReturn:  {[]string{auth.RoleTreasurer, auth.RoleHead}, []string{orderstatus.PendingApproval}},
	ActionConfirm: {[]string{auth.RoleSupplier}, []string{orderstatus.Sent}},
	ActionReject:  {[]string{auth.RoleSupplier}, []string{orderstatus.Sent}},
	ActionDeliver: {[]string{auth.RoleSupplier}, []string{orderstatus.Confirmed, orderstatus.PartiallyDelivered}},
	ActionClose:   {[]string{auth.RoleOfficer}, []string{orderstatus.Delivered}},
	ActionCancel:  {[]string{auth.RoleOfficer}, []string{orderstatus.Draft, orderstatus.PendingApproval, orderstatus.Sent, orderstatus.Confirmed}},

	// The authority's receiver (its storekeeper) records receipts too, and
	// takes no other action on an order.
	ActionReceive:        {[]string{auth.RoleOfficer, auth.RoleReceiver}, []string{orderstatus.PartiallyDelivered, orderstatus.Delivered, orderstatus.Closed}},
	ActionAnswerDispute:  {[]string{auth.RoleSupplier}, []string{orderstatus.PartiallyDelivered, orderstatus.Delivered, orderstatus.Closed}},
	ActionCloseShort:     {[]string{auth.RoleOfficer}, []string{orderstatus.Confirmed, orderstatus.PartiallyDelivered}},
	ActionSubmitInvoice:  {[]string{auth.RoleSupplier}, []string{orderstatus.PartiallyDelivered, orderstatus.Delivered, orderstatus.Closed}},
	ActionApproveInvoice: {[]string{auth.RoleOfficer}, []string{orderstatus.PartiallyDelivered, orderstatus.Delivered, orderstatus.Closed}},
}

// Cancellation reason codes.
var CancelReasons = []string{"no_longer_needed", "duplicate", "wrong_details", "budget_change", "supplier_unavailable", "other",
	"supplier_agreed", "supplier_failed"}

// Bounds on what one order may hold.
var (
	MaxLines    = 500
	MaxQuantity = decimal.NewFromInt(1_000_000)
)

// Order is a call-off order under a shelf tender. Money is fixed at
// submission; while draft it is an estimate at today's prices. A draft may
// have no budget line yet (BudgetLineID 0, null in JSON). Notes are the
// authority's own. ContactName and ContactEmail are the officer who placed
// the order, whom the supplier asks about it. The supplier's view of an
// order has no budget line, notes or other internal figures
// (asSentToSupplier).
type Order struct {
	ID     int64  `db:"id" json:"id"`
	Number string `db:"number" json:"number"`
	// Revision counts the order's accepted changes from 1, the original
	// (NumberRevision is "2026-0007/2").
	Revision      int    `db:"revision" json:"revision"`
	Status        string `db:"status" json:"status"`
	Version       int    `db:"version" json:"version"`
	AuthorityID   int64  `db:"authority_id" json:"authority_id"`
	AuthorityName string `db:"authority_name" json:"authority_name"`
	// AuthorityNameAr and AuthorityNameEn are the authority's name in
	// Arabic and English ("" when it has none; AuthorityNameIn picks the
	// reader's).
	AuthorityNameAr string `db:"authority_name_ar" json:"-"`
	AuthorityNameEn string `db:"authority_name_en" json:"-"`
	TenderID        int64  `db:"tender_id" json:"tender_id"`
	TenderNumber    string `db:"tender_number" json:"tender_number"`
	TenderTitle     string `db:"tender_title" json:"tender_title"`
	// TenderTitleAr and TenderTitleEn are the tender's title in Arabic and
	// English where it has one (TenderTitleIn picks the reader's).
	TenderTitleAr      *string       `db:"tender_title_ar" json:"-"`
	TenderTitleEn      *string       `db:"tender_title_en" json:"-"`
	AwardRule          string        `db:"award_rule" json:"award_rule"`
	SupplierID         int64         `db:"supplier_id" json:"supplier_id"`
	SupplierName       string        `db:"supplier_name" json:"supplier_name"`
	BudgetLineID       int64         `db:"budget_line_id" json:"budget_line_id"`
	BudgetLineCode     string        `db:"budget_line_code" json:"budget_line_code"`
	DeliveryAddress    string        `db:"delivery_address" json:"delivery_address"`
	RequestedDate      calendar.Date `db:"requested_date" json:"requested_date"`
	Notes              string        `db:"notes" json:"notes"`
	ProposedSupplierID *int64        `db:"proposed_supplier_id" json:"proposed_supplier_id"`
	Justification      string        `db:"justification" json:"justification"`
	// CompetitionID is the mini-competition whose decision made the order
	// (nil for a direct order): its lines carry the quoted prices, which
	// no edit changes.
	CompetitionID *int64        `db:"competition_id" json:"competition_id"`
	Subtotal      money.Amount  `db:"subtotal" json:"subtotal"`
	VATRate       money.Amount  `db:"vat_rate" json:"vat_rate"`
	VAT           money.Amount  `db:"vat" json:"vat"`
	Total         money.Amount  `db:"total" json:"total"`
	FeePercent    money.Amount  `db:"fee_percent" json:"fee_percent"`
	Fee           money.Amount  `db:"fee" json:"fee"`
	Submission    int           `db:"submission" json:"-"`
	SubmittedOn   calendar.Date `db:"submitted_on" json:"submitted_on"`
	SubmittedAt   *time.Time    `db:"submitted_at" json:"submitted_at"`
	// SignaturesRequired are the slots the order needs signed: always
	// treasurer and head (Slots).
	SignaturesRequired StringList    `db:"signatures_required" json:"signatures_required"`
	SentAt             *time.Time    `db:"sent_at" json:"sent_at"`
	ConfirmBy          calendar.Date `db:"confirm_by" json:"confirm_by"`
	ConfirmedAt        *time.Time    `db:"confirmed_at" json:"confirmed_at"`
	PromisedOn         calendar.Date `db:"promised_on" json:"promised_on"`
	DeliveredAt        *time.Time    `db:"delivered_at" json:"delivered_at"`
	ClosedAt           *time.Time    `db:"closed_at" json:"closed_at"`
	InvoiceRef         string        `db:"invoice_ref" json:"invoice_ref"`
	RejectReason       string        `db:"reject_reason" json:"reject_reason"`
	CancelReason       string        `db:"cancel_reason" json:"cancel_reason"`
	CancelNote         string        `db:"cancel_note" json:"cancel_note"`
	// CloseReason is the reason code of a short closing ("" when the
	// order was not closed short), CloseNote its note.
	CloseReason  string    `db:"close_reason" json:"close_reason"`
	CloseNote    string    `db:"close_note" json:"close_note"`
	ReturnNote   string    `db:"return_note" json:"return_note"`
	CreatedBy    int64     `db:"created_by" json:"created_by"`
	ContactName  string    `db:"contact_name" json:"contact_name"`
	ContactEmail string    `db:"contact_email" json:"contact_email"`
	CreatedAt    time.Time `db:"created_at" json:"created_at"`
	UpdatedAt    time.Time `db:"updated_at" json:"updated_at"`
	// Overdue is true for a sent order past its confirmation deadline.
	Overdue bool `db:"overdue" json:"overdue"`
	// Returned is true for a draft a signatory sent back for correction
	// (ReturnNote says why), until it is submitted again.
	Returned bool `db:"returned" json:"returned"`
	// Overridden is true when a rotation tender's proposal was overridden.
	Overridden bool `db:"-" json:"overridden"`

	Lines      []Line      `db:"-" json:"lines,omitempty"`
	Signatures []Signature `db:"-" json:"signatures,omitempty"`
}

// TenderTitleIn is the tender's title in lang, the Hebrew where the tender
// has none in lang.
func (o *Order) TenderTitleIn(lang string) string {
	return i18n.NameIn(lang, o.TenderTitle, o.TenderTitleAr, o.TenderTitleEn)
}

// AuthorityNameIn is the order's authority's name in lang, falling back
// to Hebrew.
func (o *Order) AuthorityNameIn(lang string) string {
	return i18n.NameIn(lang, o.AuthorityName, &o.AuthorityNameAr, &o.AuthorityNameEn)
}

// ETag is the order's entity tag, "v<version>".
func (o *Order) ETag() string { return fmt.Sprintf(`"v%d"`, o.Version) }

// MarshalJSON writes the order with a budget_line_id of null when it has
// none (a draft not yet charged, or the supplier's view).
func (o Order) MarshalJSON() ([]byte, error) {
	type plain Order
	var line *int64
	if o.BudgetLineID != 0 {
		line = &o.BudgetLineID
	}
	return json.Marshal(struct {
		plain
		BudgetLineID *int64 `json:"budget_line_id"`
	}{plain(o), line})
}

// Line is one order line: the item, the quantity and the unit price in
// force (a snapshot taken at submission).
type Line struct {
	ID        int64        `db:"id" json:"id"`
	LineNo    int          `db:"line_no" json:"line_no"`
	ItemID    int64        `db:"item_id" json:"item_id"`
	SKU       string       `db:"sku" json:"sku"`
	Name      string       `db:"name" json:"name"`
	Unit      string       `db:"unit" json:"unit"`
	Quantity  Quantity     `db:"quantity" json:"quantity"`
	UnitPrice money.Amount `db:"unit_price" json:"unit_price"`
	LineTotal money.Amount `db:"line_total" json:"line_total"`
	Delivered Quantity     `db:"delivered" json:"delivered"`
	// Closed is what was not delivered when the order was closed short.
	Closed Quantity `db:"closed_quantity" json:"closed"`
}

// Signature is the filling of one slot of a submission: the slot (Role,
// also as Slot), who signed it and in what capacity — the slot's holder, or
// a delegate of the holder (OnBehalfOf) under a delegation — and, for the
// treasurer's slot, the three checks of §203(א1) and the budget line as the
// signer saw it.
type Signature struct {
	Role            string    `db:"role" json:"role"`
	Slot            string    `db:"slot" json:"slot"`
	UserID          int64     `db:"user_id" json:"user_id"`
	UserName        string    `db:"user_name" json:"user_name"`
	As              string    `db:"capacity" json:"as"`
	DelegationID    *int64    `db:"delegation_id" json:"delegation_id"`
	OnBehalfOf      *int64    `db:"on_behalf_of" json:"on_behalf_of"`
	OnBehalfOfName  string    `db:"on_behalf_of_name" json:"on_behalf_of_name"`
	SignedAt        time.Time `db:"signed_at" json:"signed_at"`
	CheckLegal      bool      `db:"check_legal" json:"check_legal"`
	CheckBudgetLine bool      `db:"check_budget_line" json:"check_budget_line"`
	CheckNoDeficit  bool      `db:"check_no_deficit" json:"check_no_deficit"`
	BudgetSeen      `json:"budget"`
}

// BudgetSeen is the budget line as the treasurer's slot was signed: its
// amount, what the reserving orders held (the signed order included), and
// what was left before and after the signed order. All nil when not
// recorded (the head's slot, or a signature older than the record).
type BudgetSeen struct {
	Amount     *money.Amount `db:"budget_amount" json:"amount"`
	Held       *money.Amount `db:"budget_held" json:"held"`
	LeftBefore *money.Amount `db:"budget_left_before" json:"left_before"`
	LeftAfter  *money.Amount `db:"budget_left_after" json:"left_after"`
}

// Recorded reports whether the figures were recorded.
func (b BudgetSeen) Recorded() bool { return b.Amount != nil }

// asSentToSupplier leaves of o what was sent to its supplier: the lines,
// prices and totals, the delivery address and date, the contact, who signed
// and what the supplier did. The authority's own notes, the note it was
// returned with, its budget line and what its treasurer saw of it, the
// rotation's proposal and the justification of overriding it are dropped.
func (o *Order) asSentToSupplier() {
	o.BudgetLineID, o.BudgetLineCode = 0, ""
	o.Notes, o.ReturnNote, o.CancelNote, o.CloseNote, o.Justification = "", "", "", "", ""
	o.ProposedSupplierID, o.Overridden, o.Returned = nil, false, false
	for i := range o.Signatures {
		o.Signatures[i].BudgetSeen = BudgetSeen{}
	}
}

// supplierFacts are, per action, the facts of an event the supplier sees:
// the deadline its order was sent with, and what it did itself.
var supplierFacts = map[string][]string{
	ActionSign:    {"confirm_by"},
	ActionConfirm: {"promised_date"},
	ActionDeliver: {"delivered_on", "lines"},
	ActionClose:   {"invoice_ref"},
	ActionCancel:  {"reason"},

	ActionReceive:        {"receipt_id", "delivery_note", "received_on", "lines", "dispute_id"},
	ActionAnswerDispute:  {"dispute_id", "receipt_id", "answer"},
	ActionCloseShort:     {"reason", "lines"},
	ActionSubmitInvoice:  {"invoice_id", "number", "status", "reasons"},
	ActionApproveInvoice: {"invoice_id", "number"},
}

// authorityOnly are the actions whose events the supplier never sees: a
// change's proposal and signatures, before it is sent (and its withdrawal,
// when it was withdrawn before: see asSeenBySupplier).
var authorityOnly = []string{ActionChange, ActionChangeSign}

// supplierNotes are the actions whose note is the supplier's own.
var supplierNotes = []string{ActionConfirm, ActionReject, ActionDeliver, ActionAnswerDispute, ActionSubmitInvoice}

// asSeenBySupplier is the part of an order's history its supplier sees:
// from the signature that sent the order on, each event with the facts of
// supplierFacts and, for the supplier's own actions, its note. The
// authority's drafts, edits, submissions, returns and the notes of its
// people are left out.
func asSeenBySupplier(events []Event) []Event {
	from := slices.IndexFunc(events, func(e Event) bool { return e.ToStatus == orderstatus.Sent })
	if from < 0 {
		return []Event{}
	}
	out := make([]Event, 0, len(events)-from)
	for _, e := range events[from:] {
		if slices.Contains(authorityOnly, e.Action) {
			continue
		}
		if !slices.Contains(supplierNotes, e.Action) {
			e.Note = ""
		}
		var all map[string]json.RawMessage
		kept := map[string]json.RawMessage{}
		if json.Unmarshal(e.Data, &all) == nil && (e.Action == ActionChangeWithdraw || e.Action == ActionChangeLapse) &&
			string(all["sent"]) == "false" {
			continue // a change withdrawn or lapsed before it was sent to the supplier
		}
		if all != nil {
			for _, k := range supplierFacts[e.Action] {
				if v, ok := all[k]; ok {
					kept[k] = v
				}
			}
		}
		e.Data, _ = json.Marshal(kept)
		out = append(out, e)
	}
	return out
}

// SignatureFor returns the current submission's signature of slot, nil
// when the slot is not signed.
func (o *Order) SignatureFor(slot string) *Signature {
	for i := range o.Signatures {
		if o.Signatures[i].Role == slot {
			return &o.Signatures[i]
		}
	}
	return nil
}

// Event is one entry of an order's append-only history.
type Event struct {
	ID         int64           `db:"id" json:"id"`
	At         time.Time       `db:"at" json:"at"`
	ActorID    *int64          `db:"actor_id" json:"actor_id"`
	ActorName  string          `db:"actor_name" json:"actor_name"`
	Action     string          `db:"action" json:"action"`
	FromStatus string          `db:"from_status" json:"from_status"`
	ToStatus   string          `db:"to_status" json:"to_status"`
	Note       string          `db:"note" json:"note"`
	Data       json.RawMessage `db:"data" json:"data"`
}

// SignEvent is the data of a sign event: the slot, the capacity (holder or
// delegate), for a delegate the delegation and the holder signed for, and
// for the treasurer's slot the checks and the budget line as seen.
type SignEvent struct {
	Slot         string          `json:"slot"`
	As           string          `json:"as"`
	DelegationID *int64          `json:"delegation_id,omitempty"`
	OnBehalfOf   *Person         `json:"on_behalf_of,omitempty"`
	Checks       map[string]bool `json:"checks,omitempty"`
	Budget       *BudgetSeen     `json:"budget,omitempty"`
	ConfirmBy    calendar.Date   `json:"confirm_by"`
}

// Person names a user.
type Person struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// Signing returns the data of a sign event, nil for any other event.
func (e Event) Signing() *SignEvent {
	if e.Action != ActionSign {
		return nil
	}
	var d SignEvent
	if err := json.Unmarshal(e.Data, &d); err != nil || d.Slot == "" {
		return nil
	}
	return &d
}

// NewOrder is the body of POST /orders and PUT /orders/{id}. Prices come
// from the tender, never from the client.
//
// A draft may lack its budget line (0), delivery address and requested
// date; Submit refuses it until it has them (Unfinished).
type NewOrder struct {
	TenderID        int64         `json:"tender_id" validate:"required,gt=0"`
	SupplierID      int64         `json:"supplier_id" validate:"required,gt=0"`
	BudgetLineID    int64         `json:"budget_line_id" validate:"omitempty,gt=0"`
	DeliveryAddress string        `json:"delivery_address" validate:"max=500"`
	RequestedDate   calendar.Date `json:"requested_date"`
	Notes           string        `json:"notes" validate:"max=4000"`
	Justification   string        `json:"justification" validate:"max=4000"`
	Lines           []LineInput   `json:"lines" validate:"required,min=1,max=500,dive"`
}

// LineInput is one requested line.
type LineInput struct {
	ItemID   int64    `json:"item_id" validate:"required,gt=0"`
	Quantity Quantity `json:"quantity"`
}

// Validate checks what needs no database: quantities positive, at most
// MaxQuantity and three decimals, items not repeated. It reports every
// failing field at once.
func (in *NewOrder) Validate() error {
	var fields []apperr.FieldError
	if len(in.Lines) > MaxLines {
		fields = append(fields, apperr.Field("lines", "order.too_many_lines", MaxLines))
	}
	seen := map[int64]int{}
	for i, l := range in.Lines {
		if fe := l.Quantity.check(fmt.Sprintf("lines[%d].quantity", i)); fe != nil {
			fields = append(fields, *fe)
		}
		if j, dup := seen[l.ItemID]; dup && l.ItemID != 0 {
			fields = append(fields, apperr.Field(fmt.Sprintf("lines[%d].item_id", i), "order.item_repeated", j))
		}
		seen[l.ItemID] = i
	}
	if !in.RequestedDate.IsZero() && in.RequestedDate.Year() > 2100 {
		fields = append(fields, apperr.Field("requested_date", "order.date_too_far"))
	}
	in.Justification = strings.TrimSpace(in.Justification)
	if len(fields) > 0 {
		return apperr.Invalid("order.invalid", fields...)
	}
	return nil
}

// check reports what is wrong with a cancellation: its fields' rules,
// and a note for the reason "other".
func (in *CancelInput) check() error {
	if err := validate.Struct(in); err != nil {
		return err
	}
	if in.Reason == "other" && strings.TrimSpace(in.Note) == "" {
		return apperr.Invalid("order.cancellation_invalid", apperr.Field("note", "order.note_required_other"))
	}
	return nil
}

// Quantity is an ordered or delivered quantity: a decimal with up to three
// places, read from a JSON string or number and written as a string.
type Quantity struct{ decimal.Decimal }

// Qty parses s; it panics on a malformed constant (for tests and seeds).
func Qty(s string) Quantity { return Quantity{decimal.RequireFromString(s)} }

// MarshalJSON writes the quantity as a string without trailing zeros.
func (q Quantity) MarshalJSON() ([]byte, error) { return []byte(`"` + q.String() + `"`), nil }

// check is what is wrong with q as the value of field; nil when nothing.
func (q Quantity) check(field string) *apperr.FieldError {
	var fe apperr.FieldError
	switch {
	case !q.IsPositive():
		fe = apperr.Field(field, "msg.positive")
	case q.GreaterThan(MaxQuantity):
		fe = apperr.Field(field, "msg.max", MaxQuantity.String())
	case !q.Equal(q.Round(3)):
		fe = apperr.Field(field, "order.quantity_decimals")
	default:
		return nil
	}
	return &fe
}

// lineCheck is what is wrong with q as the quantity of order line lineNo;
// zero when nothing.
func (q Quantity) lineCheck(lineNo int) apperr.Msg {
	switch {
	case !q.IsPositive():
		return apperr.M("order.check.quantity_positive", lineNo)
	case q.GreaterThan(MaxQuantity):
		return apperr.M("order.check.quantity_max", lineNo, MaxQuantity.String())
	case !q.Equal(q.Round(3)):
		return apperr.M("order.check.quantity_decimals", lineNo)
	}
	return apperr.Msg{}
}

// StringList is a PostgreSQL text[] read into a Go slice.
type StringList []string

// Scan reads a text[] literal such as {treasurer,head}.
func (l *StringList) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case nil:
		*l = StringList{}
		return nil
	case []byte:
		s = string(v)
	case string:
		s = v
	default:
		return fmt.Errorf("orders: cannot scan %T into a list", src)
	}
	s = strings.Trim(s, "{}")
	*l = StringList{}
	if s != "" {
		for _, part := range strings.Split(s, ",") {
			*l = append(*l, strings.Trim(part, `"`))
		}
	}
	return nil
}

// Filter selects orders for List; zero fields do not narrow.
type Filter struct {
	Statuses []string
	// Returned keeps the drafts sent back for correction.
	Returned    bool
	TenderID    int64
	SupplierID  int64
	AuthorityID int64
	// Number keeps the orders whose number contains it; Supplier those
	// whose supplier's name does; Tender those whose tender's number or
	// title does (without regard to case).
	Number   string
	Supplier string
	Tender   string
	// From and To bound the order's date (its submission day, or its
	// creation day while it was never submitted), both included.
	From, To calendar.Date
	// MinTotal and MaxTotal bound the total incl. VAT, both included.
	MinTotal, MaxTotal *decimal.Decimal
	// BudgetLineID keeps the orders charged to the budget line.
	BudgetLineID int64
	// Overdue keeps sent orders past their confirmation deadline.
	Overdue bool
	// Overridden keeps orders whose rotation proposal was overridden.
	Overridden bool
	Limit      int
	// After is the id of the last order of the previous page (newest
	// first); 0 for the first page.
	After int64
}

// FailedCheck is one reason a submission was refused: the check and its
// message; for a capacity what is left and what the order needs; for the
// supplier's eligibility every reason the supplier may not receive orders
// (the message is the first). JSON shows the message's key as "code" and
// its English text as "message".
type FailedCheck struct {
	Check     string             `json:"check"`
	Msg       apperr.Msg         `json:"-"`
	ItemID    int64              `json:"item_id,omitempty"`
	Remaining *money.Amount      `json:"remaining,omitempty"`
	Required  *money.Amount      `json:"required,omitempty"`
	Reasons   []suppliers.Reason `json:"reasons,omitempty"`
}

// MarshalJSON writes the check with its message's key and English text.
func (c FailedCheck) MarshalJSON() ([]byte, error) {
	type plain FailedCheck
	return json.Marshal(struct {
		plain
		Code    string `json:"code,omitempty"`
		Message string `json:"message"`
	}{plain(c), c.Msg.Key, i18n.For("en").Msg(c.Msg)})
}

// UnmarshalJSON reads a check as MarshalJSON writes it; the message is its
// key without arguments.
func (c *FailedCheck) UnmarshalJSON(b []byte) error {
	type plain FailedCheck
	var in struct {
		plain
		Code string `json:"code"`
	}
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	*c = FailedCheck(in.plain)
	c.Msg = apperr.M(in.Code)
	return nil
}

// Checks named in a refused submission.
const (
	CheckDeliveryAddress  = "delivery_address"
	CheckRequestedDate    = "requested_date"
	CheckBudgetLineChosen = "budget_line_chosen"
	CheckTenderActive     = "tender_active"
	CheckTenderOpen       = "tender_open"
	CheckAwardRule        = "award_rule"
	CheckAwardActive      = "award_active"
	CheckSupplierEligible = "supplier_eligible"
	CheckRotation         = "rotation_justification"
	CheckPrice            = "price_in_force"
	CheckQuantity         = "quantity"
	CheckBudgetLine       = "budget_line"
	CheckCeiling          = "tender_ceiling"
	CheckAllocation       = "allocation"
	CheckBudget           = "budget_line_balance"
)

// Field is the order form's field a failed check is about ("" when the
// check is about no one field).
func (c FailedCheck) Field() string {
	switch c.Check {
	case CheckDeliveryAddress:
		return "delivery_address"
	case CheckRequestedDate:
		return "requested_date"
	case CheckBudgetLineChosen, CheckBudgetLine, CheckBudget:
		return "budget_line_id"
	case CheckRotation:
		return "justification"
	}
	return ""
}

// Unfinished are the checks draft o fails on day today for lack of what
// only its officer can give: a delivery address, a requested date that is
// not past, a budget line. Submit refuses an order that fails any, with
// every other check it fails.
func Unfinished(o *Order, today calendar.Date) []FailedCheck {
	var out []FailedCheck
	if strings.TrimSpace(o.DeliveryAddress) == "" {
		out = append(out, FailedCheck{Check: CheckDeliveryAddress, Msg: apperr.M("order.check.delivery_address")})
	}
	switch {
	case o.RequestedDate.IsZero():
		out = append(out, FailedCheck{Check: CheckRequestedDate, Msg: apperr.M("order.check.requested_date")})
	case o.RequestedDate.Before(today):
		out = append(out, FailedCheck{Check: CheckRequestedDate, Msg: apperr.M("order.check.requested_date_past", o.RequestedDate.String())})
	}
	if o.BudgetLineID == 0 {
		out = append(out, FailedCheck{Check: CheckBudgetLineChosen, Msg: apperr.M("order.check.budget_line_chosen")})
	}
	return out
}

// refused is the 409 of a submission; failed_checks names each failed
// check.
func refused(checks []FailedCheck) error {
	err := apperr.Conflict("order.cannot_submit")
	err.Extra = map[string]any{"failed_checks": checks}
	return err
}

// Quote is the side-by-side offer of a tender's winners for a cart, and for
// a rotation tender the proposed winner.
type Quote struct {
	TenderID           int64   `json:"tender_id"`
	AwardRule          string  `json:"award_rule"`
	On                 string  `json:"on"`
	DirectOrder        bool    `json:"direct_order"`
	ProposedSupplierID *int64  `json:"proposed_supplier_id"`
	Offers             []Offer `json:"offers"`
}

// Offer is one winner's prices for the cart.
type Offer struct {
	SupplierID int64  `json:"supplier_id"`
	Supplier   string `json:"supplier_name"`
	// Eligible is false when the supplier may not receive orders now;
	// Reasons say why.
	Eligible bool               `json:"eligible"`
	Reasons  []suppliers.Reason `json:"reasons"`
	// Complete is false when some item has no price in force.
	Complete bool `json:"complete"`
	// CommittedThisYear is the supplier's committed volume (excl. VAT) on
	// this tender this year, which rotation compares.
	CommittedThisYear money.Amount `json:"committed_this_year"`
	Lines             []OfferLine  `json:"lines"`
	Subtotal          money.Amount `json:"subtotal"`
	VAT               money.Amount `json:"vat"`
	Total             money.Amount `json:"total"`
}

// OfferLine is one cart line priced by one winner (no price: nulls).
type OfferLine struct {
	ItemID    int64         `json:"item_id"`
	Quantity  Quantity      `json:"quantity"`
	UnitPrice *money.Amount `json:"unit_price"`
	LineTotal *money.Amount `json:"line_total"`
}
