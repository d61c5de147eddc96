package orders_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"madaf/internal/webtest"
	"madaf/orders"
	"madaf/volumes"
)

// race runs the requests at once and returns the answers in order.
func race(e *env, reqs ...func() webtest.Response) []webtest.Response {
	out := make([]webtest.Response, len(reqs))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, req := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out[i] = req()
		}()
	}
	close(start)
	wg.Wait()
	return out
}

// submitAll submits the drafts at once and counts the answers by status.
func submitAll(t *testing.T, e *env, drafts []*orders.Order) map[int]int {
	t.Helper()
	reqs := make([]func() webtest.Response, len(drafts))
	for i, o := range drafts {
		path := fmt.Sprintf("/api/v1/orders/%d/submit", o.ID)
		reqs[i] = func() webtest.Response { return e.do("POST", path, e.officer, nil) }
	}
	codes := map[int]int{}
	for _, r := range race(e, reqs...) {
		codes[r.Code]++
		if r.Code != http.StatusOK && r.Code != http.StatusConflict {
			t.Errorf("unexpected answer %d: %s", r.Code, r.Body)
		}
	}
	return codes
}

func TestConcurrentSubmitsNeverExceedTheCeiling(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// Room for exactly ten orders of 100.00 (excl. VAT).
	tn := e.mustTender(tenderSpec{rule: "single", ceiling: "1000.00", winners: 1, prices: [][]string{{"100.00"}}})
	// The drafts are created concurrently too: their numbers have no gaps.
	drafts := make([]*orders.Order, 50)
	var wg sync.WaitGroup
	for w := 0; w < 5; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(drafts); i += 5 {
				drafts[i] = e.mustCreate(tn, 0, e.budgetLine, "1")
			}
		}()
	}
	wg.Wait()
	var numbers []string
	e.db.Select(&numbers, `SELECT number FROM orders ORDER BY number`)
	for i, n := range numbers {
		if want := fmt.Sprintf("2026-%04d", i+1); n != want {
			t.Fatalf("number %d is %s, want %s", i+1, n, want)
		}
	}
	codes := submitAll(t, e, drafts)
	if codes[http.StatusOK] != 10 || codes[http.StatusConflict] != 40 {
		t.Fatalf("answers %v, want 10 × 200 and 40 × 409", codes)
	}
	var committed string
	e.db.Get(&committed, `SELECT sum(subtotal)::text FROM orders WHERE tender_id = $1 AND status = 'pending_approval'`, tn.ID)
	if committed != "1000.00" {
		t.Fatalf("committed %s on a ceiling of 1000.00", committed)
	}
	// A refusal names the ceiling and what is left.
	var refused int64
	e.db.Get(&refused, `SELECT min(id) FROM orders WHERE tender_id = $1 AND status = 'draft'`, tn.ID)
	r := e.do("POST", fmt.Sprintf("/api/v1/orders/%d/submit", refused), e.officer, nil)
	wantStatus(t, r, http.StatusConflict)
	checks := r.Map(t)["failed_checks"].([]any)
	c := checks[0].(map[string]any)
	if len(checks) != 1 || c["check"] != "tender_ceiling" || c["remaining"] != "0.00" || c["required"] != "100.00" {
		t.Fatalf("refusal: %s", r.Body)
	}
	// The volume figures kept by the fifty concurrent transactions equal a
	// recomputation from the orders.
	var report strings.Builder
	if diffs, err := volumes.Verify(ctx, e.db, &report); err != nil || diffs != 0 {
		t.Fatalf("volumes verify: %d differences, %v\n%s", diffs, err, report.String())
	}
}

func TestConcurrentSubmitsNeverExceedTheBudgetLine(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// Each order is 100.00 + 18.00 VAT; the line has room for ten. The
	// orders are spread over five tenders without ceilings, so that only
	// the budget line's lock stands between them.
	line := e.mustBudgetLine(e.authority, 2026, "1180.00")
	var drafts []*orders.Order
	for i := 0; i < 5; i++ {
		tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00"}}})
		for j := 0; j < 10; j++ {
			drafts = append(drafts, e.mustCreate(tn, 0, line, "1"))
		}
	}
	codes := submitAll(t, e, drafts)
	if codes[http.StatusOK] != 10 || codes[http.StatusConflict] != 40 {
		t.Fatalf("answers %v, want 10 × 200 and 40 × 409", codes)
	}
	var committed string
	e.db.Get(&committed, `SELECT sum(total)::text FROM orders WHERE budget_line_id = $1 AND status = 'pending_approval'`, line)
	if committed != "1180.00" {
		t.Fatalf("committed %s on a budget line of 1180.00", committed)
	}
}

