package competitions_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"madaf/competitions"
	"madaf/internal/apperr"
	"madaf/internal/calendar"
	"madaf/internal/orderstatus"
)

// TestRefusedPassCancelsNothing: passing an overdue order to the next
// winner is one transaction, so a pass refused (a stale If-Match, no next
// winner) leaves the unconfirmed order as it was, sent.
func TestRefusedPassCancelsNothing(t *testing.T) {
	e := newEnv(t)
	tn := e.mustTender("", [][]string{{"100"}, {"100"}})
	c := e.mustPublished(tn, "2")
	e.mustQuote(c, tn, 0, "80")
	e.mustClose(firstDeadline, 1)
	first := e.mustSent(e.mustDecided(c))
	e.setClock(time.Date(2026, 3, 23, 9, 0, 0, 0, calendar.Israel)) // past the confirmation day
	sent := func(step string) {
		t.Helper()
		if o, err := e.orders.Get(ctx, e.officer.P, first.ID); err != nil || o.Status != orderstatus.Sent {
			t.Fatalf("%s: the order is %s (%v), want it still sent", step, o.Status, err)
		}
	}

	_, err := e.svc.PassToNext(ctx, e.officer.P, c.ID, `"c1"`, competitions.TextInput{Text: "לא אושר"})
	if webStatus(err) != http.StatusPreconditionFailed {
		t.Fatalf("a stale If-Match: %v", err)
	}
	sent("after a stale If-Match")

	_, err = e.svc.PassToNext(ctx, e.officer.P, c.ID, "", competitions.TextInput{Text: "לא אושר"})
	wantKey(t, err, "competition.no_next")
	sent("with no next winner")
	if n := e.count(`SELECT count(*) FROM order_events WHERE order_id = $1 AND action = 'cancel'`, first.ID); n != 0 {
		t.Fatalf("%d cancellations recorded", n)
	}
}

