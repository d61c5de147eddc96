package orders_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"madaf/internal/auth"
	"madaf/internal/calendar"
)

// TestQuoteIsScopedLikeTheTender: the side-by-side prices of a tender are
// not found for whoever may not see the tender itself.
func TestQuoteIsScopedLikeTheTender(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.mustTender(tenderSpec{rule: "choice", winners: 2, prices: [][]string{{"100.00"}, {"90.00"}}})
	other := e.mustTender(tenderSpec{rule: "choice", winners: 1, prices: [][]string{{"50.00"}}})
	path := func(id int64, item int64) string {
		return fmt.Sprintf("/api/v1/orders/quote?tender_id=%d&lines=%d:2", id, item)
	}
	wantStatus(t, e.do("GET", path(tn.ID, tn.Items[0]), e.officer, nil), http.StatusOK)
	wantStatus(t, e.do("GET", path(tn.ID, tn.Items[0]), e.lead, nil), http.StatusOK)
	wantStatus(t, e.do("GET", path(tn.ID, tn.Items[0]), e.otherOfficer, nil), http.StatusNotFound)
	// A supplier: 404 for a tender it has not won, 403 for its own.
	wantStatus(t, e.do("GET", path(tn.ID, tn.Items[0]), other.Users[0], nil), http.StatusNotFound)
	wantStatus(t, e.do("GET", path(tn.ID, tn.Items[0]), tn.Users[0], nil), http.StatusForbidden)
	// A tender back in draft (or suspended) is not open to officers.
	for _, status := range []string{"draft", "suspended"} {
		e.db.MustExec(`UPDATE tenders SET status = $2 WHERE id = $1`, tn.ID, status)
		wantStatus(t, e.do("GET", path(tn.ID, tn.Items[0]), e.officer, nil), http.StatusNotFound)
	}
}

// TestSelfApprovalRefused: a user who holds both the officer and treasurer
// roles cannot sign the order it drafted.
func TestSelfApprovalRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	both := e.mustUser(auth.OrgAuthority, e.authority, auth.RoleOfficer, auth.RoleTreasurer)
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00"}}})
	body := e.orderBody(tn, 0, "1")
	r := e.do("POST", "/api/v1/orders", both, body)
	wantStatus(t, r, http.StatusCreated)
	id := int64(r.Map(t)["id"].(float64))
	wantStatus(t, e.do("POST", fmt.Sprintf("/api/v1/orders/%d/submit", id), both, nil), http.StatusOK)
	sign := map[string]any{"legal": true, "budget_line": true, "no_deficit": true}
	wantStatus(t, e.do("POST", fmt.Sprintf("/api/v1/orders/%d/sign", id), both, sign), http.StatusForbidden)
	wantStatus(t, e.do("POST", fmt.Sprintf("/api/v1/orders/%d/sign", id), e.treasurer, sign), http.StatusOK)
}

// TestLastSignatureRechecksTheSupplier: a supplier suspended after the
// order was submitted does not receive it; the last signature (here the
// treasurer's, after the head's) is refused.
func TestLastSignatureRechecksTheSupplier(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00"}}})
	o := e.mustCreate(tn, 0, e.budgetLine, "1")
	if _, err := e.svc.Submit(ctx, e.officer.P, o.ID, ""); err != nil {
		t.Fatal(err)
	}
	e.db.MustExec(`UPDATE suppliers SET status = 'suspended', suspended_reason = 'הפרת תנאי המכרז' WHERE id = $1`, tn.Winners[0])
	sign := map[string]any{"legal": true, "budget_line": true, "no_deficit": true}
	wantStatus(t, e.do("POST", fmt.Sprintf("/api/v1/orders/%d/sign", o.ID), e.head, nil), http.StatusOK)
	r := e.do("POST", fmt.Sprintf("/api/v1/orders/%d/sign", o.ID), e.treasurer, sign)
	wantStatus(t, r, http.StatusConflict)
	var status string
	e.db.Get(&status, `SELECT status FROM orders WHERE id = $1`, o.ID)
	if status != "pending_approval" {
		t.Fatalf("status %s", status)
	}
}

// TestConfirmationDeadlineSkipsHolidays: an order sent on Tuesday 31 March
// 2026 with three business days to confirm is due on Monday 6 April, as
// Thursday 2 April is the first day of Pesach.
func TestConfirmationDeadlineSkipsHolidays(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.setClock(time.Date(2026, 3, 31, 10, 0, 0, 0, calendar.Israel))
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00"}}, days: 3})
	o := e.mustSent(tn, 0, "1")
	if got := o.ConfirmBy.String(); got != "2026-04-06" {
		t.Fatalf("confirm by %s, want 2026-04-06", got)
	}
}
