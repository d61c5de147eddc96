package suppliers_test

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"madaf/accounts"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/dbtest"
	"madaf/internal/server"
	"madaf/internal/webtest"
	"madaf/suppliers"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func TestValidCompanyNumber(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"510000011", true},
		{"513579789", true},
		{"510000012", false}, // wrong check digit
		{"51000001", false},  // eight digits
		{"5100000111", false},
		{"51000001a", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := suppliers.ValidCompanyNumber(tt.in); got != tt.want {
			t.Errorf("ValidCompanyNumber(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestSuppliersAPI(t *testing.T) {
	db := dbtest.New(t)
	base := webtest.NewBase(t, db)
	suppliers.Routes{Store: suppliers.NewStore(db)}.Mount(server.Router{API: base.API})
	admin := webtest.MustToken(t, db, webtest.MustUser(t, db, accounts.NewUser{Email: "admin@example.com", OrgKind: auth.OrgCluster, Roles: []string{auth.RoleClusterAdmin}}).ID)
	do := func(method, path, token string, body any) webtest.Response {
		return webtest.Do(base.Engine, method, path, token, body)
	}

	t.Run("BadCompanyNumberIs422NamingTheField", func(t *testing.T) {
		r := do("POST", "/api/v1/suppliers", admin, map[string]any{"company_number": "510000012", "legal_name": "שגוי בע\"מ", "email": "x@example.com"})
		if r.Code != http.StatusUnprocessableEntity || !strings.Contains(r.Body.String(), `"field":"company_number"`) {
			t.Fatalf("status %d: %s", r.Code, r.Body)
		}
		var n int
		db.Get(&n, `SELECT count(*) FROM suppliers`)
		if n != 0 {
			t.Fatalf("%d suppliers stored", n)
		}
	})

	r := do("POST", "/api/v1/suppliers", admin, map[string]any{"company_number": "510000011", "legal_name": "מדיקל אספקה בע\"מ", "email": "orders@medical.example"})
	if r.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Code, r.Body)
	}
	var sp suppliers.Supplier
	r.JSON(t, &sp)
	path := "/api/v1/suppliers/" + strconv.FormatInt(sp.ID, 10)

	t.Run("DuplicateCompanyNumber", func(t *testing.T) {
		r := do("POST", "/api/v1/suppliers", admin, map[string]any{"company_number": "510000011", "legal_name": "כפול", "email": "d@example.com"})
		if r.Code != http.StatusUnprocessableEntity || r.Map(t)["code"] != "supplier.invalid" || fieldCode(t, r, "company_number") != "supplier.number_taken" {
			t.Fatalf("status %d: %s", r.Code, r.Body)
		}
		if !strings.Contains(r.Body.String(), `"message":"supplier 510000011 is already registered"`) {
			t.Fatalf("no English detail naming the number: %s", r.Body)
		}
	})

	other := webtest.MustToken(t, db, webtest.MustUser(t, db, accounts.NewUser{Email: "s2@example.com", OrgKind: auth.OrgSupplier,
		SupplierID: mustSupplier(t, db, "510000029"), Roles: []string{auth.RoleSupplier}}).ID)
	self := webtest.MustToken(t, db, webtest.MustUser(t, db, accounts.NewUser{Email: "s1@example.com", OrgKind: auth.OrgSupplier,
		SupplierID: sp.ID, Roles: []string{auth.RoleSupplier}}).ID)
	t.Run("SupplierSeesOnlyItself", func(t *testing.T) {
		if r := do("GET", path, other, nil); r.Code != http.StatusNotFound {
			t.Fatalf("other supplier: %d", r.Code)
		}
		if r := do("GET", path, self, nil); r.Code != http.StatusOK {
			t.Fatalf("itself: %d", r.Code)
		}
		if r := do("POST", path+"/suspend", self, map[string]any{"reason": "x"}); r.Code != http.StatusForbidden {
			t.Fatalf("supplier suspends itself: %d", r.Code)
		}
	})

	today := calendar.Today()
	store := suppliers.NewStore(db)
	eligible := func(on calendar.Date) []string {
		t.Helper()
		reasons, err := store.Eligibility(context.Background(), sp.ID, on)
		if err != nil {
			t.Fatal(err)
		}
		codes := make([]string, len(reasons))
		for i, r := range reasons {
			codes[i] = r.Code + ":" + r.Certificate
		}
		return codes
	}
	t.Run("Eligibility", func(t *testing.T) {
		if got, want := eligible(today), []string{"certificate_missing:books", "certificate_missing:withholding_tax", "certificate_missing:insurance"}; !slices.Equal(got, want) {
			t.Fatalf("without certificates: %v, want %v", got, want)
		}
		for _, kind := range []string{"books", "withholding_tax", "insurance"} {
			r := do("POST", path+"/certificates", admin, map[string]any{"kind": kind, "number": "C-1", "valid_until": today.AddDays(30).String()})
			if r.Code != http.StatusCreated {
				t.Fatalf("certificate: %d %s", r.Code, r.Body)
			}
		}
		if got := eligible(today); len(got) != 0 {
			t.Fatalf("with certificates: %v", got)
		}
		if got := eligible(today.AddDays(30)); len(got) != 0 {
			t.Fatalf("on the last day of the certificates: %v", got)
		}
		if got, want := eligible(today.AddDays(31)), []string{"certificate_expired:books", "certificate_expired:withholding_tax", "certificate_expired:insurance"}; !slices.Equal(got, want) {
			t.Fatalf("after expiry: %v, want %v", got, want)
		}
		r := do("POST", path+"/suspend", admin, map[string]any{"reason": "חריגה מתנאי המכרז", "until": today.AddDays(10).String()})
		if r.Code != http.StatusOK {
			t.Fatalf("suspend: %d %s", r.Code, r.Body)
		}
		if got, want := eligible(today.AddDays(10)), []string{"suspended:"}; !slices.Equal(got, want) {
			t.Fatalf("suspended: %v, want %v", got, want)
		}
		if got := eligible(today.AddDays(11)); len(got) != 0 {
			t.Fatalf("after the suspension ends: %v", got)
		}
		if r := do("POST", path+"/resume", admin, nil); r.Code != http.StatusOK {
			t.Fatalf("resume: %d %s", r.Code, r.Body)
		}
		r = do("POST", path+"/resume", admin, nil)
		if r.Code != http.StatusConflict || r.Map(t)["code"] != "supplier.not_suspended" || r.Map(t)["detail"] != "the supplier is not suspended" {
			t.Fatalf("resume twice: %d %s", r.Code, r.Body)
		}
		if got := eligible(today); len(got) != 0 {
			t.Fatalf("resumed: %v", got)
		}
		r = do("GET", path+"/eligibility?date="+today.AddDays(40).String(), self, nil)
		if r.Code != http.StatusOK || r.Map(t)["eligible"] != false {
			t.Fatalf("eligibility endpoint: %d %s", r.Code, r.Body)
		}
		r = do("GET", path+"/eligibility?date=tomorrow", self, nil)
		if r.Code != http.StatusUnprocessableEntity || fieldCode(t, r, "date") != "msg.date" {
			t.Fatalf("eligibility on a bad date: %d %s", r.Code, r.Body)
		}
	})
	t.Run("SuspendInThePastIsInvalid", func(t *testing.T) {
		r := do("POST", path+"/suspend", admin, map[string]any{"reason": "x", "until": today.AddDays(-1).String()})
		if r.Code != http.StatusUnprocessableEntity || r.Map(t)["code"] != "supplier.suspension_invalid" || fieldCode(t, r, "until") != "supplier.msg.not_past" {
			t.Fatalf("%d %s", r.Code, r.Body)
		}
	})
	t.Run("CertificateOfMissingSupplierIs404", func(t *testing.T) {
		r := do("POST", "/api/v1/suppliers/999999/certificates", admin, map[string]any{"kind": "books", "number": "C-1", "valid_until": today.String()})
		if r.Code != http.StatusNotFound || r.Map(t)["code"] != "not_found.supplier" {
			t.Fatalf("%d %s", r.Code, r.Body)
		}
	})
}

