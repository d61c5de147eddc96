package app

import (
	"context"
	"io"
	"log/slog"
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
	if _, err := SeedDemo(context.Background(), db, io.Discard); err != nil {
		t.Fatal(err)
	}
	h := New(db, Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}).Engine
	admin := pagetest.New(t, h)
	admin.Login("admin@madaf.example", DemoPassword)
	expect := func(t *testing.T, r *pagetest.Response, code int, contains ...string) {
		t.Helper()
		if r.Code != code {
			t.Fatalf("status %d, want %d\n%s", r.Code, code, r.Body)
		}
		for _, s := range contains {
			if !r.Contains(s) {
				t.Fatalf("page lacks %q\n%s", s, r.Body)
			}
		}
	}
	// beside reports whether the first field error follows the field name.
	beside := func(t *testing.T, body, field string) {
		t.Helper()
		m := regexp.MustCompile(`name="` + regexp.QuoteMeta(field) + `"[^>]*>\s*<p class="field-error"`).FindStringIndex(body)
		if m == nil {
			t.Fatalf("no error beside %s\n%s", field, body)
		}
	}

	t.Run("authorities", func(t *testing.T) {
		expect(t, admin.Get("/admin/authorities"), 200, "זכרון יעקב", "מועצה מקומית")
		r := admin.Post("/admin/authorities", url.Values{"code": {"12a"}, "name_he": {"מעלה עירון"}, "kind": {"local_council"},
			"signature_threshold": {"-5"}, "active": {"on"}})
		expect(t, r, http.StatusUnprocessableEntity)
		beside(t, r.Body, "code")
		beside(t, r.Body, "signature_threshold")
		r = admin.Post("/admin/authorities", url.Values{"code": {"1020"}, "name_he": {"מעלה עירון"}, "name_ar": {"معاليه عيرون"},
			"kind": {"local_council"}, "signature_threshold": {"45000"}, "active": {"on"}})
		expect(t, r, http.StatusSeeOther)
		expect(t, admin.Follow(r), 200, "מעלה עירון", "הרשות נוספה")
	})
	t.Run("suppliers", func(t *testing.T) {
		expect(t, admin.Get("/admin/suppliers"), 200, "מדיקל אספקה רפואית", "כשיר")
		r := admin.Post("/admin/suppliers", url.Values{"company_number": {"123456789"}, "legal_name": {"ספק חדש בע\"מ"}, "email": {"x"}})
		expect(t, r, http.StatusUnprocessableEntity, "מספר חברה לא תקין")
		beside(t, r.Body, "company_number")
		beside(t, r.Body, "email")
		r = admin.Post("/admin/suppliers", url.Values{"company_number": {"515000099"}, "legal_name": {"ספק חדש בע\"מ"}, "email": {"new@supplier.example"}})
		expect(t, r, http.StatusSeeOther)
		page := admin.Follow(r)
		expect(t, page, 200, "ספק חדש", "no books")
		r = admin.Post(r.Location+"/certificates", url.Values{"kind": {"books"}, "number": {"B-1"}, "valid_until": {calendar.Today().AddDays(100).String()}})
		expect(t, r, http.StatusSeeOther)
		expect(t, admin.Follow(r), 200, "B-1", "האישור נוסף")
	})
	t.Run("users", func(t *testing.T) {
		expect(t, admin.Get("/admin/users"), 200, "officer@zichron.example", "ממונה רכש")
		r := admin.Post("/admin/users", url.Values{"name": {"רות"}, "email": {"ruth@zichron.example"}, "password": {"short"},
			"org": {"cluster"}, "roles": {"officer"}, "lang": {"he"}})
		expect(t, r, http.StatusUnprocessableEntity, "הסיסמה צריכה לכלול לפחות 10 תווים")
		var zichron string
		db.Get(&zichron, `SELECT id::text FROM authorities WHERE code = '9300'`)
		r = admin.Post("/admin/users", url.Values{"name": {"רות"}, "email": {"ruth@zichron.example"}, "password": {"long enough password"},
			"org": {"authority:" + zichron}, "roles": {"officer"}, "lang": {"ar"}})
		expect(t, r, http.StatusSeeOther)
		expect(t, admin.Follow(r), 200, "ruth@zichron.example", "ערבית")
		ruth := pagetest.New(t, h)
		ruth.Login("ruth@zichron.example", "long enough password")
		expect(t, ruth.Get("/catalog"), 200, `<html lang="ar" dir="rtl">`)
		var id string
		db.Get(&id, `SELECT id::text FROM users WHERE email = 'ruth@zichron.example'`)
		expect(t, admin.Post("/admin/users/"+id+"/active", url.Values{"active": {"false"}}), http.StatusSeeOther)
		if r := ruth.Get("/catalog"); r.Code != http.StatusSeeOther {
			t.Fatalf("a deactivated user still sees pages: %d", r.Code)
		}
	})
	t.Run("officers may not administer", func(t *testing.T) {
		officer := pagetest.New(t, h)
		officer.Login("officer@zichron.example", DemoPassword)
		expect(t, officer.Get("/admin/users"), http.StatusForbidden)
		expect(t, officer.Post("/admin/suppliers", url.Values{}), http.StatusForbidden)
	})
	t.Run("treasurer keeps budget lines", func(t *testing.T) {
		treasurer := pagetest.New(t, h)
		treasurer.Login("treasurer@zichron.example", DemoPassword)
		expect(t, treasurer.Get("/budget-lines"), 200, "1-611-750")
		r := treasurer.Post("/budget-lines", url.Values{"fiscal_year": {"2026"}, "code": {"1-999-100"}, "name": {"ציוד משרדי"}, "amount": {"abc"}})
		expect(t, r, http.StatusUnprocessableEntity, "יש להזין מספר")
		beside(t, r.Body, "amount")
		r = treasurer.Post("/budget-lines", url.Values{"fiscal_year": {"2026"}, "code": {"1-999-100"}, "name": {"ציוד משרדי"}, "amount": {"25,000"}})
		expect(t, r, http.StatusSeeOther)
		expect(t, treasurer.Follow(r), 200, "1-999-100", "₪ 25,000.00")
	})
}
