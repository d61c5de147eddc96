package catalog_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"madaf/accounts"
	"madaf/catalog"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/page"
	"madaf/internal/paging"
	"madaf/internal/server"
	"madaf/internal/webtest"
	"madaf/templates"
)

func names(hits []catalog.Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.Name
	}
	return out
}

// TestSearchKeyAgreesWithSQL holds the Go search key (for what people type)
// and the SQL one (for the indexed names) to the same table of words.
func TestSearchKeyAgreesWithSQL(t *testing.T) {
	db := newWorld(t).db
	for _, c := range []struct{ in, want string }{
		{"כיסא", "כסא"},
		{"כסא", "כסא"},
		{"מחשבים", "מחשבמ"},
		{"מחשב נייד 14 אינץ'", "מחשב נד 14 אנצ"},
		{"ערכת עזרה ראשונה לכיתה", "ערכת עזרה ראשנה לכתה"},
		{"וילון", "ולנ"},
		{"כיוון", "כנ"},
		{"ג׳ירפה", "גרפה"},
		{`מק"ט`, "מקט"},
		{"מק״ט", "מקט"},
		{"מ\"ר", "מר"},
		{"שָׁלוֹם", "שלמ"},
		{"אינפרא-אדום", "אנפרא אדמ"},
		{"עץ, ארץ ומלך", "עצ ארצ ומלכ"},
		{"MED-001", "med 001"},
		{"med001", "med001"},
		{"Wi-Fi 6 (802.11ax)", "wi fi 6 802 11ax"},
		{"Über ÉCOLE", "über école"},
		{"كُرْسِيّ مكتب مريح", "كرسي مكتب مريح"},
		{"إسعاف أولي", "اسعاف اولي"},
		{"آلة حاسبة", "اله حاسبه"},
		{"مستشفى", "مستشفي"},
		{"٢٠٢٤ ۱۲", "2024 12"},
		{"\u200fמדפסת\u200f לייזר", "מדפסת לזר"},
		{"  --  ", ""},
		{"'quoted' \"text\"", "quoted text"},
		{"A'B", "ab"},
	} {
		if got := catalog.SearchKey(c.in); got != c.want {
			t.Errorf("SearchKey(%q) = %q, want %q", c.in, got, c.want)
		}
		var inSQL, skuSQL string
		if err := db.QueryRow(`SELECT catalog_search_key($1), catalog_sku_key($1)`, c.in).Scan(&inSQL, &skuSQL); err != nil {
			t.Fatal(err)
		}
		if inSQL != c.want {
			t.Errorf("catalog_search_key(%q) = %q, want %q as in Go", c.in, inSQL, c.want)
		}
		if want := catalog.SKUKey(c.in); skuSQL != want {
			t.Errorf("catalog_sku_key(%q) = %q, want %q as in Go", c.in, skuSQL, want)
		}
	}
}

// searchWorld is newWorld with more items, one named in Arabic and
// English, behind the real router (API and pages) with an officer of the
// member authority in each language.
type searchWorld struct {
	*world
	h                      http.Handler
	officer                map[string]string // token by language
	laptop, chair, printer catalog.Item
}

func newSearchWorld(t *testing.T) *searchWorld {
	t.Helper()
	w := newWorld(t)
	items := mustItems(t, w.s, w.tender.ID,
		catalog.ItemInput{SKU: "IT-002", Name: "מחשב נייד 14 אינץ' לעובדי רשות", Unit: "יחידה"},
		catalog.ItemInput{SKU: "FUR-005", Name: "כיסא משרדי ארגונומי", NameAr: "كرسي مكتب مريح", NameEn: "Ergonomic office chair", Unit: "יחידה"},
		catalog.ItemInput{SKU: "IT-009", Name: "מדפסת לייזר משולבת A4", Unit: "יחידה"})
	base := webtest.NewBase(t, w.db)
	eng := page.MustNew(templates.FS)
	eng.Mount(base.Engine)
	catalog.Routes{Store: w.s}.Mount(server.Router{API: base.API, Site: base.Engine, Pages: eng})
	sw := &searchWorld{world: w, h: base.Engine, officer: map[string]string{}, laptop: items[0], chair: items[1], printer: items[2]}
	for _, lang := range []string{"he", "ar", "en"} {
		u := webtest.MustUser(t, w.db, accounts.NewUser{Email: "officer-" + lang + "@member.example", OrgKind: auth.OrgAuthority,
			AuthorityID: w.member, Roles: []string{auth.RoleOfficer}, Lang: lang})
		sw.officer[lang] = webtest.MustToken(t, w.db, u.ID)
	}
	return sw
}

