package workplan

import (
	"fmt"
	"strings"

	"madaf/internal/i18n"
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

// goalRef is how the summary names a goal in lang: "Goal 1" when the goal
// has an ordinal, else its title.
func goalRef(g CellGoal, lang string) string {
	if g.Ordinal != nil {
		return i18n.For(lang).T("workplan.goal_n", *g.Ordinal)
	}
	return g.Title
}

// CellText is the cell as the report's table writes it, in lang: the goals
// behind it with their task counts ("Goal 2 (4); Goal 3 (3)").
func (c *Cell) CellText(lang string) string {
	parts := make([]string, len(c.Goals))
	for i, g := range c.Goals {
		parts[i] = fmt.Sprintf("%s (%d)", goalRef(g, lang), g.Tasks)
	}
	return strings.Join(parts, "; ")
}
