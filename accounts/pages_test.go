package accounts_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"madaf/accounts"
	"madaf/internal/auth"
	"madaf/internal/page/pagetest"
	"madaf/internal/webtest"
)

var scriptTag = regexp.MustCompile(`<script[^>]*>`)

// newPages is newApp's server as a handler, its database holding the
// cluster admin officer@example.org, whose second factor is testSecret.
func newPages(t *testing.T) (http.Handler, *sqlx.DB) {
	t.Helper()
	base, db := newApp(t)
	admin := webtest.MustUser(t, db, accounts.NewUser{Email: "officer@example.org", Name: "דנה כהן", OrgKind: auth.OrgCluster, Roles: []string{auth.RoleClusterAdmin}})
	mustSecondFactor(t, db, admin.ID)
	return base.Engine, db
}

func TestLoginPages(t *testing.T) {
	h, db := newPages(t)
	c := pagetest.New(t, h)

	t.Run("login page is Hebrew right to left", func(t *testing.T) {
		r := c.Get("/login")
		if r.Code != 200 || !r.Contains(`<html lang="he" dir="rtl">`) || !r.Contains("אשכול רשויות מישור החוף") {
			t.Fatalf("status %d\n%s", r.Code, r.Body)
		}
		if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("CSP = %q", csp)
		}
		if strings.Contains(r.Body, "style=") {
			t.Error("page has a style attribute")
		}
		for _, tag := range scriptTag.FindAllString(r.Body, -1) {
			if !strings.Contains(tag, " src=") {
				t.Errorf("inline script %s", tag)
			}
		}
	})
	t.Run("anonymous language choice is a cookie", func(t *testing.T) {
		r := c.Post("/lang", url.Values{"lang": {"en"}, "next": {"/login"}})
		if r.Code != http.StatusSeeOther || r.Location != "/login" {
			t.Fatalf("status %d location %q", r.Code, r.Location)
		}
		if r := c.Get("/login"); !r.Contains(`<html lang="en" dir="ltr">`) {
			t.Fatalf("not English:\n%s", r.Body)
		}
		c.Post("/lang", url.Values{"lang": {"ar"}, "next": {"https://evil.example/"}})
		if r := c.Get("/login"); !r.Contains(`<html lang="ar" dir="rtl">`) {
			t.Fatalf("not Arabic:\n%s", r.Body)
		}
		c.Post("/lang", url.Values{"lang": {"he"}})
	})
	t.Run("open redirects are refused", func(t *testing.T) {
		r := c.Post("/lang", url.Values{"lang": {"he"}, "next": {"//evil.example/x"}})
		if r.Location != "/" {
			t.Errorf("location %q", r.Location)
		}
	})
	t.Run("wrong password shows the message", func(t *testing.T) {
		r := c.Post("/login", url.Values{"email": {"officer@example.org"}, "password": {"nope"}})
		if r.Code != http.StatusUnauthorized || !r.Contains("הדואר האלקטרוני או הסיסמה שגויים") || !r.Contains(`value="officer@example.org"`) {
			t.Fatalf("status %d\n%s", r.Code, r.Body)
		}
	})
	t.Run("missing fields show beside the field", func(t *testing.T) {
		r := c.Post("/login", url.Values{"email": {""}, "password": {""}})
		if r.Code != http.StatusUnprocessableEntity || strings.Count(r.Body, `class="field-error"`) != 2 || !r.Contains("שדה חובה") {
			t.Fatalf("status %d\n%s", r.Code, r.Body)
		}
	})
	t.Run("cross-site login is refused", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader("email=officer%40example.org&password=correct+horse+battery"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		if r := c.Do(req); r.Code != http.StatusForbidden {
			t.Fatalf("status %d", r.Code)
		}
	})
	t.Run("login goes to next", func(t *testing.T) {
		r := c.Post("/login", url.Values{"email": {"officer@example.org"}, "password": {webtest.Password}, "next": {"/probe"}})
		r = answerCode(t, db, c, r, "officer@example.org")
		if r.Code != http.StatusSeeOther || r.Location != "/probe" {
			t.Fatalf("status %d location %q\n%s", r.Code, r.Location, r.Body)
		}
	})
	t.Run("user language is kept on the user", func(t *testing.T) {
		c.Post("/lang", url.Values{"lang": {"ar"}, "next": {"/probe"}})
		r := c.Get("/probe")
		if !r.Contains(`dir="rtl"`) || !r.Contains(`lang="ar"`) || !r.Contains("دنة") && !r.Contains("דנה כהן") {
			t.Fatalf("%s", r.Body)
		}
		c.Post("/lang", url.Values{"lang": {"he"}})
	})
	t.Run("logout", func(t *testing.T) {
		r := c.Post("/logout", nil)
		if r.Code != http.StatusSeeOther {
			t.Fatalf("status %d", r.Code)
		}
		if r := c.Get("/probe"); r.Code != http.StatusSeeOther {
			t.Fatalf("still signed in: %d", r.Code)
		}
	})
}

