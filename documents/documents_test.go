package documents_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"madaf/documents"
	"madaf/internal/apperr"
	"madaf/internal/database"
	"madaf/internal/server"
)

// TestDetect: the type is read from the content alone; only the accepted
// kinds are recognised.
func TestDetect(t *testing.T) {
	for _, c := range []struct {
		name    string
		content []byte
		want    string
	}{
		{"pdf", pdfBytes, documents.TypePDF},
		{"png", pngBytes, documents.TypePNG},
		{"jpeg", jpegBytes, documents.TypeJPEG},
		{"gif", gifBytes, documents.TypeGIF},
		{"webp", webpBytes, documents.TypeWebP},
		{"xlsx", zipOf(t, "[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/worksheets/sheet1.xml"), documents.TypeXLSX},
		{"docx", zipOf(t, "[Content_Types].xml", "_rels/.rels", "word/document.xml"), documents.TypeDOCX},
		{"exe", exeBytes, ""},
		{"text", []byte("just some text"), ""},
		{"html", []byte("<!DOCTYPE html><html><script>alert(1)</script></html>"), ""},
		{"plain zip", zipOf(t, "a.txt"), ""},
		{"zip without content types", zipOf(t, "xl/workbook.xml"), ""},
		{"zip with both parts", zipOf(t, "[Content_Types].xml", "xl/workbook.xml", "word/document.xml"), ""},
		{"truncated zip", zipOf(t, "[Content_Types].xml", "xl/workbook.xml")[:30], ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := documents.Detect(c.content); got != c.want {
				t.Errorf("Detect = %q, want %q", got, c.want)
			}
		})
	}
}

// TestCheck: names are cleaned, a name without a known extension gets its
// type's, a name that claims another accepted type is refused.
func TestCheck(t *testing.T) {
	for _, c := range []struct {
		name, file string
		content    []byte
		wantName   string
		wantKey    string
	}{
		{"kept", "הזמנה חתומה.pdf", pdfBytes, "הזמנה חתומה.pdf", ""},
		{"path dropped", `C:\scans\אישור.PDF`, pdfBytes, "אישור.PDF", ""},
		{"extension added", "scan", pngBytes, "scan.png", ""},
		{"unknown extension kept", "scan.final", pdfBytes, "scan.final.pdf", ""},
		{"jpeg as jpg", "photo.jpg", jpegBytes, "photo.jpg", ""},
		{"png called pdf", "invoice.pdf", pngBytes, "", "document.type_mismatch"},
		{"exe called pdf", "invoice.pdf", exeBytes, "", "document.type_refused"},
		{"empty", "x.pdf", nil, "", "document.empty"},
		{"no name", "/", pdfBytes, "", "document.no_name"},
	} {
		t.Run(c.name, func(t *testing.T) {
			name, _, err := documents.Check(documents.Upload{Name: c.file, Content: c.content})
			if c.wantKey == "" {
				if err != nil || name != c.wantName {
					t.Fatalf("Check = %q, %v; want %q", name, err, c.wantName)
				}
				return
			}
			ae, ok := err.(*apperr.Error)
			if !ok || len(ae.Fields) != 1 || ae.Fields[0].Msg.Key != c.wantKey {
				t.Fatalf("Check error = %v, want field error %s", err, c.wantKey)
			}
		})
	}
}

// TestDisposition: the attachment carries an ASCII fallback and the UTF-8
// name as RFC 5987 filename*.
func TestDisposition(t *testing.T) {
	got := documents.Disposition(`אישור "ספק".pdf`)
	want := `attachment; filename="_____ _____.pdf"; filename*=UTF-8''%D7%90%D7%99%D7%A9%D7%95%D7%A8%20%22%D7%A1%D7%A4%D7%A7%22.pdf`
	if got != want {
		t.Errorf("Disposition =\n %s\nwant\n %s", got, want)
	}
}

