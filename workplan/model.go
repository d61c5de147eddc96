// Package workplan is the cluster's annual work plan: a plan per year,
// its domains, goals and tasks, each task with a canonical status and the
// report's own wording of it, the history of status changes, the summary per
// domain (the report's table 8.1), carry-over of open tasks into the next
// year, live marketplace figures bound to tasks, and the growth engines of a
// strategic plan that goals may refer to.
package workplan

import (
	"encoding/json"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"madaf/internal/i18n"
)

// Status is a task's canonical status (DESIGN.md "Work plan").
type Status string

// The canonical statuses, in the order the summary lists them.
const (
	StatusDone        Status = "done"
	StatusPartial     Status = "partial"
	StatusInProgress  Status = "in_progress"
	StatusNotStarted  Status = "not_started"
	StatusNotDone     Status = "not_done"
	StatusPostponed   Status = "postponed"
	StatusDropped     Status = "dropped"
	StatusNotRelevant Status = "not_relevant"
)

// Statuses lists every canonical status in summary order.
var Statuses = []Status{StatusDone, StatusPartial, StatusInProgress, StatusNotStarted,
	StatusNotDone, StatusPostponed, StatusDropped, StatusNotRelevant}

// Valid reports whether s is a canonical status.
func (s Status) Valid() bool {
	for _, v := range Statuses {
		if s == v {
			return true
		}
	}
	return false
}

// Open reports whether a task in status s is still to be worked on and so
// is carried over into the next year's plan: in progress, partial, not
// started, not done or postponed. Done, dropped and not-relevant tasks stay
// behind.
func (s Status) Open() bool {
	switch s {
	case StatusInProgress, StatusPartial, StatusNotStarted, StatusNotDone, StatusPostponed:
		return true
	}
	return false
}

// Carried is the status a task open in status s starts the next year's
// plan with: work under way stays in progress, everything else is still to
// start.
func (s Status) Carried() Status {
	if s == StatusInProgress || s == StatusPartial {
		return StatusInProgress
	}
	return StatusNotStarted
}

// Badge is the page badge class that colours status s.
func (s Status) Badge() string {
	switch s {
	case StatusDone:
		return "ok"
	case StatusPartial, StatusPostponed:
		return "warn"
	case StatusInProgress:
		return "sent"
	case StatusNotDone:
		return "bad"
	}
	return "draft"
}

// Bucket is a column of the report's summary table (8.1).
type Bucket string

// The summary's columns. Not-relevant tasks belong to none of them: they are
// counted per status but neither done nor owed.
const (
	BucketDone       Bucket = "done_fully"             // בוצע במלואו
	BucketInProgress Bucket = "in_progress_or_partial" // בביצוע / חלקי
	BucketNotDone    Bucket = "not_done_or_postponed"  // לא בוצע / נדחה
)

// Buckets lists the summary's columns in the report's order.
var Buckets = []Bucket{BucketDone, BucketInProgress, BucketNotDone}

// Bucket is the summary column a task in status s is counted in; "" for
// not_relevant.
func (s Status) Bucket() Bucket {
	switch s {
	case StatusDone:
		return BucketDone
	case StatusInProgress, StatusPartial:
		return BucketInProgress
	case StatusNotStarted, StatusNotDone, StatusPostponed, StatusDropped:
		return BucketNotDone
	}
	return ""
}

// phraseStatus is what a status phrase of the report means.
type phraseStatus struct {
	status    Status
	qualifier string
}

