package workplan_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/xuri/excelize/v2"

	"madaf/accounts"
	"madaf/internal/auth"
	"madaf/internal/dbtest"
	"madaf/internal/server"
	"madaf/internal/webtest"
	"madaf/workplan"
)

type env struct {
	db     *sqlx.DB
	base   *server.Base
	lead   string // economic lead's token
	admin  string // cluster admin's token
	other  string // an authority officer's token
	leadID int64
}

func newFixture(t *testing.T) *env {
	t.Helper()
	db := dbtest.New(t)
	base := webtest.NewBase(t, db)
	workplan.Routes{Store: workplan.NewStore(db)}.Mount(server.Router{API: base.API})
	lead := webtest.MustUser(t, db, accounts.NewUser{Email: "lead@x.example", OrgKind: auth.OrgCluster, Roles: []string{auth.RoleEconomicLead}})
	admin := webtest.MustUser(t, db, accounts.NewUser{Email: "admin@x.example", OrgKind: auth.OrgCluster, Roles: []string{auth.RoleClusterAdmin}})
	var authority int64
	if err := db.Get(&authority, `INSERT INTO authorities (code, name_he, kind) VALUES ('9300', 'זכרון יעקב', 'local_council') RETURNING id`); err != nil {
		t.Fatal(err)
	}
	officer := webtest.MustUser(t, db, accounts.NewUser{Email: "o@x.example", OrgKind: auth.OrgAuthority, AuthorityID: authority, Roles: []string{auth.RoleOfficer}})
	return &env{db: db, base: base, leadID: lead.ID,
		lead: webtest.MustToken(t, db, lead.ID), admin: webtest.MustToken(t, db, admin.ID), other: webtest.MustToken(t, db, officer.ID)}
}

func (f *env) do(method, path, token string, body any, headers ...string) webtest.Response {
	return webtest.Do(f.base.Engine, method, path, token, body, headers...)
}

// upload posts data as the multipart field "file".
func (f *env) upload(t *testing.T, path, token, name string, data []byte) webtest.Response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	req := httptest.NewRequest(http.MethodPost, path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	w := httptest.NewRecorder()
	f.base.Engine.ServeHTTP(w, req)
	return webtest.Response{ResponseRecorder: w}
}

