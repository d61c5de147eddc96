package documents_test

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// ids are the ids of a list of documents.
func (w *world) ids(path string, u user) map[int64]doc {
	w.t.Helper()
	a := w.do(http.MethodGet, path, u, nil)
	want(w.t, a, http.StatusOK)
	out := map[int64]doc{}
	for _, d := range decode[struct{ Items []doc }](w.t, a).Items {
		out[d.ID] = d
	}
	return out
}

// internalOf reads whether document id is stored as internal.
func (w *world) internalOf(id int64) bool {
	w.t.Helper()
	var b bool
	if err := w.db.Get(&b, `SELECT internal FROM documents WHERE id = $1`, id); err != nil {
		w.t.Fatal(err)
	}
	return b
}

// TestInternalDocuments: an internal document of an order is listed and
// opened by the authority's and the cluster's users, never by the order's
// supplier (404, as any document it may not see); a new version stays
// internal unless its uploader says otherwise; a supplier cannot mark its
// own document internal nor replace an internal one.
func TestInternalDocuments(t *testing.T) {
	w := newWorld(t)
	path := w.orderPath()

	a := w.upload(path, w.officer, "מזכר ועדה.pdf", pdfBytes, "internal", "true")
	want(t, a, http.StatusCreated)
	memo := decode[struct {
		doc
		Internal bool `json:"internal"`
	}](t, a)
	if !memo.Internal || !w.internalOf(memo.ID) {
		t.Fatalf("memo = %+v", memo)
	}
	a = w.upload(path, w.officer, "הזמנה.pdf", pdfBytes)
	want(t, a, http.StatusCreated)
	public := decode[doc](t, a)
	if w.internalOf(public.ID) {
		t.Fatal("a document uploaded without the flag is internal")
	}

	for _, u := range []user{w.officer, w.treasurer, w.lead} {
		if _, ok := w.ids(path, u)[memo.ID]; !ok {
			t.Errorf("user %d does not list the internal document", u.ID)
		}
		want(t, w.do(http.MethodGet, memo.Href, u, nil), http.StatusOK)
	}
	seen := w.ids(path, w.supplierUser)
	if _, ok := seen[memo.ID]; ok || len(seen) != 1 {
		t.Fatalf("the supplier lists %v", seen)
	}
	a = w.do(http.MethodGet, memo.Href, w.supplierUser, nil)
	want(t, a, http.StatusNotFound)
	if !strings.Contains(a.Body.String(), "not_found.document") {
		t.Errorf("download of an internal document: %s", a)
	}

	// A new version is internal as the one it replaces, flag or none; one
	// that says otherwise is refused and stores nothing.
	v2 := append(append([]byte(nil), pdfBytes...), "% v2\n"...)
	a = w.upload(path, w.officer, "מזכר ועדה.pdf", v2, "replaces", strconv.FormatInt(memo.ID, 10))
	want(t, a, http.StatusCreated)
	second := decode[doc](t, a)
	if !w.internalOf(second.ID) {
		t.Fatal("a new version of an internal document is not internal")
	}
	want(t, w.do(http.MethodGet, second.Href, w.supplierUser, nil), http.StatusNotFound)
	count := len(w.ids(path, w.officer))
	v3 := append(append([]byte(nil), v2...), "% v3\n"...)
	a = w.upload(path, w.officer, "מזכר ועדה.pdf", v3, "replaces", strconv.FormatInt(second.ID, 10), "internal", "false")
	want(t, a, http.StatusUnprocessableEntity)
	if got := fieldKey(t, a, "internal"); got != "document.internal_version" {
		t.Errorf("an internal document's version marked not internal: %q", got)
	}
	a = w.upload(path, w.officer, "הזמנה.pdf", v2, "replaces", strconv.FormatInt(public.ID, 10), "internal", "true")
	want(t, a, http.StatusUnprocessableEntity)
	if got := fieldKey(t, a, "internal"); got != "document.internal_version" {
		t.Errorf("a public document's version marked internal: %q", got)
	}
	if n := len(w.ids(path, w.officer)); n != count {
		t.Fatalf("the refused versions added %d documents", n-count)
	}
	a = w.upload(path, w.officer, "מזכר ועדה.pdf", v3, "replaces", strconv.FormatInt(second.ID, 10), "internal", "true")
	want(t, a, http.StatusCreated)
	a = w.upload(path, w.officer, "הזמנה.pdf", v2, "replaces", strconv.FormatInt(public.ID, 10))
	want(t, a, http.StatusCreated)
	newer := decode[doc](t, a)
	if w.internalOf(newer.ID) {
		t.Fatal("a new version of a public document is internal")
	}
	if d, ok := w.ids(path, w.supplierUser)[newer.ID]; !ok || d.Replaces == nil || *d.Replaces != public.ID {
		t.Fatalf("the supplier's view of the public document's new version: %+v (listed %v)", d, ok)
	}

	// The supplier's own documents are never internal.
	before := len(w.ids(path, w.officer))
	a = w.upload(path, w.supplierUser, "תעודת משלוח.pdf", pdfBytes, "internal", "true")
	want(t, a, http.StatusUnprocessableEntity)
	if got := fieldKey(t, a, "internal"); got != "document.internal_supplier" {
		t.Errorf("supplier's internal upload: %q", got)
	}
	a = w.upload(path, w.supplierUser, "תעודת משלוח.pdf", pdfBytes, "replaces", strconv.FormatInt(memo.ID, 10))
	want(t, a, http.StatusUnprocessableEntity)
	if got := fieldKey(t, a, "replaces"); got != "document.replaces_unknown" {
		t.Errorf("supplier replacing an internal document: %q", got)
	}
	if n := len(w.ids(path, w.officer)); n != before {
		t.Fatalf("the refusals added %d documents", n-before)
	}
	a = w.upload(path, w.supplierUser, "תעודת משלוח.pdf", pdfBytes, "internal", "false")
	want(t, a, http.StatusCreated)
	if w.internalOf(decode[doc](t, a).ID) {
		t.Fatal("the supplier's document is internal")
	}
	a = w.upload(path, w.officer, "x.pdf", pdfBytes, "internal", "maybe")
	want(t, a, http.StatusUnprocessableEntity)
	if got := fieldKey(t, a, "internal"); got != "document.internal_invalid" {
		t.Errorf("internal=maybe: %q", got)
	}

	// A supplier's own registry documents: the cluster's internal ones
	// are the cluster's.
	sp := fmt.Sprintf("/api/v1/suppliers/%d/documents", w.supplier)
	a = w.upload(sp, w.admin, "בדיקת ספק.pdf", pdfBytes, "internal", "true")
	want(t, a, http.StatusCreated)
	check := decode[doc](t, a)
	if _, ok := w.ids(sp, w.supplierUser)[check.ID]; ok {
		t.Fatal("the supplier lists the cluster's internal document about it")
	}
	want(t, w.do(http.MethodGet, check.Href, w.supplierUser, nil), http.StatusNotFound)
	want(t, w.do(http.MethodGet, check.Href, w.lead, nil), http.StatusOK)
}

