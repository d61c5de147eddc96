package accounts_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"madaf/accounts"
	"madaf/internal/auth"
	"madaf/internal/dbtest"
	"madaf/internal/server"
	"madaf/internal/webtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// newBase is the base server with the accounts API mounted.
func newBase(t *testing.T, db *sqlx.DB) *server.Base {
	t.Helper()
	base := webtest.NewBase(t, db)
	accounts.Routes{Store: accounts.NewStore(db), Sessions: base.Auth}.Mount(server.Router{API: base.API})
	return base
}

func TestLoginSessionAndTokens(t *testing.T) {
	db := dbtest.New(t)
	base := newBase(t, db)
	webtest.MustUser(t, db, accounts.NewUser{Email: "Lead@Example.com", OrgKind: auth.OrgCluster, Roles: []string{auth.RoleEconomicLead}})
	login := func(email, password string, headers ...string) webtest.Response {
		return webtest.Do(base.Engine, "POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": password}, headers...)
	}

	r := login("lead@example.com", webtest.Password)
	if r.Code != http.StatusOK {
		t.Fatalf("login: %d %s", r.Code, r.Body)
	}
	cookie := r.Result().Cookies()[0]
	if cookie.Name != auth.CookieName || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Secure {
		t.Fatalf("cookie %+v", cookie)
	}
	var stored int
	db.Get(&stored, `SELECT count(*) FROM sessions WHERE token_hash = sha256($1::bytea)`, cookie.Value)
	if stored != 1 {
		t.Fatalf("session not stored hashed (%d rows match)", stored)
	}
	withCookie := func(method, path string, body any, headers ...string) webtest.Response {
		return webtest.Do(base.Engine, method, path, "", body, append(headers, "Cookie", cookie.Name+"="+cookie.Value)...)
	}
	if r := withCookie("GET", "/api/v1/me", nil); r.Code != 200 || r.Map(t)["email"] != "Lead@Example.com" {
		t.Fatalf("me: %d %s", r.Code, r.Body)
	}

	t.Run("SecureCookieBehindTLS", func(t *testing.T) {
		r := login("lead@example.com", webtest.Password, "X-Forwarded-Proto", "https")
		if c := r.Result().Cookies()[0]; c.Secure {
			t.Fatal("a client that is no trusted proxy passed for TLS with X-Forwarded-Proto")
		}
		if err := base.TrustProxies([]string{"192.0.2.1"}); err != nil { // httptest's client
			t.Fatal(err)
		}
		defer base.TrustProxies(nil)
		r = login("lead@example.com", webtest.Password, "X-Forwarded-Proto", "https")
		if c := r.Result().Cookies()[0]; !c.Secure {
			t.Fatal("cookie not Secure behind a trusted TLS proxy")
		}
	})

	t.Run("CrossSitePostRefused", func(t *testing.T) {
		r := withCookie("POST", "/api/v1/auth/tokens", map[string]string{"name": "x"}, "Sec-Fetch-Site", "cross-site")
		if r.Code != http.StatusForbidden {
			t.Fatalf("cross-site: %d %s", r.Code, r.Body)
		}
		r = withCookie("POST", "/api/v1/auth/tokens", map[string]string{"name": "x"}, "Origin", "https://evil.example", "Host", "madaf.example")
		if r.Code != http.StatusForbidden {
			t.Fatalf("foreign origin: %d %s", r.Code, r.Body)
		}
		var n int
		db.Get(&n, `SELECT count(*) FROM api_tokens`)
		if n != 0 {
			t.Fatalf("%d tokens created by refused requests", n)
		}
	})

	var token string
	t.Run("TokenOnceAndRevoked", func(t *testing.T) {
		r := withCookie("POST", "/api/v1/auth/tokens", map[string]string{"name": "ERP"}, "Sec-Fetch-Site", "same-origin")
		if r.Code != http.StatusCreated {
			t.Fatalf("token: %d %s", r.Code, r.Body)
		}
		m := r.Map(t)
		token = m["token"].(string)
		if r := webtest.Do(base.Engine, "GET", "/api/v1/me", token, nil); r.Code != 200 {
			t.Fatalf("bearer: %d", r.Code)
		}
		list := webtest.Do(base.Engine, "GET", "/api/v1/auth/tokens", token, nil)
		if strings.Contains(list.Body.String(), token) {
			t.Fatal("token listed again")
		}
		var n int
		db.Get(&n, `SELECT count(*) FROM api_tokens WHERE token_hash = sha256($1::bytea)`, token)
		if n != 1 {
			t.Fatal("token not stored hashed")
		}
		id := strings.TrimSuffix(strings.Split(list.Body.String(), `"id":`)[1], "")
		id = id[:strings.IndexAny(id, ",}")]
		if r := webtest.Do(base.Engine, "DELETE", "/api/v1/auth/tokens/"+id, token, nil); r.Code != http.StatusNoContent {
			t.Fatalf("revoke: %d %s", r.Code, r.Body)
		}
		if r := webtest.Do(base.Engine, "GET", "/api/v1/me", token, nil); r.Code != http.StatusUnauthorized {
			t.Fatalf("revoked token: %d", r.Code)
		}
		if r := webtest.Do(base.Engine, "GET", "/api/v1/me", "mdf_not-a-token", nil); r.Code != http.StatusUnauthorized {
			t.Fatalf("made-up token: %d", r.Code)
		}
	})

	t.Run("Logout", func(t *testing.T) {
		if r := withCookie("POST", "/api/v1/auth/logout", nil); r.Code != http.StatusNoContent {
			t.Fatalf("logout: %d", r.Code)
		}
		if r := withCookie("GET", "/api/v1/me", nil); r.Code != http.StatusUnauthorized {
			t.Fatalf("after logout: %d", r.Code)
		}
	})

	t.Run("ThrottledAfterFailures", func(t *testing.T) {
		for i := 0; i < 5; i++ {
			if r := login("lead@example.com", "wrong password"); r.Code != http.StatusUnauthorized {
				t.Fatalf("failure %d: %d %s", i, r.Code, r.Body)
			}
		}
		r := login("lead@example.com", webtest.Password)
		if r.Code != http.StatusTooManyRequests || r.Header().Get("Retry-After") == "" {
			t.Fatalf("after 5 failures: %d %v %s", r.Code, r.Header(), r.Body)
		}
	})

	t.Run("ThrottledPerAddress", func(t *testing.T) {
		from := func(address, email string) int {
			req := httptest.NewRequest("POST", "/api/v1/auth/login", strings.NewReader(`{"email":"`+email+`","password":"wrong"}`))
			req.Header.Set("Content-Type", "application/json")
			req.RemoteAddr = address + ":5555"
			req.Header.Set("X-Forwarded-For", "198.51.100.1") // not a trusted proxy: ignored
			w := httptest.NewRecorder()
			base.Engine.ServeHTTP(w, req)
			return w.Code
		}
		for i := 0; i < 20; i++ {
			if code := from("203.0.113.7", strconv.Itoa(i)+"@example.com"); code != http.StatusUnauthorized {
				t.Fatalf("failure %d: %d", i, code)
			}
		}
		if code := from("203.0.113.7", "someone@example.com"); code != http.StatusTooManyRequests {
			t.Fatalf("address after 20 failures: %d", code)
		}
		if code := from("203.0.113.8", "someone@example.com"); code != http.StatusUnauthorized {
			t.Fatalf("another address: %d", code)
		}
	})
}

