package accounts_test

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"testing"

	"madaf/accounts"
	"madaf/internal/auth"
	"madaf/internal/page/pagetest"
	"madaf/internal/webtest"
)

var endSession = regexp.MustCompile(`action="/account/sessions/(\d+)/end"`)

// TestSessionsOnAccountPage: the account page lists the user's sessions
// with where and with what browser they were opened; each other one can be
// ended, or all of them at once; tokens are listed, made and revoked there.
func TestSessionsOnAccountPage(t *testing.T) {
	base, db := newApp(t)
	h := base.Engine
	u := webtest.MustUser(t, db, accounts.NewUser{Email: "lead@madaf.example", OrgKind: auth.OrgCluster, Roles: []string{auth.RoleEconomicLead}})
	browsers := make([]*pagetest.Client, 3)
	for i := range browsers {
		browsers[i] = pagetest.New(t, h)
		r := from(browsers[i], "198.51.100."+strconv.Itoa(i+1), "POST", "/login", url.Values{"email": {u.Email}, "password": {webtest.Password}})
		if r.Code != http.StatusSeeOther {
			t.Fatalf("sign in %d: %d", i, r.Code)
		}
	}
	me := browsers[0]
	page := me.Get("/account")
	pagetest.Expect(t, page, http.StatusOK, "198.51.100.1", "198.51.100.2", "198.51.100.3", "Firefox/140.0", "החיבור הנוכחי")
	ends := endSession.FindAllStringSubmatch(page.Body, -1)
	if len(ends) != 2 {
		t.Fatalf("%d sessions to end, want the 2 others", len(ends))
	}
	var secondID string
	db.Get(&secondID, `SELECT id::text FROM sessions WHERE address = '198.51.100.2'`)
	if r := me.Post("/account/sessions/"+secondID+"/end", nil); r.Code != http.StatusSeeOther {
		t.Fatalf("end: %d", r.Code)
	}
	if browsers[1].Get("/probe").Code != http.StatusSeeOther || browsers[2].Get("/probe").Code != http.StatusOK {
		t.Fatal("ending one session ended another")
	}
	other := webtest.MustUser(t, db, accounts.NewUser{Email: "other@madaf.example", OrgKind: auth.OrgCluster, Roles: []string{auth.RoleEconomicLead}})
	theirs := signIn(t, db, h, other.Email)
	var theirID string
	db.Get(&theirID, `SELECT id::text FROM sessions WHERE user_id = $1`, other.ID)
	pagetest.Expect(t, me.Post("/account/sessions/"+theirID+"/end", nil), http.StatusNotFound)
	if r := me.Post("/account/sessions/end-others", nil); r.Code != http.StatusSeeOther {
		t.Fatalf("end others: %d", r.Code)
	}
	if browsers[2].Get("/probe").Code != http.StatusSeeOther || me.Get("/probe").Code != http.StatusOK || theirs.Get("/probe").Code != http.StatusOK {
		t.Fatal("signing out the other sessions")
	}

	t.Run("Tokens", func(t *testing.T) {
		r := me.Post("/account/tokens", url.Values{"name": {"מערכת הכספים"}})
		pagetest.Expect(t, r, http.StatusCreated, `id="new-token"`, "מערכת הכספים", "mdf_")
		var id string
		db.Get(&id, `SELECT id::text FROM api_tokens WHERE user_id = $1`, u.ID)
		pagetest.ExpectErrorBeside(t, me.Post("/account/tokens", url.Values{"name": {""}}), "name")
		if r := me.Post("/account/tokens/"+id+"/revoke", nil); r.Code != http.StatusSeeOther {
			t.Fatalf("revoke: %d", r.Code)
		}
		if page := me.Get("/account"); !page.Contains("בוטל") || page.Contains("mdf_") {
			t.Errorf("the token is not shown revoked, or its secret is shown again\n%s", page.Body)
		}
	})
	t.Run("API", func(t *testing.T) {
		token := webtest.MustToken(t, db, u.ID)
		var list struct{ Items []auth.Session }
		webtest.Do(h, "GET", "/api/v1/me/sessions", token, nil).JSON(t, &list)
		if len(list.Items) != 1 || list.Items[0].Address != "198.51.100.1" || list.Items[0].Current {
			t.Fatalf("sessions %+v", list.Items)
		}
		path := "/api/v1/me/sessions/" + strconv.FormatInt(list.Items[0].ID, 10)
		if r := webtest.Do(h, "DELETE", path, token, nil); r.Code != http.StatusNoContent {
			t.Fatalf("delete: %d", r.Code)
		}
		if r := webtest.Do(h, "DELETE", path, token, nil); r.Code != http.StatusNotFound {
			t.Fatalf("delete again: %d", r.Code)
		}
	})
}

// TestNewAddressMail: a sign-in from an address the user has never signed
// in from before is mailed to them (not the very first one, nor a return).
func TestNewAddressMail(t *testing.T) {
	base, db := newApp(t)
	h := base.Engine
	u := webtest.MustUser(t, db, accounts.NewUser{Email: "lead@madaf.example", OrgKind: auth.OrgCluster, Roles: []string{auth.RoleEconomicLead}, Lang: "ar"})
	signInFrom := func(address string) {
		t.Helper()
		if r := from(pagetest.New(t, h), address, "POST", "/login", url.Values{"email": {u.Email}, "password": {webtest.Password}}); r.Code != http.StatusSeeOther {
			t.Fatalf("sign in from %s: %d", address, r.Code)
		}
	}
	signInFrom("198.51.100.1")
	signInFrom("198.51.100.1")
	if got := mails(t, db, u.Email); len(got) != 0 {
		t.Fatalf("mails %v after the first address", got)
	}
	signInFrom("203.0.113.9")
	signInFrom("203.0.113.9")
	if got := mails(t, db, u.Email); !slices.Equal(got, []string{"account_new_address"}) {
		t.Fatalf("mails %v, want one for the new address", got)
	}
	var body, lang string
	db.QueryRow(`SELECT body, lang FROM mail_outbox WHERE recipient = $1`, u.Email).Scan(&body, &lang)
	if lang != "ar" || !regexp.MustCompile(`203\.0\.113\.9`).MatchString(body) {
		t.Errorf("mail (%s):\n%s", lang, body)
	}

	t.Run("AfterTheSecondFactorOnly", func(t *testing.T) {
		mustSecondFactor(t, db, u.ID)
		c := pagetest.New(t, h)
		r := from(c, "192.0.2.77", "POST", "/login", url.Values{"email": {u.Email}, "password": {webtest.Password}})
		var known int
		db.Get(&known, `SELECT count(*) FROM login_known_addresses WHERE address = '192.0.2.77'`)
		if known != 0 || len(mails(t, db, u.Email)) != 1 {
			t.Fatal("the password alone made the address known")
		}
		m := hiddenStep.FindStringSubmatch(r.Body)
		r = from(c, "192.0.2.77", "POST", "/login/code", url.Values{"step": {m[1]}, "code": {codeNow(t, db, u.ID, testSecret)}})
		if r.Code != http.StatusSeeOther || len(mails(t, db, u.Email)) != 2 {
			t.Fatalf("code: %d, mails %v", r.Code, mails(t, db, u.Email))
		}
	})
}
