package volumes

import (
	"context"
	"slices"

	"github.com/shopspring/decimal"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/money"
)

// Fees returns the fees accrued on the committed orders sent to their
// suppliers that p may see, narrowed by f, by month, supplier and tender:
// each order counted as the fee statement counts it (fee_orders, summed in
// fee_rollups), so that a supplier's month accrues its statement's fee.
func (s *Store) Fees(ctx context.Context, p *auth.Principal, f Filter) (_ *Fees, err error) {
	defer apperr.Wrap(&err, "volumes.Store.Fees(%v)", f)
	f, err = scope(p, f)
	if err != nil {
		return nil, err
	}
	var args []any
	q := `SELECT to_char(month, 'YYYY-MM') AS month, supplier_id, tender_id, sum(order_count) AS order_count,
			sum(subtotal) AS subtotal, sum(fee) AS fee
		FROM fee_rollups WHERE ` + f.where("", &args) + `
		GROUP BY month, supplier_id, tender_id HAVING sum(order_count) > 0`
	out := &Fees{Items: []FeeRow{}}
	if err := s.db.SelectContext(ctx, &out.Items, q, args...); err != nil {
		return nil, err
	}
	var ts, ss []int64
	for _, r := range out.Items {
		ts, ss = append(ts, r.TenderID), append(ss, r.SupplierID)
	}
	n, err := s.names(ctx, p.Lang, uniq(ts), nil, uniq(ss))
	if err != nil {
		return nil, err
	}
	var sub, fee decimal.Decimal
	for i := range out.Items {
		r := &out.Items[i]
		r.SupplierName = n.Suppliers[r.SupplierID]
		r.TenderNumber, r.TenderTitle = n.Tenders[r.TenderID].Number, n.Tenders[r.TenderID].Title
		out.OrderCount += r.OrderCount
		sub, fee = sub.Add(r.Subtotal.Decimal), fee.Add(r.Fee.Decimal)
	}
	out.Subtotal, out.Fee = money.Of(sub), money.Of(fee)
	slices.SortFunc(out.Items, func(a, b FeeRow) int {
		if c := compareStrings(a.Month, b.Month); c != 0 {
			return c
		}
		if c := compareStrings(a.SupplierName, b.SupplierName); c != 0 {
			return c
		}
		return compareStrings(a.TenderNumber, b.TenderNumber)
	})
	return out, nil
}

// FeeStatement returns supplierID's fee statement for month (its first
// day), if p may see that supplier, with authority names in p's language.
// It lists the committed orders of the month that were sent to the
// supplier — never one still awaiting signatures, so that the cluster and
// the supplier read the same statement — each counted by what the
// supplier invoiced of it (its matched and approved invoices) or, before
// any invoice, by what was sent, with the order's fee percent: the basis
// fee_orders states once (migration 00940).
func (s *Store) FeeStatement(ctx context.Context, p *auth.Principal, supplierID int64, month calendar.Date) (_ *Statement, err error) {
	defer apperr.Wrap(&err, "volumes.Store.FeeStatement(%d, %s)", supplierID, month)
	if p.OrgKind != auth.OrgCluster && !(p.OrgKind == auth.OrgSupplier && p.SupplierID == supplierID) {
		return nil, apperr.NotFound("not_found.supplier")
	}
	st := &Statement{SupplierID: supplierID, Month: month.Time().Format("2006-01"), Lines: []StatementLine{}}
	const qs = `SELECT legal_name, company_number FROM suppliers WHERE id = $1`
	var sp struct {
		Name   string `db:"legal_name"`
		Number string `db:"company_number"`
	}
	if err := s.db.GetContext(ctx, &sp, qs, supplierID); err != nil {
		return nil, notFound(err, "not_found.supplier")
	}
	st.SupplierName, st.CompanyNumber = sp.Name, sp.Number
	// fee_orders is read by supplier and month (the ledger's index).
	const q = `SELECT f.order_id, f.number, f.submitted_on, f.status, f.authority_id,
			name_in($3, a.name_he, a.name_ar, a.name_en) AS authority_name,
			f.tender_id, t.number AS tender_number, f.subtotal, f.basis, f.fee_percent, f.fee
		FROM fee_orders f
		JOIN authorities a ON a.id = f.authority_id
		JOIN tenders t ON t.id = f.tender_id
		WHERE f.supplier_id = $1 AND f.month = $2
		ORDER BY f.submitted_on, f.number`
	if err := s.db.SelectContext(ctx, &st.Lines, q, supplierID, month, p.Lang); err != nil {
		return nil, err
	}
	var sub, fee decimal.Decimal
	for _, l := range st.Lines {
		sub, fee = sub.Add(l.Subtotal.Decimal), fee.Add(l.Fee.Decimal)
	}
	st.OrderCount, st.Subtotal, st.Fee = len(st.Lines), money.Of(sub), money.Of(fee)
	return st, nil
}
