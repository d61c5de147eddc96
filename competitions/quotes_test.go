package competitions_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"madaf/competitions"
	"madaf/internal/calendar"
	"madaf/suppliers"
)

// TestQuoteAtTheDeadline: a quote at the deadline's last second is taken
// and one a second later is refused, by the clock the statements read;
// the database itself refuses a revision at the deadline.
func TestQuoteAtTheDeadline(t *testing.T) {
	e := newEnv(t)
	tn := e.mustTender("", [][]string{{"100", "50"}, {"110", "55"}})
	c := e.mustPublished(tn, "2", "10")

	e.setClock(firstDeadline.Add(-time.Second))
	if _, err := e.svc.SubmitQuote(ctx, tn.Users[0].P, c.ID, quoteInput(c, "95", "50")); err != nil {
		t.Fatalf("at 11:59:59: %v", err)
	}
	e.setClock(firstDeadline)
	_, err := e.svc.SubmitQuote(ctx, tn.Users[1].P, c.ID, quoteInput(c, "100", "50"))
	wantKey(t, err, "competition.deadline_passed")
	if webStatus(err) != http.StatusConflict {
		t.Fatalf("status %d", webStatus(err))
	}
	// Over HTTP, whatever the client says.
	r := e.do("PUT", fmt.Sprintf("/api/v1/competitions/%d/quote", c.ID), tn.Users[1],
		map[string]any{"lines": []map[string]any{{"item_id": tn.Items[0], "unit_price": "100"}, {"item_id": tn.Items[1], "unit_price": "50"}}},
		"Date", "Sun, 15 Mar 2026 09:00:00 GMT")
	wantStatus(t, r, http.StatusConflict)
	if n := e.count(`SELECT count(*) FROM competition_quote_revisions r JOIN competition_quotes q ON q.id = r.quote_id WHERE q.competition_id = $1`, c.ID); n != 1 {
		t.Fatalf("%d revisions, want the one before the deadline", n)
	}
	// The database refuses a revision at the deadline, whatever the
	// statement that inserts it.
	var quote int64
	e.db.Get(&quote, `SELECT id FROM competition_quotes WHERE competition_id = $1`, c.ID)
	_, err = e.db.Exec(`INSERT INTO competition_quote_revisions (quote_id, revision, submitted_at, quoted_total) VALUES ($1, 9, $2, 1)`,
		quote, firstDeadline)
	if err == nil || !strings.Contains(err.Error(), "competition.deadline_passed") {
		t.Fatalf("a revision at the deadline inserted directly: %v", err)
	}
}

