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
// and creates the order itself. Refusals (4xx) are kept too: a refusal of
// the checks comes before anything is written and is stored with the key in
// the same transaction; a refusal of the database (a constraint) aborts the
// transaction, and the key is claimed again with the refusal in another.

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
		out                   *Order
		replayed              bool
		refusal, refusedWrite error
	)
	err := database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		out, replayed, refusal, refusedWrite = nil, false, nil, nil
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
		wrote := false
		o, err := s.create(ctx, tx, p, in, func() { wrote = true })
		switch {
		case err == nil:
			out = o
		case apperr.KindOf(err) == apperr.KindInternal:
			return err
		case wrote:
			// The database refused the order's writes, which aborts the
			// transaction: the refusal is kept in a transaction of its own.
			refusedWrite = err
			return errWriteRefused
		default:
			refusal = err
		}
		return keep(ctx, store, p.UserID, key, out, refusal)
	})
	if refusedWrite != nil && errors.Is(err, errWriteRefused) {
		return s.keepRefusal(ctx, p, key, hash, refusedWrite)
	}
	if err != nil {
		return nil, false, err
	}
	return out, replayed, refusal
}

// errWriteRefused rolls back a creation whose writes the database refused.
var errWriteRefused = errors.New("orders: the database refused the order")

// keepRefusal keeps refused as the first answer for (p, key), in a
// transaction of its own, unless a request with the same key answered
// meanwhile: that answer is replayed then.
func (s *Service) keepRefusal(ctx context.Context, p *auth.Principal, key string, hash []byte, refused error) (*Order, bool, error) {
	var (
		out      *Order
		replayed bool
		refusal  error
	)
	err := database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		out, replayed, refusal = nil, false, refused
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
		return keep(ctx, store, p.UserID, key, nil, refused)
	})
	if err != nil {
		return nil, false, err
	}
	return out, replayed, refusal
}

// keep stores the first answer given for (userID, key): order o, or the
// refusal (an *apperr.Error).
func keep(ctx context.Context, store *Store, userID int64, key string, o *Order, refusal error) error {
	var answer storedAnswer
	var orderID *int64
	if o != nil {
		answer.Order, orderID = o, &o.ID
	}
	if refusal != nil {
		var ae *apperr.Error
		errors.As(refusal, &ae)
		answer.Error = &storedError{Kind: ae.Kind, Msg: ae.Msg, Fields: ae.Fields, Extra: ae.Extra}
	}
	raw, err := json.Marshal(answer)
	if err != nil {
		return err
	}
	return store.keepAnswer(ctx, userID, key, orderID, raw)
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
