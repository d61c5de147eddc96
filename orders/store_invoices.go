package orders

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"madaf/internal/apperr"
	"madaf/internal/calendar"
	"madaf/internal/database"
)

// invoiceTerms reads what checking an invoice of order o numbered number
// and issued on day needs: the VAT rate in force on the day, the
// authority's allocation requirement and price tolerance, and whether the
// supplier already has an invoice of that number.
func (s *Store) invoiceTerms(ctx context.Context, o *Order, number string, day calendar.Date) (invoiceTerms, error) {
	const q = `SELECT ` + vatRateSQL + ` AS vat_rate, a.requires_allocation_number, a.invoice_price_tolerance,
			EXISTS (SELECT 1 FROM invoices i WHERE i.supplier_id = $3 AND i.number = $4) AS number_taken
		FROM authorities a WHERE a.id = $2`
	var r struct {
		VATRate     decimal.NullDecimal `db:"vat_rate"`
		Requires    bool                `db:"requires_allocation_number"`
		Tolerance   decimal.Decimal     `db:"invoice_price_tolerance"`
		NumberTaken bool                `db:"number_taken"`
	}
	if day.IsZero() {
		day = calendar.NewDate(1900, time.January, 1)
	}
	if err := s.db.GetContext(ctx, &r, q, day, o.AuthorityID, o.SupplierID, number); err != nil {
		return invoiceTerms{}, database.MapError(err)
	}
	return invoiceTerms{vatRate: r.VATRate.Decimal, vatKnown: r.VATRate.Valid, requires: r.Requires,
		tolerance: r.Tolerance, numberTaken: r.NumberTaken}, nil
}

// invoiced returns what the invoices of order orderID in statuses bill of
// each line, by line id.
func (s *Store) invoiced(ctx context.Context, orderID int64, statuses ...string) (map[int64]decimal.Decimal, error) {
	const q = `SELECT il.line_id, sum(il.quantity) AS quantity
		FROM invoice_lines il JOIN invoices i ON i.id = il.invoice_id
		WHERE i.order_id = $1 AND i.status = ANY ($2) GROUP BY il.line_id`
	var rows []struct {
		LineID   int64           `db:"line_id"`
		Quantity decimal.Decimal `db:"quantity"`
	}
	if err := s.db.SelectContext(ctx, &rows, q, orderID, pq.Array(statuses)); err != nil {
		return nil, database.MapError(err)
	}
	out := make(map[int64]decimal.Decimal, len(rows))
	for _, r := range rows {
		out[r.LineID] = r.Quantity
	}
	return out, nil
}

// addInvoice inserts inv and its lines, setting inv.ID; a number the
// supplier already used is a conflict ("invoice.number_taken"). The
// database refuses a DocumentID that is no document of inv's order
// (invoices_document_fkey), and one another invoice has (an invalid
// "document_id").
func (s *Store) addInvoice(ctx context.Context, inv *Invoice) error {
	reasons, err := json.Marshal(inv.Reasons)
	if err != nil {
		return err
	}
	const q = `INSERT INTO invoices (order_id, supplier_id, number, issued_on, subtotal, vat, total, allocation_number,
			status, reasons, note, submitted_by, created_at, document_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`
	err = s.db.GetContext(ctx, &inv.ID, q, inv.OrderID, inv.SupplierID, inv.Number, inv.IssuedOn, inv.Subtotal.Decimal,
		inv.VAT.Decimal, inv.Total.Decimal, inv.AllocationNumber, inv.Status, string(reasons), inv.Note, inv.SubmittedBy, inv.CreatedAt,
		inv.DocumentID)
	if pqErr, ok := errors.AsType[*pq.Error](err); ok && pqErr.Constraint == "invoices_document" {
		return apperr.Invalid("invoice.invalid", apperr.Field("document_id", "invoice.document_used"))
	}
	if err = database.MapError(err); apperr.Is(err, apperr.KindConflict) {
		return apperr.Conflict("invoice.number_taken")
	} else if err != nil {
		return err
	}
	const ql = `INSERT INTO invoice_lines (invoice_id, line_id, quantity, unit_price, line_total)
		SELECT $1, * FROM unnest($2::bigint[], $3::numeric[], $4::numeric[], $5::numeric[])`
	n := len(inv.Lines)
	ids, qty, prices, totals := make([]int64, n), make([]string, n), make([]string, n), make([]string, n)
	for i, l := range inv.Lines {
		ids[i], qty[i], prices[i], totals[i] = l.LineID, l.Quantity.String(), l.UnitPrice.String(), l.LineTotal.String()
	}
	_, err = s.db.ExecContext(ctx, ql, inv.ID, pq.Array(ids), pq.Array(qty), pq.Array(prices), pq.Array(totals))
	return database.MapError(err)
}

