package orders

import (
	"context"

	"madaf/authorities"
	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/money"
	"madaf/internal/orderstatus"
)

// BudgetLines returns the budget lines p may see with their balances (what
// the reserving orders hold, their count, what is left, read from each
// line's capacity_holds row): an authority
// user's authority's, the cluster's of authorityID or of every authority
// when 0; of fiscal year year, or every year when 0. Another authority's
// lines are not found; a supplier sees none.
func (s *Service) BudgetLines(ctx context.Context, p *auth.Principal, authorityID int64, year int) (out []authorities.BudgetBalance, err error) {
	defer apperr.Wrap(&err, "orders.Service.BudgetLines(%d, %d)", authorityID, year)
	switch p.OrgKind {
	case auth.OrgCluster:
	case auth.OrgAuthority:
		if authorityID != 0 && authorityID != p.AuthorityID {
			return nil, apperr.NotFound("not_found.authority")
		}
		authorityID = p.AuthorityID
	default:
		return []authorities.BudgetBalance{}, nil
	}
	return s.stores.orders.budgetBalances(ctx, authorityID, year)
}

// BudgetLine returns budget line id with its balance, or not-found when p
// may not see it.
func (s *Service) BudgetLine(ctx context.Context, p *auth.Principal, id int64) (b *authorities.BudgetBalance, err error) {
	defer apperr.Wrap(&err, "orders.Service.BudgetLine(%d)", id)
	b, err = s.stores.orders.budgetBalance(ctx, id)
	if err != nil {
		return nil, err
	}
	if !p.IsCluster() && (p.OrgKind != auth.OrgAuthority || p.AuthorityID != b.AuthorityID) {
		return nil, apperr.NotFound("not_found.budget_line")
	}
	return b, nil
}

// BudgetView is an order's budget line as its signers see it: the line's
// balance, what is left before and after the order (for a reserving order,
// which the balance already holds), and the other pending orders holding
// the line.
type BudgetView struct {
	Line       *authorities.BudgetBalance
	LeftBefore money.Amount
	LeftAfter  money.Amount
	// Fits is false when the order's total is more than is left before it.
	Fits   bool
	Others []Order
}

// BudgetOf returns the view of order o's budget line for p (who may see o).
func (s *Service) BudgetOf(ctx context.Context, p *auth.Principal, o *Order) (v *BudgetView, err error) {
	defer apperr.Wrap(&err, "orders.Service.BudgetOf(%d)", o.ID)
	b, err := s.stores.orders.budgetBalance(ctx, o.BudgetLineID)
	if err != nil {
		return nil, err
	}
	v = &BudgetView{Line: b}
	v.LeftBefore.Decimal = b.Left.Decimal
	if orderstatus.Reserves(o.Status) {
		v.LeftBefore.Decimal = b.Left.Add(o.Total.Decimal)
	}
	v.LeftAfter.Decimal = v.LeftBefore.Sub(o.Total.Decimal)
	v.Fits = !v.LeftAfter.IsNegative()
	pending, err := s.stores.orders.Orders(ctx, p, Filter{Statuses: []string{orderstatus.PendingApproval}, BudgetLineID: o.BudgetLineID, Limit: 200}, s.today())
	if err != nil {
		return nil, err
	}
	v.Others = []Order{}
	for _, other := range pending {
		if other.ID != o.ID {
			v.Others = append(v.Others, other)
		}
	}
	return v, nil
}
