package workplan_test

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"madaf/accounts"
	"madaf/internal/auth"
	"madaf/internal/page"
	"madaf/internal/page/pagetest"
	"madaf/internal/server"
	"madaf/internal/webtest"
	"madaf/templates"
	"madaf/workplan"
)

// pagesFixture serves the page engine with the work plan pages over a
// database holding the demo work plan, a lead and an authority officer.
func pagesFixture(t *testing.T) (http.Handler, *env) {
	t.Helper()
	f := newFixture(t)
	eng := page.MustNew(templates.FS)
	eng.Mount(f.base.Engine)
	pages := server.Router{Site: f.base.Engine, Pages: eng}
	accounts.Routes{Store: accounts.NewStore(f.db), Sessions: f.base.Auth}.Mount(pages)
	workplan.Routes{Store: workplan.NewStore(f.db)}.Mount(pages)
	return f.base.Engine, f
}

// uploadForm posts a multipart form with a file, as a browser would.
func uploadForm(c *pagetest.Client, path string, fields map[string]string, name string, data []byte) *pagetest.Response {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	req := httptest.NewRequest(http.MethodPost, path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return c.Do(req)
}

func TestPagesImportPlanAndSummary(t *testing.T) {
	h, f := pagesFixture(t)
	lead := pagetest.New(t, h)
	lead.Login("lead@x.example", webtest.Password)
	pagetest.Expect(t, lead.Get("/workplan"), http.StatusOK, "ייבוא תוכנית עבודה", "אין עדיין תוכניות עבודה")

	// A file with an unknown wording is refused with its line, nothing stored.
	r := uploadForm(lead, "/workplan/import", map[string]string{"year": "2024"}, "report.txt", withPhrase(t, 26, "כמעט בוצע"))
	pagetest.Expect(t, r, http.StatusUnprocessableEntity, "הקובץ לא יובא", "שורה 27: ניסוח סטטוס לא מוכר: &#34;כמעט בוצע&#34;")
	if n := count(t, f.db, `SELECT count(*) FROM workplan_tasks`); n != 0 {
		t.Fatalf("%d tasks stored", n)
	}
	pagetest.Expect(t, uploadForm(lead, "/workplan/import", map[string]string{"year": ""}, "report.txt", workplan.Report2024),
		http.StatusUnprocessableEntity, "שדה חובה")

	r = uploadForm(lead, "/workplan/import", map[string]string{"year": "2024"}, "report.txt", workplan.Report2024)
	pagetest.Expect(t, r, http.StatusSeeOther)
	plan := lead.Follow(r)
	pagetest.Expect(t, plan, http.StatusOK, "תוכנית העבודה יובאה", "תוכנית העבודה 2024", "3.1 מטרה 1 – יצירת סיפור אזורי",
		"6.1 תחבורה – הגדלת השימוש בתחבורה ציבורית ושיתופית (מטרה 1)", "בוצע - אפסילון", "התייתר עם אישור החממה")
	if n := strings.Count(plan.Body, `<tr id="task-`); n != seedTasks {
		t.Errorf("the plan page lists %d tasks, want %d", n, seedTasks)
	}
	// Again: nothing changed.
	r = uploadForm(lead, "/workplan/import", map[string]string{"year": "2024"}, "report.txt", workplan.Report2024)
	pagetest.Expect(t, lead.Follow(r), http.StatusOK, "הקובץ כבר מיובא במלואו")

	// Filters: the postponed tasks are the five of goal 7.4.
	filtered := lead.Get("/workplan/2024?status=postponed")
	pagetest.Expect(t, filtered, http.StatusOK, "ניידת מיצוי זכויות שי&#34;ל")
	if n := strings.Count(filtered.Body, `<tr id="task-`); n != 5 {
		t.Errorf("postponed filter lists %d tasks, want 5", n)
	}

	sum := lead.Get("/workplan/2024/summary")
	pagetest.Expect(t, sum, http.StatusOK, "תמונת מצב לפי תחום 2024", "בוצע במלואו", "בביצוע / חלקי", "לא בוצע / נדחה",
		"— תחבורה", "— דיגיטציה", "מטרה 2 – פלטפורמות טכנולוגיות ומיפוי אתרי תיירות</a> (<span class=\"num\">4</span>)")
	if !regexp.MustCompile(`<tfoot><tr><th>סה&#34;כ</th><td class="num">87</td>`).MatchString(sum.Body) {
		t.Errorf("the summary's total row does not start with 87 done\n%s", sum.Body)
	}
}

func TestPagesTaskStatusAndPlanning(t *testing.T) {
	h, f := pagesFixture(t)
	if err := workplan.SeedDemo(ctx, f.db); err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := f.db.Get(&id, `SELECT id FROM workplan_tasks WHERE title = 'יצירת מצגת שיווק לפרויקט'`); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/workplan/2024/tasks/%d", id)
	lead := pagetest.New(t, h)
	lead.Login("lead@x.example", webtest.Password)
	pagetest.Expect(t, lead.Get(path), http.StatusOK, "יצירת מצגת שיווק לפרויקט", "היסטוריית סטטוס", "קובץ: report-2024.txt", `id="status-form"`, `id="plan-form"`)

	pagetest.Expect(t, lead.Post(path+"/status", url.Values{"phrase": {"כמעט"}}), http.StatusUnprocessableEntity, "ניסוח סטטוס לא מוכר")
	pagetest.Expect(t, lead.Post(path+"/status", url.Values{"status": {"in_progress"}, "phrase": {"בתהליך"}}), http.StatusUnprocessableEntity, "למשימה כבר יש הסטטוס בתהליך")
	r := lead.Post(path+"/status", url.Values{"status": {"done"}, "phrase": {"בוצע - סטודיו"}, "notes": {"הוצגה בפורום"}, "note": {"אושרה"}})
	pagetest.Expect(t, r, http.StatusSeeOther)
	pagetest.Expect(t, lead.Follow(r), http.StatusOK, "הסטטוס עודכן", "בוצע - סטודיו", "הוצגה בפורום", "אושרה", "lead@x.example")

	r = lead.Post(path, url.Values{"owner": {"רכזת התיירות"}, "owner_user_id": {fmt.Sprint(f.leadID)}, "due_quarter": {"2"},
		"figure": {"orders_placed"}, "figure_target": {"7"}, "notes": {"הוצגה בפורום"}})
	pagetest.Expect(t, r, http.StatusSeeOther)
	pagetest.Expect(t, lead.Follow(r), http.StatusOK, "המשימה נשמרה", "רכזת התיירות", "Q2", "הזמנות שהוגשו בשנה")
	pagetest.Expect(t, lead.Post(path, url.Values{"due_quarter": {"5"}}), http.StatusUnprocessableEntity, "רבעון 1 עד 4")
	pagetest.Expect(t, lead.Post(path, url.Values{"figure_target": {"3"}}), http.StatusUnprocessableEntity, "יעד דורש בחירת נתון")

	// The shelf-tender task shows its live figure against the target.
	plan := lead.Get("/workplan/2024")
	pagetest.Expect(t, plan, http.StatusOK, "מכרזי מדף פעילים:", `<span class="num">0 / 8</span>`, "מנוע שגשוג:")

	// Carry-over, asked first and then confirmed, then the engines page.
	pagetest.Expect(t, lead.Post("/workplan/2024/carry-over", nil), http.StatusOK, `id="confirm-form"`, "תוכנית 2025 אינה קיימת עדיין")
	r = lead.Post("/workplan/2024/carry-over", url.Values{"confirm": {"1"}})
	pagetest.Expect(t, r, http.StatusSeeOther)
	next := lead.Follow(r)
	pagetest.Expect(t, next, http.StatusOK, "המשימות הפתוחות הועברו", "תוכנית העבודה 2025", "הועברה מ-2024")
	if n := strings.Count(next.Body, `<tr id="task-`); n != 71 { // 72 open, less the task just done
		t.Errorf("the 2025 plan lists %d tasks, want 71", n)
	}
	pagetest.Expect(t, lead.Get("/workplan/engines"), http.StatusOK, "רהט כמטרופולין ייחודית", "תעשיית המדיה", "מטרות המפנות למנוע",
		"תוכנית אסטרטגית במיקוד חדרי אירוח ומלונאות")
}

func TestPagesScope(t *testing.T) {
	h, f := pagesFixture(t)
	mustImportSeed(t, f.db)
	officer := pagetest.New(t, h)
	officer.Login("o@x.example", webtest.Password)
	for _, p := range []string{"/workplan", "/workplan/2024", "/workplan/2024/summary", "/workplan/engines"} {
		if r := officer.Get(p); r.Code != http.StatusNotFound {
			t.Errorf("officer %s: %d, want 404", p, r.Code)
		}
	}
	if r := officer.Post("/workplan/2024/carry-over", nil); r.Code != http.StatusNotFound {
		t.Errorf("officer carry-over: %d", r.Code)
	}
	anon := pagetest.New(t, h)
	if r := anon.Get("/workplan/2024"); r.Code != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/login") {
		t.Errorf("anonymous: %d %s", r.Code, r.Location)
	}
	// English pages.
	// The cluster admin's role requires a second factor.
	const secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	var adminID int64
	if err := f.db.Get(&adminID, `SELECT id FROM users WHERE email = 'admin@x.example'`); err != nil {
		t.Fatal(err)
	}
	if err := accounts.NewStore(f.db).EnrolSecondFactor(context.Background(), adminID, secret); err != nil {
		t.Fatal(err)
	}
	admin := pagetest.New(t, h)
	admin.SecondFactor = func(string) string {
		code, err := auth.TOTPCode(secret, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return code
	}
	admin.Login("admin@x.example", webtest.Password)
	admin.Post("/lang", url.Values{"lang": {"en"}, "next": {"/"}})
	pagetest.Expect(t, admin.Get("/workplan/2024/summary"), http.StatusOK, "Summary by domain 2024", "Done fully", "Not relevant")
}

// langClient signs in a new economic lead who reads the pages in lang.
func langClient(t *testing.T, h http.Handler, f *env, lang string) *pagetest.Client {
	t.Helper()
	email := "lead-" + lang + "@x.example"
	webtest.MustUser(t, f.db, accounts.NewUser{Email: email, OrgKind: auth.OrgCluster, Roles: []string{auth.RoleEconomicLead}, Lang: lang})
	c := pagetest.New(t, h)
	c.Login(email, webtest.Password)
	return c
}

func TestPagesImportRefusalInLanguage(t *testing.T) {
	h, f := pagesFixture(t)
	text := withPhrase(t, 26, "כמעט בוצע")
	sheet := xlsxOf(t, [][]any{
		{"תחום", "מטרה", "משימה", "סטטוס"},
		{"תיירות", "מיתוג", "א", "בוצע"},
		{"תיירות", "מיתוג", "ב", "בערך"},
	})
	tests := []struct {
		lang       string
		text, xlsx []string
	}{
		{"he",
			[]string{`<html lang="he"`, "הקובץ לא יובא", "שורה 27: ניסוח סטטוס לא מוכר: &#34;כמעט בוצע&#34;"},
			[]string{"שורה 3 בגיליון: ניסוח סטטוס לא מוכר: &#34;בערך&#34;"}},
		{"ar",
			[]string{`<html lang="ar"`, "لم يُستورد الملف", "السطر 27: صياغة حالة غير معروفة: &#34;כמעט בוצע&#34;"},
			[]string{"الصف 3 في الورقة: صياغة حالة غير معروفة: &#34;בערך&#34;"}},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			c := langClient(t, h, f, tt.lang)
			r := uploadForm(c, "/workplan/import", map[string]string{"year": "2024"}, "report.txt", text)
			pagetest.Expect(t, r, http.StatusUnprocessableEntity, tt.text...)
			r2 := uploadForm(c, "/workplan/import", map[string]string{"year": "2024"}, "plan.xlsx", sheet)
			pagetest.Expect(t, r2, http.StatusUnprocessableEntity, tt.xlsx...)
			for _, english := range []string{"unknown status", "line 27", "row 3", "workplan."} {
				if r.Contains(english) || r2.Contains(english) {
					t.Errorf("the %s page says %q", tt.lang, english)
				}
			}
		})
	}
	if n := count(t, f.db, `SELECT count(*) FROM workplan_tasks`); n != 0 {
		t.Fatalf("%d tasks stored", n)
	}
}

func TestPagesHistoryShowsStatusLabels(t *testing.T) {
	h, f := pagesFixture(t)
	mustImportSeed(t, f.db)
	var id int64
	if err := f.db.Get(&id, `SELECT id FROM workplan_tasks WHERE title = 'יצירת מצגת שיווק לפרויקט'`); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/workplan/2024/tasks/%d", id)
	he := langClient(t, h, f, "he")
	r := he.Post(path+"/status", url.Values{"status": {"done"}})
	pagetest.Expect(t, r, http.StatusSeeOther)
	tests := []struct {
		lang   string
		client *pagetest.Client
		change string
	}{
		{"he", he, "בתהליך → <strong>בוצע</strong>"},
		{"ar", langClient(t, h, f, "ar"), "قيد التنفيذ → <strong>منجز</strong>"},
		{"en", langClient(t, h, f, "en"), "In progress → <strong>Done</strong>"},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			page := tt.client.Get(path)
			pagetest.Expect(t, page, http.StatusOK, tt.change)
			for _, raw := range []string{"workplan.status", "workplan_status", "0x"} {
				if page.Contains(raw) {
					t.Errorf("the history shows %q", raw)
				}
			}
		})
	}
}
