package workplan_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"madaf/accounts"
	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/dbtest"
	"madaf/internal/webtest"
	"madaf/workplan"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var ctx = context.Background()

// mustImportSeed imports the 2024 report as the plan of 2024.
func mustImportSeed(t *testing.T, db *sqlx.DB) *workplan.ImportResult {
	t.Helper()
	doc, err := workplan.ParseText(workplan.Report2024)
	if err != nil {
		t.Fatal(describe(err))
	}
	res, err := workplan.NewStore(db).Import(ctx, 2024, doc, "report.txt", 0)
	if err != nil {
		t.Fatal(describe(err))
	}
	return res
}

// snapshot is every row the work plan holds, for comparing before and after.
func snapshot(t *testing.T, db *sqlx.DB) string {
	t.Helper()
	var out []string
	for _, q := range []string{
		`SELECT to_jsonb(p)::text FROM workplan_plans p ORDER BY id`,
		`SELECT to_jsonb(d)::text FROM workplan_domains d ORDER BY id`,
		`SELECT to_jsonb(g)::text FROM workplan_goals g ORDER BY id`,
		`SELECT to_jsonb(x)::text FROM workplan_tasks x ORDER BY id`,
		`SELECT to_jsonb(e)::text FROM workplan_task_events e ORDER BY id`,
	} {
		var rows []string
		if err := db.Select(&rows, q); err != nil {
			t.Fatal(err)
		}
		out = append(out, rows...)
	}
	return strings.Join(out, "\n")
}

func count(t *testing.T, db *sqlx.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Get(&n, q, args...); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestImportSeed(t *testing.T) {
	db := dbtest.New(t)
	res := mustImportSeed(t, db)
	want := workplan.Changes{Domains: 5, Goals: 22, Tasks: seedTasks}
	if res.Created != want || res.Updated != (workplan.Changes{}) || res.Domains != 5 || res.Goals != 22 || res.Tasks != seedTasks {
		t.Fatalf("result = %+v", res)
	}

	var domains []string
	if err := db.Select(&domains, `SELECT name FROM workplan_domains ORDER BY position`); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(seedDomains, domains); diff != "" {
		t.Errorf("domains (-want +got):\n%s", diff)
	}

	var perGoal []struct {
		Number string `db:"number"`
		N      int    `db:"n"`
	}
	if err := db.Select(&perGoal, `
		SELECT g.number, count(t.id) AS n FROM workplan_goals g LEFT JOIN workplan_tasks t ON t.goal_id = g.id
		GROUP BY g.number`); err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, r := range perGoal {
		got[r.Number] = r.N
	}
	if diff := cmp.Diff(seedTasksPerGoal, got); diff != "" {
		t.Errorf("tasks per goal (-want +got):\n%s", diff)
	}

	var st []struct {
		Status workplan.Status `db:"status"`
		N      int             `db:"n"`
	}
	if err := db.Select(&st, `SELECT status, count(*) AS n FROM workplan_tasks GROUP BY status`); err != nil {
		t.Fatal(err)
	}
	statuses := map[workplan.Status]int{}
	for _, r := range st {
		statuses[r.Status] = r.N
	}
	if diff := cmp.Diff(seedStatusCounts, statuses); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}

	// Every row keeps its phrase and notes, in the report's order.
	var rows []struct {
		Title  string `db:"title"`
		Phrase string `db:"status_phrase"`
		Qual   string `db:"qualifier"`
		Notes  string `db:"notes"`
		Pos    int    `db:"position"`
	}
	if err := db.Select(&rows, `
		SELECT t.title, t.status_phrase, t.qualifier, t.notes, t.position FROM workplan_tasks t
		JOIN workplan_goals g ON g.id = t.goal_id WHERE g.number = '4.2' ORDER BY t.position`); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 8 || rows[3].Title != "התקשרות עם חברת ייעוץ לבחינת הקמת תאגיד אנרגיה ותחנת אגירה אזורית" ||
		rows[3].Phrase != "בוצע - אפסילון" || rows[3].Qual != "אפסילון" || rows[3].Pos != 4 ||
		rows[1].Notes != "לא כל הרשויות שיתפו פעולה" {
		t.Errorf("4.2 rows = %+v", rows)
	}
	// Each task has its creation in its history.
	if n := count(t, db, `SELECT count(*) FROM workplan_task_events WHERE source = 'import' AND from_status IS NULL`); n != seedTasks {
		t.Errorf("import events = %d, want %d", n, seedTasks)
	}
}

