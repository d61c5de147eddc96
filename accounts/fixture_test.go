package accounts_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"

	"madaf/accounts"
	"madaf/internal/auth"
	"madaf/internal/dbtest"
	"madaf/internal/page"
	"madaf/internal/page/pagetest"
	"madaf/internal/server"
	"madaf/internal/webtest"
	"madaf/templates"
)

// testSecret is the TOTP secret mustSecondFactor enrols.
const testSecret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

// newApp is the base server with the accounts API and pages mounted, and a
// page (/probe) that needs a signed-in caller.
func newApp(t *testing.T) (*server.Base, *sqlx.DB) {
	t.Helper()
	return newAppWith(t, nil)
}

// newAppWith is newApp with the accounts' route table changed by configure
// (a clock on its store, a secret key) before it is mounted.
func newAppWith(t *testing.T, configure func(rt *accounts.Routes)) (*server.Base, *sqlx.DB) {
	t.Helper()
	db := dbtest.New(t)
	base := webtest.NewBase(t, db)
	eng, err := page.New(templates.FS)
	if err != nil {
		t.Fatal(err)
	}
	eng.Mount(base.Engine)
	rt := accounts.Routes{Store: accounts.NewStore(db), Sessions: base.Auth, BaseURL: "https://madaf.example"}
	if configure != nil {
		configure(&rt)
	}
	rt.Mount(server.Router{API: base.API, Site: base.Engine, Pages: eng})
	home := eng.MustPage("home")
	base.Engine.GET("/probe", eng.Required(), func(c *gin.Context) { eng.Render(c, http.StatusOK, home, nil, nil) })
	return base, db
}

// mustSecondFactor enrols testSecret as user userID's second factor.
func mustSecondFactor(t *testing.T, db *sqlx.DB, userID int64) {
	t.Helper()
	db.MustExec(`UPDATE users SET totp_secret = $2, totp_enabled_at = now() WHERE id = $1`, userID, testSecret)
}

// codeNow is the current code of secret for user userID, whose record of
// the last code used is forgotten first, so that a test may sign in twice
// within one time step.
func codeNow(t *testing.T, db *sqlx.DB, userID int64, secret string) string {
	t.Helper()
	db.MustExec(`DELETE FROM totp_last_steps WHERE user_id = $1`, userID)
	code, err := auth.TOTPCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// hiddenStep finds the step and the next page of the code form.
var hiddenStep = regexp.MustCompile(`name="step" value="([^"]+)">\s*<input type="hidden" name="next" value="([^"]*)"`)

// answerCode answers r, the second step of a sign-in as email, with the
// current code of testSecret, and returns the answer.
func answerCode(t *testing.T, db *sqlx.DB, c *pagetest.Client, r *pagetest.Response, email string) *pagetest.Response {
	t.Helper()
	m := hiddenStep.FindStringSubmatch(r.Body)
	if r.Code != http.StatusOK || m == nil {
		t.Fatalf("no code step: status %d\n%s", r.Code, r.Body)
	}
	return c.Post("/login/code", url.Values{"step": {m[1]}, "next": {m[2]}, "code": {codeNow(t, db, userID(t, db, email), testSecret)}})
}

// signIn is a browser signed in to h as email with webtest.Password (and
// testSecret's code when the user has a second factor).
func signIn(t *testing.T, db *sqlx.DB, h http.Handler, email string) *pagetest.Client {
	t.Helper()
	c := pagetest.New(t, h)
	r := c.Post("/login", url.Values{"email": {email}, "password": {webtest.Password}})
	if r.Code == http.StatusOK && hiddenStep.MatchString(r.Body) {
		r = answerCode(t, db, c, r, email)
	}
	if r.Code != http.StatusSeeOther {
		t.Fatalf("sign in %s: status %d\n%s", email, r.Code, r.Body)
	}
	return c
}

// userID is the id of the user with email.
func userID(t *testing.T, db *sqlx.DB, email string) int64 {
	t.Helper()
	var id int64
	if err := db.Get(&id, `SELECT id FROM users WHERE lower(email) = lower($1)`, email); err != nil {
		t.Fatalf("user %s: %v", email, err)
	}
	return id
}

var resetLink = regexp.MustCompile(`https://madaf\.example/reset/([A-Za-z0-9_-]+)|/reset/([A-Za-z0-9_-]+)`)

// linkFromMail is the token of the last link mailed to email in a mail of
// kind.
func linkFromMail(t *testing.T, db *sqlx.DB, email, kind string) string {
	t.Helper()
	var body string
	if err := db.Get(&body, `SELECT body FROM mail_outbox WHERE recipient = $1 AND kind = $2 ORDER BY id DESC LIMIT 1`, email, kind); err != nil {
		t.Fatalf("no %s mail to %s: %v", kind, email, err)
	}
	m := resetLink.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no link in the mail:\n%s", body)
	}
	return m[1] + m[2]
}

// mails are the kinds of the mails queued to email, in order.
func mails(t *testing.T, db *sqlx.DB, email string) []string {
	t.Helper()
	var kinds []string
	if err := db.Select(&kinds, `SELECT kind FROM mail_outbox WHERE recipient = $1 ORDER BY id`, email); err != nil {
		t.Fatal(err)
	}
	return kinds
}

// from sends req as a browser at address would (address:port as the peer).
func from(c *pagetest.Client, address, method, path string, form url.Values) *pagetest.Response {
	req := httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
	req.RemoteAddr = address + ":40000"
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0")
	return c.Do(req)
}

// sessionCount counts user userID's sessions.
func sessionCount(t *testing.T, db *sqlx.DB, userID int64) int {
	t.Helper()
	var n int
	db.Get(&n, `SELECT count(*) FROM sessions WHERE user_id = $1`, userID)
	return n
}
