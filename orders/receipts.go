package orders

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/money"
	"madaf/internal/orderstatus"
	"madaf/internal/validate"
)

// Receipt by the authority. The officer of the order's authority records
// what arrived in a goods received note (Receipt), per line, against the
// supplier's delivery reports: what has arrived of a line in all never
// exceeds what was ordered. A line short or damaged, or of which what has
// arrived in all differs from what the supplier reported delivered, is
// disputed, and the receipt opens a dispute the supplier sees and answers
// (accepts, crediting what is missing, or contests with a note). What an
// invoice may bill is what arrived and was not damaged (Accepted).
//
// Short closing ends a confirmed or partly delivered order with a reason
// code (CloseReasons): what was not delivered of each line is recorded as
// closed, and the order's amounts become those of what was delivered, so
// that the capacity triggers release the rest of the ceiling, allocation
// and budget line, and the volumes and fees follow.

// Conditions of a received line.
const (
	ConditionGood    = "good"
	ConditionDamaged = "damaged"
	ConditionShort   = "short"
)

// Dispute statuses.
const (
	DisputeOpen      = "open"
	DisputeAccepted  = "accepted"
	DisputeContested = "contested"
)

// CloseReasons are the reason codes of a short closing.
var CloseReasons = []string{"agreed_with_supplier", "supplier_cannot_deliver", "no_longer_needed"}

// CancelAfterConfirmation are the reason codes that may cancel an order
// its supplier has confirmed (and of which nothing was delivered).
var CancelAfterConfirmation = []string{"supplier_agreed", "supplier_failed"}

// Receipt is a goods received note of an order.
type Receipt struct {
	ID           int64         `db:"id" json:"id"`
	OrderID      int64         `db:"order_id" json:"order_id"`
	DeliveryNote string        `db:"delivery_note" json:"delivery_note"`
	ReceivedOn   calendar.Date `db:"received_on" json:"received_on"`
	Note         string        `db:"note" json:"note"`
	RecordedBy   int64         `db:"recorded_by" json:"recorded_by"`
	RecorderName string        `db:"recorder_name" json:"recorder_name"`
	CreatedAt    time.Time     `db:"created_at" json:"created_at"`
	Lines        []ReceiptLine `db:"-" json:"lines"`
	// Dispute is the dispute the receipt opened, nil when none.
	Dispute *Dispute `db:"-" json:"dispute"`
}

// ReceiptLine is what arrived of one order line.
type ReceiptLine struct {
	ReceiptID int64    `db:"receipt_id" json:"-"`
	LineID    int64    `db:"line_id" json:"line_id"`
	LineNo    int      `db:"line_no" json:"line_no"`
	Name      string   `db:"name" json:"name"`
	Quantity  Quantity `db:"quantity" json:"quantity"`
	Condition string   `db:"condition" json:"condition"`
	// Delivered is what the supplier had reported delivered of the line
	// when the receipt was recorded.
	Delivered Quantity `db:"delivered" json:"delivered"`
	Disputed  bool     `db:"disputed" json:"disputed"`
	Note      string   `db:"note" json:"note"`
}

// Dispute is a receipt's disagreement with the supplier's delivery
// reports, and the supplier's answer.
type Dispute struct {
	ID         int64      `db:"id" json:"id"`
	OrderID    int64      `db:"order_id" json:"order_id"`
	ReceiptID  int64      `db:"receipt_id" json:"receipt_id"`
	SupplierID int64      `db:"supplier_id" json:"supplier_id"`
	Status     string     `db:"status" json:"status"`
	AnswerNote string     `db:"answer_note" json:"answer_note"`
	AnsweredBy *int64     `db:"answered_by" json:"answered_by"`
	AnsweredAt *time.Time `db:"answered_at" json:"answered_at"`
	CreatedAt  time.Time  `db:"created_at" json:"created_at"`
}

// Received is what has arrived of one order line over all its receipts:
// Arrived in any condition, Accepted not damaged (what may be invoiced).
type Received struct {
	LineID   int64           `db:"line_id"`
	Arrived  decimal.Decimal `db:"arrived"`
	Accepted decimal.Decimal `db:"accepted"`
}

// ReceiptInput is the body of POST /orders/{id}/receipts.
type ReceiptInput struct {
	DeliveryNote string             `json:"delivery_note" validate:"required,max=100"`
	ReceivedOn   calendar.Date      `json:"received_on"`
	Note         string             `json:"note" validate:"max=2000"`
	Lines        []ReceiptLineInput `json:"lines" validate:"required,min=1,max=500,dive"`
}

