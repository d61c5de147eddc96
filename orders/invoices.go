package orders

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"madaf/documents"
	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/database"
	"madaf/internal/i18n"
	"madaf/internal/money"
	"madaf/internal/orderstatus"
	"madaf/internal/validate"
)

// Invoices. The supplier submits its tax invoices against an order: a
// number unique among its invoices, the date, the amount before VAT, the
// VAT at the rate in force on the date, the total, the lines (quantity and
// unit price per order line) and, when the authority requires one
// (AllocationRequired), the nine-digit allocation number of the invoice
// reform. The service matches each invoice three ways, under the order
// row's lock: each line's quantity, with what the order's other matched
// and approved invoices bill, against what the authority received of the
// line (Received.Accepted), and its price against the order's, within the
// authority's tolerance (default ₪0). An invoice that matches is matched;
// one that does not is in dispute with a reason per line. The officer
// approves a matched invoice for payment, and the order closes once it is
// delivered, everything delivered was received (or credited), no dispute
// is open and everything received is invoiced and approved.
//
// An invoice may carry the PDF of the tax invoice: a document of its own
// order, a PDF by its content, that the supplier sees (not internal).
// The API names one already attached to the order (document_id); the
// order page uploads the file with the invoice, in the invoice's
// transaction, so that both are stored or neither is.

// Invoice statuses.
const (
	InvoiceMatched   = "matched"
	InvoiceInDispute = "in_dispute"
	InvoiceApproved  = "approved"
)

// Checks of a three-way match.
const (
	MatchReceived = "over_received"
	MatchPrice    = "price"
)

// allocationThresholds are the amounts before VAT above which a tax
// invoice needs an allocation number, each from its day on, latest last.
var allocationThresholds = []struct {
	from   calendar.Date
	amount decimal.Decimal
}{
	{calendar.NewDate(2026, time.January, 1), decimal.NewFromInt(10_000)},
	{calendar.NewDate(2026, time.June, 1), decimal.NewFromInt(5_000)},
}

// AllocationThreshold is the amount before VAT above which an invoice
// issued on day needs an allocation number; ok is false before the first
// threshold (none needed).
func AllocationThreshold(day calendar.Date) (amount decimal.Decimal, ok bool) {
	for _, t := range allocationThresholds {
		if !day.Before(t.from) {
			amount, ok = t.amount, true
		}
	}
	return amount, ok
}

// AllocationRequired reports whether an invoice issued on day for subtotal
// (before VAT) to an authority that asks for allocation numbers
// (requires) must carry one: when the subtotal is above the threshold in
// force on the day. This is the one statement of the rule.
func AllocationRequired(requires bool, day calendar.Date, subtotal decimal.Decimal) bool {
	limit, ok := AllocationThreshold(day)
	return requires && ok && subtotal.GreaterThan(limit)
}

var allocationNumber = regexp.MustCompile(`^[0-9]{9}$`)

// Invoice is a supplier's invoice against an order.
type Invoice struct {
	ID               int64         `db:"id" json:"id"`
	OrderID          int64         `db:"order_id" json:"order_id"`
	SupplierID       int64         `db:"supplier_id" json:"supplier_id"`
	Number           string        `db:"number" json:"number"`
	IssuedOn         calendar.Date `db:"issued_on" json:"issued_on"`
	Subtotal         money.Amount  `db:"subtotal" json:"subtotal"`
	VAT              money.Amount  `db:"vat" json:"vat"`
	Total            money.Amount  `db:"total" json:"total"`
	AllocationNumber string        `db:"allocation_number" json:"allocation_number"`
	Status           string        `db:"status" json:"status"`
	Reasons          MatchReasons  `db:"reasons" json:"reasons"`
	Note             string        `db:"note" json:"note"`
	SubmittedBy      int64         `db:"submitted_by" json:"submitted_by"`
	CreatedAt        time.Time     `db:"created_at" json:"created_at"`
	ApprovedBy       *int64        `db:"approved_by" json:"approved_by"`
	ApprovedAt       *time.Time    `db:"approved_at" json:"approved_at"`
	// DocumentID is the order's document that is the PDF of the tax
	// invoice, nil when none was given.
	DocumentID *int64        `db:"document_id" json:"document_id"`
	Lines      []InvoiceLine `db:"-" json:"lines"`
}

