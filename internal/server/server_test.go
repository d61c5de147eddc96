package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/shopspring/decimal"

	"madaf/internal/calendar"
	"madaf/internal/dbtest"
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
