package volumes

import (
	"context"
	"slices"

	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/money"
	"madaf/internal/orderstatus"
)

// Fees returns the fees accrued on the committed orders p may see (a
// supplier only those sent to it), narrowed by f, by month, supplier and
// tender.
func (s *Store) Fees(ctx context.Context, p *auth.Principal, f Filter) (_ *Fees, err error) {
	defer apperr.Wrap(&err, "volumes.Store.Fees(%v)", f)
	f, err = scope(p, f)
	if err != nil {
		return nil, err
	}
	var args []any
	q := `SELECT to_char(month, 'YYYY-MM') AS month, supplier_id, tender_id, sum(order_count) AS order_count,
			sum(subtotal) AS subtotal, sum(fee) AS fee
		FROM ` + f.committedSource(&args) + ` WHERE ` + f.where("", &args) + `
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
// any invoice, by what was sent, with the order's fee percent.
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
	// The ledger is read by supplier and month (its index); the committed
	// states are passed as a set, stated once in orderstatus.
	// A fee is the amount × the percent rounded to agorot, half away from
	// zero, as orders.Percent computes it (PostgreSQL's round of numeric).
	const q = `SELECT v.order_id, o.number, o.submitted_on, v.status, v.authority_id,
			name_in($4, a.name_he, a.name_ar, a.name_en) AS authority_name,
			v.tender_id, t.number AS tender_number, coalesce(i.subtotal, v.subtotal) AS subtotal,
			CASE WHEN i.subtotal IS NULL THEN 'sent' ELSE 'invoiced' END AS basis, o.fee_percent,
			CASE WHEN i.subtotal IS NULL THEN v.fee ELSE round(i.subtotal * o.fee_percent / 100, 2) END AS fee
		FROM volume_orders v
		JOIN orders o ON o.id = v.order_id
		JOIN authorities a ON a.id = v.authority_id
		JOIN tenders t ON t.id = v.tender_id
		LEFT JOIN LATERAL (SELECT sum(subtotal) AS subtotal FROM invoices
			WHERE order_id = v.order_id AND status IN ('matched', 'approved')) i ON true
		WHERE v.supplier_id = $1 AND v.month = $2 AND v.status = ANY($3) AND v.sent_at IS NOT NULL
		ORDER BY o.submitted_on, o.number`
	if err := s.db.SelectContext(ctx, &st.Lines, q, supplierID, month, pq.Array(orderstatus.CommittedList()), p.Lang); err != nil {
		return nil, err
	}
	var sub, fee decimal.Decimal
	for _, l := range st.Lines {
		sub, fee = sub.Add(l.Subtotal.Decimal), fee.Add(l.Fee.Decimal)
	}
	st.OrderCount, st.Subtotal, st.Fee = len(st.Lines), money.Of(sub), money.Of(fee)
	return st, nil
}
