package orders_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"madaf/internal/page"
	"madaf/internal/page/pagetest"
	"madaf/orders"
	"madaf/templates"
)

// mountPages adds the order pages to the test's engine.
func (e *env) mountPages() {
	eng := page.MustNew(templates.FS)
	eng.Mount(e.base.Engine)
	orders.MountPages(e.base.Engine, eng, e.svc)
}

// postPage posts form to a page as u, the way a browser on the site does.
func (e *env) postPage(path string, u user, form url.Values) *pagetest.Response {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Authorization", "Bearer "+u.Token)
	return pagetest.New(e.t, e.base.Engine).Do(req)
}

// TestRefusedSubmissionPageInHebrew: the order form of a refused submission
// lists each failed check, its message and the supplier's reasons in the
// Hebrew of its reader, with no English left in them.
func TestRefusedSubmissionPageInHebrew(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mountPages()
	tn := e.mustTender(tenderSpec{rule: "single", allocation: "150.00", winners: 1, prices: [][]string{{"100.00"}}})
	line := e.mustBudgetLine(e.authority, 2026, "100.00")
	o := e.mustCreate(tn, 0, line, "2")
	e.db.MustExec(`UPDATE supplier_certificates SET valid_until = '2026-02-28' WHERE kind = 'insurance' AND supplier_id = $1`, tn.Winners[0])

	r := e.postPage(fmt.Sprintf("/orders/%d/edit", o.ID), e.officer, url.Values{
		"etag": {o.ETag()}, "supplier_id": {fmt.Sprint(tn.Winners[0])}, "budget_line_id": {fmt.Sprint(line)},
		fmt.Sprintf("qty_%d", tn.Items[0]): {"2"}, "delivery_address": {"רחוב הנדיב 1"}, "action": {"submit"}})
	pagetest.Expect(t, r, http.StatusConflict,
		`id="failed-checks"`,
		"לא ניתן לשלוח את ההזמנה לחתימה:",
		// The supplier's eligibility, with its reason.
		"הספק אינו כשיר לקבל הזמנות", "תוקף אישור ביטוח פג ב-2026-02-28",
		// The allocation: 2 × 100 on 150; the budget line: 236.00 on 100.
		"אין די יתרה בהקצאת הרשות", "נותרו ₪ 150.00; ההזמנה דורשת ₪ 200.00",
		"אין די יתרה בסעיף התקציבי", "נותרו ₪ 100.00; ההזמנה דורשת ₪ 236.00")
	checks := r.Body[strings.Index(r.Body, `id="failed-checks"`):]
	checks = checks[:strings.Index(checks, `<form method="post"`)]
	for _, english := range []string{"left", "needs", "expired", "certificate", "budget line"} {
		if strings.Contains(checks, english) {
			t.Errorf("the failed checks hold English %q:\n%s", english, checks)
		}
	}
	if !strings.Contains(r.Body, `<p class="field-error" role="alert">בסעיף התקציבי`) {
		t.Errorf("no Hebrew error beside the budget line\n%s", r.Body)
	}
	if got := e.snapshot(o.ID); !strings.HasPrefix(got, "draft/") {
		t.Fatalf("a refused submission left the order %s", got)
	}
}

// TestUnsendableOrderPageInHebrew: when the last signature (the
// treasurer's, after the head's) cannot send the order, the order page says
// so and lists every reason in Hebrew.
func TestUnsendableOrderPageInHebrew(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mountPages()
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00"}}})
	o := e.mustCreate(tn, 0, e.budgetLine, "1")
	o, err := e.svc.Submit(ctx, e.officer.P, o.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if o, err = e.svc.Sign(ctx, e.head.P, o.ID, "", orders.SignInput{}); err != nil {
		t.Fatal(err)
	}
	e.db.MustExec(`UPDATE awards SET status = 'suspended' WHERE tender_id = $1`, tn.ID)
	e.db.MustExec(`UPDATE supplier_certificates SET valid_until = '2026-02-28' WHERE kind = 'insurance' AND supplier_id = $1`, tn.Winners[0])

	r := e.postPage(fmt.Sprintf("/orders/%d/sign", o.ID), e.treasurer, url.Values{"etag": {o.ETag()}, "role": {"treasurer"},
		"legal": {"on"}, "budget_line": {"on"}, "no_deficit": {"on"}})
	pagetest.Expect(t, r, http.StatusConflict, "לא ניתן לשלוח את ההזמנה לספק", `id="refusal-reasons"`,
		"זכיית הספק במצב „מושהית”", "תוקף אישור ביטוח פג ב-2026-02-28")
	if got := e.snapshot(o.ID); !strings.HasPrefix(got, "pending_approval/") || !strings.Contains(got, "/signatures 1/") {
		t.Fatalf("a refused signature changed the order: %s", got)
	}
}
