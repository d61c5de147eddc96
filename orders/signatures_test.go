package orders_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"madaf/internal/auth"
	"madaf/internal/page/pagetest"
	"madaf/orders"
)

// checksBody is the sign body of the treasurer's slot.
var checksBody = map[string]any{"legal": true, "budget_line": true, "no_deficit": true}

// submitted creates and submits an order of tn (winner 0) through the API
// as the officer and returns its id.
func (e *env) submitted(tn *tender, qty ...string) int64 {
	e.t.Helper()
	o := e.mustCreate(tn, 0, e.budgetLine, qty...)
	if _, err := e.svc.Submit(ctx, e.officer.P, o.ID, ""); err != nil {
		e.t.Fatalf("submit: %v", err)
	}
	return o.ID
}

// sign posts a signature of order id as u with body and returns the answer.
func (e *env) sign(id int64, u user, body map[string]any) (int, map[string]any) {
	e.t.Helper()
	r := e.do("POST", fmt.Sprintf("/api/v1/orders/%d/sign", id), u, body)
	return r.Code, r.Map(e.t)
}

// mails counts the outbox mails of kind about order id.
func (e *env) mails(id int64, kind string) int {
	var n int
	e.db.Get(&n, `SELECT count(*) FROM mail_outbox WHERE order_id = $1 AND kind = $2`, id, kind)
	return n
}

// TestOneShekelOrderNeedsBothSlots: an order of ₪1 is sent, and its
// supplier mailed, only once the treasurer and the head have both signed.
func TestOneShekelOrderNeedsBothSlots(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"0.85"}}})
	id := e.submitted(tn, "1") // 0.85 + VAT 0.15 = 1.00
	path := fmt.Sprintf("/api/v1/orders/%d", id)
	r := e.do("GET", path, e.officer, nil)
	wantStatus(t, r, http.StatusOK)
	if o := r.Map(t); o["total"] != "1.00" || fmt.Sprint(o["signatures_required"]) != "[treasurer head]" {
		t.Fatalf("submitted: total %v, signatures required %v", o["total"], o["signatures_required"])
	}

	code, o := e.sign(id, e.treasurer, checksBody)
	if code != http.StatusOK || o["status"] != "pending_approval" {
		t.Fatalf("the treasurer's signature: %d %v", code, o)
	}
	if n := e.mails(id, "order_sent"); n != 0 {
		t.Fatalf("%d mails to the supplier after one signature", n)
	}
	wantStatus(t, e.do("GET", path, tn.Users[0], nil), http.StatusNotFound)

	code, o = e.sign(id, e.head, nil)
	if code != http.StatusOK || o["status"] != "sent" {
		t.Fatalf("the head's signature: %d %v", code, o)
	}
	if n := e.mails(id, "order_sent"); n != 1 {
		t.Fatalf("%d mails to the supplier once both signed, want 1", n)
	}
	seen := func(u user) any {
		r := e.do("GET", path, u, nil)
		wantStatus(t, r, http.StatusOK)
		for _, sg := range r.Map(t)["signatures"].([]any) {
			if sg := sg.(map[string]any); sg["role"] == "treasurer" {
				return sg["budget"].(map[string]any)["amount"]
			}
		}
		t.Fatal("no treasurer signature in the order")
		return nil
	}
	// The authority sees what its treasurer saw of the budget line; the
	// supplier never sees the authority's budget.
	if got := seen(e.officer); got == nil {
		t.Error("the officer does not see the budget line the treasurer saw")
	}
	if got := seen(tn.Users[0]); got != nil {
		t.Errorf("the supplier sees the authority's budget line amount %v", got)
	}
}