func TestUsersAdministration(t *testing.T) {
	db := dbtest.New(t)
	base := newBase(t, db)
	var authorityID int64
	db.Get(&authorityID, `INSERT INTO authorities (code, name_he, kind) VALUES ('654', 'כפר קרע', 'local_council') RETURNING id`)
	admin := webtest.MustToken(t, db, webtest.MustUser(t, db, accounts.NewUser{Email: "admin@example.com", OrgKind: auth.OrgCluster, Roles: []string{auth.RoleClusterAdmin}}).ID)
	lead := webtest.MustToken(t, db, webtest.MustUser(t, db, accounts.NewUser{Email: "lead@example.com", OrgKind: auth.OrgCluster, Roles: []string{auth.RoleEconomicLead}}).ID)
	user := map[string]any{"email": "officer@kq.example", "name": "סמיר", "org_kind": "authority", "authority_id": authorityID, "roles": []string{"officer"}, "lang": "ar"}

	if r := webtest.Do(base.Engine, "POST", "/api/v1/users", lead, user); r.Code != http.StatusForbidden {
		t.Fatalf("lead creates a user: %d", r.Code)
	}
	bad := map[string]any{"email": "x@kq.example", "name": "x", "org_kind": "authority", "authority_id": authorityID, "roles": []string{"supplier"}}
	if r := webtest.Do(base.Engine, "POST", "/api/v1/users", admin, bad); r.Code != http.StatusUnprocessableEntity || !strings.Contains(r.Body.String(), `"field":"roles"`) {
		t.Fatalf("supplier role in an authority: %d %s", r.Code, r.Body)
	}
	r := webtest.Do(base.Engine, "POST", "/api/v1/users", admin, user)
	if r.Code != http.StatusCreated || strings.Contains(r.Body.String(), "password") {
		t.Fatalf("create: %d %s", r.Code, r.Body)
	}
	id := strconv.FormatInt(int64(r.Map(t)["id"].(float64)), 10)
	if _, err := accounts.NewStore(db).SetPasswordByLink(t.Context(), linkFromMail(t, db, "officer@kq.example", "account_invitation"), "a long password", "192.0.2.1"); err != nil {
		t.Fatalf("invitation: %v", err)
	}
	login := webtest.Do(base.Engine, "POST", "/api/v1/auth/login", "", map[string]string{"email": "officer@kq.example", "password": "a long password"})
	if login.Code != http.StatusOK || login.Map(t)["lang"] != "ar" {
		t.Fatalf("login: %d %s", login.Code, login.Body)
	}
	if r := webtest.Do(base.Engine, "POST", "/api/v1/users/"+id+"/deactivate", admin, nil); r.Code != http.StatusOK {
		t.Fatalf("deactivate: %d", r.Code)
	}
	cookie := login.Result().Cookies()[0]
	if r := webtest.Do(base.Engine, "GET", "/api/v1/me", "", nil, "Cookie", cookie.Name+"="+cookie.Value); r.Code != http.StatusUnauthorized {
		t.Fatalf("session of a deactivated user: %d", r.Code)
	}
}