// phrases maps every status phrase of the 2024 report (and a few common
// variants) to its canonical status. A phrase "X - Y" whose X is listed here
// means X's status with the qualifier Y ("בוצע - אפסילון" is done, qualified
// "אפסילון"). Anything else maps to nothing and is refused, never guessed.
//
// Phrases of the 2024 report and their meaning:
//
//	בוצע                       done
//	הושלם                      done
//	בוצע - אפסילון             done, qualifier אפסילון
//	בוצע - גויס ע"י שינוע       done, qualifier גויס ע"י שינוע
//	בוצע - חברת יראב זכתה       done, qualifier חברת יראב זכתה
//	בוצע - מתבצע בשוטף          done, qualifier מתבצע בשוטף
//	בוצע - מתמשך               done, qualifier מתמשך
//	בוצע - שוטף                done, qualifier שוטף
//	בוצע במתכונת אחרת          done, qualifier במתכונת אחרת
//	בוצע חלקי / בוצע חלקית      partial
//	אישור חלקי                 partial
//	בתהליך / בביצוע / בשלבי ביצוע  in_progress
//	בתהליך מתמשך               in_progress, qualifier מתמשך
//	בתהליך - בזמן              in_progress, qualifier בזמן
//	בשלבי פרסום בל"מ           in_progress, qualifier פרסום בל"מ
//	טרם בוצע / ממתין לביצוע     not_started
//	לא בוצע                    not_done
//	נדחה                       postponed
//	ירד מהתוכנית / לא יבוצע     dropped
//	לא רלוונטי                 not_relevant
var phrases = map[string]phraseStatus{
	"בוצע":              {StatusDone, ""},
	"הושלם":             {StatusDone, ""},
	"בוצע במלואו":       {StatusDone, ""},
	"בוצע במתכונת אחרת": {StatusDone, "במתכונת אחרת"},

	"בוצע חלקי":  {StatusPartial, ""},
	"בוצע חלקית": {StatusPartial, ""},
	"אישור חלקי": {StatusPartial, ""},

	"בתהליך":           {StatusInProgress, ""},
	"בביצוע":           {StatusInProgress, ""},
	"בשלבי ביצוע":      {StatusInProgress, ""},
	"בתהליך מתמשך":     {StatusInProgress, "מתמשך"},
	`בשלבי פרסום בל"מ`: {StatusInProgress, `פרסום בל"מ`},

	"טרם בוצע":     {StatusNotStarted, ""},
	"ממתין לביצוע": {StatusNotStarted, ""},
	"טרם החל":      {StatusNotStarted, ""},

	"לא בוצע": {StatusNotDone, ""},

	"נדחה": {StatusPostponed, ""},

	"ירד מהתוכנית": {StatusDropped, ""},
	"לא יבוצע":     {StatusDropped, ""},
	"בוטל":         {StatusDropped, ""},

	"לא רלוונטי": {StatusNotRelevant, ""},
}

// ParseStatus maps a status phrase to its canonical status and qualifier.
// It accepts the phrases listed above, "phrase - qualifier" for any of them,
// the canonical names themselves ("in_progress") and the statuses' labels
// in every catalog language ("Done", "منجز"), as the exports write them. ok
// is false when the phrase maps to nothing.
func ParseStatus(phrase string) (s Status, qualifier string, ok bool) {
	p := normalizePhrase(phrase)
	if p == "" {
		return "", "", false
	}
	if st := Status(strings.ToLower(p)); st.Valid() {
		return st, "", true
	}
	if ps, found := phrases[p]; found {
		return ps.status, ps.qualifier, true
	}
	if st, found := statusLabels()[strings.ToLower(p)]; found {
		return st, "", true
	}
	if base, rest, cut := strings.Cut(p, " - "); cut {
		if ps, found := phrases[base]; found && rest != "" {
			q := rest
			if ps.qualifier != "" {
				q = ps.qualifier + " - " + rest
			}
			return ps.status, q, true
		}
	}
	return "", "", false
}

// statusLabels maps the label of every status in every catalog language,
// in lower case, to the status.
var statusLabels = sync.OnceValue(func() map[string]Status {
	m := map[string]Status{}
	for _, lang := range i18n.Langs {
		cat := i18n.For(lang)
		for _, s := range Statuses {
			m[strings.ToLower(normalizePhrase(cat.Enum("workplan.status", s)))] = s
		}
	}
	return m
})

// isLabel reports whether phrase is the label of status s in one of the
// catalog languages: the wording an export gives a task without one of its
// own.
func isLabel(phrase string, s Status) bool {
	st, ok := statusLabels()[strings.ToLower(normalizePhrase(phrase))]
	return ok && st == s
}

// normalizePhrase trims, collapses white space, writes every dash between
// words as " - " and Hebrew gershayim as a plain double quote, so that the
// same phrase typed twice looks the same.
func normalizePhrase(s string) string {
	s = strings.NewReplacer("״", `"`, "”", `"`, "“", `"`, "׳", "'", "–", "-", "—", "-").Replace(s)
	s = strings.Join(strings.Fields(s), " ")
	return s
}

// Figure is a live marketplace figure a task may be bound to.
type Figure string

// The marketplace figures.
const (
	// FigureActiveTenders counts shelf tenders that are active and not
	// expired today.
	FigureActiveTenders Figure = "active_tenders"
	// FigureOrdersPlaced counts orders submitted in the plan's year
	// (everything past draft but the cancelled ones).
	FigureOrdersPlaced Figure = "orders_placed"
	// FigureCommittedVolume sums, without VAT, the orders committed in the
	// plan's year (pending approval onwards, neither rejected nor cancelled).
	FigureCommittedVolume Figure = "committed_volume"
	// FigureAuthoritiesOrdering counts the authorities with at least one
	// committed order in the plan's year.
	FigureAuthoritiesOrdering Figure = "authorities_ordering"
)

