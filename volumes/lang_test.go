package volumes_test

import (
	"bytes"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"madaf/internal/auth"
	"madaf/internal/i18n"
	"madaf/internal/orderstatus"
	"madaf/internal/page"
	"madaf/internal/server"
	"madaf/internal/webtest"
	"madaf/templates"
)

// mustUserIn adds a user of org reading lang.
func (w *world) mustUserIn(lang, org string, orgID int64, roles ...string) user {
	w.t.Helper()
	u := w.mustUser(org, orgID, roles...)
	if _, err := w.db.Exec(`UPDATE users SET lang = $1 WHERE id = $2`, lang, u.ID); err != nil {
		w.t.Fatal(err)
	}
	u.P.Lang = lang
	return u
}

// nameAuthorities gives the world's authorities their Arabic and English
// names.
func (w *world) nameAuthorities() {
	w.t.Helper()
	for id, names := range map[int64][2]string{w.a: {"زخرون يعقوب", "Zikhron Yaakov"}, w.b: {"كفر قرع", "Kafr Qara"}} {
		if _, err := w.db.Exec(`UPDATE authorities SET name_ar = $1, name_en = $2 WHERE id = $3`, names[0], names[1], id); err != nil {
			w.t.Fatal(err)
		}
	}
}

// TestExportsInTheReadersLanguage: an export's headers, sheet names, totals
// label, statuses and authority names are in the language of the user who
// downloads it, Hebrew for a Hebrew reader.
func TestExportsInTheReadersLanguage(t *testing.T) {
	w := newWorld(t)
	w.nameAuthorities()
	w.at("2026-03-09", 9, 0)
	w.create(w.a, w.medical, 0, "1").submit()
	readers := []struct {
		lang        string
		u           user
		headers     []string
		total       string
		authority   string
		sheets      []string
		rightToLeft bool
	}{
		{"he", w.lead, []string{"מספר הזמנה", "סטטוס", "תאריך הגשה", "רשות", "מכרז", "שם המכרז", "קטגוריה", "ספק",
			`סכום לפני מע"מ`, `מע"מ`, `סה"כ כולל מע"מ`, "עמלה צפויה"}, `סה"כ`, "זכרון יעקב",
			[]string{"לפי מכרז", "לפי רשות", "לפי ספק", "לפי קטגוריה", "לפי חודש"}, true},
		{"ar", w.mustUserIn("ar", auth.OrgCluster, 0, auth.RoleEconomicLead), []string{"رقم الطلبية", "الحالة", "تاريخ التقديم",
			"السلطة", "المناقصة", "اسم المناقصة", "الفئة", "المورّد", "المبلغ قبل ض.ق.م", "ض.ق.م", "المجموع شاملًا ض.ق.م",
			"رسوم الإدارة المتوقعة"}, "المجموع", "زخرون يعقوب",
			[]string{"حسب المناقصة", "حسب السلطة", "حسب المورّد", "حسب الفئة", "حسب الشهر"}, true},
		{"en", w.mustUserIn("en", auth.OrgCluster, 0, auth.RoleEconomicLead), []string{"Order number", "Status", "Submitted on",
			"Authority", "Tender", "Tender title", "Category", "Supplier", "Amount excl. VAT", "VAT", "Total incl. VAT",
			"Expected management fee"}, "Total", "Zikhron Yaakov",
			[]string{"By tender", "By authority", "By supplier", "By category", "By month"}, false},
	}
	for _, r := range readers {
		t.Run(r.lang, func(t *testing.T) {
			recs := readCSV(t, w.download(t, r.u, "/api/v1/exports/orders.csv", "text/csv"))
			if !slices.Equal(recs[0], r.headers) {
				t.Errorf("headers %q\nwant %q", recs[0], r.headers)
			}
			if len(recs) != 3 {
				t.Fatalf("orders.csv: %q", recs)
			}
			// The status as the pages name it.
			status := i18n.For(r.lang).Enum("order_status", orderstatus.PendingApproval)
			if row := recs[1]; row[1] != status || strings.HasPrefix(status, "order_status.") || row[3] != r.authority {
				t.Errorf("status %q, authority %q; want %q, %q", row[1], row[3], status, r.authority)
			}
			if last := recs[2]; last[0] != r.total {
				t.Errorf("totals row %q, want the label %q", last, r.total)
			}

			f, err := excelize.OpenReader(bytes.NewReader(w.download(t, r.u, "/api/v1/exports/volumes.xlsx", "")))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if got := f.GetSheetList(); !slices.Equal(got, r.sheets) {
				t.Errorf("sheets %q, want %q", got, r.sheets)
			}
			view, err := f.GetSheetView(r.sheets[0], 0)
			if err != nil || view.RightToLeft == nil || *view.RightToLeft != r.rightToLeft {
				t.Errorf("%s: right to left %v, want %v", r.sheets[0], view.RightToLeft, r.rightToLeft)
			}
		})
	}
}

