package catalog_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"madaf/accounts"
	"madaf/catalog"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/fixture"
	"madaf/internal/server"
	"madaf/internal/webtest"
)

// apiWorld is newWorld behind the real router, with a token per caller.
type apiWorld struct {
	*world
	h                                     http.Handler
	tLead, tOfficer, tOutsider, tSupplier string
}

func newAPIWorld(t *testing.T) *apiWorld {
	t.Helper()
	w := newWorld(t)
	base := webtest.NewBase(t, w.db)
	catalog.Routes{Store: catalog.NewStore(w.db)}.Mount(server.Router{API: base.API})
	tok := func(nu accounts.NewUser) string {
		return webtest.MustToken(t, w.db, webtest.MustUser(t, w.db, nu).ID)
	}
	return &apiWorld{world: w, h: base.Engine,
		tLead:     tok(accounts.NewUser{Email: "lead@x.example", OrgKind: auth.OrgCluster, Roles: []string{auth.RoleEconomicLead}}),
		tOfficer:  tok(accounts.NewUser{Email: "officer@member.example", OrgKind: auth.OrgAuthority, AuthorityID: w.member, Roles: []string{auth.RoleOfficer}}),
		tOutsider: tok(accounts.NewUser{Email: "officer@outsider.example", OrgKind: auth.OrgAuthority, AuthorityID: w.outsider, Roles: []string{auth.RoleOfficer}}),
		tSupplier: tok(accounts.NewUser{Email: "sales@alpha.example", OrgKind: auth.OrgSupplier, SupplierID: w.supplierA, Roles: []string{auth.RoleSupplier}}),
	}
}

func (a *apiWorld) do(method, path, token string, body any) webtest.Response {
	return webtest.Do(a.h, method, path, token, body)
}

// wantProblem fails unless r is a problem+json answer with status naming
// every field.
func wantProblem(t *testing.T, r webtest.Response, status int, fields ...string) map[string]any {
	t.Helper()
	if r.Code != status {
		t.Fatalf("status = %d, want %d: %s", r.Code, status, r.Body)
	}
	if ct := r.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type = %q", ct)
	}
	m := r.Map(t)
	named := map[string]bool{}
	if errs, ok := m["errors"].([]any); ok {
		for _, e := range errs {
			named[e.(map[string]any)["field"].(string)] = true
		}
	}
	for _, f := range fields {
		if !named[f] {
			t.Errorf("problem %s does not name %q", r.Body, f)
		}
	}
	return m
}

func (a *apiWorld) tenderPath(suffix string) string {
	return fmt.Sprintf("/api/v1/tenders/%d%s", a.tender.ID, suffix)
}

