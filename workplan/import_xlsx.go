package workplan

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/xuri/excelize/v2"

	"madaf/internal/apperr"
)

// xlsxColumns are the names a sheet's header may give each column, in
// English or Hebrew.
var xlsxColumns = map[string]string{
	"domain": "domain", "תחום": "domain",
	"part": "part", "חלק": "part", "אגף": "part",
	"goal": "goal", "מטרה": "goal",
	"task": "task", "משימה": "task",
	"status": "status", "סטטוס": "status", "סטטוס סוף שנה": "status",
	"notes": "notes", "הערות": "notes", "פערים / הערות": "notes", "פערים": "notes",
	"owner": "owner", "אחראי": "owner",
}

// ParseXLSX reads a workbook whose first sheet with a header row naming the
// columns domain, goal, task and status (notes, owner and part are optional;
// Hebrew names are accepted too) lists one task per row. A blank domain or
// goal cell repeats the one above (as merged cells read). The goal cell may
// carry its section number and ordinal ("3.1 מטרה 1 – …"); a domain cell
// that names a part (תחבורה) means its domain and that part. Faults are
// reported with their row numbers, all at once.
func ParseXLSX(data []byte) (*Document, error) {
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		return nil, apperr.Invalid("the file is not a readable XLSX workbook")
	}
	defer f.Close()
	probs := &problems{unit: "row"}
	for _, sheet := range f.GetSheetList() {
		rows, err := f.GetRows(sheet)
		if err != nil {
			continue
		}
		hdr, cols := findHeader(rows)
		if hdr < 0 {
			continue
		}
		doc := parseRows(rows, hdr, cols, probs)
		if err := probs.err(); err != nil {
			return nil, err
		}
		if len(doc.Domains) == 0 {
			return nil, apperr.Invalid(fmt.Sprintf("the sheet %q has no task rows", sheet))
		}
		return doc, nil
	}
	return nil, apperr.Invalid("no sheet has a header row with the columns domain, goal, task and status")
}

func findHeader(rows [][]string) (int, map[string]int) {
	for i, row := range rows {
		cols := map[string]int{}
		for j, c := range row {
			key := strings.ToLower(strings.Join(strings.Fields(c), " "))
			if name, ok := xlsxColumns[key]; ok {
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

func parseRows(rows [][]string, hdr int, cols map[string]int, probs *problems) *Document {
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
		n := i + 1 // the sheet's row number
		row := rows[i]
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
			probs.add(n, "the row names no domain or no goal")
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
			probs.add(n, "goal %s is titled %q here but %q on row %d", number, gtitle, g.Title, g.Line)
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
