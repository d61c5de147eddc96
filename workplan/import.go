package workplan

import (
	"bytes"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"madaf/internal/apperr"
	"madaf/internal/i18n"
)

// Document is a work plan as read from a file, before it is stored.
type Document struct {
	Domains []*DocDomain
	// HasNotes and HasOwner say whether the file has those columns; a
	// column the file lacks leaves what the plan holds untouched.
	HasNotes bool
	HasOwner bool
}

// DocDomain is a domain chapter of the file.
type DocDomain struct {
	Name         string
	Number       string
	Introduction string
	Line         int
	Goals        []*DocGoal
}

// DocGoal is a goal of the file with its task table.
type DocGoal struct {
	Number       string
	Ordinal      *int
	Part         string
	Title        string
	Introduction string
	Line         int
	Tasks        []*DocTask
}

// DocTask is one row of a goal's task table.
type DocTask struct {
	Title     string
	Phrase    string
	Status    Status
	Qualifier string
	Notes     string
	Owner     string
	// Line is the file's line (text) or the sheet's row (XLSX) of the task.
	Line int
}

// Counts gives the number of domains, goals and tasks of d.
func (d *Document) Counts() (domains, goals, tasks int) {
	for _, dom := range d.Domains {
		domains++
		for _, g := range dom.Goals {
			goals++
			tasks += len(g.Tasks)
		}
	}
	return
}

// knownDomains are the cluster's domains as DESIGN.md names them; a chapter
// or cell naming one of them with the definite article ("תחום התיירות")
// means it.
var knownDomains = []string{"תיירות", "סביבה וקיימות", "פיתוח כלכלי", "תשתיות", "חברה וקהילה"}

// domainParts are the parts of the domains that have them; a goal heading
// "תחבורה – …" in תשתיות belongs to the part תחבורה.
var domainParts = map[string][]string{
	"תשתיות": {"תחבורה", "דיגיטציה"},
}

// DomainName is the canonical name of a domain written as s: "תחום " and the
// definite article are dropped when the rest names a known domain.
func DomainName(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	s = strings.TrimPrefix(s, "תחום ")
	key := withoutArticles(s)
	for _, d := range knownDomains {
		if withoutArticles(d) == key {
			return d
		}
	}
	return s
}

// partDomain returns the domain a part name belongs to.
func partDomain(s string) (domain string, ok bool) {
	s = strings.Join(strings.Fields(s), " ")
	for d, parts := range domainParts {
		for _, p := range parts {
			if withoutArticles(p) == withoutArticles(s) {
				return d, true
			}
		}
	}
	return "", false
}

func withoutArticles(s string) string {
	words := strings.Fields(s)
	for i, w := range words {
		if strings.HasPrefix(w, "ה") && len([]rune(w)) > 2 {
			words[i] = strings.TrimPrefix(w, "ה")
		}
	}
	return strings.Join(words, " ")
}

var (
	ordinalPrefix = regexp.MustCompile(`^(?i:` + goalWords() + `)\s+(\d+)\s*[-–—]\s*(\S.*)$`)
	ordinalSuffix = regexp.MustCompile(`^(.*\S)\s*\(\s*(?i:` + goalWords() + `)\s+(\d+)\s*\)$`)
	partPrefix    = regexp.MustCompile(`^(\S+)\s+[-–—]\s+(\S.*)$`)
	numberPrefix  = regexp.MustCompile(`^(\d+(?:\.\d+)+)\.?\s+(\S.*)$`)
)

// goalWords are, as a regular expression, the words a goal heading may
// number its goal with: the report's מטרה, and the word of every catalog
// language (workplan.goal_n), as Goal.Heading writes it in exports.
func goalWords() string {
	words := []string{"מטרה"}
	for _, lang := range i18n.Langs {
		w, _, ok := strings.Cut(i18n.For(lang).T("workplan.goal_n"), "%d")
		if w = strings.TrimSpace(w); ok && w != "" && !slices.Contains(words, w) {
			words = append(words, w)
		}
	}
	for i, w := range words {
		words[i] = regexp.QuoteMeta(w)
	}
	return strings.Join(words, "|")
}

// parseGoalHeading splits a goal heading (without its section number) into
// its ordinal ("מטרה 1 – …" or "… (מטרה 1)"), its part ("תחבורה – …" when
// the domain has that part) and its title.
func parseGoalHeading(s, domain string) (ordinal *int, part, title string) {
	s = strings.Join(strings.Fields(s), " ")
	if m := ordinalPrefix.FindStringSubmatch(s); m != nil {
		n, _ := strconv.Atoi(m[1])
		return &n, "", m[2]
	}
	if m := partPrefix.FindStringSubmatch(s); m != nil {
		for _, p := range domainParts[domain] {
			if m[1] == p {
				part, s = p, m[2]
				break
			}
		}
	}
	if m := ordinalSuffix.FindStringSubmatch(s); m != nil {
		n, _ := strconv.Atoi(m[2])
		return &n, part, m[1]
	}
	return nil, part, s
}