// Figures lists every figure a task may be bound to.
var Figures = []Figure{FigureActiveTenders, FigureOrdersPlaced, FigureCommittedVolume, FigureAuthoritiesOrdering}

// Valid reports whether f is a known figure.
func (f Figure) Valid() bool {
	for _, v := range Figures {
		if f == v {
			return true
		}
	}
	return false
}

// Plan is one year's work plan.
type Plan struct {
	ID        int64     `db:"id" json:"id"`
	Year      int       `db:"year" json:"year"`
	CreatedAt time.Time `db:"created_at" json:"created_at"`
	UpdatedAt time.Time `db:"updated_at" json:"updated_at"`
	// Tasks is the number of tasks in the plan.
	Tasks int `db:"tasks" json:"tasks"`
}

// Domain is a domain of activity (תחום) of a plan.
type Domain struct {
	ID           int64   `db:"id" json:"id"`
	PlanID       int64   `db:"plan_id" json:"-"`
	Name         string  `db:"name" json:"name"`
	Number       string  `db:"number" json:"number"`
	Position     int     `db:"position" json:"position"`
	Introduction string  `db:"introduction" json:"introduction"`
	Goals        []*Goal `db:"-" json:"goals"`
}

// Goal is a goal (מטרה) of a domain.
type Goal struct {
	ID       int64  `db:"id" json:"id"`
	PlanID   int64  `db:"plan_id" json:"-"`
	DomainID int64  `db:"domain_id" json:"domain_id"`
	Number   string `db:"number" json:"number"`
	Ordinal  *int   `db:"ordinal" json:"ordinal"`
	// Part is the part of the domain the goal belongs to, e.g. תחבורה or
	// דיגיטציה in תשתיות; "" for domains without parts.
	Part         string  `db:"part" json:"part"`
	Title        string  `db:"title" json:"title"`
	Introduction string  `db:"introduction" json:"introduction"`
	Position     int     `db:"position" json:"position"`
	EngineID     *int64  `db:"engine_id" json:"engine_id"`
	Engine       *Engine `db:"-" json:"engine,omitempty"`
	Tasks        []*Task `db:"-" json:"tasks"`
}

// Heading is the goal's heading as the report writes it ("3.1 Goal 1 –
// title", "6.1 part – title (Goal 1)"), with the word for a goal in lang.
// The importer reads it back in every language.
func (g *Goal) Heading(lang string) string {
	cat := i18n.For(lang)
	var b strings.Builder
	if g.Number != "" {
		b.WriteString(g.Number + " ")
	}
	if g.Part != "" {
		b.WriteString(g.Part + " – ")
	}
	if g.Ordinal != nil && g.Part == "" {
		b.WriteString(cat.T("workplan.goal_n", *g.Ordinal) + " – ")
	}
	b.WriteString(g.Title)
	if g.Ordinal != nil && g.Part != "" {
		b.WriteString(" (" + cat.T("workplan.goal_n", *g.Ordinal) + ")")
	}
	return b.String()
}

// Task is one task of a goal.
type Task struct {
	ID       int64  `db:"id" json:"id"`
	PlanID   int64  `db:"plan_id" json:"-"`
	GoalID   int64  `db:"goal_id" json:"goal_id"`
	Position int    `db:"position" json:"position"`
	Title    string `db:"title" json:"title"`
	Status   Status `db:"status" json:"status"`
	// StatusPhrase is the status in the words of the report it came from.
	StatusPhrase string `db:"status_phrase" json:"status_phrase"`
	Qualifier    string `db:"qualifier" json:"qualifier"`
	Notes        string `db:"notes" json:"notes"`
	Owner        string `db:"owner" json:"owner"`
	OwnerUserID  *int64 `db:"owner_user_id" json:"owner_user_id"`
	DueQuarter   *int   `db:"due_quarter" json:"due_quarter"`
	// CarriedFromTaskID is the task of the previous year's plan this one
	// continues.
	CarriedFromTaskID *int64           `db:"carried_from_task_id" json:"carried_from_task_id"`
	Figure            *Figure          `db:"figure" json:"-"`
	FigureTarget      *decimal.Decimal `db:"figure_target" json:"-"`
	CreatedAt         time.Time        `db:"created_at" json:"created_at"`
	UpdatedAt         time.Time        `db:"updated_at" json:"updated_at"`

	// Filled for display.
	Live        *LiveFigure `db:"-" json:"figure"`
	CarriedFrom *Origin     `db:"-" json:"carried_from,omitempty"`
}

