package orders_test

import (
	"net/http"
	"testing"
)

// TestIdempotentCreateKeepsTheDatabaseRefusal: an order that passes the
// checks but that the database refuses (its line total does not fit the
// column) answers 422, creates nothing, and a retry with the same key gets
// the same answer again, replayed.
func TestIdempotentCreateKeepsTheDatabaseRefusal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"99999999.99"}}})
	body := e.orderBody(tn, 0, "1000000")
	first := e.do("POST", "/api/v1/orders", e.officer, body, "Idempotency-Key", "too-big")
	wantStatus(t, first, http.StatusUnprocessableEntity)
	if first.Map(t)["code"] != "error.out_of_range" {
		t.Fatalf("first answer %s", first.Body)
	}
	again := e.do("POST", "/api/v1/orders", e.officer, body, "Idempotency-Key", "too-big")
	wantStatus(t, again, http.StatusUnprocessableEntity)
	if again.Header().Get("Idempotent-Replayed") != "true" || again.Map(t)["code"] != first.Map(t)["code"] {
		t.Fatalf("first %s, retry %s (replayed %q)", first.Body, again.Body, again.Header().Get("Idempotent-Replayed"))
	}
	var orders, keys int
	e.db.Get(&orders, `SELECT count(*) FROM orders`)
	e.db.Get(&keys, `SELECT count(*) FROM request_keys WHERE key = 'too-big' AND state = 'answered' AND status = 422`)
	if orders != 0 || keys != 1 {
		t.Fatalf("%d orders and %d kept answers", orders, keys)
	}
}
