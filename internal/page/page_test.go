package page_test

import (
	"context"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"

	"madaf/accounts"
	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/dbtest"
	"madaf/internal/i18n"
	"madaf/internal/page"
	"madaf/internal/page/pagetest"
	"madaf/internal/server"
	"madaf/internal/webtest"
	"madaf/templates"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// TestCatalogsComplete checks that he, ar and en hold the same keys and
// that every literal key a template translates exists.
func TestCatalogsComplete(t *testing.T) {
	cats, err := i18n.Load(templates.FS)
	if err != nil {
		t.Fatal(err)
	}
	he := cats["he"].Keys()
	for _, lang := range []string{"ar", "en"} {
		if diff := cmp.Diff(he, cats[lang].Keys()); diff != "" {
			t.Errorf("catalog %s differs from he (-he +%s):\n%s", lang, lang, diff)
		}
		for k, v := range cats[lang] {
			if strings.TrimSpace(v) == "" {
				t.Errorf("catalog %s: %s is empty", lang, k)
			}
		}
	}
	literal := regexp.MustCompile(`\{\{-?\s*(?:t|msg)\s+"([^"]+)"|\(t\s+"([^"]+)"`)
	err = fs.WalkDir(templates.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".html") {
			return err
		}
		b, err := fs.ReadFile(templates.FS, p)
		if err != nil {
			return err
		}
		for _, m := range literal.FindAllStringSubmatch(string(b), -1) {
			key := m[1] + m[2]
			if !cats["he"].Has(key) {
				t.Errorf("%s: key %q is not in the catalogs", p, key)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"money", page.Money(decimal.RequireFromString("1250.5")), "₪ 1,250.50"},
		{"money rounds half away from zero", page.Money(decimal.RequireFromString("0.005")), "₪ 0.01"},
		{"money millions", page.Money(decimal.RequireFromString("1234567.891")), "₪ 1,234,567.89"},
		{"money negative", page.Money(decimal.RequireFromString("-1000")), "-₪ 1,000.00"},
		{"money string", page.Money("99"), "₪ 99.00"},
		{"money nil", page.Money((*decimal.Decimal)(nil)), "—"},
		{"amount", page.Amount(decimal.RequireFromString("100000")), "100,000.00"},
		{"number", page.Number(decimal.RequireFromString("12500.50")), "12,500.5"},
		{"number int", page.Number(int64(1234)), "1,234"},
		{"percent", page.Percent(decimal.RequireFromString("1.50")), "1.5%"},
		{"date", page.FormatDate(calendar.MustParse("2024-12-31")), "31/12/2024"},
		{"no date", page.FormatDate(calendar.Date{}), "—"},
		{"iso date", page.ISODate(calendar.MustParse("2025-01-05")), "2025-01-05"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

func TestFormAbsorb(t *testing.T) {
	f := page.NewForm(url.Values{"qty_7": {"0"}})
	err := apperr.Invalid("error.invalid_fields", apperr.Field("lines[0].quantity", "msg.gt", 0),
		apperr.Field("budget_line_id", "msg.required"), apperr.Field("", "tender.closed"))
	if !f.Absorb(err, map[string]string{"lines[0].quantity": "qty_7"}) {
		t.Fatal("Absorb refused an invalid error")
	}
	want := map[string]apperr.Msg{"qty_7": apperr.M("msg.gt", 0), "budget_line_id": apperr.M("msg.required")}
	if diff := cmp.Diff(want, f.Errors); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	if f.Message.Key != "tender.closed" {
		t.Errorf("message = %q", f.Message)
	}
	if f.Absorb(apperr.Conflict("order.refused"), nil) {
		t.Error("Absorb took a conflict")
	}
	if f.Absorb(errors.New("boom"), nil) {
		t.Error("Absorb took an internal error")
	}

	g := page.NewForm(url.Values{"n": {"x"}, "d": {"31/12/2024"}, "m": {"1,250.50"}})
	g.Int64("n", page.Required)
	if d := g.Date("d", page.Required); d.String() != "2024-12-31" {
		t.Errorf("date = %s", d)
	}
	if m := g.Decimal("m", page.Required); !m.Equal(decimal.RequireFromString("1250.5")) {
		t.Errorf("decimal = %s", m)
	}
	g.Text("missing", page.Required)
	if g.Error("n").Key != "msg.whole_number" || g.Error("missing").Key != "msg.required" || !g.Error("d").IsZero() {
		t.Errorf("errors = %v", g.Errors)
	}
}

func TestBarChart(t *testing.T) {
	pts := []page.BarPoint{{"א", decimal.NewFromInt(100)}, {"ב", decimal.NewFromInt(50)}, {"ג", decimal.Zero}}
	rtl := page.BarChart("x", "rtl", pts, page.Money)
	if rtl.Bars[0].W != "362.0" || rtl.Bars[1].W != "181.0" || rtl.Bars[2].W != "0.0" {
		t.Errorf("widths = %s %s %s", rtl.Bars[0].W, rtl.Bars[1].W, rtl.Bars[2].W)
	}
	// In RTL the longest bar ends at the label column, on the right.
	if rtl.Bars[0].X != "128.0" || rtl.Bars[0].Text != "₪ 100.00" {
		t.Errorf("rtl bar = %+v", rtl.Bars[0])
	}
	ltr := page.BarChart("x", "ltr", pts, page.Money)
	if ltr.Bars[0].X != "230" {
		t.Errorf("ltr x = %s", ltr.Bars[0].X)
	}
}

// newApp is the base server with the page engine and one protected page.
func newApp(t *testing.T) (*gin.Engine, *page.Engine) {
	t.Helper()
	db := dbtest.New(t)
	base := webtest.NewBase(t, db)
	eng, err := page.New(templates.FS)
	if err != nil {
		t.Fatal(err)
	}
	eng.Mount(base.Engine)
	accounts.Routes{Store: accounts.NewStore(db), Sessions: base.Auth}.Mount(server.Router{Site: base.Engine, Pages: eng})
	home := eng.MustPage("home")
	eng.AddNav(page.NavItem{Key: "common.search", Path: "/probe", Roles: []string{auth.RoleOfficer}})
	base.Engine.GET("/probe", eng.Required(), func(c *gin.Context) { eng.Render(c, http.StatusOK, home, nil, nil) })
	base.Engine.GET("/cluster-only", eng.RequireRole(auth.RoleEconomicLead), func(c *gin.Context) {})
	base.Engine.GET("/boom", eng.Serve(func(c *gin.Context) error { return errors.New("secret internals") }))
	u := webtest.MustUser(t, db, accounts.NewUser{Email: "officer@example.org", Name: "דנה כהן", OrgKind: auth.OrgCluster, Roles: []string{auth.RoleClusterAdmin}})
	if err := accounts.NewStore(db).EnrolSecondFactor(context.Background(), u.ID, testSecret); err != nil {
		t.Fatal(err)
	}
	return base.Engine, eng
}

// testSecret is the second factor of newApp's cluster admin.
const testSecret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

// codeNow is the current code of testSecret.
func codeNow(t *testing.T) string {
	t.Helper()
	code, err := auth.TOTPCode(testSecret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return code
}

func TestPages(t *testing.T) {
	h, _ := newApp(t)
	c := pagetest.New(t, h)
	c.SecondFactor = func(string) string { return codeNow(t) }

	t.Run("anonymous visitor goes to login and back", func(t *testing.T) {
		r := c.Get("/probe?x=1")
		if r.Code != http.StatusSeeOther || r.Location != "/login?next=%2Fprobe%3Fx%3D1" {
			t.Fatalf("status %d location %q", r.Code, r.Location)
		}
	})
	c.Login("officer@example.org", webtest.Password)
	t.Run("wrong role gets 403 page", func(t *testing.T) {
		r := c.Get("/cluster-only")
		if r.Code != http.StatusForbidden || !r.Contains("אין הרשאה") {
			t.Fatalf("status %d\n%s", r.Code, r.Body)
		}
	})
	t.Run("unknown page is an HTML 404", func(t *testing.T) {
		r := c.Get("/no/such/page")
		if r.Code != http.StatusNotFound || !r.Contains("הדף לא נמצא") {
			t.Fatalf("status %d\n%s", r.Code, r.Body)
		}
		if r := c.Get("/api/v1/nothing"); r.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("API 404 is %s", r.Header.Get("Content-Type"))
		}
	})
	t.Run("internal errors show no internals", func(t *testing.T) {
		r := c.Get("/boom")
		if r.Code != 500 || r.Contains("secret internals") || !r.Contains("שגיאה במערכת") {
			t.Fatalf("status %d\n%s", r.Code, r.Body)
		}
	})
	t.Run("static CSS", func(t *testing.T) {
		r := c.Get("/static/madaf.css")
		if r.Code != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/css") {
			t.Fatalf("status %d type %s", r.Code, r.Header.Get("Content-Type"))
		}
	})
}

func TestBrokenTemplate(t *testing.T) {
	base := fstest.MapFS{
		"layouts/base.html":  {Data: []byte(`{{define "layout"}}<html>{{template "content" .}}</html>{{end}}`)},
		"pages/error.html":   {Data: []byte(`{{define "title"}}e{{end}}{{define "content"}}error {{.Data.Status}}{{end}}`)},
		"pages/login.html":   {Data: []byte(`{{define "title"}}l{{end}}{{define "content"}}login{{end}}`)},
		"pages/home.html":    {Data: []byte(`{{define "title"}}h{{end}}{{define "content"}}{{.Data.Missing.Field}}{{end}}`)},
		"i18n/he/core.json":  {Data: []byte(`{}`)},
		"i18n/ar/core.json":  {Data: []byte(`{}`)},
		"i18n/en/core.json":  {Data: []byte(`{}`)},
		"static/madaf.css":   {Data: []byte(``)},
		"partials/none.html": {Data: []byte(``)},
	}
	eng, err := page.New(base)
	if err != nil {
		t.Fatal(err)
	}
	r := gin.New()
	r.GET("/", func(c *gin.Context) { eng.Render(c, 200, eng.MustPage("home"), map[string]any{"Missing": 1}, nil) })
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if w.Code != 500 || w.Body.String() != "<html>error 500</html>" {
		t.Fatalf("status %d body %q", w.Code, w.Body.String())
	}
	if _, err := eng.Lookup("orders_show"); err == nil {
		t.Error("a missing page was found")
	}

	delete(base, "pages/login.html")
	if _, err := page.New(base); err == nil {
		t.Error("an engine without a login page started")
	}
	base["pages/login.html"] = &fstest.MapFile{Data: []byte(`{{define "title"}}{{end}}{{define "content"}}{{.Broken}`)}
	if _, err := page.New(base); err == nil {
		t.Error("an engine with a broken page started")
	}
	base["pages/login.html"] = &fstest.MapFile{Data: []byte(`{{define "title"}}l{{end}}`)}
	if _, err := page.New(base); err == nil || !strings.Contains(err.Error(), `"content"`) {
		t.Errorf("an engine with a page without content: %v", err)
	}
	base["pages/login.html"] = &fstest.MapFile{Data: []byte(`{{define "title"}}l{{end}}{{define "content"}}{{nosuchfunc}}{{end}}`)}
	if _, err := page.New(base); err == nil || !strings.Contains(err.Error(), "nosuchfunc") {
		t.Errorf("an engine with a page calling an unknown function: %v", err)
	}
	base["pages/login.html"] = &fstest.MapFile{Data: []byte(`{{define "title"}}l{{end}}{{define "content"}}login{{end}}`)}
	base["layouts/base.html"] = &fstest.MapFile{Data: []byte(`{{define "frame"}}{{end}}`)}
	if _, err := page.New(base); err == nil || !strings.Contains(err.Error(), `"layout"`) {
		t.Errorf("an engine without a layout: %v", err)
	}
}