// TestPreparersMayNotSign: whoever edited or submitted the order in its
// current round may not sign it, whatever roles they hold; after a return
// to draft a new round begins.
func TestPreparersMayNotSign(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	both := e.mustUser(auth.OrgAuthority, e.authority, auth.RoleOfficer, auth.RoleTreasurer)
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00"}}})

	t.Run("Editor", func(t *testing.T) {
		o := e.mustCreate(tn, 0, e.budgetLine, "1")
		wantStatus(t, e.do("PUT", fmt.Sprintf("/api/v1/orders/%d", o.ID), both, e.orderBody(tn, 0, "2")), http.StatusOK)
		if _, err := e.svc.Submit(ctx, e.officer.P, o.ID, ""); err != nil {
			t.Fatal(err)
		}
		before := e.snapshot(o.ID)
		if code, body := e.sign(o.ID, both, checksBody); code != http.StatusForbidden || body["code"] != "order.prepared_by_signer" {
			t.Fatalf("the editor signs: %d %v", code, body)
		}
		if after := e.snapshot(o.ID); after != before {
			t.Fatalf("a refused signature changed the order: %s → %s", before, after)
		}
		if code, _ := e.sign(o.ID, e.treasurer, checksBody); code != http.StatusOK {
			t.Fatalf("another treasurer signs: %d", code)
		}
	})
	t.Run("SubmitterThenANewRound", func(t *testing.T) {
		o := e.mustCreate(tn, 0, e.budgetLine, "1")
		wantStatus(t, e.do("POST", fmt.Sprintf("/api/v1/orders/%d/submit", o.ID), both, nil), http.StatusOK)
		if code, body := e.sign(o.ID, both, checksBody); code != http.StatusForbidden || body["code"] != "order.prepared_by_signer" {
			t.Fatalf("the submitter signs: %d %v", code, body)
		}
		if _, err := e.svc.Return(ctx, e.head.P, o.ID, "", orders.NoteInput{Note: "לצרף הצעת מחיר"}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Submit(ctx, e.officer.P, o.ID, ""); err != nil {
			t.Fatal(err)
		}
		if code, body := e.sign(o.ID, both, checksBody); code != http.StatusOK {
			t.Fatalf("in a round it took no part in: %d %v", code, body)
		}
	})
}

// TestOneUserFillsOneSlot: a user holding both the treasurer's and the
// head's roles signs one slot; the other is someone else's.
func TestOneUserFillsOneSlot(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	both := e.mustUser(auth.OrgAuthority, e.authority, auth.RoleTreasurer, auth.RoleHead)
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00"}}})
	id := e.submitted(tn, "1")
	if code, o := e.sign(id, both, checksBody); code != http.StatusOK || o["status"] != "pending_approval" {
		t.Fatalf("first slot: %d %v", code, o)
	}
	before := e.snapshot(id)
	for _, body := range []map[string]any{nil, {"slot": "head"}} {
		if code, p := e.sign(id, both, body); code != http.StatusConflict || p["code"] != "order.signed_already" {
			t.Fatalf("second slot (%v): %d %v", body, code, p)
		}
	}
	if after := e.snapshot(id); after != before {
		t.Fatalf("a refused signature changed the order: %s → %s", before, after)
	}
	if code, o := e.sign(id, e.head, nil); code != http.StatusOK || o["status"] != "sent" {
		t.Fatalf("the head signs the other slot: %d %v", code, o)
	}
}

// signEvents returns the data of the sign events of order id, oldest
// first, as the API shows them.
func (e *env) signEvents(id int64) []map[string]any {
	e.t.Helper()
	r := e.do("GET", fmt.Sprintf("/api/v1/orders/%d/events", id), e.officer, nil)
	wantStatus(e.t, r, http.StatusOK)
	var events struct {
		Items []struct {
			Action  string          `json:"action"`
			ActorID int64           `json:"actor_id"`
			Data    json.RawMessage `json:"data"`
		} `json:"items"`
	}
	r.JSON(e.t, &events)
	var out []map[string]any
	for _, ev := range events.Items {
		if ev.Action != "sign" {
			continue
		}
		var d map[string]any
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			e.t.Fatal(err)
		}
		d["actor_id"] = ev.ActorID
		out = append(out, d)
	}
	return out
}

