package workplan_test

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"

	"madaf/internal/apperr"
	"madaf/internal/fixture"
	"madaf/internal/i18n"
	"madaf/internal/webtest"
	"madaf/workplan"
)

// seedTasksPerGoal is the number of task rows of every goal table of the
// 2024 report, counted on the raw text independently of the parser:
//
//	awk -F'\t' '/^\[bookmark/{...} /^\t/{cells[++n]=...} /^$/{if(n==3 && cells[1]!="משימה") cnt[goal]++; n=0}'
//
// Goal 5.3 has no table.
var seedTasksPerGoal = map[string]int{
	"3.1": 8, "3.2": 8, "3.3": 5, "3.4": 9,
	"4.1": 14, "4.2": 8, "4.3": 6, "4.4": 19,
	"5.1": 3, "5.2": 4, "5.3": 0,
	"6.1": 11, "6.2": 6, "6.3": 8, "6.4": 7,
	"7.1": 7, "7.2": 14, "7.3": 9, "7.4": 6, "7.5": 3, "7.6": 6, "7.7": 2,
}

const seedTasks = 163

// seedStatusCounts is the number of the report's tasks in each canonical
// status, from the phrases counted on the raw text (e.g. done = 76 × "בוצע"
// + "הושלם" + 10 "בוצע - …"/"בוצע במתכונת אחרת").
var seedStatusCounts = map[workplan.Status]int{
	workplan.StatusDone: 87, workplan.StatusPartial: 9, workplan.StatusInProgress: 16,
	workplan.StatusNotStarted: 24, workplan.StatusNotDone: 18, workplan.StatusPostponed: 5,
	workplan.StatusDropped: 2, workplan.StatusNotRelevant: 2,
}

var seedDomains = []string{"תיירות", "סביבה וקיימות", "פיתוח כלכלי", "תשתיות", "חברה וקהילה"}

func TestSeedCopyIsTheReport(t *testing.T) {
	orig, err := os.ReadFile("../../shared/seeds/000_929209016ec74de6.txt")
	if err != nil {
		t.Skip("the shared seed folder is not beside the repository")
	}
	if !bytes.Equal(orig, workplan.Report2024) {
		t.Fatal("workplan/seed/report_2024.txt differs from the seed report")
	}
}