func TestAPIImportAndSummary(t *testing.T) {
	f := newFixture(t)
	r := f.upload(t, "/api/v1/workplan/2024/import", f.lead, "report.txt", workplan.Report2024)
	if r.Code != http.StatusOK {
		t.Fatalf("import: %d %s", r.Code, r.Body)
	}
	var res workplan.ImportResult
	r.JSON(t, &res)
	if res.Created.Tasks != seedTasks || res.Goals != 22 || res.Domains != 5 {
		t.Errorf("import = %+v", res)
	}
	// The same file as a raw body: no change.
	r = f.do("POST", "/api/v1/workplan/2024/import", f.lead, workplan.Report2024)
	r.JSON(t, &res)
	if r.Code != http.StatusOK || res.Created != (workplan.Changes{}) || res.Updated != (workplan.Changes{}) {
		t.Errorf("re-import: %d %+v", r.Code, res)
	}

	r = f.do("GET", "/api/v1/workplan/2024/summary", f.lead, nil)
	if r.Code != http.StatusOK {
		t.Fatalf("summary: %d %s", r.Code, r.Body)
	}
	var sum struct {
		Domains []struct {
			Name    string         `json:"name"`
			Counts  map[string]int `json:"counts"`
			Total   int            `json:"total"`
			Buckets map[string]struct {
				Tasks int `json:"tasks"`
				Goals []struct {
					Number string `json:"number"`
					Tasks  int    `json:"tasks"`
				} `json:"goals"`
			} `json:"buckets"`
		} `json:"domains"`
		Total struct {
			Counts map[string]int `json:"counts"`
			Total  int            `json:"total"`
		} `json:"total"`
	}
	r.JSON(t, &sum)
	if len(sum.Domains) != 5 || sum.Total.Total != seedTasks || sum.Total.Counts["done"] != 87 || sum.Total.Counts["not_relevant"] != 2 {
		t.Errorf("summary = %+v", sum)
	}
	for _, d := range sum.Domains {
		n := 0
		for _, c := range d.Counts {
			n += c
		}
		if n != d.Total || len(d.Counts) != 8 {
			t.Errorf("%s: counts %v add to %d, total %d", d.Name, d.Counts, n, d.Total)
		}
	}
	if got := sum.Domains[2]; got.Name != "פיתוח כלכלי" || got.Buckets["done_fully"].Tasks != 4 ||
		got.Buckets["in_progress_or_partial"].Tasks != 2 || got.Buckets["not_done_or_postponed"].Tasks != 1 {
		t.Errorf("economic development = %+v", got)
	}

	// The plan with filters.
	r = f.do("GET", "/api/v1/workplan/2024?status=postponed", f.lead, nil)
	var plan struct {
		Year    int `json:"year"`
		Domains []struct {
			Name  string `json:"name"`
			Goals []struct {
				Number string `json:"number"`
				Tasks  []struct {
					ID     int64  `json:"id"`
					Status string `json:"status"`
					Phrase string `json:"status_phrase"`
				} `json:"tasks"`
			} `json:"goals"`
		} `json:"domains"`
	}
	r.JSON(t, &plan)
	if r.Code != http.StatusOK || len(plan.Domains) != 1 || plan.Domains[0].Name != "חברה וקהילה" ||
		len(plan.Domains[0].Goals) != 1 || plan.Domains[0].Goals[0].Number != "7.4" || len(plan.Domains[0].Goals[0].Tasks) != 5 {
		t.Errorf("postponed: %d %+v", r.Code, plan)
	}
	if r := f.do("GET", "/api/v1/workplan/2024?status=nearly", f.lead, nil); r.Code != http.StatusUnprocessableEntity {
		t.Errorf("bad status filter: %d", r.Code)
	}

	for _, path := range []string{"/api/v1/workplan/2024/plan.xlsx", "/api/v1/workplan/2024/summary.xlsx"} {
		r = f.do("GET", path, f.lead, nil)
		if r.Code != http.StatusOK || !strings.HasPrefix(r.Header().Get("Content-Type"), "application/vnd.openxmlformats") {
			t.Fatalf("%s: %d %s", path, r.Code, r.Header())
		}
		x, err := excelize.OpenReader(bytes.NewReader(r.Body.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := x.GetRows(x.GetSheetList()[0])
		want := seedTasks + 1
		if strings.Contains(path, "summary") {
			want = 5 + 2 + 2 // domains, the two parts of תשתיות, header and total
		}
		if len(rows) != want {
			t.Errorf("%s: %d rows, want %d", path, len(rows), want)
		}
	}
}

func TestAPIImportUnknownPhrase(t *testing.T) {
	f := newFixture(t)
	r := f.upload(t, "/api/v1/workplan/2024/import", f.lead, "report.txt", withPhrase(t, 26, "כמעט בוצע"))
	if r.Code != http.StatusUnprocessableEntity {
		t.Fatalf("import: %d %s", r.Code, r.Body)
	}
	m := r.Map(t)
	errs, _ := m["errors"].([]any)
	if len(errs) != 1 || fmt.Sprint(errs[0]) != `map[code:workplan.problem_unknown_phrase field:line 27 message:unknown status phrase "כמעט בוצע"]` {
		t.Errorf("errors = %v", m["errors"])
	}
	if m["code"] != "workplan.file_refused" || m["detail"] != "the file has 1 problem(s); nothing was imported" {
		t.Errorf("code %v, detail %v", m["code"], m["detail"])
	}
	if n := count(t, f.db, `SELECT count(*) FROM workplan_tasks`); n != 0 {
		t.Errorf("%d tasks stored", n)
	}
	if r := f.do("GET", "/api/v1/workplan/2024", f.lead, nil); r.Code != http.StatusNotFound {
		t.Errorf("plan after a refused import: %d", r.Code)
	}
}

func TestAPIStatusUpdateAndHistory(t *testing.T) {
	f := newFixture(t)
	mustImportSeed(t, f.db)
	var id int64
	if err := f.db.Get(&id, `SELECT id FROM workplan_tasks WHERE title = 'יצירת מצגת שיווק לפרויקט'`); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/api/v1/workplan/2024/tasks/%d", id)
	r := f.do("POST", path+"/status", f.admin, map[string]any{"phrase": "בוצע - סטודיו", "note": "הוצגה לרשויות"})
	if r.Code != http.StatusOK {
		t.Fatalf("status: %d %s", r.Code, r.Body)
	}
	m := r.Map(t)
	if m["status"] != "done" || m["qualifier"] != "סטודיו" || m["domain"].(map[string]any)["name"] != "תיירות" {
		t.Errorf("task = %v", m)
	}
	r = f.do("GET", path+"/history", f.lead, nil)
	var hist struct {
		Items []struct {
			Source     string  `json:"source"`
			FromStatus *string `json:"from_status"`
			ToStatus   string  `json:"to_status"`
			UserName   *string `json:"user_name"`
			Note       string  `json:"note"`
		} `json:"items"`
	}
	r.JSON(t, &hist)
	if len(hist.Items) != 2 || hist.Items[0].Source != "import" || hist.Items[1].ToStatus != "done" ||
		*hist.Items[1].FromStatus != "in_progress" || *hist.Items[1].UserName != "admin@x.example" || hist.Items[1].Note != "הוצגה לרשויות" {
		t.Errorf("history = %+v", hist)
	}

	tests := []struct {
		name string
		body any
		code int
	}{
		{"ErrNoStatus", map[string]any{"note": "x"}, http.StatusUnprocessableEntity},
		{"ErrUnknownStatus", map[string]any{"status": "finished"}, http.StatusUnprocessableEntity},
		{"ErrUnknownPhrase", map[string]any{"phrase": "כמעט"}, http.StatusUnprocessableEntity},
		{"ErrPhraseDisagrees", map[string]any{"status": "done", "phrase": "נדחה"}, http.StatusUnprocessableEntity},
		{"ErrUnknownField", map[string]any{"status": "done", "when": "now"}, http.StatusBadRequest},
		{"ErrSameStatus", map[string]any{"status": "done", "phrase": "בוצע - סטודיו"}, http.StatusConflict},
		{"Postponed", map[string]any{"status": "postponed", "notes": "ל-2025"}, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r := f.do("POST", path+"/status", f.lead, tt.body); r.Code != tt.code {
				t.Errorf("%d %s, want %d", r.Code, r.Body, tt.code)
			}
		})
	}
	if r := f.do("POST", "/api/v1/workplan/2025/tasks/"+fmt.Sprint(id)+"/status", f.lead, map[string]any{"status": "done"}); r.Code != http.StatusNotFound {
		t.Errorf("task under another year: %d", r.Code)
	}
}

func TestAPIPatchTaskOwnerAndFigure(t *testing.T) {
	f := newFixture(t)
	mustImportSeed(t, f.db)
	var id int64
	if err := f.db.Get(&id, `SELECT id FROM workplan_tasks WHERE title LIKE 'פרסום מכרזי מדף לרשויות%'`); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/api/v1/workplan/2024/tasks/%d", id)
	r := f.do("PATCH", path, f.lead, map[string]any{"owner": "מנהלת הפיתוח הכלכלי", "owner_user_id": f.leadID,
		"due_quarter": 4, "figure": "active_tenders", "figure_target": "8"})
	if r.Code != http.StatusOK {
		t.Fatalf("patch: %d %s", r.Code, r.Body)
	}
	m := r.Map(t)
	fig, _ := m["figure"].(map[string]any)
	if m["owner"] != "מנהלת הפיתוח הכלכלי" || m["due_quarter"] != 4.0 || fig["key"] != "active_tenders" || fig["target"] != "8" || fig["actual"] != "0" {
		t.Errorf("task = %v", m)
	}
	// Filter by owner.
	r = f.do("GET", "/api/v1/workplan/2024?owner="+url.QueryEscape("מנהלת הפיתוח הכלכלי"), f.lead, nil)
	if !strings.Contains(r.Body.String(), `"title":"פרסום מכרזי מדף לרשויות`) || strings.Count(r.Body.String(), `"status_phrase"`) != 1 {
		t.Errorf("owner filter: %s", r.Body)
	}
	tests := []struct {
		name string
		body any
		code int
	}{
		{"ErrQuarter", map[string]any{"due_quarter": 5}, http.StatusUnprocessableEntity},
		{"ErrFigure", map[string]any{"figure": "happiness"}, http.StatusUnprocessableEntity},
		{"ErrOwnerNotCluster", map[string]any{"owner_user_id": 999999}, http.StatusUnprocessableEntity},
		{"ClearFigure", map[string]any{"figure": nil}, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r := f.do("PATCH", path, f.lead, tt.body); r.Code != tt.code {
				t.Errorf("%d %s, want %d", r.Code, r.Body, tt.code)
			}
		})
	}
	if n := count(t, f.db, `SELECT count(*) FROM workplan_tasks WHERE id = $1 AND figure IS NULL AND figure_target IS NULL AND owner_user_id = $2`, id, f.leadID); n != 1 {
		t.Error("clearing the figure did not clear its target, or lost the owner")
	}
}

