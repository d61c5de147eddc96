package workplan

import (
	"context"
	"fmt"
	"io"

	"github.com/jmoiron/sqlx"
	"github.com/xuri/excelize/v2"
)

// Counts is a number of tasks per canonical status (every status present,
// zeros included) and their total.
type Counts struct {
	ByStatus map[Status]int `json:"counts"`
	Total    int            `json:"total"`
}

func newCounts() Counts {
	c := Counts{ByStatus: map[Status]int{}}
	for _, s := range Statuses {
		c.ByStatus[s] = 0
	}
	return c
}

func (c *Counts) add(s Status, n int) {
	c.ByStatus[s] += n
	c.Total += n
}

// Cell is one cell of the summary table: the tasks of a domain in one
// bucket and the goals they belong to.
type Cell struct {
	Tasks int        `json:"tasks"`
	Goals []CellGoal `json:"goals"`
}

// CellGoal is a goal behind a summary cell with its tasks in that bucket.
type CellGoal struct {
	GoalID  int64  `json:"goal_id"`
	Number  string `json:"number"`
	Ordinal *int   `json:"ordinal"`
	Title   string `json:"title"`
	Tasks   int    `json:"tasks"`
}

// OrdinalNumber is the goal's ordinal, 0 when it has none.
func (g CellGoal) OrdinalNumber() int {
	if g.Ordinal == nil {
		return 0
	}
	return *g.Ordinal
}

// Row is one row of the summary: a domain, or a part of one.
type Row struct {
	DomainID int64  `json:"domain_id"`
	Name     string `json:"name"`
	Counts
	Buckets map[Bucket]*Cell `json:"buckets"`
	// Parts breaks a domain with parts (תשתיות: תחבורה, דיגיטציה) down as
	// the report's table does.
	Parts []*Row `json:"parts,omitempty"`
}

// Summary is the plan's summary per domain, like the report's table 8.1,
// with the number of tasks in each canonical status per domain and in total.
type Summary struct {
	Year     int      `json:"year"`
	Statuses []Status `json:"statuses"`
	Buckets  []Bucket `json:"buckets"`
	Domains  []*Row   `json:"domains"`
	Total    Counts   `json:"total"`
}

func newRow(id int64, name string) *Row {
	r := &Row{DomainID: id, Name: name, Counts: newCounts(), Buckets: map[Bucket]*Cell{}}
	for _, b := range Buckets {
		r.Buckets[b] = &Cell{Goals: []CellGoal{}}
	}
	return r
}

func (r *Row) add(g CellGoal, s Status, n int) {
	r.Counts.add(s, n)
	b := s.Bucket()
	if b == "" {
		return
	}
	cell := r.Buckets[b]
	cell.Tasks += n
	for i := range cell.Goals {
		if cell.Goals[i].GoalID == g.GoalID {
			cell.Goals[i].Tasks += n
			return
		}
	}
	g.Tasks = n
	cell.Goals = append(cell.Goals, g)
}

// Summary counts the tasks of year's plan per domain (and part) and status,
// and lists, per domain and bucket, the goals behind the count. Every
// domain of the plan has a row, also one without tasks.
func (s *Store) Summary(ctx context.Context, year int) (*Summary, error) {
	plan, err := s.Plan(ctx, year)
	if err != nil {
		return nil, err
	}
	const q = `
		SELECT d.id AS domain_id, d.name AS domain, g.id AS goal_id, g.number, g.ordinal, g.part, g.title,
		       t.status, count(t.id) AS n
		FROM workplan_domains d
		LEFT JOIN workplan_goals g ON g.domain_id = d.id
		LEFT JOIN workplan_tasks t ON t.goal_id = g.id
		WHERE d.plan_id = $1
		GROUP BY d.id, d.name, d.position, g.id, g.number, g.ordinal, g.part, g.title, g.position, t.status
		ORDER BY d.position, d.id, g.position, g.id, t.status`
	var rows []struct {
		DomainID int64   `db:"domain_id"`
		Domain   string  `db:"domain"`
		GoalID   *int64  `db:"goal_id"`
		Number   *string `db:"number"`
		Ordinal  *int    `db:"ordinal"`
		Part     *string `db:"part"`
		Title    *string `db:"title"`
		Status   *Status `db:"status"`
		N        int     `db:"n"`
	}
	if err := sqlx.SelectContext(ctx, s.db, &rows, q, plan.ID); err != nil {
		return nil, err
	}
	sum := &Summary{Year: year, Statuses: Statuses, Buckets: Buckets, Domains: []*Row{}, Total: newCounts()}
	byDomain := map[int64]*Row{}
	for _, r := range rows {
		d := byDomain[r.DomainID]
		if d == nil {
			d = newRow(r.DomainID, r.Domain)
			byDomain[r.DomainID] = d
			sum.Domains = append(sum.Domains, d)
		}
		if r.Status == nil {
			continue
		}
		g := CellGoal{GoalID: *r.GoalID, Number: *r.Number, Ordinal: r.Ordinal, Title: *r.Title}
		d.add(g, *r.Status, r.N)
		sum.Total.add(*r.Status, r.N)
		if *r.Part != "" {
			var p *Row
			for _, x := range d.Parts {
				if x.Name == *r.Part {
					p = x
				}
			}
			if p == nil {
				p = newRow(r.DomainID, *r.Part)
				d.Parts = append(d.Parts, p)
			}
			p.add(g, *r.Status, r.N)
		}
	}
	return sum, nil
}

