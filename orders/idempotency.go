package orders

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/jmoiron/sqlx"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/database"
)

// Idempotency keys: the key row is inserted first, in the same transaction
// as the order. A concurrent request with the same (user, key) blocks on
// the key's unique index until the first commits, then finds the row and
// replays its answer; if the first rolls back, the second inserts the key
// and creates the order itself. Refusals (4xx) are kept too: the order's
// work is rolled back to a savepoint and the refusal stored with the key.

// storedAnswer is the first answer given for a key.
type storedAnswer struct {
	Order *Order       `json:"order,omitempty"`
	Error *storedError `json:"error,omitempty"`
}

type storedError struct {
	Kind   apperr.Kind         `json:"kind"`
	Msg    apperr.Msg          `json:"msg"`
	Fields []apperr.FieldError `json:"fields,omitempty"`
	Extra  map[string]any      `json:"extra,omitempty"`
}

func requestHash(in NewOrder) []byte {
	b, _ := json.Marshal(in)
	h := sha256.Sum256(b)
	return h[:]
}

func (s *Service) createOnce(ctx context.Context, p *auth.Principal, in NewOrder, key string) (*Order, bool, error) {
	if len(key) > 255 {
		return nil, false, apperr.Invalid("bad idempotency key", apperr.Field("Idempotency-Key", "must be at most 255 characters"))
	}
	hash := requestHash(in)
	var (
		out      *Order
		replayed bool
		refusal  error
	)
	err := database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		out, replayed, refusal = nil, false, nil
		const qKey = `INSERT INTO idempotency_keys (user_id, key, request_hash) VALUES ($1, $2, $3)
			ON CONFLICT (user_id, key) DO NOTHING RETURNING true`
		var inserted bool
		err := tx.GetContext(ctx, &inserted, qKey, p.UserID, key, hash)
		if errors.Is(err, sql.ErrNoRows) {
			replayed = true
			out, refusal, err = replay(ctx, tx, p.UserID, key, hash)
			return err
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `SAVEPOINT create_order`); err != nil {
			return err
		}
		o, err := s.create(ctx, tx, p, in)
		var answer storedAnswer
		switch {
		case err == nil:
			out, answer.Order = o, o
		case apperr.KindOf(err) == apperr.KindInternal:
			return err
		default:
			if _, err := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT create_order`); err != nil {
				return err
			}
			refusal = err
			var ae *apperr.Error
			errors.As(err, &ae)
			answer.Error = &storedError{Kind: ae.Kind, Msg: ae.Msg, Fields: ae.Fields, Extra: ae.Extra}
		}
		raw, err := json.Marshal(answer)
		if err != nil {
			return err
		}
		var orderID *int64
		if out != nil {
			orderID = &out.ID
		}
		_, err = tx.ExecContext(ctx, `UPDATE idempotency_keys SET order_id = $3, answer = $4 WHERE user_id = $1 AND key = $2`,
			p.UserID, key, orderID, raw)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return out, replayed, refusal
}

// replay returns the answer stored for (userID, key), or a 422 when the key
// was used with another request.
func replay(ctx context.Context, tx *sqlx.Tx, userID int64, key string, hash []byte) (*Order, error, error) {
	var row struct {
		Hash   []byte `db:"request_hash"`
		Answer []byte `db:"answer"`
	}
	const q = `SELECT request_hash, answer FROM idempotency_keys WHERE user_id = $1 AND key = $2`
	if err := tx.GetContext(ctx, &row, q, userID, key); err != nil {
		return nil, nil, err
	}
	if !bytes.Equal(row.Hash, hash) {
		return nil, apperr.Invalid("the Idempotency-Key was already used with a different request",
			apperr.Field("Idempotency-Key", "was already used with a different request; use a new key")), nil
	}
	var a storedAnswer
	if err := json.Unmarshal(row.Answer, &a); err != nil {
		return nil, nil, err
	}
	if a.Error != nil {
		return nil, &apperr.Error{Kind: a.Error.Kind, Msg: a.Error.Msg, Fields: a.Error.Fields, Extra: a.Error.Extra}, nil
	}
	if a.Order == nil {
		return nil, nil, errors.New("orders: idempotency key without an answer")
	}
	return a.Order, nil, nil
}
