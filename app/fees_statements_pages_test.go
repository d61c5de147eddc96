package app

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"madaf/internal/calendar"
)

// TestFeeStatementPages: the lead issues a statement with the page's form
// (a month not ended is refused with the reason, beside the month), reads
// it and records its payment; the supplier finds it among its own, and
// another supplier cannot open it.
func TestFeeStatementPages(t *testing.T) {
	w := mustAuthzWorld(t)
	as := func(name string) authzCaller {
		for _, c := range w.callers {
			if c.name == name {
				return c
			}
		}
		t.Fatalf("no caller %s", name)
		return authzCaller{}
	}
	lead, supplier, other := as("lead"), as("supplier"), as("xsupplier")
	post := func(path string, form url.Values) (int, string, string) {
		rec := w.do(t, lead, "POST", path, []byte(form.Encode()))
		return rec.Code, rec.Header().Get("Location"), rec.Body.String()
	}
	medical := fmt.Sprint(w.order.supplier)
	month := calendar.Today().Time().Format("2006-01")

	code, _, body := post("/fees/statements", url.Values{"supplier_id": {medical}, "month": {month}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "טרם הסתיים") {
		t.Fatalf("a month not ended: %d\n%s", code, body)
	}
	// A month the medical supplier had orders sent in, without a statement.
	var number string
	ended := latestUnbilled(t, w.db, w.order.supplier)
	code, loc, _ := post("/fees/statements", url.Values{"supplier_id": {medical}, "month": {ended}})
	if code != http.StatusSeeOther && code != http.StatusFound || !strings.HasPrefix(loc, "/fees/statements/") {
		t.Fatalf("issue: %d %s", code, loc)
	}
	if err := w.db.Get(&number, `SELECT number FROM fee_statements WHERE id = $1`, strings.TrimPrefix(loc, "/fees/statements/")); err != nil {
		t.Fatal(err)
	}
	page := w.do(t, lead, "GET", loc, nil)
	if body := page.Body.String(); page.Code != http.StatusOK || !strings.Contains(body, number) || !strings.Contains(body, `id="pay"`) ||
		!strings.Contains(body, `id="statement-current"`) || strings.Contains(body, `id="supplement-due"`) {
		t.Fatalf("the statement page: %d", page.Code)
	}
	code, _, body = post("/fees/statements", url.Values{"supplier_id": {medical}, "month": {ended}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, number) {
		t.Fatalf("issued twice: %d", code)
	}

	code, again, _ := post(loc+"/paid", url.Values{"paid_on": {calendar.Today().String()}, "payment_reference": {"העברה 51"}, "etag": {`"fs0-0"`}})
	if code != http.StatusConflict {
		t.Fatalf("a stale payment form: %d %s", code, again)
	}
	code, _, _ = post(loc+"/paid", url.Values{"paid_on": {calendar.Today().String()}, "payment_reference": {"העברה 51"}})
	if code != http.StatusSeeOther && code != http.StatusFound {
		t.Fatalf("pay: %d", code)
	}
	page = w.do(t, lead, "GET", loc, nil)
	if !strings.Contains(page.Body.String(), "העברה 51") || strings.Contains(page.Body.String(), `id="pay"`) {
		t.Fatalf("the paid statement still offers the payment form or lacks the reference")
	}

	mine := w.do(t, supplier, "GET", "/supplier/statements", nil)
	if mine.Code != http.StatusOK || !strings.Contains(mine.Body.String(), number) {
		t.Fatalf("the supplier's statements: %d", mine.Code)
	}
	if rec := w.do(t, supplier, "GET", loc, nil); rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), `id="pay"`) {
		t.Fatalf("the supplier's statement page: %d", rec.Code)
	}
	if rec := w.do(t, other, "GET", loc, nil); rec.Code != http.StatusNotFound {
		t.Fatalf("another supplier opens the statement: %d", rec.Code)
	}

	// An order sent in an ended month is cancelled after the month's
	// statement: the statement's page says a supplement is due, and its
	// button issues it, a credit naming the original.
	sent := mustSentUnbilled(t, w.db)
	issue := url.Values{"supplier_id": {fmt.Sprint(sent.Supplier)}, "month": {sent.Month}}
	code, first, _ := post("/fees/statements", issue)
	if code != http.StatusSeeOther && code != http.StatusFound {
		t.Fatalf("issue: %d", code)
	}
	if rec := w.do(t, as("officer"), "POST", fmt.Sprintf("/api/v1/orders/%d/cancel", sent.Order), []byte(`{"reason": "no_longer_needed"}`)); rec.Code != http.StatusOK {
		t.Fatalf("cancel: %d %s", rec.Code, rec.Body)
	}
	if body := w.do(t, lead, "GET", first, nil).Body.String(); !strings.Contains(body, `id="supplement-due"`) {
		t.Fatalf("the original's page does not say a supplement is due")
	}
	code, second, _ := post("/fees/statements", issue)
	if code != http.StatusSeeOther && code != http.StatusFound || second == first {
		t.Fatalf("issue the supplement: %d %s", code, second)
	}
	body = w.do(t, lead, "GET", second, nil).Body.String()
	for _, want := range []string{`id="supplement-badge"`, `id="credit-badge"`, `href="` + first + `"`, "סימון כמסולק", "אינה נספרת עוד"} {
		if !strings.Contains(body, want) {
			t.Errorf("the supplement's page lacks %s", want)
		}
	}
	if list := w.do(t, lead, "GET", "/fees/statements?month="+sent.Month, nil).Body.String(); !strings.Contains(list, "תוספת לדף") {
		t.Errorf("the list does not say which statement the supplement supplements")
	}
}