func TestAPITenders(t *testing.T) {
	a := newAPIWorld(t)
	body := map[string]any{
		"number": "11/2025", "title": "החלפת חול בגני ילדים", "category": "תשתיות", "description": "אספקה ופיזור חול ים נקי",
		"valid_from": "2025-01-01", "valid_until": "2027-12-31", "ceiling": "2500000.00", "fee_percent": "2",
		"award_rule": "rotation", "confirmation_days": 5,
		"authorities": []map[string]any{{"authority_id": a.member, "allocation": "400000"}, {"authority_id": a.world.outsider}},
	}

	t.Run("Create", func(t *testing.T) {
		r := a.do("POST", "/api/v1/tenders", a.tLead, body)
		if r.Code != http.StatusCreated {
			t.Fatalf("status %d: %s", r.Code, r.Body)
		}
		m := r.Map(t)
		if m["ceiling"] != "2500000.00" || m["fee_percent"] != "2" || m["status"] != "draft" || m["expired"] != false {
			t.Fatalf("created %s", r.Body)
		}
		auths := m["authorities"].([]any)
		if len(auths) != 2 {
			t.Fatalf("authorities %v", auths)
		}
		if r.Header().Get("Location") != fmt.Sprintf("/api/v1/tenders/%v", m["id"]) {
			t.Errorf("location %q", r.Header().Get("Location"))
		}
	})
	t.Run("ErrBadInput", func(t *testing.T) {
		bad := map[string]any{}
		for k, v := range body {
			bad[k] = v
		}
		bad["number"], bad["valid_until"], bad["fee_percent"] = "12/2025", "2024-12-31", "101"
		wantProblem(t, a.do("POST", "/api/v1/tenders", a.tLead, bad), http.StatusUnprocessableEntity, "valid_until", "fee_percent")
		wantProblem(t, a.do("POST", "/api/v1/tenders", a.tLead, `{"number":"x","colour":"red"}`), http.StatusBadRequest, "colour")
		wantProblem(t, a.do("POST", "/api/v1/tenders", a.tLead, body), http.StatusConflict, "number")
	})
	t.Run("ErrNotAWriter", func(t *testing.T) {
		wantProblem(t, a.do("POST", "/api/v1/tenders", a.tOfficer, body), http.StatusForbidden)
		wantProblem(t, a.do("POST", a.tenderPath("/suspend"), a.tOfficer, nil), http.StatusForbidden)
		wantProblem(t, a.do("POST", a.tenderPath("/suspend"), a.tOutsider, nil), http.StatusNotFound)
		wantProblem(t, a.do("POST", a.tenderPath("/items"), a.tSupplier, map[string]any{"sku": "X", "name": "x", "unit": "x"}), http.StatusForbidden)
		wantProblem(t, a.do("GET", "/api/v1/tenders", "", nil), http.StatusUnauthorized)
	})
	t.Run("NonParticipatingOfficerCannotSeeTheTender", func(t *testing.T) {
		for _, p := range []string{"", "/items", "/awards", fmt.Sprintf("/awards/%d/prices", a.awards[0].ID)} {
			wantProblem(t, a.do("GET", a.tenderPath(p), a.tOutsider, nil), http.StatusNotFound)
			if r := a.do("GET", a.tenderPath(p), a.tOfficer, nil); r.Code != http.StatusOK {
				t.Errorf("member officer GET %s: %d %s", p, r.Code, r.Body)
			}
		}
		var list struct{ Items []catalog.Tender }
		a.do("GET", "/api/v1/tenders", a.tOutsider, nil).JSON(t, &list)
		if len(list.Items) != 0 {
			t.Fatalf("the outsider lists %d tenders", len(list.Items))
		}
		a.do("GET", "/api/v1/tenders", a.tOfficer, nil).JSON(t, &list)
		if len(list.Items) != 1 || list.Items[0].ID != a.tender.ID {
			t.Fatalf("the member lists %+v", list.Items)
		}
	})
	t.Run("StaleIfMatchIs412", func(t *testing.T) {
		var created catalog.Tender
		body["number"] = "14/2025"
		r := a.do("POST", "/api/v1/tenders", a.tLead, body)
		r.JSON(t, &created)
		path := fmt.Sprintf("/api/v1/tenders/%d", created.ID)
		etag := a.do("GET", path, a.tLead, nil).Header().Get("ETag")
		if etag == "" {
			t.Fatal("GET answers without an ETag")
		}
		body["title"] = "החלפת חול בגנים ציבוריים"
		r = webtest.Do(a.h, "PUT", path, a.tLead, body, "If-Match", etag)
		if r.Code != http.StatusOK || r.Header().Get("ETag") == etag {
			t.Fatalf("update with the current ETag: %d %s (ETag %q)", r.Code, r.Body, r.Header().Get("ETag"))
		}
		// A second writer still holding the first ETag changes nothing.
		body["title"] = "כותרת של עורך אחר"
		wantProblem(t, webtest.Do(a.h, "PUT", path, a.tLead, body, "If-Match", etag), http.StatusPreconditionFailed)
		var title string
		a.db.Get(&title, `SELECT title FROM tenders WHERE id = $1`, created.ID)
		if title != "החלפת חול בגנים ציבוריים" {
			t.Fatalf("title %q after a stale update", title)
		}
		body["title"] = "החלפת חול בגני ילדים"
	})
	t.Run("Lifecycle", func(t *testing.T) {
		m := wantProblem(t, a.do("POST", a.tenderPath("/resume"), a.tLead, nil), http.StatusConflict, "status")
		if m["tender_status"] != "active" || m["code"] != "tender.wrong_state.resume" {
			t.Fatalf("the conflict does not name the state: %v", m)
		}
		for _, step := range []struct{ action, want string }{{"suspend", "suspended"}, {"resume", "active"}, {"close", "closed"}} {
			r := a.do("POST", a.tenderPath("/"+step.action), a.tLead, nil)
			if r.Code != http.StatusOK || r.Map(t)["status"] != step.want {
				t.Fatalf("%s: %d %s", step.action, r.Code, r.Body)
			}
		}
		wantProblem(t, a.do("POST", a.tenderPath("/publish"), a.tLead, nil), http.StatusConflict, "status")
	})
	t.Run("ErrPublishEmpty", func(t *testing.T) {
		var created struct{ ID int64 }
		body["number"] = "13/2025"
		a.do("POST", "/api/v1/tenders", a.tLead, body).JSON(t, &created)
		wantProblem(t, a.do("POST", fmt.Sprintf("/api/v1/tenders/%d/publish", created.ID), a.tLead, nil), http.StatusConflict, "items", "awards")
	})
}