// apiSearch is the answer of GET /api/v1/catalog/items?q= for the officer.
type apiSearch struct {
	Items []struct {
		ID     int64   `json:"id"`
		SKU    string  `json:"sku"`
		Name   string  `json:"name"`
		NameAr *string `json:"name_ar"`
		NameEn *string `json:"name_en"`
	} `json:"items"`
	NextCursor  string `json:"next_cursor"`
	Total       int    `json:"total"`
	TotalCapped bool   `json:"total_capped"`
}

func (sw *searchWorld) api(t *testing.T, q string, extra ...string) apiSearch {
	t.Helper()
	r := webtest.Do(sw.h, "GET", "/api/v1/catalog/items?q="+url.QueryEscape(q)+strings.Join(extra, ""), sw.officer["he"], nil)
	if r.Code != http.StatusOK {
		t.Fatalf("search %q: %d %s", q, r.Code, r.Body)
	}
	var res apiSearch
	r.JSON(t, &res)
	return res
}

func (sw *searchWorld) page(t *testing.T, lang, q string) string {
	t.Helper()
	r := webtest.Do(sw.h, "GET", "/catalog?q="+url.QueryEscape(q), sw.officer[lang], nil)
	if r.Code != http.StatusOK {
		t.Fatalf("catalog page %q: %d %s", q, r.Code, r.Body)
	}
	return html.UnescapeString(r.Body.String())
}

// TestSearchFindsWhatPeopleType: an officer finds an item by its code as
// printed and as typed, by a Hebrew plural, by a spelling without ו or י,
// with a prefix, with a typo, and by its Arabic and English names, through
// the API and on the catalog page; the best match comes first and the page
// says how many items it found.
func TestSearchFindsWhatPeopleType(t *testing.T) {
	sw := newSearchWorld(t)
	med := sw.items[0] // MED-001 מד לחץ דם דיגיטלי
	for _, c := range []struct {
		name, q string
		want    catalog.Item
	}{
		{"SKU", "MED-001", med},
		{"SKULowerCase", "med-001", med},
		{"SKUWithoutDash", "MED001", med},
		{"SKUWithSpace", "med 001", med},
		{"Plural", "מחשבים", sw.laptop},
		{"DefectiveSpelling", "כסא", sw.chair},
		{"FullSpelling", "כיסא", sw.chair},
		{"TwoWordsOutOfOrder", "ארגונומי כסא", sw.chair},
		{"Prefix", "המחשב", sw.laptop},
		{"TwoPrefixes", "ולמדפסת", sw.printer},
		{"PluralWithPrefix", "למחשבים", sw.laptop},
		{"Typo", "מדפסט", sw.printer},
		{"Arabic", "كرسي مكتب", sw.chair},
		{"ArabicWithVowels", "كُرْسِيّ", sw.chair},
		{"English", "office chair", sw.chair},
		{"EnglishPlural", "chairs", sw.chair},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := sw.api(t, c.q)
			if len(res.Items) == 0 || res.Items[0].ID != c.want.ID {
				t.Fatalf("API: %q found %+v, want %s first", c.q, res.Items, c.want.SKU)
			}
			if res.Total != len(res.Items) || res.TotalCapped {
				t.Errorf("API: total %d (capped %v) for %d hits", res.Total, res.TotalCapped, len(res.Items))
			}
			body := sw.page(t, "he", c.q)
			if !strings.Contains(body, c.want.Name) || !strings.Contains(body, c.want.SKU) {
				t.Errorf("the catalog page for %q lacks %s %s", c.q, c.want.SKU, c.want.Name)
			}
		})
	}
	t.Run("OnlyWhatMatches", func(t *testing.T) {
		// The prefix and the typo are tried only when nothing matches
		// better: מחשב finds the laptop alone, not what "חשב" would.
		mustItems(t, sw.s, sw.tender.ID, catalog.ItemInput{SKU: "ACC-1", Name: "חשבונית מס", Unit: "יחידה"})
		for q, want := range map[string][]string{
			"מחשב":      {"IT-002"},
			"מדפסת":     {"IT-009"},
			"MED-00":    {"MED-001", "MED-002"},
			"עזרה":      {"MED-002"},
			"צינור מים": nil,
		} {
			res := sw.api(t, q)
			var got []string
			for _, it := range res.Items {
				got = append(got, it.SKU)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%q found %v, want %v", q, got, want)
			}
		}
	})
	t.Run("NamesInTheReadersLanguage", func(t *testing.T) {
		ar := sw.page(t, "ar", "كرسي")
		if !strings.Contains(ar, "كرسي مكتب مريح") || !strings.Contains(ar, "כיסא משרדי ארגונומי") {
			t.Errorf("the Arabic page shows neither the Arabic name nor, beside it, the Hebrew one")
		}
		if en := sw.page(t, "en", "כיסא"); !strings.Contains(en, "Ergonomic office chair") {
			t.Errorf("the English page lacks the English name")
		}
		// An item without an Arabic name shows its Hebrew one.
		if ar := sw.page(t, "ar", "מדפסת"); !strings.Contains(ar, sw.printer.Name) {
			t.Errorf("the Arabic page lacks the Hebrew name of an item without an Arabic one")
		}
	})
}