// TestInternalDocumentsOnThePage: the order page's documents section marks
// internal documents and offers the officer the checkbox, which the
// upload form takes; the supplier's page neither lists them nor offers
// it.
func TestInternalDocumentsOnThePage(t *testing.T) {
	w := newWorld(t)
	page := fmt.Sprintf("/orders/%d", w.order.ID)
	get := func(u user) string {
		a := w.do(http.MethodGet, page, u, nil)
		want(t, a, http.StatusOK)
		return a.Body.String()
	}
	if body := get(w.officer); !strings.Contains(body, `id="document_internal"`) || !strings.Contains(body, "מסמך פנימי") {
		t.Fatal("the officer is not offered the internal checkbox")
	}
	body, ctype := form("אישור תקציבי.pdf", pdfBytes, "internal", "true")
	a := w.do(http.MethodPost, page+"/documents", w.officer, body, "Content-Type", ctype, "Sec-Fetch-Site", "same-origin")
	if a.Code != http.StatusSeeOther {
		t.Fatalf("page upload: %s", a)
	}
	var id int64
	if err := w.db.Get(&id, `SELECT id FROM documents WHERE owner_kind = 'order' AND owner_id = $1 AND internal`, w.order.ID); err != nil {
		t.Fatalf("the page's upload is not internal: %v", err)
	}
	row := fmt.Sprintf(`id="document-%d"`, id)
	if body := get(w.officer); !strings.Contains(body, row) || !strings.Contains(body, `<span class="badge warn">פנימי</span>`) {
		t.Fatal("the officer's page does not mark the internal document")
	}
	if body := get(w.supplierUser); strings.Contains(body, row) || strings.Contains(body, "אישור תקציבי") ||
		strings.Contains(body, `id="document_internal"`) {
		t.Fatal("the supplier's page shows the internal document or the checkbox")
	}
	// A supplier posting the flag on the page is told beside the field.
	body, ctype = form("תעודה.pdf", pdfBytes, "internal", "true")
	a = w.do(http.MethodPost, page+"/documents", w.supplierUser, body, "Content-Type", ctype, "Sec-Fetch-Site", "same-origin")
	if a.Code != http.StatusSeeOther || !strings.Contains(a.Header().Get("Location"), "document_error=internal") {
		t.Fatalf("supplier's internal page upload: %s %v", a, a.Header())
	}
}
