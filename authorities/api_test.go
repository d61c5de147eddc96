package authorities_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"madaf/accounts"
	"madaf/authorities"
	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/dbtest"
	"madaf/internal/server"
	"madaf/internal/web"
	"madaf/internal/webtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

type fixture struct {
	db       *sqlx.DB
	base     *server.Base
	a, b     int64  // two authorities
	lineB    int64  // a budget line of b
	admin    string // tokens
	adminID  int64
	officerA string
	treasA   string
	treasB   string
	supplier string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db := dbtest.New(t)
	f := &fixture{db: db, base: webtest.NewBase(t, db)}
	authorities.Mount(f.base.API, authorities.NewStore(db))
	mustExec(t, db, `INSERT INTO authorities (code, name_he, kind) VALUES ('9300', 'זכרון יעקב', 'local_council'), ('654', 'כפר קרע', 'local_council')`)
	db.Get(&f.a, `SELECT id FROM authorities WHERE code = '9300'`)
	db.Get(&f.b, `SELECT id FROM authorities WHERE code = '654'`)
	db.Get(&f.lineB, `INSERT INTO budget_lines (authority_id, fiscal_year, code, name, amount) VALUES ($1, 2026, '1-611-750', 'מחשוב', 1000) RETURNING id`, f.b)
	var supplierID int64
	db.Get(&supplierID, `INSERT INTO suppliers (company_number, legal_name, email) VALUES ('510000011', 'ספק', 's@example.com') RETURNING id`)
	user := func(email, org string, authorityID, supplierID int64, role string) string {
		u := webtest.MustUser(t, db, accounts.NewUser{Email: email, OrgKind: org, AuthorityID: authorityID, SupplierID: supplierID, Roles: []string{role}})
		return webtest.MustToken(t, db, u.ID)
	}
	f.admin = user("admin@example.com", auth.OrgCluster, 0, 0, auth.RoleClusterAdmin)
	db.Get(&f.adminID, `SELECT id FROM users WHERE email = 'admin@example.com'`)
	f.officerA = user("officer@a.example", auth.OrgAuthority, f.a, 0, auth.RoleOfficer)
	f.treasA = user("treasurer@a.example", auth.OrgAuthority, f.a, 0, auth.RoleTreasurer)
	f.treasB = user("treasurer@b.example", auth.OrgAuthority, f.b, 0, auth.RoleTreasurer)
	f.supplier = user("supplier@example.com", auth.OrgSupplier, 0, supplierID, auth.RoleSupplier)
	return f
}

func mustExec(t *testing.T, db *sqlx.DB, q string, args ...any) {
	t.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func (f *fixture) do(method, path, token string, body any) webtest.Response {
	return webtest.Do(f.base.Engine, method, path, token, body)
}

func TestScoping(t *testing.T) {
	f := newFixture(t)
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	line := map[string]any{"fiscal_year": 2026, "code": "9-999", "name": "קו חדש", "amount": "500.00"}
	tests := []struct {
		name         string
		method, path string
		token        string
		body         any
		want         int
	}{
		{"OfficerSeesOwnAuthority", "GET", "/api/v1/authorities/" + id(f.a), f.officerA, nil, http.StatusOK},
		{"OfficerOtherAuthorityIs404", "GET", "/api/v1/authorities/" + id(f.b), f.officerA, nil, http.StatusNotFound},
		{"OfficerOtherBudgetLinesIs404", "GET", "/api/v1/authorities/" + id(f.b) + "/budget-lines", f.officerA, nil, http.StatusNotFound},
		{"OfficerUpdatesOtherBudgetLineIs404", "PUT", "/api/v1/authorities/" + id(f.b) + "/budget-lines/" + id(f.lineB), f.treasA, line, http.StatusNotFound},
		{"LineOfOtherAuthorityUnderOwnIs404", "PUT", "/api/v1/authorities/" + id(f.a) + "/budget-lines/" + id(f.lineB), f.treasA, line, http.StatusNotFound},
		{"OfficerCannotWriteBudgetLine", "POST", "/api/v1/authorities/" + id(f.a) + "/budget-lines", f.officerA, line, http.StatusForbidden},
		{"TreasurerWritesOwnBudgetLine", "POST", "/api/v1/authorities/" + id(f.a) + "/budget-lines", f.treasA, line, http.StatusCreated},
		{"TreasurerUpdatesOwnBudgetLine", "PUT", "/api/v1/authorities/" + id(f.b) + "/budget-lines/" + id(f.lineB), f.treasB, line, http.StatusOK},
		{"SupplierSeesNoAuthority", "GET", "/api/v1/authorities/" + id(f.a), f.supplier, nil, http.StatusNotFound},
		{"OfficerCannotCreateAuthority", "POST", "/api/v1/authorities", f.officerA, map[string]any{"code": "1", "name_he": "x", "kind": "municipality", "population": 1}, http.StatusForbidden},
		{"AnonymousIs401", "GET", "/api/v1/authorities", "", nil, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do(tt.method, tt.path, tt.token, tt.body)
			if r.Code != tt.want {
				t.Fatalf("status %d, want %d: %s", r.Code, tt.want, r.Body)
			}
		})
	}
	// Nothing out of scope changed.
	var name string
	f.db.Get(&name, `SELECT name FROM budget_lines WHERE id = $1`, f.lineB)
	if name != "קו חדש" { // changed only by b's own treasurer above
		t.Errorf("line of b has name %q", name)
	}

	var list struct {
		Items []authorities.Authority `json:"items"`
	}
	f.do("GET", "/api/v1/authorities", f.officerA, nil).JSON(t, &list)
	if len(list.Items) != 1 || list.Items[0].ID != f.a {
		t.Errorf("officer lists %+v, want only its own authority", list.Items)
	}
	f.do("GET", "/api/v1/authorities", f.admin, nil).JSON(t, &list)
	if len(list.Items) != 2 {
		t.Errorf("admin lists %d authorities, want 2", len(list.Items))
	}
}

