package volumes_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"

	"madaf/internal/money"
	"madaf/internal/webtest"
	"madaf/volumes"
)

// download fetches path as u and checks the status and media type.
func (w *world) download(t *testing.T, u user, path, contentType string) []byte {
	t.Helper()
	r := webtest.Do(w.base.Engine, "GET", path, u.Token, nil)
	if r.Code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, r.Code, r.Body.String())
	}
	if got := r.Header().Get("Content-Type"); !strings.HasPrefix(got, contentType) {
		t.Fatalf("GET %s: Content-Type %q, want %q", path, got, contentType)
	}
	return r.Body.Bytes()
}

func readCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	if !bytes.HasPrefix(b, []byte("\ufeff")) {
		t.Fatalf("the CSV does not start with a byte-order mark: %q", b[:min(len(b), 20)])
	}
	recs, err := csv.NewReader(bytes.NewReader(b[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func sumOrders(t *testing.T, w *world, col, where string, args ...any) string {
	t.Helper()
	var d decimal.Decimal
	if err := w.db.Get(&d, `SELECT coalesce(sum(`+col+`), 0) FROM orders WHERE `+where, args...); err != nil {
		t.Fatal(err)
	}
	return d.StringFixed(2)
}

func testExportsCSV(t *testing.T, w *world) {

	t.Run("Orders", func(t *testing.T) {
		recs := readCSV(t, w.download(t, w.lead, "/api/v1/exports/orders.csv?status=committed", "text/csv"))
		if recs[0][0] != "מספר הזמנה" || recs[0][10] != `סה"כ כולל מע"מ` {
			t.Fatalf("headers %v", recs[0])
		}
		var n int
		w.db.Get(&n, `SELECT count(*) FROM orders WHERE order_status_committed(status)`)
		last := recs[len(recs)-1]
		if len(recs) != n+2 || last[0] != `סה"כ` || last[10] != sumOrders(t, w, "total", "order_status_committed(status)") {
			t.Fatalf("%d rows, totals %v; want %d orders", len(recs)-2, last, n)
		}
	})
	t.Run("OrdersOfAnAuthority", func(t *testing.T) {
		recs := readCSV(t, w.download(t, w.officerB, "/api/v1/exports/orders.csv", "text/csv"))
		var n int
		w.db.Get(&n, `SELECT count(*) FROM orders WHERE authority_id = $1`, w.b)
		if len(recs) != n+2 {
			t.Fatalf("authority B exports %d orders, has %d", len(recs)-2, n)
		}
	})
	t.Run("Volumes", func(t *testing.T) {
		recs := readCSV(t, w.download(t, w.lead, "/api/v1/exports/volumes.csv?group=supplier", "text/csv"))
		if recs[0][0] != "ספק" || len(recs[0]) != 6 || len(recs) != 3+2 {
			t.Fatalf("volumes by supplier: %v", recs)
		}
		if last := recs[len(recs)-1]; last[5] != sumOrders(t, w, "fee", "order_status_committed(status)") {
			t.Fatalf("fee total %v", last)
		}
	})
	t.Run("VolumesOfAnAuthorityByTender", func(t *testing.T) {
		path := fmt.Sprintf("/api/v1/exports/volumes.csv?group=tender&authority=%d", w.a)
		recs := readCSV(t, w.download(t, w.lead, path, "text/csv"))
		if len(recs[0]) != 10 || recs[0][8] != "הקצאה" {
			t.Fatalf("an authority's tenders carry its allocation: %v", recs[0])
		}
		// The authority itself sees its allocation, not what the ceiling
		// is used by.
		recs = readCSV(t, w.download(t, w.officerA, "/api/v1/exports/volumes.csv?group=tender", "text/csv"))
		if len(recs[0]) != 8 || recs[0][6] != "הקצאה" {
			t.Fatalf("the authority's export: %v, want its allocation and no ceiling", recs[0])
		}
	})
	t.Run("FeeStatement", func(t *testing.T) {
		path := fmt.Sprintf("/api/v1/exports/fees.csv?supplier=%d&month=2026-02", w.s1)
		recs := readCSV(t, w.download(t, w.supplier1, path, "text/csv"))
		want := sumOrders(t, w, "fee", "supplier_id = $1 AND order_status_committed(status) AND submitted_on BETWEEN '2026-02-01' AND '2026-02-28'", w.s1)
		if last := recs[len(recs)-1]; last[7] != want {
			t.Fatalf("statement %v, fee %s", recs, want)
		}
	})
}

func testExportsXLSX(t *testing.T, w *world) {

	open := func(b []byte) *excelize.File {
		f, err := excelize.OpenReader(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("excelize cannot open the workbook: %v", err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	const xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

	t.Run("Volumes", func(t *testing.T) {
		f := open(w.download(t, w.lead, "/api/v1/exports/volumes.xlsx?from=2026-01&to=2026-12", xlsx))
		want := []string{"לפי מכרז", "לפי רשות", "לפי ספק", "לפי קטגוריה", "לפי חודש"}
		if got := f.GetSheetList(); !slices.Equal(got, want) {
			t.Fatalf("sheets %v, want %v", got, want)
		}
		total := sumOrders(t, w, "total", "order_status_committed(status) AND extract(year FROM submitted_on) = 2026")
		for _, sheet := range want {
			rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
			if err != nil {
				t.Fatal(err)
			}
			last := rows[len(rows)-1]
			got, _ := decimal.NewFromString(last[4])
			if last[0] != `סה"כ` || got.StringFixed(2) != total {
				t.Fatalf("%s: totals row %v, want total %s", sheet, last, total)
			}
			if formula, _ := f.GetCellFormula(sheet, fmt.Sprintf("E%d", len(rows))); formula != fmt.Sprintf("SUM(E2:E%d)", len(rows)-1) {
				t.Fatalf("%s: total formula %q", sheet, formula)
			}
			if view, err := f.GetSheetView(sheet, 0); err != nil || view.RightToLeft == nil || !*view.RightToLeft {
				t.Fatalf("%s is not right to left", sheet)
			}
		}
		months, _ := f.GetRows("לפי חודש", excelize.Options{RawCellValue: true})
		if months[1][0] != "2026-02" || months[2][0] != "2026-03" {
			t.Fatalf("months %v", months)
		}
	})
	t.Run("Orders", func(t *testing.T) {
		f := open(w.download(t, w.lead, "/api/v1/exports/orders.xlsx", xlsx))
		rows, err := f.GetRows("הזמנות", excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		var n int
		w.db.Get(&n, `SELECT count(*) FROM orders`)
		last := rows[len(rows)-1]
		fee, _ := decimal.NewFromString(last[11])
		if len(rows) != n+2 || fee.StringFixed(2) != sumOrders(t, w, "fee", "true") {
			t.Fatalf("%d orders, totals %v", len(rows)-2, last)
		}
	})
	t.Run("Fees", func(t *testing.T) {
		f := open(w.download(t, w.lead, "/api/v1/exports/fees.xlsx", xlsx))
		if got := f.GetSheetList(); !slices.Equal(got, []string{"עמלות"}) {
			t.Fatalf("sheets %v", got)
		}
		rows, _ := f.GetRows("עמלות", excelize.Options{RawCellValue: true})
		fee, _ := decimal.NewFromString(rows[len(rows)-1][6])
		// The accrual counts the orders sent, never one awaiting signatures.
		if fee.StringFixed(2) != sumOrders(t, w, "fee", "order_status_committed(status) AND sent_at IS NOT NULL") {
			t.Fatalf("fee total %v", rows[len(rows)-1])
		}
	})
}

// repoRoot is the directory holding go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// releasePackageSchema compiles the OCDS 1.1.5 release package schema with
// the release schema it references, both from ../shared/ocds-1.1.5 beside
// the repository, without the network.
func releasePackageSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	dir := filepath.Join(repoRoot(t), "..", "shared", "ocds-1.1.5")
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	for _, name := range []string{"release-package-schema.json", "release-schema.json"} {
		fh, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("the OCDS schema: %v", err)
		}
		doc, err := jsonschema.UnmarshalJSON(fh)
		fh.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := c.AddResource("https://standard.open-contracting.org/schema/1__1__5/"+name, doc); err != nil {
			t.Fatal(err)
		}
	}
	s, err := c.Compile("https://standard.open-contracting.org/schema/1__1__5/release-package-schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func testOCDSPackage(t *testing.T, w *world) {
	schema := releasePackageSchema(t)

	body := w.download(t, w.lead, "/api/v1/exports/ocds", "application/json")
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(doc); err != nil {
		t.Fatalf("the release package does not validate: %v", err)
	}

	var pkg volumes.ReleasePackage
	if err := json.Unmarshal(body, &pkg); err != nil {
		t.Fatal(err)
	}
	var sent int
	w.db.Get(&sent, `SELECT count(*) FROM orders WHERE sent_at IS NOT NULL`)
	if len(pkg.Releases) != 2+sent {
		t.Fatalf("%d releases, want 2 tenders and %d orders", len(pkg.Releases), sent)
	}
	prefix := w.h.OCDS.Prefix
	tenderOCID := volumes.TenderOCID(prefix, w.medical.ID)
	var framework, callOff *volumes.Release
	for i, r := range pkg.Releases {
		switch {
		case r.OCID == tenderOCID:
			framework = &pkg.Releases[i]
		case callOff == nil && len(r.RelatedProcesses) > 0 && r.RelatedProcesses[0].Identifier == tenderOCID:
			callOff = &pkg.Releases[i]
		}
	}
	if framework == nil || !framework.Tender.Techniques.HasFrameworkAgreement || len(framework.Awards) != 2 {
		t.Fatalf("the medical tender's release: %+v", framework)
	}
	if callOff == nil || !strings.HasPrefix(callOff.OCID, prefix+"-order-") || callOff.RelatedProcesses[0].Relationship[0] != "framework" ||
		callOff.Tender.Competitive == nil || *callOff.Tender.Competitive || callOff.Buyer == nil ||
		len(callOff.Awards) != 1 || len(callOff.Contracts) != 1 {
		t.Fatalf("a call-off's release: %+v", callOff)
	}

	for _, r := range pkg.Releases {
		if !strings.HasPrefix(r.OCID, prefix+"-") {
			t.Errorf("ocid %q lacks the configured prefix %q", r.OCID, prefix)
		}
	}

	// Every call-off's amounts are before VAT: the award's and the
	// contract's value are the order's subtotal, as the tender's value and
	// the items' unit prices are; their description gives the VAT.
	for _, r := range pkg.Releases {
		if len(r.RelatedProcesses) == 0 {
			continue
		}
		var o struct{ Subtotal, VATRate, VAT, Total decimal.Decimal }
		if err := w.db.QueryRow(`SELECT subtotal, vat_rate, vat, total FROM orders WHERE $1 || '-order-' || id = $2`, prefix, r.OCID).
			Scan(&o.Subtotal, &o.VATRate, &o.VAT, &o.Total); err != nil {
			t.Fatal(err)
		}
		award, contract := r.Awards[0], r.Contracts[0]
		for what, v := range map[string]*volumes.Value{"tender": r.Tender.Value, "award": award.Value, "contract": contract.Value} {
			if got, _ := decimal.NewFromString(string(v.Amount)); !got.Equal(o.Subtotal) {
				t.Errorf("%s: %s value %s, want the subtotal %s before VAT", r.OCID, what, v.Amount, o.Subtotal)
			}
		}
		want := fmt.Sprintf(`כל הסכומים לפני מע"מ. מע"מ בשיעור %s%%: %s ₪; סה"כ כולל מע"מ: %s ₪.`,
			o.VATRate.String(), money.FormatAmount(o.VAT), money.FormatAmount(o.Total))
		if award.Description != want || contract.Description != want {
			t.Errorf("%s: descriptions %q / %q, want %q", r.OCID, award.Description, contract.Description, want)
		}
	}

	// The package and its publisher are named under the configured base
	// URL, whatever Host the request names.
	wantURI := "https://madaf.example/api/v1/exports/ocds?from=2025-01&to=2026-12"
	req := httptest.NewRequest("GET", "/api/v1/exports/ocds?to=2026-12&from=2025-01", nil)
	req.Host = "attacker.example"
	req.Header.Set("Authorization", "Bearer "+w.lead.Token)
	rec := httptest.NewRecorder()
	w.base.Engine.ServeHTTP(rec, req)
	var hosted volumes.ReleasePackage
	if err := json.Unmarshal(rec.Body.Bytes(), &hosted); err != nil {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	if hosted.URI != wantURI || hosted.Publisher.URI != "https://madaf.example" || strings.Contains(rec.Body.String(), "attacker") {
		t.Errorf("package uri %q, publisher uri %q; want %q under https://madaf.example", hosted.URI, hosted.Publisher.URI, wantURI)
	}
	if pkg.URI != "https://madaf.example/api/v1/exports/ocds" {
		t.Errorf("the whole package's uri %q", pkg.URI)
	}

	// A package that breaks the schema is refused: the check can fail.
	bad := strings.Replace(string(body), `"initiationType":"tender"`, `"initiationType":"order"`, 1)
	doc, _ = jsonschema.UnmarshalJSON(strings.NewReader(bad))
	if schema.Validate(doc) == nil {
		t.Fatal("an invalid initiationType validated")
	}

	// A supplier's package holds its tenders and its own orders only.
	var own volumes.ReleasePackage
	if err := json.Unmarshal(w.download(t, w.sup3, "/api/v1/exports/ocds", "application/json"), &own); err != nil {
		t.Fatal(err)
	}
	var sentS3 int
	w.db.Get(&sentS3, `SELECT count(*) FROM orders WHERE sent_at IS NOT NULL AND supplier_id = $1`, w.s3)
	if len(own.Releases) != 1+sentS3 {
		t.Fatalf("supplier 3's package has %d releases, want %d", len(own.Releases), 1+sentS3)
	}
}
