package orders

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"

	"madaf/internal/apperr"
	"madaf/internal/auth"
)

// A retry of an order action whose first answer was lost is answered with
// the order, not refused: with an Idempotency-Key the API's middleware
// replays the first answer (internal/server); without one, or when the
// first answer was never kept, change recognises the repeat here. Each
// event of an action records a hash of the request that made it (action,
// If-Match, input as sent); a request refused as a conflict (the order is
// past the action, or the caller signed already) or as stale (its If-Match
// named the order before the action) that carries the same hash as the
// caller's latest event on the order is that action again, and answers the
// order as it stands.

// inputHash identifies request r among the requests of an action.
func inputHash(r request) []byte {
	b, _ := json.Marshal(r.input)
	h := sha256.New()
	h.Write([]byte(r.action))
	h.Write([]byte{0})
	h.Write([]byte(r.ifMatch))
	h.Write([]byte{0})
	h.Write(b)
	return h.Sum(nil)
}

// repeated returns order id as it stands, when refusal (a 409 or 412) was
// the answer to a repeat of p's latest action on it with the same input.
func (s *Service) repeated(ctx context.Context, p *auth.Principal, id int64, action string, input []byte, refusal error) (*Order, bool) {
	if !apperr.Is(refusal, apperr.KindConflict) && !apperr.Is(refusal, apperr.KindPrecondition) || p == nil || p.UserID == 0 {
		return nil, false
	}
	last, err := s.stores.orders.latestEventBy(ctx, id, p.UserID)
	if err != nil || last.Action != action || !bytes.Equal(last.Input, input) {
		return nil, false
	}
	o, err := s.stores.orders.Order(ctx, id, s.today())
	if err != nil || !inScope(p, o) {
		return nil, false
	}
	return o, true
}