func TestCreateAuthorityValidation(t *testing.T) {
	f := newFixture(t)
	r := f.do("POST", "/api/v1/authorities", f.admin, map[string]any{"code": "abc", "name_he": "", "kind": "city", "population": -5})
	if r.Code != http.StatusUnprocessableEntity {
		t.Fatalf("status %d: %s", r.Code, r.Body)
	}
	fields := map[string]bool{}
	for _, e := range r.Map(t)["errors"].([]any) {
		fields[e.(map[string]any)["field"].(string)] = true
	}
	for _, want := range []string{"code", "name_he", "kind", "population"} {
		if !fields[want] {
			t.Errorf("no error for %s in %s", want, r.Body)
		}
	}
	r = f.do("POST", "/api/v1/authorities", f.admin, map[string]any{"code": "7800", "name_he": "פרדס חנה-כרכור", "kind": "local_council", "delegation_band": "0"})
	if e := fieldError(t, r, "delegation_band"); r.Code != http.StatusUnprocessableEntity || e["code"] != "msg.positive" {
		t.Fatalf("a zero band: %d %s", r.Code, r.Body)
	}
	r = f.do("POST", "/api/v1/authorities", f.admin, map[string]any{"code": "7800", "name_he": "פרדס חנה-כרכור", "kind": "local_council", "population": 47000})
	if m := r.Map(t); r.Code != http.StatusCreated || m["population"] != float64(47000) || m["delegation_band"] != "93900.00" ||
		m["kind"] != "local_council" || m["profile_effective_from"] != "2015-01-01" {
		t.Fatalf("create: %d %s", r.Code, r.Body)
	}
	r = f.do("POST", "/api/v1/authorities", f.admin, map[string]any{"code": "7801", "name_he": "עיר גדולה", "kind": "municipality", "population": 120000})
	if r.Code != http.StatusCreated || r.Map(t)["delegation_band"] != "626700.00" {
		t.Fatalf("the legal band above 100,000 residents: %d %s", r.Code, r.Body)
	}
	r = f.do("POST", "/api/v1/authorities", f.admin, map[string]any{"code": "7802", "name_he": "עיר", "kind": "municipality", "population": 60000, "delegation_band": "201000.00"})
	if r.Code != http.StatusCreated || r.Map(t)["delegation_band"] != "201000.00" {
		t.Fatalf("an indexed band given: %d %s", r.Code, r.Body)
	}
	r = f.do("POST", "/api/v1/authorities", f.admin, map[string]any{"code": "7800", "name_he": "כפול", "kind": "local_council"})
	if r.Code != http.StatusUnprocessableEntity || r.Map(t)["code"] != "authority.invalid" {
		t.Fatalf("duplicate code: %d %s", r.Code, r.Body)
	}
	if e := fieldError(t, r, "code"); e["code"] != "authority.code_taken" || e["message"] != "another authority has CBS code 7800" {
		t.Fatalf("duplicate code: %s", r.Body)
	}
	r = f.do("PUT", "/api/v1/authorities/"+strconv.FormatInt(f.a, 10), f.admin, map[string]any{"code": "654", "name_he": "זכרון יעקב", "kind": "local_council"})
	if e := fieldError(t, r, "code"); r.Code != http.StatusUnprocessableEntity || e["code"] != "authority.code_taken" {
		t.Fatalf("update to another's code: %d %s", r.Code, r.Body)
	}
	r = f.do("PUT", "/api/v1/authorities/999999", f.admin, map[string]any{"code": "1", "name_he": "אין", "kind": "local_council"})
	if r.Code != http.StatusNotFound || r.Map(t)["code"] != "not_found.authority" {
		t.Fatalf("update of a missing authority: %d %s", r.Code, r.Body)
	}
}

