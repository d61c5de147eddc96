package orders_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"madaf/orders"
)

// TestCompetitionFromAtSubmission: under a multi-winner tender whose
// competition_from the order's amount before VAT reaches, the cart offers
// no direct order and a submission is refused naming the check; below it
// both go ahead.
func TestCompetitionFromAtSubmission(t *testing.T) {
	e := newEnv(t)
	tn := e.mustTender(tenderSpec{rule: "choice", winners: 2, prices: [][]string{{"100"}, {"120"}}})
	o := e.mustCreate(tn, 0, e.budgetLine, "10") // 1000.00 before VAT
	e.db.MustExec(`UPDATE tenders SET competition_from = 1000 WHERE id = $1`, tn.ID)

	q, err := e.svc.Quote(ctx, e.officer.P, tn.ID, []orders.LineInput{{ItemID: tn.Items[0], Quantity: orders.Qty("10")}})
	if err != nil {
		t.Fatal(err)
	}
	if q.DirectOrder {
		t.Fatal("the cart offers a direct order at the competition_from")
	}
	r := e.do("POST", fmt.Sprintf("/api/v1/orders/%d/submit", o.ID), e.officer, nil)
	wantStatus(t, r, http.StatusConflict)
	if !strings.Contains(r.Body.String(), `"check":"award_rule"`) || !strings.Contains(r.Body.String(), "order.check.competition_from") {
		t.Fatalf("submission at the competition_from: %s", r.Body)
	}
	q, err = e.svc.Quote(ctx, e.officer.P, tn.ID, []orders.LineInput{{ItemID: tn.Items[0], Quantity: orders.Qty("9.99")}})
	if err != nil || !q.DirectOrder {
		t.Fatalf("below the competition_from: %+v %v", q, err)
	}
	below := e.mustCreate(tn, 0, e.budgetLine, "9.99")
	if _, err := e.svc.Submit(ctx, e.officer.P, below.ID, ""); err != nil {
		t.Fatalf("a submission below the competition_from: %v", err)
	}
}

// TestChangeDoesNotSkipTheCompetition: a change may not take a direct
// order to the tender's competition_from; lowering it stays possible.
// (An order a mini-competition made: competitions' TestCompetitionOrderDoesNotGrow.)
func TestChangeDoesNotSkipTheCompetition(t *testing.T) {
	e := newEnv(t)
	tn := e.mustTender(tenderSpec{rule: "choice", winners: 2, prices: [][]string{{"100"}, {"120"}}})
	o := e.mustSentOn(tn, e.budgetLine, "9") // 900.00 before VAT
	e.db.MustExec(`UPDATE tenders SET competition_from = 1000 WHERE id = $1`, tn.ID)
	path := fmt.Sprintf("/api/v1/orders/%d/changes", o.ID)
	r := e.do("POST", path, e.officer, changeBody("more", map[string]any{"line_id": o.Lines[0].ID, "quantity": "10"}))
	wantStatus(t, r, http.StatusConflict)
	if !strings.Contains(r.Body.String(), "order.competition_from_reached") {
		t.Fatalf("a change to the competition_from: %s", r.Body)
	}
	wantStatus(t, e.do("POST", path, e.officer, changeBody("fewer", map[string]any{"line_id": o.Lines[0].ID, "quantity": "8"})), http.StatusCreated)
}
