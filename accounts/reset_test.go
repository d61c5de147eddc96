package accounts_test

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"madaf/accounts"
	"madaf/internal/auth"
	"madaf/internal/page/pagetest"
	"madaf/internal/webtest"
)

// TestResetLink: the cluster admin sends a reset link without seeing it;
// the link sets a new password once, signs the user in and ends their
// other sessions (TestResetLinkExpiresAfterAnHour moves the clock past its
// hour).
func TestResetLink(t *testing.T) {
	base, db := newApp(t)
	h := base.Engine
	admin := webtest.MustUser(t, db, accounts.NewUser{Email: "admin@madaf.example", OrgKind: auth.OrgCluster, Roles: []string{auth.RoleClusterAdmin}})
	adminToken := webtest.MustToken(t, db, admin.ID)
	lead := webtest.MustUser(t, db, accounts.NewUser{Email: "lead@madaf.example", Name: "מיכל", OrgKind: auth.OrgCluster, Roles: []string{auth.RoleEconomicLead}})
	elsewhere := signIn(t, db, h, lead.Email)
	leadToken := webtest.MustToken(t, db, lead.ID)

	send := func() string {
		t.Helper()
		r := webtest.Do(h, "POST", "/api/v1/users/"+strconv.FormatInt(lead.ID, 10)+"/password-link", adminToken, nil)
		if r.Code != http.StatusAccepted || r.Map(t)["purpose"] != "reset" {
			t.Fatalf("send: %d %s", r.Code, r.Body)
		}
		secret := linkFromMail(t, db, lead.Email, "account_reset_link")
		if strings.Contains(r.Body.String(), secret) {
			t.Fatal("the administrator sees the link")
		}
		return secret
	}
	secret := send()
	var stored int
	db.Get(&stored, `SELECT count(*) FROM account_tokens WHERE token_hash = sha256($1::bytea) AND expires_at BETWEEN now() + interval '59 minutes' AND now() + interval '61 minutes'`, secret)
	if stored != 1 {
		t.Fatal("the link is not stored hashed for an hour")
	}
	if _, err := accounts.NewStore(db).Authenticate(t.Context(), lead.Email, webtest.Password, "192.0.2.1"); err != nil {
		t.Fatalf("the password stops working before the link is used: %v", err)
	}

	c := pagetest.New(t, h)
	pagetest.Expect(t, c.Get("/reset/"+secret), http.StatusOK, "מיכל", "lead@madaf.example")
	r := c.Post("/reset/"+secret, url.Values{"password": {"password1234"}, "confirm": {"password1234"}})
	pagetest.Expect(t, r, http.StatusUnprocessableEntity, "הסיסמאות הנפוצות")
	r = c.Post("/reset/"+secret, url.Values{"password": {"גשם ראשון בכרמל"}, "confirm": {"גשם ראשון בכרמל!"}})
	pagetest.Expect(t, r, http.StatusUnprocessableEntity, "אינן זהות")
	r = c.Post("/reset/"+secret, url.Values{"password": {"גשם ראשון בכרמל"}, "confirm": {"גשם ראשון בכרמל"}})
	if r.Code != http.StatusSeeOther {
		t.Fatalf("reset: %d\n%s", r.Code, r.Body)
	}
	pagetest.Expect(t, c.Get("/probe"), http.StatusOK)
	if r := elsewhere.Get("/probe"); r.Code != http.StatusSeeOther {
		t.Errorf("the session opened before the reset still works: %d", r.Code)
	}
	if r := webtest.Do(h, "GET", "/api/v1/me", leadToken, nil); r.Code != http.StatusUnauthorized {
		t.Errorf("an API token made before the reset still works: %d", r.Code)
	}
	if !slices.Contains(mails(t, db, lead.Email), "account_password_changed") {
		t.Error("no mail that the password changed")
	}

	t.Run("OnlyOnce", func(t *testing.T) {
		again := pagetest.New(t, h)
		pagetest.Expect(t, again.Get("/reset/"+secret), http.StatusNotFound, "הקישור אינו תקף")
		r := again.Post("/reset/"+secret, url.Values{"password": {"עוד סיסמה ארוכה"}, "confirm": {"עוד סיסמה ארוכה"}})
		pagetest.Expect(t, r, http.StatusNotFound, "הקישור אינו תקף")
		if again.Get("/probe").Code != http.StatusSeeOther {
			t.Error("a used link signed someone in")
		}
	})
	t.Run("UsingOneLinkUsesUpTheOthers", func(t *testing.T) {
		first, second := send(), send()
		c := pagetest.New(t, h)
		if r := c.Post("/reset/"+second, url.Values{"password": {"עוד סיסמה ארוכה"}, "confirm": {"עוד סיסמה ארוכה"}}); r.Code != http.StatusSeeOther {
			t.Fatalf("second link: %d", r.Code)
		}
		pagetest.Expect(t, c.Get("/reset/"+first), http.StatusNotFound)
	})
	t.Run("WithSecondFactorTheCodeStillCounts", func(t *testing.T) {
		mustSecondFactor(t, db, lead.ID)
		secret := send()
		c := pagetest.New(t, h)
		r := c.Post("/reset/"+secret, url.Values{"password": {"ועוד סיסמה ארוכה"}, "confirm": {"ועוד סיסמה ארוכה"}})
		if c.Get("/probe").Code != http.StatusSeeOther {
			t.Fatal("the link signed in a user with a second factor without the code")
		}
		if r := answerCode(t, db, c, r, lead.Email); r.Code != http.StatusSeeOther {
			t.Fatalf("code: %d\n%s", r.Code, r.Body)
		}
		pagetest.Expect(t, c.Get("/probe"), http.StatusOK)
	})
}