func TestAPIItemsAwardsPrices(t *testing.T) {
	a := newAPIWorld(t)
	t.Run("AddItems", func(t *testing.T) {
		r := a.do("POST", a.tenderPath("/items"), a.tLead, map[string]any{"sku": "MED-010", "name": "מזרן החייאה", "unit": "יחידה", "max_price": "950"})
		if r.Code != http.StatusCreated || r.Map(t)["max_price"] != "950.00" {
			t.Fatalf("%d %s", r.Code, r.Body)
		}
		r = a.do("POST", a.tenderPath("/items"), a.tLead, []map[string]any{
			{"sku": "MED-011", "name": "אלונקה מתקפלת", "unit": "יחידה"}, {"sku": "MED-012", "name": "דפיברילטור", "unit": "יחידה"}})
		if r.Code != http.StatusCreated || len(r.Map(t)["items"].([]any)) != 2 {
			t.Fatalf("%d %s", r.Code, r.Body)
		}
		wantProblem(t, a.do("POST", a.tenderPath("/items"), a.tLead, map[string]any{"sku": "MED-010", "name": "כפול", "unit": "יחידה"}),
			http.StatusConflict, "sku")
		var list struct{ Items []catalog.Item }
		a.do("GET", a.tenderPath("/items"), a.tOfficer, nil).JSON(t, &list)
		if len(list.Items) != 5 {
			t.Fatalf("%d items", len(list.Items))
		}
	})
	t.Run("ErrAwardSuspendedSupplier", func(t *testing.T) {
		sup := mustSupplier(t, a.db, "מושעה בע\"מ")
		a.db.MustExec(`UPDATE suppliers SET status = 'suspended' WHERE id = $1`, sup)
		wantProblem(t, a.do("POST", a.tenderPath("/awards"), a.tLead, map[string]any{"supplier_id": sup}), http.StatusConflict, "supplier_id")
		var list struct{ Items []catalog.Award }
		a.do("GET", a.tenderPath("/awards"), a.tLead, nil).JSON(t, &list)
		if len(list.Items) != 2 {
			t.Fatalf("%d awards", len(list.Items))
		}
	})
	prices := a.tenderPath(fmt.Sprintf("/awards/%d/prices", a.awards[0].ID))
	t.Run("ErrBadPrices", func(t *testing.T) {
		from := calendar.Today().AddDays(1).String()
		for _, c := range []struct {
			price string
			field string
		}{{"0", "price"}, {"-10", "price"}, {"400.01", "price"}} {
			wantProblem(t, a.do("POST", prices, a.tLead, map[string]any{"item_id": a.items[0].ID, "price": c.price, "valid_from": from}),
				http.StatusUnprocessableEntity, c.field)
		}
	})
	t.Run("PriceChangeAndHistory", func(t *testing.T) {
		from := calendar.Today().AddDays(7).String()
		r := a.do("POST", prices, a.tLead, map[string]any{"item_id": a.items[0].ID, "price": "320", "valid_from": from, "reason": "vat_change"})
		if r.Code != http.StatusCreated || r.Map(t)["price"] != "320.00" {
			t.Fatalf("%d %s", r.Code, r.Body)
		}
		var hist struct{ Items []map[string]any }
		a.do("GET", prices+fmt.Sprintf("?item_id=%d", a.items[0].ID), a.tOfficer, nil).JSON(t, &hist)
		if len(hist.Items) != 2 || hist.Items[0]["price"] != "310.00" || hist.Items[1]["valid_from"] != from {
			t.Fatalf("history %v", hist.Items)
		}
	})
	t.Run("SupplierSeesOnlyItsOwnPrices", func(t *testing.T) {
		if r := a.do("GET", prices, a.tSupplier, nil); r.Code != http.StatusOK {
			t.Fatalf("own prices: %d", r.Code)
		}
		other := a.tenderPath(fmt.Sprintf("/awards/%d/prices", a.awards[1].ID))
		wantProblem(t, a.do("GET", other, a.tSupplier, nil), http.StatusNotFound)
	})
}

