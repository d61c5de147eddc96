package app

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// authzFuzzRoute is a route a fuzz target calls: its path with the world's
// ids and the callers authzTable allows on it.
type authzFuzzRoute struct {
	key, method, path string
	callers           []authzCaller
	body              []byte // a valid body, when authzBodies has one
}

// fuzzRoutes are the world's routes that keep (API, or any) and whose
// method is one of methods, each with its path filled once and the
// signed-in callers the table allows (nobody when it allows only nobody).
func (w *authzWorld) fuzzRoutes(t testing.TB, apiOnly bool, methods ...string) []authzFuzzRoute {
	t.Helper()
	table, err := parseAuthzTable()
	if err != nil {
		t.Fatal(err)
	}
	var out []authzFuzzRoute
	for _, r := range w.routes() {
		if apiOnly && !strings.HasPrefix(r.Path, "/api/") {
			continue
		}
		ok := false
		for _, m := range methods {
			ok = ok || m == r.Method
		}
		if !ok {
			continue
		}
		key := r.Method + " " + r.Path
		fr := authzFuzzRoute{key: key, method: r.Method}
		fr.path, fr.body = w.path(t, r.Method, r.Path)
		fr.path = w.spareRows(t, fr.path)
		for _, c := range w.callers {
			if table[key][c.name] && c.userID != 0 {
				fr.callers = append(fr.callers, c)
			}
		}
		if len(fr.callers) == 0 {
			fr.callers = []authzCaller{w.callers[0]}
		}
		out = append(out, fr)
	}
	if len(out) == 0 {
		t.Fatal("no routes to fuzz")
	}
	return out
}

// checkFuzzAnswer fails t on a 5xx, and on an API answer that is an error
// without a problem+json code.
func checkFuzzAnswer(t *testing.T, what string, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code >= 500 {
		t.Fatalf("%s: %d %s", what, rec.Code, rec.Body)
	}
	if rec.Code >= 400 && strings.Contains(what, " /api/") && rec.Code != http.StatusMethodNotAllowed {
		var p struct{ Code string }
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") ||
			json.Unmarshal(rec.Body.Bytes(), &p) != nil || p.Code == "" {
			t.Fatalf("%s: %d without a problem code: %s %s", what, rec.Code, rec.Header().Get("Content-Type"), rec.Body)
		}
	}
}

// FuzzAPIBodies posts any body to every POST, PUT and PATCH route of the
// API (route picks one), as a signed-in caller the route allows (who picks
// one), with the world's ids in the path. No body may make the service
// answer 5xx or panic, and every refusal is a problem with a code.
func FuzzAPIBodies(f *testing.F) {
	w := mustAuthzWorld(f)
	routes := w.fuzzRoutes(f, true, http.MethodPost, http.MethodPut, http.MethodPatch)
	for i, r := range routes {
		f.Add(uint16(i), uint8(0), []byte("{}"))
		if r.body != nil {
			f.Add(uint16(i), uint8(1), r.body)
		}
	}
	for i, b := range []string{"", "null", "[]", `{"lines": [{"item_id": 1, "quantity": "1e400"}]}`,
		`{"amount": "-0.001", "fiscal_year": 99999}`, `{"valid_from": "2024-02-30", "max_total": "1e9"}`,
		`{"name": "\u0000"}`, `{"email": "a@b", "roles": ["officer", "officer"]}`, `{"a": 1, "a": 2}`,
		`{"status": "done", "note": "` + strings.Repeat("א", 3000) + `"}`, "{\"x\": \"\xff\"}", `{"lang": "zz"}`} {
		f.Add(uint16(i*7), uint8(i), []byte(b))
	}
	f.Fuzz(func(t *testing.T, route uint16, who uint8, body []byte) {
		r := routes[int(route)%len(routes)]
		c := r.callers[int(who)%len(r.callers)]
		rec := w.do(t, c, r.method, r.path, body)
		checkFuzzAnswer(t, r.method+" "+r.path+" as "+c.name, rec)
	})
}

// FuzzQuery requests every GET route, of the API and the pages, with any
// query string (route picks the route, who a caller it allows), with the
// world's ids in the path: paging cursors and limits, filters, dates,
// years, search terms. No query may make the service answer 5xx or panic.
func FuzzQuery(f *testing.F) {
	w := mustAuthzWorld(f)
	routes := w.fuzzRoutes(f, false, http.MethodGet)
	for i := range routes {
		f.Add(uint16(i), uint8(0), "limit=2&cursor=MQ")
	}
	for i, q := range []string{"limit=0", "limit=201", "limit=abc", "cursor=!!", "cursor=LTE", "cursor=OTIyMzM3MjAzNjg1NDc3NTgwOA",
		"group=tender&from=2024-01&to=2023-13", "group=nope", "from=9999-99", "year=0", "year=99999999999",
		"q=%D7%9E%D7%97%D7%A9%D7%91&category=%00", "q=" + strings.Repeat("x", 300), "tender=-1&authority=abc&supplier=1e3",
		"status=bogus&status=draft", "month=2024-1", "supplier=1&month=2024-02", "lang=zz", "page=-1", "%zz", "a=%ff%fe",
		"from=2024-02-30&to=2024-02-29", "sort=;DROP", "year=2024&format=xlsx"} {
		f.Add(uint16(i*11), uint8(i), q)
	}
	f.Fuzz(func(t *testing.T, route uint16, who uint8, query string) {
		r := routes[int(route)%len(routes)]
		c := r.callers[int(who)%len(r.callers)]
		target := r.path + "?" + query
		if !validTarget(target) {
			return // not a request target a client can send
		}
		rec := w.do(t, c, r.method, target, nil)
		checkFuzzAnswer(t, "GET "+target+" as "+c.name, rec)
	})
}

// validTarget reports whether target is a request target a client can
// send: visible ASCII without a fragment, parsing as a URL.
func validTarget(target string) bool {
	for i := 0; i < len(target); i++ {
		if target[i] <= ' ' || target[i] >= 0x7f || target[i] == '#' {
			return false
		}
	}
	_, err := http.NewRequest(http.MethodGet, "http://madaf.example"+target, nil)
	return err == nil
}
