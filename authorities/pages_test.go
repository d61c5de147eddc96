package authorities_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"madaf/accounts"
	"madaf/authorities"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/page"
	"madaf/internal/webtest"
	"madaf/templates"
)

// TestPagesInLanguage checks that the authorities pages name each
// authority and its kind in the reader's language, and list the
// authorities in the order of the names the reader sees.
func TestPagesInLanguage(t *testing.T) {
	f := newFixture(t)
	eng := page.MustNew(templates.FS)
	eng.Mount(f.base.Engine)
	authorities.MountPages(f.base.Engine, eng, authorities.NewStore(f.db))
	mustExec(t, f.db, `UPDATE authorities SET name_ar = 'زخرون يعقوب', name_en = 'Zikhron Yaakov' WHERE id = $1`, f.a)
	mustExec(t, f.db, `UPDATE authorities SET name_ar = 'كفر قرع', name_en = 'Kafr Qara', kind = 'municipality' WHERE id = $1`, f.b)

	tests := []struct {
		lang          string
		first, second string // the names in list order
		kinds         []string
		duplicate     string // the refusal of a CBS code taken
	}{
		{"he", "זכרון יעקב", "כפר קרע", []string{"מועצה מקומית", "עירייה"}, "לרשות אחרת כבר יש סמל למ&#34;ס 654"},
		{"ar", "زخرون يعقوب", "كفر قرع", []string{"مجلس محلي", "بلدية"}, "رمز دائرة الإحصاء 654 مسجّل لسلطة أخرى"},
		{"en", "Kafr Qara", "Zikhron Yaakov", []string{"Local council", "Municipality", "Regional council"}, "another authority has CBS code 654"},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			u := webtest.MustUser(t, f.db, accounts.NewUser{Email: "admin-" + tt.lang + "@example.com", OrgKind: auth.OrgCluster,
				Roles: []string{auth.RoleClusterAdmin}, Lang: tt.lang})
			token := webtest.MustToken(t, f.db, u.ID)
			r := webtest.Do(f.base.Engine, "GET", "/admin/authorities", token, nil)
			body := r.Body.String()
			if r.Code != http.StatusOK {
				t.Fatalf("status %d\n%s", r.Code, body)
			}
			first, second := strings.Index(body, ">"+tt.first+"</a>"), strings.Index(body, ">"+tt.second+"</a>")
			if first < 0 || second < 0 || first > second {
				t.Errorf("want %q listed before %q\n%s", tt.first, tt.second, body)
			}
			for _, k := range tt.kinds {
				if !strings.Contains(body, k) {
					t.Errorf("list lacks the kind %q\n%s", k, body)
				}
			}

			r = webtest.Do(f.base.Engine, "GET", "/admin/authorities/"+strconv.FormatInt(f.b, 10), token, nil)
			if r.Code != http.StatusOK || !strings.Contains(r.Body.String(), "<h1>"+map[string]string{"he": "כפר קרע", "ar": "كفر قرع", "en": "Kafr Qara"}[tt.lang]) {
				t.Errorf("authority page: %d\n%s", r.Code, r.Body)
			}

			form := url.Values{"code": {"654"}, "name_he": {"זכרון יעקב"}, "kind": {"local_council"}, "population": {"24000"}, "active": {"on"}}
			r = webtest.Do(f.base.Engine, "POST", "/admin/authorities/"+strconv.FormatInt(f.a, 10), token, form.Encode(),
				"Content-Type", "application/x-www-form-urlencoded", "Sec-Fetch-Site", "same-origin")
			if r.Code != http.StatusUnprocessableEntity || !strings.Contains(r.Body.String(), tt.duplicate) {
				t.Errorf("taking another authority's code: %d, want 422 with %q\n%s", r.Code, tt.duplicate, r.Body)
			}
		})
	}
}

