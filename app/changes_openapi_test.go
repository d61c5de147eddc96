package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"testing"

	"madaf/internal/auth"
	"madaf/internal/dbtest"
	"madaf/internal/fixture"
	"madaf/internal/webtest"
)

// documentUpload is a multipart body with a file called name holding
// content in the field "file" and the other fields (in pairs), and its
// Content-Type.
func documentUpload(t *testing.T, name string, content []byte, fields ...string) ([]byte, string) {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for i := 0; i+1 < len(fields); i += 2 {
		if err := w.WriteField(fields[i], fields[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	f, err := w.CreateFormFile("file", name)
	if err == nil {
		_, err = f.Write(content)
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	return body.Bytes(), w.FormDataContentType()
}

// samplePDF is a small PDF.
var samplePDF = []byte(authzPDF)

// TestOpenAPIMatchesChangesAndDocuments calls every route of an order's
// change requests and of the documents on the demo cluster, each with a
// success and a typical refusal, and checks every answer against the
// document: a change that raises the total through its two signatures to
// the supplier's refusal, one that lowers it accepted, one withdrawn; the
// documents of an order (one of them internal, which its supplier does
// not see), of a tender, a supplier, a mini-competition and a work-plan
// task, and their download.
func TestOpenAPIMatchesChangesAndDocuments(t *testing.T) {
	doc := loadAPIDoc(t)
	db := dbtest.New(t)
	ctx := context.Background()
	if _, err := SeedDemo(ctx, db, io.Discard); err != nil {
		t.Fatalf("seed demo: %v", err)
	}
	h := New(db, quiet).Engine
	get := func(dst any, q string, args ...any) {
		t.Helper()
		mustGet(t, db, dst, q, args...)
	}
	as := func(email string) *apiCaller { return callerAs(t, db, h, doc, email) }
	officer, treasurer, head := as("officer@zichron.example"), as("treasurer@zichron.example"), as("head@zichron.example")
	lead, admin := as("lead@madaf.example"), as("admin@madaf.example")
	anonymous := &apiCaller{h: h, doc: doc}

	// An order of Zichron sent to its supplier, without an open change,
	// with a line of more than one unit, under a tender taking orders.
	var o struct {
		ID         int64 `db:"id"`
		SupplierID int64 `db:"supplier_id"`
		TenderID   int64 `db:"tender_id"`
		Line       int64 `db:"line_id"`
	}
	get(&o, `SELECT o.id, o.supplier_id, o.tender_id, l.id AS line_id
		FROM orders o JOIN authorities a ON a.id = o.authority_id AND a.code = '9300'
		JOIN order_lines l ON l.order_id = o.id AND l.quantity >= 2 AND l.delivered = 0
		JOIN tenders t ON t.id = o.tender_id AND t.status = 'active' AND t.valid_until >= current_date
		WHERE o.status IN ('sent', 'confirmed') AND o.competition_id IS NULL
			AND NOT EXISTS (SELECT 1 FROM order_changes c WHERE c.order_id = o.id AND order_change_open(c.status))
		ORDER BY o.id DESC LIMIT 1`)
	su := fixture.MustUser(t, db, auth.OrgSupplier, o.SupplierID, auth.RoleSupplier)
	supplier := &apiCaller{h: h, doc: doc, token: su.Token}
	op := fmt.Sprintf("/api/v1/orders/%d", o.ID)
	etag := func() string {
		t.Helper()
		return officer.do(t, http.StatusOK, "GET", op, nil).Header().Get("ETag")
	}
	var ch struct {
		ID     int64  `json:"id"`
		Status string `json:"status"`
	}
	line := func(qty string) map[string]any {
		return map[string]any{"reason": "עדכון כמות", "lines": []map[string]any{{"line_id": o.Line, "quantity": qty}}}
	}

	// The list, a refusal and a raise awaiting both signatures.
	officer.get(t, op+"/changes", nil)
	officer.do(t, http.StatusNotFound, "GET", "/api/v1/orders/999999/changes", nil)
	officer.do(t, http.StatusUnprocessableEntity, "POST", op+"/changes", map[string]any{"lines": []any{}})
	treasurer.do(t, http.StatusForbidden, "POST", op+"/changes", line("1"))
	officer.do(t, http.StatusPreconditionFailed, "POST", op+"/changes", line("1"), "If-Match", `"stale"`)
	var qty string
	get(&qty, `SELECT (quantity + 1)::text FROM order_lines WHERE id = $1`, o.Line)
	officer.do(t, http.StatusCreated, "POST", op+"/changes", line(qty), "If-Match", etag()).JSON(t, &ch)
	if ch.Status != "pending_signature" {
		t.Fatalf("a raise is %s", ch.Status)
	}
	officer.do(t, http.StatusConflict, "POST", op+"/changes", line("1"))
	cp := fmt.Sprintf("%s/changes/%d", op, ch.ID)
	officer.get(t, cp, nil)
	officer.do(t, http.StatusNotFound, "GET", op+"/changes/999999", nil)
	supplier.do(t, http.StatusNotFound, "GET", cp, nil)
	officer.do(t, http.StatusForbidden, "POST", cp+"/sign", map[string]any{})
	treasurer.do(t, http.StatusUnprocessableEntity, "POST", cp+"/sign", map[string]any{"slot": "treasurer"})
	treasurer.do(t, http.StatusOK, "POST", cp+"/sign", map[string]any{"legal": true, "budget_line": true, "no_deficit": true})
	head.do(t, http.StatusOK, "POST", cp+"/sign", map[string]any{}).JSON(t, &ch)
	if ch.Status != "pending_supplier" {
		t.Fatalf("signed, the change is %s", ch.Status)
	}
	// Signing the signed change again (another request) is a conflict.
	treasurer.do(t, http.StatusConflict, "POST", cp+"/sign", map[string]any{"legal": true, "budget_line": true, "no_deficit": true, "note": "שוב"})
	supplier.get(t, cp, nil)
	supplier.get(t, op+"/changes", nil)
	supplier.do(t, http.StatusUnprocessableEntity, "POST", cp+"/decline", map[string]any{})
	officer.do(t, http.StatusForbidden, "POST", cp+"/decline", map[string]any{"reason": "x"})
	supplier.do(t, http.StatusOK, "POST", cp+"/decline", map[string]any{"reason": "אין במלאי"})
	supplier.do(t, http.StatusConflict, "POST", cp+"/accept", map[string]any{})

	// A decrease goes to the supplier at once, who accepts it.
	officer.do(t, http.StatusCreated, "POST", op+"/changes", line("1")).JSON(t, &ch)
	cp = fmt.Sprintf("%s/changes/%d", op, ch.ID)
	officer.do(t, http.StatusForbidden, "POST", cp+"/accept", map[string]any{})
	supplier.do(t, http.StatusPreconditionFailed, "POST", cp+"/accept", map[string]any{}, "If-Match", `"stale"`)
	supplier.do(t, http.StatusOK, "POST", cp+"/accept", map[string]any{"note": "בסדר"})
	supplier.do(t, http.StatusConflict, "POST", cp+"/decline", map[string]any{"reason": "x"})

	// A change withdrawn by the officer.
	officer.do(t, http.StatusCreated, "POST", op+"/changes", map[string]any{"reason": "כתובת", "delivery_address": "בניין המועצה, אגף ב"}).JSON(t, &ch)
	cp = fmt.Sprintf("%s/changes/%d", op, ch.ID)
	supplier.do(t, http.StatusForbidden, "POST", cp+"/withdraw", map[string]any{})
	officer.do(t, http.StatusOK, "POST", cp+"/withdraw", map[string]any{"note": "טעות"})
	officer.do(t, http.StatusConflict, "POST", cp+"/withdraw", map[string]any{})
	officer.get(t, op+"/events", nil)
	supplier.get(t, op+"/events", nil)

	// The order's documents: an internal one its supplier does not see.
	dp := op + "/documents"
	upload := func(c *apiCaller, want int, path, name string, content []byte, fields ...string) webtest.Response {
		t.Helper()
		body, ctype := documentUpload(t, name, content, fields...)
		return c.do(t, want, "POST", path, body, "Content-Type", ctype)
	}
	var d struct {
		ID   int64  `json:"id"`
		Href string `json:"href"`
	}
	upload(officer, http.StatusCreated, dp, "מזכר ועדה.pdf", samplePDF, "internal", "true").JSON(t, &d)
	memo := d
	upload(officer, http.StatusUnprocessableEntity, dp, "x.pdf", []byte("not a pdf"))
	upload(treasurer, http.StatusForbidden, dp, "x.pdf", samplePDF)
	upload(supplier, http.StatusUnprocessableEntity, dp, "תעודה.pdf", samplePDF, "internal", "true")
	upload(supplier, http.StatusCreated, dp, "תעודה.pdf", samplePDF).JSON(t, &d)
	upload(officer, http.StatusCreated, dp, "מזכר ועדה.pdf", append(samplePDF, '\n'), "replaces", fmt.Sprint(memo.ID))
	upload(officer, http.StatusConflict, dp, "מזכר ועדה.pdf", samplePDF, "replaces", fmt.Sprint(memo.ID))
	upload(anonymous, http.StatusUnauthorized, dp, "x.pdf", samplePDF)
	upload(officer, http.StatusNotFound, "/api/v1/orders/999999/documents", "x.pdf", samplePDF)
	officer.get(t, dp, nil)
	supplier.get(t, dp, nil)
	officer.do(t, http.StatusNotFound, "GET", "/api/v1/orders/999999/documents", nil)
	anonymous.do(t, http.StatusUnauthorized, "GET", dp, nil)

	// The download: the bytes, unchanged since (304), hidden from the
	// supplier when internal.
	r := officer.do(t, http.StatusOK, "GET", memo.Href, nil)
	officer.do(t, http.StatusNotModified, "GET", memo.Href, nil, "If-None-Match", r.Header().Get("ETag"))
	supplier.do(t, http.StatusNotFound, "GET", memo.Href, nil)
	supplier.get(t, d.Href, nil)
	officer.do(t, http.StatusNotFound, "GET", "/api/v1/documents/999999", nil)
	anonymous.do(t, http.StatusUnauthorized, "GET", memo.Href, nil)

	// The other owners.
	var competition, task int64
	get(&competition, `SELECT c.id FROM competitions c JOIN authorities a ON a.id = c.authority_id AND a.code = '9300' ORDER BY c.id LIMIT 1`)
	get(&task, `SELECT id FROM workplan_tasks ORDER BY id LIMIT 1`)
	for _, c := range []struct {
		path             string
		adder, refused   *apiCaller
		refusedWithTheID int
	}{
		{fmt.Sprintf("/api/v1/tenders/%d/documents", o.TenderID), lead, officer, http.StatusForbidden},
		{fmt.Sprintf("/api/v1/suppliers/%d/documents", o.SupplierID), admin, officer, http.StatusNotFound},
		{fmt.Sprintf("/api/v1/competitions/%d/documents", competition), officer, treasurer, http.StatusForbidden},
		{fmt.Sprintf("/api/v1/workplan/tasks/%d/documents", task), lead, officer, http.StatusNotFound},
	} {
		upload(c.adder, http.StatusCreated, c.path, "נספח.pdf", samplePDF, "internal", "true")
		upload(c.adder, http.StatusUnprocessableEntity, c.path, "נספח.pdf", nil)
		upload(c.refused, c.refusedWithTheID, c.path, "נספח.pdf", samplePDF)
		c.adder.get(t, c.path, nil)
		if c.refusedWithTheID == http.StatusNotFound {
			c.refused.do(t, http.StatusNotFound, "GET", c.path, nil)
		}
	}
	supplier.get(t, fmt.Sprintf("/api/v1/suppliers/%d/documents", o.SupplierID), nil)

	for _, op := range []string{
		"GET /api/v1/orders/{id}/changes", "POST /api/v1/orders/{id}/changes", "GET /api/v1/orders/{id}/changes/{change_id}",
		"POST /api/v1/orders/{id}/changes/{change_id}/sign", "POST /api/v1/orders/{id}/changes/{change_id}/accept",
		"POST /api/v1/orders/{id}/changes/{change_id}/decline", "POST /api/v1/orders/{id}/changes/{change_id}/withdraw",
		"GET /api/v1/orders/{id}/documents", "POST /api/v1/orders/{id}/documents", "GET /api/v1/tenders/{id}/documents",
		"POST /api/v1/tenders/{id}/documents", "GET /api/v1/suppliers/{id}/documents", "POST /api/v1/suppliers/{id}/documents",
		"GET /api/v1/competitions/{id}/documents", "POST /api/v1/competitions/{id}/documents",
		"GET /api/v1/workplan/tasks/{id}/documents", "POST /api/v1/workplan/tasks/{id}/documents", "GET /api/v1/documents/{id}",
	} {
		if !doc.covered[op] {
			t.Errorf("not exercised: %s", op)
		}
	}
	t.Logf("%d answers checked against the document", doc.validated)
}
