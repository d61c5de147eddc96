package workplan

import (
	"bytes"
	"slices"
	"strings"

	"github.com/xuri/excelize/v2"

	"madaf/internal/apperr"
	"madaf/internal/i18n"
)

// importColumns are the columns a work-plan sheet may have, by the names
// the importer knows them by.
var importColumns = []string{"domain", "part", "goal", "task", "status", "notes", "owner"}

// xlsxColumns are the headers a sheet may give each column, normalised by
// headerKey: the column's own name, its header in every catalog language
// (workplan.column.<name>, as the export writes it), and the Hebrew
// variants of the report's tables.
var xlsxColumns = func() map[string]string {
	m := map[string]string{
		"תחום": "domain", "חלק": "part", "אגף": "part", "מטרה": "goal", "משימה": "task",
		"סטטוס": "status", "סטטוס סוף שנה": "status",
		"הערות": "notes", "פערים / הערות": "notes", "פערים": "notes", "אחראי": "owner",
	}
	for _, col := range importColumns {
		m[col] = col
		for _, lang := range i18n.Langs {
			m[headerKey(i18n.For(lang).T("workplan.column."+col))] = col
		}
	}
	return m
}()

// headerKey is a header cell as xlsxColumns holds it: in lower case, its
// white space collapsed.
func headerKey(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// Limits of a work-plan workbook: the rows its sheet may hold, the columns
// read (those beyond are ignored), the cells the reader may materialise in
// all, and its unpacked size. The reader fills every blank cell up to a
// row's last filled one, so a row with one value at column XFD costs 16,384
// cells; the cell budget refuses such a sheet early.
const (
	maxPlanRows     = 5000
	maxPlanCols     = 26 // A–Z
	maxPlanCells    = 1 << 20
	maxUnzippedPlan = 16 << 20
)

// ParseXLSX reads a workbook whose first sheet has a header row naming the
// columns domain, goal, task and status (notes, owner and part are optional;
// the headers of the report and of the export in every language are
// accepted too) and lists one task per row below it. A
// blank domain or goal cell repeats the one above (as merged cells read).
// The goal cell may carry its section number and ordinal ("3.1 מטרה 1 – …");
// a domain cell that names a part (תחבורה) means its domain and that part.
// Faults are reported with their row numbers, all at once. Only columns A to
// Z are read; a sheet of more than 5,000 rows, or a workbook that unpacks to
// more than 16 MiB, is refused.
func ParseXLSX(data []byte) (*Document, error) {
	rows, err := readFirstSheet(data)
	if err != nil {
		return nil, err
	}
	hdr, cols := findHeader(rows)
	if hdr < 0 {
		return nil, apperr.Invalid("workplan.xlsx_no_header")
	}
	probs := &problems{unit: UnitRow}
	doc := parseRows(rows, hdr, cols, probs)
	if err := probs.err(); err != nil {
		return nil, err
	}
	if len(doc.Domains) == 0 {
		return nil, apperr.Invalid("workplan.xlsx_no_rows")
	}
	return doc, nil
}

// sheetRow is a row of a sheet that has a value, with its number as the
// sheet shows it.
type sheetRow struct {
	line  int
	cells []string
}

// readFirstSheet reads the rows of the workbook's first sheet that have a
// value, row by row, within the limits above.
func readFirstSheet(data []byte) ([]sheetRow, error) {
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: maxUnzippedPlan, UnzipXMLSizeLimit: maxUnzippedPlan})
	if err != nil {
		return nil, apperr.Invalid("workplan.xlsx_unreadable")
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, apperr.Invalid("workplan.xlsx_no_sheet")
	}
	unreadable := apperr.Invalid("workplan.xlsx_sheet_unreadable")
	it, err := f.Rows(sheets[0])
	if err != nil {
		return nil, unreadable
	}
	defer it.Close()
	var rows []sheetRow
	line, cells := 0, 0
	for it.Next() {
		line++
		row, err := it.Columns()
		if err != nil {
			return nil, unreadable
		}
		if cells += len(row); cells > maxPlanCells {
			col, _ := excelize.ColumnNumberToName(len(row))
			return nil, apperr.New(apperr.KindInvalid, "workplan.xlsx_too_wide", line, col)
		}
		if len(row) == 0 {
			continue
		}
		if len(rows) == maxPlanRows {
			return nil, apperr.New(apperr.KindInvalid, "workplan.xlsx_too_many_rows", maxPlanRows)
		}
		if len(row) > maxPlanCols {
			row = slices.Clone(row[:maxPlanCols]) // and let the wide row go
		}
		rows = append(rows, sheetRow{line: line, cells: row})
	}
	if it.Error() != nil {
		return nil, unreadable
	}
	return rows, nil
}

