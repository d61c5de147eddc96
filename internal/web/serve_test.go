package web

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"madaf/internal/apperr"
)

func TestServe(t *testing.T) {
	gin.SetMode(gin.TestMode)
	for _, tc := range []struct {
		name        string
		status      int
		body        any
		err         error
		wantCode    int
		wantType    string
		wantBodyHas string
	}{
		{"JSON", http.StatusCreated, map[string]int{"id": 7}, nil, http.StatusCreated, "application/json; charset=utf-8", `{"id":7}`},
		{"StatusOnly", http.StatusNoContent, nil, nil, http.StatusNoContent, "", ""},
		{"Error", http.StatusOK, map[string]int{"id": 7}, apperr.NotFound("not_found.tender"), http.StatusNotFound, "application/problem+json", `"detail":"tender not found"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := gin.New()
			r.GET("/", Serve(func(c *gin.Context) (int, any, error) { return tc.status, tc.body, tc.err }))
			w := httptest.NewRecorder()
			r.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
			if w.Code != tc.wantCode {
				t.Fatalf("status %d, want %d", w.Code, tc.wantCode)
			}
			if got := w.Header().Get("Content-Type"); got != tc.wantType {
				t.Errorf("Content-Type %q, want %q", got, tc.wantType)
			}
			if tc.wantBodyHas == "" && w.Body.Len() > 0 {
				t.Errorf("body %q, want none", w.Body.String())
			}
			if !strings.Contains(w.Body.String(), tc.wantBodyHas) {
				t.Errorf("body %s lacks %s", w.Body.String(), tc.wantBodyHas)
			}
		})
	}
}

func TestServeNotModified(t *testing.T) {
	gin.SetMode(gin.TestMode)
	r := gin.New()
	r.GET("/", Serve(func(c *gin.Context) (int, any, error) {
		c.Header("ETag", `"v7"`)
		return http.StatusOK, map[string]int{"id": 7}, nil
	}))
	r.POST("/", Serve(func(c *gin.Context) (int, any, error) {
		c.Header("ETag", `"v7"`)
		return http.StatusOK, map[string]int{"id": 7}, nil
	}))
	for _, tc := range []struct {
		name, method, ifNoneMatch string
		want                      int
	}{
		{"Match", http.MethodGet, `"v7"`, http.StatusNotModified},
		{"WeakMatch", http.MethodGet, `W/"v7"`, http.StatusNotModified},
		{"InList", http.MethodGet, `"v6", "v7"`, http.StatusNotModified},
		{"Any", http.MethodGet, `*`, http.StatusNotModified},
		{"Stale", http.MethodGet, `"v6"`, http.StatusOK},
		{"None", http.MethodGet, ``, http.StatusOK},
		{"NotAGet", http.MethodPost, `"v7"`, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, "/", nil)
			if tc.ifNoneMatch != "" {
				req.Header.Set("If-None-Match", tc.ifNoneMatch)
			}
			w := httptest.NewRecorder()
			r.ServeHTTP(w, req)
			if w.Code != tc.want || w.Header().Get("ETag") != `"v7"` {
				t.Fatalf("status %d ETag %q, want %d", w.Code, w.Header().Get("ETag"), tc.want)
			}
			if tc.want == http.StatusNotModified && (w.Body.Len() > 0 || w.Header().Get("Content-Type") != "") {
				t.Errorf("304 with body %q, Content-Type %q", w.Body.String(), w.Header().Get("Content-Type"))
			}
		})
	}
}

func TestHTTPAllow(t *testing.T) {
	for in, want := range map[string]string{
		"POST":           "POST, OPTIONS",
		"POST, GET":      "GET, HEAD, POST, OPTIONS",
		"DELETE,PUT,GET": "GET, HEAD, PUT, DELETE, OPTIONS",
	} {
		if got := fullAllow(in); got != want {
			t.Errorf("fullAllow(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHTTPRoutePatterns(t *testing.T) {
	for _, tc := range []struct {
		pattern, path string
		want          bool
	}{
		{"/api/v1/orders/:id", "/api/v1/orders/7", true},
		{"/api/v1/orders/:id", "/api/v1/orders/7/events", false},
		{"/api/v1/orders/:id", "/api/v1/orders/", false},
		{"/api/v1/workplan/:year/tasks/:id", "/api/v1/workplan/engines/import", false},
		{"/static/*file", "/static/css/madaf.css", true},
		{"/login", "/login", true},
		{"/login", "/logout", false},
	} {
		if got := patternMatches(tc.pattern, tc.path); got != tc.want {
			t.Errorf("patternMatches(%q, %q) = %v", tc.pattern, tc.path, got)
		}
	}
}

func TestHTTPDecodeJSON(t *testing.T) {
	type item struct {
		SKU string `json:"sku"`
	}
	for _, tc := range []struct {
		name, in, field, key string
	}{
		{"WrongTypeInArray", `[{"sku":"a"},{"sku":5}]`, "[1].sku", "msg.json_text"},
		{"UnknownField", `[{"sku":"a","price":1}]`, "[0].price", "msg.unknown_field"},
		{"Duplicate", `[{"sku":"a","sku":"b"}]`, "[0].sku", "msg.duplicate_field"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var items []item
			err := DecodeJSON([]byte(tc.in), &items)
			var ae *apperr.Error
			if !errors.As(err, &ae) || len(ae.Fields) != 1 || ae.Fields[0].Field != tc.field || ae.Fields[0].Key != tc.key {
				t.Fatalf("DecodeJSON(%s) = %v, want %s on %s", tc.in, err, tc.key, tc.field)
			}
		})
	}
	var items []item
	if err := DecodeJSON([]byte(`[{"sku":"a"}] [{}]`), &items); apperr.KindOf(err) != apperr.KindMalformed {
		t.Errorf("trailing data: %v", err)
	}
}
