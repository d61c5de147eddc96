package orders_test

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"madaf/internal/apperr"
	"madaf/internal/calendar"
	"madaf/internal/orderstatus"
	"madaf/orders"
)

func TestSubmitRefusalNamesEveryFailedCheck(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.mustTender(tenderSpec{rule: "single", allocation: "150.00", winners: 1, prices: [][]string{{"100.00"}}})
	line := e.mustBudgetLine(e.authority, 2026, "100.00")
	o := e.mustCreate(tn, 0, line, "2")

	// Everything goes wrong after the draft was made.
	for _, q := range []string{
		`UPDATE tenders SET valid_until = '2026-03-01' WHERE id = $1`,
		`UPDATE awards SET status = 'suspended' WHERE tender_id = $1`,
		`UPDATE supplier_certificates SET valid_until = '2026-02-28' WHERE kind = 'insurance' AND supplier_id = (SELECT supplier_id FROM awards WHERE tender_id = $1)`,
	} {
		if _, err := e.db.Exec(q, tn.ID); err != nil {
			t.Fatal(err)
		}
	}
	before := e.snapshot(o.ID)
	r := e.do("POST", fmt.Sprintf("/api/v1/orders/%d/submit", o.ID), e.officer, nil)
	wantStatus(t, r, http.StatusConflict)
	var body struct {
		FailedChecks []orders.FailedCheck `json:"failed_checks"`
	}
	r.JSON(t, &body)
	var names []string
	left := map[string]string{}
	for _, c := range body.FailedChecks {
		names = append(names, c.Check)
		if c.Remaining != nil {
			left[c.Check] = c.Remaining.String() + " of " + c.Required.String()
		}
	}
	want := []string{"tender_active", "award_active", "supplier_eligible", "allocation", "budget_line_balance"}
	if !slices.Equal(names, want) {
		t.Fatalf("failed checks %v, want %v: %s", names, want, r.Body)
	}
	// 2 × 100 = 200 on an allocation of 150; 236.00 incl. VAT on a line of 100.
	if left["allocation"] != "150.00 of 200.00" || left["budget_line_balance"] != "100.00 of 236.00" {
		t.Fatalf("what is left: %v", left)
	}
	if after := e.snapshot(o.ID); after != before {
		t.Fatalf("a refused submission changed the order: %s → %s", before, after)
	}
	// Each check carries its message's key and English text; the supplier's
	// every reason.
	var raw struct {
		Code         string `json:"code"`
		FailedChecks []struct {
			Check   string `json:"check"`
			Code    string `json:"code"`
			Message string `json:"message"`
			Reasons []struct {
				Code        string `json:"code"`
				Certificate string `json:"certificate"`
			} `json:"reasons"`
		} `json:"failed_checks"`
	}
	r.JSON(t, &raw)
	if raw.Code != "order.cannot_submit" {
		t.Fatalf("code %q", raw.Code)
	}
	for _, c := range raw.FailedChecks {
		switch c.Check {
		case "allocation":
			if c.Code != "order.check.allocation" || c.Message != "the authority's allocation on the tender (excl. VAT) has ₪ 150.00 left; the order needs ₪ 200.00" {
				t.Errorf("allocation check: %+v", c)
			}
		case "supplier_eligible":
			if c.Code != "supplier.reason.certificate_expired" || len(c.Reasons) != 1 || c.Reasons[0].Certificate != "insurance" {
				t.Errorf("eligibility check: %+v", c)
			}
		}
	}

	// A budget line of another year is refused too.
	e.db.Exec(`UPDATE tenders SET valid_until = '2030-12-31' WHERE id = $1`, tn.ID)
	e.db.Exec(`UPDATE awards SET status = 'active' WHERE tender_id = $1`, tn.ID)
	e.db.Exec(`UPDATE supplier_certificates SET valid_until = '2030-12-31'`)
	e.db.Exec(`UPDATE tender_authorities SET allocation = NULL WHERE tender_id = $1`, tn.ID)
	e.db.Exec(`UPDATE budget_lines SET fiscal_year = 2025, amount = 1000 WHERE id = $1`, line)
	_, err := e.svc.Submit(ctx, e.officer.P, o.ID, "")
	if keyOf(err) != "order.cannot_submit" || !slices.Equal(failedChecks(err), []string{"budget_line"}) {
		t.Fatalf("submit on last year's line: %v", err)
	}
	e.db.Exec(`UPDATE budget_lines SET fiscal_year = 2026 WHERE id = $1`, line)
	if _, err := e.svc.Submit(ctx, e.officer.P, o.ID, ""); err != nil {
		t.Fatalf("submit once everything is right: %v", err)
	}
}