func TestConfirmRacesCancel(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00"}}})
	supplier := tn.Users[0]
	wins := map[string]int{}
	for round := 0; round < 6; round++ {
		o := e.mustSent(tn, 0, "1")
		path := fmt.Sprintf("/api/v1/orders/%d", o.ID)
		rs := race(e,
			func() webtest.Response {
				return e.do("POST", path+"/confirm", supplier, map[string]any{"promised_date": "2026-03-30"})
			},
			func() webtest.Response {
				return e.do("POST", path+"/cancel", e.officer, map[string]any{"reason": "no_longer_needed"})
			})
		var winner string
		switch {
		case rs[0].Code == http.StatusOK && rs[1].Code == http.StatusConflict:
			winner = "confirmed"
		case rs[1].Code == http.StatusOK && rs[0].Code == http.StatusConflict:
			winner = "cancelled"
		default:
			t.Fatalf("confirm %d (%s), cancel %d (%s): want one 200 and one 409", rs[0].Code, rs[0].Body, rs[1].Code, rs[1].Body)
		}
		wins[winner]++
		got, _ := e.svc.Get(ctx, e.officer.P, o.ID)
		var events int
		e.db.Get(&events, `SELECT count(*) FROM order_events WHERE order_id = $1 AND action IN ('confirm', 'cancel')`, o.ID)
		if got.Status != winner || events != 1 {
			t.Fatalf("winner %s but the order is %s with %d events", winner, got.Status, events)
		}
	}
	t.Logf("wins: %v", wins)
}

func TestTwoSignaturesAtOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00"}}})
	checks := map[string]any{"legal": true, "budget_line": true, "no_deficit": true}

	t.Run("TwoTreasurers", func(t *testing.T) {
		o := e.mustCreate(tn, 0, e.budgetLine, "1")
		if _, err := e.svc.Submit(ctx, e.officer.P, o.ID, ""); err != nil {
			t.Fatal(err)
		}
		path := fmt.Sprintf("/api/v1/orders/%d/sign", o.ID)
		rs := race(e,
			func() webtest.Response { return e.do("POST", path, e.treasurer, checks) },
			func() webtest.Response { return e.do("POST", path, e.treasurer2, checks) })
		if rs[0].Code+rs[1].Code != http.StatusOK+http.StatusConflict {
			t.Fatalf("answers %d %s / %d %s", rs[0].Code, rs[0].Body, rs[1].Code, rs[1].Body)
		}
		var n int
		e.db.Get(&n, `SELECT count(*) FROM order_signatures WHERE order_id = $1`, o.ID)
		if n != 1 {
			t.Fatalf("%d signatures", n)
		}
	})

	t.Run("SameIfMatch", func(t *testing.T) {
		o := e.mustCreate(tn, 0, e.budgetLine, "500")
		o, err := e.svc.Submit(ctx, e.officer.P, o.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		path := fmt.Sprintf("/api/v1/orders/%d/sign", o.ID)
		rs := race(e,
			func() webtest.Response { return e.do("POST", path, e.treasurer, checks, "If-Match", o.ETag()) },
			func() webtest.Response { return e.do("POST", path, e.head, map[string]any{}, "If-Match", o.ETag()) })
		if rs[0].Code+rs[1].Code != http.StatusOK+http.StatusPreconditionFailed {
			t.Fatalf("answers %d %s / %d %s", rs[0].Code, rs[0].Body, rs[1].Code, rs[1].Body)
		}
	})
}

func TestIdempotentCreate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00", "5.00"}}})
	body := e.orderBody(tn, 0, "2", "1.5")

	r1 := e.do("POST", "/api/v1/orders", e.officer, body, "Idempotency-Key", "cart-1")
	wantStatus(t, r1, http.StatusCreated)
	r2 := e.do("POST", "/api/v1/orders", e.officer, body, "Idempotency-Key", "cart-1")
	wantStatus(t, r2, http.StatusCreated)
	if r1.Map(t)["id"] != r2.Map(t)["id"] || r2.Header().Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry answered %s", r2.Body)
	}
	// The same key with another body.
	other := e.orderBody(tn, 0, "3", "1.5")
	r := e.do("POST", "/api/v1/orders", e.officer, other, "Idempotency-Key", "cart-1")
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if !strings.Contains(r.Body.String(), "Idempotency-Key") {
		t.Fatalf("422 body: %s", r.Body)
	}
	// Another user's key is its own.
	officer2 := e.mustUser("authority", e.authority, "officer")
	wantStatus(t, e.do("POST", "/api/v1/orders", officer2, body, "Idempotency-Key", "cart-1"), http.StatusCreated)

	// A refusal is the first answer too.
	bad := e.orderBody(tn, 0, "1")
	bad["budget_line_id"] = e.otherBudgetLine
	wantStatus(t, e.do("POST", "/api/v1/orders", e.officer, bad, "Idempotency-Key", "bad-1"), http.StatusUnprocessableEntity)
	r = e.do("POST", "/api/v1/orders", e.officer, bad, "Idempotency-Key", "bad-1")
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if r.Header().Get("Idempotent-Replayed") != "true" || !strings.Contains(r.Body.String(), "budget_line_id") {
		t.Fatalf("replayed refusal: %s", r.Body)
	}

	// Twenty concurrent retries of one key create one order.
	var before int
	e.db.Get(&before, `SELECT count(*) FROM orders`)
	reqs := make([]func() webtest.Response, 20)
	for i := range reqs {
		reqs[i] = func() webtest.Response {
			return e.do("POST", "/api/v1/orders", e.officer, body, "Idempotency-Key", "cart-2")
		}
	}
	ids := map[any]int{}
	for _, r := range race(e, reqs...) {
		wantStatus(t, r, http.StatusCreated)
		ids[r.Map(t)["id"]]++
	}
	var after int
	e.db.Get(&after, `SELECT count(*) FROM orders`)
	if len(ids) != 1 || after != before+1 {
		t.Fatalf("20 retries gave ids %v and %d new orders", ids, after-before)
	}
}
