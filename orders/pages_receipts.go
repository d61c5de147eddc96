package orders

import (
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/gin-gonic/gin"

	"madaf/documents"
	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/money"
	"madaf/internal/orderstatus"
	"madaf/internal/page"
	"madaf/internal/web"
)

// afterView is the order page's part after delivery: the receipts and
// their disputes, the invoices, and the forms the caller may use now.
type afterView struct {
	Receipts []Receipt
	Invoices []Invoice
	// CanReceive is the officer's and the receiver's; CanCloseShort the
	// officer's, and CanApprove too, for each matched invoice. CanInvoice
	// and CanAnswer are the supplier's.
	CanReceive, CanCloseShort, CanApprove, CanInvoice, CanAnswer bool
	CloseReasons                                                 []string
	Conditions                                                   []string
}

// afterDelivery reads the order page's part after delivery for caller.
func (p *pages) afterDelivery(c *gin.Context, caller *auth.Principal, o *Order) (*afterView, error) {
	v := &afterView{CloseReasons: CloseReasons, Conditions: []string{ConditionGood, ConditionShort, ConditionDamaged}}
	var err error
	if v.Receipts, err = p.svc.stores.orders.Receipts(c, o.ID); err != nil {
		return nil, err
	}
	if v.Invoices, err = p.svc.stores.orders.Invoices(c, o.ID); err != nil {
		return nil, err
	}
	officer := caller.Has(auth.RoleOfficer) && caller.AuthorityID == o.AuthorityID
	supplier := caller.Has(auth.RoleSupplier) && caller.SupplierID == o.SupplierID
	settled := o.Status == orderstatus.Closed && o.CloseReason == ""
	receives := caller.OrgKind == auth.OrgAuthority && caller.AuthorityID == o.AuthorityID && caller.HasAny(rules[ActionReceive].roles...)
	v.CanReceive = receives && !settled && slices.Contains(rules[ActionReceive].from, o.Status)
	v.CanCloseShort = officer && slices.Contains(rules[ActionCloseShort].from, o.Status)
	v.CanApprove = officer && !settled && slices.Contains(rules[ActionApproveInvoice].from, o.Status)
	v.CanInvoice = supplier && !settled && slices.Contains(rules[ActionSubmitInvoice].from, o.Status)
	v.CanAnswer = supplier && slices.Contains(rules[ActionAnswerDispute].from, o.Status)
	return v, nil
}

// receive records a goods received note from the order page: per line
// recv_<line> (empty: not in this note) and cond_<line>.
func (p *pages) receive(c *gin.Context) error {
	return p.act(c, ActionReceive, "order.received", func(o *Order, f *page.Form) (map[string]string, error) {
		in := ReceiptInput{DeliveryNote: f.Text("delivery_note", page.Required), ReceivedOn: f.Date("received_on", false),
			Note: f.Value("receipt_note")}
		rename := map[string]string{"note": "receipt_note"}
		for _, l := range o.Lines {
			field := "recv_" + page.Itoa(l.ID)
			if f.Value(field) == "" {
				continue
			}
			q := f.Decimal(field, false)
			n := len(in.Lines)
			rename[fmt.Sprintf("lines[%d].quantity", n)] = field
			rename[fmt.Sprintf("lines[%d].line_id", n)] = field
			rename[fmt.Sprintf("lines[%d].condition", n)] = "cond_" + page.Itoa(l.ID)
			in.Lines = append(in.Lines, ReceiptLineInput{LineID: l.ID, Quantity: &Quantity{q}, Condition: f.Value("cond_" + page.Itoa(l.ID))})
		}
		if !f.Valid() {
			return nil, nil
		}
		if len(in.Lines) == 0 {
			f.Refuse("receipt.nothing")
			return nil, nil
		}
		_, err := p.svc.Receive(c, auth.Caller(c), o.ID, f.Value("etag"), in)
		return rename, err
	})
}

func (p *pages) closeShort(c *gin.Context) error {
	return p.act(c, ActionCloseShort, "order.closed_short", func(o *Order, f *page.Form) (map[string]string, error) {
		in := CloseShortInput{Reason: f.Text("close_short_reason", page.Required), Note: f.Text("close_short_note", page.Required)}
		if !f.Valid() {
			return nil, nil
		}
		_, err := p.svc.CloseShort(c, auth.Caller(c), o.ID, f.Value("etag"), in)
		return map[string]string{"reason": "close_short_reason", "note": "close_short_note"}, err
	})
}