// TestSignaturesShowSlotAndCapacity: the order and its events show who
// signed which slot, as its holder, and what the treasurer saw of the
// budget line.
func TestSignaturesShowSlotAndCapacity(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00"}}})
	id := e.submitted(tn, "2") // 236.00 on a line of 1,000,000.00
	e.sign(id, e.head, map[string]any{"slot": "head"})
	code, o := e.sign(id, e.treasurer, map[string]any{"slot": "treasurer", "legal": true, "budget_line": true, "no_deficit": true})
	if code != http.StatusOK {
		t.Fatalf("sign: %d %v", code, o)
	}
	sigs := o["signatures"].([]any)
	head, treasurer := sigs[0].(map[string]any), sigs[1].(map[string]any)
	if head["slot"] != "head" || head["as"] != "holder" || head["user_id"] != float64(e.head.ID) || head["on_behalf_of"] != nil {
		t.Fatalf("the head's signature: %v", head)
	}
	budget := treasurer["budget"].(map[string]any)
	if treasurer["slot"] != "treasurer" || treasurer["as"] != "holder" || budget["amount"] != "1000000.00" ||
		budget["held"] != "236.00" || budget["left_before"] != "1000000.00" || budget["left_after"] != "999764.00" {
		t.Fatalf("the treasurer's signature: %v", treasurer)
	}
	events := e.signEvents(id)
	if len(events) != 2 {
		t.Fatalf("%d sign events", len(events))
	}
	if ev := events[0]; ev["slot"] != "head" || ev["as"] != "holder" || ev["actor_id"] != e.head.ID || ev["on_behalf_of"] != nil {
		t.Fatalf("the head's event: %v", ev)
	}
	if ev := events[1]; ev["slot"] != "treasurer" || ev["as"] != "holder" || ev["actor_id"] != e.treasurer.ID ||
		ev["budget"].(map[string]any)["left_after"] != "999764.00" {
		t.Fatalf("the treasurer's event: %v", ev)
	}
	var recorded string
	e.db.Get(&recorded, `SELECT budget_amount || '/' || budget_held || '/' || budget_left_before || '/' || budget_left_after
		FROM order_signatures WHERE order_id = $1 AND role = 'treasurer'`, id)
	if recorded != "1000000.00/236.00/1000000.00/999764.00" {
		t.Fatalf("recorded %s", recorded)
	}
}

// line is a budget line's figures as the API answers them.
type line struct {
	Amount     string `json:"amount" db:"amount"`
	Held       string `json:"held" db:"held"`
	HeldOrders int    `json:"held_orders" db:"held_orders"`
	Left       string `json:"left" db:"left"`
}

// wantLineMatchesSQL fails unless the API's figures of budget line id equal
// a direct sum over its reserving orders.
func (e *env) wantLineMatchesSQL(t *testing.T, id int64, when string) line {
	t.Helper()
	r := e.do("GET", fmt.Sprintf("/api/v1/budget-lines/%d", id), e.treasurer, nil)
	wantStatus(t, r, http.StatusOK)
	var got line
	r.JSON(t, &got)
	var want line
	err := e.db.Get(&want, `SELECT b.amount::text AS amount, coalesce(sum(o.total), 0)::numeric(14,2)::text AS held,
			count(o.id) AS held_orders, (b.amount - coalesce(sum(o.total), 0))::text AS left
		FROM budget_lines b LEFT JOIN orders o ON o.budget_line_id = b.id
			AND o.status IN ('pending_approval', 'sent', 'confirmed', 'partially_delivered', 'delivered', 'closed')
		WHERE b.id = $1 GROUP BY b.id`, id)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("%s: the API says %+v, the orders sum to %+v", when, got, want)
	}
	return got
}

