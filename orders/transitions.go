package orders

import (
	"context"
	"fmt"
	"strings"

	"madaf/catalog"
	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/orderstatus"
	"madaf/internal/validate"
)

// NoteInput is the body of POST /orders/{id}/return.
type NoteInput struct {
	Note string `json:"note" validate:"required,max=2000"`
}

// Return sends a pending order back to draft with a note (treasurer or
// head), voiding this submission's signatures and releasing its
// reservation.
func (s *Service) Return(ctx context.Context, p *auth.Principal, orderID int64, ifMatch string, in NoteInput) (o *Order, err error) {
	defer apperr.Wrap(&err, "orders.Service.Return(%d)", orderID)
	req := request{action: ActionReturn, ifMatch: ifMatch, input: in, check: func() error {
		in.Note = strings.TrimSpace(in.Note)
		return validate.Struct(&in)
	}}
	return s.change(ctx, p, orderID, req, func(st *step) error {
		if err := st.orders.returnOrder(ctx, st.o, in.Note, st.now); err != nil {
			return err
		}
		if err := st.record(ctx, ActionReturn, orderstatus.Draft, in.Note, release(st.o)); err != nil {
			return err
		}
		return st.notifyOfficer(ctx, mailOrderReturned, said("order.mail.note", in.Note))
	})
}

// ConfirmInput is the body of POST /orders/{id}/confirm.
type ConfirmInput struct {
	PromisedDate calendar.Date `json:"promised_date"`
	Note         string        `json:"note" validate:"max=2000"`
}

// Confirm is the supplier's acceptance of a sent order with the promised
// delivery date (today or later).
func (s *Service) Confirm(ctx context.Context, p *auth.Principal, orderID int64, ifMatch string, in ConfirmInput) (o *Order, err error) {
	defer apperr.Wrap(&err, "orders.Service.Confirm(%d)", orderID)
	req := request{action: ActionConfirm, ifMatch: ifMatch, input: in, check: func() error {
		if err := validate.Struct(&in); err != nil {
			return err
		}
		switch {
		case in.PromisedDate.IsZero():
			return apperr.Invalid("order.confirmation_invalid", apperr.Field("promised_date", "msg.required"))
		case in.PromisedDate.Before(s.today()):
			return apperr.Invalid("order.confirmation_invalid", apperr.Field("promised_date", "order.date_past"))
		}
		return nil
	}}
	return s.change(ctx, p, orderID, req, func(st *step) error {
		if err := st.orders.confirmOrder(ctx, st.o, in.PromisedDate, st.now); err != nil {
			return err
		}
		if err := st.record(ctx, ActionConfirm, orderstatus.Confirmed, in.Note, map[string]any{"promised_date": in.PromisedDate}); err != nil {
			return err
		}
		return st.notifyOfficer(ctx, mailOrderConfirmed, said("order.mail.promised", in.PromisedDate.String()))
	})
}

// RejectInput is the body of POST /orders/{id}/reject.
type RejectInput struct {
	Reason string `json:"reason" validate:"required,max=2000"`
}

// Reject is the supplier's refusal of a sent order, with a reason; the
// reservation is released.
func (s *Service) Reject(ctx context.Context, p *auth.Principal, orderID int64, ifMatch string, in RejectInput) (o *Order, err error) {
	defer apperr.Wrap(&err, "orders.Service.Reject(%d)", orderID)
	req := request{action: ActionReject, ifMatch: ifMatch, input: in, check: func() error {
		in.Reason = strings.TrimSpace(in.Reason)
		return validate.Struct(&in)
	}}
	return s.change(ctx, p, orderID, req, func(st *step) error {
		if err := st.orders.rejectOrder(ctx, st.o, in.Reason, st.now); err != nil {
			return err
		}
		if err := st.record(ctx, ActionReject, orderstatus.Rejected, in.Reason, release(st.o)); err != nil {
			return err
		}
		return st.notifyOfficer(ctx, mailOrderRejected, said("order.mail.reason", in.Reason))
	})
}

// DeliverInput is the body of POST /orders/{id}/deliver: quantities
// delivered now, per order line.
type DeliverInput struct {
	Lines       []DeliveryLine `json:"lines" validate:"required,min=1,max=500,dive"`
	DeliveredOn calendar.Date  `json:"delivered_on"`
	Note        string         `json:"note" validate:"max=2000"`
}

