package authorities

import (
	"context"

	"madaf/internal/apperr"
)

// What an order reads of its authority and budget line, without scoping:
// the order is already in its reader's scope.

// Authority returns authority id without scoping (its names and signature
// threshold), or apperr not-found ("not_found.authority").
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
