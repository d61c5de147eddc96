package accounts_test

import (
	"errors"
	"net/http"
	"net/url"
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

// markedFailures counts the failed second-factor codes recorded for email.
func markedFailures(t *testing.T, db *sqlx.DB, email string) int {
	t.Helper()
	var n int
	if err := db.Get(&n, `SELECT count(*) FROM login_failures WHERE email = '2fa:' || $1`, email); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestEnrolmentCodesThrottled: wrong codes confirming an enrolment are
// refused beside the field and counted as wrong sign-in codes are; past
// the limit even the right code is refused as throttled and enables
// nothing, until the delay has passed.
func TestEnrolmentCodesThrottled(t *testing.T) {
	base, db := newApp(t)
	h := base.Engine
	u := webtest.MustUser(t, db, accounts.NewUser{Email: "lead@madaf.example", OrgKind: auth.OrgCluster, Roles: []string{auth.RoleEconomicLead}})
	c := signIn(t, db, h, u.Email)
	if r := c.Post("/account/2fa/begin", nil); r.Code != http.StatusSeeOther {
		t.Fatalf("begin: %d", r.Code)
	}
	m := shownSecret.FindStringSubmatch(c.Get(auth.EnrolmentPath).Body)
	if m == nil {
		t.Fatal("no secret on the page")
	}
	secret := m[1]
	for i := range 5 {
		r := c.Post("/account/2fa/confirm", url.Values{"code": {"00000" + strconv.Itoa(i)}})
		pagetest.ExpectErrorBeside(t, r, "code")
	}
	if n := markedFailures(t, db, u.Email); n != 5 {
		t.Fatalf("%d failures recorded, want 5", n)
	}
	code, _ := auth.TOTPCode(secret, time.Now())
	r := c.Post("/account/2fa/confirm", url.Values{"code": {code}})
	pagetest.Expect(t, r, http.StatusTooManyRequests, "יותר מדי ניסיונות")
	var enabled bool
	db.Get(&enabled, `SELECT totp_enabled_at IS NOT NULL FROM users WHERE id = $1`, u.ID)
	if enabled {
		t.Fatal("a throttled confirmation enabled the second factor")
	}

	// The delay passes (the failures are a minute older than they were).
	db.MustExec(`UPDATE login_failures SET at = at - interval '1 minute'`)
	done := c.Post("/account/2fa/confirm", url.Values{"code": {code}})
	pagetest.Expect(t, done, http.StatusOK, `id="recovery-codes"`)
	if n := markedFailures(t, db, u.Email); n != 0 {
		t.Errorf("%d failures left after the right code", n)
	}
}

// TestRecoveryCodesThrottled: a wrong recovery code at sign-in counts as
// a wrong code; past the limit a right recovery code is refused as
// throttled and is not used up. Renewing the recovery codes asks for the
// password, throttled as a sign-in is.
func TestRecoveryCodesThrottled(t *testing.T) {
	base, db := newApp(t)
	h := base.Engine
	u := webtest.MustUser(t, db, accounts.NewUser{Email: "lead@madaf.example", OrgKind: auth.OrgCluster, Roles: []string{auth.RoleEconomicLead}})
	mustSecondFactor(t, db, u.ID)
	codes, err := accounts.NewStore(db).NewRecoveryCodes(t.Context(), u.ID, webtest.Password, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	signInWith := func(code string) *pagetest.Response {
		o := pagetest.New(t, h)
		s := o.Post("/login", url.Values{"email": {u.Email}, "password": {webtest.Password}})
		m := hiddenStep.FindStringSubmatch(s.Body)
		if m == nil {
			t.Fatalf("no code step: %d\n%s", s.Code, s.Body)
		}
		return o.Post("/login/code", url.Values{"step": {m[1]}, "code": {code}})
	}
	for _, wrong := range []string{"aaaaa-aaaaa", "bbbbb-bbbbb", "ccccc-ccccc", "ddddd-ddddd", "eeeee-eeeee"} {
		pagetest.Expect(t, signInWith(wrong), http.StatusUnauthorized, "הקוד שגוי")
	}
	pagetest.Expect(t, signInWith(codes[0]), http.StatusTooManyRequests, "יותר מדי ניסיונות")
	var used int
	db.Get(&used, `SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NOT NULL`, u.ID)
	if used != 0 || markedFailures(t, db, u.Email) != 5 {
		t.Fatalf("%d recovery codes used up, %d failures", used, markedFailures(t, db, u.Email))
	}
	db.MustExec(`UPDATE login_failures SET at = at - interval '1 minute'`)
	if r := signInWith(codes[0]); r.Code != http.StatusSeeOther {
		t.Fatalf("the recovery code once the delay passed: %d\n%s", r.Code, r.Body)
	}

	t.Run("RenewingAsksThePassword", func(t *testing.T) {
		db.MustExec(`DELETE FROM login_failures`)
		c := signIn(t, db, h, u.Email)
		for range 5 {
			pagetest.ExpectErrorBeside(t, c.Post("/account/2fa/recovery-codes", url.Values{"password": {"not the password"}}), "password")
		}
		r := c.Post("/account/2fa/recovery-codes", url.Values{"password": {webtest.Password}})
		pagetest.Expect(t, r, http.StatusTooManyRequests, "יותר מדי ניסיונות")
		if strings.Contains(r.Body, `id="recovery-codes"`) {
			t.Fatal("new recovery codes while throttled")
		}
	})
}

// TestSecondFactorSealedAtRest: a TOTP secret is stored sealed (AES-GCM,
// bound to its user), never as it is shown; secrets stored plain, from
// before, and those the development key sealed keep working and are
// sealed again under the configured key on their first use or at start
// (ResealSecondFactors); a secret sealed under another key stops the
// start and changes nothing.
func TestSecondFactorSealedAtRest(t *testing.T) {
	production, err := auth.ParseSecretKey("q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80=")
	if err != nil {
		t.Fatal(err)
	}
	base, db := newAppWith(t, func(rt *accounts.Routes) { rt.SecretKey = production })
	h := base.Engine
	stored := func(userID int64) string {
		t.Helper()
		var s string
		if err := db.Get(&s, `SELECT coalesce(totp_secret, '') FROM users WHERE id = $1`, userID); err != nil {
			t.Fatal(err)
		}
		return s
	}
	record := func(userID int64) string { return "users.totp_secret/" + strconv.FormatInt(userID, 10) }
	// sealedBy reports whether key opens userID's stored secret as its own.
	sealedBy := func(key *auth.SecretKey, userID int64) bool {
		_, stale, err := key.Open(stored(userID), record(userID))
		return err == nil && !stale
	}
	newUser := func(email string) *accounts.User {
		return webtest.MustUser(t, db, accounts.NewUser{Email: email, OrgKind: auth.OrgCluster, Roles: []string{auth.RoleEconomicLead}})
	}

	t.Run("Enrolment", func(t *testing.T) {
		u := newUser("enrols@madaf.example")
		c := signIn(t, db, h, u.Email)
		c.Post("/account/2fa/begin", nil)
		secret := shownSecret.FindStringSubmatch(c.Get(auth.EnrolmentPath).Body)[1]
		if s := stored(u.ID); !strings.HasPrefix(s, "v1:") || strings.Contains(s, secret) || !sealedBy(production, u.ID) {
			t.Fatalf("the pending secret is stored as %q", s)
		}
		code, _ := auth.TOTPCode(secret, time.Now())
		pagetest.Expect(t, c.Post("/account/2fa/confirm", url.Values{"code": {code}}), http.StatusOK, `id="recovery-codes"`)
		if !sealedBy(production, u.ID) || sealedBy(auth.DevelopmentKey(), u.ID) {
			t.Fatalf("the enabled secret is stored as %q", stored(u.ID))
		}
		if plain, _, _ := production.Open(stored(u.ID), record(u.ID)); plain != secret {
			t.Fatal("the sealed secret is not the one shown")
		}
		if _, _, err := production.Open(stored(u.ID), record(u.ID+1)); err == nil {
			t.Fatal("the sealed secret opens as another user's")
		}
	})
	t.Run("PlainAndDevelopmentSecretsSealedOnUse", func(t *testing.T) {
		plain := newUser("plain@madaf.example")
		mustSecondFactor(t, db, plain.ID)
		dev := newUser("dev@madaf.example")
		if err := accounts.NewStore(db).EnrolSecondFactor(t.Context(), dev.ID, testSecret); err != nil {
			t.Fatal(err)
		}
		if stored(plain.ID) != testSecret || !sealedBy(auth.DevelopmentKey(), dev.ID) {
			t.Fatalf("before: %q and %q", stored(plain.ID), stored(dev.ID))
		}
		for _, u := range []*accounts.User{plain, dev} {
			pagetest.Expect(t, signIn(t, db, h, u.Email).Get("/probe"), http.StatusOK)
			if !sealedBy(production, u.ID) {
				t.Errorf("%s's secret after signing in: %q", u.Email, stored(u.ID))
			}
			pagetest.Expect(t, signIn(t, db, h, u.Email).Get("/probe"), http.StatusOK)
		}
	})
	t.Run("ResealAtStart", func(t *testing.T) {
		plain := newUser("plain2@madaf.example")
		mustSecondFactor(t, db, plain.ID)
		dev := newUser("dev2@madaf.example")
		accounts.NewStore(db).EnrolSecondFactor(t.Context(), dev.ID, testSecret)
		store := accounts.NewStore(db).WithSecretKey(production)
		n, err := store.ResealSecondFactors(t.Context())
		if err != nil || n != 2 {
			t.Fatalf("resealed %d, %v; want 2", n, err)
		}
		if !sealedBy(production, plain.ID) || !sealedBy(production, dev.ID) {
			t.Fatalf("after: %q and %q", stored(plain.ID), stored(dev.ID))
		}
		if n, err := store.ResealSecondFactors(t.Context()); err != nil || n != 0 {
			t.Fatalf("again: resealed %d, %v; want none", n, err)
		}

		other, _ := auth.ParseSecretKey("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=")
		elsewhere := newUser("elsewhere@madaf.example")
		if err := accounts.NewStore(db).WithSecretKey(other).EnrolSecondFactor(t.Context(), elsewhere.ID, testSecret); err != nil {
			t.Fatal(err)
		}
		later := newUser("plain3@madaf.example")
		mustSecondFactor(t, db, later.ID)
		_, err = store.ResealSecondFactors(t.Context())
		var closed *accounts.SealedElsewhereError
		if !errors.As(err, &closed) || len(closed.Users) != 1 || closed.Users[0] != elsewhere.ID || !errors.Is(err, auth.ErrSealedElsewhere) {
			t.Fatalf("a secret of another key: %v", err)
		}
		if stored(later.ID) != testSecret {
			t.Fatal("a refused start sealed secrets all the same")
		}
	})
}