func findHeader(rows []sheetRow) (int, map[string]int) {
	for i, r := range rows {
		row := r.cells
		cols := map[string]int{}
		for j, c := range row {
			if name, ok := xlsxColumns[headerKey(c)]; ok {
				if _, taken := cols[name]; !taken {
					cols[name] = j
				}
			}
		}
		if _, ok := cols["domain"]; !ok {
			continue
		}
		if _, ok := cols["goal"]; !ok {
			continue
		}
		if _, ok := cols["task"]; !ok {
			continue
		}
		if _, ok := cols["status"]; !ok {
			continue
		}
		return i, cols
	}
	return -1, nil
}

func parseRows(rows []sheetRow, hdr int, cols map[string]int, probs *problems) *Document {
	doc := &Document{}
	_, doc.HasNotes = cols["notes"]
	_, doc.HasOwner = cols["owner"]
	domains := map[string]*DocDomain{}
	goals := map[string]*DocGoal{}
	cell := func(row []string, name string) string {
		j, ok := cols[name]
		if !ok || j >= len(row) {
			return ""
		}
		return strings.TrimSpace(row[j])
	}
	var lastDomain, lastGoal, lastPart string
	for i := hdr + 1; i < len(rows); i++ {
		n, row := rows[i].line, rows[i].cells
		dom, goalCell, part := cell(row, "domain"), cell(row, "goal"), cell(row, "part")
		title, phrase := cell(row, "task"), cell(row, "status")
		notes, owner := cell(row, "notes"), cell(row, "owner")
		if dom == "" && goalCell == "" && title == "" && phrase == "" && notes == "" && owner == "" {
			continue
		}
		if dom == "" {
			dom = lastDomain
		}
		if goalCell == "" {
			goalCell = lastGoal
			if part == "" {
				part = lastPart
			}
		}
		if dom == "" || goalCell == "" {
			probs.add(n, "workplan.problem_no_domain_or_goal")
			continue
		}
		lastDomain, lastGoal, lastPart = dom, goalCell, part

		name := DomainName(dom)
		if d, ok := partDomain(dom); ok {
			name = d
			if part == "" {
				part = strings.Join(strings.Fields(dom), " ")
			}
		}
		d := domains[name]
		if d == nil {
			d = &DocDomain{Name: name, Line: n}
			domains[name] = d
			doc.Domains = append(doc.Domains, d)
		}
		number, rest := "", strings.Join(strings.Fields(goalCell), " ")
		if m := numberPrefix.FindStringSubmatch(rest); m != nil {
			number, rest = m[1], m[2]
		}
		ord, headPart, gtitle := parseGoalHeading(rest, name)
		if part == "" {
			part = headPart
		}
		key := name + "\x00" + gtitle
		if number != "" {
			key = "#" + number
		}
		g := goals[key]
		if g == nil {
			g = &DocGoal{Number: number, Ordinal: ord, Part: part, Title: gtitle, Line: n}
			goals[key] = g
			d.Goals = append(d.Goals, g)
		} else if g.Title != gtitle {
			probs.add(n, "workplan.problem_goal_title", number, gtitle, g.Title, g.Line)
			continue
		}
		if title == "" && phrase == "" {
			continue // a goal row without a task
		}
		t := &DocTask{Title: title, Phrase: phrase, Notes: notes, Owner: owner, Line: n}
		if fillTask(t, n, probs) {
			g.Tasks = append(g.Tasks, t)
		}
	}
	return doc
}
