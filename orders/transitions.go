package orders

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/database"
	"madaf/internal/validate"
	"madaf/suppliers"
)

// SignInput is the body of POST /orders/{id}/sign. Role may be left out
// when the signatory holds one signing role; the treasurer must confirm
// the three checks.
type SignInput struct {
	Role       string `json:"role" validate:"omitempty,oneof=treasurer head"`
	Legal      bool   `json:"legal"`
	BudgetLine bool   `json:"budget_line"`
	NoDeficit  bool   `json:"no_deficit"`
	Note       string `json:"note" validate:"max=2000"`
}

// Sign records p's signature of a pending order. Below the authority's
// signature threshold the treasurer signs alone; at or above it the
// treasurer and the head both sign, in either order. When the required
// signatures are complete the order is sent, its confirmation deadline set
// (the tender's window in business days) and the supplier mailed. A user
// signs once per submission and only in a role it holds (403 otherwise);
// a role already signed, or not required, is a conflict.
func (s *Service) Sign(ctx context.Context, p *auth.Principal, orderID int64, ifMatch string, in SignInput) (*Order, error) {
	if err := validate.Struct(&in); err != nil {
		return nil, err
	}
	if in.Role != "" && !p.Has(in.Role) && p.HasAny(auth.RoleTreasurer, auth.RoleHead) {
		// Scope first: an order out of scope stays a 404.
		if _, err := s.Get(ctx, p, orderID); err != nil {
			return nil, err
		}
		return nil, apperr.Forbidden("you do not hold the role %s", in.Role)
	}
	return s.change(ctx, p, orderID, ifMatch, ActionSign, func(st *step) error {
		o := st.o
		if o.CreatedBy == p.UserID {
			return apperr.Forbidden("you drafted this order: another signatory must sign it")
		}
		signed := map[string]bool{}
		for _, g := range o.Signatures {
			if g.UserID == p.UserID {
				return apperr.Conflict("you have already signed this order (as %s)", g.Role)
			}
			signed[g.Role] = true
		}
		role := in.Role
		if role == "" {
			for _, r := range o.SignaturesRequired {
				if p.Has(r) && !signed[r] {
					role = r
					break
				}
			}
			if role == "" {
				return apperr.Conflict("no signature you may give is awaited on this order")
			}
		}
		if !slices.Contains(o.SignaturesRequired, role) {
			return apperr.Conflict("the order needs no %s signature: its total is below the authority's signature threshold", role)
		}
		if signed[role] {
			return apperr.Conflict("the %s has already signed this order", role)
		}
		if role == auth.RoleTreasurer {
			var fields []apperr.FieldError
			for _, c := range []struct {
				ok   bool
				name string
			}{{in.Legal, "legal"}, {in.BudgetLine, "budget_line"}, {in.NoDeficit, "no_deficit"}} {
				if !c.ok {
					fields = append(fields, apperr.Field(c.name, "must be confirmed by the treasurer's signature"))
				}
			}
			if len(fields) > 0 {
				return apperr.Invalid("the treasurer signs only after the three checks", fields...)
			}
		}
		const q = `INSERT INTO order_signatures (order_id, submission, role, user_id, signed_at, check_legal, check_budget_line, check_no_deficit)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`
		isT := role == auth.RoleTreasurer
		if _, err := st.tx.ExecContext(ctx, q, o.ID, o.Submission, role, p.UserID, st.now, isT && in.Legal, isT && in.BudgetLine, isT && in.NoDeficit); err != nil {
			if database.IsUniqueViolation(err) {
				return apperr.Conflict("this signature was already given")
			}
			return database.MapError(err)
		}
		signed[role] = true
		data := map[string]any{"role": role}
		if isT {
			data["checks"] = map[string]bool{"legal": true, "budget_line": true, "no_deficit": true}
		}
		for _, r := range o.SignaturesRequired {
			if !signed[r] {
				return st.move(ctx, ActionSign, StatusPendingApproval, in.Note, data, nil)
			}
		}
		// The last signature sends the order: the supplier must still be
		// able to receive it (award and tender active, not suspended,
		// certificates valid), however long the signatures took.
		if err := stillDeliverable(ctx, st.tx, o, st.today); err != nil {
			return err
		}
		var days int
		if err := sqlx.GetContext(ctx, st.tx, &days, `SELECT confirmation_days FROM tenders WHERE id = $1`, o.TenderID); err != nil {
			return err
		}
		var holidays []calendar.Date
		if err := sqlx.SelectContext(ctx, st.tx, &holidays, `SELECT day FROM holidays WHERE day > $1 AND day <= $1 + 120 ORDER BY day`, st.today); err != nil {
			return err
		}
		confirmBy := calendar.AddBusinessDays(st.today, days, holidays...)
		data["confirm_by"] = confirmBy
		if err := st.move(ctx, ActionSign, StatusSent, in.Note, data, map[string]any{"sent_at": st.now, "confirm_by": confirmBy}); err != nil {
			return err
		}
		return st.notifySupplier(ctx, mailOrderSent, nil)
	})
}

