package app

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	dto "github.com/prometheus/client_model/go"

	"madaf/accounts"
	"madaf/internal/auth"
	"madaf/internal/database"
	"madaf/internal/dbtest"
	"madaf/internal/webtest"
)

// opsCaller is a cluster lead's session and token on db.
type opsCaller struct{ cookie, token string }

func mustOpsCaller(t *testing.T, db *sqlx.DB) opsCaller {
	t.Helper()
	u := webtest.MustUser(t, db, accounts.NewUser{Email: "lead@madaf.example", OrgKind: auth.OrgCluster, Roles: []string{auth.RoleEconomicLead}})
	secret, _, err := auth.NewStore(db).NewSession(context.Background(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return opsCaller{cookie: secret, token: webtest.MustToken(t, db, u.ID)}
}

// TestOpsDatabaseOutage: while the database is gone, every caller (with a
// session cookie, with a token, or none) gets 503 with Retry-After: the API
// a problem with error.unavailable, the pages the error page in the
// caller's language; never a 401, a redirect to the login page or a 500.
func TestOpsDatabaseOutage(t *testing.T) {
	outages := []struct {
		name  string
		start func(t *testing.T) (*sqlx.DB, opsCaller)
	}{
		{"DatabaseDropped", func(t *testing.T) (*sqlx.DB, opsCaller) {
			dbURL := dbtest.NewURL(t)
			db, err := database.Open(context.Background(), dbURL)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			who := mustOpsCaller(t, db)
			if err := db.Ping(); err != nil {
				t.Fatal(err)
			}
			admin, err := database.Open(context.Background(), dbtest.ServerURL(t))
			if err != nil {
				t.Fatal(err)
			}
			defer admin.Close()
			u, _ := url.Parse(dbURL)
			// The server ends the pool's connections, then the database goes.
			admin.MustExec(`DROP DATABASE ` + pq.QuoteIdentifier(strings.TrimPrefix(u.Path, "/")) + ` WITH (FORCE)`)
			return db, who
		}},
		{"ServerUnreachable", func(t *testing.T) (*sqlx.DB, opsCaller) {
			who := mustOpsCaller(t, dbtest.New(t))
			db, err := sqlx.Open("postgres", "postgres://postgres@127.0.0.1:1/madaf?sslmode=disable&connect_timeout=2")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			return db, who
		}},
	}
	for _, outage := range outages {
		t.Run(outage.name, func(t *testing.T) {
			db, who := outage.start(t)
			base := New(db, quiet)
			tests := []struct {
				name, method, path, body string
				headers                  []string
				page                     string // the text of the page's title, for a page
			}{
				{"PageWithCookie", "GET", "/orders", "", []string{"Cookie", auth.CookieName + "=" + who.cookie}, "השירות אינו זמין זמנית"},
				{"PageWithCookieInArabic", "GET", "/orders", "", []string{"Cookie", auth.CookieName + "=" + who.cookie + "; madaf_lang=ar"}, "الخدمة غير متاحة مؤقتًا"},
				{"PageWithToken", "GET", "/orders", "", []string{"Authorization", "Bearer " + who.token}, "השירות אינו זמין זמנית"},
				{"APIWithCookie", "GET", "/api/v1/me", "", []string{"Cookie", auth.CookieName + "=" + who.cookie}, ""},
				{"APIWithToken", "GET", "/api/v1/orders", "", []string{"Authorization", "Bearer " + who.token}, ""},
				{"APISignIn", "POST", "/api/v1/auth/login", `{"email":"lead@madaf.example","password":"correct horse battery"}`,
					[]string{"Content-Type", "application/json"}, ""},
				{"PageSignIn", "POST", "/login", "email=lead%40madaf.example&password=correct+horse+battery",
					[]string{"Content-Type", "application/x-www-form-urlencoded", "Cookie", "madaf_lang=en"}, "Temporarily unavailable"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					r := webtest.Do(base.Engine, tt.method, tt.path, "", tt.body, tt.headers...)
					if r.Code != http.StatusServiceUnavailable || r.Header().Get("Retry-After") != "5" {
						t.Fatalf("%d Retry-After %q Location %q\n%s", r.Code, r.Header().Get("Retry-After"), r.Header().Get("Location"), r.Body)
					}
					if tt.page == "" {
						if ct := r.Header().Get("Content-Type"); ct != "application/problem+json" {
							t.Fatalf("Content-Type %q", ct)
						}
						if m := r.Map(t); m["code"] != "error.unavailable" || m["status"] != float64(503) {
							t.Fatalf("problem %v", m)
						}
						return
					}
					if ct := r.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") || !strings.Contains(r.Body.String(), tt.page) {
						t.Fatalf("Content-Type %q, want the page %q:\n%s", ct, tt.page, r.Body)
					}
				})
			}
			if r := webtest.Do(base.Engine, "GET", "/readyz", "", nil); r.Code != http.StatusServiceUnavailable {
				t.Errorf("/readyz: %d %s", r.Code, r.Body)
			}
			if r := webtest.Do(base.Engine, "GET", "/healthz", "", nil); r.Code != http.StatusOK {
				t.Errorf("/healthz: %d %s", r.Code, r.Body)
			}
		})
	}
}

