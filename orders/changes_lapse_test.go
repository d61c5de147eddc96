package orders_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"madaf/internal/calendar"
	"madaf/internal/page/pagetest"
	"madaf/orders"
)

// lapseMail is a mail the lapser queued.
type lapseMail struct {
	Recipient string `db:"recipient"`
	Lang      string `db:"lang"`
	Subject   string `db:"subject"`
	Body      string `db:"body"`
}

// lapseEvents returns the change_lapse events of order id as who sees them.
func (e *env) lapseEvents(id int64, who user) []orders.Event {
	e.t.Helper()
	events, err := e.svc.Events(ctx, who.P, id)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []orders.Event
	for _, ev := range events {
		if ev.Action == orders.ActionChangeLapse {
			out = append(out, ev)
		}
	}
	return out
}

// dayAt is day d at hour h, Israel time.
func dayAt(t *testing.T, d string, h int) time.Time {
	t.Helper()
	day, err := time.ParseInLocation(time.DateOnly, d, calendar.Israel)
	if err != nil {
		t.Fatal(err)
	}
	return day.Add(time.Duration(h) * time.Hour)
}

// TestUnsignedChangeLapses: a change awaiting the authority's signatures
// has its day to be signed by from its proposal (ten business days); on
// that day it stays, the day after it lapses, releasing what it held,
// with an event in the order's history (which the supplier, who never saw
// the change, does not see) and a mail to the officer who proposed it, in
// that officer's language.
func TestUnsignedChangeLapses(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mountPages()
	line := e.mustBudgetLine(e.authority, 2026, "5000.00")
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00"}}})
	supplier := tn.Users[0]
	o := e.mustSentOn(tn, line, "2") // 236.00 held
	// Another officer of the authority, who reads Arabic, proposes it.
	proposer := e.mustUser("authority", e.authority, "officer")
	if _, err := e.db.Exec(`UPDATE users SET lang = 'ar', email = 'proposer@example.org' WHERE id = $1`, proposer.ID); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/api/v1/orders/%d/changes", o.ID)
	r := e.do("POST", path, proposer, changeBody("more", map[string]any{"line_id": o.Lines[0].ID, "quantity": "3"}))
	wantStatus(t, r, http.StatusCreated)
	m := r.Map(t)
	cid := int64(m["id"].(float64))
	// 2026-03-10 is a Tuesday: ten business days (Sunday to Thursday) on.
	if m["status"] != "pending_signature" || m["sign_by"] != "2026-03-24" {
		t.Fatalf("change: %s", r.Body)
	}
	if _, tot := e.held("budget_line", line, 0); tot != "354.00" {
		t.Fatalf("held while the change awaits signatures: %s", tot)
	}
	// The order page shows the day.
	pagetest.Expect(t, e.getPage(fmt.Sprintf("/orders/%d", o.ID), e.officer), http.StatusOK,
		`לחתימה עד <span class="num">24/03/2026</span>`)

	e.setClock(dayAt(t, "2026-03-24", 20)) // its last day: it stays
	if n, err := e.svc.LapseUnanswered(ctx); err != nil || n != 0 {
		t.Fatalf("on its last day: %d lapsed, %v", n, err)
	}
	if n := e.count(`SELECT count(*) FROM order_changes WHERE id = $1 AND status = 'pending_signature'`, cid); n != 1 {
		t.Fatal("the change did not stay on its last day")
	}
	mails := `SELECT recipient, lang, subject, body FROM mail_outbox WHERE order_id = $1 AND kind = 'change_lapsed'`
	if n := e.count(`SELECT count(*) FROM mail_outbox WHERE order_id = $1 AND kind = 'change_lapsed'`, o.ID); n != 0 {
		t.Fatalf("%d lapse mails before the lapse", n)
	}

	e.setClock(dayAt(t, "2026-03-25", 6))
	// Past its day, before the lapser comes, it is no longer signed.
	r = e.do("POST", fmt.Sprintf("%s/%d/sign", path, cid), e.treasurer, map[string]any{"legal": true, "budget_line": true, "no_deficit": true})
	wantStatus(t, r, http.StatusConflict)
	if r.Map(t)["code"] != "order.change.sign_window_closed" {
		t.Fatalf("a signature past the day: %s", r.Body)
	}
	if n, err := e.svc.LapseUnanswered(ctx); err != nil || n != 1 {
		t.Fatalf("the day after: %d lapsed, %v", n, err)
	}
	if n := e.count(`SELECT count(*) FROM order_changes WHERE id = $1 AND status = 'lapsed'`, cid); n != 1 {
		t.Fatal("the change did not lapse")
	}
	if _, tot := e.held("budget_line", line, 0); tot != "236.00" {
		t.Fatalf("held after the lapse: %s", tot)
	}
	var actor string
	if err := e.db.Get(&actor, `SELECT actor FROM audit_log WHERE object = 'order_changes' AND object_id = $1 ORDER BY id DESC LIMIT 1`, fmt.Sprint(cid)); err != nil {
		t.Fatal(err)
	}
	if actor != "madaf changes lapser" {
		t.Fatalf("the lapse is attributed to %q", actor)
	}
	evs := e.lapseEvents(o.ID, e.officer)
	if len(evs) != 1 || evs[0].ActorID != nil || evs[0].FromStatus != "sent" || evs[0].ToStatus != "sent" {
		t.Fatalf("lapse events: %+v", evs)
	}
	var data map[string]any
	if err := json.Unmarshal(evs[0].Data, &data); err != nil || data["change_id"] != float64(cid) ||
		data["lapsed_from"] != "pending_signature" || data["released_total"] != "118.00" || data["sent"] != false {
		t.Fatalf("lapse event data: %s", evs[0].Data)
	}
	if evs := e.lapseEvents(o.ID, supplier); len(evs) != 0 {
		t.Fatalf("the supplier sees the lapse of a change never sent to it: %+v", evs)
	}
	var got []lapseMail
	if err := e.db.Select(&got, mails, o.ID); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Recipient != "proposer@example.org" || got[0].Lang != "ar" ||
		!strings.Contains(got[0].Subject, "انقضى طلب التعديل") || !strings.Contains(got[0].Body, "لم يوقّعه أمين الصندوق") ||
		!strings.Contains(got[0].Body, "2026-03-24") {
		t.Fatalf("lapse mails: %+v", got)
	}
	// The order takes another change.
	wantStatus(t, e.do("POST", path, e.officer, changeBody("again", map[string]any{"line_id": o.Lines[0].ID, "quantity": "1"})), http.StatusCreated)
	verifyVolumes(t, e)
}