// DocumentHref is where the invoice's PDF downloads (the documents'
// path), "" when it has none.
func (inv Invoice) DocumentHref() string {
	if inv.DocumentID == nil {
		return ""
	}
	return (&documents.Document{ID: *inv.DocumentID}).Path()
}

// MarshalJSON adds the download path of the invoice's PDF as
// document_href (null when it has none).
func (inv Invoice) MarshalJSON() ([]byte, error) {
	type plain Invoice
	var href *string
	if h := inv.DocumentHref(); h != "" {
		href = &h
	}
	return json.Marshal(struct {
		plain
		DocumentHref *string `json:"document_href"`
	}{plain(inv), href})
}

// InvoiceLine is one invoiced order line.
type InvoiceLine struct {
	InvoiceID int64        `db:"invoice_id" json:"-"`
	LineID    int64        `db:"line_id" json:"line_id"`
	LineNo    int          `db:"line_no" json:"line_no"`
	Name      string       `db:"name" json:"name"`
	Quantity  Quantity     `db:"quantity" json:"quantity"`
	UnitPrice money.Amount `db:"unit_price" json:"unit_price"`
	LineTotal money.Amount `db:"line_total" json:"line_total"`
}

// MatchReason is why one invoice line does not match: billed beyond what
// was received (Allowed is what is left to bill) or at a price other than
// the order's (Allowed is the order's price).
type MatchReason struct {
	LineID   int64  `json:"line_id"`
	LineNo   int    `json:"line_no"`
	Check    string `json:"check"`
	Invoiced string `json:"invoiced"`
	Allowed  string `json:"allowed"`
}

// Msg is the reason as a message ("invoice.match.<check>").
func (m MatchReason) Msg() apperr.Msg {
	return apperr.M("invoice.match."+m.Check, m.LineNo, m.Invoiced, m.Allowed)
}

// MarshalJSON writes the reason with its message's key as "code" and its
// English text as "message".
func (m MatchReason) MarshalJSON() ([]byte, error) {
	type plain MatchReason
	return json.Marshal(struct {
		plain
		Code    string `json:"code"`
		Message string `json:"message"`
	}{plain(m), "invoice.match." + m.Check, i18n.For("en").Msg(m.Msg())})
}

// MatchReasons are an invoice's reasons, stored as jsonb.
type MatchReasons []MatchReason

// Scan reads the jsonb list (null: none).
func (r *MatchReasons) Scan(src any) error { return database.ScanJSON(src, r, MatchReasons{}) }

// InvoiceInput is the body of POST /orders/{id}/invoices.
type InvoiceInput struct {
	Number           string             `json:"number" validate:"required,max=50"`
	IssuedOn         calendar.Date      `json:"issued_on"`
	Subtotal         money.Amount       `json:"subtotal"`
	VAT              money.Amount       `json:"vat"`
	Total            money.Amount       `json:"total"`
	AllocationNumber string             `json:"allocation_number" validate:"max=20"`
	Note             string             `json:"note" validate:"max=2000"`
	Lines            []InvoiceLineInput `json:"lines" validate:"required,min=1,max=500,dive"`
	// DocumentID names the PDF of the tax invoice among the order's
	// documents (optional).
	DocumentID *int64 `json:"document_id"`

	// pdf is the file of the tax invoice to store with the invoice (see
	// SubmitInvoiceWithPDF), nil for none.
	pdf *documents.Upload
}

// InvoiceLineInput is one invoiced line: the order line, the quantity
// and the unit price before VAT.
type InvoiceLineInput struct {
	LineID    int64        `json:"line_id" validate:"required,gt=0"`
	Quantity  Quantity     `json:"quantity"`
	UnitPrice money.Amount `json:"unit_price"`
}

// invoiceTerms are what checking an invoice needs of the database: the
// VAT rate in force on its date (ok false when none), and the authority's
// allocation requirement.
type invoiceTerms struct {
	vatRate     decimal.Decimal
	vatKnown    bool
	requires    bool
	tolerance   decimal.Decimal
	numberTaken bool
	// document is the document DocumentID names, nil when there is none.
	document *documents.Document
}

