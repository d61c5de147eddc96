package volumes

import (
	"context"
	"slices"

	"github.com/lib/pq"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/money"
	"madaf/internal/orderstatus"
)

// Headline returns the headline figures p may see for year (a supplier's
// of the orders sent to it), counting the tenders that take orders on
// today.
func (s *Store) Headline(ctx context.Context, p *auth.Principal, year int, today calendar.Date) (_ *Headline, err error) {
	defer apperr.Wrap(&err, "volumes.Store.Headline(%d, %s)", year, today)
	f, err := scope(p, YearFilter(year))
	if err != nil {
		return nil, err
	}
	h := &Headline{Year: year, InHandlingByStatus: map[string]int{}}
	inHandling := orderstatus.InHandlingList()
	if f.sentOnly {
		inHandling = slices.DeleteFunc(inHandling, func(st string) bool { return st == orderstatus.PendingApproval })
	}
	for _, st := range orderstatus.InHandlingList() {
		h.InHandlingByStatus[st] = 0
	}

	args := []any{today}
	qt := `SELECT count(*) FROM tenders t
		WHERE tender_takes_orders(t.status, t.valid_from, t.valid_until, t.extended_until, $1)`
	switch {
	case f.AuthorityID != 0:
		args = append(args, f.AuthorityID)
		qt += ` AND EXISTS (SELECT 1 FROM tender_authorities ta WHERE ta.tender_id = t.id AND ta.authority_id = $2)`
	case f.SupplierID != 0:
		args = append(args, f.SupplierID)
		qt += ` AND EXISTS (SELECT 1 FROM awards a WHERE a.tender_id = t.id AND a.supplier_id = $2 AND a.status = 'active')`
	}
	if err := s.db.GetContext(ctx, &h.ActiveTenders, qt, args...); err != nil {
		return nil, err
	}

	// The set is passed rather than order_status_in_handling(status): a
	// supplier's leaves out the orders pending approval.
	args = []any{pq.Array(inHandling)}
	qs := `SELECT status, sum(order_count) AS n FROM volume_status_counts
		WHERE status = ANY($1) AND ` + f.whereIDs("", &args) + ` GROUP BY status`
	var counts []struct {
		Status string `db:"status"`
		N      int    `db:"n"`
	}
	if err := s.db.SelectContext(ctx, &counts, qs, args...); err != nil {
		return nil, err
	}
	for _, c := range counts {
		h.InHandlingByStatus[c.Status] = c.N
		h.OrdersInHandling += c.N
	}

	// The fee is the accrual's (fee_rollups: what was sent, or invoiced),
	// the amounts the committed orders'.
	args = nil
	qy := `SELECT coalesce(sum(order_count), 0) AS orders, coalesce(sum(subtotal), 0) AS subtotal,
			coalesce(sum(total), 0) AS total,
			(SELECT coalesce(sum(fee), 0) FROM fee_rollups WHERE ` + f.where("", &args) + `) AS fee,
			count(DISTINCT authority_id) FILTER (WHERE order_count > 0) AS authorities
		FROM ` + f.committedSource(&args) + ` WHERE ` + f.where("", &args)
	var y struct {
		Orders      int          `db:"orders"`
		Subtotal    money.Amount `db:"subtotal"`
		Total       money.Amount `db:"total"`
		Fee         money.Amount `db:"fee"`
		Authorities int          `db:"authorities"`
	}
	if err := s.db.GetContext(ctx, &y, qy, args...); err != nil {
		return nil, err
	}
	h.OrdersThisYear, h.Subtotal, h.Total, h.Fee, h.AuthoritiesOrdered = y.Orders, y.Subtotal, y.Total, y.Fee, y.Authorities
	return h, nil
}