// DeliveryLine is one line's delivered quantity.
type DeliveryLine struct {
	LineID   int64    `json:"line_id" validate:"required,gt=0"`
	Quantity Quantity `json:"quantity"`
}

// Deliver records the supplier's delivery report: each line's delivered
// quantity grows, never past what was ordered (422 naming the line). The
// order becomes delivered when every line is complete, else partially
// delivered.
func (s *Service) Deliver(ctx context.Context, p *auth.Principal, orderID int64, ifMatch string, in DeliverInput) (o *Order, err error) {
	defer apperr.Wrap(&err, "orders.Service.Deliver(%d)", orderID)
	req := request{action: ActionDeliver, ifMatch: ifMatch, input: in, check: func() error {
		if err := validate.Struct(&in); err != nil {
			return err
		}
		today := s.today()
		if in.DeliveredOn.IsZero() {
			in.DeliveredOn = today
		} else if in.DeliveredOn.After(today) {
			return apperr.Invalid("order.delivery_invalid", apperr.Field("delivered_on", "order.date_future"))
		}
		return nil
	}}
	return s.change(ctx, p, orderID, req, func(st *step) error {
		o := st.o
		byID := map[int64]*Line{}
		for i := range o.Lines {
			byID[o.Lines[i].ID] = &o.Lines[i]
		}
		var fields []apperr.FieldError
		seen := map[int64]bool{}
		for i, d := range in.Lines {
			field := fmt.Sprintf("lines[%d]", i)
			l, ok := byID[d.LineID]
			switch {
			case !ok:
				fields = append(fields, apperr.Field(field+".line_id", "order.not_order_line"))
				continue
			case seen[d.LineID]:
				fields = append(fields, apperr.Field(field+".line_id", "order.line_twice"))
				continue
			}
			seen[d.LineID] = true
			if fe := d.Quantity.check(field + ".quantity"); fe != nil {
				fields = append(fields, *fe)
				continue
			}
			left := l.Quantity.Sub(l.Delivered.Decimal)
			if d.Quantity.GreaterThan(left) {
				fields = append(fields, apperr.Field(field+".quantity", "order.over_delivery", left.String(), l.LineNo))
				continue
			}
			l.Delivered.Decimal = l.Delivered.Add(d.Quantity.Decimal)
		}
		if len(fields) > 0 {
			return apperr.Invalid("order.delivery_invalid", fields...)
		}
		report := make([]map[string]any, 0, len(in.Lines))
		for _, d := range in.Lines {
			if err := st.orders.addDelivery(ctx, o, d.LineID, d.Quantity, in.DeliveredOn, p.UserID, st.now); err != nil {
				return err
			}
			report = append(report, map[string]any{"line_id": d.LineID, "line_no": byID[d.LineID].LineNo, "quantity": d.Quantity})
		}
		to := orderstatus.Delivered
		for _, l := range o.Lines {
			if l.Delivered.LessThan(l.Quantity.Decimal) {
				to = orderstatus.PartiallyDelivered
				break
			}
		}
		deliver := st.orders.deliverPart
		if to == orderstatus.Delivered {
			deliver = st.orders.deliverAll
		}
		if err := deliver(ctx, o, st.now); err != nil {
			return err
		}
		if err := st.record(ctx, ActionDeliver, to, in.Note, map[string]any{"delivered_on": in.DeliveredOn, "lines": report}); err != nil {
			return err
		}
		return st.notifyOfficer(ctx, mailOrderDelivered,
			named("order.mail.status", "order.mail.status."+to), said("order.mail.delivered_on", in.DeliveredOn.String()))
	})
}

// CloseInput is the body of POST /orders/{id}/close.
type CloseInput struct {
	InvoiceRef string `json:"invoice_ref" validate:"required,max=200"`
	Note       string `json:"note" validate:"max=2000"`
}

