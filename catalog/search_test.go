package catalog_test

import (
	"testing"

	"madaf/catalog"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/paging"
)

func names(hits []catalog.Hit) []string {
	out := make([]string, len(hits))
	for i, h := range hits {
		out[i] = h.Name
	}
	return out
}

func TestSearch(t *testing.T) {
	w := newWorld(t)
	today := calendar.Today()
	search := func(t *testing.T, p *auth.Principal, q catalog.SearchQuery) []catalog.Hit {
		t.Helper()
		if q.Page.Limit == 0 {
			q.Page.Limit = 50
		}
		hits, err := w.s.Search(ctx, p, q, today)
		if err != nil {
			t.Fatal(err)
		}
		return hits
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
		second := search(t, lead, catalog.SearchQuery{Page: paging.Page{Limit: 1, After: first[0].ID}})
		if len(first) != 1 || len(second) != 1 || second[0].ID <= first[0].ID {
			t.Fatalf("pages %v then %v", names(first), names(second))
		}
		if rest := search(t, lead, catalog.SearchQuery{Page: paging.Page{Limit: 1, After: second[0].ID}}); len(rest) != 0 {
			t.Fatalf("a third page %v", names(rest))
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