// doc is a document as the API answers it.
type doc struct {
	ID          int64  `json:"id"`
	OwnerKind   string `json:"owner_kind"`
	OwnerID     int64  `json:"owner_id"`
	FileName    string `json:"file_name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
	UploadedBy  int64  `json:"uploaded_by"`
	Replaces    *int64 `json:"replaces"`
	ReplacedBy  *int64 `json:"replaced_by"`
	Href        string `json:"href"`
}

func decode[T any](t testing.TB, a answer) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(a.Body.Bytes(), &v); err != nil {
		t.Fatalf("decode %s: %v", a, err)
	}
	return v
}

func want(t testing.TB, a answer, code int) {
	t.Helper()
	if a.Code != code {
		t.Fatalf("status %d, want %d: %s", a.Code, code, a.Body.String())
	}
}

// fieldKey is the message key of a problem's error on field.
func fieldKey(t testing.TB, a answer, field string) string {
	t.Helper()
	var p struct {
		Errors []struct {
			Field string `json:"field"`
			Code  string `json:"code"`
		} `json:"errors"`
	}
	json.Unmarshal(a.Body.Bytes(), &p)
	for _, e := range p.Errors {
		if e.Field == field {
			return e.Code
		}
	}
	return ""
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestOrderDocuments: the order's officer and supplier add documents; the
// file's type is read from its content; every version is kept; the
// download is the stored bytes with their name, type and SHA-256; those
// who may not see the order get 404.
func TestOrderDocuments(t *testing.T) {
	w := newWorld(t)
	path := w.orderPath()

	a := w.upload(path, w.officer, "הזמנה חתומה.pdf", pdfBytes)
	want(t, a, http.StatusCreated)
	first := decode[doc](t, a)
	if first.ContentType != documents.TypePDF || first.SHA256 != sum(pdfBytes) || first.Size != int64(len(pdfBytes)) ||
		first.FileName != "הזמנה חתומה.pdf" || first.OwnerKind != "order" || first.OwnerID != w.order.ID || first.UploadedBy != w.officer.ID {
		t.Fatalf("first = %+v", first)
	}
	if loc := a.Header().Get("Location"); loc != first.Href || loc != "/api/v1/documents/"+strconv.FormatInt(first.ID, 10) {
		t.Errorf("Location %q, href %q", loc, first.Href)
	}
	var stored struct {
		SHA256  string `db:"sha256"`
		Content []byte `db:"content"`
	}
	if err := w.db.Get(&stored, `SELECT d.sha256, c.content FROM documents d JOIN document_contents c ON c.document_id = d.id WHERE d.id = $1`, first.ID); err != nil {
		t.Fatal(err)
	}
	if stored.SHA256 != sum(pdfBytes) || !bytes.Equal(stored.Content, pdfBytes) {
		t.Errorf("stored sha %s, %d bytes", stored.SHA256, len(stored.Content))
	}

	t.Run("refused by content", func(t *testing.T) {
		for _, c := range []struct {
			name    string
			content []byte
			key     string
		}{
			{"invoice.pdf", exeBytes, "document.type_refused"},
			{"invoice.pdf", pngBytes, "document.type_mismatch"},
			{"page.pdf", []byte("<html><body>not a pdf</body></html>"), "document.type_refused"},
			{"archive.xlsx", zipOf(t, "a.txt"), "document.type_refused"},
		} {
			a := w.upload(path, w.officer, c.name, c.content)
			want(t, a, http.StatusUnprocessableEntity)
			if got := fieldKey(t, a, "file"); got != c.key {
				t.Errorf("%s: file error %q, want %q: %s", c.name, got, c.key, a)
			}
			if c.key == "document.type_refused" && !strings.Contains(a.Body.String(), documents.Accepted) {
				t.Errorf("refusal does not name the accepted types: %s", a)
			}
		}
		a := w.do(http.MethodPost, path, w.officer, strings.NewReader(`{}`), "Content-Type", "application/json")
		want(t, a, http.StatusUnprocessableEntity)
		if got := fieldKey(t, a, "file"); got != "document.no_file" {
			t.Errorf("no file: %q", got)
		}
	})

	t.Run("supplier", func(t *testing.T) {
		a := w.upload(path, w.supplierUser, "delivery note.png", pngBytes)
		want(t, a, http.StatusCreated)
		if d := decode[doc](t, a); d.ContentType != documents.TypePNG {
			t.Errorf("content type %s", d.ContentType)
		}
	})

	t.Run("new version keeps the first", func(t *testing.T) {
		v2 := append([]byte(nil), pdfBytes...)
		v2 = append(v2, "% second version\n"...)
		a := w.upload(path, w.officer, "הזמנה חתומה.pdf", v2, "replaces", strconv.FormatInt(first.ID, 10))
		want(t, a, http.StatusCreated)
		second := decode[doc](t, a)
		if second.ID == first.ID || second.Replaces == nil || *second.Replaces != first.ID || second.SHA256 != sum(v2) {
			t.Fatalf("second = %+v", second)
		}
		a = w.do(http.MethodGet, first.Href, w.officer, nil)
		want(t, a, http.StatusOK)
		if !bytes.Equal(a.Body.Bytes(), pdfBytes) {
			t.Errorf("the first version changed")
		}
		list := decode[struct{ Items []doc }](t, w.do(http.MethodGet, path, w.officer, nil))
		if len(list.Items) != 3 || list.Items[0].ID != second.ID {
			t.Fatalf("list = %+v", list.Items)
		}
		for _, d := range list.Items {
			if d.ID == first.ID && (d.ReplacedBy == nil || *d.ReplacedBy != second.ID) {
				t.Errorf("first not marked replaced: %+v", d)
			}
		}
		a = w.upload(path, w.officer, "again.pdf", pdfBytes, "replaces", strconv.FormatInt(first.ID, 10))
		want(t, a, http.StatusConflict)
		other := w.upload(fmt.Sprintf("/api/v1/tenders/%d/documents", w.tender), w.lead, "tender.pdf", pdfBytes)
		want(t, other, http.StatusCreated)
		a = w.upload(path, w.officer, "x.pdf", pdfBytes, "replaces", strconv.FormatInt(decode[doc](t, other).ID, 10))
		want(t, a, http.StatusUnprocessableEntity)
		if got := fieldKey(t, a, "replaces"); got != "document.replaces_unknown" {
			t.Errorf("replaces another owner's document: %q", got)
		}
	})

	t.Run("never overwritten nor deleted", func(t *testing.T) {
		for _, q := range []string{
			`UPDATE documents SET file_name = 'x.pdf' WHERE id = $1`,
			`DELETE FROM documents WHERE id = $1`,
			`UPDATE document_contents SET content = 'x' WHERE document_id = $1`,
			`DELETE FROM document_contents WHERE document_id = $1`,
		} {
			if _, err := w.db.Exec(q, first.ID); err == nil {
				t.Errorf("%s: allowed", q)
			}
		}
	})

	t.Run("download", func(t *testing.T) {
		a := w.do(http.MethodGet, first.Href, w.supplierUser, nil)
		want(t, a, http.StatusOK)
		h := a.Header()
		if h.Get("Content-Type") != documents.TypePDF || h.Get("X-Content-Type-Options") != "nosniff" ||
			h.Get("ETag") != `"`+sum(pdfBytes)+`"` ||
			h.Get("Content-Disposition") != documents.Disposition("הזמנה חתומה.pdf") ||
			!strings.Contains(h.Get("Content-Disposition"), "filename*=UTF-8''%D7%94") {
			t.Errorf("headers %v", h)
		}
		a = w.do(http.MethodGet, first.Href, w.supplierUser, nil, "If-None-Match", h.Get("ETag"))
		want(t, a, http.StatusNotModified)
	})

	t.Run("scope", func(t *testing.T) {
		for _, u := range []struct {
			name string
			u    user
		}{{"another authority's officer", w.otherOfficer}, {"another supplier", w.otherSupplierUser}} {
			for _, a := range []answer{
				w.do(http.MethodGet, path, u.u, nil),
				w.upload(path, u.u, "x.pdf", pdfBytes),
				w.do(http.MethodGet, first.Href, u.u, nil),
			} {
				if a.Code != http.StatusNotFound {
					t.Errorf("%s: %s", u.name, a)
				}
			}
		}
		want(t, w.do(http.MethodGet, path, w.treasurer, nil), http.StatusOK)
		want(t, w.upload(path, w.treasurer, "x.pdf", pdfBytes), http.StatusForbidden)
		want(t, w.do(http.MethodGet, path, w.lead, nil), http.StatusOK)
		want(t, w.upload(path, w.lead, "x.pdf", pdfBytes), http.StatusForbidden)
		want(t, w.do(http.MethodGet, "/api/v1/orders/999999/documents", w.lead, nil), http.StatusNotFound)
		want(t, w.do(http.MethodGet, "/api/v1/documents/999999", w.lead, nil), http.StatusNotFound)
		want(t, w.do(http.MethodGet, path, user{}, nil), http.StatusUnauthorized)
	})

	t.Run("audited without the bytes", func(t *testing.T) {
		var after string
		if err := w.db.Get(&after, `SELECT after::text FROM audit_log WHERE object = 'documents' AND object_id = $1 AND action = 'insert'`,
			strconv.FormatInt(first.ID, 10)); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(after, sum(pdfBytes)) || strings.Contains(after, `"content":`) || !strings.Contains(after, fmt.Sprint(w.authority)) {
			t.Errorf("audit after = %s", after)
		}
		var n int
		w.db.Get(&n, `SELECT count(*) FROM audit_log WHERE object = 'document_contents'`)
		if n != 0 {
			t.Errorf("%d audit entries of the contents", n)
		}
	})
}

// TestSizeLimit: a document of 20 MiB is taken and one byte more is
// refused, with 413; only the upload routes take a body above 1 MiB.
func TestSizeLimit(t *testing.T) {
	w := newWorld(t)
	path := w.orderPath()
	big := make([]byte, documents.MaxSize)
	copy(big, pdfBytes)
	a := w.upload(path, w.officer, "big.pdf", big)
	want(t, a, http.StatusCreated)
	if d := decode[doc](t, a); d.Size != documents.MaxSize || d.SHA256 != sum(big) {
		t.Errorf("big = %+v", d)
	}
	a = w.upload(path, w.officer, "bigger.pdf", append(big, ' '))
	want(t, a, http.StatusRequestEntityTooLarge)
	if !strings.Contains(a.Body.String(), "document.too_large") {
		t.Errorf("413 without its reason: %s", a)
	}
	a = w.upload(path, w.officer, "huge.pdf", append(big, make([]byte, 2<<20)...))
	want(t, a, http.StatusRequestEntityTooLarge)

	// Every other route keeps the small limit.
	body, ctype := form("big.pdf", make([]byte, 2<<20))
	a = w.do(http.MethodPost, fmt.Sprintf("/api/v1/orders/%d/deliver", w.order.ID), w.supplierUser, body, "Content-Type", ctype)
	want(t, a, http.StatusRequestEntityTooLarge)
	if server.UploadBody < documents.MaxSize+64<<10 {
		t.Errorf("the upload routes' body limit %d leaves no room for the form around %d bytes", server.UploadBody, documents.MaxSize)
	}
	for route := range server.Uploads {
		// The order page's invoice form takes the invoice's PDF.
		if (!strings.HasSuffix(route, "/:id/documents") || !strings.HasPrefix(route, "POST ")) && route != "POST /orders/:id/invoices" {
			t.Errorf("%s takes a large body", route)
		}
	}
}

// TestOwners: each kind of owner is seen and added to as its feature
// decides.
func TestOwners(t *testing.T) {
	w := newWorld(t)
	var taskID int64
	err := w.db.Get(&taskID, `WITH p AS (INSERT INTO workplan_plans (year) VALUES (2026) RETURNING id),
		d AS (INSERT INTO workplan_domains (plan_id, name, position) SELECT id, 'תיירות', 1 FROM p RETURNING id, plan_id),
		g AS (INSERT INTO workplan_goals (plan_id, domain_id, title, position) SELECT plan_id, id, 'מטרה', 1 FROM d RETURNING id, plan_id)
		INSERT INTO workplan_tasks (plan_id, goal_id, position, title, status) SELECT plan_id, id, 1, 'משימה', 'in_progress' FROM g RETURNING id`)
	if err != nil {
		t.Fatal(err)
	}
	tender := fmt.Sprintf("/api/v1/tenders/%d/documents", w.tender)
	supplier := fmt.Sprintf("/api/v1/suppliers/%d/documents", w.supplier)
	task := fmt.Sprintf("/api/v1/workplan/tasks/%d/documents", taskID)
	for _, c := range []struct {
		name     string
		path     string
		u        user
		see, add int
	}{
		{"tender: the lead", tender, w.lead, 200, 201},
		{"tender: the admin", tender, w.admin, 200, 201},
		{"tender: a participating officer", tender, w.officer, 200, 403},
		{"tender: the winner", tender, w.supplierUser, 200, 403},
		{"tender: an authority not taking part", tender, w.otherOfficer, 404, 404},
		{"tender: another supplier", tender, w.otherSupplierUser, 404, 404},
		{"supplier: itself", supplier, w.supplierUser, 200, 201},
		{"supplier: the admin", supplier, w.admin, 200, 201},
		{"supplier: the lead", supplier, w.lead, 200, 201},
		{"supplier: an officer", supplier, w.officer, 404, 404},
		{"supplier: another supplier", supplier, w.otherSupplierUser, 404, 404},
		{"task: the lead", task, w.lead, 200, 201},
		{"task: an officer", task, w.officer, 404, 404},
		{"task: a supplier", task, w.supplierUser, 404, 404},
	} {
		t.Run(c.name, func(t *testing.T) {
			if a := w.do(http.MethodGet, c.path, c.u, nil); a.Code != c.see {
				t.Errorf("list: %s, want %d", a, c.see)
			}
			a := w.upload(c.path, c.u, "certificate.pdf", pdfBytes)
			if a.Code != c.add {
				t.Fatalf("add: %s, want %d", a, c.add)
			}
			if a.Code == http.StatusCreated {
				href := decode[doc](t, a).Href
				want(t, w.do(http.MethodGet, href, c.u, nil), http.StatusOK)
				want(t, w.do(http.MethodGet, href, w.otherSupplierUser, nil), http.StatusNotFound)
			}
		})
	}
	want(t, w.do(http.MethodGet, "/api/v1/workplan/tasks/999999/documents", w.lead, nil), http.StatusNotFound)
}

// TestAddInTx: a document added inside a caller's transaction is kept or
// dropped with the caller's change.
func TestAddInTx(t *testing.T) {
	w := newWorld(t)
	store := documents.NewStore(w.db)
	owner := documents.Order(w.order.ID)
	fail := fmt.Errorf("the caller's change failed")
	err := database.WithTx(ctx, w.db, func(tx *sqlx.Tx) error {
		if _, err := store.InTx(tx).Add(ctx, owner, documents.Upload{Name: "a.pdf", Content: pdfBytes}, w.officer.P); err != nil {
			return err
		}
		return fail
	})
	if err != fail {
		t.Fatalf("WithTx = %v", err)
	}
	if ds, err := store.List(ctx, owner); err != nil || len(ds) != 0 {
		t.Fatalf("after rollback: %v, %v", ds, err)
	}
	var d *documents.Document
	err = database.WithTx(ctx, w.db, func(tx *sqlx.Tx) (err error) {
		d, err = store.InTx(tx).Add(ctx, owner, documents.Upload{Name: "a.pdf", Content: pdfBytes}, w.officer.P)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	got, content, err := store.Open(ctx, d.ID)
	if err != nil || got.SHA256 != sum(pdfBytes) || !bytes.Equal(content, pdfBytes) || got.UploaderName == "" {
		t.Fatalf("Open = %+v, %d bytes, %v", got, len(content), err)
	}
	if _, err := store.Add(ctx, documents.Order(999999), documents.Upload{Name: "a.pdf", Content: pdfBytes}, w.officer.P); !apperr.Is(err, apperr.KindNotFound) {
		t.Errorf("a missing owner: %v", err)
	}
}
