package app

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"madaf/catalog"
	"madaf/competitions"
	"madaf/internal/auth"
	"madaf/internal/dbtest"
	"madaf/internal/fixture"
	"madaf/internal/server"
	"madaf/orders"
)

// TestOpenAPIMatchesCompetitions runs a mini-competition of the demo
// cluster on tender 03/2024 through the API, on a clock the test moves past
// the deadline, and checks every answer against the document: the request,
// its publication, the quote form, a quote above its cap and good ones, a
// decline, a question and its answer, the sealed quotes, the report, the
// closing, the protocol, a proposal without its reason, the committee's
// votes, the order at the quoted prices and the refusals around them.
func TestOpenAPIMatchesCompetitions(t *testing.T) {
	doc := loadAPIDoc(t)
	db := dbtest.New(t)
	ctx := context.Background()
	if _, err := SeedDemo(ctx, db, io.Discard); err != nil {
		t.Fatalf("seed demo: %v", err)
	}
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	base := server.New(db, quiet.Logger, server.Options{})
	orderSvc := orders.NewService(db, orders.Options{Now: clock})
	svc := competitions.NewService(db, competitions.Options{Now: clock, Orders: orderSvc})
	r := server.Router{API: base.API}
	catalog.Routes{Store: catalog.NewStore(db)}.Mount(r)
	orders.Routes{Service: orderSvc}.Mount(r)
	competitions.Routes{Service: svc}.Mount(r)

	get := func(dst any, q string, args ...any) {
		t.Helper()
		mustGet(t, db, dst, q, args...)
	}
	as := func(email string) *apiCaller { return callerAs(t, db, base.Engine, doc, email) }
	var zichron, tender, item1, item2, line int64
	get(&zichron, `SELECT id FROM authorities WHERE code = '9300'`)
	get(&tender, `SELECT id FROM tenders WHERE number = '03/2024'`)
	get(&item1, `SELECT id FROM tender_items WHERE tender_id = $1 AND sku = 'SEC-007'`, tender)
	get(&item2, `SELECT id FROM tender_items WHERE tender_id = $1 AND sku = 'SEC-004'`, tender)
	get(&line, `SELECT id FROM budget_lines WHERE authority_id = $1 AND fiscal_year = $2 ORDER BY id LIMIT 1`, zichron, now.Year())
	officer, lead, treasurer := as("officer@zichron.example"), as("lead@madaf.example"), as("treasurer@zichron.example")
	member := func(role string) *apiCaller {
		u := fixture.MustUser(t, db, auth.OrgAuthority, zichron, role)
		return &apiCaller{h: base.Engine, doc: doc, token: u.Token}
	}
	ceo, legal := member(auth.RoleCEO), member(auth.RoleLegalAdviser)

	var c struct {
		ID          int64 `json:"id"`
		Deadline    time.Time
		Invitations []struct {
			SupplierID int64 `json:"supplier_id"`
		} `json:"invitations"`
	}
	body := map[string]any{"tender_id": tender, "budget_line_id": line, "delivery_address": "בניין המועצה", "notes": "",
		"requested_date": now.AddDate(0, 2, 0).Format(time.DateOnly),
		"lines":          []map[string]any{{"item_id": item1, "quantity": "40"}, {"item_id": item2, "quantity": "120"}}}
	officer.do(t, http.StatusUnprocessableEntity, "POST", "/api/v1/competitions", map[string]any{"tender_id": tender, "lines": []any{}})
	officer.do(t, http.StatusCreated, "POST", "/api/v1/competitions", body).JSON(t, &c)
	path := fmt.Sprintf("/api/v1/competitions/%d", c.ID)
	officer.do(t, http.StatusOK, "PUT", path, body)
	officer.get(t, path, nil)
	officer.get(t, "/api/v1/competitions?status=draft", nil)
	officer.do(t, http.StatusUnprocessableEntity, "GET", "/api/v1/competitions?status=lost", nil)
	officer.do(t, http.StatusNotFound, "GET", "/api/v1/competitions/999999", nil)
	treasurer.do(t, http.StatusForbidden, "POST", path+"/publish", nil)
	officer.do(t, http.StatusOK, "POST", path+"/publish", nil).JSON(t, &c)
	officer.do(t, http.StatusConflict, "POST", path+"/publish", nil)
	if len(c.Invitations) < 2 {
		t.Fatalf("%d winners invited", len(c.Invitations))
	}
	winner := func(i int) *apiCaller {
		u := fixture.MustUser(t, db, auth.OrgSupplier, c.Invitations[i].SupplierID, auth.RoleSupplier)
		return &apiCaller{h: base.Engine, doc: doc, token: u.Token}
	}
	first, second := winner(0), winner(1)
	var form struct {
		Lines []struct {
			ItemID int64   `json:"item_id"`
			Cap    *string `json:"cap"`
		} `json:"lines"`
	}
	quote := func(w *apiCaller, want int, delta string) {
		t.Helper()
		w.get(t, path+"/quote", &form)
		var lines []map[string]any
		for _, l := range form.Lines {
			p := "1.00"
			if l.Cap != nil {
				p = *l.Cap
			}
			if delta == "above" {
				p = "999999.00"
			}
			lines = append(lines, map[string]any{"item_id": l.ItemID, "unit_price": p})
		}
		w.do(t, want, "PUT", path+"/quote", map[string]any{"lines": lines})
	}
	quote(first, http.StatusUnprocessableEntity, "above")
	quote(first, http.StatusOK, "")
	quote(second, http.StatusOK, "")
	officer.do(t, http.StatusForbidden, "PUT", path+"/quote", map[string]any{"lines": []any{}})
	if len(c.Invitations) > 2 {
		winner(2).do(t, http.StatusOK, "POST", path+"/decline", map[string]any{"text": "אין לנו צוות פנוי"})
	}
	var q struct{ ID int64 }
	first.do(t, http.StatusCreated, "POST", path+"/questions", map[string]any{"text": "האם הדיווח חודשי?"}).JSON(t, &q)
	officer.do(t, http.StatusOK, "POST", fmt.Sprintf("%s/questions/%d/answer", path, q.ID), map[string]any{"text": "כן"})
	second.get(t, path+"/questions", nil)
	officer.get(t, path+"/quotes", nil)
	first.get(t, path+"/quotes", nil)
	officer.do(t, http.StatusConflict, "GET", path+"/protocol", nil)
	first.do(t, http.StatusForbidden, "GET", path+"/events", nil)
	officer.get(t, path+"/events", nil)
	lead.get(t, "/api/v1/competitions/report", nil)
	officer.do(t, http.StatusForbidden, "GET", "/api/v1/competitions/report", nil)

	mu.Lock()
	now = c.Deadline.Add(time.Second)
	mu.Unlock()
	if n, err := svc.CloseDue(ctx); err != nil || n != 1 {
		t.Fatalf("close: %d %v", n, err)
	}
	first.do(t, http.StatusConflict, "PUT", path+"/quote", map[string]any{"lines": []any{}})
	var p struct {
		Ranking []struct {
			SupplierID int64 `json:"supplier_id"`
		} `json:"ranking"`
	}
	ceo.get(t, path+"/protocol", &p)
	if len(p.Ranking) == 2 {
		ceo.do(t, http.StatusUnprocessableEntity, "POST", path+"/proposal", map[string]any{"supplier_id": p.Ranking[1].SupplierID})
	}
	var proposed struct {
		ProposalSupplierID int64 `json:"proposal_supplier_id"`
	}
	ceo.get(t, path, &proposed)
	approve := map[string]any{"vote": "approve", "supplier_id": proposed.ProposalSupplierID}
	officer.do(t, http.StatusForbidden, "POST", path+"/votes", approve)
	ceo.do(t, http.StatusUnprocessableEntity, "POST", path+"/votes", map[string]any{"vote": "object"})
	ceo.do(t, http.StatusOK, "POST", path+"/votes", approve)
	treasurer.do(t, http.StatusOK, "POST", path+"/votes", approve)
	var decided struct {
		Competition struct {
			OrderID int64 `json:"order_id"`
		} `json:"competition"`
	}
	legal.do(t, http.StatusOK, "POST", path+"/votes", approve).JSON(t, &decided)
	officer.get(t, fmt.Sprintf("/api/v1/orders/%d", decided.Competition.OrderID), nil)
	officer.get(t, path+"/quotes", nil)
	officer.do(t, http.StatusConflict, "POST", path+"/pass", nil)
	officer.do(t, http.StatusConflict, "POST", path+"/cancel", map[string]any{"reason": "duplicate"})
	lead.get(t, "/api/v1/competitions/report?tender_id="+fmt.Sprint(tender), nil)
	lead.do(t, http.StatusOK, "PUT", fmt.Sprintf("/api/v1/tenders/%d/competition", tender), map[string]any{"competition_min_days": 4})
	officer.do(t, http.StatusForbidden, "PUT", fmt.Sprintf("/api/v1/tenders/%d/competition", tender), map[string]any{"competition_min_days": 4})
	t.Logf("%d answers checked against the document", doc.validated)
}
