package competitions_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"madaf/competitions"
)

// TestSealedUntilTheDeadline runs on the database's clock: until the
// deadline no one but the quoting winner reads a quote's prices — not the
// officer, the lead, the admin (nor in the audit trail), another winner,
// nor a direct call of the store — and after it the committee and the
// officer read them all. The deadline is passed by giving the statements
// a later time, the tests' way of moving the database's clock.
func TestSealedUntilTheDeadline(t *testing.T) {
	e := newEnvOnDatabaseClock(t)
	tn := e.mustTender("", [][]string{{"900", "500"}, {"950", "520"}, {"990", "530"}})
	c := e.mustPublished(tn, "2", "10")
	if c.Deadline == nil || !c.Deadline.After(time.Now()) || !c.Sealed {
		t.Fatalf("deadline %v sealed %t: the request should close after now", c.Deadline, c.Sealed)
	}
	e.mustQuote(c, tn, 0, "876.54", "432.10")
	e.mustQuote(c, tn, 1, "912.34", "501.23")
	secrets := []string{"876.54", "432.10", "912.34", "501.23", "6074.08", "6836.98"}
	sealed := func(who string, body string) {
		t.Helper()
		for _, s := range secrets {
			if strings.Contains(body, s) {
				t.Errorf("%s reads %s before the deadline: %s", who, s, body)
			}
		}
	}
	paths := []string{"", "/quotes", "/protocol", "/events", "/questions"}
	for _, who := range []struct {
		name string
		u    user
	}{{"the officer", e.officer}, {"the lead", e.lead}, {"the admin", e.admin}, {"the treasurer", e.treasurer}, {"another winner", tn.Users[2]}} {
		for _, p := range paths {
			r := e.do("GET", fmt.Sprintf("/api/v1/competitions/%d%s", c.ID, p), who.u, nil)
			if r.Code >= 500 {
				t.Fatalf("%s GET %s: %d %s", who.name, p, r.Code, r.Body)
			}
			sealed(who.name, r.Body.String())
		}
		r := e.do("GET", "/api/v1/competitions/report", who.u, nil)
		sealed(who.name, r.Body.String())
	}
	// Another winner sees only itself; the quotes answer says sealed.
	var list competitions.QuoteList
	r := e.do("GET", fmt.Sprintf("/api/v1/competitions/%d/quotes", c.ID), e.officer, nil)
	wantStatus(t, r, http.StatusOK)
	r.JSON(t, &list)
	if !list.Sealed || len(list.Items) != 0 {
		t.Fatalf("the officer's quotes before the deadline: %s", r.Body)
	}
	r = e.do("GET", fmt.Sprintf("/api/v1/competitions/%d/quotes", c.ID), tn.Users[1], nil)
	r.JSON(t, &list)
	if len(list.Items) != 1 || list.Items[0].SupplierID != tn.Winners[1] || list.Items[0].Total.String() != "6836.98" {
		t.Fatalf("the winner's own quote: %s", r.Body)
	}
	// Before the deadline the audit trail shows no quote at all (who quoted
	// is sealed too); what it records masks the prices.
	for _, object := range []string{"competition_quotes", "competition_quote_revisions", "competition_quote_lines"} {
		r = e.do("GET", "/api/v1/audit?object="+object, e.admin, nil)
		wantStatus(t, r, http.StatusOK)
		if !strings.Contains(r.Body.String(), `"items":[]`) {
			t.Fatalf("the admin's audit trail shows %s before the deadline: %s", object, r.Body)
		}
	}
	var masked int
	e.db.Get(&masked, `SELECT count(*) FROM audit_log WHERE object = 'competition_quote_lines' AND after->>'quoted_price' = '***'`)
	if masked == 0 {
		t.Fatal("the audit trail recorded no masked quote line")
	}
	var leaked int
	e.db.Get(&leaked, `SELECT count(*) FROM audit_log WHERE object LIKE 'competition%' AND (after::text LIKE '%876.54%' OR after::text LIKE '%6074.08%')`)
	if leaked != 0 {
		t.Fatalf("%d audit entries carry a quoted price", leaked)
	}
	// A direct call of the store, on the database's clock.
	store := competitions.NewStore(e.db)
	qs, err := store.Quotes(ctx, c.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(qs) != 0 {
		t.Fatalf("the store gave %d quotes before the deadline", len(qs))
	}
	if qs, _ := store.Quotes(ctx, c.ID, tn.Winners[0]); len(qs) != 1 || qs[0].Lines[0].UnitPrice.String() != "876.54" {
		t.Fatalf("the store's quotes of their own winner: %+v", qs)
	}

	// One second past the deadline, by the statements' clock.
	after := c.Deadline.Add(time.Second)
	late := competitions.NewStore(e.db).WithClock(func() time.Time { return after })
	if qs, _ := late.Quotes(ctx, c.ID, 0); len(qs) != 2 {
		t.Fatalf("after the deadline the store gives %d quotes", len(qs))
	}
	closer := competitions.NewService(e.db, competitions.Options{Now: func() time.Time { return after }, Orders: e.orders})
	if n, err := closer.CloseDue(ctx); err != nil || n != 1 {
		t.Fatalf("close: %d %v", n, err)
	}
	for _, who := range []user{e.officer, e.ceo, e.treasurer, e.legal} {
		p, err := closer.Protocol(ctx, who.P, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, en := range p.Entries {
			if en.Quote != nil {
				for _, l := range en.Quote.Lines {
					got = append(got, l.UnitPrice.String())
				}
			}
		}
		if strings.Join(got, " ") != "876.54 432.10 912.34 501.23" {
			t.Fatalf("user %d reads %v after the deadline", who.ID, got)
		}
		ql, err := closer.Quotes(ctx, who.P, c.ID)
		if err != nil || ql.Sealed || len(ql.Items) != 2 {
			t.Fatalf("quotes after the deadline: %+v %v", ql, err)
		}
	}
	// A winner never reads another's quote.
	ql, err := closer.Quotes(ctx, tn.Users[1].P, c.ID)
	if err != nil || len(ql.Items) != 1 || ql.Items[0].SupplierID != tn.Winners[1] {
		t.Fatalf("a winner's quotes after the deadline: %+v %v", ql, err)
	}
	if _, err := closer.Protocol(ctx, tn.Users[1].P, c.ID); webStatus(err) != http.StatusForbidden {
		t.Fatalf("a winner's protocol: %v", err)
	}
}

// TestQuestionsAndAnswers: a winner asks; the others do not see the
// question until the officer answers it; the answer reaches every invited
// winner without the asker's name; questions close a business day before
// the deadline.
func TestQuestionsAndAnswers(t *testing.T) {
	e := newEnv(t)
	tn := e.mustTender("", [][]string{{"100"}, {"110"}, {"120"}})
	c := e.mustPublished(tn, "1")
	path := fmt.Sprintf("/api/v1/competitions/%d/questions", c.ID)
	r := e.do("POST", path, tn.Users[0], map[string]any{"text": "האם ההתקנה כלולה במחיר?"})
	wantStatus(t, r, http.StatusCreated)
	var q competitions.Question
	r.JSON(t, &q)
	if !q.Mine {
		t.Fatalf("question %s", r.Body)
	}
	if len(e.mails("competition_question")) != 1 {
		t.Fatal("the officer was not told of the question")
	}
	var qs struct {
		Items []map[string]any `json:"items"`
	}
	e.do("GET", path, tn.Users[1], nil).JSON(t, &qs)
	if len(qs.Items) != 0 {
		t.Fatalf("another winner sees an unanswered question: %v", qs.Items)
	}
	wantStatus(t, e.do("POST", fmt.Sprintf("%s/%d/answer", path, q.ID), tn.Users[1], map[string]any{"text": "כן"}), http.StatusForbidden)
	r = e.do("POST", fmt.Sprintf("%s/%d/answer", path, q.ID), e.officer, map[string]any{"text": "כן, ההתקנה כלולה"})
	wantStatus(t, r, http.StatusOK)
	wantStatus(t, e.do("POST", fmt.Sprintf("%s/%d/answer", path, q.ID), e.officer, map[string]any{"text": "שוב"}), http.StatusConflict)
	r = e.do("GET", path, tn.Users[1], nil)
	r.JSON(t, &qs)
	if len(qs.Items) != 1 || qs.Items[0]["answer"] != "כן, ההתקנה כלולה" || qs.Items[0]["mine"] != false {
		t.Fatalf("the answered question: %s", r.Body)
	}
	if _, named := qs.Items[0]["supplier_id"]; named {
		t.Fatalf("the answer names its asker: %s", r.Body)
	}
	mails := e.mails("competition_answered")
	if len(mails) != 3 || !strings.Contains(mails[e.supplierEmail(tn.Winners[2])], "ההתקנה כלולה") {
		t.Fatalf("answer mails %v", mails)
	}
	for _, body := range mails {
		if strings.Contains(body, "ספק") && strings.Contains(body, e.supplierEmail(tn.Winners[0])) {
			t.Fatalf("the answer's mail names its asker: %s", body)
		}
	}
	// Thursday 12:00 the questions close.
	e.setClock(time.Date(2026, 3, 12, 12, 0, 0, 0, firstDeadline.Location()))
	r = e.do("POST", path, tn.Users[1], map[string]any{"text": "עוד שאלה"})
	wantStatus(t, r, http.StatusConflict)
	if !strings.Contains(r.Body.String(), "competition.questions_closed") {
		t.Fatalf("late question: %s", r.Body)
	}
}
