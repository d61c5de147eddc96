package app

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"

	"madaf/internal/auth"
	"madaf/internal/dbtest"
	"madaf/internal/webtest"
)

// httpWorld is the demo cluster behind a real HTTP server (so that HEAD
// answers go through net/http as in production), with an id of the demo
// world for every route parameter and a session and a token per demo user.
type httpWorld struct {
	t      *testing.T
	srv    *httptest.Server
	routes gin.RoutesInfo
	// params fills a route parameter, keyed by the segment before it and
	// the parameter: "orders/:id".
	params   map[string]string
	sessions map[string]string // session cookie by e-mail
	tokens   map[string]string // API token by e-mail
	client   *http.Client
	db       *sqlx.DB
}

func mustHTTPWorld(t *testing.T) *httpWorld {
	t.Helper()
	db := dbtest.New(t)
	if _, err := SeedDemo(context.Background(), db, io.Discard); err != nil {
		t.Fatalf("seed demo: %v", err)
	}
	base := New(db, quiet)
	w := &httpWorld{t: t, srv: httptest.NewServer(base.Engine), routes: base.Engine.Routes(),
		sessions: map[string]string{}, tokens: map[string]string{}, db: db,
		client: &http.Client{
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
			// Ask for compression only where a test says so, and see the
			// encoded body as sent.
			Transport: &http.Transport{DisableCompression: true},
		}}
	t.Cleanup(w.srv.Close)

	var ids struct {
		Authority, Supplier, Officer, Lead, Order, Tender, Award, Line, Token, Task, Goal, Engine int64
		Year                                                                                      int
	}
	get := func(dst any, q string, args ...any) {
		t.Helper()
		mustGet(t, db, dst, q, args...)
	}
	get(&ids.Authority, `SELECT id FROM authorities WHERE code = '9300'`)
	get(&ids.Supplier, `SELECT id FROM suppliers WHERE company_number = '510000011'`)
	get(&ids.Officer, `SELECT id FROM users WHERE email = 'officer@zichron.example'`)
	get(&ids.Lead, `SELECT id FROM users WHERE email = 'lead@madaf.example'`)
	get(&ids.Order, `SELECT id FROM orders WHERE authority_id = $1 ORDER BY id LIMIT 1`, ids.Authority)
	get(&ids.Tender, `SELECT tender_id FROM orders WHERE id = $1`, ids.Order)
	get(&ids.Award, `SELECT id FROM awards WHERE tender_id = $1 ORDER BY id LIMIT 1`, ids.Tender)
	get(&ids.Line, `SELECT id FROM budget_lines WHERE authority_id = $1 ORDER BY id LIMIT 1`, ids.Authority)
	get(&ids.Year, `SELECT max(year) FROM workplan_plans`)
	get(&ids.Task, `SELECT t.id FROM workplan_tasks t JOIN workplan_plans p ON p.id = t.plan_id WHERE p.year = $1 ORDER BY t.id LIMIT 1`, ids.Year)
	get(&ids.Goal, `SELECT g.id FROM workplan_goals g JOIN workplan_plans p ON p.id = g.plan_id WHERE p.year = $1 ORDER BY g.id LIMIT 1`, ids.Year)
	get(&ids.Engine, `SELECT id FROM strategic_engines ORDER BY id LIMIT 1`)
	for _, l := range DemoLogins {
		var id int64
		get(&id, `SELECT id FROM users WHERE email = $1`, l.Email)
		w.tokens[l.Email] = webtest.MustToken(t, db, id)
		w.sessions[l.Email] = w.login(l.Email)
	}
	get(&ids.Token, `SELECT max(id) FROM api_tokens WHERE user_id = $1`, ids.Lead)
	n := func(id int64) string { return fmt.Sprint(id) }
	w.params = map[string]string{
		"authorities/:id": n(ids.Authority), "budget-lines/:line_id": n(ids.Line),
		"suppliers/:id": n(ids.Supplier), "users/:id": n(ids.Officer), "tokens/:id": n(ids.Token),
		"orders/:id": n(ids.Order), "tenders/:id": n(ids.Tender),
		"awards/:award_id": n(ids.Award), "awards/:award": n(ids.Award), ":award/:action": "suspend",
		"status/:action": "publish", "workplan/:year": n(int64(ids.Year)),
		"tasks/:id": n(ids.Task), "goals/:id": n(ids.Goal), "engines/:id": n(ids.Engine),
		"static/*file": "madaf.css",
	}
	return w
}