// TestConcurrentGuessesAreThrottled: forty guesses at once for one account
// are not all checked against the password; at most five fail before the
// rest are refused with 429.
func TestConcurrentGuessesAreThrottled(t *testing.T) {
	db := dbtest.New(t)
	base := newBase(t, db)
	webtest.MustUser(t, db, accounts.NewUser{Email: "lead@example.com", OrgKind: auth.OrgCluster, Roles: []string{auth.RoleEconomicLead}})
	codes := make(chan int, 40)
	for i := range 40 {
		go func() {
			req := httptest.NewRequest("POST", "/api/v1/auth/login", strings.NewReader(`{"email":"lead@example.com","password":"guess `+strconv.Itoa(i)+`"}`))
			req.Header.Set("Content-Type", "application/json")
			req.RemoteAddr = "203.0.113." + strconv.Itoa(i+1) + ":5555"
			w := httptest.NewRecorder()
			base.Engine.ServeHTTP(w, req)
			codes <- w.Code
		}()
	}
	count := map[int]int{}
	for range 40 {
		count[<-codes]++
	}
	if count[http.StatusUnauthorized] != 5 || count[http.StatusTooManyRequests] != 35 {
		t.Fatalf("answers %v, want 5 × 401 and 35 × 429", count)
	}
	var failures int
	db.Get(&failures, `SELECT count(*) FROM login_failures`)
	if failures != 5 {
		t.Fatalf("%d failures recorded, want 5", failures)
	}
}