// TestVoteNamesTheProposal: a vote names the proposal it votes on, by its
// supplier or by the request's If-Match, so that a proposal changed
// meanwhile is never approved unseen.
func TestVoteNamesTheProposal(t *testing.T) {
	e := newEnv(t)
	tn := e.mustTender("", [][]string{{"100"}, {"100"}})
	c := e.mustPublished(tn, "2")
	e.mustQuote(c, tn, 0, "80")
	e.mustQuote(c, tn, 1, "90")
	e.mustClose(firstDeadline, 1)
	seen, err := e.svc.Get(ctx, e.ceo.P, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The legal adviser puts the second to the committee meanwhile.
	if _, err := e.svc.Propose(ctx, e.legal.P, c.ID, "", competitions.ProposalInput{SupplierID: tn.Winners[1], Reason: "זמינות"}); err != nil {
		t.Fatal(err)
	}
	approve := competitions.VoteInput{Vote: competitions.VoteApprove}

	_, err = e.svc.Vote(ctx, e.ceo.P, c.ID, "", approve)
	if webStatus(err) != http.StatusUnprocessableEntity || fieldKeys(err)["supplier_id"] != "competition.msg.vote_names_proposal" {
		t.Fatalf("a vote naming nothing: %v", err)
	}
	approve.SupplierID = tn.Winners[0]
	_, err = e.svc.Vote(ctx, e.ceo.P, c.ID, "", approve)
	wantKey(t, err, "competition.proposal_changed")
	if webStatus(err) != http.StatusConflict {
		t.Fatalf("status %d", webStatus(err))
	}
	approve.SupplierID = 0
	if _, err = e.svc.Vote(ctx, e.ceo.P, c.ID, seen.ETag(), approve); webStatus(err) != http.StatusPreconditionFailed {
		t.Fatalf("a vote on the ETag seen before the change: %v", err)
	}
	if n := e.count(`SELECT count(*) FROM competition_votes WHERE competition_id = $1`, c.ID); n != 0 {
		t.Fatalf("%d votes recorded", n)
	}

	now, err := e.svc.Get(ctx, e.ceo.P, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err = e.svc.Vote(ctx, e.ceo.P, c.ID, now.ETag(), approve); err != nil {
		t.Fatalf("a vote on the current ETag: %v", err)
	}
	approve.SupplierID = tn.Winners[1]
	if _, err = e.svc.Vote(ctx, e.treasurer.P, c.ID, "", approve); err != nil {
		t.Fatalf("a vote naming the proposal: %v", err)
	}

	// Over HTTP: neither is 422, the old proposal 409.
	base := fmt.Sprintf("/api/v1/competitions/%d/votes", c.ID)
	wantStatus(t, e.do("POST", base, e.legal, map[string]any{"vote": "approve"}), http.StatusUnprocessableEntity)
	wantStatus(t, e.do("POST", base, e.legal, map[string]any{"vote": "approve", "supplier_id": tn.Winners[0]}), http.StatusConflict)
	r := e.do("POST", base, e.legal, map[string]any{"vote": "approve", "supplier_id": tn.Winners[1]})
	wantStatus(t, r, http.StatusOK)
}

// TestIDsBeyondInt4: an id above 2^31 in a filter or a path is an id like
// any other: an empty list or not found, never a refused or failed query.
func TestIDsBeyondInt4(t *testing.T) {
	e := newEnv(t)
	e.db.MustExec(`SELECT setval(pg_get_serial_sequence('suppliers', 'id'), 3000000000)`)
	tn := e.mustTender("", [][]string{{"100"}})
	if tn.Winners[0] <= 1<<31 {
		t.Fatalf("winner %d", tn.Winners[0])
	}
	c := e.mustPublished(tn, "1")
	const big = "3000000000"
	for _, path := range []string{
		"/api/v1/competitions/report?tender_id=" + big,
		"/api/v1/competitions/report?authority_id=" + big,
		"/api/v1/competitions?tender_id=" + big + "&authority_id=" + big,
	} {
		r := e.do("GET", path, e.lead, nil)
		wantStatus(t, r, http.StatusOK)
		var body struct {
			Items []any `json:"items"`
			Rows  []any `json:"rows"`
		}
		r.JSON(t, &body)
		if len(body.Items)+len(body.Rows) != 0 {
			t.Fatalf("%s: %s", path, r.Body)
		}
	}
	wantStatus(t, e.do("GET", "/api/v1/competitions/"+big, e.lead, nil), http.StatusNotFound)
	wantStatus(t, e.do("GET", "/api/v1/competitions/"+big+"/questions", e.lead, nil), http.StatusNotFound)

	// A winner whose id is above 2^31 lists, asks, reads the questions and
	// quotes.
	w := tn.Users[0].P
	if _, err := e.svc.Ask(ctx, w, c.ID, competitions.TextInput{Text: "מה מועד האספקה?"}); err != nil {
		t.Fatalf("the winner asks: %v", err)
	}
	if qs, err := e.svc.Questions(ctx, w, c.ID); err != nil || len(qs) != 1 || !qs[0].Mine {
		t.Fatalf("the winner's questions: %+v %v", qs, err)
	}
	e.mustQuote(c, tn, 0, "90")
	if cs, err := e.svc.List(ctx, w, competitions.Filter{}); err != nil || len(cs) != 1 {
		t.Fatalf("the winner's list: %v %v", cs, err)
	}
}

// TestRoundNotSentIsNotFound: a winner invited to an earlier round but not
// to the current one finds no request to quote on, ask about or decline
// (404); a winner that declined the round is refused for the state (409).
func TestRoundNotSentIsNotFound(t *testing.T) {
	e := newEnv(t)
	tn := e.mustTender("", [][]string{{"100"}, {"110"}})
	c := e.mustPublished(tn, "1")
	if _, err := e.svc.Decline(ctx, tn.Users[0].P, c.ID, competitions.TextInput{Text: "אין זמינות"}); err != nil {
		t.Fatal(err)
	}
	_, err := e.svc.SubmitQuote(ctx, tn.Users[0].P, c.ID, quoteInput(c, "90"))
	wantKey(t, err, "competition.declined_already")
	e.mustClose(firstDeadline, 1) // unsuccessful: no quote
	e.db.MustExec(`UPDATE awards SET status = 'suspended' WHERE tender_id = $1 AND supplier_id = $2`, tn.ID, tn.Winners[0])
	e.setClock(firstDeadline.Add(24 * time.Hour))
	c2, err := e.svc.Publish(ctx, e.officer.P, c.ID, "", competitions.PublishInput{})
	if err != nil {
		t.Fatal(err)
	}
	w := tn.Users[0].P
	_, err = e.svc.SubmitQuote(ctx, w, c.ID, quoteInput(c2, "90"))
	if !apperr.Is(err, apperr.KindNotFound) {
		t.Fatalf("a quote on a round not sent: %v", err)
	}
	if _, err = e.svc.QuoteForm(ctx, w, c.ID); !apperr.Is(err, apperr.KindNotFound) {
		t.Fatalf("the quote form of a round not sent: %v", err)
	}
	if _, err = e.svc.Ask(ctx, w, c.ID, competitions.TextInput{Text: "שאלה"}); !apperr.Is(err, apperr.KindNotFound) {
		t.Fatalf("a question on a round not sent: %v", err)
	}
	wantStatus(t, e.do("PUT", fmt.Sprintf("/api/v1/competitions/%d/quote", c.ID), tn.Users[0], quoteInput(c2, "90")), http.StatusNotFound)
}
