package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"madaf/internal/dbtest"
	"madaf/internal/web"
	"madaf/internal/webtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

type widget struct {
	Name     string `json:"name" validate:"required,max=10"`
	Quantity int    `json:"quantity" validate:"gt=0"`
}

func TestErrorPath(t *testing.T) {
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
	}{
		{"Valid", "POST", "/api/v1/widgets", `{"name":"כיסא","quantity":2}`, 201, `"name":"כיסא"`},
		{"MalformedJSON", "POST", "/api/v1/widgets", `{"name":`, 400, "malformed JSON"},
		{"SyntaxError", "POST", "/api/v1/widgets", `{"name" "x"}`, 400, "malformed JSON at byte"},
		{"EmptyBody", "POST", "/api/v1/widgets", ``, 400, "empty"},
		{"TrailingData", "POST", "/api/v1/widgets", `{"name":"a","quantity":1} {}`, 400, "single JSON value"},
		{"UnknownField", "POST", "/api/v1/widgets", `{"name":"a","quantity":1,"price":5}`, 400, `"field":"price"`},
		{"WrongType", "POST", "/api/v1/widgets", `{"name":"a","quantity":"many"}`, 422, `"field":"quantity"`},
		{"Invalid", "POST", "/api/v1/widgets", `{"name":"","quantity":-3}`, 422, `"field":"quantity"`},
		{"Oversized", "POST", "/api/v1/widgets", `{"name":"` + strings.Repeat("א", 600_000) + `","quantity":1}`, 413, "larger than"},
		{"NotFound", "GET", "/api/v1/nothing-here", ``, 404, "not found"},
		{"PanicHidesInternals", "GET", "/api/v1/boom", ``, 500, "internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := webtest.Do(base.Engine, tt.method, tt.path, "", tt.body)
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
				if strings.Contains(r.Body.String(), "hunter2") {
					t.Error("internals leaked")
				}
				m := r.Map(t)
				if int(m["status"].(float64)) != tt.want || m["request_id"] == "" {
					t.Errorf("problem %v", m)
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
