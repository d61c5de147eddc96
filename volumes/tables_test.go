package volumes_test

import (
	"bytes"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestExportTextIsNeverAFormula: text users entered that a spreadsheet
// would run as a formula comes out of a CSV export with a leading
// apostrophe, and as a plain string cell in a workbook.
func TestExportTextIsNeverAFormula(t *testing.T) {
	w := newWorld(t)
	const title, supplier = `=HYPERLINK("http://x","y")`, "@SUM(1+1)"
	if _, err := w.db.Exec(`UPDATE tenders SET title = $1 WHERE id = $2`, title, w.medical.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.db.Exec(`UPDATE suppliers SET legal_name = $1 WHERE id = $2`, supplier, w.s1); err != nil {
		t.Fatal(err)
	}
	w.at("2026-03-09", 9, 0)
	w.create(w.a, w.medical, 0, "1").submit()

	t.Run("CSV", func(t *testing.T) {
		recs := readCSV(t, w.download(t, w.lead, "/api/v1/exports/orders.csv", "text/csv"))
		if len(recs) != 3 {
			t.Fatalf("orders.csv: %v", recs)
		}
		row := recs[1]
		if row[5] != "'"+title || row[7] != "'"+supplier {
			t.Errorf("title %q, supplier %q: want them behind an apostrophe", row[5], row[7])
		}
		if row[8] != "1000.00" || row[0][0] == '\'' {
			t.Errorf("amounts and numbers are written as they are: %v", row)
		}
	})
	t.Run("XLSX", func(t *testing.T) {
		f, err := excelize.OpenReader(bytes.NewReader(w.download(t, w.lead, "/api/v1/exports/orders.xlsx", "")))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		sheet := f.GetSheetList()[0]
		for cell, want := range map[string]string{"F2": title, "H2": supplier} {
			got, _ := f.GetCellValue(sheet, cell)
			formula, _ := f.GetCellFormula(sheet, cell)
			typ, _ := f.GetCellType(sheet, cell)
			if got != want || formula != "" || typ != excelize.CellTypeInlineString {
				t.Errorf("%s: value %q formula %q type %v, want the text %q as a string cell", cell, got, formula, typ, want)
			}
		}
	})
}