// upload posts data as the multipart field "file" named name.
func (a *apiWorld) upload(path, token, name string, data []byte) webtest.Response {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	req := httptest.NewRequest("POST", path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	a.h.ServeHTTP(rec, req)
	return webtest.Response{ResponseRecorder: rec}
}

func TestAPIPriceList(t *testing.T) {
	a := newAPIWorld(t)
	award := mustAward(t, a.s, a.tender.ID, mustSupplier(t, a.db, "גמא רפואה בע\"מ"))
	path := a.tenderPath(fmt.Sprintf("/awards/%d/price-list", award.ID))
	from := a.tender.ValidFrom.String()

	t.Run("ErrBadFileImportsNothing", func(t *testing.T) {
		csv := "MED-001,300," + from + "\nMED-404,20," + from + "\nMED-002,0," + from + "\n"
		m := wantProblem(t, a.upload(path, a.tLead, "prices.csv", []byte(csv)), http.StatusUnprocessableEntity, "rows[2].sku", "rows[3].price")
		if m["code"] != "tender.rows_wrong" || m["detail"] != "2 of 3 rows are wrong; nothing was imported" || len(m["bad_rows"].([]any)) != 2 {
			t.Fatalf("problem %v", m)
		}
		first := m["bad_rows"].([]any)[0].(map[string]any)
		if first["row"] != float64(2) || first["column"] != "sku" || first["code"] != "tender.msg.unknown_sku" ||
			first["message"] != "no item of this tender has the SKU MED-404" {
			t.Errorf("first bad row %v", first)
		}
		if n := countPrices(t, a.world, award.ID); n != 0 {
			t.Fatalf("%d prices imported", n)
		}
	})
	t.Run("Import", func(t *testing.T) {
		csv := "MED-001,300," + from + "\nMED-002,99.90," + from + "\n"
		r := a.upload(path, a.tLead, "prices.csv", []byte(csv))
		if r.Code != http.StatusCreated || r.Map(t)["imported"] != float64(2) {
			t.Fatalf("%d %s", r.Code, r.Body)
		}
	})
	t.Run("ErrNoFile", func(t *testing.T) {
		wantProblem(t, a.do("POST", path, a.tLead, `{}`), http.StatusUnprocessableEntity, "file")
	})
	t.Run("ErrHostileXLSX", func(t *testing.T) {
		files := []struct {
			name, detail string
			data         []byte
		}{
			// 26 KB that a whole-sheet read expands to 4000 rows × 16384 columns.
			{"CellsAtXFD", "row 65 reaches column XFD", fixture.RawXLSX(t, 4000, func(i int) string {
				return fmt.Sprintf(`<c r="XFD%d"><v>1</v></c>`, i)
			})},
			{"TooManyRows", "more than 20000 rows", fixture.RawXLSX(t, 20001, func(i int) string {
				return fixture.InlineRow(i, "MED-001", "300", from)
			})},
		}
		for _, f := range files {
			t.Run(f.name, func(t *testing.T) {
				before := countPrices(t, a.world, award.ID)
				var r webtest.Response
				alloc := fixture.Allocated(func() { r = a.upload(path, a.tLead, "prices.xlsx", f.data) })
				m := wantProblem(t, r, http.StatusUnprocessableEntity, "file")
				if detail, _ := m["detail"].(string); !strings.Contains(detail, f.detail) {
					t.Errorf("detail %q, want it to say %q", detail, f.detail)
				}
				t.Logf("%d-byte file: %d MiB allocated", len(f.data), alloc>>20)
				if alloc > 200<<20 {
					t.Errorf("reading a %d-byte file allocated %d MiB", len(f.data), alloc>>20)
				}
				if n := countPrices(t, a.world, award.ID); n != before {
					t.Errorf("%d prices after a refused file, want the %d before it", n, before)
				}
			})
		}
	})
	t.Run("ErrNotAWriter", func(t *testing.T) {
		wantProblem(t, a.upload(path, a.tOfficer, "prices.csv", []byte("x")), http.StatusForbidden)
	})
}

func TestAPISearch(t *testing.T) {
	a := newAPIWorld(t)
	q := "/api/v1/catalog/items?q=" + url.QueryEscape("לחץ")
	var res struct {
		Items []struct {
			ID     int64
			Name   string
			Tender struct{ ID int64 }
			Offers []struct {
				SupplierID int64  `json:"supplier_id"`
				Price      string `json:"price"`
			}
		}
		NextCursor string `json:"next_cursor"`
	}
	r := a.do("GET", q, a.tOfficer, nil)
	r.JSON(t, &res)
	if r.Code != http.StatusOK || len(res.Items) != 1 || res.Items[0].Tender.ID != a.tender.ID {
		t.Fatalf("%d %s", r.Code, r.Body)
	}
	if o := res.Items[0].Offers; len(o) != 2 || o[0].Price != "295.50" || o[0].SupplierID != a.supplierB || o[1].Price != "310.00" {
		t.Fatalf("offers %+v", o)
	}

	t.Run("SupplierSeesOnlyItsOwnPrices", func(t *testing.T) {
		// Supplier A and supplier B both won the tender; each sees only its
		// own price, the officer (above) and the lead see both.
		tB := webtest.MustToken(t, a.db, webtest.MustUser(t, a.db, accounts.NewUser{Email: "sales@beta.example",
			OrgKind: auth.OrgSupplier, SupplierID: a.supplierB, Roles: []string{auth.RoleSupplier}}).ID)
		for _, c := range []struct {
			name, token, price string
			supplier           int64
		}{{"A", a.tSupplier, "310.00", a.supplierA}, {"B", tB, "295.50", a.supplierB}} {
			res.Items = nil
			r := a.do("GET", q+fmt.Sprintf("&tender=%d", a.tender.ID), c.token, nil)
			r.JSON(t, &res)
			if r.Code != http.StatusOK || len(res.Items) != 1 {
				t.Fatalf("supplier %s: %d %s", c.name, r.Code, r.Body)
			}
			if o := res.Items[0].Offers; len(o) != 1 || o[0].SupplierID != c.supplier || o[0].Price != c.price {
				t.Errorf("supplier %s sees offers %+v, want only its own %s", c.name, o, c.price)
			}
		}
		res.Items = nil
		a.do("GET", q, a.tLead, nil).JSON(t, &res)
		if len(res.Items) != 1 || len(res.Items[0].Offers) != 2 {
			t.Errorf("the lead sees %+v, want both offers", res.Items)
		}
	})
	t.Run("NonParticipatingOfficerFindsNothing", func(t *testing.T) {
		res.Items = nil
		a.do("GET", q+fmt.Sprintf("&tender=%d", a.tender.ID), a.tOutsider, nil).JSON(t, &res)
		if len(res.Items) != 0 {
			t.Fatalf("the outsider found %+v", res.Items)
		}
	})
	t.Run("Paging", func(t *testing.T) {
		a.do("GET", "/api/v1/catalog/items?limit=1", a.tOfficer, nil).JSON(t, &res)
		if len(res.Items) != 1 || res.NextCursor == "" {
			t.Fatalf("first page %+v", res)
		}
		first := res.Items[0].ID
		a.do("GET", "/api/v1/catalog/items?limit=1&cursor="+res.NextCursor, a.tOfficer, nil).JSON(t, &res)
		if len(res.Items) != 1 || res.Items[0].ID == first {
			t.Fatalf("second page %+v", res)
		}
	})
	t.Run("ErrBadQuery", func(t *testing.T) {
		wantProblem(t, a.do("GET", "/api/v1/catalog/items?tender=abc", a.tOfficer, nil), http.StatusUnprocessableEntity, "tender")
		wantProblem(t, a.do("GET", "/api/v1/catalog/items?limit=0", a.tOfficer, nil), http.StatusUnprocessableEntity, "limit")
	})
}

// TestAPINamesInThreeLanguages: a tender and its items take Arabic and
// English names beside the Hebrew, give them back (null where none is
// given), and the catalog search answers them.
func TestAPINamesInThreeLanguages(t *testing.T) {
	a := newAPIWorld(t)
	r := a.do("POST", "/api/v1/tenders", a.tLead, map[string]any{
		"number": "21/2025", "title": "ריהוט משרדי", "title_ar": "أثاث مكتبي", "title_en": "Office furniture",
		"category": "ריהוט", "category_ar": "أثاث", "valid_from": "2025-01-01", "valid_until": "2027-12-31",
		"fee_percent": "1.5", "award_rule": "choice", "confirmation_days": 3,
		"authorities": []map[string]any{{"authority_id": a.member}},
	})
	if r.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Code, r.Body)
	}
	m := r.Map(t)
	if m["title_ar"] != "أثاث مكتبي" || m["title_en"] != "Office furniture" || m["category_ar"] != "أثاث" || m["category_en"] != nil {
		t.Fatalf("created %s", r.Body)
	}
	id := int64(m["id"].(float64))
	r = a.do("POST", fmt.Sprintf("/api/v1/tenders/%d/items", id), a.tLead, []map[string]any{
		{"sku": "FUR-1", "name": "כיסא משרדי", "name_ar": "كرسي مكتب", "name_en": "Office chair", "unit": "יחידה"},
		{"sku": "FUR-2", "name": "שולחן כתיבה", "unit": "יחידה"}})
	if r.Code != http.StatusCreated {
		t.Fatalf("items: %d %s", r.Code, r.Body)
	}
	var items struct{ Items []map[string]any }
	a.do("GET", fmt.Sprintf("/api/v1/tenders/%d/items", id), a.tLead, nil).JSON(t, &items)
	if len(items.Items) != 2 || items.Items[0]["name_ar"] != "كرسي مكتب" || items.Items[0]["name_en"] != "Office chair" ||
		items.Items[1]["name_ar"] != nil {
		t.Fatalf("items %v", items.Items)
	}
	wantProblem(t, a.do("POST", fmt.Sprintf("/api/v1/tenders/%d/items", id), a.tLead,
		map[string]any{"sku": "FUR-3", "name": "x", "name_en": strings.Repeat("x", 501), "unit": "יחידה"}),
		http.StatusUnprocessableEntity, "name_en")

	award := mustAward(t, a.s, id, a.supplierA)
	mustPrice(t, a.s, id, award.ID, int64(items.Items[0]["id"].(float64)), "450", calendar.MustParse("2025-01-01"), "")
	mustTransition(t, a.s, id, catalog.ActionPublish)
	var hits struct {
		Items []struct {
			NameEn *string `json:"name_en"`
			Tender struct {
				TitleAr string `json:"title_ar"`
			} `json:"tender"`
		} `json:"items"`
		Total int `json:"total"`
	}
	a.do("GET", "/api/v1/catalog/items?q="+url.QueryEscape("كرسي"), a.tOfficer, nil).JSON(t, &hits)
	if hits.Total != 1 || len(hits.Items) != 1 || hits.Items[0].NameEn == nil || *hits.Items[0].NameEn != "Office chair" ||
		hits.Items[0].Tender.TitleAr != "أثاث مكتبي" {
		t.Fatalf("search by the Arabic name: %+v", hits)
	}
}