// Origin names where a carried-over task came from.
type Origin struct {
	TaskID int64 `json:"task_id"`
	Year   int   `json:"year"`
}

// LiveFigure is a task's marketplace figure: the actual value now against
// the target.
type LiveFigure struct {
	Figure Figure           `json:"key"`
	Target *decimal.Decimal `json:"target"`
	Actual decimal.Decimal  `json:"actual"`
	// Reached reports whether actual ≥ target (false without a target).
	Reached bool `json:"reached"`
}

// MarshalJSON writes the figures as decimal strings: money (the committed
// volume) with two decimals, counts as whole numbers.
func (f LiveFigure) MarshalJSON() ([]byte, error) {
	format := func(d decimal.Decimal) string {
		if f.Figure == FigureCommittedVolume {
			return d.StringFixed(2)
		}
		return d.String()
	}
	out := struct {
		Figure  Figure  `json:"key"`
		Target  *string `json:"target"`
		Actual  string  `json:"actual"`
		Reached bool    `json:"reached"`
	}{Figure: f.Figure, Actual: format(f.Actual), Reached: f.Reached}
	if f.Target != nil {
		t := format(*f.Target)
		out.Target = &t
	}
	return json.Marshal(out)
}

// Event is one change of a task's status. Note is the user's note for an
// update, the file's name for an import, and the year carried from for a
// carry-over.
type Event struct {
	ID         int64     `db:"id" json:"id"`
	TaskID     int64     `db:"task_id" json:"task_id"`
	At         time.Time `db:"at" json:"at"`
	UserID     *int64    `db:"user_id" json:"user_id"`
	UserName   *string   `db:"user_name" json:"user_name"`
	Source     string    `db:"source" json:"source"`
	FromStatus *Status   `db:"from_status" json:"from_status"`
	ToStatus   Status    `db:"to_status" json:"to_status"`
	FromPhrase string    `db:"from_phrase" json:"from_phrase"`
	ToPhrase   string    `db:"to_phrase" json:"to_phrase"`
	Note       string    `db:"note" json:"note"`
}

// PreviousStatus is the status the task had before the change; "" for the
// first entry of its history.
func (e Event) PreviousStatus() Status {
	if e.FromStatus == nil {
		return ""
	}
	return *e.FromStatus
}

// Event sources.
const (
	SourceUpdate    = "update"
	SourceImport    = "import"
	SourceCarryOver = "carry_over"
)

// Engine is a growth engine (מנוע שגשוג) of a strategic plan with its
// example activities.
type Engine struct {
	ID         int64    `db:"id" json:"id"`
	Strategy   string   `db:"strategy" json:"strategy"`
	Number     int      `db:"number" json:"number"`
	Name       string   `db:"name" json:"name"`
	Vision     string   `db:"vision" json:"vision"`
	Pages      string   `db:"pages" json:"pages"`
	Activities []string `db:"-" json:"activities"`
	// Goals that refer to the engine, filled by Store.Engine.
	Goals []EngineGoal `db:"-" json:"goals,omitempty"`
}

// EngineGoal is a goal that refers to an engine.
type EngineGoal struct {
	GoalID int64  `db:"goal_id" json:"goal_id"`
	Year   int    `db:"year" json:"year"`
	Domain string `db:"domain" json:"domain"`
	Number string `db:"number" json:"number"`
	Title  string `db:"title" json:"title"`
}

// Filter narrows the tasks of a plan. Zero fields do not filter.
type Filter struct {
	Statuses    []Status
	DomainID    int64
	Owner       string
	OwnerUserID int64
}

// Empty reports whether f filters nothing.
func (f Filter) Empty() bool {
	return len(f.Statuses) == 0 && f.DomainID == 0 && f.Owner == "" && f.OwnerUserID == 0
}

// TaskChange is an edit of a task's planning fields by the economic lead or
// the cluster admin. Nil fields stay as they are.
type TaskChange struct {
	Owner        *string
	OwnerUserID  **int64
	DueQuarter   **int
	Notes        *string
	Figure       **Figure
	FigureTarget **decimal.Decimal
}

// StatusChange is a status update of one task.
type StatusChange struct {
	Status Status
	Phrase string
	// Notes replaces the task's gap notes when not nil.
	Notes *string
	Note  string
	By    int64
}