// TestBudgetLineFiguresFollowTheReservingOrders: what the API says a
// budget line holds and has left equals the sum over its reserving orders
// after every transition that reserves or releases, and under concurrent
// submissions.
func TestBudgetLineFiguresFollowTheReservingOrders(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00"}}})
	lineID := e.mustBudgetLine(e.authority, 2026, "5000.00")
	var drafts []*orders.Order
	for i := 0; i < 4; i++ {
		drafts = append(drafts, e.mustCreate(tn, 0, lineID, "1"))
	}
	if l := e.wantLineMatchesSQL(t, lineID, "drafts only"); l.Held != "0.00" || l.Left != "5000.00" {
		t.Fatalf("drafts hold %+v", l)
	}
	for _, o := range drafts {
		wantStatus(t, e.do("POST", fmt.Sprintf("/api/v1/orders/%d/submit", o.ID), e.officer, nil), http.StatusOK)
	}
	if l := e.wantLineMatchesSQL(t, lineID, "after four submissions"); l.Held != "472.00" || l.HeldOrders != 4 || l.Left != "4528.00" {
		t.Fatalf("after four submissions: %+v", l)
	}
	wantStatus(t, e.do("POST", fmt.Sprintf("/api/v1/orders/%d/return", drafts[0].ID), e.head, map[string]any{"note": "חסר פירוט"}), http.StatusOK)
	if l := e.wantLineMatchesSQL(t, lineID, "after a return"); l.Held != "354.00" || l.HeldOrders != 3 || l.Left != "4646.00" {
		t.Fatalf("after a return: %+v", l)
	}
	wantStatus(t, e.do("POST", fmt.Sprintf("/api/v1/orders/%d/cancel", drafts[1].ID), e.officer, map[string]any{"reason": "duplicate"}), http.StatusOK)
	if l := e.wantLineMatchesSQL(t, lineID, "after a cancellation"); l.Held != "236.00" || l.HeldOrders != 2 || l.Left != "4764.00" {
		t.Fatalf("after a cancellation: %+v", l)
	}
	e.mustSign(drafts[2], e.treasurer, e.head)
	if l := e.wantLineMatchesSQL(t, lineID, "after the signatures"); l.Held != "236.00" || l.HeldOrders != 2 {
		t.Fatalf("a sent order stops holding the line: %+v", l)
	}
	wantStatus(t, e.do("POST", fmt.Sprintf("/api/v1/orders/%d/reject", drafts[2].ID), tn.Users[0], map[string]any{"reason": "אין מלאי"}), http.StatusOK)
	if l := e.wantLineMatchesSQL(t, lineID, "after a rejection"); l.Held != "118.00" || l.HeldOrders != 1 {
		t.Fatalf("after a return, a cancellation and a rejection: %+v", l)
	}

	// Twenty concurrent submissions on a line with room for ten more.
	e.db.MustExec(`UPDATE budget_lines SET amount = 1298.00 WHERE id = $1`, lineID)
	var many []*orders.Order
	for i := 0; i < 20; i++ {
		many = append(many, e.mustCreate(tn, 0, lineID, "1"))
	}
	codes := submitAll(t, e, many)
	if codes[http.StatusOK] != 10 || codes[http.StatusConflict] != 10 {
		t.Fatalf("answers %v, want 10 × 200 and 10 × 409", codes)
	}
	if l := e.wantLineMatchesSQL(t, lineID, "after twenty concurrent submissions"); l.Left != "0.00" || l.HeldOrders != 11 {
		t.Fatalf("after the concurrent submissions: %+v", l)
	}

	// The list answers the same figures; others see none of the lines.
	r := e.do("GET", "/api/v1/budget-lines?year=2026", e.officer, nil)
	wantStatus(t, r, http.StatusOK)
	var list struct {
		Items []struct {
			ID   int64  `json:"id"`
			Left string `json:"left"`
		} `json:"items"`
	}
	r.JSON(t, &list)
	found := false
	for _, it := range list.Items {
		found = found || (it.ID == lineID && it.Left == "0.00")
	}
	if !found {
		t.Fatalf("the list lacks the line: %s", r.Body)
	}
	wantStatus(t, e.do("GET", fmt.Sprintf("/api/v1/budget-lines/%d", lineID), e.otherOfficer, nil), http.StatusNotFound)
	wantStatus(t, e.do("GET", fmt.Sprintf("/api/v1/budget-lines?authority_id=%d", e.authority), e.otherOfficer, nil), http.StatusNotFound)
	wantStatus(t, e.do("GET", fmt.Sprintf("/api/v1/budget-lines/%d", lineID), e.lead, nil), http.StatusOK)
	r = e.do("GET", "/api/v1/budget-lines", tn.Users[0], nil)
	if r.Code != http.StatusOK || strings.Contains(r.Body.String(), `"id"`) {
		t.Fatalf("a supplier's budget lines: %d %s", r.Code, r.Body)
	}
}

// getPage gets a page as u.
func (e *env) getPage(path string, u user) *pagetest.Response {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", "Bearer "+u.Token)
	return pagetest.New(e.t, e.base.Engine).Do(req)
}