// fieldCode returns the message key of the problem's error on field, "" if
// there is none.
func fieldCode(t *testing.T, r webtest.Response, field string) string {
	t.Helper()
	errs, _ := r.Map(t)["errors"].([]any)
	for _, e := range errs {
		if m := e.(map[string]any); m["field"] == field {
			return m["code"].(string)
		}
	}
	return ""
}

func mustSupplier(t *testing.T, db interface {
	Get(any, string, ...any) error
}, number string) int64 {
	t.Helper()
	var id int64
	if err := db.Get(&id, `INSERT INTO suppliers (company_number, legal_name, email) VALUES ($1, 'ספק', 'x@example.com') RETURNING id`, number); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestListPages(t *testing.T) {
	db := dbtest.New(t)
	base := webtest.NewBase(t, db)
	suppliers.Routes{Store: suppliers.NewStore(db)}.Mount(server.Router{API: base.API})
	admin := webtest.MustToken(t, db, webtest.MustUser(t, db, accounts.NewUser{Email: "admin@example.com", OrgKind: auth.OrgCluster, Roles: []string{auth.RoleClusterAdmin}}).ID)
	for _, n := range []string{"510000011", "510000029", "510000037"} {
		mustSupplier(t, db, n)
	}
	type page struct {
		Items      []suppliers.Supplier `json:"items"`
		NextCursor string               `json:"next_cursor"`
	}
	var first, second page
	webtest.Do(base.Engine, "GET", "/api/v1/suppliers?limit=2", admin, nil).JSON(t, &first)
	if len(first.Items) != 2 || first.NextCursor == "" {
		t.Fatalf("first page: %+v", first)
	}
	webtest.Do(base.Engine, "GET", "/api/v1/suppliers?limit=2&cursor="+first.NextCursor, admin, nil).JSON(t, &second)
	if len(second.Items) != 1 || second.NextCursor != "" || second.Items[0].ID <= first.Items[1].ID {
		t.Fatalf("second page: %+v", second)
	}
	for _, bad := range []string{"limit=0", "limit=201", "limit=x", "cursor=!!"} {
		if r := webtest.Do(base.Engine, "GET", "/api/v1/suppliers?"+bad, admin, nil); r.Code != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d", bad, r.Code)
		}
	}
}
