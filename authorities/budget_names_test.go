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
	"madaf/internal/page"
	"madaf/internal/webtest"
	"madaf/templates"
)

// TestBudgetLineNames: the API takes a budget line's optional Arabic and
// English names and returns them (null when not given, and a blank name is
// none); a name too long is refused and changes nothing; the budget page
// shows each line in the reader's language, the Hebrew where the line has
// none in it, and adds a line with its three names.
func TestBudgetLineNames(t *testing.T) {
	f := newFixture(t)
	lines := "/api/v1/authorities/" + strconv.FormatInt(f.b, 10) + "/budget-lines"

	r := f.do("POST", lines, f.treasB, map[string]any{"fiscal_year": 2026, "code": "1-613-740", "name": "ציוד רפואי",
		"name_ar": "معدات طبية", "name_en": "Medical equipment", "amount": "300.00"})
	if r.Code != http.StatusCreated {
		t.Fatalf("create: %d %s", r.Code, r.Body)
	}
	created := r.Map(t)
	if created["name_ar"] != "معدات طبية" || created["name_en"] != "Medical equipment" {
		t.Fatalf("created line: %v", created)
	}
	id := strconv.FormatInt(int64(created["id"].(float64)), 10)

	// Updating without an English name (and a blank Arabic one) drops both.
	r = f.do("PUT", lines+"/"+id, f.treasB, map[string]any{"fiscal_year": 2026, "code": "1-613-740", "name": "ציוד רפואי",
		"name_ar": "  ", "amount": "300.00"})
	if m := r.Map(t); r.Code != http.StatusOK || m["name_ar"] != nil || m["name_en"] != nil {
		t.Fatalf("update without translations: %d %v", r.Code, m)
	}
	r = f.do("PUT", lines+"/"+id, f.treasB, map[string]any{"fiscal_year": 2026, "code": "1-613-740", "name": "ציוד רפואי",
		"name_ar": "معدات طبية", "name_en": strings.Repeat("x", 201), "amount": "300.00"})
	if r.Code != http.StatusUnprocessableEntity || fieldError(t, r, "name_en") == nil {
		t.Fatalf("an English name of 201 characters: %d %s", r.Code, r.Body)
	}
	var ar, en *string
	if err := f.db.QueryRow(`SELECT name_ar, name_en FROM budget_lines WHERE id = $1`, id).Scan(&ar, &en); err != nil || ar != nil || en != nil {
		t.Fatalf("the refused update changed the line: %v %v %v", ar, en, err)
	}
	r = f.do("PUT", lines+"/"+id, f.treasB, map[string]any{"fiscal_year": 2026, "code": "1-613-740", "name": "ציוד רפואי",
		"name_ar": "معدات طبية", "name_en": "Medical equipment", "amount": "300.00"})
	if r.Code != http.StatusOK {
		t.Fatalf("update: %d %s", r.Code, r.Body)
	}
	var list struct {
		Items []map[string]any `json:"items"`
	}
	f.do("GET", lines+"?year=2026", f.treasB, nil).JSON(t, &list)
	byCode := map[string]map[string]any{}
	for _, it := range list.Items {
		byCode[it["code"].(string)] = it
	}
	if l := byCode["1-613-740"]; l["name_ar"] != "معدات طبية" || l["name_en"] != "Medical equipment" {
		t.Errorf("listed line: %v", l)
	}
	if l := byCode["1-611-750"]; l == nil || l["name_ar"] != nil || l["name_en"] != nil {
		t.Errorf("a line without translations: %v", l)
	}

	eng := page.MustNew(templates.FS)
	eng.Mount(f.base.Engine)
	authorities.MountPages(f.base.Engine, eng, authorities.NewStore(f.db))
	for _, tt := range []struct {
		lang, medical, computing string
		hebrewBeside             bool
	}{
		{"he", "ציוד רפואי", "מחשוב", false},
		{"ar", "معدات طبية", "מחשוב", true},
		{"en", "Medical equipment", "מחשוב", true},
	} {
		t.Run(tt.lang, func(t *testing.T) {
			u := webtest.MustUser(t, f.db, accounts.NewUser{Email: "treasurer-" + tt.lang + "@b.example", OrgKind: auth.OrgAuthority,
				AuthorityID: f.b, Roles: []string{auth.RoleTreasurer}, Lang: tt.lang})
			token := webtest.MustToken(t, f.db, u.ID)
			r := webtest.Do(f.base.Engine, "GET", "/budget-lines?year=2026", token, nil)
			body := r.Body.String()
			if r.Code != http.StatusOK {
				t.Fatalf("budget page: %d\n%s", r.Code, body)
			}
			if !strings.Contains(body, "<td>"+tt.medical) || !strings.Contains(body, "<td>"+tt.computing+"</td>") {
				t.Errorf("the budget table lacks %q or %q\n%s", tt.medical, tt.computing, body)
			}
			if beside := strings.Contains(body, `<span class="muted" lang="he" dir="rtl">ציוד רפואי</span>`); beside != tt.hebrewBeside {
				t.Errorf("the Hebrew name beside the translation: %v, want %v", beside, tt.hebrewBeside)
			}
		})
	}

	u := webtest.MustUser(t, f.db, accounts.NewUser{Email: "treasurer-form@b.example", OrgKind: auth.OrgAuthority,
		AuthorityID: f.b, Roles: []string{auth.RoleTreasurer}})
	token := webtest.MustToken(t, f.db, u.ID)
	form := url.Values{"fiscal_year": {"2026"}, "code": {"1-616-780"}, "name": {"אבטחת מידע"}, "name_ar": {"أمن المعلومات"},
		"name_en": {""}, "amount": {"450"}}
	r = webtest.Do(f.base.Engine, "POST", "/budget-lines", token, form.Encode(),
		"Content-Type", "application/x-www-form-urlencoded", "Sec-Fetch-Site", "same-origin")
	if r.Code != http.StatusSeeOther {
		t.Fatalf("add a line through the page: %d\n%s", r.Code, r.Body)
	}
	if err := f.db.QueryRow(`SELECT name_ar, name_en FROM budget_lines WHERE code = '1-616-780' AND authority_id = $1`, f.b).Scan(&ar, &en); err != nil ||
		ar == nil || *ar != "أمن المعلومات" || en != nil {
		t.Fatalf("the line added through the page: %v %v %v", ar, en, err)
	}
}
