package orders_test

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"madaf/internal/server"
	"madaf/internal/webtest"
	"madaf/orders"
)

// count runs a count(*) query.
func (e *env) count(q string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.db.Get(&n, q, args...); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	return n
}

// events counts order id's events of action.
func (e *env) events(id int64, action string) int {
	return e.count(`SELECT count(*) FROM order_events WHERE order_id = $1 AND action = $2`, id, action)
}

// TestEveryActionReplaysItsFirstAnswer: a transition, a signature and a
// creation with an Idempotency-Key are carried out once; each retry with
// the key answers the first answer again, byte for byte (its first answer
// lost to the client, which never read it); the key with another request
// is refused.
func TestEveryActionReplaysItsFirstAnswer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00"}}})
	o := e.mustCreate(tn, 0, e.budgetLine, "2")
	submit := fmt.Sprintf("/api/v1/orders/%d/submit", o.ID)

	first := e.do("POST", submit, e.officer, nil, "Idempotency-Key", "submit-1")
	wantStatus(t, first, http.StatusOK)
	again := e.do("POST", submit, e.officer, nil, "Idempotency-Key", "submit-1")
	wantStatus(t, again, http.StatusOK)
	if !bytes.Equal(first.Body.Bytes(), again.Body.Bytes()) || again.Header().Get("Idempotent-Replayed") != "true" ||
		again.Header().Get("ETag") != first.Header().Get("ETag") {
		t.Fatalf("retry answered %s (replayed %q), first %s", again.Body, again.Header().Get("Idempotent-Replayed"), first.Body)
	}
	if n := e.events(o.ID, "submit"); n != 1 {
		t.Fatalf("%d submit events", n)
	}

	sign := fmt.Sprintf("/api/v1/orders/%d/sign", o.ID)
	checks := map[string]any{"legal": true, "budget_line": true, "no_deficit": true}
	first = e.do("POST", sign, e.treasurer, checks, "Idempotency-Key", "sign-1")
	wantStatus(t, first, http.StatusOK)
	again = e.do("POST", sign, e.treasurer, checks, "Idempotency-Key", "sign-1")
	if again.Code != http.StatusOK || !bytes.Equal(first.Body.Bytes(), again.Body.Bytes()) {
		t.Fatalf("signature retry: %d %s", again.Code, again.Body)
	}
	if n := e.count(`SELECT count(*) FROM order_signatures WHERE order_id = $1`, o.ID); n != 1 {
		t.Fatalf("%d signatures", n)
	}

	// The key names one request: not another path, nor another body.
	for _, r := range []webtest.Response{
		e.do("POST", sign, e.treasurer, map[string]any{"legal": true}, "Idempotency-Key", "sign-1"),
		e.do("POST", fmt.Sprintf("/api/v1/orders/%d/return", o.ID), e.treasurer, map[string]any{"note": "x"}, "Idempotency-Key", "sign-1"),
	} {
		wantStatus(t, r, http.StatusUnprocessableEntity)
		if m := r.Map(t); m["code"] != "idempotency.key_reused" || !bytes.Contains(r.Body.Bytes(), []byte(`"field":"Idempotency-Key"`)) {
			t.Fatalf("reused key: %s", r.Body)
		}
	}
	// A key that cannot be one.
	for _, key := range []string{"two words", string(bytes.Repeat([]byte("k"), 256)), "מפתח"} {
		r := e.do("POST", sign, e.head, map[string]any{}, "Idempotency-Key", key)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		if r.Map(t)["code"] != "idempotency.bad_key" {
			t.Fatalf("key %q: %s", key, r.Body)
		}
	}
	if n := e.count(`SELECT count(*) FROM order_signatures WHERE order_id = $1`, o.ID); n != 1 {
		t.Fatalf("%d signatures after the refusals", n)
	}
}

