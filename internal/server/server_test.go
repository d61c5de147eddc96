package server_test

import (
	"crypto/tls"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"madaf/internal/calendar"
	"madaf/internal/dbtest"
	"madaf/internal/server"
	"madaf/internal/web"
	"madaf/internal/webtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

type widget struct {
	Name     string          `json:"name" validate:"required,max=10"`
	Quantity int             `json:"quantity" validate:"gt=0"`
	Cost     decimal.Decimal `json:"cost"`
	Parts    []widgetPart    `json:"parts" validate:"dive"`
}

type widgetPart struct {
	Due   calendar.Date `json:"due"`
	Count int           `json:"count" validate:"gte=0"`
}

func TestServerErrors(t *testing.T) {
	db := dbtest.New(t)
	base := webtest.NewBase(t, db)
	base.API.POST("/widgets", func(c *gin.Context) {
		var w widget
		if err := web.BindJSON(c, &w); err != nil {
			web.Error(c, err)
			return
		}
		c.JSON(http.StatusCreated, w)
	})
	base.API.GET("/boom", func(c *gin.Context) { panic("secret internal detail: password=hunter2") })

	tests := []struct {
		name       string
		method     string
		path, body string
		want       int
		contains   string
		headers    []string
	}{
		{"Valid", "POST", "/api/v1/widgets", `{"name":"כיסא","quantity":2}`, 201, `"name":"כיסא"`, nil},
		{"MalformedJSON", "POST", "/api/v1/widgets", `{"name":`, 400, "malformed JSON", nil},
		{"SyntaxError", "POST", "/api/v1/widgets", `{"name" "x"}`, 400, "malformed JSON at byte", nil},
		{"EmptyBody", "POST", "/api/v1/widgets", ``, 400, "empty", nil},
		{"TrailingData", "POST", "/api/v1/widgets", `{"name":"a","quantity":1} {}`, 400, "single JSON value", nil},
		{"UnknownField", "POST", "/api/v1/widgets", `{"name":"a","quantity":1,"price":5}`, 400, `"field":"price"`, nil},
		{"WrongType", "POST", "/api/v1/widgets", `{"name":"a","quantity":"many"}`, 422, `"field":"quantity"`, nil},
		{"Invalid", "POST", "/api/v1/widgets", `{"name":"","quantity":-3}`, 422, `"field":"quantity"`, nil},
		{"Oversized", "POST", "/api/v1/widgets", `{"name":"` + strings.Repeat("א", 600_000) + `","quantity":1}`, 413, "larger than", nil},
		{"WrongTypeInList", "POST", "/api/v1/widgets", `{"name":"a","quantity":1,"parts":[{"count":1},{"count":"x"}]}`, 422, `"field":"parts[1].count","code":"msg.whole_number"`, nil},
		{"BadDateInList", "POST", "/api/v1/widgets", `{"name":"a","quantity":1,"parts":[{"due":"2026-01-31"},{"due":"2026-13-01"}]}`, 422, `"field":"parts[1].due","code":"msg.date"`, nil},
		{"BadDecimal", "POST", "/api/v1/widgets", `{"name":"a","quantity":1,"cost":"abc"}`, 422, `"field":"cost","code":"msg.number"`, nil},
		{"RuleInList", "POST", "/api/v1/widgets", `{"name":"a","quantity":1,"parts":[{"count":-1}]}`, 422, `"field":"parts[0].count"`, nil},
		{"UnknownFieldInList", "POST", "/api/v1/widgets", `{"name":"a","quantity":1,"parts":[{"colour":"red"}]}`, 400, `"field":"parts[0].colour"`, nil},
		{"DuplicateField", "POST", "/api/v1/widgets", `{"name":"a","quantity":1,"name":"b"}`, 400, `"field":"name","code":"msg.duplicate_field"`, nil},
		{"TextPlain", "POST", "/api/v1/widgets", `{"name":"a","quantity":1}`, 415, `"code":"error.unsupported_media_type"`, []string{"Content-Type", "text/plain"}},
		{"NoContentType", "POST", "/api/v1/widgets", `{"name":"a","quantity":1}`, 415, `"code":"error.unsupported_media_type"`, []string{"Content-Type", ""}},
		{"Form", "POST", "/api/v1/widgets", `name=a&quantity=1`, 415, `"code":"error.unsupported_media_type"`, []string{"Content-Type", "application/x-www-form-urlencoded"}},
		{"ProblemJSONIsJSON", "POST", "/api/v1/widgets", `{"name":"a","quantity":1}`, 201, `"name":"a"`, []string{"Content-Type", "application/merge-patch+json"}},
		{"EmptyTextPlain", "POST", "/api/v1/widgets", ``, 400, `"code":"error.body_empty"`, []string{"Content-Type", "text/plain"}},
		{"WrongMethod", "GET", "/api/v1/widgets", ``, 405, `"detail":"method GET is not allowed here"`, nil},
		{"BadBearer", "GET", "/api/v1/nothing-here", ``, 401, `"code":"auth.token_invalid"`, []string{"Authorization", "Bearer nope"}},
		{"NotBearer", "GET", "/api/v1/nothing-here", ``, 401, `"code":"auth.bearer_format"`, []string{"Authorization", "Basic bm9wZQ=="}},
		{"NotFound", "GET", "/api/v1/nothing-here", ``, 404, "not found", nil},
		{"PanicHidesInternals", "GET", "/api/v1/boom", ``, 500, "internal error", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := webtest.Do(base.Engine, tt.method, tt.path, "", tt.body, tt.headers...)
			if r.Code != tt.want || !strings.Contains(r.Body.String(), tt.contains) {
				t.Fatalf("got %d %s, want %d containing %q", r.Code, r.Body, tt.want, tt.contains)
			}
			if r.Header().Get("X-Request-ID") == "" {
				t.Error("no X-Request-ID")
			}
			if tt.want >= 400 {
				if ct := r.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
					t.Errorf("Content-Type %q", ct)
				}
				for _, internal := range []string{"hunter2", "Go ", "decimal", "calendar", "json:", "jsontext", "server_test.", "widgetPart", "Go int"} {
					if strings.Contains(r.Body.String(), internal) {
						t.Errorf("the problem names %q: %s", internal, r.Body)
					}
				}
				m := r.Map(t)
				if int(m["status"].(float64)) != tt.want || m["request_id"] == "" || m["instance"] != tt.path {
					t.Errorf("problem %v", m)
				}
				if got := r.Header().Get("WWW-Authenticate"); (tt.want == 401) != strings.HasPrefix(got, `Bearer realm="madaf"`) {
					t.Errorf("WWW-Authenticate %q on a %d", got, tt.want)
				}
			}
		})
	}
	t.Run("BothInvalidFieldsReported", func(t *testing.T) {
		r := webtest.Do(base.Engine, "POST", "/api/v1/widgets", "", `{"name":"","quantity":0}`)
		if !strings.Contains(r.Body.String(), `"field":"name"`) || !strings.Contains(r.Body.String(), `"field":"quantity"`) {
			t.Fatalf("%s", r.Body)
		}
	})
}