// TestUpdateAuthorityProfile checks that an update adds a profile from
// today only when the kind, the population or the band change, and that
// a band left out follows a changed population.
func TestUpdateAuthorityProfile(t *testing.T) {
	f := newFixture(t)
	path := "/api/v1/authorities/" + strconv.FormatInt(f.a, 10)
	today := calendar.Today().String()
	put := func(body map[string]any) map[string]any {
		t.Helper()
		body["code"], body["name_he"] = "9300", "זכרון יעקב"
		r := f.do("PUT", path, f.admin, body)
		if r.Code != http.StatusOK {
			t.Fatalf("PUT %v: %d %s", body, r.Code, r.Body)
		}
		return r.Map(t)
	}
	profiles := func() int {
		var n int
		f.db.Get(&n, `SELECT count(*) FROM authority_profiles WHERE authority_id = $1`, f.a)
		return n
	}
	if m := put(map[string]any{"kind": "local_council"}); m["population"] != float64(0) || m["delegation_band"] != "93900.00" || profiles() != 1 {
		t.Fatalf("nothing of the profile changed: %v, %d profiles", m, profiles())
	}
	if m := put(map[string]any{"kind": "local_council", "population": 60000}); m["delegation_band"] != "188100.00" ||
		m["profile_effective_from"] != today || profiles() != 2 {
		t.Fatalf("a larger population: %v, %d profiles", m, profiles())
	}
	if m := put(map[string]any{"kind": "municipality"}); m["kind"] != "municipality" || m["population"] != float64(60000) ||
		m["delegation_band"] != "188100.00" || profiles() != 2 {
		t.Fatalf("the same day's profile is replaced, population and band kept: %v, %d profiles", m, profiles())
	}
	var kind string
	f.db.Get(&kind, `SELECT kind FROM authorities WHERE id = $1`, f.a)
	if kind != "municipality" {
		t.Errorf("authorities.kind is %q, want the kind in force", kind)
	}
	var recordedBy *int64
	f.db.Get(&recordedBy, `SELECT recorded_by FROM authority_profiles WHERE authority_id = $1 AND effective_from = $2`, f.a, today)
	if recordedBy == nil || *recordedBy != f.adminID {
		t.Errorf("the profile was recorded by %v, want the admin %d", recordedBy, f.adminID)
	}
}

// fieldError returns the problem's error on field (its field, code and
// message), nil when there is none.
func fieldError(t *testing.T, r webtest.Response, field string) map[string]any {
	t.Helper()
	errs, _ := r.Map(t)["errors"].([]any)
	for _, e := range errs {
		if m := e.(map[string]any); m["field"] == field {
			return m
		}
	}
	return nil
}

func TestBudgetLineRefusals(t *testing.T) {
	f := newFixture(t)
	lines := "/api/v1/authorities/" + strconv.FormatInt(f.b, 10) + "/budget-lines"
	line := map[string]any{"fiscal_year": 2026, "code": "1-611-750", "name": "מחשוב", "amount": "500.00"}
	tests := []struct {
		name         string
		method, path string
		token        string
		body         any
		status       int
		code         string
		field        string // the field whose error has fieldCode
		fieldCode    string
		fieldMessage string
	}{
		{"BadYearFilter", "GET", lines + "?year=last", f.treasB, nil, http.StatusUnprocessableEntity,
			"authority.bad_filter", "year", "authority.msg.year", "must be a year"},
		{"OnlyTheTreasurer", "POST", "/api/v1/authorities/" + strconv.FormatInt(f.a, 10) + "/budget-lines", f.officerA, line, http.StatusForbidden,
			"authority.budget_line.treasurer_only", "", "", ""},
		{"DuplicateCode", "POST", lines, f.treasB, line, http.StatusUnprocessableEntity,
			"authority.budget_line.invalid", "code", "authority.budget_line.taken", "budget line 1-611-750 already exists for 2026"},
		{"NegativeAmount", "POST", lines, f.treasB, map[string]any{"fiscal_year": 2026, "code": "9-1", "name": "x", "amount": "-1"}, http.StatusUnprocessableEntity,
			"authority.budget_line.invalid", "amount", "msg.not_negative", ""},
		{"MissingLine", "PUT", lines + "/999999", f.treasB, line, http.StatusNotFound,
			"not_found.budget_line", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.do(tt.method, tt.path, tt.token, tt.body)
			if r.Code != tt.status || r.Map(t)["code"] != tt.code {
				t.Fatalf("status %d, want %d with code %s: %s", r.Code, tt.status, tt.code, r.Body)
			}
			if tt.field == "" {
				return
			}
			e := fieldError(t, r, tt.field)
			if e["code"] != tt.fieldCode || (tt.fieldMessage != "" && e["message"] != tt.fieldMessage) {
				t.Fatalf("error on %s: %v, want %s %q: %s", tt.field, e, tt.fieldCode, tt.fieldMessage, r.Body)
			}
		})
	}
}