// Where a fault of a file is: a line of a text file, a row of a sheet.
const (
	UnitLine = "line"
	UnitRow  = "row"
)

// Fault is one fault of an imported file: where it is (Unit and N: line 27,
// row 3) and what is wrong there.
type Fault struct {
	Unit string
	N    int
	apperr.Msg
}

// Where is the fault's place as a message ("line 27").
func (f Fault) Where() apperr.Msg { return apperr.M("workplan."+f.Unit, f.N) }

// Refusal is the error of a file with faults, of which nothing was
// imported. It unwraps to an invalid *apperr.Error (workplan.file_refused)
// with one field per fault, named by its place in English ("line 27"), so
// that the API lists them; pages and the command line read the faults.
type Refusal struct {
	Faults []Fault
}

// Error is the refusal as the application error prints it, for logs.
func (r *Refusal) Error() string { return r.Unwrap().Error() }

// Unwrap is the refusal as an application error.
func (r *Refusal) Unwrap() error {
	fields := make([]apperr.FieldError, len(r.Faults))
	for i, f := range r.Faults {
		fields[i] = apperr.FieldError{Field: f.Unit + " " + strconv.Itoa(f.N), Msg: f.Msg}
	}
	return &apperr.Error{Kind: apperr.KindInvalid, Msg: apperr.M("workplan.file_refused", len(r.Faults)), Fields: fields}
}

// problems collects the faults of a file so that all of them are reported
// at once.
type problems struct {
	unit   string // UnitLine or UnitRow
	faults []Fault
}

func (p *problems) add(n int, key string, args ...any) {
	p.faults = append(p.faults, Fault{Unit: p.unit, N: n, Msg: apperr.M(key, args...)})
}

func (p *problems) err() error {
	if len(p.faults) == 0 {
		return nil
	}
	sort.SliceStable(p.faults, func(i, j int) bool { return p.faults[i].N < p.faults[j].N })
	return &Refusal{Faults: p.faults}
}

// taskColumn is what a column of a task table holds.
type taskColumn int

const (
	colOther taskColumn = iota
	colTask
	colStatus
	colNotes
	colOwner
)

// headerColumn recognises a task table's column by its header.
func headerColumn(h string) taskColumn {
	h = strings.Join(strings.Fields(h), " ")
	switch {
	case h == "משימה" || h == "משימות":
		return colTask
	case strings.Contains(h, "סטטוס"):
		return colStatus
	case strings.Contains(h, "הערות") || strings.Contains(h, "פערים"):
		return colNotes
	case h == "אחראי" || h == "באחריות" || h == "אחריות":
		return colOwner
	}
	return colOther
}

var (
	bookmark   = regexp.MustCompile(`\[bookmark: [^\]]*\]`)
	chapterRe  = regexp.MustCompile(`^(\d+)\.\s+(\S.*)$`)
	sectionRe  = regexp.MustCompile(`^(\d+)\.(\d+)\.?\s+(\S.*)$`)
	domainHead = regexp.MustCompile(`^תחום\s+\S`)
)

