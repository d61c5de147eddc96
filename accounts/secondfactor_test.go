package accounts_test

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"madaf/accounts"
	"madaf/internal/auth"
	"madaf/internal/page/pagetest"
	"madaf/internal/webtest"
)

var (
	shownSecret   = regexp.MustCompile(`id="totp-secret">([A-Z2-7]+)<`)
	recoveryCodes = regexp.MustCompile(`<code dir="ltr">([a-z2-7]{5}-[a-z2-7]{5})</code>`)
)

// TestSecondFactorRequired: a treasurer, or a holder of a signature
// delegation, without a second factor reaches nothing but the enrolment
// after signing in (pages go there, the API answers 403, with the session
// or with an API token alike), and enrols with the QR code's secret.
func TestSecondFactorRequired(t *testing.T) {
	base, db := newApp(t)
	h := base.Engine
	var authorityID int64
	db.Get(&authorityID, `INSERT INTO authorities (code, name_he, kind) VALUES ('9300', 'זכרון יעקב', 'local_council') RETURNING id`)
	treasurer := webtest.MustUser(t, db, accounts.NewUser{Email: "treasurer@zichron.example", OrgKind: auth.OrgAuthority, AuthorityID: authorityID, Roles: []string{auth.RoleTreasurer}})
	c, secret := signInCookie(t, db, h, treasurer.Email)
	cookie := auth.CookieName + "=" + secret

	for _, path := range []string{"/probe", "/account", "/"} {
		if r := c.Get(path); r.Code != http.StatusSeeOther || r.Location != auth.EnrolmentPath {
			t.Errorf("GET %s: %d %q, want the enrolment", path, r.Code, r.Location)
		}
	}
	r := webtest.Do(h, "GET", "/api/v1/me", "", nil, "Cookie", cookie)
	if r.Code != http.StatusForbidden || r.Map(t)["code"] != "account.second_factor_required" {
		t.Errorf("API with the session: %d %s", r.Code, r.Body)
	}
	token, err := auth.NewStore(db).NewToken(t.Context(), treasurer.ID, "script")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/v1/me", "/api/v1/auth/tokens"} {
		r := webtest.Do(h, "GET", path, token.Token, nil)
		if r.Code != http.StatusForbidden || r.Map(t)["code"] != "account.second_factor_required" {
			t.Errorf("API with a token before enrolling: GET %s %d %s", path, r.Code, r.Body)
		}
	}
	if r := webtest.Do(h, "POST", "/api/v1/auth/tokens", token.Token, map[string]string{"name": "another"}); r.Code != http.StatusForbidden {
		t.Errorf("a token made another before enrolling: %d %s", r.Code, r.Body)
	}
	pagetest.Expect(t, c.Get(auth.EnrolmentPath), http.StatusOK, `id="second-factor-due"`, `id="begin-enrolment"`)

	if r := c.Post("/account/2fa/begin", nil); r.Code != http.StatusSeeOther {
		t.Fatalf("begin: %d", r.Code)
	}
	page := c.Get(auth.EnrolmentPath)
	pagetest.Expect(t, page, http.StatusOK, `src="data:image/png;base64,`)
	m := shownSecret.FindStringSubmatch(page.Body)
	if m == nil {
		t.Fatalf("no secret on the page\n%s", page.Body)
	}
	secret = m[1]
	pagetest.ExpectErrorBeside(t, c.Post("/account/2fa/confirm", url.Values{"code": {"000000"}}), "code")
	code, _ := auth.TOTPCode(secret, time.Now())
	done := c.Post("/account/2fa/confirm", url.Values{"code": {code}})
	pagetest.Expect(t, done, http.StatusOK, `id="recovery-codes"`)
	if n := len(recoveryCodes.FindAllString(done.Body, -1)); n != 10 {
		t.Errorf("%d recovery codes shown, want 10", n)
	}
	pagetest.Expect(t, c.Get("/probe"), http.StatusOK)
	if r := webtest.Do(h, "GET", "/api/v1/me", "", nil, "Cookie", cookie); r.Code != http.StatusOK {
		t.Errorf("API with the session after enrolling: %d", r.Code)
	}
	if r := webtest.Do(h, "GET", "/api/v1/me", token.Token, nil); r.Code != http.StatusOK {
		t.Errorf("API with the token after enrolling: %d %s", r.Code, r.Body)
	}
	if again := c.Get(auth.EnrolmentPath); strings.Contains(again.Body, secret) || again.Code != http.StatusOK {
		t.Error("the secret is shown again after enrolment")
	}
	var audit []string
	db.Select(&audit, `SELECT coalesce(after ->> 'totp_secret', '') FROM audit_log WHERE object = 'users' AND after ? 'totp_secret'`)
	if len(audit) == 0 || slices.ContainsFunc(audit, func(v string) bool { return v != "***" }) {
		t.Errorf("the audit trail records the secret as %q", audit)
	}
	var outbox int
	db.Get(&outbox, `SELECT count(*) FROM mail_outbox WHERE body LIKE '%' || $1 || '%'`, secret)
	if outbox != 0 || !slices.Contains(mails(t, db, treasurer.Email), "account_second_factor_enabled") {
		t.Errorf("mails %v (%d carry the secret)", mails(t, db, treasurer.Email), outbox)
	}
	r2 := c.Post("/account/2fa/disable", url.Values{"password": {webtest.Password}})
	pagetest.Expect(t, r2, http.StatusConflict, "התפקיד שלך מחייב")

	t.Run("Delegate", func(t *testing.T) {
		deputy := webtest.MustUser(t, db, accounts.NewUser{Email: "deputy@zichron.example", OrgKind: auth.OrgAuthority, AuthorityID: authorityID, Roles: []string{auth.RoleOfficer}})
		d := signIn(t, db, h, deputy.Email)
		pagetest.Expect(t, d.Get("/probe"), http.StatusOK)
		token := webtest.MustToken(t, db, deputy.ID)
		if r := webtest.Do(h, "GET", "/api/v1/me", token, nil); r.Code != http.StatusOK {
			t.Fatalf("an officer's token: %d", r.Code)
		}
		db.MustExec(`INSERT INTO signature_delegations (authority_id, slot, holder_id, delegate_id, max_total, valid_from, valid_until, granted_by)
			VALUES ($1, 'treasurer', $2, $3, 50000, current_date, current_date + 30, $2)`, authorityID, treasurer.ID, deputy.ID)
		if r := d.Get("/probe"); r.Code != http.StatusSeeOther || r.Location != auth.EnrolmentPath {
			t.Errorf("a delegate without a second factor: %d %q", r.Code, r.Location)
		}
		r := webtest.Do(h, "GET", "/api/v1/me", token, nil)
		if r.Code != http.StatusForbidden || r.Map(t)["code"] != "account.second_factor_required" {
			t.Errorf("a token made before the delegation: %d %s", r.Code, r.Body)
		}
	})
	t.Run("NewRole", func(t *testing.T) {
		officer := webtest.MustUser(t, db, accounts.NewUser{Email: "officer@zichron.example", OrgKind: auth.OrgAuthority, AuthorityID: authorityID, Roles: []string{auth.RoleOfficer}})
		token := webtest.MustToken(t, db, officer.ID)
		db.MustExec(`UPDATE users SET roles = ARRAY['officer', 'head'] WHERE id = $1`, officer.ID)
		r := webtest.Do(h, "GET", "/api/v1/me", token, nil)
		if r.Code != http.StatusForbidden || r.Map(t)["code"] != "account.second_factor_required" {
			t.Errorf("a token made before the user became head: %d %s", r.Code, r.Body)
		}
		if r := webtest.Do(h, "POST", "/api/v1/auth/logout", token, nil); r.Code != http.StatusNoContent {
			t.Errorf("signing out: %d %s", r.Code, r.Body)
		}
	})
}