// ReceiptLineInput is what arrived of one line and in what condition.
type ReceiptLineInput struct {
	LineID int64 `json:"line_id" validate:"required,gt=0"`
	// Quantity is required: 0 (nothing arrived) is a dispute, so a line
	// given without one must not read as 0.
	Quantity  *Quantity `json:"quantity" validate:"required"`
	Condition string    `json:"condition" validate:"required,oneof=good damaged short"`
	Note      string    `json:"note" validate:"max=500"`
}

// check reports every field of in that is wrong without the database:
// quantities not negative with at most three decimals, a received date not
// in the future (today when none).
func (in *ReceiptInput) check(today calendar.Date) error {
	in.DeliveryNote, in.Note = strings.TrimSpace(in.DeliveryNote), strings.TrimSpace(in.Note)
	if err := validate.Struct(in); err != nil {
		return err
	}
	var fields []apperr.FieldError
	if in.ReceivedOn.IsZero() {
		in.ReceivedOn = today
	} else if in.ReceivedOn.After(today) {
		fields = append(fields, apperr.Field("received_on", "order.date_future"))
	}
	for i, l := range in.Lines {
		field := fmt.Sprintf("lines[%d].quantity", i)
		switch {
		case l.Quantity == nil:
			// validate.Struct reported it.
		case l.Quantity.IsZero() && l.Condition == ConditionGood:
			// Nothing arrived is a shortfall, never a line in good order.
			fields = append(fields, apperr.Field(field, "receipt.nothing_good"))
		case l.Quantity.IsNegative():
			fields = append(fields, apperr.Field(field, "msg.not_negative"))
		case l.Quantity.GreaterThan(MaxQuantity):
			fields = append(fields, apperr.Field(field, "msg.max", MaxQuantity.String()))
		case !l.Quantity.Equal(l.Quantity.Round(3)):
			fields = append(fields, apperr.Field(field, "order.quantity_decimals"))
		}
	}
	if len(fields) > 0 {
		return apperr.Invalid("receipt.invalid", fields...)
	}
	return nil
}

