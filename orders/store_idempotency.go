package orders

import "context"

// lastEvent is an actor's latest event on an order: its action and the
// hash of the request that made it.
type lastEvent struct {
	Action string `db:"action"`
	Input  []byte `db:"input_hash"`
}

// latestEventBy returns userID's latest event on order orderID, or
// sql.ErrNoRows when there is none.
func (s *Store) latestEventBy(ctx context.Context, orderID, userID int64) (*lastEvent, error) {
	const q = `SELECT action, input_hash FROM order_events WHERE order_id = $1 AND actor_id = $2 ORDER BY id DESC LIMIT 1`
	var e lastEvent
	if err := s.db.GetContext(ctx, &e, q, orderID, userID); err != nil {
		return nil, err
	}
	return &e, nil
}