// Close ends a delivered order with the supplier's invoice reference
// (officer).
func (s *Service) Close(ctx context.Context, p *auth.Principal, orderID int64, ifMatch string, in CloseInput) (o *Order, err error) {
	defer apperr.Wrap(&err, "orders.Service.Close(%d)", orderID)
	req := request{action: ActionClose, ifMatch: ifMatch, input: in, check: func() error {
		in.InvoiceRef = strings.TrimSpace(in.InvoiceRef)
		return validate.Struct(&in)
	}}
	return s.change(ctx, p, orderID, req, func(st *step) error {
		if err := st.orders.closeOrder(ctx, st.o, in.InvoiceRef, st.now); err != nil {
			return err
		}
		return st.record(ctx, ActionClose, orderstatus.Closed, in.Note, map[string]any{"invoice_ref": in.InvoiceRef})
	})
}

// CancelInput is the body of POST /orders/{id}/cancel: a reason code of
// CancelReasons and a note (required for "other").
type CancelInput struct {
	Reason string `json:"reason" validate:"required,oneof=no_longer_needed duplicate wrong_details budget_change supplier_unavailable other supplier_agreed supplier_failed"`
	Note   string `json:"note" validate:"max=2000"`
}

// Cancel withdraws an order before the supplier confirmed it (officer),
// or a confirmed order with a reason of CancelAfterConfirmation
// (cancelAllowed); the reservation is released and, when the order had
// been sent, the supplier is told.
func (s *Service) Cancel(ctx context.Context, p *auth.Principal, orderID int64, ifMatch string, in CancelInput) (o *Order, err error) {
	defer apperr.Wrap(&err, "orders.Service.Cancel(%d)", orderID)
	req, fn := cancellation(ctx, ifMatch, in)
	return s.change(ctx, p, orderID, req, fn)
}

// cancellation is the request and the action of a cancellation.
func cancellation(ctx context.Context, ifMatch string, in CancelInput) (request, func(st *step) error) {
	req := request{action: ActionCancel, ifMatch: ifMatch, input: in, check: func() error {
		in.Note = strings.TrimSpace(in.Note)
		if err := validate.Struct(&in); err != nil {
			return err
		}
		if in.Reason == "other" && in.Note == "" {
			return apperr.Invalid("order.cancellation_invalid", apperr.Field("note", "order.note_required_other"))
		}
		return nil
	}}
	return req, func(st *step) error {
		if err := cancelAllowed(st.o, in.Reason); err != nil {
			return err
		}
		data := release(st.o)
		if data == nil {
			data = map[string]any{}
		}
		data["reason"] = in.Reason
		if err := st.orders.cancelOrder(ctx, st.o, in.Reason, in.Note, st.now); err != nil {
			return err
		}
		if err := st.record(ctx, ActionCancel, orderstatus.Cancelled, in.Note, data); err != nil {
			return err
		}
		if st.o.SentAt != nil {
			return st.notifySupplier(ctx, mailOrderCancelled, named("order.mail.reason", "cancel_reason."+in.Reason))
		}
		return nil
	}
}

// stillDeliverable returns the order's tender, or a 409 saying why the
// order may not be sent to its supplier today: "reasons" lists every one,
// each a message.
func (st *step) stillDeliverable(ctx context.Context) (*catalog.Tender, error) {
	o := st.o
	t, err := st.catalog.Tender(ctx, o.TenderID)
	if err != nil {
		return nil, err
	}
	var reasons []apperr.Msg
	if t.Status != catalog.StatusActive {
		reasons = append(reasons, apperr.M("order.reason.tender", t.Number, apperr.K("tender_status."+t.Status)))
	}
	award, err := awardOf(ctx, st.stores, o.TenderID, o.SupplierID)
	switch {
	case apperr.Is(err, apperr.KindNotFound):
		reasons = append(reasons, apperr.M("order.reason.no_award"))
	case err != nil:
		return nil, err
	case award.Status != catalog.AwardActive:
		reasons = append(reasons, apperr.M("order.reason.award", apperr.K("award_status."+award.Status)))
	}
	more, err := st.suppliers.Eligibility(ctx, o.SupplierID, st.today)
	if err != nil {
		return nil, err
	}
	for _, r := range more {
		reasons = append(reasons, r.Msg())
	}
	if len(reasons) > 0 {
		err := apperr.Conflict("order.cannot_send")
		err.Extra = map[string]any{"reasons": reasons}
		return nil, err
	}
	return t, nil
}