// TestTrustedProxy: behind a configured load balancer, throttling counts
// the client named in X-Forwarded-For, not the balancer.
func TestTrustedProxy(t *testing.T) {
	db := dbtest.New(t)
	base := newBase(t, db)
	if err := base.TrustProxies([]string{"10.0.0.0/8"}); err != nil {
		t.Fatal(err)
	}
	webtest.MustUser(t, db, accounts.NewUser{Email: "lead@example.com", OrgKind: auth.OrgCluster, Roles: []string{auth.RoleEconomicLead}})
	login := func(client, email, password string) int {
		req := httptest.NewRequest("POST", "/api/v1/auth/login", strings.NewReader(`{"email":"`+email+`","password":"`+password+`"}`))
		req.Header.Set("Content-Type", "application/json")
		req.RemoteAddr = "10.1.2.3:443"
		req.Header.Set("X-Forwarded-For", client)
		w := httptest.NewRecorder()
		base.Engine.ServeHTTP(w, req)
		return w.Code
	}
	for i := range 20 {
		login("198.51.100.9", strconv.Itoa(i)+"@example.com", "wrong")
	}
	if code := login("198.51.100.9", "lead@example.com", webtest.Password); code != http.StatusTooManyRequests {
		t.Fatalf("the sprayer's address: %d", code)
	}
	if code := login("198.51.100.10", "lead@example.com", webtest.Password); code != http.StatusOK {
		t.Fatalf("another client behind the same balancer: %d", code)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestRefusalsByKey: each refusal of the auth middleware carries its key
// and the English detail.
func TestRefusalsByKey(t *testing.T) {
	db := dbtest.New(t)
	base := newBase(t, db)
	lead := webtest.MustToken(t, db, webtest.MustUser(t, db, accounts.NewUser{Email: "lead@example.com", OrgKind: auth.OrgCluster, Roles: []string{auth.RoleEconomicLead}}).ID)
	tests := []struct {
		name    string
		method  string
		path    string
		token   string
		headers []string
		status  int
		code    string
		detail  string
	}{
		{"NotBearer", "GET", "/api/v1/me", "", []string{"Authorization", "Basic eDp5"}, http.StatusUnauthorized, "auth.bearer_format", `the Authorization header must be "Bearer <token>"`},
		{"MadeUpToken", "GET", "/api/v1/me", "mdf_made-up", nil, http.StatusUnauthorized, "auth.token_invalid", "the API token is not valid or was revoked"},
		{"Anonymous", "GET", "/api/v1/me", "", nil, http.StatusUnauthorized, "auth.required", "log in or send an API token"},
		{"AnonymousAdmin", "GET", "/api/v1/users", "", nil, http.StatusUnauthorized, "auth.required", "log in or send an API token"},
		{"WrongRole", "GET", "/api/v1/users", lead, nil, http.StatusForbidden, "auth.role_required", "this needs one of the roles: cluster_admin"},
		{"TokenNotFound", "DELETE", "/api/v1/auth/tokens/x", lead, nil, http.StatusNotFound, "not_found.token", "token not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := webtest.Do(base.Engine, tt.method, tt.path, tt.token, nil, tt.headers...)
			m := r.Map(t)
			if r.Code != tt.status || m["code"] != tt.code || m["detail"] != tt.detail {
				t.Fatalf("got %d %s, want %d %s %q", r.Code, r.Body, tt.status, tt.code, tt.detail)
			}
		})
	}
}