func TestAPIScope(t *testing.T) {
	f := newFixture(t)
	mustImportSeed(t, f.db)
	var id int64
	if err := f.db.Get(&id, `SELECT min(id) FROM workplan_tasks`); err != nil {
		t.Fatal(err)
	}
	task := fmt.Sprintf("/api/v1/workplan/2024/tasks/%d", id)
	paths := []struct{ method, path string }{
		{"GET", "/api/v1/workplan"},
		{"GET", "/api/v1/workplan/2024"},
		{"GET", "/api/v1/workplan/2024/summary"},
		{"GET", "/api/v1/workplan/2024/plan.xlsx"},
		{"GET", task},
		{"GET", task + "/history"},
		{"POST", task + "/status"},
		{"POST", "/api/v1/workplan/2024/carry-over"},
		{"GET", "/api/v1/workplan/engines"},
	}
	for _, p := range paths {
		if r := f.do(p.method, p.path, f.other, map[string]any{"status": "done"}); r.Code != http.StatusNotFound {
			t.Errorf("authority user %s %s: %d, want 404", p.method, p.path, r.Code)
		}
		if r := f.do(p.method, p.path, "", nil); r.Code != http.StatusUnauthorized {
			t.Errorf("anonymous %s %s: %d, want 401", p.method, p.path, r.Code)
		}
	}
	if r := f.do("GET", "/api/v1/workplan/1999", f.lead, nil); r.Code != http.StatusNotFound {
		t.Errorf("year 1999: %d", r.Code)
	}
	if r := f.do("GET", "/api/v1/workplan/abc/summary", f.lead, nil); r.Code != http.StatusNotFound {
		t.Errorf("year abc: %d", r.Code)
	}
	r := f.do("GET", "/api/v1/workplan", f.lead, nil)
	if r.Code != http.StatusOK || !strings.Contains(r.Body.String(), `"year":2024`) || !strings.Contains(r.Body.String(), `"tasks":163`) {
		t.Errorf("plans: %d %s", r.Code, r.Body)
	}
}

