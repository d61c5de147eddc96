package app

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"madaf/internal/dbtest"
	"madaf/internal/page/pagetest"
)

// TestDestructiveActionsAskFirst: closing a tender, suspending and ending
// an award, carrying the work plan over, deactivating a user and
// cancelling an order each answer their first post with a page that says
// what will happen, change nothing, and take effect only when that page's
// form is sent (confirm=1). An action the object's state does not allow is
// refused as before, without asking. Nobody deactivates themselves, on the
// page or through the API (422).
func TestDestructiveActionsAskFirst(t *testing.T) {
	db := dbtest.New(t)
	fx := mustPagesFixture(t, db)
	h := silentApp(db)
	lead := demoLogin(t, h, "lead@madaf.example")
	admin := demoLogin(t, h, "admin@madaf.example")
	officer := demoLogin(t, h, "officer@zichron.example")
	expect := pagetest.Expect
	status := func(q string, args ...any) string {
		t.Helper()
		var s string
		if err := db.Get(&s, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return s
	}
	// confirm posts the confirmation page's own form.
	confirm := func(c *pagetest.Client, r *pagetest.Response) *pagetest.Response {
		t.Helper()
		f, ok := formByID(r.Body, "confirm-form")
		if !ok {
			t.Fatalf("no confirmation form\n%s", r.Body)
		}
		return c.Post(f.Action, f.values())
	}

	// Each confirmation page reads in each language, with no key, no fmt
	// artefact and, in Hebrew and Arabic, no English.
	t.Run("InEveryLanguage", func(t *testing.T) {
		ck := newPageChecker(t)
		var award, tender, officerID, sent int64
		var version int
		db.QueryRow(`SELECT a.tender_id, a.id FROM awards a JOIN tenders t ON t.id = a.tender_id
			WHERE a.status = 'active' AND t.status = 'active' ORDER BY a.id LIMIT 1`).Scan(&tender, &award)
		db.Get(&officerID, `SELECT id FROM users WHERE email = 'officer@kafrqara.example'`)
		db.QueryRow(`SELECT o.id, o.version FROM orders o JOIN authorities a ON a.id = o.authority_id
			WHERE a.code = '9300' AND o.status = 'sent' ORDER BY o.id LIMIT 1`).Scan(&sent, &version)
		for _, lang := range []string{"he", "ar", "en"} {
			for _, c := range []*pagetest.Client{lead, admin, officer} {
				c.Post("/lang", url.Values{"lang": {lang}, "next": {"/"}})
			}
			for _, step := range []struct {
				c      *pagetest.Client
				path   string
				values url.Values
			}{
				{lead, fmt.Sprintf("/tenders/%d/status/close", fx.tenderID), url.Values{}},
				{lead, fmt.Sprintf("/tenders/%d/awards/%d/suspend", tender, award), url.Values{}},
				{lead, fmt.Sprintf("/tenders/%d/awards/%d/terminate", tender, award), url.Values{}},
				{lead, "/workplan/2024/carry-over", url.Values{}},
				{admin, fmt.Sprintf("/admin/users/%d/active", officerID), url.Values{"active": {"false"}}},
				{officer, fmt.Sprintf("/orders/%d/cancel", sent), url.Values{"etag": {fmt.Sprintf(`"v%d"`, version)}, "cancel_reason": {"budget_change"}}},
			} {
				r := step.c.Post(step.path, step.values)
				expect(t, r, http.StatusOK, `id="confirm-form"`)
				for _, f := range ck.check(lang, r.Body) {
					t.Errorf("%s %s: %s: %s", lang, step.path, f.Problem, f.Snippet)
				}
			}
		}
		for _, c := range []*pagetest.Client{lead, admin, officer} {
			c.Post("/lang", url.Values{"lang": {"he"}, "next": {"/"}})
		}
	})

	t.Run("CloseTender", func(t *testing.T) {
		path := fmt.Sprintf("/tenders/%d/status/close", fx.tenderID)
		r := lead.Post(path, url.Values{})
		expect(t, r, http.StatusOK, "סגירת מכרז "+fixtureTender, "אף רשות לא תוכל להזמין עוד במכרז זה", "הסגירה סופית",
			`href="/tenders/`+idStr(fx.tenderID)+`"`)
		if s := status(`SELECT status FROM tenders WHERE id = $1`, fx.tenderID); s != "active" {
			t.Fatalf("asking closed the tender: %s", s)
		}
		expect(t, confirm(lead, r), http.StatusSeeOther)
		if s := status(`SELECT status FROM tenders WHERE id = $1`, fx.tenderID); s != "closed" {
			t.Fatalf("after confirming the tender is %s", s)
		}
		// A closed tender cannot be closed again: refused without asking.
		expect(t, lead.Post(path, url.Values{}), http.StatusConflict)
	})

	t.Run("SuspendAndEndAward", func(t *testing.T) {
		var tender, award int64
		var supplier string
		if err := db.QueryRow(`SELECT a.tender_id, a.id, s.legal_name FROM awards a JOIN suppliers s ON s.id = a.supplier_id
			JOIN tenders t ON t.id = a.tender_id WHERE a.status = 'active' AND t.status = 'active' ORDER BY a.id LIMIT 1`).Scan(&tender, &award, &supplier); err != nil {
			t.Fatal(err)
		}
		base := fmt.Sprintf("/tenders/%d/awards/%d/", tender, award)
		r := lead.Post(base+"suspend", url.Values{})
		expect(t, r, http.StatusOK, "השעיית הזכייה של", "אפשר לחדש את הזכייה בכל עת")
		if !strings.Contains(r.Body, strings.ReplaceAll(supplier, `"`, "&#34;")) {
			t.Errorf("the page does not name the supplier %s", supplier)
		}
		expect(t, confirm(lead, r), http.StatusSeeOther)
		r = lead.Post(base+"terminate", url.Values{})
		expect(t, r, http.StatusOK, "סיום הזכייה של", "סיום הזכייה סופי")
		if s := status(`SELECT status FROM awards WHERE id = $1`, award); s != "suspended" {
			t.Fatalf("asking changed the award: %s", s)
		}
		expect(t, confirm(lead, r), http.StatusSeeOther)
		if s := status(`SELECT status FROM awards WHERE id = $1`, award); s != "terminated" {
			t.Fatalf("after confirming the award is %s", s)
		}
	})

	t.Run("CarryOver", func(t *testing.T) {
		r := lead.Post("/workplan/2024/carry-over", url.Values{})
		expect(t, r, http.StatusOK, "העברת המשימות הפתוחות של 2024 לתוכנית 2025", "אין ביטול להעברה")
		if n := status(`SELECT count(*)::text FROM workplan_plans WHERE year = 2025`); n != "0" {
			t.Fatalf("asking carried the plan over")
		}
	})

	t.Run("DeactivateUser", func(t *testing.T) {
		var officerID, adminID int64
		db.Get(&officerID, `SELECT id FROM users WHERE email = 'officer@kafrqara.example'`)
		db.Get(&adminID, `SELECT id FROM users WHERE email = 'admin@madaf.example'`)
		r := admin.Post(fmt.Sprintf("/admin/users/%d/active", officerID), url.Values{"active": {"false"}})
		expect(t, r, http.StatusOK, "השבתת המשתמש", "officer@kafrqara.example", "לא יוכל עוד להיכנס למערכת")
		if s := status(`SELECT active::text FROM users WHERE id = $1`, officerID); s != "true" {
			t.Fatal("asking deactivated the user")
		}
		expect(t, confirm(admin, r), http.StatusSeeOther)
		if s := status(`SELECT active::text FROM users WHERE id = $1`, officerID); s != "false" {
			t.Fatal("confirming did not deactivate the user")
		}

		expect(t, admin.Post(fmt.Sprintf("/admin/users/%d/active", adminID), url.Values{"active": {"false"}, "confirm": {"1"}}),
			http.StatusUnprocessableEntity, "לא ניתן להשבית את המשתמש שלך.")
		req := httptest.NewRequest(http.MethodPost, fmt.Sprintf("/api/v1/users/%d/deactivate", adminID), nil)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		api := admin.Do(req)
		if api.Code != http.StatusUnprocessableEntity || !strings.Contains(api.Body, `"code":"error.self_deactivate"`) {
			t.Fatalf("the API deactivates its caller: %d %s", api.Code, api.Body)
		}
		if s := status(`SELECT active::text FROM users WHERE id = $1`, adminID); s != "true" {
			t.Fatal("the administrator deactivated themselves")
		}
	})

	t.Run("CancelOrder", func(t *testing.T) {
		var id int64
		var number, supplier string
		var version int
		if err := db.QueryRow(`SELECT o.id, o.number, s.legal_name, o.version FROM orders o JOIN authorities a ON a.id = o.authority_id
			JOIN suppliers s ON s.id = o.supplier_id WHERE a.code = '9300' AND o.status = 'sent' ORDER BY o.id LIMIT 1`).Scan(&id, &number, &supplier, &version); err != nil {
			t.Fatal(err)
		}
		path := fmt.Sprintf("/orders/%d/cancel", id)
		etag := fmt.Sprintf(`"v%d"`, version)
		expect(t, officer.Post(path, url.Values{"etag": {etag}}), http.StatusUnprocessableEntity, "שדה חובה")
		r := officer.Post(path, url.Values{"etag": {etag}, "cancel_reason": {"duplicate"}, "cancel_note": {"הוזמן פעמיים"}})
		expect(t, r, http.StatusOK, "ביטול הזמנה "+number, "ההזמנה תבוטל לצמיתות", "ישוחרר מהסעיף התקציבי",
			"הספק יקבל הודעה בדואר אלקטרוני", "סיבת הביטול שתירשם:", `name="cancel_note" value="הוזמן פעמיים"`)
		if s := status(`SELECT status FROM orders WHERE id = $1`, id); s != "sent" {
			t.Fatalf("asking cancelled the order: %s", s)
		}
		expect(t, confirm(officer, r), http.StatusSeeOther)
		if s := status(`SELECT status || '/' || cancel_reason || '/' || cancel_note FROM orders WHERE id = $1`, id); s != "cancelled/duplicate/הוזמן פעמיים" {
			t.Fatalf("after confirming the order is %s", s)
		}
	})
}
