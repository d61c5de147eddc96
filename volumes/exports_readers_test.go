package volumes_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"madaf/internal/auth"
	"madaf/internal/i18n"
	"madaf/internal/page"
	"madaf/internal/server"
	"madaf/internal/webtest"
	"madaf/templates"
)

// openXLSX downloads path as u and opens it as a workbook, keeping its
// bytes for the XML checks.
func (w *world) openXLSX(t *testing.T, u user, path string) (*excelize.File, []byte) {
	t.Helper()
	b := w.download(t, u, path, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	t.Cleanup(func() { f.Close() })
	return f, b
}

// numberFormat is the number format of sheet's cell: the custom format's
// code, or the built-in format's id as "#n".
func numberFormat(t *testing.T, f *excelize.File, sheet, cell string) string {
	t.Helper()
	id, err := f.GetCellStyle(sheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	if st.CustomNumFmt != nil {
		return *st.CustomNumFmt
	}
	return "#" + strconv.Itoa(st.NumFmt)
}

// numberCell reads sheet's cell as a number cell and returns its value
// and number format; it fails the test when the cell holds text.
func numberCell(t *testing.T, f *excelize.File, sheet, cell string) (float64, string) {
	t.Helper()
	typ, _ := f.GetCellType(sheet, cell)
	if typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset && typ != excelize.CellTypeFormula {
		t.Errorf("%s!%s is of type %v, want a number", sheet, cell, typ)
	}
	raw, _ := f.GetCellValue(sheet, cell, excelize.Options{RawCellValue: true})
	v, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		t.Errorf("%s!%s holds %q, want a number", sheet, cell, raw)
	}
	return v, numberFormat(t, f, sheet, cell)
}

// sheetXML maps each sheet of the workbook in b to its worksheet XML.
func sheetXML(t *testing.T, f *excelize.File, b []byte) map[string]string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]*zip.File{}
	for _, zf := range zr.File {
		files[zf.Name] = zf
	}
	out := map[string]string{}
	for id, name := range f.GetSheetMap() {
		zf := files[fmt.Sprintf("xl/worksheets/sheet%d.xml", id)]
		if zf == nil {
			t.Fatalf("no XML for sheet %d %q", id, name)
		}
		rc, _ := zf.Open()
		x, _ := io.ReadAll(rc)
		rc.Close()
		out[name] = string(x)
	}
	return out
}

var (
	autoFilterRef = regexp.MustCompile(`<autoFilter ref="([A-Z0-9:$]+)"`)
	colMin        = regexp.MustCompile(`<col min="([0-9]+)"`)
)

// colsInOrder reports whether the column records of a worksheet's XML
// come in order of their columns, as Excel requires.
func colsInOrder(xml string) bool {
	prev := 0
	for _, m := range colMin.FindAllStringSubmatch(xml, -1) {
		n, _ := strconv.Atoi(m[1])
		if n <= prev {
			return false
		}
		prev = n
	}
	return prev > 0
}

