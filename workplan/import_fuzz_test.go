package workplan_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"madaf/internal/apperr"
	"madaf/internal/dbtest"
	"madaf/workplan"
)

// planSeeds are work plans in the report's text shape, good and bad; a tab
// starts a table cell, as in the report's export.
var planSeeds = []string{
	"[bookmark: a]1. תחום הפיתוח הכלכלי\nמבוא.\n1.1 מכרזי מדף\n\tמשימה\n\tסטטוס\n\tאחראי\n\n\tפרסום\n\tבוצע - שוטף\n\tדנה\n\n2. סיכום\n\tתחום\n\tבוצע\n\n",
	"1. תחום התיירות\n1.1 מטרה 1 – מיתוג\n\tמשימה\n\tסטטוס סוף שנה\n\tפערים / הערות\n\n\tשיחה עם חברות\n\tבוצע\n\t\n\n\tקול קורא\n\tבוצע חלקי\n\tהערה\n\n1.2 הגדלת התיירות (מטרה 2)\n\tמשימה\n\tסטטוס\n\n\tסקר\n\tנדחה\n\n",
	"1. תחום תשתיות\n1.1 תחבורה – קווי אוטובוס\n\tמשימה\n\tסטטוס\n\n\tסקר\n\tלא בוצע\n\n\tסקר\n\tבתהליך\n\n",
	"1. תחום התיירות\n1.1 מיתוג\n\tמשימה\n\tסטטוס\n\n\tא\n\tכמעט\n\n\t\n\tבוצע\n\n\tג\n\n1.1 שוב\n1. תחום התיירות\n",
	"1. תחום התיירות\n\tמשימה\n\tסטטוס\n\n\tא\n\tבוצע\n\n",
	"\ufeff1. מבוא\r\nאין כאן תחום.\r\n",
	"1. תחום \x94\n1.1 מיתוג\n\tמשימה\n\tסטטוס\n\n\tא\n\tבוצע\n\n",
	"1. תחום התיירות\n1.1 מיתוג\n\tמשימה\n\tסטטוס\n\n\tא\x00ב\n\tבוצע\n\n",
	"",
	"PK\x03\x04garbage",
}

// FuzzParseText reads any text as the report's export: it never panics,
// and either refuses the file, every fault on a line the file has, or
// gives at least one domain whose tasks all have a title and a status.
func FuzzParseText(f *testing.F) {
	for _, s := range planSeeds {
		f.Add([]byte(s))
	}
	f.Add(workplan.Report2024)
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := workplan.ParseText(data)
		checkParsed(t, doc, err, bytes.Count(data, []byte("\n"))+1)
	})
}

// FuzzParseXLSX reads, as the first sheet of a workbook, any table (rows
// on lines, cells separated by tabs) with the same guarantees as
// FuzzParseText, every fault on a row of the sheet.
func FuzzParseXLSX(f *testing.F) {
	f.Add("Domain\tGoal\tTask\tStatus\tNotes\tOwner\nתחום התיירות\t3.1 מטרה 1 – מיתוג\tשיחה עם חברות\tבוצע\t\tדנה\n\t\tקול קורא\tבוצע - אפסילון\tהערה\n")
	f.Add("תחום\tמטרה\tמשימה\tסטטוס\nתיירות\tמיתוג\tא\tבוצע\nתיירות\tמיתוג\tב\tכמעט\n\t\t\tבוצע\nתיירות\tמיתוג\tד\t\n")
	f.Add("תחום\tחלק\tמטרה\tמשימה\tסטטוס\nתחבורה\t\tהגדלת השימוש בתחבורה ציבורית (מטרה 1)\tסקר\tלא בוצע\nתשתיות\tדיגיטציה\t2.1 אתר\tהקמה\tבתהליך\n")
	f.Add("תחום\tמטרה\tמשימה\tסטטוס\nתיירות\t1.1 מיתוג\tא\tבוצע\nתיירות\t1.1 שם אחר\tב\tבוצע\n")
	f.Add("a\tb\n1\t2\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, table string) {
		data, ok := planWorkbook(t, table)
		if !ok {
			return
		}
		doc, err := workplan.Parse(data)
		checkParsed(t, doc, err, strings.Count(table, "\n")+1)
	})
}