func TestAPICarryOverAndEngines(t *testing.T) {
	f := newFixture(t)
	if err := workplan.SeedDemo(ctx, f.db); err != nil {
		t.Fatal(err)
	}
	// An open task bound to a figure keeps it in the next year.
	var open int64
	if err := f.db.Get(&open, `SELECT id FROM workplan_tasks WHERE title = 'הסדרת בירוקרטיה והנגשת המכרזים לרשויות'`); err != nil {
		t.Fatal(err)
	}
	r := f.do("PATCH", fmt.Sprintf("/api/v1/workplan/2024/tasks/%d", open), f.admin, map[string]any{"figure": "authorities_ordering", "figure_target": 8})
	if r.Code != http.StatusOK {
		t.Fatalf("patch: %d %s", r.Code, r.Body)
	}
	r = f.do("POST", "/api/v1/workplan/2024/carry-over", f.lead, nil)
	if r.Code != http.StatusOK || r.Map(t)["carried"] != 72.0 {
		t.Fatalf("carry-over: %d %s", r.Code, r.Body)
	}
	r = f.do("GET", "/api/v1/workplan/2025/summary", f.lead, nil)
	if r.Code != http.StatusOK || !strings.Contains(r.Body.String(), `"total":{"counts":{"done":0,"dropped":0,"in_progress":25,"not_done":0,"not_relevant":0,"not_started":47,"partial":0,"postponed":0},"total":72}`) {
		t.Errorf("2025 summary: %s", r.Body)
	}
	r = f.do("GET", "/api/v1/workplan/2025?status=in_progress", f.lead, nil)
	if !strings.Contains(r.Body.String(), `"figure":{"key":"authorities_ordering","target":"8","actual":"0","reached":false}`) {
		t.Errorf("carried figure missing: %s", r.Body)
	}

	r = f.do("GET", "/api/v1/workplan/engines", f.lead, nil)
	var engines struct {
		Items []struct {
			ID         int64    `json:"id"`
			Number     int      `json:"number"`
			Name       string   `json:"name"`
			Activities []string `json:"activities"`
		} `json:"items"`
	}
	r.JSON(t, &engines)
	if r.Code != http.StatusOK || len(engines.Items) != 5 || engines.Items[1].Name != "תעשיית המדיה" {
		t.Fatalf("engines: %d %s", r.Code, r.Body)
	}
	var gid int64
	if err := f.db.Get(&gid, `SELECT g.id FROM workplan_goals g JOIN workplan_plans p ON p.id = g.plan_id WHERE p.year = 2024 AND g.number = '4.4'`); err != nil {
		t.Fatal(err)
	}
	r = f.do("PUT", fmt.Sprintf("/api/v1/workplan/2024/goals/%d/engine", gid), f.lead, map[string]any{"engine_id": engines.Items[2].ID})
	if r.Code != http.StatusOK || !strings.Contains(r.Body.String(), `"name":"שיקום ושילוב בקהילה"`) {
		t.Errorf("goal engine: %d %s", r.Code, r.Body)
	}
	r = f.do("GET", fmt.Sprintf("/api/v1/workplan/engines/%d", engines.Items[2].ID), f.lead, nil)
	if r.Code != http.StatusOK || !strings.Contains(r.Body.String(), `"number":"4.4"`) {
		t.Errorf("engine: %d %s", r.Code, r.Body)
	}
}