func TestStore(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	s := authorities.NewStore(f.db)
	cluster := &auth.Principal{OrgKind: auth.OrgCluster, Roles: []string{auth.RoleEconomicLead}}

	t.Run("GetScopes", func(t *testing.T) {
		tests := []struct {
			name string
			p    *auth.Principal
			id   int64
			want int
		}{
			{"Cluster", cluster, f.b, http.StatusOK},
			{"OwnAuthority", &auth.Principal{OrgKind: auth.OrgAuthority, AuthorityID: f.a}, f.a, http.StatusOK},
			{"OtherAuthority", &auth.Principal{OrgKind: auth.OrgAuthority, AuthorityID: f.a}, f.b, http.StatusNotFound},
			{"Supplier", &auth.Principal{OrgKind: auth.OrgSupplier, SupplierID: 1}, f.a, http.StatusNotFound},
			{"Missing", cluster, f.b + 1000, http.StatusNotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				a, err := s.Get(ctx, tt.p, tt.id)
				if got := status(err); got != tt.want {
					t.Fatalf("status %d, want %d (%v)", got, tt.want, err)
				}
				if err == nil && a.ID != tt.id {
					t.Fatalf("got authority %d, want %d", a.ID, tt.id)
				}
				var ae *apperr.Error
				if err != nil && (!errors.As(err, &ae) || ae.Key != "not_found.authority") {
					t.Fatalf("error %v, want not_found.authority", err)
				}
			})
		}
	})

	t.Run("BudgetLineByIDInTransaction", func(t *testing.T) {
		tx, err := f.db.BeginTxx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		var id int64
		if err := tx.Get(&id, `INSERT INTO budget_lines (authority_id, fiscal_year, code, name, amount) VALUES ($1, 2026, '2-100', 'ניקיון', 10) RETURNING id`, f.a); err != nil {
			t.Fatal(err)
		}
		b, err := s.InTx(tx).BudgetLineByID(ctx, id)
		if err != nil || b.Code != "2-100" || b.AuthorityID != f.a {
			t.Fatalf("inside the transaction: %+v, %v", b, err)
		}
		_, err = s.BudgetLineByID(ctx, id)
		var ae *apperr.Error
		if !errors.As(err, &ae) || ae.Kind != apperr.KindNotFound || ae.Key != "not_found.budget_line" {
			t.Fatalf("outside the uncommitted transaction: %v", err)
		}
	})

	t.Run("InternalErrorsNameTheOperation", func(t *testing.T) {
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		_, err := s.Get(cancelled, cluster, f.a)
		if err == nil || apperr.KindOf(err) != apperr.KindInternal || !strings.HasPrefix(err.Error(), "authorities.Store.Get("+strconv.FormatInt(f.a, 10)+"): ") {
			t.Fatalf("error %v", err)
		}
	})
}

// status is the HTTP status the API answers err with (200 for none).
func status(err error) int {
	if err == nil {
		return http.StatusOK
	}
	return web.StatusOf(err)
}

func TestNames(t *testing.T) {
	db := dbtest.New(t)
	a := authorities.Authority{NameHe: "כפר קרע", NameAr: "كفر قرع"}
	for lang, want := range map[string]string{"he": "כפר קרע", "ar": "كفر قرع", "en": "כפר קרע", "": "כפר קרע"} {
		if got := a.Name(lang); got != want {
			t.Errorf("Name(%q) = %q, want %q", lang, got, want)
		}
		var inSQL string
		if err := db.Get(&inSQL, `SELECT name_in($1, $2, $3, $4)`, lang, a.NameHe, a.NameAr, a.NameEn); err != nil {
			t.Fatal(err)
		}
		if inSQL != want {
			t.Errorf("name_in(%q) = %q, want %q as in Go", lang, inSQL, want)
		}
	}
}
