package competitions_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"madaf/competitions"
	"madaf/internal/calendar"
	"madaf/internal/orderstatus"
	"madaf/internal/webtest"
	"madaf/orders"
)

// mustDecided runs c to a decision for its cheapest quote, the three
// members approving, and returns the decision's order.
func (e *env) mustDecided(c *competitions.Competition) *orders.Order {
	e.t.Helper()
	c, err := e.svc.Get(ctx, e.officer.P, c.ID)
	if err != nil || c.ProposalSupplierID == nil {
		e.t.Fatalf("no proposal to decide: %v", err)
	}
	var p *competitions.Protocol
	for _, u := range []user{e.ceo, e.treasurer, e.legal} {
		in := competitions.VoteInput{Vote: competitions.VoteApprove, SupplierID: *c.ProposalSupplierID}
		if p, err = e.svc.Vote(ctx, u.P, c.ID, "", in); err != nil {
			e.t.Fatalf("vote of user %d: %v", u.ID, err)
		}
	}
	if p.Competition.Status != competitions.StatusDecided || p.Competition.OrderID == nil {
		e.t.Fatalf("after three approvals: %s", p.Competition.Status)
	}
	o, err := e.orders.Get(ctx, e.officer.P, *p.Competition.OrderID)
	if err != nil {
		e.t.Fatal(err)
	}
	return o
}

// mustSent submits order o and has the treasurer and the head sign it.
func (e *env) mustSent(o *orders.Order) *orders.Order {
	e.t.Helper()
	o, err := e.orders.Submit(ctx, e.officer.P, o.ID, "")
	if err != nil {
		e.t.Fatalf("submit: %v", err)
	}
	for _, u := range []user{e.treasurer, e.head} {
		if o, err = e.orders.Sign(ctx, u.P, o.ID, "", orders.SignInput{Legal: true, BudgetLine: true, NoDeficit: true}); err != nil {
			e.t.Fatalf("sign: %v", err)
		}
	}
	if o.Status != orderstatus.Sent {
		e.t.Fatalf("order %s", o.Status)
	}
	return o
}