// TestQuoteAboveCap: a price above the winner's framework price in force
// is refused per line (422), naming the line and the cap; nothing is
// stored. The database holds the cap too.
func TestQuoteAboveCap(t *testing.T) {
	e := newEnv(t)
	tn := e.mustTender("", [][]string{{"100", "50", "30"}, {"110", "55", "33"}})
	// A later price of winner 0 for item 2 is the one in force.
	e.db.MustExec(`INSERT INTO award_prices (award_id, item_id, price, valid_from, reason)
		SELECT a.id, $3, 45, '2026-01-01', 'price_update' FROM awards a WHERE a.tender_id = $1 AND a.supplier_id = $2`,
		tn.ID, tn.Winners[0], tn.Items[1])
	c := e.mustPublished(tn, "2", "10", "1")
	r := e.do("PUT", fmt.Sprintf("/api/v1/competitions/%d/quote", c.ID), tn.Users[0], map[string]any{"lines": []map[string]any{
		{"item_id": tn.Items[0], "unit_price": "100.00"}, {"item_id": tn.Items[1], "unit_price": "46.00"}, {"item_id": tn.Items[2], "unit_price": "30.01"}}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	var problem struct {
		Errors []struct {
			Field, Code, Message string
		} `json:"errors"`
	}
	r.JSON(t, &problem)
	if len(problem.Errors) != 2 {
		t.Fatalf("errors %s", r.Body)
	}
	for i, want := range []struct{ field, text string }{
		{"lines[1].unit_price", "line 2 (SKU-2): above the framework price of ₪ 45.00"},
		{"lines[2].unit_price", "line 3 (SKU-3): above the framework price of ₪ 30.00"},
	} {
		if got := problem.Errors[i]; got.Field != want.field || got.Code != "competition.msg.above_cap" || got.Message != want.text {
			t.Errorf("error %d: %+v, want %s %q", i, got, want.field, want.text)
		}
	}
	if n := e.count(`SELECT count(*) FROM competition_quotes WHERE competition_id = $1`, c.ID); n != 0 {
		t.Fatalf("%d quotes after a refusal", n)
	}
	// A missing line and an item the request does not ask for.
	in := quoteInput(c, "100", "45", "30")
	in.Lines = append(in.Lines[:1], competitions.QuoteLineInput{ItemID: 999999, UnitPrice: amount("1")})
	_, err := e.svc.SubmitQuote(ctx, tn.Users[0].P, c.ID, in)
	fs := fieldKeys(err)
	if fs["lines"] != "competition.msg.line_unpriced" || fs["lines[1].item_id"] != "competition.msg.not_requested_item" {
		t.Fatalf("missing and unknown lines: %v", err)
	}
	// The form shows each line's cap.
	f, err := e.svc.QuoteForm(ctx, tn.Users[0].P, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if f.Lines[1].Cap == nil || f.Lines[1].Cap.String() != "45.00" || !f.Open {
		t.Fatalf("form %+v", f.Lines)
	}
	// At the caps, the quote is taken; the database refuses a line above
	// the framework price whatever writes it.
	e.mustQuote(c, tn, 0, "100", "45", "30")
	var revision int64
	e.db.Get(&revision, `SELECT last_revision_id FROM competition_quotes WHERE competition_id = $1`, c.ID)
	if _, err := e.db.Exec(`INSERT INTO competition_quote_lines (revision_id, line_no, item_id, quantity, quoted_price, quoted_total, framework_price)
		VALUES ($1, 9, $2, 1, 46, 46, 45)`, revision, tn.Items[1]); err == nil {
		t.Fatal("the database took a line above its framework price")
	}
}

// TestSetAsideAtClosing: a winner suspended between its quote and the
// deadline, and one whose certificate expired by then, are set aside at
// the closing with why; the valid quotes are ranked by total, ties by the
// time of the last revision; the cheapest is proposed.
func TestSetAsideAtClosing(t *testing.T) {
	e := newEnv(t)
	prices := [][]string{{"100", "50"}, {"100", "50"}, {"100", "50"}, {"100", "50"}, {"100", "50"}}
	tn := e.mustTender("", prices)
	c := e.mustPublished(tn, "2", "10")
	e.mustQuote(c, tn, 0, "80", "40") // 560, the cheapest, then suspended
	e.mustQuote(c, tn, 1, "90", "45") // 630
	e.setClock(defaultNow.Add(time.Hour))
	e.mustQuote(c, tn, 2, "85", "45") // 620, later than 3
	e.mustQuote(c, tn, 3, "90", "40") // 580, certificate expires before the deadline
	e.mustQuote(c, tn, 4, "95", "43") // 620, earlier than 2
	e.setClock(defaultNow.Add(2 * time.Hour))
	e.mustQuote(c, tn, 2, "85", "45") // revised: the same total, now the latest
	if _, err := suppliers.NewStore(e.db).Suspend(ctx, tn.Winners[0], suppliers.SuspendInput{Reason: "חקירה פלילית"}); err != nil {
		t.Fatal(err)
	}
	e.db.MustExec(`UPDATE supplier_certificates SET valid_until = '2026-03-14' WHERE supplier_id = $1 AND kind = 'books'`, tn.Winners[3])

	e.mustClose(firstDeadline.Add(time.Minute), 1)
	p, err := e.svc.Protocol(ctx, e.ceo.P, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Competition.Status != competitions.StatusClosed || p.OpenedAt == nil || !p.OpenedAt.Equal(firstDeadline.Add(time.Minute)) {
		t.Fatalf("status %s opened %v", p.Competition.Status, p.OpenedAt)
	}
	outcome := map[int64]competitions.ProtocolEntry{}
	for _, en := range p.Entries {
		outcome[en.SupplierID] = en
	}
	if en := outcome[tn.Winners[0]]; en.Outcome != competitions.OutcomeSetAside || en.SetAside[0].Code != suppliers.ReasonSuspended ||
		en.SetAside[0].Note != "חקירה פלילית" || en.Quote == nil {
		t.Fatalf("the suspended winner: %+v", en)
	}
	if en := outcome[tn.Winners[3]]; en.Outcome != competitions.OutcomeSetAside || en.SetAside[0].Code != suppliers.ReasonCertificateExpired {
		t.Fatalf("the winner whose certificate expired: %+v", en)
	}
	var order []string
	for _, r := range p.Ranking {
		order = append(order, fmt.Sprintf("%d:%s", indexOf(tn.Winners, r.SupplierID), r.Total.String()))
	}
	if got, want := strings.Join(order, " "), "4:620.00 2:620.00 1:630.00"; got != want {
		t.Fatalf("ranking %s, want %s", got, want)
	}
	if p.Proposal == nil || p.Proposal.SupplierID != tn.Winners[4] || !p.Proposal.Cheapest {
		t.Fatalf("proposal %+v", p.Proposal)
	}
	if len(e.mails("competition_closed")) != 4 {
		t.Fatalf("closing mails %v, want the officer and the committee of three", e.mails("competition_closed"))
	}
}

// TestNoValidQuote: a request without a valid quote ends unsuccessful at
// the closing, and the officer may publish it again to a new round.
func TestNoValidQuote(t *testing.T) {
	e := newEnv(t)
	tn := e.mustTender("", [][]string{{"100"}, {"110"}})
	c := e.mustPublished(tn, "1")
	e.mustQuote(c, tn, 0, "90")
	if _, err := e.svc.WithdrawQuote(ctx, tn.Users[0].P, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Decline(ctx, tn.Users[1].P, c.ID, competitions.TextInput{Text: "אין לנו זמינות"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SubmitQuote(ctx, tn.Users[1].P, c.ID, quoteInput(c, "100")); err == nil {
		t.Fatal("a winner that declined quoted")
	}
	e.mustClose(firstDeadline, 1)
	got, err := e.svc.Get(ctx, e.officer.P, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != competitions.StatusUnsuccessful {
		t.Fatalf("status %s", got.Status)
	}
	if len(e.mails("competition_unsuccessful")) != 1 {
		t.Fatal("the officer was not told")
	}
	e.setClock(firstDeadline.Add(24 * time.Hour)) // Monday 16 March
	got, err = e.svc.Publish(ctx, e.officer.P, c.ID, "", competitions.PublishInput{})
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 3, 19, 12, 0, 0, 0, calendar.Israel); got.Round != 2 || !got.Deadline.Equal(want) {
		t.Fatalf("round %d deadline %v, want 2 and %v", got.Round, got.Deadline, want)
	}
	// Winner 1 declined the first round only.
	e.mustQuote(got, tn, 1, "100")
}

// TestChangeAfterPublishing: changing the quantities of a published
// request sets every submitted quote back to draft, tells the winners and
// moves the deadline to at least the minimum from the change; a deadline
// given below it is refused.
func TestChangeAfterPublishing(t *testing.T) {
	e := newEnv(t)
	tn := e.mustTender("", [][]string{{"100", "50"}, {"110", "55"}})
	c := e.mustPublished(tn, "2", "10")
	e.mustQuote(c, tn, 0, "90", "45")
	e.setClock(time.Date(2026, 3, 12, 9, 0, 0, 0, calendar.Israel)) // Thursday
	in := e.request(tn, "3", "10")
	in.Deadline = calendar.NewDate(2026, time.March, 16)
	_, err := e.svc.Update(ctx, e.officer.P, c.ID, c.ETag(), in)
	if fieldKeys(err)["deadline"] != "competition.msg.deadline_before_min" {
		t.Fatalf("a deadline below the minimum from the change: %v", err)
	}
	in.Deadline = calendar.NewDate(2026, time.March, 15) // as it was: it moves
	got, err := e.svc.Update(ctx, e.officer.P, c.ID, c.ETag(), in)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 3, 17, 12, 0, 0, 0, calendar.Israel); !got.Deadline.Equal(want) {
		t.Fatalf("deadline %v, want %v (three business days from Thursday)", got.Deadline, want)
	}
	f, err := e.svc.QuoteForm(ctx, tn.Users[0].P, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if f.Quote == nil || f.Quote.Status != competitions.QuoteDraft || f.Lines[0].Quantity.String() != "3" {
		t.Fatalf("quote after the change: %+v", f.Quote)
	}
	if m := e.mails("competition_terms_changed"); len(m) != 2 || !strings.Contains(m[e.supplierEmail(tn.Winners[0])], "2026-03-17 12:00") {
		t.Fatalf("mails %v", m)
	}
	// A stale If-Match changes nothing.
	if _, err := e.svc.Update(ctx, e.officer.P, c.ID, c.ETag(), in); webStatus(err) != http.StatusPreconditionFailed {
		t.Fatalf("stale If-Match: %v", err)
	}
	// The draft quote counts no more: at the closing, no valid quote.
	e.mustClose(time.Date(2026, 3, 17, 12, 0, 0, 0, calendar.Israel), 1)
	if got, _ := e.svc.Get(ctx, e.officer.P, c.ID); got.Status != competitions.StatusUnsuccessful {
		t.Fatalf("status %s", got.Status)
	}
}

func indexOf(ids []int64, id int64) int {
	for i, v := range ids {
		if v == id {
			return i
		}
	}
	return -1
}
