package workplan_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"madaf/accounts"
	"madaf/internal/auth"
	"madaf/internal/webtest"
)

// TestExportWorkbooksAsReadersExpect: the work-plan workbooks are in the
// reader's language (right to left in Hebrew), hold years, targets and
// counts as numbers, print landscape one page wide with the header on
// every page, keep the header in view and filterable, and name Madaf and
// the plan in their properties.
func TestExportWorkbooksAsReadersExpect(t *testing.T) {
	f := newFixture(t)
	mustImportSeed(t, f.db)
	const title = "הסדרת בירוקרטיה והנגשת המכרזים לרשויות"
	var id int64
	if err := f.db.Get(&id, `SELECT id FROM workplan_tasks WHERE title = $1`, title); err != nil {
		t.Fatal(err)
	}
	r := f.do("PATCH", fmt.Sprintf("/api/v1/workplan/2024/tasks/%d", id), f.lead, map[string]any{"figure": "authorities_ordering", "figure_target": "8.5"})
	if r.Code != http.StatusOK {
		t.Fatalf("patch: %d %s", r.Code, r.Body)
	}
	if r := f.do("POST", "/api/v1/workplan/2024/carry-over", f.lead, nil); r.Code != http.StatusOK {
		t.Fatalf("carry-over: %d %s", r.Code, r.Body)
	}
	en := webtest.MustUser(t, f.db, accounts.NewUser{Email: "en@x.example", OrgKind: auth.OrgCluster,
		Roles: []string{auth.RoleEconomicLead}, Lang: "en"})

	tests := []struct {
		lang, token  string
		rightToLeft  bool
		title        string
		sheets       []string
		summaryTitle string
		targetHeader string
	}{
		{"he", f.lead, true, "תוכנית העבודה של האשכול לשנת 2025", []string{"תוכנית", "תמונת מצב"}, "תמונת מצב של תוכנית העבודה לשנת 2025", "יעד"},
		{"en", webtest.MustToken(t, f.db, en.ID), false, "Cluster work plan 2025", []string{"plan", "summary"}, "Work plan summary 2025", "Target"},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			x, data := download(t, f, tt.token, "/api/v1/workplan/2025/plan.xlsx")
			if got := x.GetSheetList(); !slices.Equal(got, tt.sheets) {
				t.Fatalf("sheets %q, want %q", got, tt.sheets)
			}
			plan := tt.sheets[0]
			rows, _ := x.GetRows(plan)
			if rows[0][12] != tt.targetHeader {
				t.Errorf("header %q", rows[0])
			}
			row := slices.IndexFunc(rows, func(r []string) bool { return len(r) > 3 && r[3] == title }) + 1
			if row == 0 {
				t.Fatalf("the carried task %q is not in the plan", title)
			}
			if v := numberCell(t, x, plan, fmt.Sprintf("K%d", row)); v != 2024 {
				t.Errorf("carried from %v, want the number 2024", v)
			}
			if v := numberCell(t, x, plan, fmt.Sprintf("M%d", row)); v != 8.5 {
				t.Errorf("target %v, want the number 8.5", v)
			}
			if typ, _ := x.GetCellType(plan, fmt.Sprintf("D%d", row)); typ != excelize.CellTypeInlineString && typ != excelize.CellTypeSharedString {
				t.Errorf("the task's title is of type %v, want text", typ)
			}
			summary := tt.sheets[1]
			srows, _ := x.GetRows(summary)
			last := len(srows)
			for col := 5; col <= len(srows[0]); col++ {
				cell, _ := excelize.CoordinatesToCellName(col, last)
				numberCell(t, x, summary, cell)
			}
			if total := numberCell(t, x, summary, fmt.Sprintf("%c%d", 'A'+len(srows[0])-1, last)); total != 72 {
				t.Errorf("the summary's total is %v, want 72 carried tasks", total)
			}
			checkPrintable(t, x, data, tt.rightToLeft, map[string]bool{summary: true})

			doc, err := x.GetDocProps()
			if err != nil {
				t.Fatal(err)
			}
			if doc.Creator != "Madaf" || doc.Title != tt.title || doc.Language != tt.lang || doc.Subject == "" || strings.HasPrefix(doc.Created, "2006") {
				t.Errorf("document properties %+v", doc)
			}
			if app, err := x.GetAppProps(); err != nil || app.Application != "Madaf" {
				t.Errorf("application %+v, want Madaf", app)
			}

			x, data = download(t, f, tt.token, "/api/v1/workplan/2025/summary.xlsx")
			if got := x.GetSheetList(); !slices.Equal(got, tt.sheets[1:]) {
				t.Errorf("summary sheets %q", got)
			}
			checkPrintable(t, x, data, tt.rightToLeft, map[string]bool{summary: true})
			if doc, _ := x.GetDocProps(); doc.Title != tt.summaryTitle || doc.Creator != "Madaf" {
				t.Errorf("summary properties %+v", doc)
			}
		})
	}
}