const invoiceColumns = `id, order_id, supplier_id, number, issued_on, subtotal, vat, total, allocation_number, status,
	reasons, note, submitted_by, created_at, approved_by, approved_at, document_id`

// approveInvoice approves matched invoice invoiceID of order orderID:
// not-found when the order has no such invoice, a conflict
// ("invoice.not_matched") when it is not matched.
func (s *Store) approveInvoice(ctx context.Context, orderID, invoiceID, by int64, at time.Time) (*Invoice, error) {
	const q = `UPDATE invoices SET status = 'approved', approved_by = $3, approved_at = $4
		WHERE id = $1 AND order_id = $2 AND status = 'matched' RETURNING ` + invoiceColumns
	inv := &Invoice{}
	err := s.db.GetContext(ctx, inv, q, invoiceID, orderID, by, at)
	if errors.Is(err, sql.ErrNoRows) {
		cur, err := s.invoice(ctx, orderID, invoiceID)
		if err != nil {
			return nil, err
		}
		e := apperr.Conflict("invoice.not_matched", apperr.K("invoice_status."+cur.Status))
		e.Extra = map[string]any{"status": cur.Status}
		return nil, e
	}
	return inv, database.MapError(err)
}

// closeByInvoices closes delivered order o once its invoices are approved,
// with their numbers as its invoice reference, which it returns.
func (s *Store) closeByInvoices(ctx context.Context, o *Order, at time.Time) (string, error) {
	const q = `UPDATE orders SET status = 'closed', closed_at = $3, version = version + 1, updated_at = $3,
			invoice_ref = left((SELECT string_agg(number, ', ' ORDER BY id) FROM invoices WHERE order_id = $1 AND status = 'approved'), 200)
		WHERE id = $1 AND status = $2 RETURNING invoice_ref`
	var ref string
	err := s.db.GetContext(ctx, &ref, q, o.ID, o.Status, at)
	if errors.Is(err, sql.ErrNoRows) {
		return "", apperr.Conflict("order.changed")
	}
	return ref, database.MapError(err)
}

// Invoices returns the invoices of order orderID with their lines, oldest
// first.
func (s *Store) Invoices(ctx context.Context, orderID int64) (out []Invoice, err error) {
	defer apperr.Wrap(&err, "orders.Store.Invoices(%d)", orderID)
	return s.invoices(ctx, orderID, 0)
}

// invoices returns the invoices of order orderID (only invoice id when id
// is not 0), oldest first, with their lines.
func (s *Store) invoices(ctx context.Context, orderID, id int64) ([]Invoice, error) {
	const q = `SELECT ` + invoiceColumns + ` FROM invoices WHERE order_id = $1 AND ($2::bigint = 0 OR id = $2) ORDER BY id`
	out := []Invoice{}
	if err := s.db.SelectContext(ctx, &out, q, orderID, id); err != nil {
		return nil, database.MapError(err)
	}
	const ql = `SELECT il.invoice_id, il.line_id, l.line_no, l.name, il.quantity, il.unit_price, il.line_total
		FROM invoice_lines il JOIN order_lines l ON l.id = il.line_id JOIN invoices i ON i.id = il.invoice_id
		WHERE i.order_id = $1 ORDER BY il.invoice_id, l.line_no`
	var lines []InvoiceLine
	if err := s.db.SelectContext(ctx, &lines, ql, orderID); err != nil {
		return nil, database.MapError(err)
	}
	for i := range out {
		out[i].Lines = []InvoiceLine{}
		for _, l := range lines {
			if l.InvoiceID == out[i].ID {
				out[i].Lines = append(out[i].Lines, l)
			}
		}
	}
	return out, nil
}

// invoice returns invoice id of order orderID, or its latest when id is 0
// or was not recorded; not-found ("not_found.invoice") when none.
func (s *Store) invoice(ctx context.Context, orderID, id int64) (*Invoice, error) {
	out, err := s.invoices(ctx, orderID, id)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, apperr.NotFound("not_found.invoice")
	}
	return &out[len(out)-1], nil
}