// signInCookie is signIn that also returns the session cookie.
func signInCookie(t *testing.T, db *sqlx.DB, h http.Handler, email string) (*pagetest.Client, string) {
	t.Helper()
	c := pagetest.New(t, h)
	r := c.Post("/login", url.Values{"email": {email}, "password": {webtest.Password}})
	for _, ck := range (&http.Response{Header: r.Header}).Cookies() {
		if ck.Name == auth.CookieName {
			return c, ck.Value
		}
	}
	t.Fatalf("sign in %s: %d without a session", email, r.Code)
	return nil, ""
}

// TestSecondFactorSignIn: an enrolled user's sign-in asks for the code
// after the password, and the session only starts with the code; a wrong
// code is refused and throttled as a password is; a code and a recovery
// code are good once.
func TestSecondFactorSignIn(t *testing.T) {
	base, db := newApp(t)
	h := base.Engine
	u := webtest.MustUser(t, db, accounts.NewUser{Email: "lead@madaf.example", OrgKind: auth.OrgCluster, Roles: []string{auth.RoleEconomicLead}})
	mustSecondFactor(t, db, u.ID)
	c := pagetest.New(t, h)
	step := c.Post("/login", url.Values{"email": {u.Email}, "password": {webtest.Password}, "next": {"/probe"}})
	pagetest.Expect(t, step, http.StatusOK, `action="/login/code"`)
	if n := sessionCount(t, db, u.ID); n != 0 {
		t.Fatalf("%d sessions before the code", n)
	}
	stepSecret := hiddenStep.FindStringSubmatch(step.Body)[1]
	post := func(code string) *pagetest.Response {
		return c.Post("/login/code", url.Values{"step": {stepSecret}, "next": {"/probe"}, "code": {code}})
	}
	for i := range 5 {
		r := post("12345" + strconv.Itoa(i))
		pagetest.Expect(t, r, http.StatusUnauthorized, "הקוד שגוי")
	}
	r := post(codeNow(t, db, u.ID, testSecret))
	pagetest.Expect(t, r, http.StatusTooManyRequests, "יותר מדי ניסיונות")
	var marked int
	db.Get(&marked, `SELECT count(*) FROM login_failures WHERE email = '2fa:' || $1`, u.Email)
	if marked != 5 || sessionCount(t, db, u.ID) != 0 {
		t.Fatalf("%d marked failures, %d sessions", marked, sessionCount(t, db, u.ID))
	}
	if _, err := accounts.NewStore(db).Authenticate(t.Context(), u.Email, webtest.Password, "192.0.2.1"); err != nil {
		t.Errorf("wrong codes throttle the password too: %v", err)
	}

	db.MustExec(`DELETE FROM login_failures`)
	code := codeNow(t, db, u.ID, testSecret)
	if r := post(code); r.Code != http.StatusSeeOther || r.Location != "/probe" {
		t.Fatalf("right code: %d %q\n%s", r.Code, r.Location, r.Body)
	}
	pagetest.Expect(t, c.Get("/probe"), http.StatusOK)

	t.Run("CodeGoodOnce", func(t *testing.T) {
		o := pagetest.New(t, h)
		s := o.Post("/login", url.Values{"email": {u.Email}, "password": {webtest.Password}})
		r := o.Post("/login/code", url.Values{"step": {hiddenStep.FindStringSubmatch(s.Body)[1]}, "code": {code}})
		pagetest.Expect(t, r, http.StatusUnauthorized, "כבר נעשה בו שימוש")
	})
	t.Run("StepGoodOnce", func(t *testing.T) {
		r := post(codeNow(t, db, u.ID, testSecret))
		pagetest.Expect(t, r, http.StatusUnprocessableEntity, "יש להיכנס שוב")
	})
	t.Run("RecoveryCodeOnce", func(t *testing.T) {
		codes, err := accounts.NewStore(db).NewRecoveryCodes(t.Context(), u.ID, webtest.Password, "192.0.2.1")
		if err != nil || len(codes) != 10 {
			t.Fatalf("codes %v, %v", codes, err)
		}
		signInWith := func(code string) int {
			o := pagetest.New(t, h)
			s := o.Post("/login", url.Values{"email": {u.Email}, "password": {webtest.Password}})
			return o.Post("/login/code", url.Values{"step": {hiddenStep.FindStringSubmatch(s.Body)[1]}, "code": {code}}).Code
		}
		if got := signInWith(strings.ToUpper(codes[3])); got != http.StatusSeeOther {
			t.Fatalf("recovery code: %d", got)
		}
		if got := signInWith(codes[3]); got != http.StatusUnauthorized {
			t.Fatalf("recovery code again: %d", got)
		}
	})
	t.Run("API", func(t *testing.T) {
		login := func(body map[string]string) webtest.Response {
			return webtest.Do(h, "POST", "/api/v1/auth/login", "", body)
		}
		r := login(map[string]string{"email": u.Email, "password": webtest.Password})
		if r.Code != http.StatusUnauthorized || r.Map(t)["code"] != "login.code_required" || len(r.Result().Cookies()) != 0 {
			t.Fatalf("without the code: %d %s", r.Code, r.Body)
		}
		r = login(map[string]string{"email": u.Email, "password": webtest.Password, "code": "000000"})
		if r.Code != http.StatusUnauthorized || r.Map(t)["code"] != "login.code_wrong" {
			t.Fatalf("wrong code: %d %s", r.Code, r.Body)
		}
		r = login(map[string]string{"email": u.Email, "password": webtest.Password, "code": codeNow(t, db, u.ID, testSecret)})
		if r.Code != http.StatusOK || len(r.Result().Cookies()) != 1 {
			t.Fatalf("with the code: %d %s", r.Code, r.Body)
		}
	})
	t.Run("Disable", func(t *testing.T) {
		r := c.Post("/account/2fa/disable", url.Values{"password": {"not it"}})
		pagetest.ExpectErrorBeside(t, r, "password")
		if r := c.Post("/account/2fa/disable", url.Values{"password": {webtest.Password}}); r.Code != http.StatusSeeOther {
			t.Fatalf("disable: %d\n%s", r.Code, r.Body)
		}
		var left int
		db.Get(&left, `SELECT count(*) FROM recovery_codes WHERE user_id = $1`, u.ID)
		if left != 0 || !slices.Contains(mails(t, db, u.Email), "account_second_factor_disabled") {
			t.Errorf("%d recovery codes left, mails %v", left, mails(t, db, u.Email))
		}
	})
}

// TestEnrolSecondFactor: the demo's way of enrolling a published secret.
func TestEnrolSecondFactor(t *testing.T) {
	base, db := newApp(t)
	u := webtest.MustUser(t, db, accounts.NewUser{Email: "head@zichron.example", OrgKind: auth.OrgCluster, Roles: []string{auth.RoleClusterAdmin}})
	s := accounts.NewStore(db)
	if err := s.EnrolSecondFactor(t.Context(), u.ID, "not base32!"); err == nil {
		t.Fatal("a secret that is no base32 was enrolled")
	}
	if err := s.EnrolSecondFactor(t.Context(), u.ID, testSecret); err != nil {
		t.Fatal(err)
	}
	c := signIn(t, db, base.Engine, u.Email)
	pagetest.Expect(t, c.Get("/probe"), http.StatusOK)
}