// TestServerForwardedHeaders: X-Forwarded-For, -Proto and -Host are believed
// only from a trusted proxy; HSTS is sent over TLS, direct or through one.
func TestServerForwardedHeaders(t *testing.T) {
	db := dbtest.New(t)
	base := server.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)), server.Options{TrustedProxies: []string{"10.0.0.0/8", "192.0.2.10"}})
	base.Engine.GET("/probe", func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"client": c.ClientIP(), "tls": web.IsTLS(c.Request), "host": c.Request.Host})
	})
	spoof := []string{"X-Forwarded-For", "198.51.100.7", "X-Forwarded-Proto", "https", "X-Forwarded-Host", "madaf.example.org"}
	tests := []struct {
		name     string
		peer     string
		tls      bool
		headers  []string
		client   string
		overTLS  bool
		host     string
		wantHSTS bool
	}{
		{"UntrustedClientSpoofs", "203.0.113.5:4000", false, spoof, "203.0.113.5", false, "example.com", false},
		{"UntrustedNeighbour", "11.0.0.1:4000", false, spoof, "11.0.0.1", false, "example.com", false},
		{"TrustedRange", "10.1.2.3:4000", false, spoof, "198.51.100.7", true, "madaf.example.org", true},
		{"TrustedAddress", "192.0.2.10:4000", false, spoof, "198.51.100.7", true, "madaf.example.org", true},
		{"TrustedProxyOverHTTP", "10.1.2.3:4000", false, []string{"X-Forwarded-For", "198.51.100.7", "X-Forwarded-Proto", "http"}, "198.51.100.7", false, "example.com", false},
		{"NearestProxySaysHTTP", "10.1.2.3:4000", false, []string{"X-Forwarded-Proto", "https, http"}, "10.1.2.3", false, "example.com", false},
		{"DirectTLS", "203.0.113.5:4000", true, nil, "203.0.113.5", true, "example.com", true},
		{"PlainHTTP", "203.0.113.5:4000", false, nil, "203.0.113.5", false, "example.com", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/probe", nil)
			req.RemoteAddr = tt.peer
			if tt.tls {
				req.TLS = &tls.ConnectionState{}
			}
			for i := 0; i+1 < len(tt.headers); i += 2 {
				req.Header.Set(tt.headers[i], tt.headers[i+1])
			}
			w := httptest.NewRecorder()
			base.Engine.ServeHTTP(w, req)
			var got struct {
				Client string `json:"client"`
				TLS    bool   `json:"tls"`
				Host   string `json:"host"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
			if got.Client != tt.client || got.TLS != tt.overTLS || got.Host != tt.host {
				t.Errorf("client %q, TLS %v, host %q; want %q, %v, %q", got.Client, got.TLS, got.Host, tt.client, tt.overTLS, tt.host)
			}
			hsts := w.Header().Get("Strict-Transport-Security")
			if tt.wantHSTS != (hsts == "max-age=63072000; includeSubDomains") || (!tt.wantHSTS && hsts != "") {
				t.Errorf("Strict-Transport-Security %q", hsts)
			}
		})
	}
	if err := base.TrustProxies([]string{"10.0.0.0/33"}); err == nil {
		t.Error("a CIDR range of 33 bits was taken")
	}
}

// TestServerReadyzWhenTheDatabaseHangs: a database that accepts connections
// and never answers makes /readyz answer 503 within its timeout instead of
// hanging.
func TestServerReadyzWhenTheDatabaseHangs(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	})
	db, err := sqlx.Open("postgres", "postgres://postgres@"+l.Addr().String()+"/madaf?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	base := server.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
	done := make(chan *httptest.ResponseRecorder, 1)
	go func() {
		w := httptest.NewRecorder()
		base.Engine.ServeHTTP(w, httptest.NewRequest("GET", "/readyz", nil))
		done <- w
	}()
	select {
	case w := <-done:
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
			t.Fatalf("/readyz: %d %v %s", w.Code, w.Header(), w.Body)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("/readyz did not answer while the database hangs")
	}
}
