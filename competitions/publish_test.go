package competitions_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"madaf/competitions"
	"madaf/internal/calendar"
)

// TestPublishInvitesEligibleWinners: publishing invites every winner whose
// award is active and who is eligible that day, mails each of them, and
// records the others with why; the deadline defaults to the tender's
// minimum at 12:00 and questions close a business day before.
func TestPublishInvitesEligibleWinners(t *testing.T) {
	e := newEnv(t)
	tn := e.mustTender("", [][]string{{"100", "50"}, {"110", "55"}, {"120", "60"}, {"130", "65"}})
	e.db.MustExec(`UPDATE awards SET status = 'suspended' WHERE tender_id = $1 AND supplier_id = $2`, tn.ID, tn.Winners[2])
	e.db.MustExec(`UPDATE supplier_certificates SET valid_until = '2026-03-01' WHERE supplier_id = $1 AND kind = 'insurance'`, tn.Winners[3])

	c, err := e.svc.Create(ctx, e.officer.P, e.request(tn, "2", "10"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != competitions.StatusDraft || len(c.Lines) != 2 || len(c.Invitations) != 0 {
		t.Fatalf("draft %+v", c)
	}
	if c, err = e.svc.Publish(ctx, e.officer.P, c.ID, "", competitions.PublishInput{}); err != nil {
		t.Fatal(err)
	}
	if c.Status != competitions.StatusPublished || c.Round != 1 {
		t.Fatalf("status %s round %d", c.Status, c.Round)
	}
	if !c.Deadline.Equal(firstDeadline) {
		t.Errorf("deadline %v, want %v", c.Deadline, firstDeadline)
	}
	if want := time.Date(2026, 3, 12, 12, 0, 0, 0, calendar.Israel); !c.QuestionsUntil.Equal(want) {
		t.Errorf("questions until %v, want %v", c.QuestionsUntil, want)
	}
	invited := map[int64]bool{}
	for _, inv := range c.Invitations {
		invited[inv.SupplierID] = true
	}
	if len(invited) != 2 || !invited[tn.Winners[0]] || !invited[tn.Winners[1]] {
		t.Fatalf("invited %v, want the two eligible winners", invited)
	}
	reasons := map[int64]string{}
	for _, n := range c.NotInvited {
		reasons[n.SupplierID] = n.Reasons[0].Code
	}
	if reasons[tn.Winners[2]] != competitions.ReasonAwardInactive || reasons[tn.Winners[3]] != "certificate_expired" {
		t.Fatalf("not invited %+v", c.NotInvited)
	}
	mails := e.mails("competition_invited")
	for w := 0; w < 4; w++ {
		body, got := mails[e.supplierEmail(tn.Winners[w])]
		if got != (w < 2) {
			t.Errorf("winner %d mailed %t", w, got)
		}
		if got && !strings.Contains(body, "2026-03-15 12:00") {
			t.Errorf("the invitation does not give the deadline:\n%s", body)
		}
	}
	// The supplier's inbox lists the invitation.
	r := e.do("GET", "/api/v1/competitions", tn.Users[0], nil)
	wantStatus(t, r, http.StatusOK)
	var inbox struct {
		Items []competitions.Competition `json:"items"`
	}
	r.JSON(t, &inbox)
	if len(inbox.Items) != 1 || inbox.Items[0].ID != c.ID || inbox.Items[0].BudgetLineID != nil {
		t.Fatalf("inbox %s", r.Body)
	}
	r = e.do("GET", "/api/v1/competitions", tn.Users[2], nil)
	r.JSON(t, &inbox)
	if len(inbox.Items) != 0 {
		t.Fatalf("a winner not invited sees %s", r.Body)
	}
}

// TestPublishRefusals: a deadline before the minimum or on a day off, and
// a request without its delivery address, date or budget line, are
// refused naming each field; nothing changes.
func TestPublishRefusals(t *testing.T) {
	e := newEnv(t)
	tn := e.mustTender("", [][]string{{"100"}, {"110"}})
	in := e.request(tn, "1")
	in.Deadline = calendar.NewDate(2026, time.March, 12)
	_, err := e.svc.Create(ctx, e.officer.P, in)
	if got := fieldKeys(err)["deadline"]; got != "competition.msg.deadline_before_min" {
		t.Fatalf("deadline before the minimum: %v", err)
	}
	in.Deadline = calendar.NewDate(2026, time.March, 20) // a Friday
	if _, err = e.svc.Create(ctx, e.officer.P, in); fieldKeys(err)["deadline"] != "competition.msg.deadline_not_business_day" {
		t.Fatalf("a Friday: %v", err)
	}
	in.Deadline = calendar.NewDate(2026, time.April, 2) // Pesach
	if _, err = e.svc.Create(ctx, e.officer.P, in); fieldKeys(err)["deadline"] != "competition.msg.deadline_not_business_day" {
		t.Fatalf("a holiday: %v", err)
	}
	in = e.request(tn, "1")
	in.DeliveryAddress, in.RequestedDate, in.BudgetLineID = "", calendar.Date{}, 0
	c, err := e.svc.Create(ctx, e.officer.P, in)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Publish(ctx, e.officer.P, c.ID, "", competitions.PublishInput{})
	fs := fieldKeys(err)
	if fs["delivery_address"] == "" || fs["requested_date"] == "" || fs["budget_line_id"] == "" {
		t.Fatalf("publishing an unfinished request: %v", err)
	}
	if n := e.count(`SELECT count(*) FROM competition_invitations WHERE competition_id = $1`, c.ID); n != 0 {
		t.Fatalf("%d invitations after a refusal", n)
	}
	// An officer of another authority does not see it; a treasurer may not
	// publish it.
	if _, err := e.svc.Publish(ctx, e.otherOfficer.P, c.ID, "", competitions.PublishInput{}); webStatus(err) != http.StatusNotFound {
		t.Fatalf("another authority's officer: %v", err)
	}
	if _, err := e.svc.Publish(ctx, e.treasurer.P, c.ID, "", competitions.PublishInput{}); webStatus(err) != http.StatusForbidden {
		t.Fatalf("the treasurer: %v", err)
	}
	// A single-winner tender has nobody to compete.
	single := e.mustTender("single", [][]string{{"100"}})
	if _, err := e.svc.Create(ctx, e.officer.P, e.request(single, "1")); fieldKeys(err)["tender_id"] != "competition.msg.single_winner" {
		t.Fatalf("a single tender: %v", err)
	}
}