// TestResetLinkExpiresAfterAnHour: on a clock the test moves, a reset link
// still opens and sets the password at 59 minutes, once; at 60 minutes and
// a second it is refused, and the password stays.
func TestResetLinkExpiresAfterAnHour(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	move := func(d time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(d)
	}
	base, db := newAppWith(t, func(rt *accounts.Routes) { rt.Store = rt.Store.WithClock(clock) })
	h := base.Engine
	admin := webtest.MustUser(t, db, accounts.NewUser{Email: "admin@madaf.example", OrgKind: auth.OrgCluster, Roles: []string{auth.RoleClusterAdmin}})
	adminToken := webtest.MustToken(t, db, admin.ID)
	lead := webtest.MustUser(t, db, accounts.NewUser{Email: "lead@madaf.example", Name: "מיכל", OrgKind: auth.OrgCluster, Roles: []string{auth.RoleEconomicLead}})
	send := func() string {
		t.Helper()
		r := webtest.Do(h, "POST", "/api/v1/users/"+strconv.FormatInt(lead.ID, 10)+"/password-link", adminToken, nil)
		if r.Code != http.StatusAccepted {
			t.Fatalf("send: %d %s", r.Code, r.Body)
		}
		at, err := time.Parse(time.RFC3339, r.Map(t)["expires_at"].(string))
		if want := clock().Add(time.Hour); err != nil || at.Sub(want).Abs() > time.Second {
			t.Fatalf("the link expires at %v (%v), want an hour on the clock: %v", r.Map(t)["expires_at"], err, want)
		}
		return linkFromMail(t, db, lead.Email, "account_reset_link")
	}
	set := func(secret, password string) *pagetest.Response {
		return pagetest.New(t, h).Post("/reset/"+secret, url.Values{"password": {password}, "confirm": {password}})
	}

	late := send()
	move(59*time.Minute + 59*time.Second)
	pagetest.Expect(t, pagetest.New(t, h).Get("/reset/"+late), http.StatusOK, "lead@madaf.example")
	move(2 * time.Second)
	pagetest.Expect(t, pagetest.New(t, h).Get("/reset/"+late), http.StatusNotFound, "הקישור אינו תקף")
	pagetest.Expect(t, set(late, "סיסמה שאיחרה את המועד"), http.StatusNotFound, "הקישור אינו תקף")
	if _, err := accounts.NewStore(db).Authenticate(t.Context(), lead.Email, webtest.Password, "192.0.2.1"); err != nil {
		t.Fatalf("an expired link changed the password: %v", err)
	}

	inTime := send()
	move(59 * time.Minute)
	if r := set(inTime, "סיסמה שהגיעה בזמן"); r.Code != http.StatusSeeOther {
		t.Fatalf("a link at 59 minutes: %d\n%s", r.Code, r.Body)
	}
	pagetest.Expect(t, set(inTime, "ועוד סיסמה אחת"), http.StatusNotFound, "הקישור אינו תקף")
	if _, err := accounts.NewStore(db).Authenticate(t.Context(), lead.Email, "סיסמה שהגיעה בזמן", "192.0.2.1"); err != nil {
		t.Fatalf("the password the link set: %v", err)
	}
}