// TestSignatoriesPages: a treasurer and a head see their authority's
// signatories on /authority and delegate their own slot there; a
// refusal stands beside its field; a revocation asks to be confirmed; the
// cluster admin adds a profile from a date.
func TestSignatoriesPages(t *testing.T) {
	s := newSigners(t)
	eng := page.MustNew(templates.FS)
	eng.Mount(s.base.Engine)
	authorities.MountPages(s.base.Engine, eng, authorities.NewStore(s.db))
	get := func(token, path string) webtest.Response {
		return webtest.Do(s.base.Engine, "GET", path, token, nil)
	}
	post := func(token, path string, form url.Values) webtest.Response {
		return webtest.Do(s.base.Engine, "POST", path, token, form.Encode(),
			"Content-Type", "application/x-www-form-urlencoded", "Sec-Fetch-Site", "same-origin")
	}
	expect := func(r webtest.Response, status int, texts ...string) {
		t.Helper()
		if r.Code != status {
			t.Fatalf("status %d, want %d\n%s", r.Code, status, r.Body)
		}
		for _, text := range texts {
			if !strings.Contains(r.Body.String(), text) {
				t.Errorf("the page lacks %q\n%s", text, r.Body)
			}
		}
	}
	today := calendar.Today()
	form := url.Values{"slot": {"treasurer"}, "delegate_id": {strconv.FormatInt(s.deputy.ID, 10)}, "max_total": {"100,000"},
		"valid_from": {today.String()}, "valid_until": {today.AddDays(30).String()}, "note": {"בחופשת הגזברית"}}

	expect(get(s.treasurer.Token, "/authority"), http.StatusOK, "מורשי חתימה והאצלות", "שם gizbar@a.example", "שם rosh@a.example",
		`id="delegation-form"`, `<option value="treasurer"`, "שם deputy@a.example · deputy@a.example", "אין האצלות.")
	r := post(s.treasurer.Token, "/authority/delegations", form)
	expect(r, http.StatusUnprocessableEntity, "לא יעלה על התקרה שבתקנות לרשות, ₪ 93,900.00", `value="100,000"`)
	form.Set("max_total", "40000")
	r = post(s.treasurer.Token, "/authority/delegations", form)
	expect(r, http.StatusSeeOther)
	if loc := r.Header().Get("Location"); loc != "/authority#signatories" {
		t.Fatalf("redirect to %q", loc)
	}
	var id int64
	s.db.Get(&id, `SELECT id FROM signature_delegations WHERE delegate_id = $1`, s.deputy.ID)
	page := get(s.head.Token, "/authority")
	expect(page, http.StatusOK, "שם deputy@a.example", "₪ 40,000.00", "בחופשת הגזברית", "בתוקף", `<option value="head"`)
	if strings.Contains(page.Body.String(), "/delegations/"+strconv.FormatInt(id, 10)+"/revoke") {
		t.Error("the head may revoke the treasurer's delegation")
	}
	expect(get(s.officerA, "/authority"), http.StatusForbidden)

	revoke := "/authority/delegations/" + strconv.FormatInt(id, 10) + "/revoke"
	expect(post(s.treasurer.Token, revoke, url.Values{}), http.StatusUnprocessableEntity, "יש לסמן כדי לאשר את הביטול", "<details open>")
	expect(post(s.head.Token, revoke, url.Values{"confirm": {"yes"}}), http.StatusForbidden)
	expect(post(s.treasurer.Token, revoke, url.Values{"confirm": {"yes"}}), http.StatusSeeOther)
	expect(post(s.treasurer.Token, revoke, url.Values{"confirm": {"yes"}}), http.StatusConflict, "ההאצלה כבר בוטלה ב־"+today.String())
	expect(get(s.treasurer.Token, "/authority"), http.StatusOK, "בוטלה")

	admin := "/admin/authorities/" + strconv.FormatInt(s.a, 10)
	expect(get(s.admin.Token, admin), http.StatusOK, `id="profile-form"`, `id="holder_id"`, "ההרשאה בכתב של בעל/ת התפקיד")
	r = post(s.admin.Token, admin+"/profiles", url.Values{"profile_effective_from": {today.String()}, "profile_kind": {"local_council"},
		"profile_population": {"60000"}, "profile_band": {"-1"}})
	expect(r, http.StatusUnprocessableEntity, "אינו יכול להיות שלילי")
	r = post(s.admin.Token, admin+"/profiles", url.Values{"profile_effective_from": {today.String()}, "profile_kind": {"local_council"},
		"profile_population": {"60000"}})
	expect(r, http.StatusSeeOther)
	expect(get(s.admin.Token, admin), http.StatusOK, "₪ 188,100.00", "60,000")
	expect(post(s.admin.Token, admin+"/delegations", url.Values{"slot": {"head"}, "holder_id": {strconv.FormatInt(s.head.ID, 10)},
		"delegate_id": {strconv.FormatInt(s.deputy.ID, 10)}, "max_total": {"250000"}, "valid_from": {today.String()},
		"valid_until": {today.AddDays(10).String()}}), http.StatusUnprocessableEntity, "יש לרשום את ההרשאה בכתב של בעל/ת התפקיד")
}