// check reports every field of in that is wrong: amounts in agorot and
// not negative, subtotal the sum of the lines, total = subtotal + VAT, the
// VAT at the rate in force on the date within a rounding of one agora per
// line, a date not in the future, the allocation number nine digits and
// present when AllocationRequired, the document named (t.document) a PDF
// of the invoice's order orderID that is not internal (invoicePDF), and
// the file to store with it a PDF by its content (pdfFault).
func (in *InvoiceInput) check(today calendar.Date, orderID int64, t invoiceTerms) error {
	var fields []apperr.FieldError
	switch {
	case in.IssuedOn.IsZero():
		fields = append(fields, apperr.Field("issued_on", "msg.required"))
	case in.IssuedOn.After(today):
		fields = append(fields, apperr.Field("issued_on", "order.date_future"))
	}
	for _, a := range []struct {
		name string
		v    money.Amount
	}{{"subtotal", in.Subtotal}, {"vat", in.VAT}, {"total", in.Total}} {
		if a.v.IsNegative() {
			fields = append(fields, apperr.Field(a.name, "msg.not_negative"))
		} else if !a.v.HasAgorot() {
			fields = append(fields, apperr.Field(a.name, "invoice.agorot"))
		}
	}
	sum := decimal.Zero
	for i, l := range in.Lines {
		if fe := l.Quantity.check(fmt.Sprintf("lines[%d].quantity", i)); fe != nil {
			fields = append(fields, *fe)
		}
		if l.UnitPrice.IsNegative() || !l.UnitPrice.HasAgorot() {
			fields = append(fields, apperr.Field(fmt.Sprintf("lines[%d].unit_price", i), "invoice.agorot"))
		}
		sum = sum.Add(LineTotal(l.Quantity.Decimal, l.UnitPrice.Decimal))
	}
	if len(fields) == 0 {
		if !sum.Equal(in.Subtotal.Decimal) {
			fields = append(fields, apperr.Field("subtotal", "invoice.subtotal_lines", money.Format(sum)))
		}
		if !in.Subtotal.Add(in.VAT.Decimal).Equal(in.Total.Decimal) {
			fields = append(fields, apperr.Field("total", "invoice.total_sum", money.Format(in.Subtotal.Add(in.VAT.Decimal))))
		}
		if t.vatKnown {
			want := Percent(in.Subtotal.Decimal, t.vatRate)
			if in.VAT.Sub(want).Abs().GreaterThan(decimal.New(int64(len(in.Lines)), -2)) {
				fields = append(fields, apperr.Field("vat", "invoice.vat_rate", money.Format(want), t.vatRate.String()))
			}
		}
	}
	in.AllocationNumber = strings.TrimSpace(in.AllocationNumber)
	switch {
	case in.AllocationNumber != "" && !allocationNumber.MatchString(in.AllocationNumber):
		fields = append(fields, apperr.Field("allocation_number", "invoice.allocation_digits"))
	case in.AllocationNumber == "" && !in.IssuedOn.IsZero() && AllocationRequired(t.requires, in.IssuedOn, in.Subtotal.Decimal):
		limit, _ := AllocationThreshold(in.IssuedOn)
		fields = append(fields, apperr.Field("allocation_number", "invoice.allocation_required", money.Format(limit)))
	}
	if t.numberTaken {
		fields = append(fields, apperr.Field("number", "invoice.number_taken"))
	}
	if in.DocumentID != nil && !invoicePDF(t.document, orderID) {
		fields = append(fields, apperr.Field("document_id", "invoice.document_not_pdf_of_order"))
	}
	if in.pdf != nil {
		if fe := pdfFault(*in.pdf); fe != nil {
			fields = append(fields, *fe)
		}
	}
	if len(fields) > 0 {
		return apperr.Invalid("invoice.invalid", fields...)
	}
	return nil
}

// invoicePDF reports whether d may be the PDF of an invoice of order
// orderID: a document of that order, a PDF, and not internal (the
// supplier who invoices never sees an internal document, so one is to it
// as a missing one).
func invoicePDF(d *documents.Document, orderID int64) bool {
	return d != nil && d.OwnerKind == documents.KindOrder && d.OwnerID == orderID &&
		d.ContentType == documents.TypePDF && !d.Internal
}

