package accounts_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"madaf/accounts"
	"madaf/internal/auth"
	"madaf/internal/dbtest"
	"madaf/internal/server"
	"madaf/internal/webtest"
)

// logLines is a log the test reads back, one JSON object a line.
type logLines struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// security returns the security events logged so far, each as its fields.
func (l *logLines) security(t *testing.T) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(l.buf.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if m["security"] != nil {
			out = append(out, m)
		}
	}
	return out
}

// TestSecurityEvents: signing in (failed, throttled, successful), tokens
// and signing out each leave one security line naming the client's
// address, the account and the user agent.
func TestSecurityEvents(t *testing.T) {
	db := dbtest.New(t)
	var log logLines
	base := server.New(db, slog.New(slog.NewJSONHandler(&log, nil)))
	accounts.Routes{Store: accounts.NewStore(db), Sessions: base.Auth}.Mount(server.Router{API: base.API})
	webtest.MustUser(t, db, accounts.NewUser{Email: "lead@example.com", OrgKind: auth.OrgCluster, Roles: []string{auth.RoleEconomicLead}})
	const agent = "madaf-test/1.0"
	login := func(password string) webtest.Response {
		return webtest.Do(base.Engine, "POST", "/api/v1/auth/login", "", map[string]string{"email": "lead@example.com", "password": password}, "User-Agent", agent)
	}
	last := func(t *testing.T, event string) map[string]any {
		t.Helper()
		events := log.security(t)
		if len(events) == 0 || events[len(events)-1]["security"] != event {
			t.Fatalf("last security events %v, want %s", events, event)
		}
		e := events[len(events)-1]
		if e["client"] != "192.0.2.1" || e["user_agent"] != agent || e["account"] != "lead@example.com" || e["request_id"] == "" {
			t.Fatalf("%s: %v", event, e)
		}
		return e
	}

	if r := login("wrong password"); r.Code != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", r.Code)
	}
	if e := last(t, "sign_in_failed"); e["level"] != "WARN" {
		t.Errorf("a failed sign-in at level %v", e["level"])
	}
	if strings.Contains(log.buf.String(), "wrong password") {
		t.Error("the log holds the password tried")
	}

	r := login(webtest.Password)
	if r.Code != http.StatusOK {
		t.Fatalf("sign in: %d %s", r.Code, r.Body)
	}
	last(t, "sign_in")
	cookie := r.Result().Cookies()[0]
	withCookie := func(method, path string, body any) webtest.Response {
		return webtest.Do(base.Engine, method, path, "", body, "Cookie", cookie.Name+"="+cookie.Value, "User-Agent", agent)
	}

	r = withCookie("POST", "/api/v1/auth/tokens", map[string]string{"name": "scanner"})
	if r.Code != http.StatusCreated {
		t.Fatalf("token: %d %s", r.Code, r.Body)
	}
	id := int64(r.Map(t)["id"].(float64))
	if e := last(t, "token_created"); e["token_id"] != float64(id) || e["token_name"] != "scanner" {
		t.Errorf("token_created %v", e)
	}
	if strings.Contains(log.buf.String(), r.Map(t)["token"].(string)) {
		t.Error("the log holds the token's secret")
	}
	if r := withCookie("DELETE", "/api/v1/auth/tokens/"+strconv.FormatInt(id, 10), nil); r.Code != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", r.Code, r.Body)
	}
	last(t, "token_revoked")
	if r := withCookie("POST", "/api/v1/auth/logout", nil); r.Code != http.StatusNoContent {
		t.Fatalf("logout: %d", r.Code)
	}
	last(t, "sign_out")

	for range 5 {
		login("another guess")
	}
	if r := login(webtest.Password); r.Code != http.StatusTooManyRequests {
		t.Fatalf("after the guesses: %d", r.Code)
	}
	last(t, "sign_in_throttled")
}