func (p *pages) answerDispute(c *gin.Context) error {
	disputeID, err := web.ParamID(c, "dispute", "not_found.dispute")
	if err != nil {
		return err
	}
	return p.act(c, ActionAnswerDispute, "order.dispute_answered", func(o *Order, f *page.Form) (map[string]string, error) {
		in := AnswerInput{Answer: f.Text("answer", page.Required), Note: f.Value("answer_note")}
		if !f.Valid() {
			return nil, nil
		}
		_, err := p.svc.AnswerDispute(c, auth.Caller(c), o.ID, disputeID, f.Value("etag"), in)
		return map[string]string{"note": "answer_note"}, err
	})
}

// submitInvoice records the supplier's invoice from the order page: per
// line inv_qty_<line> (empty: not invoiced) and inv_price_<line>, and the
// optional PDF of the tax invoice (the multipart form's "file"), stored
// as a document of the order with the invoice or not at all. A refused
// file is shown beside its field with the invoice's other faults.
func (p *pages) submitInvoice(c *gin.Context) error {
	// The multipart body (the form and its file) is read only once the
	// caller may invoice the order, and before the form.
	o, err := p.permitted(c, ActionSubmitInvoice)
	if err != nil {
		return err
	}
	pdf, pdfErr := invoiceFile(c)
	return p.actOn(c, o, "order.invoice_submitted", func(o *Order, f *page.Form) (map[string]string, error) {
		var ae *apperr.Error
		switch {
		case pdfErr == nil:
		case !errors.As(pdfErr, &ae):
			return nil, pdfErr
		case ae.Kind == apperr.KindMalformed:
			f.Message = ae.Msg
		case len(ae.Fields) > 0:
			f.FailMsg("file", ae.Fields[0].Msg)
		default:
			f.FailMsg("file", ae.Msg)
		}
		in := InvoiceInput{Number: f.Text("inv_number", page.Required), IssuedOn: f.Date("inv_issued_on", page.Required),
			Subtotal: money.Of(f.Decimal("inv_subtotal", page.Required)), VAT: money.Of(f.Decimal("inv_vat", page.Required)),
			Total: money.Of(f.Decimal("inv_total", page.Required)), AllocationNumber: f.Value("inv_allocation")}
		rename := map[string]string{"number": "inv_number", "issued_on": "inv_issued_on", "subtotal": "inv_subtotal",
			"vat": "inv_vat", "total": "inv_total", "allocation_number": "inv_allocation"}
		for _, l := range o.Lines {
			qf, pf := "inv_qty_"+page.Itoa(l.ID), "inv_price_"+page.Itoa(l.ID)
			if f.Value(qf) == "" {
				continue
			}
			n := len(in.Lines)
			rename[fmt.Sprintf("lines[%d].quantity", n)] = qf
			rename[fmt.Sprintf("lines[%d].line_id", n)] = qf
			rename[fmt.Sprintf("lines[%d].unit_price", n)] = pf
			in.Lines = append(in.Lines, InvoiceLineInput{LineID: l.ID, Quantity: Quantity{f.Decimal(qf, false)},
				UnitPrice: money.Of(f.Decimal(pf, page.Required))})
		}
		if !f.Valid() {
			return nil, nil
		}
		if len(in.Lines) == 0 {
			f.Refuse("invoice.nothing")
			return nil, nil
		}
		var err error
		if pdf != nil {
			_, err = p.svc.SubmitInvoiceWithPDF(c, auth.Caller(c), o.ID, f.Value("etag"), in, *pdf)
		} else {
			_, err = p.svc.SubmitInvoice(c, auth.Caller(c), o.ID, f.Value("etag"), in)
		}
		return rename, err
	})
}

// invoiceFile reads the invoice form's file of the tax invoice: nil when
// the form is no multipart form or no file was chosen. A body or a file
// over the upload limit is an apperr too large ("document.too_large"),
// a body that cannot be read an apperr malformed ("form.unreadable").
func invoiceFile(c *gin.Context) (*documents.Upload, error) {
	if c.ContentType() != "multipart/form-data" {
		return nil, nil
	}
	switch _, err := c.FormFile("file"); {
	case errors.Is(err, http.ErrMissingFile):
		return nil, nil
	case web.IsTooLarge(err):
		return nil, apperr.New(apperr.KindTooLarge, "document.too_large", documents.MaxSize>>20)
	case err != nil:
		return nil, apperr.Malformed("form.unreadable")
	}
	up, err := documents.ReadUpload(c)
	if err != nil {
		return nil, err
	}
	return &up, nil
}

func (p *pages) approveInvoice(c *gin.Context) error {
	invoiceID, err := web.ParamID(c, "invoice", "not_found.invoice")
	if err != nil {
		return err
	}
	return p.act(c, ActionApproveInvoice, "order.invoice_approved", func(o *Order, f *page.Form) (map[string]string, error) {
		_, err := p.svc.ApproveInvoice(c, auth.Caller(c), o.ID, invoiceID, f.Value("etag"), ApproveInput{Note: f.Value("approve_note")})
		return map[string]string{"note": "approve_note"}, err
	})
}