// login signs in through the login form, answering the code of
// DemoTOTPSecret when the user has a second factor, and returns the session
// cookie.
func (w *httpWorld) login(email string) string {
	w.t.Helper()
	post := func(path string, form url.Values) (*http.Response, string) {
		w.t.Helper()
		req, _ := http.NewRequest(http.MethodPost, w.srv.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := w.srv.Client().Transport.RoundTrip(req)
		if err != nil {
			w.t.Fatal(err)
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		if err != nil {
			w.t.Fatal(err)
		}
		return res, string(body)
	}
	res, body := post("/login", url.Values{"email": {email}, "password": {DemoPassword}})
	if m := loginCodeStep.FindStringSubmatch(body); res.StatusCode == http.StatusOK && m != nil {
		res, _ = post("/login/code", url.Values{"step": {html.UnescapeString(m[1])}, "next": {html.UnescapeString(m[2])},
			"code": {demoCode(w.t, w.db, email)}})
	}
	for _, c := range res.Cookies() {
		if c.Name == auth.CookieName {
			return c.Value
		}
	}
	w.t.Fatalf("login %s: %d without a session", email, res.StatusCode)
	return ""
}

// fill writes a route's path with demo ids for its parameters (1 for one
// the world has no id for).
func (w *httpWorld) fill(pattern string) string {
	segs := strings.Split(pattern, "/")
	out := slices.Clone(segs)
	for i, s := range segs {
		if strings.HasPrefix(s, ":") || strings.HasPrefix(s, "*") {
			out[i] = "1"
			if v, ok := w.params[segs[i-1]+"/"+s]; ok {
				out[i] = v
			}
		}
	}
	return strings.Join(out, "/")
}

// caller is who sends a request: nobody, a signed-in browser or an API
// client.
type caller struct{ name, cookie, token string }

func (w *httpWorld) browser(email string) caller {
	return caller{name: email, cookie: w.sessions[email]}
}

func (w *httpWorld) api(email string) caller {
	return caller{name: email + " (token)", token: w.tokens[email]}
}

var anonymous = caller{name: "anonymous"}

// answer is a response read whole.
type answer struct {
	*http.Response
	body []byte
}

// do sends method target with body and headers (in pairs) as who.
func (w *httpWorld) do(who caller, method, target string, body []byte, headers ...string) answer {
	w.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, w.srv.URL+target, rd)
	if err != nil {
		w.t.Fatal(err)
	}
	if who.cookie != "" {
		req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: who.cookie})
	}
	if who.token != "" {
		req.Header.Set("Authorization", "Bearer "+who.token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := w.client.Do(req)
	if err != nil {
		w.t.Fatalf("%s %s: %v", method, target, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		w.t.Fatalf("%s %s: read: %v", method, target, err)
	}
	return answer{res, b}
}

// rawHead sends HEAD target over its own connection and returns every
// byte after the header block: what a HEAD answer must not have.
func (w *httpWorld) rawHead(who caller, target string) (status int, afterHeaders []byte) {
	w.t.Helper()
	req, _ := http.NewRequest(http.MethodHead, w.srv.URL+target, nil)
	req.Close = true
	if who.cookie != "" {
		req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: who.cookie})
	}
	if who.token != "" {
		req.Header.Set("Authorization", "Bearer "+who.token)
	}
	conn, err := net.Dial("tcp", w.srv.Listener.Addr().String())
	if err != nil {
		w.t.Fatal(err)
	}
	defer conn.Close()
	if err := req.Write(conn); err != nil {
		w.t.Fatal(err)
	}
	raw, _ := io.ReadAll(conn)
	head, rest, ok := bytes.Cut(raw, []byte("\r\n\r\n"))
	if !ok {
		w.t.Fatalf("HEAD %s: no header block in %q", target, raw)
	}
	fmt.Sscanf(string(head), "HTTP/1.1 %d", &status)
	return status, rest
}