// ParseText reads the report's own plain-text export (the shape of the
// 2024 annual report): numbered chapter headings, of which "N. תחום …" are
// the domains; numbered section headings "N.M …" under a domain chapter are
// its goals; each goal's table lists one task per row, its cells on lines of
// their own that start with a tab, rows separated by blank lines, under a
// header row "משימה / סטטוס סוף שנה / פערים / הערות". Text between a heading
// and its table is the introduction. Chapters that are not domains (the
// summary, the appendix) are skipped. Every fault is reported with its line
// number, all at once; a status phrase that maps to no canonical status is
// such a fault, and so is a line that is not UTF-8 text (or holds a NUL).
func ParseText(data []byte) (*Document, error) {
	text := strings.TrimPrefix(string(data), "\ufeff")
	text = strings.ReplaceAll(text, "\r\n", "\n")
	lines := strings.Split(text, "\n")

	doc := &Document{}
	probs := &problems{unit: UnitLine}
	var (
		chapter, section int
		domain           *DocDomain // nil outside a domain chapter
		goal             *DocGoal
		columns          []taskColumn // nil until a task table's header is read
		tableGoal        *DocGoal
		group            []string
		groupLines       []int
		intro            []string
	)
	seenDomain := map[string]int{}
	seenGoal := map[string]int{}

	flushIntro := func() {
		t := strings.TrimSpace(strings.Join(intro, "\n"))
		intro = nil
		if t == "" {
			return
		}
		switch {
		case goal != nil:
			goal.Introduction = strings.TrimSpace(goal.Introduction + "\n" + t)
		case domain != nil:
			domain.Introduction = strings.TrimSpace(domain.Introduction + "\n" + t)
		}
	}
	flushGroup := func() {
		cells, at := group, groupLines
		group, groupLines = nil, nil
		if len(cells) == 0 || domain == nil {
			return
		}
		if columns == nil || tableGoal != goal {
			// The first row of a table is its header.
			cols := make([]taskColumn, len(cells))
			has := map[taskColumn]bool{}
			for i, c := range cells {
				cols[i] = headerColumn(c)
				has[cols[i]] = true
			}
			if !has[colTask] || !has[colStatus] {
				probs.add(at[0], "workplan.problem_table_header")
				columns, tableGoal = []taskColumn{}, goal
				return
			}
			if goal == nil {
				probs.add(at[0], "workplan.problem_table_without_goal")
			}
			doc.HasNotes = doc.HasNotes || has[colNotes]
			doc.HasOwner = doc.HasOwner || has[colOwner]
			columns, tableGoal = cols, goal
			return
		}
		if len(columns) == 0 || goal == nil {
			return // the table's header was refused already
		}
		if len(cells) != len(columns) {
			probs.add(at[0], "workplan.problem_cells", len(columns), len(cells))
			return
		}
		t := &DocTask{Line: at[0]}
		empty := true
		statusLine := at[0]
		for i, c := range cells {
			if c != "" {
				empty = false
			}
			switch columns[i] {
			case colTask:
				t.Title, t.Line = c, at[i]
			case colStatus:
				t.Phrase, statusLine = c, at[i]
			case colNotes:
				t.Notes = c
			case colOwner:
				t.Owner = c
			}
		}
		if empty {
			return
		}
		if !fillTask(t, statusLine, probs) {
			return
		}
		goal.Tasks = append(goal.Tasks, t)
	}

	for i, raw := range lines {
		n := i + 1
		if !utf8.ValidString(raw) || strings.ContainsRune(raw, 0) {
			probs.add(n, "workplan.problem_not_text")
			continue
		}
		marked := bookmark.MatchString(raw)
		line := bookmark.ReplaceAllString(raw, "")
		if strings.HasPrefix(line, "\t") {
			group = append(group, strings.TrimSpace(line))
			groupLines = append(groupLines, n)
			continue
		}
		flushGroup()
		trimmed := strings.TrimSpace(line)
		if trimmed == "" {
			continue
		}
		// A text line ends any table.
		columns, tableGoal = nil, nil

		if m := sectionRe.FindStringSubmatch(trimmed); m != nil {
			major, _ := strconv.Atoi(m[1])
			minor, _ := strconv.Atoi(m[2])
			if major == chapter && (marked || minor == section+1) {
				flushIntro()
				section = minor
				goal = nil
				if domain == nil {
					continue
				}
				number := m[1] + "." + m[2]
				ord, part, title := parseGoalHeading(m[3], domain.Name)
				if prev, dup := seenGoal[number]; dup {
					probs.add(n, "workplan.problem_goal_twice", number, prev)
				}
				seenGoal[number] = n
				goal = &DocGoal{Number: number, Ordinal: ord, Part: part, Title: title, Line: n}
				domain.Goals = append(domain.Goals, goal)
				continue
			}
		}
		if m := chapterRe.FindStringSubmatch(trimmed); m != nil {
			num, _ := strconv.Atoi(m[1])
			if num > chapter && (marked || num == chapter+1) {
				flushIntro()
				chapter, section = num, 0
				goal, domain = nil, nil
				if domainHead.MatchString(m[2]) {
					name := DomainName(m[2])
					if prev, dup := seenDomain[name]; dup {
						probs.add(n, "workplan.problem_domain_twice", name, prev)
					}
					seenDomain[name] = n
					domain = &DocDomain{Name: name, Number: m[1], Line: n}
					doc.Domains = append(doc.Domains, domain)
				}
				continue
			}
		}
		intro = append(intro, trimmed)
	}
	flushGroup()
	flushIntro()

	if len(doc.Domains) == 0 {
		probs.add(1, "workplan.problem_no_domain")
	}
	if err := probs.err(); err != nil {
		return nil, err
	}
	return doc, nil
}

// fillTask maps the task's status phrase, recording a fault on line when
// it has no title or its phrase maps to nothing.
func fillTask(t *DocTask, line int, probs *problems) bool {
	ok := true
	if t.Title == "" {
		probs.add(t.Line, "workplan.problem_no_title")
		ok = false
	}
	if t.Phrase == "" {
		probs.add(line, "workplan.problem_no_status", t.Title)
		return false
	}
	st, q, found := ParseStatus(t.Phrase)
	if !found {
		probs.add(line, "workplan.problem_unknown_phrase", t.Phrase)
		return false
	}
	t.Status, t.Qualifier = st, q
	return ok
}

// Parse reads data as a workbook when it is one (a ZIP container) and as
// the report's plain-text export otherwise.
func Parse(data []byte) (*Document, error) {
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		return ParseXLSX(data)
	}
	return ParseText(data)
}