// bucketHeads are the summary columns in the report's words.
var bucketHeads = map[Bucket]string{
	BucketDone:       "בוצע במלואו",
	BucketInProgress: "בביצוע / חלקי",
	BucketNotDone:    "לא בוצע / נדחה",
}

// goalRef is how the summary names a goal: "מטרה 1" when the goal has an
// ordinal, else its title.
func goalRef(g CellGoal) string {
	if g.Ordinal != nil {
		return fmt.Sprintf("מטרה %d", *g.Ordinal)
	}
	return g.Title
}

// CellText is the cell as the report's table writes it: the goals behind
// it with their task counts.
func (c *Cell) CellText() string {
	out := ""
	for i, g := range c.Goals {
		if i > 0 {
			out += "; "
		}
		out += fmt.Sprintf("%s (%d)", goalRef(g), g.Tasks)
	}
	return out
}

// WritePlanXLSX writes year's plan as a workbook: a sheet "plan" with one
// row per task in the import format (domain, part, goal, task, status,
// notes, owner, then the canonical status and planning fields), which
// imports back unchanged, and a sheet "summary" (see WriteSummaryXLSX).
func (s *Store) WritePlanXLSX(ctx context.Context, year int, w io.Writer) error {
	_, domains, err := s.Tree(ctx, year, Filter{})
	if err != nil {
		return err
	}
	sum, err := s.Summary(ctx, year)
	if err != nil {
		return err
	}
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "plan"
	f.SetSheetName("Sheet1", sheet)
	rtl(f, sheet)
	header := []any{"domain", "part", "goal", "task", "status", "notes", "owner",
		"canonical_status", "qualifier", "due_quarter", "carried_from_year", "figure", "figure_target"}
	if err := f.SetSheetRow(sheet, "A1", &header); err != nil {
		return err
	}
	row := 2
	for _, d := range domains {
		for _, g := range d.Goals {
			for _, t := range g.Tasks {
				vals := []any{d.Name, g.Part, g.Heading(), t.Title, t.PhraseOrLabel(), t.Notes, t.Owner,
					string(t.Status), t.Qualifier, "", "", "", ""}
				if t.DueQuarter != nil {
					vals[9] = fmt.Sprintf("Q%d", *t.DueQuarter)
				}
				if t.CarriedFrom != nil {
					vals[10] = t.CarriedFrom.Year
				}
				if t.Figure != nil {
					vals[11] = string(*t.Figure)
				}
				if t.FigureTarget != nil {
					vals[12] = t.FigureTarget.String()
				}
				if err := f.SetSheetRow(sheet, fmt.Sprintf("A%d", row), &vals); err != nil {
					return err
				}
				row++
			}
		}
	}
	if err := summarySheet(f, "summary", sum); err != nil {
		return err
	}
	return f.Write(w)
}

// WriteSummaryXLSX writes year's summary as a workbook: per domain (and
// part) the report's three columns with the goals behind each, then the
// number of tasks in each canonical status, and a total row.
func (s *Store) WriteSummaryXLSX(ctx context.Context, year int, w io.Writer) error {
	sum, err := s.Summary(ctx, year)
	if err != nil {
		return err
	}
	f := excelize.NewFile()
	defer f.Close()
	if err := summarySheet(f, "Sheet1", sum); err != nil {
		return err
	}
	f.SetSheetName("Sheet1", "summary")
	return f.Write(w)
}

func summarySheet(f *excelize.File, sheet string, sum *Summary) error {
	if sheet != "Sheet1" {
		if _, err := f.NewSheet(sheet); err != nil {
			return err
		}
	}
	rtl(f, sheet)
	header := []any{"תחום"}
	for _, b := range Buckets {
		header = append(header, bucketHeads[b])
	}
	for _, s := range Statuses {
		header = append(header, string(s))
	}
	header = append(header, "total")
	if err := f.SetSheetRow(sheet, "A1", &header); err != nil {
		return err
	}
	n := 2
	write := func(name string, r *Row) error {
		vals := []any{name}
		for _, b := range Buckets {
			vals = append(vals, r.Buckets[b].CellText())
		}
		for _, s := range Statuses {
			vals = append(vals, r.ByStatus[s])
		}
		vals = append(vals, r.Total)
		err := f.SetSheetRow(sheet, fmt.Sprintf("A%d", n), &vals)
		n++
		return err
	}
	for _, d := range sum.Domains {
		if err := write(d.Name, d); err != nil {
			return err
		}
		for _, p := range d.Parts {
			if err := write(d.Name+" – "+p.Name, p); err != nil {
				return err
			}
		}
	}
	total := []any{"סה\"כ", "", "", ""}
	for _, s := range Statuses {
		total = append(total, sum.Total.ByStatus[s])
	}
	total = append(total, sum.Total.Total)
	return f.SetSheetRow(sheet, fmt.Sprintf("A%d", n), &total)
}

func rtl(f *excelize.File, sheet string) {
	yes := true
	f.SetSheetView(sheet, 0, &excelize.ViewOptions{RightToLeft: &yes})
}