// TestSearchCountsResults: the catalog page says how many items a search
// found in the plural form of the reader's language, and past
// SearchCountLimit says "more than".
func TestSearchCountsResults(t *testing.T) {
	sw := newSearchWorld(t)
	for i := range 9 {
		mustItems(t, sw.s, sw.tender.ID, catalog.ItemInput{SKU: fmt.Sprintf("FUR-1%02d", i), Name: fmt.Sprintf("שולחן עבודה דגם %d", i), Unit: "יחידה"})
	}
	for _, c := range []struct{ lang, q, want string }{
		{"he", "מדפסת", "נמצא פריט אחד"},
		{"ar", "מדפסת", "عُثر على بند واحد"},
		{"en", "מדפסת", "1 item found"},
		{"he", "MED-00", "נמצאו שני פריטים"},
		{"ar", "MED-00", "عُثر على بندين"},
		{"en", "MED-00", "2 items found"},
		{"he", "שולחן", "נמצאו 9 פריטים"},
		{"ar", "שולחן", "عُثر على 9 بنود"},
		{"en", "שולחן", "9 items found"},
		{"he", "צינור מים", "לא נמצאו פריטים מתאימים"},
	} {
		if body := sw.page(t, c.lang, c.q); !strings.Contains(body, c.want) {
			t.Errorf("%s page for %q lacks %q", c.lang, c.q, c.want)
		}
	}

	// Eleven items in Arabic take the "many" form.
	mustItems(t, sw.s, sw.tender.ID, catalog.ItemInput{SKU: "FUR-110", Name: "שולחן ישיבות", Unit: "יחידה"},
		catalog.ItemInput{SKU: "FUR-111", Name: "שולחן מורה", Unit: "יחידה"})
	if body := sw.page(t, "ar", "שולחן"); !strings.Contains(body, "عُثر على 11 بندًا") {
		t.Errorf("the Arabic page for eleven items lacks its plural form")
	}

	// More than SearchCountLimit, on the first page and on a later one.
	sw.db.MustExec(`INSERT INTO tender_items (tender_id, sku, name, unit)
		SELECT $1, 'BULK-' || g, 'נורת לד דגם ' || g, 'יחידה' FROM generate_series(1, $2::int) g`, sw.tender.ID, catalog.SearchCountLimit+5)
	more := fmt.Sprintf("נמצאו יותר מ-%d פריטים", catalog.SearchCountLimit)
	if body := sw.page(t, "he", "נורת"); !strings.Contains(body, more) {
		t.Errorf("the page for %d items does not say %q", catalog.SearchCountLimit+5, more)
	}
	for _, extra := range []string{"&limit=200", "&limit=30"} {
		res := sw.api(t, "נורת", extra)
		if res.Total != catalog.SearchCountLimit || !res.TotalCapped {
			t.Errorf("API %s: %d hits, total %d, capped %v", extra, len(res.Items), res.Total, res.TotalCapped)
		}
		if extra == "&limit=30" {
			next := sw.api(t, "נורת", extra+"&cursor="+res.NextCursor)
			if len(next.Items) != 30 || next.Total != catalog.SearchCountLimit || !next.TotalCapped {
				t.Errorf("API, second page: %d hits, total %d, capped %v", len(next.Items), next.Total, next.TotalCapped)
			}
		}
	}
	// Exactly as many as counted, and one more.
	sw.db.MustExec(`INSERT INTO tender_items (tender_id, sku, name, unit)
		SELECT $1, 'LAMP-' || g, 'מנורת שולחן דגם ' || g, 'יחידה' FROM generate_series(1, $2::int) g`, sw.tender.ID, catalog.SearchCountLimit)
	if res := sw.api(t, "מנורת", "&limit=30"); res.Total != catalog.SearchCountLimit || res.TotalCapped {
		t.Errorf("API for %d items: total %d, capped %v", catalog.SearchCountLimit, res.Total, res.TotalCapped)
	}
}