// pdfFault is what is wrong with file as the PDF of a tax invoice, on
// the field "file", nil when nothing is: a file that is not a PDF by its
// content, whatever its name, is "invoice.document_not_pdf"; an empty
// one, one without a name or one over documents.MaxSize is refused as
// documents.Check refuses it.
func pdfFault(file documents.Upload) *apperr.FieldError {
	_, contentType, err := documents.Check(file)
	var ae *apperr.Error
	switch {
	case err == nil && contentType == documents.TypePDF:
		return nil
	case !errors.As(err, &ae):
	case ae.Kind == apperr.KindTooLarge:
		return &apperr.FieldError{Field: "file", Msg: ae.Msg}
	case len(ae.Fields) > 0 && ae.Fields[0].Key != "document.type_refused" && ae.Fields[0].Key != "document.type_mismatch":
		return &apperr.FieldError{Field: "file", Msg: ae.Fields[0].Msg}
	}
	fe := apperr.Field("file", "invoice.document_not_pdf")
	return &fe
}

// SubmitInvoice records the supplier's invoice against order orderID,
// matched three ways (see the package's invoices), and mails the officer.
// A line not of the order or given twice, or a body check refuses, is 422
// naming the field; so is a DocumentID that is not a PDF document of the
// order the supplier sees ("document_id": "invoice.document_not_pdf_of_order",
// whether the document is missing, another order's, internal or no PDF).
// The invoice's status says whether it matched, and its reasons name each
// line that did not. It returns the invoice.
func (s *Service) SubmitInvoice(ctx context.Context, p *auth.Principal, orderID int64, ifMatch string, in InvoiceInput) (inv *Invoice, err error) {
	defer apperr.Wrap(&err, "orders.Service.SubmitInvoice(%d)", orderID)
	return s.submitInvoice(ctx, p, orderID, ifMatch, in)
}

// SubmitInvoiceWithPDF records the supplier's invoice as SubmitInvoice
// does, with pdf, the file of the tax invoice, stored as a document of
// the order (not internal) in the invoice's transaction and named by the
// invoice's DocumentID (in's own is not asked for). A file that is not a
// PDF by its content is 422 on "file" ("invoice.document_not_pdf"), and
// an empty one or one over documents.MaxSize is refused there as the
// documents refuse it; with any refusal of the invoice or of the file,
// nothing is stored.
func (s *Service) SubmitInvoiceWithPDF(ctx context.Context, p *auth.Principal, orderID int64, ifMatch string, in InvoiceInput, pdf documents.Upload) (inv *Invoice, err error) {
	defer apperr.Wrap(&err, "orders.Service.SubmitInvoiceWithPDF(%d, %q)", orderID, pdf.Name)
	no := false
	pdf.Replaces, pdf.Internal = 0, &no
	in.DocumentID, in.pdf = nil, &pdf
	return s.submitInvoice(ctx, p, orderID, ifMatch, in)
}