// TestUnansweredChangeLapseIsRecorded: a change its supplier did not
// answer lapses with an event the supplier sees too and a mail to the
// proposing officer, in Hebrew when that is the officer's language.
func TestUnansweredChangeLapseIsRecorded(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00"}}})
	supplier := tn.Users[0]
	o := e.mustSentOn(tn, e.budgetLine, "2")
	// Lowering: sent to the supplier at once, nothing to sign.
	r := e.do("POST", fmt.Sprintf("/api/v1/orders/%d/changes", o.ID), e.officer,
		changeBody("fewer", map[string]any{"line_id": o.Lines[0].ID, "quantity": "1"}))
	wantStatus(t, r, http.StatusCreated)
	m := r.Map(t)
	if m["status"] != "pending_supplier" || m["sign_by"] != nil {
		t.Fatalf("change: %s", r.Body)
	}
	e.setClock(dayAt(t, m["respond_by"].(string), 30))
	if n, err := e.svc.LapseUnanswered(ctx); err != nil || n != 1 {
		t.Fatalf("%d lapsed, %v", n, err)
	}
	if evs := e.lapseEvents(o.ID, supplier); len(evs) != 1 || string(evs[0].Data) != fmt.Sprintf(`{"change_id":%v,"revision":2}`, m["id"]) {
		t.Fatalf("the supplier's lapse events: %+v", evs)
	}
	var got []lapseMail
	if err := e.db.Select(&got, `SELECT recipient, lang, subject, body FROM mail_outbox WHERE order_id = $1 AND kind = 'change_lapsed'`, o.ID); err != nil {
		t.Fatal(err)
	}
	var email string
	if err := e.db.Get(&email, `SELECT email FROM users WHERE id = $1`, e.officer.ID); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Recipient != email || got[0].Lang != "he" || !strings.Contains(got[0].Subject, "פקעה") ||
		!strings.Contains(got[0].Body, "הספק לא השיב") {
		t.Fatalf("lapse mails: %+v", got)
	}
}