// sheetRows reads the rows of a workbook's first sheet and its name.
func sheetRows(t *testing.T, data []byte) (string, [][]string) {
	t.Helper()
	x, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	name := x.GetSheetList()[0]
	rows, err := x.GetRows(name)
	if err != nil {
		t.Fatal(err)
	}
	return name, rows
}

func TestAPIExportInCallersLanguage(t *testing.T) {
	f := newFixture(t)
	mustImportSeed(t, f.db)
	en := webtest.MustUser(t, f.db, accounts.NewUser{Email: "en@x.example", OrgKind: auth.OrgCluster,
		Roles: []string{auth.RoleEconomicLead}, Lang: "en"})
	tests := []struct {
		lang, token   string
		planSheet     string
		planHeader    []string
		firstRow      []string // domain, part, goal, task, status, notes, owner, canonical status
		summarySheet  string
		summaryHeader []string
	}{
		{"he", f.lead, "תוכנית",
			[]string{"תחום", "חלק", "מטרה", "משימה", "סטטוס", "פערים / הערות", "אחראי", "סטטוס קנוני", "פירוט", "רבעון יעד", "הועברה משנת", "נתון חי", "יעד"},
			[]string{"תיירות", "", "3.1 מטרה 1 – יצירת סיפור אזורי למיתוג נכסי האזור ומיתוג האשכול", "ביצוע שיחה עם 3 חברות פוטנציאליות לחממת תיירות", "בוצע", "", "", "בוצע"},
			"תמונת מצב",
			[]string{"תחום", "בוצע במלואו", "בביצוע / חלקי", "לא בוצע / נדחה", "בוצע", "בוצע חלקית", "בתהליך", "טרם בוצע", "לא בוצע", "נדחה", "ירד מהתוכנית", "לא רלוונטי", `סה"כ`}},
		{"en", webtest.MustToken(t, f.db, en.ID), "plan",
			[]string{"Domain", "Part", "Goal", "Task", "Status", "Gaps / notes", "Owner", "Canonical status", "Qualifier", "Due quarter", "Carried from year", "Live figure", "Target"},
			[]string{"תיירות", "", "3.1 Goal 1 – יצירת סיפור אזורי למיתוג נכסי האזור ומיתוג האשכול", "ביצוע שיחה עם 3 חברות פוטנציאליות לחממת תיירות", "בוצע", "", "", "Done"},
			"summary",
			[]string{"Domain", "Done fully", "In progress / partial", "Not done / postponed", "Done", "Partial", "In progress", "Not started", "Not done", "Postponed", "Dropped", "Not relevant", "Total"}},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			r := f.do("GET", "/api/v1/workplan/2024/plan.xlsx", tt.token, nil)
			if r.Code != http.StatusOK {
				t.Fatalf("plan.xlsx: %d %s", r.Code, r.Body)
			}
			data := r.Body.Bytes()
			sheet, rows := sheetRows(t, data)
			if sheet != tt.planSheet || !slices.Equal(rows[0], tt.planHeader) {
				t.Errorf("plan sheet %q, header %q; want %q, %q", sheet, rows[0], tt.planSheet, tt.planHeader)
			}
			if !slices.Equal(rows[1][:len(tt.firstRow)], tt.firstRow) {
				t.Errorf("first task %q, want %q", rows[1], tt.firstRow)
			}
			// The export imports back as no change, whatever its language.
			r = f.upload(t, "/api/v1/workplan/2024/import", tt.token, "plan.xlsx", data)
			var res workplan.ImportResult
			r.JSON(t, &res)
			if r.Code != http.StatusOK || res.Changed() || res.Unchanged != seedTasks {
				t.Errorf("re-import: %d %+v", r.Code, res)
			}

			r = f.do("GET", "/api/v1/workplan/2024/summary.xlsx", tt.token, nil)
			if r.Code != http.StatusOK {
				t.Fatalf("summary.xlsx: %d %s", r.Code, r.Body)
			}
			sheet, rows = sheetRows(t, r.Body.Bytes())
			if sheet != tt.summarySheet || !slices.Equal(rows[0], tt.summaryHeader) {
				t.Errorf("summary sheet %q, header %q; want %q, %q", sheet, rows[0], tt.summarySheet, tt.summaryHeader)
			}
			if last := rows[len(rows)-1]; last[0] != tt.summaryHeader[len(tt.summaryHeader)-1] {
				t.Errorf("total row starts %q", last[0])
			}
		})
	}
}