// TestARetryWhoseAnswerWasNeverKept: the service stopped after a request's
// change committed and before its answer was kept (the key's row applied,
// without an answer, its lease ended). A retry of a transition answers the
// order as it stands; a retry of a creation answers 409
// idempotency.answer_lost; neither is carried out again. A request that
// stopped before committing anything runs again on its retry.
func TestARetryWhoseAnswerWasNeverKept(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00"}}})
	lose := func(key string) {
		t.Helper()
		const q = `UPDATE request_keys SET state = 'applied', status = NULL, headers = '{}', body = '', answered_at = NULL,
			lease = 'stopped', lease_until = now() - interval '1 second' WHERE key = $1`
		if _, err := e.db.Exec(q, key); err != nil {
			t.Fatal(err)
		}
	}

	o := e.mustCreate(tn, 0, e.budgetLine, "1")
	submit := fmt.Sprintf("/api/v1/orders/%d/submit", o.ID)
	wantStatus(t, e.do("POST", submit, e.officer, nil, "Idempotency-Key", "lost-submit"), http.StatusOK)
	lose("lost-submit")
	r := e.do("POST", submit, e.officer, nil, "Idempotency-Key", "lost-submit")
	wantStatus(t, r, http.StatusOK)
	if r.Map(t)["status"] != "pending_approval" || e.events(o.ID, "submit") != 1 {
		t.Fatalf("retry: %s, %d submit events", r.Body, e.events(o.ID, "submit"))
	}
	// That answer is the key's from now on.
	again := e.do("POST", submit, e.officer, nil, "Idempotency-Key", "lost-submit")
	if again.Header().Get("Idempotent-Replayed") != "true" || !bytes.Equal(again.Body.Bytes(), r.Body.Bytes()) {
		t.Fatalf("second retry: %s", again.Body)
	}

	body := e.orderBody(tn, 0, "3")
	wantStatus(t, e.do("POST", "/api/v1/orders", e.officer, body, "Idempotency-Key", "lost-create"), http.StatusCreated)
	before := e.count(`SELECT count(*) FROM orders`)
	lose("lost-create")
	r = e.do("POST", "/api/v1/orders", e.officer, body, "Idempotency-Key", "lost-create")
	wantStatus(t, r, http.StatusConflict)
	if r.Map(t)["code"] != "idempotency.answer_lost" || e.count(`SELECT count(*) FROM orders`) != before {
		t.Fatalf("retry of a lost creation: %s, %d orders (was %d)", r.Body, e.count(`SELECT count(*) FROM orders`), before)
	}

	// Stopped before committing: the key is running, its lease over.
	o2 := e.mustCreate(tn, 0, e.budgetLine, "1")
	submit2 := fmt.Sprintf("/api/v1/orders/%d/submit", o2.ID)
	const running = `INSERT INTO request_keys (user_id, key, method, path, lease, lease_until)
		VALUES ($1, 'stopped-early', 'POST', $2, 'stopped', now() - interval '1 second')`
	if _, err := e.db.Exec(running, e.officer.ID, submit2); err != nil {
		t.Fatal(err)
	}
	r = e.do("POST", submit2, e.officer, nil, "Idempotency-Key", "stopped-early")
	wantStatus(t, r, http.StatusOK)
	if r.Header().Get("Idempotent-Replayed") != "" || e.events(o2.ID, "submit") != 1 {
		t.Fatalf("retry of a request that changed nothing: %s", r.Body)
	}
}

// TestConcurrentRequestsWithOneKey: requests with one key sent at once are
// carried out once; the others wait and answer the same.
func TestConcurrentRequestsWithOneKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00"}}})
	o := e.mustSent(tn, 0, "2")
	confirm := fmt.Sprintf("/api/v1/orders/%d/confirm", o.ID)
	body := map[string]any{"promised_date": "2026-03-25"}
	send := func() webtest.Response {
		return e.do("POST", confirm, tn.Users[0], body, "Idempotency-Key", "confirm-once")
	}
	rs := race(e, send, send)
	for _, r := range rs {
		wantStatus(t, r, http.StatusOK)
	}
	if !bytes.Equal(rs[0].Body.Bytes(), rs[1].Body.Bytes()) {
		t.Fatalf("answers differ:\n%s\n%s", rs[0].Body, rs[1].Body)
	}
	if n := e.events(o.ID, "confirm"); n != 1 {
		t.Fatalf("%d confirm events", n)
	}
	if n := e.count(`SELECT count(*) FROM mail_outbox WHERE order_id = $1 AND kind = 'order_confirmed'`, o.ID); n != 1 {
		t.Fatalf("%d confirmation mails", n)
	}
}

