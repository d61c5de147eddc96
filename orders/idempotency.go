package orders

import (
	"bytes"
	"context"
	"crypto/sha256"
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
		return nil, false, apperr.Invalid("order.bad_idempotency_key", apperr.Field("Idempotency-Key", "msg.max_len", 255))
	}
	hash := requestHash(in)
	var (
		out      *Order
		replayed bool
		refusal  error
	)
	err := database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		out, replayed, refusal = nil, false, nil
		store := s.stores.orders.InTx(tx)
		inserted, err := store.claimKey(ctx, p.UserID, key, hash)
		if err != nil {
			return err
		}
		if !inserted {
			replayed = true
			out, refusal, err = replay(ctx, store, p.UserID, key, hash)
			return err
		}
		if err := store.beforeCreate(ctx); err != nil {
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
			if err := store.undoCreate(ctx); err != nil {
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
		return store.keepAnswer(ctx, p.UserID, key, orderID, raw)
	})
	if err != nil {
		return nil, false, err
	}
	return out, replayed, refusal
}

// replay returns the answer stored for (userID, key), or a 422 when the key
// was used with another request.
func replay(ctx context.Context, store *Store, userID int64, key string, hash []byte) (*Order, error, error) {
	kept, answer, err := store.keptAnswer(ctx, userID, key)
	if err != nil {
		return nil, nil, err
	}
	if !bytes.Equal(kept, hash) {
		return nil, apperr.Invalid("order.idempotency_reused", apperr.Field("Idempotency-Key", "order.idempotency_key_reused")), nil
	}
	var a storedAnswer
	if err := json.Unmarshal(answer, &a); err != nil {
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