// TestForgotPasswordTakesAlike: "forgot password" takes about as long for
// an address that is a user's (a link is stored and mailed) as for one
// that is not: the medians of alternating requests differ by less than
// forgotTimingSlack.
func TestForgotPasswordTakesAlike(t *testing.T) {
	base, db := newApp(t)
	h := base.Engine
	u := webtest.MustUser(t, db, accounts.NewUser{Email: "officer@zichron.example", OrgKind: auth.OrgCluster, Roles: []string{auth.RoleEconomicLead}})
	ask := func(email string) time.Duration {
		t.Helper()
		start := time.Now()
		r := webtest.Do(h, "POST", "/api/v1/auth/forgot", "", map[string]string{"email": email})
		took := time.Since(start)
		if r.Code != http.StatusAccepted {
			t.Fatalf("forgot %s: %d %s", email, r.Code, r.Body)
		}
		return took
	}
	ask(u.Email)
	ask("nobody@zichron.example")
	const rounds = 25
	var known, unknown []time.Duration
	for i := range rounds {
		// Forget the links sent, so that every request for the user
		// sends one (at most three an hour are sent).
		db.MustExec(`DELETE FROM account_tokens`)
		if i%2 == 0 {
			known = append(known, ask(u.Email))
			unknown = append(unknown, ask("nobody@zichron.example"))
		} else {
			unknown = append(unknown, ask("nobody@zichron.example"))
			known = append(known, ask(u.Email))
		}
	}
	var mailed int
	db.Get(&mailed, `SELECT count(*) FROM mail_outbox WHERE recipient = $1`, u.Email)
	if mailed != rounds+1 {
		t.Fatalf("%d reset mails to the user, want %d: the known address did not take the known path", mailed, rounds+1)
	}
	median := func(ds []time.Duration) time.Duration {
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	k, n := median(known), median(unknown)
	t.Logf("median: known %v, unknown %v", k, n)
	if d := (k - n).Abs(); d > forgotTimingSlack {
		t.Fatalf("known address %v, unknown %v: %v apart, more than %v", k, n, d, forgotTimingSlack)
	}
}

// forgotTimingSlack is how far apart the two medians may be: below what
// storing a link and its mail adds (some milliseconds), above the
// machine's noise.
const forgotTimingSlack = 2 * time.Millisecond

// TestForgotPassword: the form answers the same for an address that is a
// user's and one that is not, and only the first gets a link.
func TestForgotPassword(t *testing.T) {
	base, db := newApp(t)
	h := base.Engine
	u := webtest.MustUser(t, db, accounts.NewUser{Email: "officer@zichron.example", OrgKind: auth.OrgCluster, Roles: []string{auth.RoleEconomicLead}, Lang: "en"})
	ask := func(email string) *pagetest.Response {
		return pagetest.New(t, h).Post("/forgot", url.Values{"email": {email}})
	}
	known, unknown := ask("Officer@Zichron.example"), ask("nobody@zichron.example")
	if known.Code != http.StatusOK || known.Code != unknown.Code || known.Body != unknown.Body {
		t.Fatalf("answers differ: %d and %d\n%s\n---\n%s", known.Code, unknown.Code, known.Body, unknown.Body)
	}
	pagetest.Expect(t, known, http.StatusOK, "אם הכתובת רשומה במערכת")
	var queued []struct{ Recipient, Lang, Subject string }
	db.Select(&queued, `SELECT recipient, lang, subject FROM mail_outbox`)
	if len(queued) != 1 || queued[0].Recipient != u.Email || queued[0].Lang != "en" || !strings.Contains(queued[0].Subject, "reset") {
		t.Fatalf("mails %+v, want one reset link to the user, in English", queued)
	}

	a, b := webtest.Do(h, "POST", "/api/v1/auth/forgot", "", map[string]string{"email": u.Email}),
		webtest.Do(h, "POST", "/api/v1/auth/forgot", "", map[string]string{"email": "nobody@zichron.example"})
	if a.Code != http.StatusAccepted || a.Code != b.Code || a.Body.String() != b.Body.String() {
		t.Fatalf("API answers differ: %d %q, %d %q", a.Code, a.Body, b.Code, b.Body)
	}
	t.Run("AtMostThreeAnHour", func(t *testing.T) {
		for range 3 {
			ask(u.Email)
		}
		var links int
		db.Get(&links, `SELECT count(*) FROM account_tokens WHERE user_id = $1 AND purpose = 'reset'`, u.ID)
		if links != 3 || len(mails(t, db, u.Email)) != 3 {
			t.Fatalf("%d links and %d mails in an hour, want 3", links, len(mails(t, db, u.Email)))
		}
	})
	t.Run("NotForADeactivatedUser", func(t *testing.T) {
		db.MustExec(`DELETE FROM account_tokens`)
		db.MustExec(`UPDATE users SET active = false WHERE id = $1`, u.ID)
		defer db.MustExec(`UPDATE users SET active = true WHERE id = $1`, u.ID)
		pagetest.Expect(t, ask(u.Email), http.StatusOK, "אם הכתובת רשומה במערכת")
		var links int
		db.Get(&links, `SELECT count(*) FROM account_tokens`)
		if links != 0 {
			t.Fatal("a deactivated user got a link")
		}
	})
}

// TestInvitation: a user the admin creates gets an invitation for a week
// instead of a password typed by the admin, and sets their own with it.
func TestInvitation(t *testing.T) {
	base, db := newApp(t)
	h := base.Engine
	var authorityID int64
	db.Get(&authorityID, `INSERT INTO authorities (code, name_he, kind) VALUES ('9300', 'זכרון יעקב', 'local_council') RETURNING id`)
	admin := webtest.MustUser(t, db, accounts.NewUser{Email: "admin@madaf.example", OrgKind: auth.OrgCluster, Roles: []string{auth.RoleClusterAdmin}})
	token := webtest.MustToken(t, db, admin.ID)
	r := webtest.Do(h, "POST", "/api/v1/users", token, map[string]any{"email": "gizbarit@zichron.example", "name": "רונית", "org_kind": "authority",
		"authority_id": authorityID, "roles": []string{"treasurer"}})
	if r.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Code, r.Body)
	}
	id := int64(r.Map(t)["id"].(float64))
	if r := webtest.Do(h, "POST", "/api/v1/users", token, map[string]any{"email": "x@zichron.example", "name": "x", "password": "a long password",
		"org_kind": "cluster", "roles": []string{"economic_lead"}}); r.Code != http.StatusBadRequest {
		t.Errorf("the admin set a password: %d %s", r.Code, r.Body)
	}
	var days float64
	db.Get(&days, `SELECT extract(epoch FROM expires_at - created_at) / 86400 FROM account_tokens WHERE user_id = $1 AND purpose = 'invitation'`, id)
	if days != 7 {
		t.Errorf("the invitation lasts %.2f days, want 7", days)
	}
	if _, err := accounts.NewStore(db).Authenticate(t.Context(), "gizbarit@zichron.example", "", "192.0.2.1"); err == nil {
		t.Fatal("an invited user signs in without a password")
	}
	r = webtest.Do(h, "POST", "/api/v1/users/"+strconv.FormatInt(id, 10)+"/password-link", token, nil)
	if r.Code != http.StatusAccepted || r.Map(t)["purpose"] != "invitation" {
		t.Fatalf("send again: %d %s", r.Code, r.Body)
	}
	if got := mails(t, db, "gizbarit@zichron.example"); !slices.Equal(got, []string{"account_invitation", "account_invitation"}) {
		t.Fatalf("mails %v", got)
	}

	c := pagetest.New(t, h)
	secret := linkFromMail(t, db, "gizbarit@zichron.example", "account_invitation")
	pagetest.Expect(t, c.Get("/reset/"+secret), http.StatusOK, "ברוכים הבאים", "רונית")
	r2 := c.Post("/reset/"+secret, url.Values{"password": {"הכרמל ירוק בחורף"}, "confirm": {"הכרמל ירוק בחורף"}})
	if r2.Code != http.StatusSeeOther {
		t.Fatalf("set: %d\n%s", r2.Code, r2.Body)
	}
	if r := c.Get("/probe"); r.Code != http.StatusSeeOther || r.Location != auth.EnrolmentPath {
		t.Fatalf("a treasurer goes on without a second factor: %d %q", r.Code, r.Location)
	}
	if _, err := accounts.NewStore(db).Authenticate(t.Context(), "gizbarit@zichron.example", "הכרמל ירוק בחורף", "192.0.2.1"); err != nil {
		t.Errorf("the password set: %v", err)
	}
	if slices.Contains(mails(t, db, "gizbarit@zichron.example"), "account_password_changed") {
		t.Error("a first password is mailed as a change")
	}
}