// Receive records a goods received note for order orderID (its
// authority's officer) and, when a line is disputed, opens a dispute and
// mails the supplier. A line not of the order, given twice, or of which
// what has arrived in all would exceed what was ordered is refused (422
// naming the line). It returns the receipt.
func (s *Service) Receive(ctx context.Context, p *auth.Principal, orderID int64, ifMatch string, in ReceiptInput) (r *Receipt, err error) {
	defer apperr.Wrap(&err, "orders.Service.Receive(%d)", orderID)
	req := request{action: ActionReceive, ifMatch: ifMatch, input: in, check: func() error { return in.check(s.today()) }}
	_, err = s.change(ctx, p, orderID, req, func(st *step) error {
		r = nil
		if err := st.settled(); err != nil {
			return err
		}
		o := st.o
		received, err := st.orders.received(ctx, o.ID)
		if err != nil {
			return err
		}
		byID := map[int64]*Line{}
		for i := range o.Lines {
			byID[o.Lines[i].ID] = &o.Lines[i]
		}
		var fields []apperr.FieldError
		seen := map[int64]bool{}
		lines := make([]ReceiptLine, 0, len(in.Lines))
		for i, l := range in.Lines {
			field := fmt.Sprintf("lines[%d]", i)
			ol, ok := byID[l.LineID]
			switch {
			case !ok:
				fields = append(fields, apperr.Field(field+".line_id", "order.not_order_line"))
				continue
			case seen[l.LineID]:
				fields = append(fields, apperr.Field(field+".line_id", "order.line_twice"))
				continue
			}
			seen[l.LineID] = true
			// What the order still covers: a line closed short ends at
			// what was delivered.
			covered := ol.Quantity.Sub(ol.Closed.Decimal)
			arrived := received[l.LineID].Arrived.Add(l.Quantity.Decimal)
			if arrived.GreaterThan(covered) {
				left := covered.Sub(received[l.LineID].Arrived)
				fields = append(fields, apperr.Field(field+".quantity", "receipt.over_ordered", left.String(), ol.LineNo))
				continue
			}
			// A line is disputed when it arrived short or damaged, or
			// more of it than the supplier reported delivered; one
			// shipment of several, in good condition, is not.
			lines = append(lines, ReceiptLine{LineID: l.LineID, LineNo: ol.LineNo, Name: ol.Name, Quantity: *l.Quantity,
				Condition: l.Condition, Delivered: ol.Delivered, Note: strings.TrimSpace(l.Note),
				Disputed: l.Condition != ConditionGood || arrived.GreaterThan(ol.Delivered.Decimal)})
		}
		if len(fields) > 0 {
			return apperr.Invalid("receipt.invalid", fields...)
		}
		r = &Receipt{OrderID: o.ID, DeliveryNote: in.DeliveryNote, ReceivedOn: in.ReceivedOn, Note: in.Note,
			RecordedBy: p.UserID, CreatedAt: st.now, Lines: lines}
		if err := st.orders.addReceipt(ctx, r); err != nil {
			return err
		}
		disputed := slices.ContainsFunc(lines, func(l ReceiptLine) bool { return l.Disputed })
		report := make([]map[string]any, 0, len(lines))
		var short []string
		for _, l := range lines {
			report = append(report, map[string]any{"line_id": l.LineID, "line_no": l.LineNo, "quantity": l.Quantity,
				"condition": l.Condition, "disputed": l.Disputed})
			if l.Disputed {
				short = append(short, fmt.Sprintf("%d", l.LineNo))
			}
		}
		data := map[string]any{"receipt_id": r.ID, "delivery_note": r.DeliveryNote, "received_on": r.ReceivedOn, "lines": report}
		if disputed {
			if r.Dispute, err = st.orders.openDispute(ctx, r, o.SupplierID, st.now); err != nil {
				return err
			}
			data["dispute_id"] = r.Dispute.ID
		}
		if err := st.orders.touch(ctx, o, st.now); err != nil {
			return err
		}
		if err := st.record(ctx, ActionReceive, o.Status, in.Note, data); err != nil {
			return err
		}
		if disputed {
			return st.notifySupplier(ctx, mailDisputeOpened, said("order.mail.delivery_note", r.DeliveryNote),
				said("order.mail.disputed_lines", strings.Join(short, ", ")))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// A repeated request is answered with the receipt it recorded: the
	// caller's latest.
	var id int64
	if r != nil {
		id = r.ID
	}
	return s.stores.orders.receipt(ctx, orderID, id)
}

// settled refuses, with the 409 of a wrong state, an action after receipt
// on an order closed other than short: a closed order takes receipts and
// invoices only when it was closed short (what was delivered before is
// still received and billed).
func (st *step) settled() error {
	if st.o.Status == orderstatus.Closed && st.o.CloseReason == "" {
		err := apperr.Conflict("order.wrong_state", apperr.K("order_status."+st.o.Status), apperr.K("order.verb."+ActionReceive))
		err.Extra = map[string]any{"status": st.o.Status}
		return err
	}
	return nil
}

// Receipts returns the goods received notes of order orderID with their
// lines and disputes, oldest first, if p may see the order.
func (s *Service) Receipts(ctx context.Context, p *auth.Principal, orderID int64) (out []Receipt, err error) {
	defer apperr.Wrap(&err, "orders.Service.Receipts(%d)", orderID)
	if _, err := s.Get(ctx, p, orderID); err != nil {
		return nil, err
	}
	return s.stores.orders.Receipts(ctx, orderID)
}

// AnswerInput is the body of POST /orders/{id}/disputes/{dispute}/answer:
// accept (the supplier credits what is short or damaged) or contest, with
// a note (required to contest).
type AnswerInput struct {
	Answer string `json:"answer" validate:"required,oneof=accept contest"`
	Note   string `json:"note" validate:"max=2000"`
}

// AnswerDispute records the supplier's answer to an open dispute of its
// order and mails the officer. A dispute already answered is a conflict
// (409); a dispute not of the order is not found.
func (s *Service) AnswerDispute(ctx context.Context, p *auth.Principal, orderID, disputeID int64, ifMatch string, in AnswerInput) (d *Dispute, err error) {
	defer apperr.Wrap(&err, "orders.Service.AnswerDispute(%d, %d)", orderID, disputeID)
	req := request{action: ActionAnswerDispute, ifMatch: ifMatch, input: map[string]any{"dispute": disputeID, "in": in}, check: func() error {
		in.Note = strings.TrimSpace(in.Note)
		if err := validate.Struct(&in); err != nil {
			return err
		}
		if in.Answer == "contest" && in.Note == "" {
			return apperr.Invalid("dispute.invalid", apperr.Field("note", "dispute.note_required"))
		}
		return nil
	}}
	_, err = s.change(ctx, p, orderID, req, func(st *step) error {
		status := DisputeAccepted
		if in.Answer == "contest" {
			status = DisputeContested
		}
		var err error
		if d, err = st.orders.answerDispute(ctx, orderID, disputeID, status, in.Note, p.UserID, st.now); err != nil {
			return err
		}
		if err := st.orders.touch(ctx, st.o, st.now); err != nil {
			return err
		}
		data := map[string]any{"dispute_id": d.ID, "receipt_id": d.ReceiptID, "answer": status}
		if err := st.record(ctx, ActionAnswerDispute, st.o.Status, in.Note, data); err != nil {
			return err
		}
		return st.notifyOfficer(ctx, mailDisputeAnswered, named("order.mail.answer", "dispute_status."+status),
			said("order.mail.note", in.Note))
	})
	if err != nil {
		return nil, err
	}
	return s.stores.orders.dispute(ctx, orderID, disputeID)
}

// CloseShortInput is the body of POST /orders/{id}/close-short.
type CloseShortInput struct {
	Reason string `json:"reason" validate:"required,oneof=agreed_with_supplier supplier_cannot_deliver no_longer_needed"`
	Note   string `json:"note" validate:"required,max=2000"`
}

// CloseShort closes a confirmed or partly delivered order short (its
// authority's officer): each line keeps what was ordered and records what
// was not delivered as closed; the order's amounts become those of what
// was delivered, at the order's prices, VAT rate and fee percent, which
// releases the difference from the tender's ceiling, the allocation and
// the budget line in the same statement. The supplier is mailed.
func (s *Service) CloseShort(ctx context.Context, p *auth.Principal, orderID int64, ifMatch string, in CloseShortInput) (o *Order, err error) {
	defer apperr.Wrap(&err, "orders.Service.CloseShort(%d)", orderID)
	req := request{action: ActionCloseShort, ifMatch: ifMatch, input: in, check: func() error {
		in.Note = strings.TrimSpace(in.Note)
		return validate.Struct(&in)
	}}
	return s.change(ctx, p, orderID, req, func(st *step) error {
		o := st.o
		totals := make([]decimal.Decimal, 0, len(o.Lines))
		closed := make([]map[string]any, 0, len(o.Lines))
		for _, l := range o.Lines {
			totals = append(totals, LineTotal(l.Delivered.Decimal, l.UnitPrice.Decimal))
			if rest := l.Quantity.Sub(l.Delivered.Decimal); rest.IsPositive() {
				closed = append(closed, map[string]any{"line_id": l.ID, "line_no": l.LineNo, "closed": Quantity{rest}})
			}
		}
		f := Compute(totals, o.VATRate.Decimal, o.FeePercent.Decimal)
		if err := st.orders.closeShort(ctx, o, f, in.Reason, in.Note, st.now); err != nil {
			return err
		}
		data := map[string]any{"reason": in.Reason, "lines": closed,
			"ordered":  map[string]any{"subtotal": o.Subtotal, "total": o.Total},
			"released": map[string]any{"subtotal": money.Of(o.Subtotal.Sub(f.Subtotal)), "total": money.Of(o.Total.Sub(f.Total))}}
		if err := st.record(ctx, ActionCloseShort, orderstatus.Closed, in.Note, data); err != nil {
			return err
		}
		return st.notifySupplier(ctx, mailOrderClosedShort, named("order.mail.reason", "close_reason."+in.Reason))
	})
}

// cancelAllowed refuses (409, as for a state that takes no cancellation)
// the cancellation of confirmed order o for a reason other than
// CancelAfterConfirmation: once the supplier confirmed, only its agreement
// or its failure cancels; an order partly delivered is closed short
// instead.
func cancelAllowed(o *Order, reason string) error {
	if o.Status == orderstatus.Confirmed && !slices.Contains(CancelAfterConfirmation, reason) {
		err := apperr.Conflict("order.cancel_after_confirmation", apperr.K("cancel_reason."+CancelAfterConfirmation[0]),
			apperr.K("cancel_reason."+CancelAfterConfirmation[1]))
		err.Extra = map[string]any{"status": o.Status, "reasons": CancelAfterConfirmation}
		return err
	}
	return nil
}

// Kinds of mail after delivery.
const (
	mailDisputeOpened    = "dispute_opened"
	mailDisputeAnswered  = "dispute_answered"
	mailOrderClosedShort = "order_closed_short"
	mailInvoiceSubmitted = "invoice_submitted"
	mailInvoiceDisputed  = "invoice_disputed"
	mailInvoiceApproved  = "invoice_approved"
)