func TestParseTextSeed(t *testing.T) {
	doc, err := workplan.ParseText(workplan.Report2024)
	if err != nil {
		t.Fatalf("parse: %v", describe(err))
	}
	var names []string
	got := map[string]int{}
	statuses := map[workplan.Status]int{}
	total := 0
	for _, d := range doc.Domains {
		names = append(names, d.Name)
		for _, g := range d.Goals {
			if _, dup := got[g.Number]; dup {
				t.Errorf("goal %s twice", g.Number)
			}
			got[g.Number] = len(g.Tasks)
			for _, task := range g.Tasks {
				statuses[task.Status]++
				total++
			}
		}
	}
	if diff := cmp.Diff(seedDomains, names); diff != "" {
		t.Errorf("domains (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(seedTasksPerGoal, got); diff != "" {
		t.Errorf("tasks per goal (-want +got):\n%s", diff)
	}
	if total != seedTasks {
		t.Errorf("tasks = %d, want %d", total, seedTasks)
	}
	if diff := cmp.Diff(seedStatusCounts, statuses); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if !doc.HasNotes || doc.HasOwner {
		t.Errorf("HasNotes=%v HasOwner=%v, want true false", doc.HasNotes, doc.HasOwner)
	}
}

func TestParseTextGoalHeadings(t *testing.T) {
	doc, err := workplan.ParseText(workplan.Report2024)
	if err != nil {
		t.Fatal(describe(err))
	}
	goals := map[string]*workplan.DocGoal{}
	for _, d := range doc.Domains {
		for _, g := range d.Goals {
			goals[g.Number] = g
		}
	}
	ord := func(n int) *int { return &n }
	tests := []struct {
		number  string
		ordinal *int
		part    string
		title   string
	}{
		{"3.1", ord(1), "", "יצירת סיפור אזורי למיתוג נכסי האזור ומיתוג האשכול"},
		{"4.4", ord(4), "", `הקמת מרלו"ג חברתי לוגיסטי-אזורי`},
		{"5.1", nil, "", "מכרזי מדף לשימוש הרשויות"},
		{"5.3", nil, "", "פרויקטים מניבים נוספים בתחילת פיתוח"},
		{"6.1", ord(1), "תחבורה", "הגדלת השימוש בתחבורה ציבורית ושיתופית"},
		{"6.3", ord(3), "תחבורה", "יציאה למכרז על חניוני רכב כבד"},
		{"6.4", nil, "דיגיטציה", "הקמת יכולות דיגיטליות לרשויות"},
		{"7.7", ord(7), "", "שכנים ושכנות (פעילות יהודית-ערבית משולבת)"},
	}
	for _, tt := range tests {
		t.Run(tt.number, func(t *testing.T) {
			g := goals[tt.number]
			if g == nil {
				t.Fatalf("goal %s missing", tt.number)
			}
			if !cmp.Equal(g.Ordinal, tt.ordinal) || g.Part != tt.part || g.Title != tt.title {
				t.Errorf("got ordinal %v part %q title %q, want %v %q %q", deref(g.Ordinal), g.Part, g.Title, deref(tt.ordinal), tt.part, tt.title)
			}
		})
	}
	if !strings.Contains(goals["5.3"].Introduction, "חניון רכב כבד") {
		t.Errorf("5.3 introduction = %q, want the report's list", goals["5.3"].Introduction)
	}
	if !strings.HasPrefix(goals["3.1"].Introduction, "המטרה עברה דיוק ושינוי מיקוד") {
		t.Errorf("3.1 introduction = %q", goals["3.1"].Introduction)
	}
}

func TestParseTextRows(t *testing.T) {
	doc, err := workplan.ParseText(workplan.Report2024)
	if err != nil {
		t.Fatal(describe(err))
	}
	find := func(number, title string) *workplan.DocTask {
		for _, d := range doc.Domains {
			for _, g := range d.Goals {
				if g.Number != number {
					continue
				}
				for _, task := range g.Tasks {
					if task.Title == title {
						return task
					}
				}
			}
		}
		t.Fatalf("task %s %q not found", number, title)
		return nil
	}
	tests := []struct {
		goal, title, phrase string
		status              workplan.Status
		qualifier, notes    string
		line                int
	}{
		{"3.1", "ביצוע שיחה עם 3 חברות פוטנציאליות לחממת תיירות", "בוצע", workplan.StatusDone, "", "", 26},
		{"3.1", "הגשת בקשה לתקציב 'חממת תיירות' / משרד הפנים דרך כרטיס פרויקט", "בוצע", workplan.StatusDone, "", "הבקשה אושרה", 30},
		{"4.2", "התקשרות עם חברת ייעוץ לבחינת הקמת תאגיד אנרגיה ותחנת אגירה אזורית", "בוצע - אפסילון", workplan.StatusDone, "אפסילון", "", 251},
		{"4.3", "קבלת אישור יציאה לדרך", "אישור חלקי", workplan.StatusPartial, "", "אישור לפוטוולטאים; ממתינים לחוזה חתום + התחייבות + סיור אישור תאורה ממשרד האנרגיה", 290},
		{"4.4", "גיוס מנהל פרויקט", `בוצע - גויס ע"י שינוע`, workplan.StatusDone, `גויס ע"י שינוע`, "", 309},
		{"4.1", "התקשרות עם חברת ייעוץ לבניית מכרז משותף לכלל רשויות האשכול", `בשלבי פרסום בל"מ`, workplan.StatusInProgress, `פרסום בל"מ`, "", 196},
		{"6.2", "יציאה למכרז בהתניית מימון מהקרן לשטחים פתוחים", "ממתין לביצוע", workplan.StatusNotStarted, "", "להעביר ל-Q4 / 2025", 496},
		{"3.4", "יציאה למכרזי יזמים וקבלנים", "טרם בוצע", workplan.StatusNotStarted, "", "מוצע ל-2025", 159},
		{"3.3", "קביעת פורום רבעוני קבוע", "ירד מהתוכנית", workplan.StatusDropped, "", "החלטה לאור שינוי מיקוד האשכול", 108},
		{"3.3", "פתיחת קבוצת ווטסאפ משותפת לתיירנים אזוריים", "לא יבוצע", workplan.StatusDropped, "", "חוסר שיתוף פעולה מצד חוף כרמל, פורדיס; באלונה אין ערוץ ישיר; ויתור בעקבות שינוי מיקוד", 120},
		{"6.1", "הצגת המודל למשרד התחבורה ולטכניון", "לא רלוונטי", workplan.StatusNotRelevant, "", "ר' סעיף קודם", 477},
		{"6.1", "הפקת דו\"ח קישוריות לוועדת שילובים", "בוצע במתכונת אחרת", workplan.StatusDone, "במתכונת אחרת", "לא קשור לסקר; טרם בוצע סקר דפוסי תחבורה", 457},
		{"7.4", "גיבוש תפיסת ההפעלה", "נדחה", workplan.StatusPostponed, "", `מצב בריאותי של מנהלת שי"ל אזורית`, 740},
		{"7.6", "בניית מערכת מידע של כל קהלי המטרה וניהול הרשומות", "בתהליך - בזמן", workplan.StatusInProgress, "בזמן", "", 806},
		{"7.7", "ביצוע פעילות יהודית-ערבית משלבת", "לא בוצע", workplan.StatusNotDone, "", "", 825},
	}
	for _, tt := range tests {
		t.Run(tt.goal+" "+tt.phrase, func(t *testing.T) {
			got := find(tt.goal, tt.title)
			want := &workplan.DocTask{Title: tt.title, Phrase: tt.phrase, Status: tt.status, Qualifier: tt.qualifier, Notes: tt.notes, Line: tt.line}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	// The two tasks of 4.1 with the same title are both there, in order.
	n := 0
	for _, d := range doc.Domains {
		for _, g := range d.Goals {
			for _, task := range g.Tasks {
				if g.Number == "4.1" && task.Title == "פרסום המכרז והתקשרות עם קבלן זוכה" {
					n++
				}
			}
		}
	}
	if n != 2 {
		t.Errorf("4.1 has %d tasks titled פרסום המכרז והתקשרות עם קבלן זוכה, want 2", n)
	}
}

func TestParseStatus(t *testing.T) {
	tests := []struct {
		phrase    string
		status    workplan.Status
		qualifier string
		ok        bool
	}{
		{"בוצע", workplan.StatusDone, "", true},
		{" בוצע ", workplan.StatusDone, "", true},
		{"בוצע - אפסילון", workplan.StatusDone, "אפסילון", true},
		{"בוצע – אפסילון", workplan.StatusDone, "אפסילון", true},
		{"בוצע - שוטף", workplan.StatusDone, "שוטף", true},
		{"הושלם", workplan.StatusDone, "", true},
		{"בוצע חלקי", workplan.StatusPartial, "", true},
		{"בוצע חלקית", workplan.StatusPartial, "", true},
		{"בתהליך", workplan.StatusInProgress, "", true},
		{"בביצוע", workplan.StatusInProgress, "", true},
		{"טרם בוצע", workplan.StatusNotStarted, "", true},
		{"ממתין לביצוע", workplan.StatusNotStarted, "", true},
		{"לא בוצע", workplan.StatusNotDone, "", true},
		{"נדחה", workplan.StatusPostponed, "", true},
		{"ירד מהתוכנית", workplan.StatusDropped, "", true},
		{"לא רלוונטי", workplan.StatusNotRelevant, "", true},
		{"in_progress", workplan.StatusInProgress, "", true},
		{"Done", workplan.StatusDone, "", true},
		{"כמעט בוצע", "", "", false},
		{"בוצע-אפסילון", "", "", false},
		{"נדחה ל-2025", "", "", false},
		{"", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.phrase, func(t *testing.T) {
			s, q, ok := workplan.ParseStatus(tt.phrase)
			if s != tt.status || q != tt.qualifier || ok != tt.ok {
				t.Errorf("ParseStatus(%q) = %q %q %v, want %q %q %v", tt.phrase, s, q, ok, tt.status, tt.qualifier, tt.ok)
			}
		})
	}
}

// withPhrase returns the seed report with the status cell of the task on
// line taskLine replaced by phrase.
func withPhrase(t *testing.T, taskLine int, phrase string) []byte {
	t.Helper()
	lines := strings.Split(string(workplan.Report2024), "\n")
	if !strings.HasPrefix(lines[taskLine], "\t") {
		t.Fatalf("line %d is not a status cell: %q", taskLine+1, lines[taskLine])
	}
	lines[taskLine] = "\t" + phrase
	return []byte(strings.Join(lines, "\n"))
}

func TestParseTextUnknownPhrase(t *testing.T) {
	// Line 27 holds the status of the first task of 3.1, line 833+ is
	// table 8.1 (not a task table); line 244 a status in 4.2.
	data := withPhrase(t, 26, "כמעט בוצע")
	data = []byte(strings.Replace(string(data), "\tבוצע חלקי\n\tלא כל הרשויות שיתפו פעולה", "\tבערך\n\tלא כל הרשויות שיתפו פעולה", 1))
	_, err := workplan.ParseText(data)
	if !apperr.Is(err, apperr.KindInvalid) {
		t.Fatalf("err = %v, want invalid", err)
	}
	want := []workplan.Fault{
		{Unit: workplan.UnitLine, N: 27, Msg: apperr.M("workplan.problem_unknown_phrase", "כמעט בוצע")},
		{Unit: workplan.UnitLine, N: 244, Msg: apperr.M("workplan.problem_unknown_phrase", "בערך")},
	}
	if diff := cmp.Diff(want, faultsOf(t, err)); diff != "" {
		t.Errorf("faults (-want +got):\n%s", diff)
	}
}

func TestParseTextFaults(t *testing.T) {
	tests := []struct {
		name, text string
		want       []workplan.Fault
	}{
		{"ErrNoDomain", "1. מבוא\nטקסט\n", []workplan.Fault{{Unit: "line", N: 1, Msg: apperr.M("workplan.problem_no_domain")}}},
		{"ErrShortRow", "1. תחום התיירות\n1.1 מטרה 1 – מיתוג\n\tמשימה\n\tסטטוס סוף שנה\n\tפערים / הערות\n\n\tמשימה א\n\tבוצע\n\n",
			[]workplan.Fault{{Unit: "line", N: 7, Msg: apperr.M("workplan.problem_cells", 3, 2)}}},
		{"ErrTableWithoutGoal", "1. תחום התיירות\n\tמשימה\n\tסטטוס\n\n\tא\n\tבוצע\n\n",
			[]workplan.Fault{{Unit: "line", N: 2, Msg: apperr.M("workplan.problem_table_without_goal")}}},
		{"ErrNoStatus", "1. תחום התיירות\n1.1 מיתוג\n\tמשימה\n\tסטטוס\n\n\tא\n\t\n\n",
			[]workplan.Fault{{Unit: "line", N: 7, Msg: apperr.M("workplan.problem_no_status", "א")}}},
		{"ErrDomainTwice", "1. תחום התיירות\n2. תחום התיירות\n",
			[]workplan.Fault{{Unit: "line", N: 2, Msg: apperr.M("workplan.problem_domain_twice", "תיירות", 1)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := workplan.ParseText([]byte(tt.text))
			if diff := cmp.Diff(tt.want, faultsOf(t, err)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseTextMinimal(t *testing.T) {
	text := "[bookmark: a]1. תחום הפיתוח הכלכלי\nמבוא.\n1.1 מכרזי מדף\n\tמשימה\n\tסטטוס\n\tאחראי\n\n\tפרסום\n\tבוצע - שוטף\n\tדנה\n\n2. סיכום\n\tתחום\n\tבוצע\n\n\tשורה שאינה משימה\n\tבוצע\n\n"
	doc, err := workplan.ParseText([]byte(text))
	if err != nil {
		t.Fatal(describe(err))
	}
	if len(doc.Domains) != 1 || doc.Domains[0].Name != "פיתוח כלכלי" || doc.Domains[0].Introduction != "מבוא." {
		t.Fatalf("domains = %+v", doc.Domains)
	}
	g := doc.Domains[0].Goals
	if len(g) != 1 || len(g[0].Tasks) != 1 {
		t.Fatalf("goals = %+v", g)
	}
	if task := g[0].Tasks[0]; task.Owner != "דנה" || task.Qualifier != "שוטף" || task.Notes != "" {
		t.Errorf("task = %+v", task)
	}
	if doc.HasNotes || !doc.HasOwner {
		t.Errorf("HasNotes=%v HasOwner=%v, want false true", doc.HasNotes, doc.HasOwner)
	}
}

// xlsxOf builds a workbook with rows on its first sheet.
func xlsxOf(t *testing.T, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestParseXLSX(t *testing.T) {
	data := xlsxOf(t, [][]any{
		{"Domain", "Goal", "Task", "Status", "Notes", "Owner"},
		{"תחום התיירות", "3.1 מטרה 1 – מיתוג", "שיחה עם חברות", "בוצע", "", "דנה"},
		{"", "", "קול קורא", "בוצע - אפסילון", "הערה", ""},
		{"תחבורה", "הגדלת השימוש בתחבורה ציבורית (מטרה 1)", "סקר", "לא בוצע", "", ""},
		{},
		{"סביבה וקיימות", "מיצוי אנרגיה", "סקר נקודתי", "בוצע חלקי", "", ""},
	})
	doc, err := workplan.Parse(data)
	if err != nil {
		t.Fatal(describe(err))
	}
	one := 1
	want := &workplan.Document{HasNotes: true, HasOwner: true, Domains: []*workplan.DocDomain{
		{Name: "תיירות", Line: 2, Goals: []*workplan.DocGoal{{Number: "3.1", Ordinal: &one, Title: "מיתוג", Line: 2, Tasks: []*workplan.DocTask{
			{Title: "שיחה עם חברות", Phrase: "בוצע", Status: workplan.StatusDone, Owner: "דנה", Line: 2},
			{Title: "קול קורא", Phrase: "בוצע - אפסילון", Status: workplan.StatusDone, Qualifier: "אפסילון", Notes: "הערה", Line: 3},
		}}}},
		{Name: "תשתיות", Line: 4, Goals: []*workplan.DocGoal{{Ordinal: &one, Part: "תחבורה", Title: "הגדלת השימוש בתחבורה ציבורית", Line: 4, Tasks: []*workplan.DocTask{
			{Title: "סקר", Phrase: "לא בוצע", Status: workplan.StatusNotDone, Line: 4},
		}}}},
		{Name: "סביבה וקיימות", Line: 6, Goals: []*workplan.DocGoal{{Title: "מיצוי אנרגיה", Line: 6, Tasks: []*workplan.DocTask{
			{Title: "סקר נקודתי", Phrase: "בוצע חלקי", Status: workplan.StatusPartial, Line: 6},
		}}}},
	}}
	if diff := cmp.Diff(want, doc); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestParseXLSXFaults(t *testing.T) {
	data := xlsxOf(t, [][]any{
		{"תחום", "מטרה", "משימה", "סטטוס"},
		{"תיירות", "מיתוג", "א", "בוצע"},
		{"תיירות", "מיתוג", "ב", "כמעט"},
		{"", "", "", "בוצע"},
		{"תיירות", "מיתוג", "ד", ""},
	})
	_, err := workplan.Parse(data)
	want := []workplan.Fault{
		{Unit: workplan.UnitRow, N: 3, Msg: apperr.M("workplan.problem_unknown_phrase", "כמעט")},
		{Unit: workplan.UnitRow, N: 4, Msg: apperr.M("workplan.problem_no_title")},
		{Unit: workplan.UnitRow, N: 5, Msg: apperr.M("workplan.problem_no_status", "ד")},
	}
	if diff := cmp.Diff(want, faultsOf(t, err)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	_, err = workplan.Parse(xlsxOf(t, [][]any{{"a", "b"}, {"1", "2"}}))
	if !apperr.Is(err, apperr.KindInvalid) {
		t.Errorf("a sheet without the columns: err = %v, want invalid", err)
	}
}

func TestParseStrategy(t *testing.T) {
	engines, err := workplan.ParseStrategy(workplan.StrategyText)
	if err != nil {
		t.Fatal(err)
	}
	type brief struct {
		Number     int
		Name       string
		Pages      string
		Activities int
	}
	var got []brief
	for _, e := range engines {
		got = append(got, brief{e.Number, e.Name, e.Pages, len(e.Activities)})
	}
	want := []brief{
		{1, "חקלאות מתקדמת בתנאי ספר מדבר", "29–38", 6},
		{2, "תעשיית המדיה", "", 0},
		{3, "שיקום ושילוב בקהילה", "39–46", 6},
		{4, "רהט כמטרופולין ייחודית", "52–61", 6},
		{5, "תיירות", "61–65", 2},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(engines[0].Vision, "הנגב המערבי יהווה מודל לאומי") || strings.Contains(engines[0].Vision, "מתוך התוכנית") {
		t.Errorf("vision = %q", engines[0].Vision)
	}
	if engines[0].Activities[1] != "מיתוג - יצירת מותג משותף הנגב המערבי." {
		t.Errorf("activity = %q", engines[0].Activities[1])
	}
}

// describe spells err out in English, each fault of a refused file on a
// line of its own, for test failures.
func describe(err error) string {
	en := i18n.For("en")
	var refusal *workplan.Refusal
	if errors.As(err, &refusal) {
		s := ""
		for _, f := range refusal.Faults {
			s += "\n  " + en.Msg(f.Where()) + ": " + en.Msg(f.Msg)
		}
		return s
	}
	var ae *apperr.Error
	if !errors.As(err, &ae) {
		return err.Error()
	}
	s := en.Msg(ae.Msg)
	for _, f := range ae.Fields {
		s += "\n  " + f.Field + ": " + en.Msg(f.Msg)
	}
	return s
}

// faultsOf returns the faults of the refused file err reports, failing the
// test when err is no refusal.
func faultsOf(t *testing.T, err error) []workplan.Fault {
	t.Helper()
	var refusal *workplan.Refusal
	if !errors.As(err, &refusal) {
		t.Fatalf("err = %v, want a refused file", err)
	}
	return refusal.Faults
}

func deref(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestParseXLSXLimits(t *testing.T) {
	header := []string{"Domain", "Goal", "Task", "Status"}
	t.Run("ColumnsBeyondZIgnored", func(t *testing.T) {
		data := fixture.RawXLSX(t, 2, func(i int) string {
			row := header
			if i == 2 {
				row = []string{"תיירות", "מיתוג", "קול קורא", "בוצע"}
			}
			return fixture.InlineRow(i, row...) + fmt.Sprintf(`<c r="AB%d"><v>1</v></c><c r="XFD%d"><v>2</v></c>`, i, i)
		})
		doc, err := workplan.Parse(data)
		if err != nil {
			t.Fatal(describe(err))
		}
		if len(doc.Domains) != 1 || len(doc.Domains[0].Goals[0].Tasks) != 1 || doc.Domains[0].Goals[0].Tasks[0].Line != 2 {
			t.Errorf("doc = %+v", doc.Domains)
		}
	})
	t.Run("RowNumbersAfterBlankRows", func(t *testing.T) {
		data := fixture.RawXLSX(t, 9, func(i int) string {
			switch i {
			case 1:
				return fixture.InlineRow(i, header...)
			case 9:
				return fixture.InlineRow(i, "תיירות", "מיתוג", "קול קורא", "כמעט")
			}
			return ""
		})
		_, err := workplan.Parse(data)
		if f := faultsOf(t, err); len(f) != 1 || f[0].Unit != workplan.UnitRow || f[0].N != 9 {
			t.Errorf("err = %v, want the fault on row 9", describe(err))
		}
	})
	t.Run("ErrOnlyTheFirstSheet", func(t *testing.T) {
		f := excelize.NewFile()
		f.SetSheetRow("Sheet1", "A1", &[]any{"הערות בלבד"})
		f.NewSheet("תוכנית")
		f.SetSheetRow("תוכנית", "A1", &[]any{"Domain", "Goal", "Task", "Status"})
		f.SetSheetRow("תוכנית", "A2", &[]any{"תיירות", "מיתוג", "קול קורא", "בוצע"})
		var buf bytes.Buffer
		if err := f.Write(&buf); err != nil {
			t.Fatal(err)
		}
		_, err := workplan.Parse(buf.Bytes())
		if ae, ok := err.(*apperr.Error); !ok || ae.Key != "workplan.xlsx_no_header" {
			t.Errorf("err = %v, want the first sheet refused", err)
		}
	})
}

func TestAPIImportHostileXLSX(t *testing.T) {
	f := newFixture(t)
	files := []struct {
		name, detail string
		data         []byte
	}{
		// 26 KB that a whole-sheet read expands to 4000 rows × 16384 columns.
		{"CellsAtXFD", "row 65 reaches column XFD", fixture.RawXLSX(t, 4000, func(i int) string {
			return fmt.Sprintf(`<c r="XFD%d"><v>1</v></c>`, i)
		})},
		{"TooManyRows", "more than 5000 rows", fixture.RawXLSX(t, 5001, func(i int) string {
			if i == 1 {
				return fixture.InlineRow(i, "Domain", "Goal", "Task", "Status")
			}
			return fixture.InlineRow(i, "תיירות", "מיתוג", fmt.Sprint("משימה ", i), "בוצע")
		})},
	}
	for _, file := range files {
		t.Run(file.name, func(t *testing.T) {
			var r webtest.Response
			alloc := fixture.Allocated(func() { r = f.upload(t, "/api/v1/workplan/2024/import", f.lead, "plan.xlsx", file.data) })
			if r.Code != http.StatusUnprocessableEntity {
				t.Fatalf("%d %s, want 422", r.Code, r.Body)
			}
			if detail, _ := r.Map(t)["detail"].(string); !strings.Contains(detail, file.detail) {
				t.Errorf("detail %q, want it to say %q", detail, file.detail)
			}
			t.Logf("%d-byte file: %d MiB allocated", len(file.data), alloc>>20)
			if alloc > 200<<20 {
				t.Errorf("reading a %d-byte file allocated %d MiB", len(file.data), alloc>>20)
			}
			if n := count(t, f.db, `SELECT count(*) FROM workplan_tasks`); n != 0 {
				t.Errorf("%d tasks imported from a refused file", n)
			}
		})
	}
}