// download fetches a workbook as token and opens it.
func download(t *testing.T, f *env, token, path string) (*excelize.File, []byte) {
	t.Helper()
	r := f.do("GET", path, token, nil)
	if r.Code != http.StatusOK {
		t.Fatalf("%s: %d %s", path, r.Code, r.Body)
	}
	data := r.Body.Bytes()
	x, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	return x, data
}

// numberCell is the number sheet's cell holds; it fails the test when the
// cell holds text.
func numberCell(t *testing.T, x *excelize.File, sheet, cell string) float64 {
	t.Helper()
	typ, _ := x.GetCellType(sheet, cell)
	raw, _ := x.GetCellValue(sheet, cell, excelize.Options{RawCellValue: true})
	v, err := strconv.ParseFloat(raw, 64)
	if err != nil || (typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset) {
		t.Errorf("%s!%s holds %q of type %v, want a number", sheet, cell, raw, typ)
	}
	return v
}

// checkPrintable checks every sheet of x: right to left when rtl, printed
// landscape one page wide with the header row on every page, the header
// frozen and filtering the rows below it (the totals row left out of the
// sheets in totals).
func checkPrintable(t *testing.T, x *excelize.File, data []byte, rtl bool, totals map[string]bool) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	xml := map[string]string{}
	for _, zf := range zr.File {
		rc, _ := zf.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		xml[zf.Name] = string(b)
	}
	titles := map[string]string{}
	for _, dn := range x.GetDefinedName() {
		if dn.Name == "_xlnm.Print_Titles" {
			titles[dn.Scope] = dn.RefersTo
		}
	}
	filter := regexp.MustCompile(`<autoFilter ref="([A-Z0-9:$]+)"`)
	colMin := regexp.MustCompile(`<col min="([0-9]+)"`)
	for id, sheet := range x.GetSheetMap() {
		view, err := x.GetSheetView(sheet, 0)
		if err != nil || view.RightToLeft == nil || *view.RightToLeft != rtl {
			t.Errorf("%s: right to left %v, want %v", sheet, view.RightToLeft, rtl)
		}
		layout, _ := x.GetPageLayout(sheet)
		if layout.Orientation == nil || *layout.Orientation != "landscape" || layout.FitToWidth == nil || *layout.FitToWidth != 1 ||
			layout.FitToHeight == nil || *layout.FitToHeight != 0 {
			t.Errorf("%s: page layout %+v", sheet, layout)
		}
		if props, _ := x.GetSheetProps(sheet); props.FitToPage == nil || !*props.FitToPage {
			t.Errorf("%s: fit to page is off", sheet)
		}
		if want := "'" + sheet + "'!$1:$1"; titles[sheet] != want {
			t.Errorf("%s: print titles %q, want %q", sheet, titles[sheet], want)
		}
		if panes, err := x.GetPanes(sheet); err != nil || !panes.Freeze || panes.YSplit != 1 {
			t.Errorf("%s: panes %+v", sheet, panes)
		}
		rows, _ := x.GetRows(sheet)
		last := len(rows)
		if totals[sheet] {
			last--
		}
		lastCol, _ := excelize.ColumnNumberToName(len(rows[0]))
		m := filter.FindStringSubmatch(xml[fmt.Sprintf("xl/worksheets/sheet%d.xml", id)])
		if want := fmt.Sprintf("A1:%s%d", lastCol, last); m == nil || strings.ReplaceAll(m[1], "$", "") != want {
			t.Errorf("%s: autofilter %v, want %s", sheet, m, want)
		}
		prev := 0
		for _, c := range colMin.FindAllStringSubmatch(xml[fmt.Sprintf("xl/worksheets/sheet%d.xml", id)], -1) {
			n, _ := strconv.Atoi(c[1])
			if n <= prev {
				t.Errorf("%s: column widths out of order", sheet)
				break
			}
			prev = n
		}
	}
}
