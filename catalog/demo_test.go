package catalog_test

import (
	"testing"

	"madaf/catalog"
	"madaf/internal/calendar"
	"madaf/internal/dbtest"
)

func TestSeedDemo(t *testing.T) {
	db := dbtest.New(t)
	var authorities []int64
	for _, name := range []string{"בנימינה-גבעת עדה", "פרדס חנה-כרכור", "זכרון יעקב", "חוף הכרמל", "אלונה", "ג'סר א-זרקא", "פורדיס", "כפר קרע"} {
		authorities = append(authorities, mustAuthority(t, db, name))
	}
	if err := catalog.SeedDemo(ctx, db); err != nil {
		t.Fatalf("seed: %v", err)
	}
	if err := catalog.SeedDemo(ctx, db); err != nil {
		t.Fatalf("second seed: %v", err)
	}
	s := catalog.NewStore(db)
	tenders, err := s.Tenders(ctx, officerOf(authorities[7]), catalog.TenderFilter{Page: webPage()})
	if err != nil {
		t.Fatal(err)
	}
	if len(tenders) != 9 {
		t.Fatalf("an officer sees %d tenders, want the nine", len(tenders))
	}
	today := calendar.Today()
	rules := map[string]int{}
	expiringSoon := 0
	for _, tn := range tenders {
		rules[tn.AwardRule]++
		if !tn.OpenOn(today) || len(tn.Authorities) != 8 {
			t.Errorf("%s is not open to all eight today: %+v", tn.Number, tn)
		}
		if tn.EndsOn().Before(today.AddDays(60)) {
			expiringSoon++
		}
		awards, _ := s.Awards(ctx, tn.ID)
		if len(awards) < 2 || len(awards) > 3 {
			t.Errorf("%s has %d awards", tn.Number, len(awards))
		}
		items, _ := s.Items(ctx, tn.ID)
		ids := make([]int64, len(items))
		for i, it := range items {
			ids[i] = it.ID
		}
		offers, err := s.OffersInForce(ctx, ids, today)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			o := offers[it.ID]
			if len(o) == 0 || (tn.AwardRule == catalog.RuleSingle) != (len(o) == 1) {
				t.Errorf("%s %s: %d offers under rule %s", tn.Number, it.SKU, len(o), tn.AwardRule)
			}
		}
	}
	if rules[catalog.RuleChoice] < 4 || rules[catalog.RuleSingle] < 1 || rules[catalog.RuleRotation] != 1 || rules[catalog.RuleCompetition] != 1 {
		t.Errorf("award rules %v", rules)
	}
	if expiringSoon != 1 {
		t.Errorf("%d tenders expire within 60 days, want one", expiringSoon)
	}
	res, err := s.Search(ctx, officerOf(authorities[0]), catalog.SearchQuery{Q: "חול"}, today)
	if err != nil || len(res.Hits) < 3 {
		t.Fatalf("search for sand: %+v, %v", res, err)
	}

	// Two tenders name their items in Arabic and English, and every tender
	// its title and category.
	var named []string
	if err := db.Select(&named, `SELECT DISTINCT t.number FROM tender_items i JOIN tenders t ON t.id = i.tender_id
		WHERE i.name_ar IS NOT NULL AND i.name_en IS NOT NULL ORDER BY t.number`); err != nil {
		t.Fatal(err)
	}
	if len(named) != 2 {
		t.Errorf("the items of %v are named in Arabic and English, want two tenders", named)
	}
	for _, tn := range tenders {
		if tn.TitleIn("ar") == tn.Title || tn.CategoryIn("en") == tn.Category {
			t.Errorf("%s has no Arabic title or English category", tn.Number)
		}
	}
	for _, q := range []string{"جهاز قياس ضغط الدم", "laptop", "طابعة"} {
		res, err := s.Search(ctx, officerOf(authorities[0]), catalog.SearchQuery{Q: q}, today)
		if err != nil || len(res.Hits) == 0 {
			t.Errorf("search for %q: %+v, %v", q, res, err)
		}
	}
}