// NoteInput is the body of POST /orders/{id}/return.
type NoteInput struct {
	Note string `json:"note" validate:"required,max=2000"`
}

// Return sends a pending order back to draft with a note (treasurer or
// head), voiding this submission's signatures and releasing its
// reservation.
func (s *Service) Return(ctx context.Context, p *auth.Principal, orderID int64, ifMatch string, in NoteInput) (*Order, error) {
	in.Note = strings.TrimSpace(in.Note)
	if err := validate.Struct(&in); err != nil {
		return nil, err
	}
	return s.change(ctx, p, orderID, ifMatch, ActionReturn, func(st *step) error {
		if err := st.move(ctx, ActionReturn, StatusDraft, in.Note, release(st.o), map[string]any{
			"return_note": in.Note, "submission": st.o.Submission + 1, // voids this submission's signatures
		}); err != nil {
			return err
		}
		return st.notifyOfficer(ctx, mailOrderReturned, map[string]string{"note": in.Note})
	})
}

// ConfirmInput is the body of POST /orders/{id}/confirm.
type ConfirmInput struct {
	PromisedDate calendar.Date `json:"promised_date"`
	Note         string        `json:"note" validate:"max=2000"`
}

// Confirm is the supplier's acceptance of a sent order with the promised
// delivery date (today or later).
func (s *Service) Confirm(ctx context.Context, p *auth.Principal, orderID int64, ifMatch string, in ConfirmInput) (*Order, error) {
	if err := validate.Struct(&in); err != nil {
		return nil, err
	}
	switch {
	case in.PromisedDate.IsZero():
		return nil, apperr.Invalid("the confirmation is invalid", apperr.Field("promised_date", "is required"))
	case in.PromisedDate.Before(s.today()):
		return nil, apperr.Invalid("the confirmation is invalid", apperr.Field("promised_date", "must not be in the past"))
	}
	return s.change(ctx, p, orderID, ifMatch, ActionConfirm, func(st *step) error {
		if err := st.move(ctx, ActionConfirm, StatusConfirmed, in.Note, map[string]any{"promised_date": in.PromisedDate},
			map[string]any{"confirmed_at": st.now, "promised_on": in.PromisedDate}); err != nil {
			return err
		}
		return st.notifyOfficer(ctx, mailOrderConfirmed, map[string]string{"promised": in.PromisedDate.String()})
	})
}

// RejectInput is the body of POST /orders/{id}/reject.
type RejectInput struct {
	Reason string `json:"reason" validate:"required,max=2000"`
}