// checkPrintable checks that every sheet of f prints landscape one page
// wide with its header row on every page, keeps the header in view, and
// filters on the header over its rows (the totals row left out when
// totals).
func checkPrintable(t *testing.T, f *excelize.File, b []byte, totals bool) {
	t.Helper()
	xml := sheetXML(t, f, b)
	titles := map[string]string{}
	for _, dn := range f.GetDefinedName() {
		if dn.Name == "_xlnm.Print_Titles" {
			titles[dn.Scope] = dn.RefersTo
		}
	}
	for _, sheet := range f.GetSheetList() {
		layout, err := f.GetPageLayout(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if layout.Orientation == nil || *layout.Orientation != "landscape" || layout.FitToWidth == nil || *layout.FitToWidth != 1 ||
			layout.FitToHeight == nil || *layout.FitToHeight != 0 {
			t.Errorf("%s: page layout %+v, want landscape, one page wide, any height", sheet, layout)
		}
		props, err := f.GetSheetProps(sheet)
		if err != nil || props.FitToPage == nil || !*props.FitToPage {
			t.Errorf("%s: fit to page is off", sheet)
		}
		if want := "'" + sheet + "'!$1:$1"; titles[sheet] != want {
			t.Errorf("%s: print titles %q, want %q", sheet, titles[sheet], want)
		}
		panes, err := f.GetPanes(sheet)
		if err != nil || !panes.Freeze || panes.YSplit != 1 || panes.XSplit != 0 {
			t.Errorf("%s: panes %+v, want the header row frozen", sheet, panes)
		}
		rows, _ := f.GetRows(sheet)
		last := len(rows)
		if totals {
			last--
		}
		lastCol, _ := excelize.ColumnNumberToName(len(rows[0]))
		var filter string
		if m := autoFilterRef.FindStringSubmatch(xml[sheet]); m != nil {
			filter = strings.ReplaceAll(m[1], "$", "")
		}
		if want := fmt.Sprintf("A1:%s%d", lastCol, last); filter != want {
			t.Errorf("%s: autofilter %q, want %q", sheet, filter, want)
		}
		if !colsInOrder(xml[sheet]) {
			t.Errorf("%s: column widths out of order", sheet)
		}
	}
}

// TestWorkbooksAsReadersExpect: an export's workbook holds numbers as
// numbers (amounts in shekels, counts whole, percentages as percentages),
// dates as dates, prints landscape one page wide with its header on every
// page, keeps the header in view and filterable, and names Madaf and what
// it holds in its properties.
func TestWorkbooksAsReadersExpect(t *testing.T) {
	w := newWorld(t)
	w.at("2026-03-09", 9, 0)
	w.create(w.a, w.medical, 0, "2").submit().sign()
	he := i18n.For("he")

	t.Run("Orders", func(t *testing.T) {
		f, b := w.openXLSX(t, w.lead, "/api/v1/exports/orders.xlsx")
		const sheet = "הזמנות"
		// 2 × 1,000.00 before VAT, VAT 18%, fee 2%.
		for cell, want := range map[string]float64{"I2": 2000, "J2": 360, "K2": 2360, "L2": 40, "I3": 2000, "K3": 2360, "L3": 40} {
			got, format := numberCell(t, f, sheet, cell)
			if got != want || !strings.Contains(format, "₪") || !strings.Contains(format, "#,##0.00") {
				t.Errorf("%s: %v in format %q, want %v in shekels with agorot", cell, got, format, want)
			}
		}
		if shown, _ := f.GetCellValue(sheet, "K2"); !strings.Contains(shown, "₪") || !strings.Contains(shown, "2,360.00") {
			t.Errorf("K2 shows %q", shown)
		}
		serial, format := numberCell(t, f, sheet, "C2")
		day, err := excelize.ExcelDateToTime(serial, false)
		if err != nil || day.Format("2006-01-02") != "2026-03-09" || format != "dd/mm/yyyy" {
			t.Errorf("C2: %v (%v) in format %q, want the date 2026-03-09 as dd/mm/yyyy", serial, day, format)
		}
		if shown, _ := f.GetCellValue(sheet, "C2"); shown != "09/03/2026" {
			t.Errorf("C2 shows %q", shown)
		}
		if typ, _ := f.GetCellType(sheet, "A2"); typ != excelize.CellTypeInlineString && typ != excelize.CellTypeSharedString {
			t.Errorf("the order number is of type %v, want text", typ)
		}
		checkPrintable(t, f, b, true)

		doc, err := f.GetDocProps()
		if err != nil {
			t.Fatal(err)
		}
		if doc.Creator != "Madaf" || doc.Title != he.T("volumes.workbook.orders") || doc.Subject != he.T("volumes.workbook.orders_subject") ||
			doc.Language != "he" || !strings.HasPrefix(doc.Created, "20") || strings.HasPrefix(doc.Created, "2006") {
			t.Errorf("document properties %+v", doc)
		}
		app, err := f.GetAppProps()
		if err != nil || app.Application != "Madaf" {
			t.Errorf("application %+v, want Madaf", app)
		}
	})
	t.Run("Volumes", func(t *testing.T) {
		f, b := w.openXLSX(t, w.lead, fmt.Sprintf("/api/v1/exports/volumes.xlsx?authority=%d", w.a))
		const sheet = "לפי מכרז"
		rows, _ := f.GetRows(sheet)
		var row int
		for i, r := range rows[:len(rows)-1] {
			if i > 0 && len(r) > 1 && r[1] == "1" {
				row = i + 1
			}
		}
		if row == 0 {
			t.Fatalf("no tender with one order: %q", rows)
		}
		if n, format := numberCell(t, f, sheet, fmt.Sprintf("B%d", row)); n != 1 || format != "#3" {
			t.Errorf("order count %v in format %s, want 1 as #,##0", n, format)
		}
		// 2,000 of the ceiling of 17,000 and of A's allocation of 15,000.
		for col, want := range map[string]float64{"H": 0.1176, "J": 0.1333} {
			p, format := numberCell(t, f, sheet, fmt.Sprintf("%s%d", col, row))
			if p != want || format != "#10" {
				t.Errorf("%s%d: %v in format %s, want %v as 0.00%%", col, row, p, format, want)
			}
		}
		if shown, _ := f.GetCellValue(sheet, fmt.Sprintf("H%d", row)); shown != "11.76%" {
			t.Errorf("the ceiling's use shows %q", shown)
		}
		checkPrintable(t, f, b, true)
		if doc, _ := f.GetDocProps(); doc.Title != he.T("volumes.workbook.volumes") || doc.Creator != "Madaf" {
			t.Errorf("document properties %+v", doc)
		}
	})
	t.Run("Statement", func(t *testing.T) {
		f, b := w.openXLSX(t, w.supplier1, fmt.Sprintf("/api/v1/exports/fees.xlsx?supplier=%d&month=2026-03", w.s1))
		sheet := f.GetSheetList()[0]
		if p, format := numberCell(t, f, sheet, "G2"); p != 0.02 || format != "#10" {
			t.Errorf("fee percent %v in format %s, want 0.02 as 0.00%%", p, format)
		}
		if shown, _ := f.GetCellValue(sheet, "G2"); shown != "2.00%" {
			t.Errorf("the fee percent shows %q", shown)
		}
		checkPrintable(t, f, b, true)
		if doc, _ := f.GetDocProps(); doc.Title != he.T("volumes.workbook.statement") {
			t.Errorf("document properties %+v", doc)
		}
	})
	t.Run("Arabic", func(t *testing.T) {
		ar := w.mustUserIn("ar", auth.OrgCluster, 0, auth.RoleEconomicLead)
		f, _ := w.openXLSX(t, ar, "/api/v1/exports/fees.xlsx")
		doc, _ := f.GetDocProps()
		if doc.Language != "ar" || doc.Title != i18n.For("ar").T("volumes.workbook.fees") {
			t.Errorf("an Arabic reader's workbook: %+v", doc)
		}
	})
}

// TestCSVIsWhatExcelReads: a CSV export starts with a byte-order mark and
// ends every line with CRLF (RFC 4180), its headers in the reader's
// language.
func TestCSVIsWhatExcelReads(t *testing.T) {
	w := newWorld(t)
	w.at("2026-03-09", 9, 0)
	w.create(w.a, w.medical, 0, "1").submit().sign()
	en := w.mustUserIn("en", auth.OrgCluster, 0, auth.RoleEconomicLead)
	for _, path := range []string{"/api/v1/exports/orders.csv", "/api/v1/exports/volumes.csv?group=month", "/api/v1/exports/fees.csv"} {
		b := w.download(t, en, path, "text/csv")
		if !bytes.HasPrefix(b, []byte("\ufeff")) {
			t.Errorf("%s: no byte-order mark", path)
		}
		lines := bytes.Split(b, []byte("\n"))
		if len(lines) != 4 || len(lines[3]) != 0 {
			t.Errorf("%s: %d lines, want a header, a row, a totals row and a final line end: %q", path, len(lines), b)
		}
		for i, l := range lines[:len(lines)-1] {
			if !bytes.HasSuffix(l, []byte("\r")) {
				t.Errorf("%s: line %d ends without CRLF: %q", path, i+1, l)
			}
		}
		if recs := readCSV(t, b); recs[len(recs)-1][0] != "Total" {
			t.Errorf("%s: totals row %q, want it in English", path, recs[len(recs)-1])
		}
	}
}

// TestDashboardExportLinksFollowTheYear: the dashboard's export links
// carry the year it shows, and the orders file they download holds that
// year's orders and no other's.
func TestDashboardExportLinksFollowTheYear(t *testing.T) {
	w := newWorld(t)
	w.script()
	eng := page.MustNew(templates.FS)
	eng.Mount(w.base.Engine)
	w.h.Mount(server.Router{Site: w.base.Engine, Pages: eng})
	href := regexp.MustCompile(`href="(/api/v1/exports/[^"]+)"`)

	for _, year := range []int{2025, 2026} {
		t.Run(strconv.Itoa(year), func(t *testing.T) {
			res := webtest.Do(w.base.Engine, "GET", fmt.Sprintf("/dashboard?year=%d", year), w.lead.Token, nil)
			if res.Code != http.StatusOK {
				t.Fatalf("dashboard: %d", res.Code)
			}
			links := map[string]string{}
			for _, m := range href.FindAllStringSubmatch(between(res.Body.String(), `<section class="card" id="exports">`, "</section>"), -1) {
				u, err := url.Parse(html.UnescapeString(m[1]))
				if err != nil {
					t.Fatal(err)
				}
				links[u.Path] = u.String()
				q := u.Query()
				if q.Get("from") != fmt.Sprintf("%d-01", year) || q.Get("to") != fmt.Sprintf("%d-12", year) {
					t.Errorf("%s asks for %v, want the months of %d", m[1], q, year)
				}
			}
			if len(links) != 7 {
				t.Fatalf("export links %v", links)
			}

			var want int
			w.db.Get(&want, `SELECT count(*) FROM orders WHERE extract(year FROM submitted_on) = $1`, year)
			var other int
			w.db.Get(&other, `SELECT count(*) FROM orders WHERE extract(year FROM submitted_on) <> $1`, year)
			if want == 0 || other == 0 {
				t.Fatalf("the script leaves %d orders in %d and %d in other years", want, year, other)
			}
			recs := readCSV(t, w.download(t, w.lead, links["/api/v1/exports/orders.csv"], "text/csv"))
			rows := recs[1 : len(recs)-1]
			if len(rows) != want {
				t.Errorf("the orders file of %d holds %d orders, want %d", year, len(rows), want)
			}
			for _, r := range rows {
				if !strings.HasPrefix(r[2], strconv.Itoa(year)+"-") {
					t.Errorf("the orders file of %d holds order %s submitted on %s", year, r[0], r[2])
				}
			}
		})
	}
}
