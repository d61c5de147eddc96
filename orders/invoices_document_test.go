package orders_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"madaf/documents"
	"madaf/internal/page/pagetest"
)

var (
	// invoicePDF is a PDF by its content; invoicePNG an image, invoiceExe
	// a Windows executable.
	invoicePDF = []byte("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
	invoicePNG = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), make([]byte, 32)...)
	invoiceExe = append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"), make([]byte, 64)...)
)

// mustDocument stores content as a document of order orderID uploaded
// by u, internal when internal is set.
func (e *env) mustDocument(orderID int64, u user, name string, content []byte, internal bool) *documents.Document {
	e.t.Helper()
	d, err := documents.NewStore(e.db).Add(ctx, documents.Order(orderID), documents.Upload{Name: name, Content: content, Internal: &internal}, u.P)
	if err != nil {
		e.t.Fatalf("document %s: %v", name, err)
	}
	return d
}

// counts are the invoices and the documents of order orderID.
func (e *env) counts(orderID int64) (invoices, docs int) {
	e.t.Helper()
	if err := e.db.Get(&invoices, `SELECT count(*) FROM invoices WHERE order_id = $1`, orderID); err != nil {
		e.t.Fatal(err)
	}
	if err := e.db.Get(&docs, `SELECT count(*) FROM documents WHERE owner_kind = 'order' AND owner_id = $1`, orderID); err != nil {
		e.t.Fatal(err)
	}
	return invoices, docs
}

// TestInvoiceDocument: an invoice names the PDF of its tax invoice among
// its order's documents and answers its download link; a document of
// another order, an image, an internal document and a missing one are
// each refused on document_id, storing nothing; and the database refuses
// another order's document whoever writes it.
func TestInvoiceDocument(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00"}}})
	supplier := tn.Users[0]
	o := e.mustDeliver(tn, e.mustConfirmed(tn, "10"), "10")
	other := e.mustConfirmed(tn, "5")
	wantStatus(t, e.do("POST", fmt.Sprintf("/api/v1/orders/%d/receipts", o.ID), e.officer, receiptBody(o, "10", "good")), http.StatusCreated)
	invoices := fmt.Sprintf("/api/v1/orders/%d/invoices", o.ID)

	pdf := e.mustDocument(o.ID, supplier, "חשבונית 77.pdf", invoicePDF, false)
	othersPDF := e.mustDocument(other.ID, supplier, "invoice.pdf", invoicePDF, false)
	image := e.mustDocument(o.ID, supplier, "scan.png", invoicePNG, false)
	internal := e.mustDocument(o.ID, e.officer, "memo.pdf", invoicePDF, true)
	_, docsBefore := e.counts(o.ID)

	for _, c := range []struct {
		name string
		id   int64
	}{
		{"OtherOrdersDocument", othersPDF.ID},
		{"Image", image.ID},
		{"Internal", internal.ID},
		{"Missing", internal.ID + 1000},
		{"Zero", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			body := invoiceBody(o, "D-1", "", "10", "100.00")
			body["document_id"] = c.id
			r := e.do("POST", invoices, supplier, body)
			wantStatus(t, r, http.StatusUnprocessableEntity)
			if got := fieldOf(t, r, "document_id"); got != "invoice.document_not_pdf_of_order" {
				t.Fatalf("document_id: %q in %s", got, r.Body)
			}
			if n, docs := e.counts(o.ID); n != 0 || docs != docsBefore {
				t.Fatalf("%d invoices and %d documents (of %d) after the refusal", n, docs, docsBefore)
			}
		})
	}

	body := invoiceBody(o, "D-1", "", "10", "100.00")
	body["document_id"] = pdf.ID
	r := e.do("POST", invoices, supplier, body)
	wantStatus(t, r, http.StatusCreated)
	href := fmt.Sprintf("/api/v1/documents/%d", pdf.ID)
	got := r.Map(t)
	if got["document_id"] != float64(pdf.ID) || got["document_href"] != href || got["status"] != "matched" {
		t.Fatalf("invoice with its PDF: %s", r.Body)
	}
	var stored *int64
	if err := e.db.Get(&stored, `SELECT document_id FROM invoices WHERE order_id = $1`, o.ID); err != nil {
		t.Fatal(err)
	}
	if stored == nil || *stored != pdf.ID {
		t.Fatalf("stored document_id %v, want %d", stored, pdf.ID)
	}
	// The officer's list answers the link too; an invoice without one
	// answers null.
	r = e.do("GET", invoices, e.officer, nil)
	wantStatus(t, r, http.StatusOK)
	var list struct{ Items []map[string]any }
	r.JSON(t, &list)
	if len(list.Items) != 1 || list.Items[0]["document_href"] != href {
		t.Fatalf("list: %s", r.Body)
	}
	// A PDF is the file of one invoice.
	body = invoiceBody(o, "D-3", "", "0.001", "100.00")
	body["document_id"] = pdf.ID
	r = e.do("POST", invoices, supplier, body)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if got := fieldOf(t, r, "document_id"); got != "invoice.document_used" {
		t.Fatalf("a PDF given twice: %q in %s", got, r.Body)
	}
	r = e.do("POST", invoices, supplier, invoiceBody(o, "D-2", "", "0.001", "100.00"))
	wantStatus(t, r, http.StatusCreated)
	if m := r.Map(t); m["document_id"] != nil || m["document_href"] != nil {
		t.Fatalf("invoice without a PDF: %s", r.Body)
	}
	// The database keeps an invoice to its own order's documents.
	if _, err := e.db.Exec(`UPDATE invoices SET document_id = $1 WHERE order_id = $2 AND number = 'D-1'`, othersPDF.ID, o.ID); err == nil ||
		!strings.Contains(err.Error(), "invoices_document_fkey") {
		t.Fatalf("another order's document stored: %v", err)
	}
}

