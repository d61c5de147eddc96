package orders

import (
	"context"
	"database/sql"
	"errors"
)

// claimKey inserts the idempotency key (userID, key) for a request with
// hash and reports whether it was new. A concurrent insert of the same key
// blocks on its unique index until the first transaction ends.
func (s *Store) claimKey(ctx context.Context, userID int64, key string, hash []byte) (bool, error) {
	const q = `INSERT INTO idempotency_keys (user_id, key, request_hash) VALUES ($1, $2, $3)
		ON CONFLICT (user_id, key) DO NOTHING RETURNING true`
	var inserted bool
	err := s.db.GetContext(ctx, &inserted, q, userID, key, hash)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return inserted, err
}

// keepAnswer stores the first answer given for (userID, key): the order
// created (orderID, nil for a refusal) and the answer as JSON (sent as
// text, which the jsonb column parses).
func (s *Store) keepAnswer(ctx context.Context, userID int64, key string, orderID *int64, answer []byte) error {
	const q = `UPDATE idempotency_keys SET order_id = $3, answer = $4 WHERE user_id = $1 AND key = $2`
	_, err := s.db.ExecContext(ctx, q, userID, key, orderID, string(answer))
	return err
}

// keptAnswer returns the request hash and the answer stored for (userID,
// key).
func (s *Store) keptAnswer(ctx context.Context, userID int64, key string) (hash, answer []byte, err error) {
	var row struct {
		Hash   []byte `db:"request_hash"`
		Answer []byte `db:"answer"`
	}
	const q = `SELECT request_hash, answer FROM idempotency_keys WHERE user_id = $1 AND key = $2`
	if err := s.db.GetContext(ctx, &row, q, userID, key); err != nil {
		return nil, nil, err
	}
	return row.Hash, row.Answer, nil
}