// submitInvoice is SubmitInvoice, storing in.pdf with the invoice when it
// is set.
func (s *Service) submitInvoice(ctx context.Context, p *auth.Principal, orderID int64, ifMatch string, in InvoiceInput) (inv *Invoice, err error) {
	in.Number, in.Note = strings.TrimSpace(in.Number), strings.TrimSpace(in.Note)
	// The file is part of the request (its SHA-256): the same invoice sent
	// again with a file is not a repeat of the one sent without.
	var input any = in
	if in.pdf != nil {
		sum := sha256.Sum256(in.pdf.Content)
		input = struct {
			InvoiceInput
			PDF string `json:"pdf_sha256"`
		}{in, hex.EncodeToString(sum[:])}
	}
	req := request{action: ActionSubmitInvoice, ifMatch: ifMatch, input: input, check: func() error { return validate.Struct(&in) }}
	_, err = s.change(ctx, p, orderID, req, func(st *step) error {
		inv = nil
		if err := st.settled(); err != nil {
			return err
		}
		o := st.o
		t, err := st.orders.invoiceTerms(ctx, o, in.Number, in.IssuedOn)
		if err != nil {
			return err
		}
		if in.DocumentID != nil {
			switch t.document, err = st.documents.Get(ctx, *in.DocumentID); {
			case apperr.Is(err, apperr.KindNotFound):
				t.document = nil
			case err != nil:
				return err
			}
		}
		if err := in.check(st.today, o.ID, t); err != nil {
			return err
		}
		byID := map[int64]*Line{}
		for i := range o.Lines {
			byID[o.Lines[i].ID] = &o.Lines[i]
		}
		received, err := st.orders.received(ctx, o.ID)
		if err != nil {
			return err
		}
		billed, err := st.orders.invoiced(ctx, o.ID, InvoiceMatched, InvoiceApproved)
		if err != nil {
			return err
		}
		var fields []apperr.FieldError
		seen := map[int64]bool{}
		inv = &Invoice{OrderID: o.ID, SupplierID: o.SupplierID, Number: in.Number, IssuedOn: in.IssuedOn,
			Subtotal: in.Subtotal, VAT: in.VAT, Total: in.Total, AllocationNumber: in.AllocationNumber, Note: in.Note,
			SubmittedBy: p.UserID, CreatedAt: st.now, Reasons: MatchReasons{}}
		for i, l := range in.Lines {
			field := fmt.Sprintf("lines[%d].line_id", i)
			ol, ok := byID[l.LineID]
			switch {
			case !ok:
				fields = append(fields, apperr.Field(field, "order.not_order_line"))
				continue
			case seen[l.LineID]:
				fields = append(fields, apperr.Field(field, "order.line_twice"))
				continue
			}
			seen[l.LineID] = true
			inv.Lines = append(inv.Lines, InvoiceLine{LineID: l.LineID, LineNo: ol.LineNo, Name: ol.Name, Quantity: l.Quantity,
				UnitPrice: l.UnitPrice, LineTotal: money.Of(LineTotal(l.Quantity.Decimal, l.UnitPrice.Decimal))})
			left := received[l.LineID].Accepted.Sub(billed[l.LineID])
			if l.Quantity.GreaterThan(left) {
				inv.Reasons = append(inv.Reasons, MatchReason{LineID: l.LineID, LineNo: ol.LineNo, Check: MatchReceived,
					Invoiced: l.Quantity.String(), Allowed: left.String()})
			}
			if l.UnitPrice.Sub(ol.UnitPrice.Decimal).Abs().GreaterThan(t.tolerance) {
				inv.Reasons = append(inv.Reasons, MatchReason{LineID: l.LineID, LineNo: ol.LineNo, Check: MatchPrice,
					Invoiced: l.UnitPrice.String(), Allowed: ol.UnitPrice.String()})
			}
		}
		if len(fields) > 0 {
			return apperr.Invalid("invoice.invalid", fields...)
		}
		inv.Status = InvoiceMatched
		if len(inv.Reasons) > 0 {
			inv.Status = InvoiceInDispute
		}
		inv.DocumentID = in.DocumentID
		if in.pdf != nil {
			// The order is in the supplier's scope and the file was
			// checked: it is the order's document, stored with the
			// invoice or not at all.
			d, err := st.documents.Add(ctx, documents.Owner{Kind: documents.KindOrder, ID: o.ID, AuthorityID: o.AuthorityID}, *in.pdf, p)
			if err != nil {
				return err
			}
			inv.DocumentID = &d.ID
		}
		if err := st.orders.addInvoice(ctx, inv); err != nil {
			return err
		}
		if err := st.orders.touch(ctx, o, st.now); err != nil {
			return err
		}
		data := map[string]any{"invoice_id": inv.ID, "number": inv.Number, "status": inv.Status, "reasons": inv.Reasons}
		if inv.DocumentID != nil {
			data["document_id"] = *inv.DocumentID
		}
		if err := st.record(ctx, ActionSubmitInvoice, o.Status, in.Note, data); err != nil {
			return err
		}
		facts := []fact{said("order.mail.invoice", inv.Number), said("order.mail.invoice_total", money.Format(inv.Total.Decimal)),
			named("order.mail.invoice_status", "invoice_status."+inv.Status)}
		if err := st.notifyOfficer(ctx, mailInvoiceSubmitted, facts...); err != nil {
			return err
		}
		if inv.Status == InvoiceInDispute {
			return st.notifySupplier(ctx, mailInvoiceDisputed, facts...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// A repeated request is answered with the invoice it recorded: the
	// order's latest.
	if inv != nil {
		if got, err := s.stores.orders.invoice(ctx, orderID, inv.ID); err == nil {
			return got, nil
		}
	}
	return s.stores.orders.invoice(ctx, orderID, 0)
}

// ApproveInput is the body of POST /orders/{id}/invoices/{invoice}/approve.
type ApproveInput struct {
	Note string `json:"note" validate:"max=2000"`
}

// ApproveInvoice approves matched invoice invoiceID of order orderID for
// payment (the authority's officer) and mails the supplier; an invoice in
// dispute or already approved is a conflict (409). When the approval
// leaves everything received invoiced and approved, with the order
// delivered, everything delivered received (or credited) and no dispute open, the order
// closes with the numbers of its invoices as its invoice reference.
func (s *Service) ApproveInvoice(ctx context.Context, p *auth.Principal, orderID, invoiceID int64, ifMatch string, in ApproveInput) (inv *Invoice, err error) {
	defer apperr.Wrap(&err, "orders.Service.ApproveInvoice(%d, %d)", orderID, invoiceID)
	req := request{action: ActionApproveInvoice, ifMatch: ifMatch, input: map[string]any{"invoice": invoiceID, "in": in}, check: func() error {
		in.Note = strings.TrimSpace(in.Note)
		return validate.Struct(&in)
	}}
	_, err = s.change(ctx, p, orderID, req, func(st *step) error {
		if err := st.settled(); err != nil {
			return err
		}
		o := st.o
		approved, err := st.orders.approveInvoice(ctx, orderID, invoiceID, p.UserID, st.now)
		if err != nil {
			return err
		}
		to := o.Status
		done, err := st.fullyInvoiced(ctx)
		if err != nil {
			return err
		}
		data := map[string]any{"invoice_id": approved.ID, "number": approved.Number}
		if done {
			to = orderstatus.Closed
			ref, err := st.orders.closeByInvoices(ctx, o, st.now)
			if err != nil {
				return err
			}
			data["invoice_ref"] = ref
		} else if err := st.orders.touch(ctx, o, st.now); err != nil {
			return err
		}
		if err := st.record(ctx, ActionApproveInvoice, to, in.Note, data); err != nil {
			return err
		}
		return st.notifySupplier(ctx, mailInvoiceApproved, said("order.mail.invoice", approved.Number),
			named("order.mail.status", "order.mail.status."+to))
	})
	if err != nil {
		return nil, err
	}
	return s.stores.orders.invoice(ctx, orderID, invoiceID)
}

// fullyInvoiced reports whether the step's order is done with: delivered
// in full, no dispute open, everything delivered received or, where a
// receipt found it short or damaged, credited by the supplier (an
// accepted dispute), and what was received of every line (not damaged)
// invoiced and approved.
func (st *step) fullyInvoiced(ctx context.Context) (bool, error) {
	o := st.o
	if o.Status != orderstatus.Delivered {
		return false, nil
	}
	open, err := st.orders.openDisputes(ctx, o.ID)
	if err != nil || open > 0 {
		return false, err
	}
	received, err := st.orders.received(ctx, o.ID)
	if err != nil {
		return false, err
	}
	approved, err := st.orders.invoiced(ctx, o.ID, InvoiceApproved)
	if err != nil {
		return false, err
	}
	credited, err := st.orders.creditedLines(ctx, o.ID)
	if err != nil {
		return false, err
	}
	for _, l := range o.Lines {
		r := received[l.ID]
		if (r.Arrived.LessThan(l.Delivered.Decimal) && !credited[l.ID]) || !approved[l.ID].Equal(r.Accepted) {
			return false, nil
		}
	}
	return true, nil
}

// Invoices returns the invoices of order orderID with their lines, oldest
// first, if p may see the order.
func (s *Service) Invoices(ctx context.Context, p *auth.Principal, orderID int64) (out []Invoice, err error) {
	defer apperr.Wrap(&err, "orders.Service.Invoices(%d)", orderID)
	if _, err := s.Get(ctx, p, orderID); err != nil {
		return nil, err
	}
	return s.stores.orders.Invoices(ctx, orderID)
}