func TestUsersPage(t *testing.T) {
	h, db := newPages(t)
	var authorityID int64
	db.Get(&authorityID, `INSERT INTO authorities (code, name_he, name_ar, kind) VALUES ('654', 'כפר קרע', 'كفر قرع', 'local_council') RETURNING id`)
	admin := signIn(t, db, h, "officer@example.org")
	org := "authority:" + itoa(authorityID)
	form := func(email, role string) url.Values {
		return url.Values{"name": {"רות"}, "email": {email}, "org": {org}, "roles": {role}, "lang": {"he"}}
	}

	pagetest.Expect(t, admin.Get("/admin/users"), http.StatusOK, "officer@example.org", "האשכול", "כפר קרע")
	t.Run("RoleOfAnotherOrgBesideRoles", func(t *testing.T) {
		r := admin.Post("/admin/users", form("ruth@kq.example", auth.RoleSupplier))
		pagetest.Expect(t, r, http.StatusUnprocessableEntity, "התפקיד &#34;ספק&#34; אינו מתאים למשתמש של רשות")
	})
	t.Run("Created", func(t *testing.T) {
		r := admin.Post("/admin/users", form("ruth@kq.example", auth.RoleOfficer))
		if r.Code != http.StatusSeeOther {
			t.Fatalf("status %d\n%s", r.Code, r.Body)
		}
		pagetest.Expect(t, admin.Follow(r), http.StatusOK, "ruth@kq.example", "<td>כפר קרע</td>")
	})
	t.Run("DuplicateEmailBesideEmail", func(t *testing.T) {
		r := admin.Post("/admin/users", form("Ruth@kq.example", auth.RoleOfficer))
		pagetest.Expect(t, r, http.StatusUnprocessableEntity, "כבר קיים משתמש עם כתובת הדואר האלקטרוני Ruth@kq.example")
		pagetest.ExpectErrorBeside(t, r, "email")
	})
	t.Run("OrgsInTheAdminsLanguage", func(t *testing.T) {
		admin.Post("/lang", url.Values{"lang": {"ar"}})
		pagetest.Expect(t, admin.Get("/admin/users"), http.StatusOK, "كفر قرع", "العنقود")
		admin.Post("/lang", url.Values{"lang": {"he"}})
	})
	t.Run("NotSelf", func(t *testing.T) {
		var id string
		db.Get(&id, `SELECT id::text FROM users WHERE email = 'officer@example.org'`)
		pagetest.Expect(t, admin.Post("/admin/users/"+id+"/active", url.Values{"active": {"false"}}), http.StatusUnprocessableEntity)
	})
	t.Run("OnlyClusterAdmin", func(t *testing.T) {
		ruth := pagetest.New(t, h)
		r := ruth.Post("/reset/"+linkFromMail(t, db, "ruth@kq.example", "account_invitation"),
			url.Values{"password": {"long enough password"}, "confirm": {"long enough password"}})
		if r.Code != http.StatusSeeOther {
			t.Fatalf("invitation: status %d\n%s", r.Code, r.Body)
		}
		pagetest.Expect(t, ruth.Get("/admin/users"), http.StatusForbidden)
	})
}

// TestHeaderNamesOrg: the header names the caller's organisation in the
// caller's language, Hebrew where the authority has no such name.
func TestHeaderNamesOrg(t *testing.T) {
	h, db := newPages(t)
	var authorityID int64
	db.Get(&authorityID, `INSERT INTO authorities (code, name_he, name_ar, kind) VALUES ('654', 'כפר קרע', 'كفر قرع', 'local_council') RETURNING id`)
	webtest.MustUser(t, db, accounts.NewUser{Email: "samir@kq.example", Name: "סמיר", OrgKind: auth.OrgAuthority, AuthorityID: authorityID,
		Roles: []string{auth.RoleOfficer}, Lang: "ar"})
	c := pagetest.New(t, h)
	c.Login("samir@kq.example", webtest.Password)
	for _, tt := range []struct{ lang, want, not string }{{"ar", "كفر قرع", "כפר קרע"}, {"en", "כפר קרע", "كفر قرع"}, {"he", "כפר קרע", "كفر قرع"}} {
		t.Run(tt.lang, func(t *testing.T) {
			c.Post("/lang", url.Values{"lang": {tt.lang}})
			r := c.Get("/probe")
			pagetest.Expect(t, r, http.StatusOK, `lang="`+tt.lang+`"`, "סמיר · "+tt.want)
			if r.Contains(tt.not) {
				t.Errorf("the header names the authority in another language\n%s", r.Body)
			}
		})
	}
}