// TestMetrics: /metrics is on the service's listener only with a token and
// to its bearer; with a listener of its own it is not on the service's at
// all; and no caller can add series with made-up methods or paths.
func TestMetrics(t *testing.T) {
	db := dbtest.New(t)
	const token = "metrics-s3cret"
	scrape := func(h http.Handler, authorization string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", "/metrics", nil)
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		return w
	}

	t.Run("NoTokenNoMetrics", func(t *testing.T) {
		base := New(db, quiet)
		if w := scrape(base.Engine, ""); w.Code != http.StatusNotFound {
			t.Fatalf("/metrics without a token configured: %d", w.Code)
		}
	})

	t.Run("Token", func(t *testing.T) {
		cfg := quiet
		cfg.MetricsToken = token
		base := New(db, cfg)
		for _, a := range []string{"", "Bearer wrong", "Basic " + token, token} {
			if w := scrape(base.Engine, a); w.Code != http.StatusUnauthorized || !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("Authorization %q: %d", a, w.Code)
			}
		}
		if w := scrape(base.Engine, "Bearer "+token); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "madaf_http_requests_total") {
			t.Fatalf("with the token: %d\n%.300s", w.Code, w.Body)
		}
	})

	t.Run("ListenerOfTheirOwn", func(t *testing.T) {
		cfg := quiet
		cfg.MetricsApart = true
		base := New(db, cfg)
		webtest.Do(base.Engine, "GET", "/healthz", "", nil)
		if w := scrape(base.Engine, ""); w.Code != http.StatusNotFound {
			t.Fatalf("/metrics on the service's listener: %d", w.Code)
		}
		if w := scrape(base.Metrics, ""); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `route="/healthz"`) {
			t.Fatalf("the metrics listener: %d\n%.300s", w.Code, w.Body)
		}
		cfg.MetricsToken = token
		base = New(db, cfg)
		if w := scrape(base.Metrics, ""); w.Code != http.StatusUnauthorized {
			t.Fatalf("the metrics listener without the token it asks for: %d", w.Code)
		}
		if w := scrape(base.Metrics, "Bearer "+token); w.Code != http.StatusOK {
			t.Fatalf("the metrics listener with its token: %d", w.Code)
		}
	})

	t.Run("LabelsAreBounded", func(t *testing.T) {
		base := New(db, quiet)
		routes := map[string]bool{"unmatched": true}
		for _, r := range base.Engine.Routes() {
			routes[r.Path] = true
		}
		series := func() int {
			families, err := base.Registry.Gather()
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, f := range families {
				if f.GetName() != "madaf_http_requests_total" {
					continue
				}
				for _, m := range f.GetMetric() {
					n++
					labels := labelsOf(m)
					switch labels["method"] {
					case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "OTHER":
					default:
						t.Errorf("a series for method %q", labels["method"])
					}
					if !routes[labels["route"]] {
						t.Errorf("a series for route %q", labels["route"])
					}
				}
			}
			return n
		}
		for i, m := range []string{"FOO", "BREW", "PROPFIND", "X-" + strings.Repeat("A", 40)} {
			webtest.Do(base.Engine, m, "/made-up/"+strings.Repeat("x", i+1), "", nil)
			webtest.Do(base.Engine, m, "/api/v1/orders", "", nil)
		}
		before := series()
		for i, m := range []string{"QUUX", "SPAM", "TRACE", "CONNECTX", "EGGS"} {
			webtest.Do(base.Engine, m, "/made-up/"+strings.Repeat("y", i+1), "", nil)
			webtest.Do(base.Engine, m, "/api/v1/orders", "", nil)
			webtest.Do(base.Engine, "GET", "/nothing/here/"+strings.Repeat("z", i+1), "", nil)
		}
		if after := series(); after > before+1 {
			t.Fatalf("made-up methods and paths added %d series", after-before)
		}
	})
}

func labelsOf(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}
