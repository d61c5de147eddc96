package authorities_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/jmoiron/sqlx"

	"madaf/authorities"
	"madaf/internal/auth"
	"madaf/internal/dbtest"
	"madaf/internal/server"
	"madaf/internal/webtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

type fixture struct {
	db       *sqlx.DB
	base     *server.Base
	a, b     int64  // two authorities
	lineB    int64  // a budget line of b
	admin    string // tokens
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
	mustExec(t, db, `INSERT INTO authorities (code, name_he, kind, signature_threshold) VALUES ('9300', 'זכרון יעקב', 'local_council', 50000), ('654', 'כפר קרע', 'local_council', 60000)`)
	db.Get(&f.a, `SELECT id FROM authorities WHERE code = '9300'`)
	db.Get(&f.b, `SELECT id FROM authorities WHERE code = '654'`)
	db.Get(&f.lineB, `INSERT INTO budget_lines (authority_id, fiscal_year, code, name, amount) VALUES ($1, 2026, '1-611-750', 'מחשוב', 1000) RETURNING id`, f.b)
	var supplierID int64
	db.Get(&supplierID, `INSERT INTO suppliers (company_number, legal_name, email) VALUES ('510000011', 'ספק', 's@example.com') RETURNING id`)
	user := func(email, org string, authorityID, supplierID int64, role string) string {
		u := webtest.MustUser(t, db, auth.NewUser{Email: email, OrgKind: org, AuthorityID: authorityID, SupplierID: supplierID, Roles: []string{role}})
		return webtest.MustToken(t, db, u.ID)
	}
	f.admin = user("admin@example.com", auth.OrgCluster, 0, 0, auth.RoleClusterAdmin)
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
		{"OfficerCannotCreateAuthority", "POST", "/api/v1/authorities", f.officerA, map[string]any{"code": "1", "name_he": "x", "kind": "municipality", "signature_threshold": "1"}, http.StatusForbidden},
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
	r := f.do("POST", "/api/v1/authorities", f.admin, map[string]any{"code": "abc", "name_he": "", "kind": "city", "signature_threshold": "-5"})
	if r.Code != http.StatusUnprocessableEntity {
		t.Fatalf("status %d: %s", r.Code, r.Body)
	}
	fields := map[string]bool{}
	for _, e := range r.Map(t)["errors"].([]any) {
		fields[e.(map[string]any)["field"].(string)] = true
	}
	for _, want := range []string{"code", "name_he", "kind"} {
		if !fields[want] {
			t.Errorf("no error for %s in %s", want, r.Body)
		}
	}
	r = f.do("POST", "/api/v1/authorities", f.admin, map[string]any{"code": "7800", "name_he": "פרדס חנה-כרכור", "kind": "local_council", "signature_threshold": "80000.00"})
	if r.Code != http.StatusCreated || r.Map(t)["signature_threshold"] != "80000.00" {
		t.Fatalf("create: %d %s", r.Code, r.Body)
	}
	if r := f.do("POST", "/api/v1/authorities", f.admin, map[string]any{"code": "7800", "name_he": "כפול", "kind": "local_council", "signature_threshold": "1"}); r.Code != http.StatusUnprocessableEntity {
		t.Fatalf("duplicate code: %d %s", r.Code, r.Body)
	}
}
