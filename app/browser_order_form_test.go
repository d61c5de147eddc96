package app

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"madaf/internal/calendar"
	"madaf/internal/dbtest"
	"madaf/internal/page/pagetest"
)

// TestBrowserOrderForm drives the order form and the supplier's order page
// in Chromium on a desktop (1366 px) and a phone (390 px) width: the form
// refuses to send an order without a delivery address and a requested
// date, lists both errors at once in a summary at the top that takes the
// focus and links to the fields, and shows each beside its field; once the
// order is complete, returned with a note, sent again and signed with
// notes, its supplier's page shows the lines, the total and the delivery
// but none of the authority's notes or its budget line.
func TestBrowserOrderForm(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		t.Skip("no Chromium at " + chromium + "; install the chromium package to run the browser tests")
	}
	db := dbtest.New(t)
	fx := mustPagesFixture(t, db)
	h := silentApp(db)
	srv := httptest.NewServer(h)
	defer srv.Close()
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		t.Fatal(err)
	}

	// The officer's draft: three laptops from the cart.
	officer := demoLogin(t, h, "officer@zichron.example")
	pagetest.Expect(t, officer.Post("/cart/items", url.Values{"item_id": {idStr(fx.laptopID)}, "quantity": {"3"}}), http.StatusSeeOther)
	var draft int64
	if err := db.Get(&draft, `SELECT id FROM orders WHERE tender_id = $1 AND status = 'draft' ORDER BY id DESC LIMIT 1`, fx.tenderID); err != nil {
		t.Fatal(err)
	}
	edit, orderPath := fmt.Sprintf("/orders/%d/edit", draft), fmt.Sprintf("/orders/%d", draft)

	b := startChromium(t, srv.URL, db)
	start := time.Now()

	const (
		internalNote = "הערה פנימית: התקציב אושר בישיבת ההנהלה"
		returnNote   = "לצרף את אישור מנהל המחשוב"
		signNote     = "נבדק מול תוכנית הרכש השנתית"
		address      = "בניין המועצה, רחוב המייסדים 40, זכרון יעקב"
	)
	widths := []struct {
		name          string
		width, height int64
	}{{"1366", 1366, 900}, {"390", 390, 844}}

	b.login("officer@zichron.example")
	for _, w := range widths {
		b.do("open the order form at "+w.name+" px",
			chromedp.EmulateViewport(w.width, w.height),
			chromedp.Navigate(b.base+edit),
			chromedp.WaitVisible(chromedp.ID("order-form")),
		)
		b.eval(`document.getElementById("delivery_address").value = "", document.getElementById("requested_date").value = "",
			document.getElementById("notes").value = "` + internalNote + `", ""`)
		b.submit("submit without address and date at "+w.name+" px", "#submit-order", chromedp.WaitVisible(chromedp.ID("error-summary")))
		if focus := b.eval(`document.activeElement ? document.activeElement.id : ""`); focus != "error-summary" {
			t.Errorf("%s px: the focus is on %q, not on the error summary", w.name, focus)
		}
		links := b.eval(`[...document.querySelectorAll("#error-summary a")].map(a => a.getAttribute("href")).join(" ")`)
		for _, want := range []string{"#delivery_address", "#requested_date"} {
			if !strings.Contains(links, want) {
				t.Errorf("%s px: the summary links %q, not %s", w.name, links, want)
			}
		}
		for _, field := range []string{"delivery_address", "requested_date"} {
			msg := b.eval(`(document.getElementById("` + field + `").closest(".field").querySelector(".field-error") || {}).textContent || ""`)
			if msg == "" {
				t.Errorf("%s px: no error beside %s", w.name, field)
			}
		}
		if note := b.eval(`document.getElementById("notes").value`); note != internalNote {
			t.Errorf("%s px: the form lost the note: %q", w.name, note)
		}
		inView := b.eval(`(r => String(r.top >= 0 && r.left >= 0 && r.right <= innerWidth + 1))(document.getElementById("error-summary").getBoundingClientRect())`)
		if inView != "true" {
			t.Errorf("%s px: the summary is not in view", w.name)
		}
		b.screenshot("order-form-errors-" + w.name)
	}
	b.do("complete the order",
		clearViewport(),
		chromedp.SetValue(chromedp.ID("delivery_address"), address),
		chromedp.SetValue(chromedp.ID("requested_date"), calendar.Today().AddDays(14).String()),
	)
	b.submit("submit the complete order", "#submit-order", chromedp.WaitVisible(chromedp.ID("order-status")))
	if got := b.location(); got != orderPath {
		t.Fatalf("after submitting the browser is at %s", got)
	}
	b.logout()

	// The treasurer returns it with a note, the officer sends it again,
	// both sign with notes.
	treasurer := demoLogin(t, h, "treasurer@zichron.example")
	head := demoLogin(t, h, "head@zichron.example")
	post := func(c *pagetest.Client, path, formID string, set map[string]string) {
		t.Helper()
		f, ok := formByID(c.Get(path).Body, formID)
		if !ok {
			t.Fatalf("no %s on %s", formID, path)
		}
		v := f.values()
		for k, x := range set {
			v.Set(k, x)
		}
		pagetest.Expect(t, c.Post(f.Action, v), http.StatusSeeOther)
	}
	post(treasurer, orderPath, "return-form", map[string]string{"return_note": returnNote})
	post(officer, edit, "order-form", map[string]string{"action": "submit"})
	post(treasurer, orderPath, "sign-form", map[string]string{"legal": "on", "budget_line": "on", "no_deficit": "on", "sign_note": signNote})
	post(head, orderPath, "sign-form", map[string]string{"sign_note": signNote})

	b.login("supplier@medical.example")
	for _, w := range widths {
		b.do("the supplier's order page at "+w.name+" px",
			chromedp.EmulateViewport(w.width, w.height),
			chromedp.Navigate(b.base+orderPath),
			chromedp.WaitVisible(chromedp.ID("order-lines")),
		)
		html := b.eval(`document.documentElement.outerHTML`)
		for _, secret := range []string{internalNote, returnNote, signNote, "1-611-750", "ציוד מחשוב ותקשורת"} {
			if strings.Contains(html, secret) {
				t.Errorf("%s px: the supplier's page shows %q", w.name, secret)
			}
		}
		for _, want := range []string{address, "LAP-14", "₪ 4,950.00", "₪ 14,850.00", "₪ 17,523.00", "יוסי אברהם"} {
			if !strings.Contains(html, want) {
				t.Errorf("%s px: the supplier's page lacks %q", w.name, want)
			}
		}
		b.screenshot("supplier-order-" + w.name)
	}
	t.Logf("browser order form test took %s", time.Since(start).Round(time.Millisecond))
}