// TestPassToTheNextWinner: when the chosen winner does not confirm within
// the tender's window the officer passes the order to the next in the
// ranking (the unanswered order is cancelled first), and when the next
// rejects it, to the one after; each pass is recorded; past the last
// there is no one.
func TestPassToTheNextWinner(t *testing.T) {
	e := newEnv(t)
	tn := e.mustTender("", [][]string{{"100", "50"}, {"100", "50"}, {"100", "50"}})
	c := e.mustPublished(tn, "2", "10")
	e.mustQuote(c, tn, 0, "80", "40") // 560
	e.mustQuote(c, tn, 1, "90", "40") // 580
	e.mustQuote(c, tn, 2, "95", "45") // 640
	e.mustClose(firstDeadline, 1)
	first := e.mustSent(e.mustDecided(c))
	if first.SupplierID != tn.Winners[0] || first.ConfirmBy != calendar.NewDate(2026, time.March, 22) {
		t.Fatalf("first order to %d, confirm by %s", first.SupplierID, first.ConfirmBy)
	}
	_, err := e.svc.PassToNext(ctx, e.officer.P, c.ID, "", competitions.TextInput{})
	wantKey(t, err, "competition.order_answered")
	if _, err := e.svc.PassToNext(ctx, e.treasurer.P, c.ID, "", competitions.TextInput{}); webStatus(err) != http.StatusForbidden {
		t.Fatalf("the treasurer passes: %v", err)
	}

	e.setClock(time.Date(2026, 3, 23, 9, 0, 0, 0, calendar.Israel))
	got, err := e.svc.PassToNext(ctx, e.officer.P, c.ID, "", competitions.TextInput{Text: "הספק לא אישר בזמן"})
	if err != nil {
		t.Fatal(err)
	}
	if *got.ChosenSupplierID != tn.Winners[1] || *got.OrderID == first.ID {
		t.Fatalf("after the pass: chosen %d order %d", *got.ChosenSupplierID, *got.OrderID)
	}
	if o, _ := e.orders.Get(ctx, e.officer.P, first.ID); o.Status != orderstatus.Cancelled || o.CancelReason != "supplier_unavailable" {
		t.Fatalf("the unanswered order is %s (%s)", o.Status, o.CancelReason)
	}
	second, err := e.orders.Get(ctx, e.officer.P, *got.OrderID)
	if err != nil {
		t.Fatal(err)
	}
	if second.SupplierID != tn.Winners[1] || second.Lines[0].UnitPrice.String() != "90.00" || *second.CompetitionID != c.ID {
		t.Fatalf("the second order %+v", second)
	}
	second = e.mustSent(second)
	if _, err := e.orders.Reject(ctx, tn.Users[1].P, second.ID, "", orders.RejectInput{Reason: "אין מלאי"}); err != nil {
		t.Fatal(err)
	}
	got, err = e.svc.PassToNext(ctx, e.officer.P, c.ID, "", competitions.TextInput{Text: "הספק דחה"})
	if err != nil {
		t.Fatal(err)
	}
	if *got.ChosenSupplierID != tn.Winners[2] {
		t.Fatalf("after the second pass: chosen %d", *got.ChosenSupplierID)
	}
	third := e.mustSent(func() *orders.Order { o, _ := e.orders.Get(ctx, e.officer.P, *got.OrderID); return o }())
	if _, err := e.orders.Reject(ctx, tn.Users[2].P, third.ID, "", orders.RejectInput{Reason: "אין מלאי"}); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.PassToNext(ctx, e.officer.P, c.ID, "", competitions.TextInput{})
	wantKey(t, err, "competition.no_next")
	events, err := e.svc.Events(ctx, e.lead.P, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var passes []string
	for _, ev := range events {
		if ev.Action == "pass" {
			passes = append(passes, ev.Note)
		}
	}
	if strings.Join(passes, "|") != "הספק לא אישר בזמן|הספק דחה" {
		t.Fatalf("passes recorded %v", passes)
	}
}

// TestCancelBeforeTheDecision: a request is cancelled before its decision
// with a reason code, and every invited winner is told; after the decision
// it cannot be.
func TestCancelBeforeTheDecision(t *testing.T) {
	e := newEnv(t)
	tn := e.mustTender("", [][]string{{"100"}, {"110"}, {"120"}})
	c := e.mustPublished(tn, "1")
	path := fmt.Sprintf("/api/v1/competitions/%d/cancel", c.ID)
	wantStatus(t, e.do("POST", path, e.officer, map[string]any{"reason": "whim"}), http.StatusUnprocessableEntity)
	wantStatus(t, e.do("POST", path, e.officer, map[string]any{"reason": "other"}), http.StatusUnprocessableEntity)
	wantStatus(t, e.do("POST", path, tn.Users[0], map[string]any{"reason": "duplicate"}), http.StatusForbidden)
	wantStatus(t, e.do("POST", path, e.otherOfficer, map[string]any{"reason": "duplicate"}), http.StatusNotFound)
	r := e.do("POST", path, e.officer, map[string]any{"reason": "budget_change", "note": "הקיצוץ בתקציב"})
	wantStatus(t, r, http.StatusOK)
	var got competitions.Competition
	r.JSON(t, &got)
	if got.Status != competitions.StatusCancelled || got.CancelReason != "budget_change" {
		t.Fatalf("cancelled %s", r.Body)
	}
	mails := e.mails("competition_cancelled")
	if len(mails) != 3 || !strings.Contains(mails[e.supplierEmail(tn.Winners[0])], "שינוי תקציבי") {
		t.Fatalf("mails %v", mails)
	}
	wantStatus(t, e.do("POST", path, e.officer, map[string]any{"reason": "duplicate"}), http.StatusConflict)

	d := e.mustPublished(tn, "1")
	e.mustQuote(d, tn, 0, "90")
	e.mustClose(firstDeadline, 1)
	e.mustDecided(d)
	_, err := e.svc.Cancel(ctx, e.officer.P, d.ID, "", competitions.CancelInput{Reason: "duplicate"})
	wantKey(t, err, "competition.wrong_state")
}

// TestCompetitionFrom: the economic lead sets a multi-winner tender's
// competition_from and minimum period; a direct order reaching the amount
// before VAT is refused, one below it is taken, and a request on the
// tender closes no sooner than the minimum.
func TestCompetitionFrom(t *testing.T) {
	e := newEnv(t)
	tn := e.mustTender("choice", [][]string{{"100"}, {"110"}})
	path := fmt.Sprintf("/api/v1/tenders/%d/competition", tn.ID)
	body := map[string]any{"competition_from": "1000.00", "competition_min_days": 5}
	wantStatus(t, e.do("PUT", path, e.officer, body), http.StatusForbidden)
	wantStatus(t, e.do("PUT", path, e.admin, body), http.StatusForbidden)
	wantStatus(t, e.do("PUT", path, e.lead, map[string]any{"competition_from": "-1", "competition_min_days": 90}), http.StatusUnprocessableEntity)
	r := e.do("PUT", path, e.lead, body)
	wantStatus(t, r, http.StatusOK)
	if m := r.Map(t); m["competition_from"] != "1000.00" || m["competition_min_days"] != float64(5) {
		t.Fatalf("tender %s", r.Body)
	}
	order := func(qty string) webtest.Response {
		return e.do("POST", "/api/v1/orders", e.officer, map[string]any{"tender_id": tn.ID, "supplier_id": tn.Winners[0],
			"budget_line_id": e.budgetLine, "delivery_address": "רחוב הנדיב 1", "requested_date": "2026-06-30",
			"lines": []map[string]any{{"item_id": tn.Items[0], "quantity": qty}}})
	}
	wantStatus(t, order("9.99"), http.StatusCreated)
	r = order("10")
	wantStatus(t, r, http.StatusConflict)
	if !strings.Contains(r.Body.String(), "order.competition_from_reached") {
		t.Fatalf("an order of 1000.00: %s", r.Body)
	}
	c := e.mustPublished(tn, "10")
	if want := time.Date(2026, 3, 17, 12, 0, 0, 0, calendar.Israel); !c.Deadline.Equal(want) {
		t.Fatalf("deadline %v, want five business days on, %v", c.Deadline, want)
	}
}

// TestCompetitionOrderDoesNotGrow: the order a decision made keeps its
// quoted items and quantities: a change may lower a line, never raise one
// or add an item at the framework's price.
func TestCompetitionOrderDoesNotGrow(t *testing.T) {
	e := newEnv(t)
	tn := e.mustTender("", [][]string{{"100", "50"}, {"100", "50"}})
	c := e.mustPublished(tn, "2", "4")
	e.mustQuote(c, tn, 0, "80", "40") // 320
	e.mustQuote(c, tn, 1, "90", "40")
	e.mustClose(firstDeadline, 1)
	o := e.mustSent(e.mustDecided(c))
	qty := func(s string) *orders.Quantity { q := orders.Qty(s); return &q }
	// More of one line and less of the other, at the same total: still
	// more than was quoted.
	_, _, err := e.orders.ProposeChange(ctx, e.officer.P, o.ID, "", orders.ChangeInput{Reason: "החלפה",
		Lines: []orders.ChangeLineInput{{LineID: o.Lines[0].ID, Quantity: qty("3")}, {LineID: o.Lines[1].ID, Quantity: qty("2")}}})
	wantKey(t, err, "order.change.competition_order")
	_, _, err = e.orders.ProposeChange(ctx, e.officer.P, o.ID, "", orders.ChangeInput{Reason: "עוד",
		Lines: []orders.ChangeLineInput{{LineID: o.Lines[0].ID, Quantity: qty("3")}}})
	wantKey(t, err, "order.change.competition_order")
	_, _, err = e.orders.ProposeChange(ctx, e.officer.P, o.ID, "", orders.ChangeInput{Reason: "פריט נוסף",
		Lines: []orders.ChangeLineInput{{ItemID: tn.Items[1], Quantity: qty("1")}}})
	wantKey(t, err, "order.change.competition_order")
	if _, _, err := e.orders.ProposeChange(ctx, e.officer.P, o.ID, "", orders.ChangeInput{Reason: "פחות",
		Lines: []orders.ChangeLineInput{{LineID: o.Lines[0].ID, Quantity: qty("1")}}}); err != nil {
		t.Fatalf("lowering the competition's order: %v", err)
	}
}
