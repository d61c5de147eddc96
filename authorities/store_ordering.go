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

// LockBudgetLine is BudgetLineByID with the line's row locked until the end
// of the store's transaction: the last capacity lock an order's submission
// takes, after the tender's and the participation's.
func (s *Store) LockBudgetLine(ctx context.Context, id int64) (b *BudgetLine, err error) {
	defer apperr.Wrap(&err, "authorities.Store.LockBudgetLine(%d)", id)
	const q = `SELECT ` + budgetLineColumns + ` FROM budget_lines WHERE id = $1 FOR UPDATE`
	b = &BudgetLine{}
	if err := s.db.GetContext(ctx, b, q, id); err != nil {
		return nil, notFound(err, "not_found.budget_line")
	}
	return b, nil
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

// budgetBalanceQuery reads budget lines with their balance; the caller adds
// the WHERE clause.
const budgetBalanceQuery = `SELECT ` + budgetLineColumns + `,
		coalesce(h.held, 0) AS held, coalesce(h.n, 0) AS held_orders, amount - coalesce(h.held, 0) AS balance_left
	FROM budget_lines b
	LEFT JOIN LATERAL (SELECT sum(o.total) AS held, count(*) AS n FROM orders o
		WHERE o.budget_line_id = b.id AND order_status_reserves(o.status)) h ON true`

// BudgetBalance returns budget line id with its balance, without scoping,
// or apperr not-found ("not_found.budget_line"). Inside a transaction that
// holds the line's lock (LockBudgetLine) the figures are those the next
// submission on the line will check against.
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
	const q = budgetBalanceQuery + ` WHERE ($1 = 0 OR b.authority_id = $1) AND ($2 = 0 OR b.fiscal_year = $2)
		ORDER BY b.fiscal_year DESC, b.authority_id, b.code`
	out = []BudgetBalance{}
	err = s.db.SelectContext(ctx, &out, q, authorityID, year)
	return out, err
}