// matches reports whether the gin route pattern matches path.
func matches(pattern, path string) bool {
	ps, xs := strings.Split(pattern, "/"), strings.Split(path, "/")
	for i, p := range ps {
		if strings.HasPrefix(p, "*") {
			return true
		}
		if i >= len(xs) || (p != xs[i] && !(strings.HasPrefix(p, ":") && xs[i] != "")) {
			return false
		}
	}
	return len(ps) == len(xs)
}

// allowed is the methods the route table routes path for, with HEAD where
// GET is and OPTIONS, sorted.
func (w *httpWorld) allowed(path string) []string {
	set := map[string]bool{http.MethodOptions: true}
	for _, r := range w.routes {
		if matches(r.Path, path) {
			set[r.Method] = true
			if r.Method == http.MethodGet {
				set[http.MethodHead] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for m := range set {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

func allowHeader(a answer) []string {
	var out []string
	for m := range strings.SplitSeq(a.Header.Get("Allow"), ",") {
		if m = strings.TrimSpace(m); m != "" {
			out = append(out, m)
		}
	}
	sort.Strings(out)
	return out
}

// paths are the route table's distinct paths, filled.
func (w *httpWorld) paths() []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range w.routes {
		if p := w.fill(r.Path); !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// volatile are the routes whose content changes with every request: the
// counters count the request itself, a token's last use is the request.
var volatile = map[string]bool{"/metrics": true, "/api/v1/auth/tokens": true}

// varying are the headers that differ between any two answers.
var varying = []string{"Date", "X-Request-Id"}

func TestHTTPRouteTable(t *testing.T) {
	w := mustHTTPWorld(t)
	callers := []caller{anonymous, w.browser("lead@madaf.example"), w.browser("officer@zichron.example"),
		w.api("admin@madaf.example")}

	t.Run("HeadIsGetWithoutBody", func(t *testing.T) {
		n := 0
		for _, r := range w.routes {
			if r.Method != http.MethodGet {
				continue
			}
			target := w.fill(r.Path)
			for _, who := range callers {
				get := w.do(who, http.MethodGet, target, nil)
				head := w.do(who, http.MethodHead, target, nil)
				if head.StatusCode != get.StatusCode {
					t.Errorf("%s as %s: HEAD %d, GET %d", target, who.name, head.StatusCode, get.StatusCode)
					continue
				}
				g, h := get.Header.Clone(), head.Header.Clone()
				for _, k := range varying {
					g.Del(k)
					h.Del(k)
				}
				if volatile[r.Path] {
					g.Del("Content-Length")
					h.Del("Content-Length")
				}
				if !headersEqual(g, h) {
					t.Errorf("%s as %s: HEAD headers differ from GET's\n GET  %v\n HEAD %v", target, who.name, g, h)
				}
				if status, rest := w.rawHead(who, target); status != get.StatusCode || len(rest) > 0 {
					t.Errorf("%s as %s: HEAD on the wire: %d with %d bytes of body", target, who.name, status, len(rest))
				}
				n++
			}
		}
		if n < 100 {
			t.Fatalf("only %d HEAD requests: the route table is not walked", n)
		}
	})

	t.Run("OptionsListsAllow", func(t *testing.T) {
		for _, path := range w.paths() {
			a := w.do(anonymous, http.MethodOptions, path, nil)
			if a.StatusCode != http.StatusNoContent || len(a.body) > 0 {
				t.Errorf("OPTIONS %s: %d %q, want 204 without body", path, a.StatusCode, a.body)
			}
			if got, want := allowHeader(a), w.allowed(path); !slices.Equal(got, want) {
				t.Errorf("OPTIONS %s: Allow %v, want %v", path, got, want)
			}
		}
	})

	t.Run("WrongMethodIs405WithAllow", func(t *testing.T) {
		n := 0
		for _, path := range w.paths() {
			want := w.allowed(path)
			for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
				if slices.Contains(want, m) {
					continue
				}
				for _, who := range []caller{anonymous, w.browser("lead@madaf.example")} {
					a := w.do(who, m, path, nil)
					n++
					if a.StatusCode != http.StatusMethodNotAllowed {
						t.Errorf("%s %s as %s: %d, want 405", m, path, who.name, a.StatusCode)
						continue
					}
					if got := allowHeader(a); !slices.Equal(got, want) {
						t.Errorf("%s %s: Allow %v, want %v", m, path, got, want)
					}
					wantType := "text/html"
					if strings.HasPrefix(path, "/api/") {
						wantType = "application/problem+json"
					}
					if ct := a.Header.Get("Content-Type"); !strings.HasPrefix(ct, wantType) {
						t.Errorf("%s %s: Content-Type %q, want %s", m, path, ct, wantType)
					}
				}
			}
		}
		if n < 100 {
			t.Fatalf("only %d requests with a wrong method", n)
		}
		a := w.do(anonymous, http.MethodDelete, "/api/v1/orders", nil)
		var p map[string]any
		if err := json.Unmarshal(a.body, &p); err != nil || p["code"] != "error.method_not_allowed" ||
			p["detail"] != "method DELETE is not allowed here" || p["instance"] != "/api/v1/orders" {
			t.Errorf("405 problem %s", a.body)
		}
		page := w.do(w.browser("officer@zichron.example"), http.MethodDelete, "/orders", nil)
		if !bytes.Contains(page.body, []byte("הפעולה אינה זמינה כאן")) {
			t.Errorf("405 page is not the error page in Hebrew:\n%s", page.body)
		}
	})

	t.Run("UnauthorizedChallenges", func(t *testing.T) {
		for _, r := range w.routes {
			if !strings.HasPrefix(r.Path, "/api/v1/") {
				continue
			}
			target := w.fill(r.Path)
			// Signing in, signing out (which forgets a session if there is
			// one) and asking for a password reset are for anyone.
			if r.Path != "/api/v1/auth/login" && r.Path != "/api/v1/auth/logout" && r.Path != "/api/v1/auth/forgot" {
				a := w.do(anonymous, r.Method, target, nil)
				if a.StatusCode != http.StatusUnauthorized || a.Header.Get("WWW-Authenticate") != `Bearer realm="madaf"` {
					t.Errorf("%s %s anonymously: %d, WWW-Authenticate %q", r.Method, target, a.StatusCode, a.Header.Get("WWW-Authenticate"))
				}
			}
			a := w.do(caller{name: "a revoked token", token: "not-a-token"}, r.Method, target, nil)
			if a.StatusCode != http.StatusUnauthorized || a.Header.Get("WWW-Authenticate") != `Bearer realm="madaf", error="invalid_token"` {
				t.Errorf("%s %s with a bad token: %d, WWW-Authenticate %q", r.Method, target, a.StatusCode, a.Header.Get("WWW-Authenticate"))
			}
		}
		page := w.do(anonymous, http.MethodGet, "/orders", nil)
		if page.StatusCode != http.StatusSeeOther || !strings.HasPrefix(page.Header.Get("Location"), "/login?next=") ||
			page.Header.Get("WWW-Authenticate") != "" {
			t.Errorf("anonymous page: %d Location %q WWW-Authenticate %q", page.StatusCode, page.Header.Get("Location"), page.Header.Get("WWW-Authenticate"))
		}
	})

	t.Run("BodyNotJSONIs415", func(t *testing.T) {
		var doc struct {
			Paths map[string]map[string]struct {
				RequestBody *struct {
					Content map[string]any `json:"content"`
				} `json:"requestBody"`
			} `json:"paths"`
		}
		if err := json.Unmarshal(OpenAPI, &doc); err != nil {
			t.Fatal(err)
		}
		// Every demo user, so that for each operation one of them passes
		// the scope and role checks and reaches the body.
		var who []caller
		for _, l := range DemoLogins {
			who = append(who, w.api(l.Email))
		}
		n := 0
		for path, ops := range doc.Paths {
			for method, op := range ops {
				if op.RequestBody == nil || op.RequestBody.Content["application/json"] == nil {
					continue
				}
				method = strings.ToUpper(method)
				target := w.fill(ginPath(path))
				for _, ct := range []string{"text/plain; charset=utf-8", "", "application/x-www-form-urlencoded"} {
					var got []string
					refused := false
					for _, c := range who {
						a := w.do(c, method, target, []byte(`{}`), "Content-Type", ct)
						got = append(got, fmt.Sprintf("%s: %d", c.name, a.StatusCode))
						if a.StatusCode < 300 {
							t.Errorf("%s %s as %s took a %q body: %d %s", method, target, c.name, ct, a.StatusCode, a.body)
						}
						if a.StatusCode == http.StatusUnsupportedMediaType {
							if !strings.HasPrefix(a.Header.Get("Content-Type"), "application/problem+json") ||
								!bytes.Contains(a.body, []byte(`"code":"error.unsupported_media_type"`)) {
								t.Errorf("%s %s: 415 %s", method, target, a.body)
							}
							refused = true
							break
						}
					}
					if !refused {
						t.Errorf("%s %s with Content-Type %q: no caller got 415 (%s)", method, target, ct, strings.Join(got, ", "))
					}
					n++
				}
			}
		}
		if n < 60 {
			t.Fatalf("only %d JSON operations tried", n)
		}
	})
}

// headersEqual compares two header sets, each header's values in order.
func headersEqual(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

func TestHTTPConditionalGet(t *testing.T) {
	w := mustHTTPWorld(t)
	for _, c := range []struct {
		name, target string
		who          caller
	}{
		{"Tender", "/api/v1/tenders/" + w.params["tenders/:id"], w.api("lead@madaf.example")},
		{"Order", "/api/v1/orders/" + w.params["orders/:id"], w.api("officer@zichron.example")},
	} {
		t.Run(c.name, func(t *testing.T) {
			first := w.do(c.who, http.MethodGet, c.target, nil)
			etag := first.Header.Get("ETag")
			if first.StatusCode != http.StatusOK || etag == "" {
				t.Fatalf("GET %s: %d, ETag %q", c.target, first.StatusCode, etag)
			}
			for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag, "*"} {
				for _, method := range []string{http.MethodGet, http.MethodHead} {
					for _, ae := range []string{"", "gzip"} {
						a := w.do(c.who, method, c.target, nil, "If-None-Match", inm, "Accept-Encoding", ae)
						if a.StatusCode != http.StatusNotModified || len(a.body) > 0 || a.Header.Get("ETag") != etag ||
							a.Header.Get("Content-Encoding") != "" {
							t.Errorf("%s %s If-None-Match %s (Accept-Encoding %q): %d ETag %q Content-Encoding %q body %q",
								method, c.target, inm, ae, a.StatusCode, a.Header.Get("ETag"), a.Header.Get("Content-Encoding"), a.body)
						}
					}
				}
			}
			if a := w.do(c.who, http.MethodGet, c.target, nil, "If-None-Match", `"stale"`); a.StatusCode != http.StatusOK || !bytes.Equal(a.body, first.body) {
				t.Errorf("a stale If-None-Match: %d %s", a.StatusCode, a.body)
			}
		})
	}
}

func TestHTTPCompression(t *testing.T) {
	w := mustHTTPWorld(t)
	lead := w.api("lead@madaf.example")
	css := regexp.MustCompile(`href="(/static/madaf\.[0-9a-f]+\.css)"`).FindSubmatch(w.do(anonymous, http.MethodGet, "/login", nil).body)
	if css == nil {
		t.Fatal("the login page links no fingerprinted style sheet")
	}
	for _, c := range []struct {
		name, target, wantType string
		who                    caller
	}{
		{"HTML", "/tenders", "text/html", w.browser("lead@madaf.example")},
		{"JSON", "/api/v1/tenders", "application/json", lead},
		{"CSS", string(css[1]), "text/css", anonymous},
		{"OpenAPI", "/api/openapi.json", "application/json", anonymous},
	} {
		t.Run(c.name, func(t *testing.T) {
			plain := w.do(c.who, http.MethodGet, c.target, nil)
			if plain.StatusCode != http.StatusOK || !strings.HasPrefix(plain.Header.Get("Content-Type"), c.wantType) {
				t.Fatalf("GET %s: %d %s", c.target, plain.StatusCode, plain.Header.Get("Content-Type"))
			}
			if ce := plain.Header.Get("Content-Encoding"); ce != "" || len(plain.body) < 1024 {
				t.Fatalf("without Accept-Encoding: Content-Encoding %q, %d bytes", ce, len(plain.body))
			}
			if !slices.Contains(plain.Header.Values("Vary"), "Accept-Encoding") {
				t.Errorf("Vary %v lacks Accept-Encoding", plain.Header.Values("Vary"))
			}
			zipped := w.do(c.who, http.MethodGet, c.target, nil, "Accept-Encoding", "gzip")
			if zipped.Header.Get("Content-Encoding") != "gzip" || !slices.Contains(zipped.Header.Values("Vary"), "Accept-Encoding") {
				t.Fatalf("with Accept-Encoding: gzip: Content-Encoding %q, Vary %v", zipped.Header.Get("Content-Encoding"), zipped.Header.Values("Vary"))
			}
			if cl := zipped.Header.Get("Content-Length"); cl != "" && cl != fmt.Sprint(len(zipped.body)) {
				t.Errorf("Content-Length %s for %d bytes sent", cl, len(zipped.body))
			}
			zr, err := gzip.NewReader(bytes.NewReader(zipped.body))
			if err != nil {
				t.Fatal(err)
			}
			unzipped, err := io.ReadAll(zr)
			if err != nil {
				t.Fatal(err)
			}
			if c.name != "HTML" && !bytes.Equal(unzipped, plain.body) {
				t.Errorf("the gzip body is not the plain one (%d vs %d bytes)", len(unzipped), len(plain.body))
			}
			if len(zipped.body) >= len(plain.body) {
				t.Errorf("gzip sent %d bytes for %d", len(zipped.body), len(plain.body))
			}
		})
	}
	t.Run("SmallAnswersStayPlain", func(t *testing.T) {
		a := w.do(anonymous, http.MethodGet, "/healthz", nil, "Accept-Encoding", "gzip")
		if a.Header.Get("Content-Encoding") != "" || string(a.body) != `{"status":"ok"}` {
			t.Errorf("healthz: Content-Encoding %q body %q", a.Header.Get("Content-Encoding"), a.body)
		}
	})
}

func TestStaticAssets(t *testing.T) {
	w := mustHTTPWorld(t)
	login := w.do(anonymous, http.MethodGet, "/login", nil)
	csp := login.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "style-src 'self'") || !strings.Contains(csp, "script-src 'self'") {
		t.Fatalf("CSP %q does not allow the service's own assets", csp)
	}
	for _, c := range []struct{ file, re, wantType string }{
		{"madaf.css", `<link rel="stylesheet" href="(/static/madaf\.[0-9a-f]{16}\.css)">`, "text/css"},
		{"madaf.js", `<script src="(/static/madaf\.[0-9a-f]{16}\.js)" defer>`, "text/javascript"},
	} {
		t.Run(c.file, func(t *testing.T) {
			m := regexp.MustCompile(c.re).FindSubmatch(login.body)
			if m == nil {
				t.Fatalf("the layout links no fingerprinted %s", c.file)
			}
			target := string(m[1])
			a := w.do(anonymous, http.MethodGet, target, nil)
			if a.StatusCode != http.StatusOK || !strings.HasPrefix(a.Header.Get("Content-Type"), c.wantType) || len(a.body) == 0 {
				t.Fatalf("GET %s: %d %s", target, a.StatusCode, a.Header.Get("Content-Type"))
			}
			if cc := a.Header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
				t.Errorf("Cache-Control %q", cc)
			}
			etag := a.Header.Get("ETag")
			if etag == "" || !strings.Contains(target, strings.Trim(etag, `"`)) {
				t.Errorf("ETag %q is not the fingerprint of %s", etag, target)
			}
			if nm := w.do(anonymous, http.MethodGet, target, nil, "If-None-Match", etag); nm.StatusCode != http.StatusNotModified || len(nm.body) > 0 {
				t.Errorf("If-None-Match: %d with %d bytes", nm.StatusCode, len(nm.body))
			}
			plain := w.do(anonymous, http.MethodGet, "/static/"+c.file, nil)
			if plain.StatusCode != http.StatusOK || !bytes.Equal(plain.body, a.body) || plain.Header.Get("Cache-Control") != "no-cache" || plain.Header.Get("ETag") != etag {
				t.Errorf("the plain name: %d, Cache-Control %q, ETag %q", plain.StatusCode, plain.Header.Get("Cache-Control"), plain.Header.Get("ETag"))
			}
		})
	}
	for _, target := range []string{"/static/", "/static", "/static/madaf.0000000000000000.css", "/static/nothing.css", "/static/../layouts/base.html"} {
		if a := w.do(anonymous, http.MethodGet, target, nil); a.StatusCode != http.StatusNotFound &&
			!(a.StatusCode == http.StatusMovedPermanently && target == "/static") {
			t.Errorf("GET %s: %d, want 404", target, a.StatusCode)
		}
	}
}