func TestReleasedReservationsMakeRoom(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.mustTender(tenderSpec{rule: "single", ceiling: "200.00", winners: 1, prices: [][]string{{"100.00"}}})
	supplier := tn.Users[0].P
	submit := func(o *orders.Order) error {
		_, err := e.svc.Submit(ctx, e.officer.P, o.ID, "")
		return err
	}
	a := e.mustSent(tn, 0, "2") // the whole ceiling
	b := e.mustCreate(tn, 0, e.budgetLine, "2")
	if err := submit(b); err == nil {
		t.Fatal("submitted past the ceiling")
	}
	if _, err := e.svc.Reject(ctx, supplier, a.ID, "", orders.RejectInput{Reason: "אין מלאי"}); err != nil {
		t.Fatal(err)
	}
	if err := submit(b); err != nil {
		t.Fatalf("after a rejection: %v", err)
	}
	c := e.mustCreate(tn, 0, e.budgetLine, "2")
	if _, err := e.svc.Cancel(ctx, e.officer.P, b.ID, "", orders.CancelInput{Reason: "budget_change"}); err != nil {
		t.Fatal(err)
	}
	if err := submit(c); err != nil {
		t.Fatalf("after a cancellation: %v", err)
	}
	d := e.mustCreate(tn, 0, e.budgetLine, "2")
	if _, err := e.svc.Return(ctx, e.treasurer.P, c.ID, "", orders.NoteInput{Note: "לפצל להזמנה קטנה יותר"}); err != nil {
		t.Fatal(err)
	}
	if err := submit(d); err != nil {
		t.Fatalf("after a return: %v", err)
	}
	var events []orders.Event
	events, _ = e.svc.Events(ctx, e.officer.P, a.ID)
	if last := events[len(events)-1]; last.Action != "reject" || last.Note != "אין מלאי" {
		t.Fatalf("last event of the rejected order: %+v", last)
	}
}

func TestSignatures(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00"}}})
	checks := orders.SignInput{Legal: true, BudgetLine: true, NoDeficit: true}
	small := e.mustCreate(tn, 0, e.budgetLine, "1")    // 118.00
	big := e.mustCreate(tn, 0, e.budgetLine, "423.73") // 42,373.00 + VAT 7,627.14 = 50,000.14
	// Whatever the total, both slots: the treasurer's alone sends nothing.
	for _, o := range []*orders.Order{small, big} {
		if _, err := e.svc.Submit(ctx, e.officer.P, o.ID, ""); err != nil {
			t.Fatal(err)
		}
	}
	code := func(err error) int {
		if err == nil {
			return 200
		}
		return webStatus(err)
	}
	tests := []struct {
		name string
		do   func() error
		want int
	}{
		{"OfficerCannotSign", func() error { _, err := e.svc.Sign(ctx, e.officer.P, small.ID, "", checks); return err }, 403},
		{"NotInASlotItLacks", func() error {
			_, err := e.svc.Sign(ctx, e.treasurer.P, big.ID, "", orders.SignInput{Slot: "head"})
			return err
		}, 403},
		{"NotInASlotItLacksByItsFormerName", func() error {
			_, err := e.svc.Sign(ctx, e.treasurer.P, big.ID, "", orders.SignInput{Role: "head"})
			return err
		}, 403},
		{"SmallOrderAwaitsTheHead", func() error {
			o, err := e.svc.Sign(ctx, e.treasurer.P, small.ID, "", checks)
			if err == nil && o.Status != "pending_approval" {
				return fmt.Errorf("a ₪118 order signed by the treasurer alone is %s", o.Status)
			}
			return err
		}, 200},
		{"TreasurerNeedsTheThreeChecks", func() error {
			_, err := e.svc.Sign(ctx, e.treasurer.P, big.ID, "", orders.SignInput{Legal: true})
			return err
		}, 422},
		{"TreasurerSigns", func() error { _, err := e.svc.Sign(ctx, e.treasurer.P, big.ID, "", checks); return err }, 200},
		{"TheSameSignatureAgainAnswersTheOrder", func() error {
			o, err := e.svc.Sign(ctx, e.treasurer.P, big.ID, "", checks)
			if err == nil && len(o.Signatures) != 1 {
				return fmt.Errorf("the repeat left %d signatures", len(o.Signatures))
			}
			return err
		}, 200},
		{"NotTwice", func() error {
			again := checks
			again.Note = "שוב"
			_, err := e.svc.Sign(ctx, e.treasurer.P, big.ID, "", again)
			return err
		}, 409},
		{"NotTheSameRoleTwice", func() error { _, err := e.svc.Sign(ctx, e.treasurer2.P, big.ID, "", checks); return err }, 409},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.do()
			if got := code(err); got != tt.want {
				t.Fatalf("answer %d, want %d: %v", got, tt.want, err)
			}
		})
	}

	// A return voids the signatures; the next submission is signed anew.
	o, err := e.svc.Return(ctx, e.head.P, big.ID, "", orders.NoteInput{Note: "חסרה הצעת מחיר"})
	if err != nil {
		t.Fatal(err)
	}
	if o.Status != "draft" || len(o.Signatures) != 0 || o.ReturnNote != "חסרה הצעת מחיר" {
		t.Fatalf("returned: %s, %d signatures, note %q", o.Status, len(o.Signatures), o.ReturnNote)
	}
	if _, err := e.svc.Submit(ctx, e.officer.P, big.ID, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Sign(ctx, e.treasurer.P, big.ID, "", checks); err != nil {
		t.Fatalf("the treasurer signs the new submission: %v", err)
	}
	o, err = e.svc.Sign(ctx, e.head.P, big.ID, "", orders.SignInput{})
	if err != nil || o.Status != "sent" || len(o.Signatures) != 2 {
		t.Fatalf("both signed: %v %v", o, err)
	}
}

func TestETagAndIfMatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00"}}})
	r := e.do("POST", "/api/v1/orders", e.officer, e.orderBody(tn, 0, "1"))
	wantStatus(t, r, http.StatusCreated)
	id := int64(r.Map(t)["id"].(float64))
	path := fmt.Sprintf("/api/v1/orders/%d", id)

	r = e.do("GET", path, e.officer, nil)
	v1 := r.Header().Get("ETag")
	if v1 != `"v1"` {
		t.Fatalf("ETag %q", v1)
	}
	wantStatus(t, e.do("GET", path, e.officer, nil, "If-None-Match", v1), http.StatusNotModified)
	r = e.do("PUT", path, e.officer, e.orderBody(tn, 0, "3"), "If-Match", v1)
	wantStatus(t, r, http.StatusOK)
	if r.Header().Get("ETag") != `"v2"` || r.Map(t)["subtotal"] != "300.00" {
		t.Fatalf("updated: %s %s", r.Header().Get("ETag"), r.Body)
	}
	before := e.snapshot(id)
	r = e.do("POST", path+"/submit", e.officer, nil, "If-Match", v1)
	wantStatus(t, r, http.StatusPreconditionFailed)
	if after := e.snapshot(id); after != before {
		t.Fatalf("a stale If-Match changed the order: %s → %s", before, after)
	}
	wantStatus(t, e.do("POST", path+"/submit", e.officer, nil, "If-Match", `"v2"`), http.StatusOK)
}

func TestDeliveriesNeverExceedWhatWasOrdered(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00", "10.00"}}})
	o := e.mustInState(tn, orderstatus.Confirmed) // 2 of item 1, 1 of item 2
	path := fmt.Sprintf("/api/v1/orders/%d/deliver", o.ID)
	supplier := tn.Users[0]
	deliver := func(line int, qty string) int {
		return e.do("POST", path, supplier, map[string]any{"lines": []any{map[string]any{"line_id": o.Lines[line].ID, "quantity": qty}}}).Code
	}
	if c := deliver(0, "2.001"); c != http.StatusUnprocessableEntity {
		t.Fatalf("over-delivery: %d", c)
	}
	if c := deliver(0, "1.5"); c != http.StatusOK {
		t.Fatalf("partial delivery: %d", c)
	}
	if c := deliver(0, "0.6"); c != http.StatusUnprocessableEntity {
		t.Fatalf("over-delivery after a partial one: %d", c)
	}
	if c := deliver(0, "0.5"); c != http.StatusOK {
		t.Fatalf("the rest of the line: %d", c)
	}
	got, _ := e.svc.Get(ctx, e.officer.P, o.ID)
	if got.Status != orderstatus.PartiallyDelivered || got.Lines[0].Delivered.String() != "2" || got.Lines[1].Delivered.String() != "0" {
		t.Fatalf("after deliveries: %s, %s and %s delivered", got.Status, got.Lines[0].Delivered, got.Lines[1].Delivered)
	}
}

func TestOverdueOrders(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00", "10.00"}}})
	sent := e.mustSent(tn, 0, "1") // sent Tuesday 2026-03-10, confirm by Sunday 2026-03-15
	confirmed := e.mustInState(tn, orderstatus.Confirmed)
	if sent.ConfirmBy.String() != "2026-03-15" {
		t.Fatalf("confirm by %s", sent.ConfirmBy)
	}
	overdue := func(at time.Time) []int64 {
		e.setClock(at)
		r := e.do("GET", "/api/v1/orders?overdue=true", e.lead, nil)
		wantStatus(t, r, http.StatusOK)
		var list struct {
			Items []struct {
				ID      int64 `json:"id"`
				Overdue bool  `json:"overdue"`
			}
		}
		r.JSON(t, &list)
		var ids []int64
		for _, o := range list.Items {
			if !o.Overdue {
				t.Fatalf("listed as overdue but not marked: %s", r.Body)
			}
			ids = append(ids, o.ID)
		}
		return ids
	}
	if ids := overdue(time.Date(2026, 3, 15, 23, 0, 0, 0, calendar.Israel)); len(ids) != 0 {
		t.Fatalf("overdue on the deadline itself: %v", ids)
	}
	if ids := overdue(time.Date(2026, 3, 16, 8, 0, 0, 0, calendar.Israel)); !slices.Equal(ids, []int64{sent.ID}) {
		t.Fatalf("overdue the day after: %v, want [%d] (not the confirmed %d)", ids, sent.ID, confirmed.ID)
	}
}

// failedChecks names the failed checks of a refused submission.
func failedChecks(err error) []string {
	var ae *apperr.Error
	if !errors.As(err, &ae) {
		return nil
	}
	checks, _ := ae.Extra["failed_checks"].([]orders.FailedCheck)
	var names []string
	for _, c := range checks {
		names = append(names, c.Check)
	}
	return names
}