// TestAKeyInUseAnswers409: while a request holds a key, another with the
// key waits for its answer and, when none comes in time, answers 409 with
// Retry-After; nothing is done.
func TestAKeyInUseAnswers409(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	base := server.New(e.db, slog.New(slog.NewTextHandler(io.Discard, nil)), server.Options{KeyWait: 100 * time.Millisecond})
	orders.Mount(base.API, e.svc)
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00"}}})
	o := e.mustCreate(tn, 0, e.budgetLine, "1")
	submit := fmt.Sprintf("/api/v1/orders/%d/submit", o.ID)
	const held = `INSERT INTO request_keys (user_id, key, method, path, lease, lease_until)
		VALUES ($1, 'held', 'POST', $2, 'another', now() + interval '1 hour')`
	if _, err := e.db.Exec(held, e.officer.ID, submit); err != nil {
		t.Fatal(err)
	}
	r := webtest.Do(base.Engine, "POST", submit, e.officer.Token, nil, "Idempotency-Key", "held")
	wantStatus(t, r, http.StatusConflict)
	if r.Map(t)["code"] != "idempotency.in_progress" || r.Header().Get("Retry-After") != "1" {
		t.Fatalf("answer %s, Retry-After %q", r.Body, r.Header().Get("Retry-After"))
	}
	if n := e.events(o.ID, "submit"); n != 0 {
		t.Fatalf("%d submit events", n)
	}
}

// TestRepeatedTransitionAnswersTheOrder: without a key, a transition the
// same caller already made with the same input (and If-Match) answers the
// order as it stands, not 409 nor 412, and changes nothing; another input,
// or another caller, is refused as before.
func TestRepeatedTransitionAnswersTheOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00"}}})
	o := e.mustCreate(tn, 0, e.budgetLine, "1")
	submit := fmt.Sprintf("/api/v1/orders/%d/submit", o.ID)
	first := e.do("POST", submit, e.officer, nil, "If-Match", o.ETag())
	wantStatus(t, first, http.StatusOK)
	again := e.do("POST", submit, e.officer, nil, "If-Match", o.ETag())
	wantStatus(t, again, http.StatusOK)
	if again.Map(t)["status"] != "pending_approval" || e.events(o.ID, "submit") != 1 {
		t.Fatalf("repeat: %s", again.Body)
	}
	officer2 := e.mustUser("authority", e.authority, "officer")
	if r := e.do("POST", submit, officer2, nil); r.Code != http.StatusConflict {
		t.Fatalf("another officer's submit: %d %s", r.Code, r.Body)
	}

	sent := e.mustSent(tn, 0, "1")
	supplier := tn.Users[0]
	confirm := fmt.Sprintf("/api/v1/orders/%d/confirm", sent.ID)
	wantStatus(t, e.do("POST", confirm, supplier, map[string]any{"promised_date": "2026-03-25"}), http.StatusOK)
	r := e.do("POST", confirm, supplier, map[string]any{"promised_date": "2026-03-25"})
	wantStatus(t, r, http.StatusOK)
	if r.Map(t)["status"] != "confirmed" || e.events(sent.ID, "confirm") != 1 {
		t.Fatalf("repeated confirmation: %s", r.Body)
	}
	if r := e.do("POST", confirm, supplier, map[string]any{"promised_date": "2026-03-26"}); r.Code != http.StatusConflict {
		t.Fatalf("a confirmation with another date: %d %s", r.Code, r.Body)
	}
}