// postMultipart posts form and, when name is not empty, content as its
// file "file", to a page as u, the way a browser on the site does.
func (e *env) postMultipart(path string, u user, form url.Values, name string, content []byte) *pagetest.Response {
	e.t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, vs := range form {
		for _, v := range vs {
			w.WriteField(k, v)
		}
	}
	if name != "" {
		fw, err := w.CreateFormFile("file", name)
		if err != nil {
			e.t.Fatal(err)
		}
		fw.Write(content)
	}
	w.Close()
	req := httptest.NewRequest(http.MethodPost, path, &b)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Authorization", "Bearer "+u.Token)
	return pagetest.New(e.t, e.base.Engine).Do(req)
}

// TestInvoicePDFPage: the supplier's invoice form on the order page takes
// the PDF of the tax invoice, stored with the invoice in one go and
// linked from the invoice list; a file that is no PDF by its content (an
// executable or an image called .pdf), an empty file or one too large
// stores neither, and neither does a refused invoice with a real PDF;
// the refusal shows beside the field in the reader's language.
func TestInvoicePDFPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mountPages()
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00"}}})
	supplier := tn.Users[0]
	o := e.mustDeliver(tn, e.mustConfirmed(tn, "10"), "10")
	wantStatus(t, e.do("POST", fmt.Sprintf("/api/v1/orders/%d/receipts", o.ID), e.officer, receiptBody(o, "10", "good")), http.StatusCreated)
	path := fmt.Sprintf("/orders/%d", o.ID)
	pagetest.Expect(t, e.getPage(path, supplier), http.StatusOK, `enctype="multipart/form-data" id="invoice-form"`,
		`name="file" type="file"`, "קובץ חשבונית המס")
	form := func(allocation string) url.Values {
		o, _ := e.svc.Get(ctx, supplier.P, o.ID)
		// 10 × 100 = 1,000; VAT 180; total 1,180.
		return url.Values{"etag": {o.ETag()}, "inv_number": {"P-1"}, "inv_issued_on": {"2026-03-10"},
			"inv_subtotal": {"1000.00"}, "inv_vat": {"180.00"}, "inv_total": {"1180.00"}, "inv_allocation": {allocation},
			fmt.Sprintf("inv_qty_%d", o.Lines[0].ID): {"10"}, fmt.Sprintf("inv_price_%d", o.Lines[0].ID): {"100.00"}}
	}
	big := append(append([]byte{}, invoicePDF...), make([]byte, documents.MaxSize)...)
	for _, c := range []struct {
		name, file string
		content    []byte
		want       string
	}{
		{"ExecutableCalledPDF", "חשבונית.pdf", invoiceExe, "הקובץ אינו פי־די־אף (לפי תוכנו)"},
		{"ImageCalledPDF", "invoice.pdf", invoicePNG, "הקובץ אינו פי־די־אף (לפי תוכנו)"},
		{"Empty", "invoice.pdf", nil, "הקובץ ריק"},
		{"TooLarge", "invoice.pdf", big, "הקובץ גדול מ-20 MiB"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.postMultipart(path+"/invoices", supplier, form(""), c.file, c.content)
			pagetest.Expect(t, r, http.StatusUnprocessableEntity, c.want, `id="invoice-form"`)
			pagetest.ExpectErrorBeside(t, r, "file")
			if n, docs := e.counts(o.ID); n != 0 || docs != 0 {
				t.Fatalf("%d invoices and %d documents after the refusal", n, docs)
			}
		})
	}
	// A refused invoice with a real PDF stores no document.
	r := e.postMultipart(path+"/invoices", supplier, form("12345678"), "invoice.pdf", invoicePDF)
	pagetest.Expect(t, r, http.StatusUnprocessableEntity, "מספר הקצאה הוא 9 ספרות בדיוק")
	if n, docs := e.counts(o.ID); n != 0 || docs != 0 {
		t.Fatalf("%d invoices and %d documents after a refused invoice", n, docs)
	}
	// The PDF is stored in the invoice's transaction: when the invoice's
	// row is refused after the file was stored, neither is kept.
	e.db.MustExec(`CREATE FUNCTION test_refuse_invoice() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN IF NEW.number = 'P-BOOM' THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$`)
	e.db.MustExec(`CREATE TRIGGER test_refuse_invoice BEFORE INSERT ON invoices FOR EACH ROW EXECUTE FUNCTION test_refuse_invoice()`)
	boom := form("")
	boom.Set("inv_number", "P-BOOM")
	if r := e.postMultipart(path+"/invoices", supplier, boom, "invoice.pdf", invoicePDF); r.Code != http.StatusInternalServerError {
		t.Fatalf("invoice refused by the database: %d", r.Code)
	}
	if n, docs := e.counts(o.ID); n != 0 || docs != 0 {
		t.Fatalf("%d invoices and %d documents after the invoice's row was refused", n, docs)
	}
	// In the reader's language.
	e.db.MustExec(`UPDATE users SET lang = 'en' WHERE id = $1`, supplier.ID)
	r = e.postMultipart(path+"/invoices", supplier, form(""), "invoice.pdf", invoiceExe)
	pagetest.Expect(t, r, http.StatusUnprocessableEntity, "The file is not a PDF (by its content)")
	e.db.MustExec(`UPDATE users SET lang = 'he' WHERE id = $1`, supplier.ID)

	r = e.postMultipart(path+"/invoices", supplier, form(""), "חשבונית P-1.pdf", invoicePDF)
	if r.Code != http.StatusSeeOther {
		t.Fatalf("invoice with its PDF: %d %s", r.Code, r.Body)
	}
	invs, err := e.svc.Invoices(ctx, e.officer.P, o.ID)
	if err != nil || len(invs) != 1 || invs[0].DocumentID == nil {
		t.Fatalf("invoices %+v, %v", invs, err)
	}
	inv := invs[0]
	d, err := documents.NewStore(e.db).Get(ctx, *inv.DocumentID)
	if err != nil {
		t.Fatal(err)
	}
	if d.OwnerKind != documents.KindOrder || d.OwnerID != o.ID || d.ContentType != documents.TypePDF || d.Internal ||
		d.FileName != "חשבונית P-1.pdf" || d.UploadedBy != supplier.ID {
		t.Fatalf("stored document %+v", d)
	}
	if n, docs := e.counts(o.ID); n != 1 || docs != 1 {
		t.Fatalf("%d invoices and %d documents, want one of each", n, docs)
	}
	// The invoice list links to its PDF, for the officer and the supplier.
	link := fmt.Sprintf(`href="/api/v1/documents/%d" download id="invoice-pdf-%d"`, d.ID, inv.ID)
	pagetest.Expect(t, e.getPage(path, e.officer), http.StatusOK, link)
	pagetest.Expect(t, e.getPage(path, supplier), http.StatusOK, link)

	// The form without a file still records an invoice, without a PDF.
	f := form("")
	f.Set("inv_number", "P-2")
	f.Set(fmt.Sprintf("inv_qty_%d", o.Lines[0].ID), "0.001")
	f.Set("inv_subtotal", "0.10")
	f.Set("inv_vat", "0.02")
	f.Set("inv_total", "0.12")
	if r := e.postMultipart(path+"/invoices", supplier, f, "", nil); r.Code != http.StatusSeeOther {
		t.Fatalf("invoice without a PDF: %d %s", r.Code, r.Body)
	}
	if invs, _ := e.svc.Invoices(ctx, e.officer.P, o.ID); len(invs) != 2 || invs[1].DocumentID != nil {
		t.Fatalf("invoices %+v", invs)
	}
	// The same form sent again (its etag now stale) with the PDF attached
	// is no repeat of the one sent without: it is refused as stale, and
	// the file is not dropped under a success.
	if r := e.postMultipart(path+"/invoices", supplier, f, "invoice.pdf", invoicePDF); r.Code != http.StatusPreconditionFailed {
		t.Fatalf("the same invoice again with its PDF: %d, want 412", r.Code)
	}
	if n, docs := e.counts(o.ID); n != 2 || docs != 1 {
		t.Fatalf("%d invoices and %d documents after the stale repeat with a file", n, docs)
	}
	// Without the file it is the same request again, and answered as done.
	if r := e.postMultipart(path+"/invoices", supplier, f, "", nil); r.Code != http.StatusSeeOther {
		t.Fatalf("the same invoice again: %d, want the repeat's redirect", r.Code)
	}
}