func TestSearch(t *testing.T) {
	w := newWorld(t)
	today := calendar.Today()
	search := func(t *testing.T, p *auth.Principal, q catalog.SearchQuery) []catalog.Hit {
		t.Helper()
		if q.Page.Limit == 0 {
			q.Page.Limit = 50
		}
		res, err := w.s.Search(ctx, p, q, today)
		if err != nil {
			t.Fatal(err)
		}
		return res.Hits
	}

	t.Run("HebrewSubstring", func(t *testing.T) {
		hits := search(t, officerOf(w.member), catalog.SearchQuery{Q: "לחץ"})
		if len(hits) != 1 || hits[0].ID != w.items[0].ID {
			t.Fatalf("hits = %v", names(hits))
		}
		h := hits[0]
		if h.Tender.ID != w.tender.ID || h.Tender.Number != w.tender.Number {
			t.Errorf("hit tender = %+v", h.Tender)
		}
		if len(h.Offers) != 2 || h.Offers[0].Price.String() != "295.50" || h.Offers[1].Price.String() != "310.00" {
			t.Errorf("offers = %+v, want both, cheapest first", h.Offers)
		}
		// Inside a word, across words, and the wildcards match literally.
		for q, want := range map[string]int{"ערכת": 1, "עזרה ראשונה": 1, "י": 2, "%": 0, "_": 0, "לחץ דם דיגיטלי": 1, "תרופה": 0} {
			if got := search(t, officerOf(w.member), catalog.SearchQuery{Q: q}); len(got) != want {
				t.Errorf("q=%q: %d hits %v, want %d", q, len(got), names(got), want)
			}
		}
	})
	t.Run("NonParticipatingOfficerSeesNothing", func(t *testing.T) {
		if hits := search(t, officerOf(w.outsider), catalog.SearchQuery{}); len(hits) != 0 {
			t.Fatalf("an outsider found %v", names(hits))
		}
		if hits := search(t, officerOf(w.outsider), catalog.SearchQuery{Q: "לחץ", TenderID: w.tender.ID}); len(hits) != 0 {
			t.Fatalf("an outsider found %v by naming the tender", names(hits))
		}
		if hits := search(t, officerOf(w.outsider), catalog.SearchQuery{Q: "MED-001"}); len(hits) != 0 {
			t.Fatalf("an outsider found %v by its code", names(hits))
		}
		if _, err := w.s.VisibleTender(ctx, officerOf(w.outsider), w.tender.ID); err == nil {
			t.Fatal("an outsider sees the tender")
		}
		ts, _ := w.s.Tenders(ctx, officerOf(w.outsider), catalog.TenderFilter{Page: webPage()})
		if len(ts) != 0 {
			t.Fatalf("an outsider lists %d tenders", len(ts))
		}
	})
	t.Run("SupplierSeesOnlyItsTenders", func(t *testing.T) {
		if hits := search(t, supplierUser(w.supplierA), catalog.SearchQuery{}); len(hits) != 2 {
			t.Fatalf("the awarded supplier found %v", names(hits))
		}
		other := mustSupplier(t, w.db, "לא זכה בע\"מ")
		if hits := search(t, supplierUser(other), catalog.SearchQuery{}); len(hits) != 0 {
			t.Fatalf("a supplier without an award found %v", names(hits))
		}
		if _, err := w.s.VisibleTender(ctx, supplierUser(other), w.tender.ID); err == nil {
			t.Fatal("a supplier without an award sees the tender")
		}
	})
	t.Run("Filters", func(t *testing.T) {
		if hits := search(t, lead, catalog.SearchQuery{Category: "ריהוט"}); len(hits) != 0 {
			t.Fatalf("category filter: %v", names(hits))
		}
		if hits := search(t, lead, catalog.SearchQuery{Category: w.tender.Category}); len(hits) != 2 {
			t.Fatalf("category filter: %v", names(hits))
		}
		if hits := search(t, lead, catalog.SearchQuery{TenderID: w.tender.ID + 1000}); len(hits) != 0 {
			t.Fatalf("tender filter: %v", names(hits))
		}
	})
	t.Run("Paging", func(t *testing.T) {
		first := search(t, lead, catalog.SearchQuery{Page: paging.Page{Limit: 1}})
		second := search(t, lead, catalog.SearchQuery{Page: paging.Page{Limit: 1, After: first[0].Key()}})
		if len(first) != 1 || len(second) != 1 || second[0].ID <= first[0].ID {
			t.Fatalf("pages %v then %v", names(first), names(second))
		}
		if rest := search(t, lead, catalog.SearchQuery{Page: paging.Page{Limit: 1, After: second[0].Key()}}); len(rest) != 0 {
			t.Fatalf("a third page %v", names(rest))
		}
	})
	t.Run("PagingAcrossTiers", func(t *testing.T) {
		// "ערכה" is in one name as typed; the search key finds two more
		// (ערכת, ערכות), which rank after it. One hit a page, each once.
		more := mustItems(t, w.s, w.tender.ID,
			catalog.ItemInput{SKU: "MED-020", Name: "ערכות חבישה", Unit: "ערכה"},
			catalog.ItemInput{SKU: "MED-021", Name: "ערכה לטיפול בכוויות", Unit: "ערכה"})
		var got []int64
		pg := paging.Page{Limit: 1}
		for range 5 {
			hits := search(t, officerOf(w.member), catalog.SearchQuery{Q: "ערכות", Page: pg})
			if len(hits) == 0 {
				break
			}
			got = append(got, hits[0].ID)
			pg.After = hits[0].Key()
		}
		want := []int64{more[0].ID, w.items[1].ID, more[1].ID}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("pages found %v, want %v (as typed first, then by the search key)", got, want)
		}
	})
	t.Run("OnlyOrderableTenders", func(t *testing.T) {
		// A draft, a suspended and an expired tender open to the member
		// add nothing to its catalog.
		draft := mustTender(t, w.s, tenderInput(w.member))
		mustItems(t, w.s, draft.ID, catalog.ItemInput{SKU: "D", Name: "מד לחץ בטיוטה", Unit: "יחידה"})

		suspended := mustTender(t, w.s, tenderInput(w.member))
		mustItems(t, w.s, suspended.ID, catalog.ItemInput{SKU: "S", Name: "מד לחץ מושעה", Unit: "יחידה"})
		mustAward(t, w.s, suspended.ID, w.supplierA)
		mustTransition(t, w.s, suspended.ID, catalog.ActionPublish)
		mustTransition(t, w.s, suspended.ID, catalog.ActionSuspend)

		in := tenderInput(w.member)
		in.ValidFrom, in.ValidUntil = today.AddDays(-400), today.AddDays(-1)
		expired := mustTender(t, w.s, in)
		mustItems(t, w.s, expired.ID, catalog.ItemInput{SKU: "E", Name: "מד לחץ שפג", Unit: "יחידה"})
		mustAward(t, w.s, expired.ID, w.supplierA)
		mustTransition(t, w.s, expired.ID, catalog.ActionPublish)

		if hits := search(t, officerOf(w.member), catalog.SearchQuery{Q: "לחץ"}); len(hits) != 1 {
			t.Fatalf("hits = %v, want only the active tender's item", names(hits))
		}
		got, err := w.s.VisibleTender(ctx, officerOf(w.member), expired.ID)
		if err != nil || !got.Expired {
			t.Fatalf("expired tender: %+v, %v", got, err)
		}
		if _, err := w.s.VisibleTender(ctx, officerOf(w.member), draft.ID); err == nil {
			t.Fatal("an officer sees a draft tender")
		}
	})
}