func TestImportTwiceIsNoOp(t *testing.T) {
	db := dbtest.New(t)
	mustImportSeed(t, db)
	before := snapshot(t, db)
	res := mustImportSeed(t, db)
	if res.Changed() || res.Unchanged != seedTasks || res.NotInFile != 0 {
		t.Errorf("second import = %+v, want no change", res)
	}
	if after := snapshot(t, db); after != before {
		t.Error("the second import changed the database")
	}
}

func TestImportFileUnknownPhraseImportsNothing(t *testing.T) {
	db := dbtest.New(t)
	path := filepath.Join(t.TempDir(), "report.txt")
	if err := os.WriteFile(path, withPhrase(t, 26, "כמעט בוצע"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err := workplan.ImportFile(ctx, db, 2024, path, &out)
	if err == nil || !strings.Contains(err.Error(), `line 27: unknown status phrase "כמעט בוצע"`) {
		t.Fatalf("err = %v, want the unknown phrase on line 27", err)
	}
	if n := count(t, db, `SELECT (SELECT count(*) FROM workplan_plans) + (SELECT count(*) FROM workplan_tasks)`); n != 0 {
		t.Errorf("%d rows stored", n)
	}
}

func TestImportFile(t *testing.T) {
	db := dbtest.New(t)
	path := filepath.Join(t.TempDir(), "report.txt")
	if err := os.WriteFile(path, workplan.Report2024, 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := workplan.ImportFile(ctx, db, 2024, path, &out); err != nil {
		t.Fatal(err)
	}
	want := "work plan 2024: the file has 5 domains, 22 goals, 163 tasks\n" +
		"created 5 domains, 22 goals, 163 tasks; updated 0 domains, 0 goals, 0 tasks; 0 tasks unchanged\n"
	if out.String() != want {
		t.Errorf("output = %q, want %q", out.String(), want)
	}
	out.Reset()
	if err := workplan.ImportFile(ctx, db, 2024, path, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "nothing changed") {
		t.Errorf("second output = %q", out.String())
	}
}

func TestImportIsAllOrNothing(t *testing.T) {
	db := dbtest.New(t)
	// A file that parses but breaks a rule of the database half-way (two
	// goals of one domain with the same title) leaves nothing behind.
	text := "1. תחום התיירות\n1.1 מיתוג\n\tמשימה\n\tסטטוס\n\n\tא\n\tבוצע\n\n1.2 מיתוג\n\tמשימה\n\tסטטוס\n\n\tב\n\tבוצע\n\n"
	doc, err := workplan.ParseText([]byte(text))
	if err != nil {
		t.Fatal(describe(err))
	}
	_, err = workplan.NewStore(db).Import(ctx, 2024, doc, "", 0)
	if !apperr.Is(err, apperr.KindConflict) {
		t.Fatalf("err = %v, want conflict", err)
	}
	if n := count(t, db, `SELECT (SELECT count(*) FROM workplan_plans) + (SELECT count(*) FROM workplan_tasks)`); n != 0 {
		t.Errorf("%d rows left behind", n)
	}
}

func TestImportChangedFileUpdatesAndRecords(t *testing.T) {
	db := dbtest.New(t)
	s := workplan.NewStore(db)
	mustImportSeed(t, db)
	// The first task of 3.4's "in progress" row becomes done.
	lines := strings.Split(string(workplan.Report2024), "\n")
	if lines[147] != "\tבתהליך" {
		t.Fatalf("line 148 = %q", lines[147])
	}
	lines[147] = "\tבוצע"
	doc, err := workplan.ParseText([]byte(strings.Join(lines, "\n")))
	if err != nil {
		t.Fatal(describe(err))
	}
	res, err := s.Import(ctx, 2024, doc, "v2.txt", 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.Updated.Tasks != 1 || res.Created != (workplan.Changes{}) || res.Unchanged != seedTasks-1 {
		t.Errorf("result = %+v", res)
	}
	var id int64
	if err := db.Get(&id, `SELECT id FROM workplan_tasks WHERE title = 'זיהוי תב"עות פוטנציאליות מול מהנדסי הרשויות'`); err != nil {
		t.Fatal(err)
	}
	events, err := s.Events(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 || *events[1].FromStatus != workplan.StatusInProgress || events[1].ToStatus != workplan.StatusDone ||
		events[1].Note != "v2.txt" {
		t.Errorf("events = %+v", events)
	}
}

func TestSummaryAgreesWithTasks(t *testing.T) {
	db := dbtest.New(t)
	mustImportSeed(t, db)
	sum, err := workplan.NewStore(db).Summary(ctx, 2024)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(seedStatusCounts, sum.Total.ByStatus); diff != "" {
		t.Errorf("total (-want +got):\n%s", diff)
	}
	if sum.Total.Total != seedTasks {
		t.Errorf("total = %d", sum.Total.Total)
	}
	if len(sum.Domains) != 5 {
		t.Fatalf("domains = %d", len(sum.Domains))
	}
	for _, d := range sum.Domains {
		var rows []struct {
			Status workplan.Status `db:"status"`
			N      int             `db:"n"`
		}
		if err := db.Select(&rows, `
			SELECT t.status, count(*) AS n FROM workplan_tasks t JOIN workplan_goals g ON g.id = t.goal_id
			WHERE g.domain_id = $1 GROUP BY t.status`, d.DomainID); err != nil {
			t.Fatal(err)
		}
		want := map[workplan.Status]int{}
		for _, s := range workplan.Statuses {
			want[s] = 0
		}
		total := 0
		for _, r := range rows {
			want[r.Status] = r.N
			total += r.N
		}
		if diff := cmp.Diff(want, d.ByStatus); diff != "" || d.Total != total {
			t.Errorf("%s (-want +got):\n%s total %d want %d", d.Name, diff, d.Total, total)
		}
		// The three columns hold every task but the not-relevant ones, and
		// each cell's goals add up to it.
		cells := 0
		for _, b := range workplan.Buckets {
			c := d.Buckets[b]
			cells += c.Tasks
			goals := 0
			for _, g := range c.Goals {
				goals += g.Tasks
			}
			if goals != c.Tasks {
				t.Errorf("%s %s: goals add to %d, cell %d", d.Name, b, goals, c.Tasks)
			}
		}
		if cells != total-want[workplan.StatusNotRelevant] {
			t.Errorf("%s: cells %d, want %d", d.Name, cells, total-want[workplan.StatusNotRelevant])
		}
	}
	// תשתיות is broken down into its parts, as the report's table.
	infra := sum.Domains[3]
	if infra.Name != "תשתיות" || len(infra.Parts) != 2 || infra.Parts[0].Name != "תחבורה" || infra.Parts[0].Total != 25 ||
		infra.Parts[1].Name != "דיגיטציה" || infra.Parts[1].Total != 7 {
		t.Errorf("parts = %+v", infra.Parts)
	}
	// Tourism: 8 + 2 + 2 + 4 tasks done; the not-done column names its goals.
	tour := sum.Domains[0]
	if got := tour.Buckets[workplan.BucketDone].Tasks; got != 16 {
		t.Errorf("tourism done = %d, want 16", got)
	}
	if got := tour.Buckets[workplan.BucketNotDone].CellText("he"); got != "מטרה 2 (4); מטרה 3 (3); מטרה 4 (3)" {
		t.Errorf("tourism not done = %q", got)
	}
}

func TestCarryOverCopiesExactlyTheOpenTasks(t *testing.T) {
	db := dbtest.New(t)
	s := workplan.NewStore(db)
	mustImportSeed(t, db)
	lead := webtest.MustUser(t, db, accounts.NewUser{Email: "lead@x.example", OrgKind: auth.OrgCluster, Roles: []string{auth.RoleEconomicLead}})

	res, err := s.CarryOver(ctx, 2024, lead.ID)
	if err != nil {
		t.Fatal(err)
	}
	const open = 72 // partial 9 + in progress 16 + not started 24 + not done 18 + postponed 5
	if res.Carried != open || res.AlreadyCarried != 0 || res.ToYear != 2025 {
		t.Fatalf("result = %+v", res)
	}
	var want, got []int64
	if err := db.Select(&want, `
		SELECT t.id FROM workplan_tasks t JOIN workplan_plans p ON p.id = t.plan_id
		WHERE p.year = 2024 AND t.status IN ('in_progress', 'partial', 'not_started', 'not_done', 'postponed') ORDER BY t.id`); err != nil {
		t.Fatal(err)
	}
	if err := db.Select(&got, `
		SELECT t.carried_from_task_id FROM workplan_tasks t JOIN workplan_plans p ON p.id = t.plan_id
		WHERE p.year = 2025 ORDER BY t.carried_from_task_id`); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("carried (-want +got):\n%s", diff)
	}
	// Titles, notes and goals come along; the status starts the year.
	var pairs []struct {
		OldStatus string `db:"old_status"`
		NewStatus string `db:"new_status"`
		Same      bool   `db:"same"`
	}
	if err := db.Select(&pairs, `
		SELECT o.status AS old_status, n.status AS new_status,
		       (o.title = n.title AND o.notes = n.notes AND og.title = ng.title AND od.name = nd.name) AS same
		FROM workplan_tasks n
		JOIN workplan_tasks o ON o.id = n.carried_from_task_id
		JOIN workplan_goals og ON og.id = o.goal_id JOIN workplan_domains od ON od.id = og.domain_id
		JOIN workplan_goals ng ON ng.id = n.goal_id JOIN workplan_domains nd ON nd.id = ng.domain_id`); err != nil {
		t.Fatal(err)
	}
	for _, p := range pairs {
		wantNew := "not_started"
		if p.OldStatus == "in_progress" || p.OldStatus == "partial" {
			wantNew = "in_progress"
		}
		if !p.Same || p.NewStatus != wantNew {
			t.Errorf("carried %+v, want status %s and the same title, notes, goal, domain", p, wantNew)
		}
	}
	// Goals without open tasks (3.1: all done) stay behind.
	if n := count(t, db, `SELECT count(*) FROM workplan_goals g JOIN workplan_plans p ON p.id = g.plan_id WHERE p.year = 2025 AND g.number = '3.1'`); n != 0 {
		t.Errorf("goal 3.1 carried")
	}
	// The history says where each task came from.
	if n := count(t, db, `SELECT count(*) FROM workplan_task_events WHERE source = 'carry_over' AND user_id = $1 AND note = '2024' AND to_phrase = ''`, lead.ID); n != open {
		t.Errorf("carry-over events = %d", n)
	}

	// Again: nothing new.
	before := snapshot(t, db)
	res, err = s.CarryOver(ctx, 2024, lead.ID)
	if err != nil {
		t.Fatal(err)
	}
	if res.Carried != 0 || res.AlreadyCarried != open {
		t.Errorf("second carry-over = %+v", res)
	}
	if snapshot(t, db) != before {
		t.Error("the second carry-over changed the database")
	}

	if _, err := s.CarryOver(ctx, 2030, lead.ID); !apperr.Is(err, apperr.KindNotFound) {
		t.Errorf("carry-over of a year without a plan: err = %v, want not found", err)
	}
}

func TestSetStatusRecordsHistory(t *testing.T) {
	db := dbtest.New(t)
	s := workplan.NewStore(db)
	mustImportSeed(t, db)
	lead := webtest.MustUser(t, db, accounts.NewUser{Email: "lead@x.example", OrgKind: auth.OrgCluster, Roles: []string{auth.RoleEconomicLead}})
	var id int64
	if err := db.Get(&id, `SELECT id FROM workplan_tasks WHERE title = 'יצירת מצגת שיווק לפרויקט'`); err != nil {
		t.Fatal(err)
	}
	allow := func(*workplan.Task) error { return nil }
	task, err := s.SetStatus(ctx, 2024, id, workplan.StatusChange{Status: workplan.StatusDone, Phrase: "בוצע - סטודיו", Note: "הוצגה", By: lead.ID}, allow)
	if err != nil {
		t.Fatal(err)
	}
	if task.Status != workplan.StatusDone || task.StatusPhrase != "בוצע - סטודיו" || task.Qualifier != "סטודיו" {
		t.Errorf("task = %+v", task)
	}
	events, err := s.Events(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	last := events[len(events)-1]
	if len(events) != 2 || *last.FromStatus != workplan.StatusInProgress || last.ToStatus != workplan.StatusDone ||
		last.FromPhrase != "בתהליך" || *last.UserID != lead.ID || last.Note != "הוצגה" || last.Source != workplan.SourceUpdate {
		t.Errorf("events = %+v", events)
	}
	// The same status again is refused, and a task of another year is not found.
	if _, err := s.SetStatus(ctx, 2024, id, workplan.StatusChange{Status: workplan.StatusDone, Phrase: "בוצע - סטודיו"}, allow); !apperr.Is(err, apperr.KindConflict) {
		t.Errorf("same status: err = %v, want conflict", err)
	}
	if _, err := s.SetStatus(ctx, 2025, id, workplan.StatusChange{Status: workplan.StatusDone}, allow); !apperr.Is(err, apperr.KindNotFound) {
		t.Errorf("other year: err = %v, want not found", err)
	}
}

func TestLiveFigure(t *testing.T) {
	db := dbtest.New(t)
	s := workplan.NewStore(db)
	mustImportSeed(t, db)
	var id int64
	if err := db.Get(&id, `SELECT id FROM workplan_tasks WHERE title LIKE 'פרסום מכרזי מדף לרשויות%'`); err != nil {
		t.Fatal(err)
	}
	fig := workplan.FigureActiveTenders
	pf := &fig
	target := decimal.NewFromInt(8)
	pt := &target
	if _, err := s.UpdateTask(ctx, 2024, id, workplan.TaskChange{Figure: &pf, FigureTarget: &pt}); err != nil {
		t.Fatal(err)
	}
	today := calendar.Today()
	tender := func(number, status string, until calendar.Date) {
		_, err := db.Exec(`
			INSERT INTO tenders (number, title, category, valid_from, valid_until, status, fee_percent, award_rule, confirmation_days)
			VALUES ($1, 'מכרז', 'ציוד', $2, $3, $4, 1, 'single', 5)`, number, today.AddDays(-30), until, status)
		if err != nil {
			t.Fatal(err)
		}
	}
	tender("01/2024", "active", today.AddDays(30))
	tender("02/2024", "active", today.AddDays(1))
	tender("03/2024", "active", today.AddDays(-1)) // expired
	tender("04/2024", "draft", today.AddDays(30))
	tender("05/2024", "closed", today.AddDays(30))

	task, err := s.Task(ctx, 2024, id)
	if err != nil {
		t.Fatal(err)
	}
	if task.Live == nil || !task.Live.Actual.Equal(decimal.NewFromInt(2)) || !task.Live.Target.Equal(target) || task.Live.Reached {
		t.Errorf("live = %+v, want 2 of 8", task.Live)
	}
	// The plan shows it too.
	_, domains, err := s.Tree(ctx, 2024, workplan.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var shown *workplan.LiveFigure
	for _, d := range domains {
		for _, g := range d.Goals {
			for _, tk := range g.Tasks {
				if tk.ID == id {
					shown = tk.Live
				} else if tk.Live != nil {
					t.Errorf("task %d has a figure", tk.ID)
				}
			}
		}
	}
	if shown == nil || !shown.Actual.Equal(decimal.NewFromInt(2)) {
		t.Errorf("tree figure = %+v", shown)
	}
	// A target without a figure is refused.
	var nf *workplan.Figure
	if _, err := s.UpdateTask(ctx, 2024, id, workplan.TaskChange{Figure: &nf, FigureTarget: &pt}); !apperr.Is(err, apperr.KindInvalid) {
		t.Errorf("target without figure: err = %v", err)
	}
}

func TestOrderFigures(t *testing.T) {
	db := dbtest.New(t)
	// Two authorities, a tender, a supplier, a budget line, orders in
	// several states in 2024 and one in 2023.
	var a1, a2, tender, supplier, bl1, bl2 int64
	mustGet := func(dst *int64, q string, args ...any) {
		t.Helper()
		if err := db.Get(dst, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	mustGet(&a1, `INSERT INTO authorities (code, name_he, kind) VALUES ('9300', 'זכרון יעקב', 'local_council') RETURNING id`)
	mustGet(&a2, `INSERT INTO authorities (code, name_he, kind) VALUES ('654', 'כפר קרע', 'local_council') RETURNING id`)
	mustGet(&bl1, `INSERT INTO budget_lines (authority_id, fiscal_year, code, name, amount) VALUES ($1, 2024, '1', 'ציוד', 1000000) RETURNING id`, a1)
	mustGet(&bl2, `INSERT INTO budget_lines (authority_id, fiscal_year, code, name, amount) VALUES ($1, 2024, '1', 'ציוד', 1000000) RETURNING id`, a2)
	mustGet(&tender, `
		INSERT INTO tenders (number, title, category, valid_from, valid_until, status, fee_percent, award_rule, confirmation_days)
		VALUES ('07/2024', 'ציוד רפואי', 'ציוד', '2024-01-01', '2026-12-31', 'active', 1, 'single', 5) RETURNING id`)
	mustGet(&supplier, `INSERT INTO suppliers (company_number, legal_name, email) VALUES ('510000011', 'ספק', 's@x.example') RETURNING id`)
	u := webtest.MustUser(t, db, accounts.NewUser{Email: "o@x.example", OrgKind: auth.OrgAuthority, AuthorityID: a1, Roles: []string{auth.RoleOfficer}})
	seq := 0
	order := func(auth, bl int64, status string, submitted string, subtotal string) {
		t.Helper()
		seq++
		var sub any
		if submitted != "" {
			sub = submitted
		}
		_, err := db.Exec(`
			INSERT INTO orders (authority_id, year, seq, number, tender_id, supplier_id, budget_line_id, status,
			                    subtotal, vat, total, submitted_on, created_by)
			VALUES ($1, 2024, $2, $10, $3, $4, $5, $6, $7, 0, $7, $8, $9)`,
			auth, seq, tender, supplier, bl, status, subtotal, sub, u.ID, fmt.Sprint(seq))
		if err != nil {
			t.Fatal(err)
		}
	}
	order(a1, bl1, "draft", "", "100.00")
	order(a1, bl1, "sent", "2024-03-01", "1000.50")
	order(a1, bl1, "closed", "2024-05-01", "2000.25")
	order(a2, bl2, "pending_approval", "2024-12-31", "300.00")
	order(a2, bl2, "rejected", "2024-06-01", "5000.00")
	order(a2, bl2, "cancelled", "2024-06-02", "7000.00")
	order(a1, bl1, "confirmed", "2023-12-31", "9999.00")

	v, err := workplan.NewStore(db).FigureValues(ctx, 2024, calendar.MustParse("2025-01-15"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[workplan.Figure]string{
		workplan.FigureActiveTenders:       "1",
		workplan.FigureOrdersPlaced:        "4", // sent, closed, pending, rejected
		workplan.FigureCommittedVolume:     "3300.75",
		workplan.FigureAuthoritiesOrdering: "2",
	}
	for f, w := range want {
		if !v[f].Equal(decimal.RequireFromString(w)) {
			t.Errorf("%s = %s, want %s", f, v[f], w)
		}
	}
}

func TestExportImportsBackUnchanged(t *testing.T) {
	db := dbtest.New(t)
	s := workplan.NewStore(db)
	mustImportSeed(t, db)
	// A carried-over plan has tasks without phrases: they export as the
	// status's label and must import back as no change too.
	if _, err := s.CarryOver(ctx, 2024, 0); err != nil {
		t.Fatal(err)
	}
	// The export in every language (headers, labels, goal headings) reads
	// back as the same plan.
	for _, lang := range []string{"he", "ar", "en"} {
		for _, year := range []int{2024, 2025} {
			t.Run(fmt.Sprint(lang, year), func(t *testing.T) {
				var buf bytes.Buffer
				if err := s.WritePlanXLSX(ctx, year, lang, &buf); err != nil {
					t.Fatal(err)
				}
				doc, err := workplan.Parse(buf.Bytes())
				if err != nil {
					t.Fatal(describe(err))
				}
				before := snapshot(t, db)
				res, err := s.Import(ctx, year, doc, "export.xlsx", 0)
				if err != nil {
					t.Fatal(describe(err))
				}
				if res.Changed() {
					t.Errorf("re-importing the export changed %+v / %+v", res.Created, res.Updated)
				}
				if snapshot(t, db) != before {
					t.Error("re-importing the export changed the database")
				}
			})
		}
	}
	var buf bytes.Buffer
	if err := s.WriteSummaryXLSX(ctx, 2024, "he", &buf); err != nil || buf.Len() == 0 {
		t.Fatalf("summary export: %v", err)
	}
}

func TestEnginesAndGoalReference(t *testing.T) {
	db := dbtest.New(t)
	s := workplan.NewStore(db)
	if err := workplan.SeedDemo(ctx, db); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, db)
	engines, err := s.Engines(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(engines) != 5 || engines[4].Name != "תיירות" || len(engines[0].Activities) != 6 {
		t.Fatalf("engines = %+v", engines)
	}
	e, err := s.Engine(ctx, engines[4].ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Goals) != 1 || e.Goals[0].Number != "3.4" || e.Goals[0].Year != 2024 {
		t.Errorf("goals of the tourism engine = %+v", e.Goals)
	}
	// The demo again: the plan and the engines stay as they are.
	engs, _ := workplan.ParseStrategy(workplan.StrategyText)
	if err := s.ImportEngines(ctx, workplan.StrategyName, engs); err != nil {
		t.Fatal(err)
	}
	mustImportSeed(t, db)
	if snapshot(t, db) != before {
		t.Error("importing the report and the engines again changed the plan")
	}
	if _, err := s.SetGoalEngine(ctx, 2024, 999999, nil); !apperr.Is(err, apperr.KindNotFound) {
		t.Errorf("missing goal: err = %v", err)
	}
	bad := int64(999999)
	var gid int64
	if err := db.Get(&gid, `SELECT id FROM workplan_goals WHERE number = '3.1'`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetGoalEngine(ctx, 2024, gid, &bad); !apperr.Is(err, apperr.KindInvalid) {
		t.Errorf("missing engine: err = %v", err)
	}
}

func TestSeedDemoTwiceIsNoOp(t *testing.T) {
	db := dbtest.New(t)
	if err := workplan.SeedDemo(ctx, db); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, db)
	if err := workplan.SeedDemo(ctx, db); err != nil {
		t.Fatal(err)
	}
	if snapshot(t, db) != before {
		t.Error("loading the demo work plan again changed it")
	}
}
