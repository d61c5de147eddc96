package accounts_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"madaf/accounts"
	"madaf/internal/auth"
	"madaf/internal/page/pagetest"
	"madaf/internal/webtest"
)

// TestChangePassword: the current password is required, the new one
// follows the rules, and a change ends the other sessions (not this one)
// and mails the user in their language.
func TestChangePassword(t *testing.T) {
	base, db := newApp(t)
	h := base.Engine
	u := webtest.MustUser(t, db, accounts.NewUser{Email: "samir@kq.example", Name: "סמיר", OrgKind: auth.OrgCluster,
		Roles: []string{auth.RoleEconomicLead}, Lang: "ar"})
	here := signIn(t, db, h, u.Email)
	there := signIn(t, db, h, u.Email)
	change := func(current, next string) *pagetest.Response {
		return here.Post("/account/password", url.Values{"current": {current}, "new": {next}})
	}

	refusals := []struct {
		name, current, next, field, message string
	}{
		{"CurrentRequired", "", "a brand new passphrase", "current", "שדה חובה"},
		{"CurrentWrong", "not my password", "a brand new passphrase", "current", "הסיסמה הנוכחית שגויה"},
		{"TooShort", webtest.Password, "short pass", "new", "לפחות 12 תווים"},
		{"TooLong", webtest.Password, strings.Repeat("x", 1025), "new", "עד 1024 תווים"},
		{"Common", webtest.Password, "PasswordPassword", "new", "הסיסמאות הנפוצות"},
		{"CommonOnTheHebrewLayout", webtest.Password, "1/שז2'דס3קגב", "new", "הסיסמאות הנפוצות"},
		{"HasEmail", webtest.Password, "samir@kq is my password", "new", "כתובת הדואר האלקטרוני"},
	}
	here.Post("/lang", url.Values{"lang": {"he"}})
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			r := change(tt.current, tt.next)
			pagetest.Expect(t, r, http.StatusUnprocessableEntity, tt.message)
			pagetest.ExpectErrorBeside(t, r, tt.field)
			if strings.Contains(r.Body, tt.next) && tt.next != "" {
				t.Error("the page shows the password typed")
			}
		})
	}
	if n := sessionCount(t, db, u.ID); n != 2 {
		t.Fatalf("%d sessions after refusals, want 2", n)
	}

	here.Post("/lang", url.Values{"lang": {"ar"}})
	r := change(webtest.Password, "שמש על הים בחיפה")
	if r.Code != http.StatusSeeOther || r.Location != "/account" {
		t.Fatalf("change: %d\n%s", r.Code, r.Body)
	}
	pagetest.Expect(t, here.Follow(r), http.StatusOK, "تم تغيير كلمة المرور")
	if r := there.Get("/probe"); r.Code != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/login") {
		t.Errorf("the other session still works: %d %s", r.Code, r.Location)
	}
	if n := sessionCount(t, db, u.ID); n != 1 {
		t.Errorf("%d sessions, want this one", n)
	}
	var mail struct{ Lang, Subject string }
	db.Get(&mail, `SELECT lang, subject FROM mail_outbox WHERE recipient = $1 AND kind = 'account_password_changed'`, u.Email)
	if mail.Lang != "ar" || !strings.Contains(mail.Subject, "كلمة مرورك") {
		t.Errorf("mail %+v, want one in Arabic", mail)
	}
	if _, err := accounts.NewStore(db).Authenticate(t.Context(), u.Email, webtest.Password, "192.0.2.9"); err == nil {
		t.Error("the old password still signs in")
	}
	if _, err := accounts.NewStore(db).Authenticate(t.Context(), u.Email, "שמש על הים בחיפה", "192.0.2.9"); err != nil {
		t.Errorf("the new password: %v", err)
	}
}

// TestChangePasswordAPI: POST /api/v1/me/password; a wrong current password
// is throttled like a sign-in.
func TestChangePasswordAPI(t *testing.T) {
	base, db := newApp(t)
	u := webtest.MustUser(t, db, accounts.NewUser{Email: "lead@madaf.example", OrgKind: auth.OrgCluster, Roles: []string{auth.RoleEconomicLead}})
	token := webtest.MustToken(t, db, u.ID)
	post := func(current, next string) webtest.Response {
		return webtest.Do(base.Engine, "POST", "/api/v1/me/password", token, map[string]string{"current": current, "new": next})
	}
	r := post("wrong", "short")
	if r.Code != http.StatusUnprocessableEntity || !strings.Contains(r.Body.String(), `"field":"current"`) || !strings.Contains(r.Body.String(), `"code":"password.too_short"`) {
		t.Fatalf("both wrong: %d %s", r.Code, r.Body)
	}
	for range 4 {
		post("wrong", "a good long passphrase")
	}
	if r := post(webtest.Password, "a good long passphrase"); r.Code != http.StatusTooManyRequests || r.Header().Get("Retry-After") == "" {
		t.Fatalf("after five wrong current passwords: %d %s", r.Code, r.Body)
	}
	db.MustExec(`DELETE FROM login_failures`)
	if r := post(webtest.Password, "a good long passphrase"); r.Code != http.StatusNoContent {
		t.Fatalf("change: %d %s", r.Code, r.Body)
	}
	if !slices.Contains(mails(t, db, u.Email), "account_password_changed") {
		t.Error("no mail")
	}
}
