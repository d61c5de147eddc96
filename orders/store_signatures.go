package orders

import (
	"context"
	"errors"
	"time"

	"github.com/lib/pq"

	"madaf/internal/apperr"
	"madaf/internal/database"
)

// The signatures of an order's submissions and what deciding who may sign
// reads.

// signatures returns the signatures of submission of order orderID, in the
// order they were given.
func (s *Store) signatures(ctx context.Context, orderID int64, submission int) ([]Signature, error) {
	const q = `SELECT g.role, g.role AS slot, g.user_id, u.name AS user_name, g.capacity, g.delegation_id,
			g.on_behalf_of, coalesce(h.name, '') AS on_behalf_of_name, g.signed_at,
			g.check_legal, g.check_budget_line, g.check_no_deficit,
			g.budget_amount, g.budget_held, g.budget_left_before, g.budget_left_after
		FROM order_signatures g JOIN users u ON u.id = g.user_id LEFT JOIN users h ON h.id = g.on_behalf_of
		WHERE g.order_id = $1 AND g.submission = $2 ORDER BY g.id`
	out := []Signature{}
	err := s.db.SelectContext(ctx, &out, q, orderID, submission)
	return out, err
}

// addSignature records g, given at at, as a signature of o's current
// submission. A slot already signed in the submission, or a second slot by
// the same user, is a conflict.
func (s *Store) addSignature(ctx context.Context, o *Order, g *Signature, at time.Time) error {
	const q = `INSERT INTO order_signatures (order_id, submission, role, user_id, signed_at, capacity, delegation_id, on_behalf_of,
			check_legal, check_budget_line, check_no_deficit, budget_amount, budget_held, budget_left_before, budget_left_after)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`
	b := g.BudgetSeen
	_, err := s.db.ExecContext(ctx, q, o.ID, o.Submission, g.Role, g.UserID, at, g.As, g.DelegationID, g.OnBehalfOf,
		g.CheckLegal, g.CheckBudgetLine, g.CheckNoDeficit, b.Amount, b.Held, b.LeftBefore, b.LeftAfter)
	if database.IsUniqueViolation(err) {
		var pe *pq.Error
		if errors.As(err, &pe) && pe.Constraint == "order_signatures_order_id_submission_user_id_key" {
			return apperr.Conflict("order.one_slot_each")
		}
		return apperr.Conflict("order.role_signed", apperr.K("role."+g.Role))
	}
	return database.MapError(err)
}

// preparersQuery selects who created, edited or submitted order $1 in its
// current round (since it was last returned): who may not sign it.
const preparersQuery = `SELECT DISTINCT actor_id FROM order_events
		WHERE order_id = $1 AND actor_id IS NOT NULL AND action IN ('create', 'update', 'submit')
			AND id > coalesce((SELECT max(id) FROM order_events WHERE order_id = $1 AND action = 'return'), 0)`

// preparers returns the users who created, edited or submitted order
// orderID in its current round: since it was last returned to draft, or
// since it was created.
func (s *Store) preparers(ctx context.Context, orderID int64) ([]int64, error) {
	const q = preparersQuery + ` ORDER BY actor_id`
	var out []int64
	err := s.db.SelectContext(ctx, &out, q, orderID)
	return out, err
}

// awaitingSignature returns the ids of the pending orders of authority
// authorityID, oldest submission first.
func (s *Store) awaitingSignature(ctx context.Context, authorityID int64) ([]int64, error) {
	const q = `SELECT id FROM orders WHERE authority_id = $1 AND status = 'pending_approval'
		ORDER BY submitted_at, id LIMIT 500`
	var out []int64
	err := s.db.SelectContext(ctx, &out, q, authorityID)
	return out, err
}
