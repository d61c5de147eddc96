package app

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"testing"

	"madaf/internal/auth"
	"madaf/internal/dbtest"
	"madaf/internal/fixture"
	"madaf/internal/webtest"
)

// TestAuditInternalDocuments: the upload form's internal field, by who
// sends it: the order's officer's internal document is audited as the
// officer's, internal; the order's supplier's is refused (422) and a
// treasurer, who may not add, is refused (403) before the field is read,
// neither leaving an entry; a new version without the field is audited
// internal too.
func TestAuditInternalDocuments(t *testing.T) {
	db := dbtest.New(t)
	ctx := context.Background()
	if _, err := SeedDemo(ctx, db, io.Discard); err != nil {
		t.Fatalf("seed demo: %v", err)
	}
	h := New(db, quiet).Engine
	var officer, treasurer int64
	var o struct {
		ID         int64 `db:"id"`
		SupplierID int64 `db:"supplier_id"`
	}
	mustGet(t, db, &officer, `SELECT id FROM users WHERE email = 'officer@zichron.example'`)
	mustGet(t, db, &treasurer, `SELECT id FROM users WHERE email = 'treasurer@zichron.example'`)
	mustGet(t, db, &o, `SELECT o.id, o.supplier_id FROM orders o JOIN authorities a ON a.id = o.authority_id AND a.code = '9300'
		WHERE o.status = 'sent' ORDER BY o.id LIMIT 1`)
	supplier := fixture.MustUser(t, db, auth.OrgSupplier, o.SupplierID, auth.RoleSupplier)
	path := fmt.Sprintf("/api/v1/orders/%d/documents", o.ID)
	entries := func() int {
		t.Helper()
		var n int
		mustGet(t, db, &n, `SELECT count(*) FROM audit_log WHERE object = 'documents'`)
		return n
	}
	upload := func(token string, want int, fields ...string) map[string]any {
		t.Helper()
		body, ctype := documentUpload(t, "אישור תקציבי.pdf", samplePDF, fields...)
		r := webtest.Do(h, "POST", path, token, body, "Content-Type", ctype)
		if r.Code != want {
			t.Fatalf("upload %v: %d, want %d: %s", fields, r.Code, want, r.Body)
		}
		return r.Map(t)
	}
	audited := func(id any) (actor int64, internal string) {
		t.Helper()
		if err := db.QueryRowContext(ctx, `SELECT actor_id, after->>'internal' FROM audit_log
			WHERE object = 'documents' AND object_id = $1 AND action = 'insert'`, fmt.Sprint(id)).Scan(&actor, &internal); err != nil {
			t.Fatalf("the audit entry of document %v: %v", id, err)
		}
		return actor, internal
	}

	before := entries()
	upload(supplier.Token, http.StatusUnprocessableEntity, "internal", "true")
	upload(webtest.MustToken(t, db, treasurer), http.StatusForbidden, "internal", "true")
	if n := entries() - before; n != 0 {
		t.Fatalf("the refusals left %d entries", n)
	}
	token := webtest.MustToken(t, db, officer)
	memo := upload(token, http.StatusCreated, "internal", "true")
	if actor, internal := audited(memo["id"]); actor != officer || internal != "true" {
		t.Fatalf("the internal document is audited as %d's, internal %s", actor, internal)
	}
	id := strconv.FormatFloat(memo["id"].(float64), 'f', 0, 64)
	v2 := upload(token, http.StatusCreated, "replaces", id)
	if actor, internal := audited(v2["id"]); actor != officer || internal != "true" || v2["internal"] != true {
		t.Fatalf("the new version is audited as %d's, internal %s (answer %v)", actor, internal, v2["internal"])
	}
}