// Reject is the supplier's refusal of a sent order, with a reason; the
// reservation is released.
func (s *Service) Reject(ctx context.Context, p *auth.Principal, orderID int64, ifMatch string, in RejectInput) (*Order, error) {
	in.Reason = strings.TrimSpace(in.Reason)
	if err := validate.Struct(&in); err != nil {
		return nil, err
	}
	return s.change(ctx, p, orderID, ifMatch, ActionReject, func(st *step) error {
		if err := st.move(ctx, ActionReject, StatusRejected, in.Reason, release(st.o), map[string]any{"reject_reason": in.Reason}); err != nil {
			return err
		}
		return st.notifyOfficer(ctx, mailOrderRejected, map[string]string{"reason": in.Reason})
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
func (s *Service) Deliver(ctx context.Context, p *auth.Principal, orderID int64, ifMatch string, in DeliverInput) (*Order, error) {
	if err := validate.Struct(&in); err != nil {
		return nil, err
	}
	today := s.today()
	if in.DeliveredOn.IsZero() {
		in.DeliveredOn = today
	} else if in.DeliveredOn.After(today) {
		return nil, apperr.Invalid("the delivery report is invalid", apperr.Field("delivered_on", "must not be in the future"))
	}
	return s.change(ctx, p, orderID, ifMatch, ActionDeliver, func(st *step) error {
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
				fields = append(fields, apperr.Field(field+".line_id", "is not a line of this order"))
				continue
			case seen[d.LineID]:
				fields = append(fields, apperr.Field(field+".line_id", "is reported twice"))
				continue
			}
			seen[d.LineID] = true
			if msg := d.Quantity.check(); msg != "" {
				fields = append(fields, apperr.Field(field+".quantity", "%s", msg))
				continue
			}
			left := l.Quantity.Sub(l.Delivered.Decimal)
			if d.Quantity.GreaterThan(left) {
				fields = append(fields, apperr.Field(field+".quantity", "is more than the %s left to deliver of line %d", left.String(), l.LineNo))
				continue
			}
			l.Delivered.Decimal = l.Delivered.Add(d.Quantity.Decimal)
		}
		if len(fields) > 0 {
			return apperr.Invalid("the delivery report is invalid", fields...)
		}
		const qIns = `INSERT INTO order_deliveries (order_id, line_id, quantity, delivered_on, reported_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6)`
		const qUpd = `UPDATE order_lines SET delivered = delivered + $2 WHERE id = $1`
		report := make([]map[string]any, 0, len(in.Lines))
		for _, d := range in.Lines {
			if _, err := st.tx.ExecContext(ctx, qIns, o.ID, d.LineID, d.Quantity.Decimal, in.DeliveredOn, p.UserID, st.now); err != nil {
				return database.MapError(err)
			}
			if _, err := st.tx.ExecContext(ctx, qUpd, d.LineID, d.Quantity.Decimal); err != nil {
				return database.MapError(err)
			}
			report = append(report, map[string]any{"line_id": d.LineID, "line_no": byID[d.LineID].LineNo, "quantity": d.Quantity})
		}
		to, set := StatusDelivered, map[string]any{"delivered_at": st.now}
		for _, l := range o.Lines {
			if l.Delivered.LessThan(l.Quantity.Decimal) {
				to, set = StatusPartiallyDelivered, nil
				break
			}
		}
		if err := st.move(ctx, ActionDeliver, to, in.Note, map[string]any{"delivered_on": in.DeliveredOn, "lines": report}, set); err != nil {
			return err
		}
		return st.notifyOfficer(ctx, mailOrderDelivered, map[string]string{"status": to, "delivered_on": in.DeliveredOn.String()})
	})
}

// CloseInput is the body of POST /orders/{id}/close.
type CloseInput struct {
	InvoiceRef string `json:"invoice_ref" validate:"required,max=200"`
	Note       string `json:"note" validate:"max=2000"`
}

// Close ends a delivered order with the supplier's invoice reference
// (officer).
func (s *Service) Close(ctx context.Context, p *auth.Principal, orderID int64, ifMatch string, in CloseInput) (*Order, error) {
	in.InvoiceRef = strings.TrimSpace(in.InvoiceRef)
	if err := validate.Struct(&in); err != nil {
		return nil, err
	}
	return s.change(ctx, p, orderID, ifMatch, ActionClose, func(st *step) error {
		return st.move(ctx, ActionClose, StatusClosed, in.Note, map[string]any{"invoice_ref": in.InvoiceRef},
			map[string]any{"invoice_ref": in.InvoiceRef, "closed_at": st.now})
	})
}

// CancelInput is the body of POST /orders/{id}/cancel: a reason code of
// CancelReasons and a note (required for "other").
type CancelInput struct {
	Reason string `json:"reason" validate:"required,oneof=no_longer_needed duplicate wrong_details budget_change supplier_unavailable other"`
	Note   string `json:"note" validate:"max=2000"`
}

// Cancel withdraws an order before the supplier confirmed it (officer);
// the reservation is released and, when the order had been sent, the
// supplier is told.
func (s *Service) Cancel(ctx context.Context, p *auth.Principal, orderID int64, ifMatch string, in CancelInput) (*Order, error) {
	in.Note = strings.TrimSpace(in.Note)
	if err := validate.Struct(&in); err != nil {
		return nil, err
	}
	if in.Reason == "other" && in.Note == "" {
		return nil, apperr.Invalid("the cancellation is invalid", apperr.Field("note", "is required when the reason is other"))
	}
	return s.change(ctx, p, orderID, ifMatch, ActionCancel, func(st *step) error {
		data := release(st.o)
		if data == nil {
			data = map[string]any{}
		}
		data["reason"] = in.Reason
		if err := st.move(ctx, ActionCancel, StatusCancelled, in.Note, data,
			map[string]any{"cancel_reason": in.Reason, "cancel_note": in.Note}); err != nil {
			return err
		}
		if st.o.SentAt != nil {
			return st.notifySupplier(ctx, mailOrderCancelled, map[string]string{"reason": in.Reason})
		}
		return nil
	})
}

// stillDeliverable reports, as a 409 naming every reason, why order o may
// not be sent to its supplier on day today.
func stillDeliverable(ctx context.Context, tx sqlx.QueryerContext, o *Order, today calendar.Date) error {
	var r struct {
		Tender string `db:"tender_status"`
		Award  string `db:"award_status"`
	}
	const q = `SELECT t.status AS tender_status, coalesce(a.status, 'none') AS award_status
		FROM tenders t LEFT JOIN awards a ON a.tender_id = t.id AND a.supplier_id = $2 WHERE t.id = $1`
	if err := sqlx.GetContext(ctx, tx, &r, q, o.TenderID, o.SupplierID); err != nil {
		return err
	}
	var reasons []string
	if r.Tender != "active" {
		reasons = append(reasons, "tender "+o.TenderNumber+" is "+r.Tender)
	}
	if r.Award != "active" {
		reasons = append(reasons, "the supplier's award is "+r.Award)
	}
	more, err := suppliers.Eligibility(ctx, tx, o.SupplierID, today)
	if err != nil {
		return err
	}
	reasons = append(reasons, reasonTexts(more)...)
	if len(reasons) > 0 {
		return apperr.Conflict("the order cannot be sent to the supplier: %s", strings.Join(reasons, "; "))
	}
	return nil
}
