package app

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"madaf/internal/calendar"
	"madaf/internal/dbtest"
	"madaf/internal/page/pagetest"
)

// TestAdminPages covers the cluster admin's authorities, suppliers and
// users pages and a treasurer's budget lines: what is created shows, and
// each bad value comes back beside its field.
func TestAdminPages(t *testing.T) {
	db := dbtest.New(t)
	h := mustDemo(t, db)
	admin := demoLogin(t, h, "admin@madaf.example")
	expect := pagetest.Expect
	beside := pagetest.ExpectErrorBeside

	t.Run("authorities", func(t *testing.T) {
		expect(t, admin.Get("/admin/authorities"), 200, "זכרון יעקב", "מועצה מקומית")
		r := admin.Post("/admin/authorities", url.Values{"code": {"12a"}, "name_he": {"מעלה עירון"}, "kind": {"local_council"},
			"delegation_band": {"-5"}, "active": {"on"}})
		expect(t, r, http.StatusUnprocessableEntity)
		beside(t, r, "code")
		beside(t, r, "delegation_band")
		r = admin.Post("/admin/authorities", url.Values{"code": {"1020"}, "name_he": {"מעלה עירון"}, "name_ar": {"معاليه عيرون"},
			"kind": {"local_council"}, "population": {"6500"}, "active": {"on"}})
		expect(t, r, http.StatusSeeOther)
		expect(t, admin.Follow(r), 200, "מעלה עירון", "הרשות נוספה")
	})
	t.Run("suppliers", func(t *testing.T) {
		expect(t, admin.Get("/admin/suppliers"), 200, "מדיקל אספקה רפואית", "כשיר")
		r := admin.Post("/admin/suppliers", url.Values{"company_number": {"123456789"}, "legal_name": {"ספק חדש בע\"מ"}, "email": {"x"}})
		expect(t, r, http.StatusUnprocessableEntity, "מספר חברה לא תקין")
		beside(t, r, "company_number")
		beside(t, r, "email")
		r = admin.Post("/admin/suppliers", url.Values{"company_number": {"515000099"}, "legal_name": {"ספק חדש בע\"מ"}, "email": {"new@supplier.example"}})
		expect(t, r, http.StatusSeeOther)
		page := admin.Follow(r)
		expect(t, page, 200, "ספק חדש", "אין בתיק אישור ניהול ספרים בתוקף")
		r = admin.Post(r.Location+"/certificates", url.Values{"kind": {"books"}, "number": {"B-1"}, "valid_until": {calendar.Today().AddDays(100).String()}})
		expect(t, r, http.StatusSeeOther)
		expect(t, admin.Follow(r), 200, "B-1", "האישור נוסף")
	})
	t.Run("users", func(t *testing.T) {
		expect(t, admin.Get("/admin/users"), 200, "officer@zichron.example", "ממונה רכש")
		r := admin.Post("/admin/users", url.Values{"name": {""}, "email": {"ruth@zichron.example"},
			"org": {"cluster"}, "roles": {"officer"}, "lang": {"he"}})
		expect(t, r, http.StatusUnprocessableEntity)
		beside(t, r, "name")
		var zichron string
		db.Get(&zichron, `SELECT id::text FROM authorities WHERE code = '9300'`)
		r = admin.Post("/admin/users", url.Values{"name": {"רות"}, "email": {"ruth@zichron.example"},
			"org": {"authority:" + zichron}, "roles": {"officer"}, "lang": {"ar"}})
		expect(t, r, http.StatusSeeOther)
		expect(t, admin.Follow(r), 200, "ruth@zichron.example", "ערבית")
		// She sets her password through the invitation she was mailed.
		var mail string
		if err := db.Get(&mail, `SELECT body FROM mail_outbox WHERE recipient = 'ruth@zichron.example' AND kind = 'account_invitation'`); err != nil {
			t.Fatalf("no invitation: %v", err)
		}
		link := regexp.MustCompile(`/reset/[A-Za-z0-9_-]+`).FindString(mail)
		if link == "" {
			t.Fatalf("no link in the invitation:\n%s", mail)
		}
		expect(t, pagetest.New(t, h).Post(link, url.Values{"password": {"long enough password"}, "confirm": {"long enough password"}}), http.StatusSeeOther)
		ruth := pagetest.New(t, h)
		ruth.Login("ruth@zichron.example", "long enough password")
		expect(t, ruth.Get("/catalog"), 200, `<html lang="ar" dir="rtl">`)
		var id string
		db.Get(&id, `SELECT id::text FROM users WHERE email = 'ruth@zichron.example'`)
		expect(t, admin.Post("/admin/users/"+id+"/active", url.Values{"active": {"false"}}), http.StatusOK, `id="confirm-form"`, "רות")
		expect(t, admin.Post("/admin/users/"+id+"/active", url.Values{"active": {"false"}, "confirm": {"1"}}), http.StatusSeeOther)
		if r := ruth.Get("/catalog"); r.Code != http.StatusSeeOther {
			t.Fatalf("a deactivated user still sees pages: %d", r.Code)
		}
	})
	t.Run("officers may not administer", func(t *testing.T) {
		officer := demoLogin(t, h, "officer@zichron.example")
		expect(t, officer.Get("/admin/users"), http.StatusForbidden)
		expect(t, officer.Post("/admin/suppliers", url.Values{}), http.StatusForbidden)
	})
	t.Run("treasurer keeps budget lines", func(t *testing.T) {
		treasurer := demoLogin(t, h, "treasurer@zichron.example")
		expect(t, treasurer.Get("/budget-lines"), 200, "1-611-750")
		r := treasurer.Post("/budget-lines", url.Values{"fiscal_year": {"2026"}, "code": {"1-999-100"}, "name": {"ציוד משרדי"}, "amount": {"abc"}})
		expect(t, r, http.StatusUnprocessableEntity, "יש להזין מספר")
		beside(t, r, "amount")
		r = treasurer.Post("/budget-lines", url.Values{"fiscal_year": {"2026"}, "code": {"1-999-100"}, "name": {"ציוד משרדי"}, "amount": {"25,000"}})
		expect(t, r, http.StatusSeeOther)
		expect(t, treasurer.Follow(r), 200, "1-999-100", "₪ 25,000.00")
	})
}