// TestBudgetInViewOnThePages: the officer's form shows what each budget
// line has left and warns when the order does not fit; the signing page
// shows the line's amount, what is held, what is left before and after the
// order and the other orders awaiting signature on it; the inbox lists the
// orders awaiting the reader's slot with what their line has left.
func TestBudgetInViewOnThePages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mountPages()
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00"}}})
	lineID := e.mustBudgetLine(e.authority, 2026, "500.00")
	first := e.mustCreate(tn, 0, lineID, "1") // 118.00
	if _, err := e.svc.Submit(ctx, e.officer.P, first.ID, ""); err != nil {
		t.Fatal(err)
	}
	big := e.mustCreate(tn, 0, lineID, "4") // 472.00: does not fit in the 382.00 left

	form := e.getPage(fmt.Sprintf("/orders/%d/edit", big.ID), e.officer)
	pagetest.Expect(t, form, http.StatusOK, "נותרו ₪ 382.00 מתוך ₪ 500.00", `id="budget-misfit"`,
		"במחירי היום ההזמנה (₪ 472.00) אינה נכנסת ביתרת הסעיף התקציבי")
	small := e.mustCreate(tn, 0, lineID, "2") // 236.00
	if r := e.getPage(fmt.Sprintf("/orders/%d/edit", small.ID), e.officer); r.Contains(`id="budget-misfit"`) {
		t.Fatalf("a fitting order is warned:\n%s", r.Body)
	}
	if _, err := e.svc.Submit(ctx, e.officer.P, small.ID, ""); err != nil {
		t.Fatal(err)
	}

	show := e.getPage(fmt.Sprintf("/orders/%d", small.ID), e.treasurer)
	pagetest.Expect(t, show, http.StatusOK, `id="sign-form"`, `id="treasurer-checks"`,
		`<span class="num" id="budget-amount">₪ 500.00</span>`, `<span class="num" id="budget-held">₪ 354.00</span>`,
		`<span class="num" id="budget-left-before">₪ 382.00</span>`, `<span class="num" id="budget-left-after">₪ 146.00</span>`,
		`id="budget-others"`, fmt.Sprintf(`id="order-%d"`, first.ID))
	if strings.Contains(show.Body[strings.Index(show.Body, `id="budget-in-view"`):], fmt.Sprintf(`href="/orders/%d"`, small.ID)) {
		t.Fatalf("the order itself is listed among the others")
	}

	inbox := e.getPage("/inbox", e.head)
	pagetest.Expect(t, inbox, http.StatusOK, fmt.Sprintf(`id="order-%d"`, first.ID), fmt.Sprintf(`id="order-%d"`, small.ID),
		`<td class="num budget-left">₪ 146.00</td>`)
	if i, j := strings.Index(inbox.Body, fmt.Sprintf(`id="order-%d"`, first.ID)), strings.Index(inbox.Body, fmt.Sprintf(`id="order-%d"`, small.ID)); i > j {
		t.Fatalf("the inbox is not oldest first")
	}
	// Once the head signed, the order leaves the head's inbox, not the
	// treasurer's; the officer, who signs nothing, sees an empty inbox.
	if _, err := e.svc.Sign(ctx, e.head.P, first.ID, "", orders.SignInput{}); err != nil {
		t.Fatal(err)
	}
	if r := e.getPage("/inbox", e.head); r.Contains(fmt.Sprintf(`id="order-%d"`, first.ID)) {
		t.Fatalf("a signed order stays in the head's inbox")
	}
	pagetest.Expect(t, e.getPage("/inbox", e.treasurer), http.StatusOK, fmt.Sprintf(`id="order-%d"`, first.ID))
	pagetest.Expect(t, e.getPage("/inbox", e.officer), http.StatusOK, `class="empty"`)

	// The treasurer's signature on the page; the history shows what it saw.
	r := e.postPage(fmt.Sprintf("/orders/%d/sign", first.ID), e.treasurer, url.Values{"etag": {e.etag(first.ID)}, "slot": {"treasurer"},
		"legal": {"on"}, "budget_line": {"on"}, "no_deficit": {"on"}})
	pagetest.Expect(t, r, http.StatusSeeOther)
	pagetest.Expect(t, e.getPage(fmt.Sprintf("/orders/%d", first.ID), e.officer), http.StatusOK,
		"הסעיף התקציבי בעת החתימה: תקציב ₪ 500.00, מוחזק ₪ 354.00, יתרה לפני ההזמנה ₪ 264.00, אחריה ₪ 146.00",
		"כבעל/ת התפקיד")
}

// etag is order id's current ETag.
func (e *env) etag(id int64) string {
	o, err := e.svc.Get(ctx, e.officer.P, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return o.ETag()
}