// FuzzImport reads any file as a work plan and imports it as the plan of
// 2030 (in the report's text shape, or, when asXLSX, its lines made the
// rows of a workbook), over the plan the previous inputs left. The import
// never panics nor fails as an internal error (a 500), and is whole or
// nothing: a refused file changes nothing, and after an accepted one
// importing the same file again finds nothing to change.
func FuzzImport(f *testing.F) {
	for _, s := range planSeeds {
		f.Add([]byte(s), false)
	}
	f.Add([]byte("Domain\tGoal\tTask\tStatus\tNotes\tOwner\nתחום התיירות\t3.1 מטרה 1 – מיתוג\tשיחה עם חברות\tבוצע\t\tדנה\n\t\tקול קורא\tבוצע - אפסילון\tהערה\n"), true)
	f.Add([]byte("תחום\tמטרה\tמשימה\tסטטוס\nתיירות\tמיתוג\tא\tבוצע\nתיירות\tמיתוג\tא\tבתהליך\n"), true)
	db := dbtest.New(f)
	s := workplan.NewStore(db)
	f.Fuzz(func(t *testing.T, data []byte, asXLSX bool) {
		if asXLSX {
			var ok bool
			if data, ok = planWorkbook(t, string(data)); !ok {
				return
			}
		}
		doc, err := workplan.Parse(data)
		if err != nil {
			return // refused before the database is touched; FuzzParse* check the refusal
		}
		before := snapshot(t, db)
		res, err := s.Import(ctx, 2030, doc, "plan.txt", 0)
		if err != nil {
			if apperr.KindOf(err) == apperr.KindInternal {
				t.Fatalf("internal error: %v", err)
			}
			if after := snapshot(t, db); after != before {
				t.Fatalf("a refused import (%v) changed the plan", describe(err))
			}
			return
		}
		if d, g, n := doc.Counts(); res.Domains != d || res.Goals != g || res.Tasks != n {
			t.Fatalf("the result counts %d/%d/%d, the file %d/%d/%d", res.Domains, res.Goals, res.Tasks, d, g, n)
		}
		doc, _ = workplan.Parse(data)
		again, err := s.Import(ctx, 2030, doc, "plan.txt", 0)
		if err != nil || again.Changed() {
			t.Fatalf("importing the same file again: %+v, %v", again, err)
		}
	})
}

// checkParsed fails t unless exactly one of doc and err is set: a refusal
// with faults on lines (or rows) 1 to last, or an invalid application
// error; or a document with a domain whose every task has a title and a
// canonical status.
func checkParsed(t *testing.T, doc *workplan.Document, err error, last int) {
	t.Helper()
	if err != nil {
		if doc != nil {
			t.Fatalf("a document and an error: %v", err)
		}
		var refusal *workplan.Refusal
		if errors.As(err, &refusal) {
			if len(refusal.Faults) == 0 {
				t.Fatal("a refusal without faults")
			}
			for _, fl := range refusal.Faults {
				if fl.N < 1 || fl.N > last {
					t.Fatalf("a fault on %s %d of a file of %d", fl.Unit, fl.N, last)
				}
			}
			return
		}
		if !apperr.Is(err, apperr.KindInvalid) {
			t.Fatalf("err = %v, want the file refused as invalid", err)
		}
		return
	}
	if doc == nil || len(doc.Domains) == 0 {
		t.Fatalf("no error and no domain: %+v", doc)
	}
	for _, d := range doc.Domains {
		for _, g := range d.Goals {
			for _, task := range g.Tasks {
				if task.Title == "" || task.Status == "" {
					t.Fatalf("goal %q has a task without a title or a status: %+v", g.Title, task)
				}
			}
		}
	}
}

// planWorkbook is a workbook whose first sheet holds table, its lines as
// rows and its tab-separated cells as cells from column A; ok is false for
// a table excelize cannot write (too many rows or columns, a cell it
// refuses).
func planWorkbook(t *testing.T, table string) (data []byte, ok bool) {
	t.Helper()
	lines := strings.Split(table, "\n")
	if len(lines) > 200 {
		return nil, false
	}
	x := excelize.NewFile()
	defer x.Close()
	for i, line := range lines {
		cells := strings.Split(line, "\t")
		if len(cells) > 30 {
			return nil, false
		}
		row := make([]any, len(cells))
		for j, c := range cells {
			row[j] = c
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := x.SetSheetRow("Sheet1", cell, &row); err != nil {
			return nil, false
		}
	}
	var buf bytes.Buffer
	if err := x.Write(&buf); err != nil {
		return nil, false
	}
	return buf.Bytes(), true
}