// TestDashboardNamesAuthoritiesInTheReadersLanguage: every authority the
// economic lead's dashboard names (its volumes, its alerts, its recent
// orders) is named in the reader's language.
func TestDashboardNamesAuthoritiesInTheReadersLanguage(t *testing.T) {
	w := newWorld(t)
	w.script()
	w.nameAuthorities()
	eng := page.MustNew(templates.FS)
	eng.Mount(w.base.Engine)
	w.h.Mount(server.Router{Site: w.base.Engine, Pages: eng})

	// The script leaves an allocation alert for A and overdue orders of
	// both authorities, whatever day the test runs on.
	a, err := w.h.Store.Alerts(ctx, w.mustUserIn("ar", auth.OrgCluster, 0, auth.RoleEconomicLead).P, w.today())
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Allocations) != 1 || a.Allocations[0].AuthorityName != "زخرون يعقوب" {
		t.Fatalf("allocation alerts %+v, want A's in Arabic", a.Allocations)
	}

	for _, r := range []struct {
		lang        string
		names, none []string
	}{
		{"he", []string{"זכרון יעקב", "כפר קרע"}, []string{"زخرون يعقوب", "كفر قرع"}},
		{"ar", []string{"زخرون يعقوب", "كفر قرع"}, []string{"זכרון יעקב", "כפר קרע"}},
	} {
		t.Run(r.lang, func(t *testing.T) {
			u := w.mustUserIn(r.lang, auth.OrgCluster, 0, auth.RoleEconomicLead)
			res := webtest.Do(w.base.Engine, "GET", "/dashboard?year=2026", u.Token, nil)
			body := res.Body.String()
			if res.Code != http.StatusOK {
				t.Fatalf("status %d\n%s", res.Code, body)
			}
			for _, section := range [][2]string{{`<section id="alerts">`, "</section>"},
				{`<table class="volumes" id="volumes-authority">`, "</table>"}, {`<table id="recent-orders">`, "</table>"}} {
				part := between(body, section[0], section[1])
				if part == "" {
					t.Fatalf("the dashboard lacks %s\n%s", section[0], body)
				}
				for _, n := range r.names {
					if !strings.Contains(part, n) {
						t.Errorf("%s does not name %q\n%s", section[0], n, part)
					}
				}
			}
			for _, n := range r.none {
				if strings.Contains(body, n) {
					t.Errorf("the dashboard in %s names an authority %q", r.lang, n)
				}
			}
		})
	}
}

// between is the part of s from start to the first end after it, or ""
// when s lacks start.
func between(s, start, end string) string {
	i := strings.Index(s, start)
	if i < 0 {
		return ""
	}
	if j := strings.Index(s[i:], end); j >= 0 {
		return s[i : i+j]
	}
	return s[i:]
}

// TestTenderTitlesInTheReadersLanguage: the orders, volumes and fees
// exports and the volume figures name a tender, and the orders export its
// category, in the language of the user who asks, the Hebrew where the
// tender has none in it.
func TestTenderTitlesInTheReadersLanguage(t *testing.T) {
	w := newWorld(t)
	var title, category string
	if err := w.db.QueryRow(`UPDATE tenders SET title_ar = 'معدات طبية', title_en = 'Medical equipment', category_ar = 'طب',
		category_en = 'Medicine' WHERE id = $1 RETURNING title, category`, w.medical.ID).Scan(&title, &category); err != nil {
		t.Fatal(err)
	}
	w.at("2026-03-09", 9, 0)
	w.create(w.a, w.medical, 0, "1").submit().sign()
	for _, r := range []struct {
		lang, title, category string
	}{
		{"he", title, category},
		{"ar", "معدات طبية", "طب"},
		{"en", "Medical equipment", "Medicine"},
	} {
		t.Run(r.lang, func(t *testing.T) {
			u := w.mustUserIn(r.lang, auth.OrgCluster, 0, auth.RoleEconomicLead)
			recs := readCSV(t, w.download(t, u, "/api/v1/exports/orders.csv", "text/csv"))
			if len(recs) != 3 || recs[1][5] != r.title || recs[1][6] != r.category {
				t.Errorf("orders.csv: %q, want the title %q and the category %q", recs, r.title, r.category)
			}
			fees := readCSV(t, w.download(t, u, "/api/v1/exports/fees.csv", "text/csv"))
			if len(fees) < 2 || !slices.Contains(fees[1], r.title) {
				t.Errorf("fees.csv: %q, want the title %q", fees, r.title)
			}
			f, err := excelize.OpenReader(bytes.NewReader(w.download(t, u, "/api/v1/exports/volumes.xlsx", "")))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rows, err := f.GetRows(f.GetSheetList()[0])
			if err != nil || len(rows) < 2 || !strings.Contains(rows[1][0], r.title) {
				t.Errorf("volumes.xlsx by tender: %q (%v), want the title %q", rows, err, r.title)
			}
			rep := webtest.Do(w.base.Engine, "GET", "/api/v1/volumes?group=tender", u.Token, nil)
			if rep.Code != http.StatusOK || !strings.Contains(rep.Body.String(), r.title) {
				t.Errorf("volumes by tender: %d %s, want the title %q", rep.Code, rep.Body, r.title)
			}
		})
	}
}
