package authorities

import (
	"context"

	"madaf/internal/apperr"
	"madaf/internal/money"
)

// What an order reads of its authority and budget line, without scoping:
// the order is already in its reader's scope.

// Authority returns authority id without scoping (its names, for the
// order's mails), or apperr not-found ("not_found.authority").
func (s *Store) Authority(ctx context.Context, id int64) (a *Authority, err error) {
	defer apperr.Wrap(&err, "authorities.Store.Authority(%d)", id)
	const q = `SELECT ` + authorityColumns + ` FROM authorities WHERE id = $1`
	a = &Authority{}
	if err := s.db.GetContext(ctx, a, q, id); err != nil {
		return nil, notFound(err, "not_found.authority")
	}
	return a, nil
}

// BudgetBalance is a budget line with what the reserving orders
// (order_status_reserves) hold on it — the sum of their totals incl. VAT
// and their count — and what is left of its amount.
type BudgetBalance struct {
	BudgetLine
	Held       money.Amount `db:"held" json:"held"`
	HeldOrders int          `db:"held_orders" json:"held_orders"`
	Left       money.Amount `db:"balance_left" json:"left"`
}

// budgetBalanceQuery reads budget lines with their balance, what the
// reserving orders hold as the line's capacity_holds row keeps it; the
// caller adds the WHERE clause.
const budgetBalanceQuery = `SELECT b.*,
		coalesce(h.total, 0) AS held, coalesce(h.orders, 0) AS held_orders, b.amount - coalesce(h.total, 0) AS balance_left
	FROM (SELECT ` + budgetLineColumns + ` FROM budget_lines) b
	LEFT JOIN capacity_holds h ON h.kind = 'budget_line' AND h.id = b.id AND h.authority_id = 0`

// BudgetBalance returns budget line id with its balance, without scoping,
// or apperr not-found ("not_found.budget_line"). Inside a transaction that
// holds the line's capacity lock (see orders' submission) the figures are
// those the next submission on the line will check against.
func (s *Store) BudgetBalance(ctx context.Context, id int64) (b *BudgetBalance, err error) {
	defer apperr.Wrap(&err, "authorities.Store.BudgetBalance(%d)", id)
	const q = budgetBalanceQuery + ` WHERE b.id = $1`
	b = &BudgetBalance{}
	if err := s.db.GetContext(ctx, b, q, id); err != nil {
		return nil, notFound(err, "not_found.budget_line")
	}
	return b, nil
}

// BudgetBalances lists the budget lines of authority authorityID (of every
// authority when 0) of fiscal year year (of every year when 0) with their
// balances, without scoping: newest year first, then by authority and code.
func (s *Store) BudgetBalances(ctx context.Context, authorityID int64, year int) (out []BudgetBalance, err error) {
	defer apperr.Wrap(&err, "authorities.Store.BudgetBalances(%d, %d)", authorityID, year)
	const q = budgetBalanceQuery + ` WHERE ($1::bigint = 0 OR b.authority_id = $1) AND ($2 = 0 OR b.fiscal_year = $2)
		ORDER BY b.fiscal_year DESC, b.authority_id, b.code`
	out = []BudgetBalance{}
	err = s.db.SelectContext(ctx, &out, q, authorityID, year)
	return out, err
}
