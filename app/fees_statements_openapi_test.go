package app

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"madaf/internal/calendar"
	"madaf/internal/dbtest"
)

// TestOpenAPIMatchesFeeStatements calls every route of the issued fee
// statements on the demo cluster, each with a success and a typical
// refusal — an original, a supplement crediting a cancelled order, a
// page of the list — and checks every answer against the document.
func TestOpenAPIMatchesFeeStatements(t *testing.T) {
	doc := loadAPIDoc(t)
	db := dbtest.New(t)
	ctx := context.Background()
	if _, err := SeedDemo(ctx, db, io.Discard); err != nil {
		t.Fatalf("seed demo: %v", err)
	}
	h := New(db, quiet).Engine
	as := func(email string) *apiCaller { return callerAs(t, db, h, doc, email) }
	lead, officer, supplier := as("lead@madaf.example"), as("officer@zichron.example"), as("supplier@medical.example")
	var medical int64
	if err := db.GetContext(ctx, &medical, `SELECT id FROM suppliers WHERE company_number = '510000011'`); err != nil {
		t.Fatal(err)
	}

	var list struct {
		Items []struct {
			ID     int64  `json:"id"`
			Number string `json:"number"`
		} `json:"items"`
	}
	lead.get(t, "/api/v1/volumes/fees/statements", &list)
	if len(list.Items) != 1 {
		t.Fatalf("the demo has %d issued statements, want 1", len(list.Items))
	}
	var actor string
	if err := db.GetContext(ctx, &actor, `SELECT actor FROM audit_log WHERE object = 'fee_statements' ORDER BY id LIMIT 1`); err != nil || actor != "madaf demo" {
		t.Errorf("the trail names the demo's statement's issuer %q (%v), want the demo", actor, err)
	}
	supplier.get(t, "/api/v1/volumes/fees/statements?paid=false", nil)
	officer.do(t, http.StatusForbidden, "GET", "/api/v1/volumes/fees/statements", nil)
	lead.do(t, http.StatusUnprocessableEntity, "GET", "/api/v1/volumes/fees/statements?month=2026-13", nil)

	path := fmt.Sprintf("/api/v1/volumes/fees/statements/%d", list.Items[0].ID)
	etag := supplier.do(t, http.StatusOK, "GET", path, nil).Header().Get("ETag")
	officer.do(t, http.StatusNotFound, "GET", path, nil)

	// A page of one, and the next.
	var first struct {
		Items      []struct{ ID int64 } `json:"items"`
		NextCursor string               `json:"next_cursor"`
	}
	lead.get(t, "/api/v1/volumes/fees/statements?limit=1", &first)
	if len(first.Items) != 1 || first.NextCursor == "" {
		t.Fatalf("a first page of one: %+v", first)
	}
	lead.get(t, "/api/v1/volumes/fees/statements?limit=1&cursor="+first.NextCursor, nil)
	lead.do(t, http.StatusUnprocessableEntity, "GET", "/api/v1/volumes/fees/statements?limit=500", nil)

	today := calendar.Today()
	issue := func(want int, supplierID int64, month string) map[string]any {
		t.Helper()
		return lead.do(t, want, "POST", "/api/v1/volumes/fees/statements", map[string]any{"supplier_id": supplierID, "month": month}).Map(t)
	}
	issue(http.StatusUnprocessableEntity, medical, today.Time().Format("2006-01"))
	// A month of the medical supplier's orders without a statement, and
	// one without orders.
	month := latestUnbilled(t, db, medical)
	issue(http.StatusCreated, medical, month)
	issue(http.StatusConflict, medical, month)
	issue(http.StatusUnprocessableEntity, medical, "2020-01")
	supplier.do(t, http.StatusForbidden, "POST", "/api/v1/volumes/fees/statements", map[string]any{"supplier_id": medical, "month": month})

	// A supplement: an order sent in an ended month is cancelled after
	// the month's statement; issuing the month again credits it.
	sent := mustSentUnbilled(t, db)
	original := issue(http.StatusCreated, sent.Supplier, sent.Month)
	officer.do(t, http.StatusOK, "POST", fmt.Sprintf("/api/v1/orders/%d/cancel", sent.Order), map[string]any{"reason": "no_longer_needed"})
	credit := issue(http.StatusCreated, sent.Supplier, sent.Month)
	if credit["supplements_id"] != original["id"] || credit["supplements_number"] != original["number"] || credit["fee"] == nil ||
		!strings.HasPrefix(credit["fee"].(string), "-") {
		t.Errorf("the supplement %v does not credit the original %v", credit, original)
	}
	issue(http.StatusConflict, sent.Supplier, sent.Month)
	lead.do(t, http.StatusOK, "POST", fmt.Sprintf("/api/v1/volumes/fees/statements/%v/paid", credit["id"]),
		map[string]any{"paid_on": today.String(), "payment_reference": "זיכוי 3"})
	lead.get(t, fmt.Sprintf("/api/v1/volumes/fees/statement?supplier=%d&month=%s", sent.Supplier, sent.Month), nil)

	pay := map[string]any{"paid_on": calendar.Today().String(), "payment_reference": "העברה 1"}
	lead.do(t, http.StatusUnprocessableEntity, "POST", path+"/paid", map[string]any{"paid_on": calendar.Today().String()})
	lead.do(t, http.StatusPreconditionFailed, "POST", path+"/paid", pay, "If-Match", `"fs0-0"`)
	lead.do(t, http.StatusOK, "POST", path+"/paid", pay, "If-Match", etag)
	lead.do(t, http.StatusConflict, "POST", path+"/paid", pay)
}
