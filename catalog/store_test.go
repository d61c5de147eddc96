package catalog_test

import (
	"errors"
	"slices"
	"testing"

	"madaf/catalog"
	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/dbtest"
	"madaf/internal/i18n"
	"madaf/internal/money"
)

// wantErr fails unless err is an *apperr.Error of kind naming every field.
func wantErr(t *testing.T, err error, kind apperr.Kind, fields ...string) *apperr.Error {
	t.Helper()
	var ae *apperr.Error
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want an apperr of kind %s", err, kind)
	}
	if ae.Kind != kind {
		t.Fatalf("kind = %s (%s), want %s", ae.Kind, ae.Msg, kind)
	}
	for _, f := range fields {
		if !slices.ContainsFunc(ae.Fields, func(fe apperr.FieldError) bool { return fe.Field == f }) {
			t.Errorf("fields %+v do not name %q", ae.Fields, f)
		}
	}
	return ae
}

// wantTranslated fails unless every catalog has m's key and the keys of
// its arguments.
func wantTranslated(t *testing.T, m apperr.Msg) {
	t.Helper()
	keys := []string{m.Key}
	for _, a := range m.Args {
		if a.Key != "" {
			keys = append(keys, a.Key)
		}
	}
	for _, lang := range i18n.Langs {
		for _, k := range keys {
			if !i18n.For(lang).Has(k) {
				t.Errorf("the %s catalog lacks %q (of %s)", lang, k, m)
			}
		}
	}
}

func TestTenderInputValidate(t *testing.T) {
	ok := tenderInput(1)
	tests := []struct {
		name   string
		change func(in *catalog.TenderInput)
		fields []string
	}{
		{"Valid", func(in *catalog.TenderInput) {}, nil},
		{"ErrValidUntilBeforeValidFrom", func(in *catalog.TenderInput) { in.ValidUntil = in.ValidFrom.AddDays(-1) }, []string{"valid_until"}},
		{"ErrExtensionNotAfterEnd", func(in *catalog.TenderInput) { in.ExtendedUntil = in.ValidUntil }, []string{"extended_until"}},
		{"ErrFeeAbove100", func(in *catalog.TenderInput) { in.FeePercent = fee("100.01") }, []string{"fee_percent"}},
		{"ErrFeeNegative", func(in *catalog.TenderInput) { in.FeePercent = fee("-1") }, []string{"fee_percent"}},
		{"ErrFeeMissing", func(in *catalog.TenderInput) { in.FeePercent = nil }, []string{"fee_percent"}},
		{"ErrCeilingZero", func(in *catalog.TenderInput) { in.Ceiling = amount("0") }, []string{"ceiling"}},
		{"ErrAllocationsAboveCeiling", func(in *catalog.TenderInput) {
			in.Ceiling = amount("100000")
			in.Authorities = []catalog.AuthorityInput{{AuthorityID: 1, Allocation: amount("60000")}, {AuthorityID: 2, Allocation: amount("50000")}}
		}, []string{"authorities"}},
		{"ErrAuthorityTwice", func(in *catalog.TenderInput) {
			in.Authorities = []catalog.AuthorityInput{{AuthorityID: 1}, {AuthorityID: 1}}
		}, []string{"authorities[1].authority_id"}},
		{"ErrUnknownRule", func(in *catalog.TenderInput) { in.AwardRule = "lottery" }, []string{"award_rule"}},
		{"ErrConfirmationDays", func(in *catalog.TenderInput) { in.ConfirmationDays = 0 }, []string{"confirmation_days"}},
		{"ErrEverythingAtOnce", func(in *catalog.TenderInput) {
			*in = catalog.TenderInput{}
		}, []string{"number", "title", "category", "valid_from", "valid_until", "fee_percent", "award_rule", "confirmation_days"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := ok
			in.Authorities = slices.Clone(ok.Authorities)
			tt.change(&in)
			err := in.Validate()
			if tt.fields == nil {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			wantErr(t, err, apperr.KindInvalid, tt.fields...)
		})
	}
}

func TestCreateTender(t *testing.T) {
	db := dbtest.New(t)
	s := catalog.NewStore(db)
	a := mustAuthority(t, db, "בנימינה")
	in := tenderInput(a)
	in.Ceiling = amount("500000")
	in.Authorities[0].Allocation = amount("120000.50")
	tn := mustTender(t, s, in)
	if tn.Status != catalog.StatusDraft || tn.Ceiling.String() != "500000.00" || len(tn.Authorities) != 1 ||
		tn.Authorities[0].Allocation.String() != "120000.50" || tn.Authorities[0].Name != "בנימינה" {
		t.Fatalf("created %+v", tn)
	}

	t.Run("ErrNumberTaken", func(t *testing.T) {
		dup := tenderInput(a)
		dup.Number = in.Number
		_, err := s.CreateTender(ctx, dup)
		wantErr(t, err, apperr.KindConflict, "number")
	})
	t.Run("ErrUnknownAuthority", func(t *testing.T) {
		_, err := s.CreateTender(ctx, tenderInput(a, 999999))
		wantErr(t, err, apperr.KindInvalid, "authorities[1].authority_id")
	})
	t.Run("ErrInvalidDatesChangeNothing", func(t *testing.T) {
		bad := tenderInput(a)
		bad.ValidUntil = bad.ValidFrom.AddDays(-10)
		_, err := s.UpdateTender(ctx, tn.ID, bad, "")
		wantErr(t, err, apperr.KindInvalid, "valid_until")
		got, _ := s.Tender(ctx, tn.ID)
		if got.Number != in.Number || got.ValidUntil != in.ValidUntil {
			t.Fatalf("tender changed: %+v", got)
		}
	})
	t.Run("Update", func(t *testing.T) {
		b := mustAuthority(t, db, "פרדס חנה-כרכור")
		up := tenderInput(b)
		up.Title = "ציוד רפואי — עדכון"
		got, err := s.UpdateTender(ctx, tn.ID, up, "")
		if err != nil {
			t.Fatal(err)
		}
		if got.Title != up.Title || len(got.Authorities) != 1 || got.Authorities[0].AuthorityID != b || got.Ceiling != nil {
			t.Fatalf("updated %+v", got)
		}
	})
}

func TestTransitions(t *testing.T) {
	db := dbtest.New(t)
	s := catalog.NewStore(db)
	a := mustAuthority(t, db, "פורדיס")
	sup := mustSupplier(t, db, "ספק")

	t.Run("ErrPublishEmpty", func(t *testing.T) {
		tn := mustTender(t, s, tenderInput(a))
		_, err := s.Transition(ctx, tn.ID, catalog.ActionPublish)
		wantErr(t, err, apperr.KindConflict, "items", "awards")
		mustItems(t, s, tn.ID, catalog.ItemInput{SKU: "A", Name: "פריט", Unit: "יחידה"})
		_, err = s.Transition(ctx, tn.ID, catalog.ActionPublish)
		ae := wantErr(t, err, apperr.KindConflict, "awards")
		if slices.ContainsFunc(ae.Fields, func(f apperr.FieldError) bool { return f.Field == "items" }) {
			t.Errorf("items reported although the tender has one")
		}
		got, _ := s.Tender(ctx, tn.ID)
		if got.Status != catalog.StatusDraft {
			t.Fatalf("status = %s after a refused publish", got.Status)
		}
	})
	t.Run("ErrPublishWithOnlySuspendedAward", func(t *testing.T) {
		tn := mustTender(t, s, tenderInput(a))
		mustItems(t, s, tn.ID, catalog.ItemInput{SKU: "A", Name: "פריט", Unit: "יחידה"})
		aw := mustAward(t, s, tn.ID, sup)
		if _, err := s.TransitionAward(ctx, tn.ID, aw.ID, catalog.AwardActionSuspend); err != nil {
			t.Fatal(err)
		}
		_, err := s.Transition(ctx, tn.ID, catalog.ActionPublish)
		wantErr(t, err, apperr.KindConflict, "awards")
	})

	tn := mustTender(t, s, tenderInput(a))
	item := mustItems(t, s, tn.ID, catalog.ItemInput{SKU: "A", Name: "פריט", Unit: "יחידה"})[0]
	aw := mustAward(t, s, tn.ID, sup)
	steps := []struct {
		action string
		want   string // the status after, or "" for a refusal naming from
		from   string
	}{
		{catalog.ActionSuspend, "", catalog.StatusDraft},
		{catalog.ActionResume, "", catalog.StatusDraft},
		{catalog.ActionClose, "", catalog.StatusDraft},
		{catalog.ActionPublish, catalog.StatusActive, ""},
		{catalog.ActionPublish, "", catalog.StatusActive},
		{catalog.ActionResume, "", catalog.StatusActive},
		{catalog.ActionSuspend, catalog.StatusSuspended, ""},
		{catalog.ActionSuspend, "", catalog.StatusSuspended},
		{catalog.ActionResume, catalog.StatusActive, ""},
		{catalog.ActionSuspend, catalog.StatusSuspended, ""},
		{catalog.ActionClose, catalog.StatusClosed, ""},
		{catalog.ActionResume, "", catalog.StatusClosed},
		{catalog.ActionPublish, "", catalog.StatusClosed},
		{catalog.ActionClose, "", catalog.StatusClosed},
	}
	for _, st := range steps {
		name := st.action + "To" + st.want
		if st.want == "" {
			name = "Err" + st.action + "From" + st.from
		}
		t.Run(name, func(t *testing.T) {
			got, err := s.Transition(ctx, tn.ID, st.action)
			if st.want != "" {
				if err != nil || got.Status != st.want {
					t.Fatalf("%s: %v, status %v", st.action, err, got)
				}
				return
			}
			ae := wantErr(t, err, apperr.KindConflict, "status")
			wantTranslated(t, ae.Msg)
			if ae.Extra["tender_status"] != st.from {
				t.Fatalf("conflict names %v, want %s", ae.Extra["tender_status"], st.from)
			}
			cur, _ := s.Tender(ctx, tn.ID)
			if cur.Status != st.from {
				t.Fatalf("status changed to %s", cur.Status)
			}
		})
	}
	t.Run("ErrClosedTakesNothing", func(t *testing.T) {
		_, err := s.AddItems(ctx, tn.ID, []catalog.ItemInput{{SKU: "B", Name: "עוד", Unit: "יחידה"}})
		wantTranslated(t, wantErr(t, err, apperr.KindConflict, "status").Msg)
		_, err = s.UpdateTender(ctx, tn.ID, tenderInput(a), "")
		wantTranslated(t, wantErr(t, err, apperr.KindConflict, "status").Msg)
		_, err = s.AwardSupplier(ctx, tn.ID, mustSupplier(t, db, "מאוחר"))
		wantTranslated(t, wantErr(t, err, apperr.KindConflict, "status").Msg)
		_, err = s.AddPrice(ctx, tn.ID, aw.ID, catalog.PriceInput{ItemID: item.ID, Price: money.MustParse("1"), ValidFrom: calendar.Today()})
		if ae := wantErr(t, err, apperr.KindConflict, "status"); ae.Key != "tender.wrong_state.change_prices" {
			t.Errorf("a price for a closed tender: %s", ae.Msg)
		}
	})
	t.Run("ErrUnknownTender", func(t *testing.T) {
		_, err := s.Transition(ctx, 987654, catalog.ActionPublish)
		wantErr(t, err, apperr.KindNotFound)
	})
}

func TestAddItems(t *testing.T) {
	db := dbtest.New(t)
	s := catalog.NewStore(db)
	tn := mustTender(t, s, tenderInput(mustAuthority(t, db, "אלונה")))
	mustItems(t, s, tn.ID, catalog.ItemInput{SKU: "PG-1", Name: "נדנדה", Unit: "יחידה"})

	tests := []struct {
		name   string
		items  []catalog.ItemInput
		kind   apperr.Kind
		fields []string
	}{
		{"ErrDuplicateSKU", []catalog.ItemInput{{SKU: "PG-1", Name: "נדנדה כפולה", Unit: "יחידה"}}, apperr.KindConflict, []string{"sku"}},
		{"ErrDuplicateSKUInBatch", []catalog.ItemInput{{SKU: "PG-2", Name: "מגלשה", Unit: "יחידה"}, {SKU: "PG-2", Name: "מגלשה", Unit: "יחידה"}}, apperr.KindConflict, []string{"items[1].sku"}},
		{"ErrMissingFields", []catalog.ItemInput{{}}, apperr.KindInvalid, []string{"sku", "name", "unit"}},
		{"ErrMaxPriceZero", []catalog.ItemInput{{SKU: "PG-3", Name: "ספסל", Unit: "יחידה", MaxPrice: amount("0")}}, apperr.KindInvalid, []string{"max_price"}},
		{"ErrMaxPriceThirdDecimal", []catalog.ItemInput{{SKU: "PG-3", Name: "ספסל", Unit: "יחידה", MaxPrice: amount("10.005")}}, apperr.KindInvalid, []string{"max_price"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.AddItems(ctx, tn.ID, tt.items)
			wantErr(t, err, tt.kind, tt.fields...)
			items, _ := s.Items(ctx, tn.ID)
			if len(items) != 1 {
				t.Fatalf("the tender has %d items, want the one it had", len(items))
			}
		})
	}
}

func TestAwardSupplier(t *testing.T) {
	db := dbtest.New(t)
	s := catalog.NewStore(db)
	a := mustAuthority(t, db, "חוף הכרמל")
	tn := mustTender(t, s, tenderInput(a))
	active := mustSupplier(t, db, "פעיל בע\"מ")
	suspended := mustSupplier(t, db, "מושעה בע\"מ")
	db.MustExec(`UPDATE suppliers SET status = 'suspended', suspended_reason = 'הפרת חוזה', suspended_until = $2 WHERE id = $1`,
		suspended, calendar.Today().AddDays(30))
	lapsed := mustSupplier(t, db, "השעיה שפגה בע\"מ")
	db.MustExec(`UPDATE suppliers SET status = 'suspended', suspended_until = $2 WHERE id = $1`, lapsed, calendar.Today().AddDays(-1))

	mustAward(t, s, tn.ID, active)
	t.Run("ErrSuspendedSupplier", func(t *testing.T) {
		_, err := s.AwardSupplier(ctx, tn.ID, suspended)
		wantErr(t, err, apperr.KindConflict, "supplier_id")
		awards, _ := s.Awards(ctx, tn.ID)
		if len(awards) != 1 {
			t.Fatalf("%d awards after a refusal", len(awards))
		}
	})
	t.Run("LapsedSuspension", func(t *testing.T) { mustAward(t, s, tn.ID, lapsed) })
	t.Run("ErrAwardedTwice", func(t *testing.T) {
		_, err := s.AwardSupplier(ctx, tn.ID, active)
		wantErr(t, err, apperr.KindConflict, "supplier_id")
	})
	t.Run("ErrUnknownSupplier", func(t *testing.T) {
		_, err := s.AwardSupplier(ctx, tn.ID, 424242)
		wantErr(t, err, apperr.KindInvalid, "supplier_id")
	})
	t.Run("ErrSecondAwardOfSingle", func(t *testing.T) {
		in := tenderInput(a)
		in.AwardRule = catalog.RuleSingle
		single := mustTender(t, s, in)
		first := mustAward(t, s, single.ID, active)
		_, err := s.AwardSupplier(ctx, single.ID, lapsed)
		wantErr(t, err, apperr.KindConflict, "award_rule")
		// Once the first is terminated, another supplier may win.
		if _, err := s.TransitionAward(ctx, single.ID, first.ID, catalog.AwardActionTerminate); err != nil {
			t.Fatal(err)
		}
		mustAward(t, s, single.ID, lapsed)
		_, err = s.TransitionAward(ctx, single.ID, first.ID, catalog.AwardActionResume)
		wantTranslated(t, wantErr(t, err, apperr.KindConflict, "status").Msg)
	})
	t.Run("ErrBecomeSingleWithTwoActive", func(t *testing.T) {
		in := tenderInput(a)
		in.Number = tn.Number
		in.AwardRule = catalog.RuleSingle
		_, err := s.UpdateTender(ctx, tn.ID, in, "")
		wantErr(t, err, apperr.KindConflict, "award_rule")
	})
}

func TestPrices(t *testing.T) {
	w := newWorld(t)
	s, tn, item, award := w.s, w.tender, w.items[0], w.awards[0]
	today := calendar.Today()

	t.Run("PriceChangeKeepsTheOldPriceForEarlierDates", func(t *testing.T) {
		from := today.AddDays(10)
		mustPrice(t, s, tn.ID, award.ID, item.ID, "325.00", from, catalog.ReasonIndexLinkage)
		for _, c := range []struct {
			on   calendar.Date
			want string
		}{
			{tn.ValidFrom, "310"}, {today, "310"}, {from.AddDays(-1), "310"}, {from, "325"}, {from.AddDays(100), "325"},
		} {
			got, err := catalog.PriceInForce(ctx, w.db, item.ID, w.supplierA, c.on)
			if err != nil || got.String() != c.want {
				t.Errorf("PriceInForce(%s) = %s, %v; want %s", c.on, got, err, c.want)
			}
		}
		hist, err := s.PriceHistory(ctx, award.ID, item.ID, webPage())
		if err != nil || len(hist) != 2 || hist[0].Price.String() != "310.00" || hist[0].Reason != catalog.ReasonInitial ||
			hist[1].Reason != catalog.ReasonIndexLinkage {
			t.Fatalf("history = %+v, %v", hist, err)
		}
	})
	t.Run("ErrBeforeTheFirstPrice", func(t *testing.T) {
		_, err := catalog.PriceInForce(ctx, w.db, item.ID, w.supplierA, tn.ValidFrom.AddDays(-1))
		wantErr(t, err, apperr.KindNotFound)
	})
	t.Run("ErrNoAward", func(t *testing.T) {
		_, err := catalog.PriceInForce(ctx, w.db, item.ID, mustSupplier(t, w.db, "לא זכה"), today)
		wantErr(t, err, apperr.KindNotFound)
	})
	t.Run("CorrectionOnTheSameDayWins", func(t *testing.T) {
		mustPrice(t, s, tn.ID, award.ID, w.items[1].ID, "118.00", tn.ValidFrom, catalog.ReasonCorrection)
		got, _ := catalog.PriceInForce(ctx, w.db, w.items[1].ID, w.supplierA, today)
		if got.String() != "118" {
			t.Fatalf("price = %s, want the correction", got)
		}
	})

	bad := []struct {
		name   string
		in     catalog.PriceInput
		fields []string
	}{
		{"ErrZeroPrice", catalog.PriceInput{ItemID: item.ID, Price: money.MustParse("0"), ValidFrom: today.AddDays(1)}, []string{"price"}},
		{"ErrNegativePrice", catalog.PriceInput{ItemID: item.ID, Price: money.MustParse("-5"), ValidFrom: today.AddDays(1)}, []string{"price"}},
		{"ErrThirdDecimal", catalog.PriceInput{ItemID: item.ID, Price: money.MustParse("12.345"), ValidFrom: today.AddDays(1)}, []string{"price"}},
		{"ErrAboveMaximum", catalog.PriceInput{ItemID: item.ID, Price: money.MustParse("400.01"), ValidFrom: today.AddDays(1)}, []string{"price"}},
		{"ErrPastChange", catalog.PriceInput{ItemID: item.ID, Price: money.MustParse("300"), ValidFrom: today.AddDays(-1), Reason: catalog.ReasonPriceUpdate}, []string{"valid_from"}},
		{"ErrAfterValidity", catalog.PriceInput{ItemID: item.ID, Price: money.MustParse("300"), ValidFrom: tn.ValidUntil.AddDays(1)}, []string{"valid_from"}},
		{"ErrSecondInitial", catalog.PriceInput{ItemID: item.ID, Price: money.MustParse("300"), ValidFrom: today.AddDays(1), Reason: catalog.ReasonInitial}, []string{"reason"}},
		{"ErrUnknownReason", catalog.PriceInput{ItemID: item.ID, Price: money.MustParse("300"), ValidFrom: today.AddDays(1), Reason: "whim"}, []string{"reason"}},
		{"ErrMissingDate", catalog.PriceInput{ItemID: item.ID, Price: money.MustParse("300")}, []string{"valid_from"}},
		{"ErrItemOfAnotherTender", catalog.PriceInput{ItemID: 777777, Price: money.MustParse("300"), ValidFrom: today.AddDays(1)}, []string{"item_id"}},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			var before int
			w.db.Get(&before, `SELECT count(*) FROM award_prices`)
			_, err := s.AddPrice(ctx, tn.ID, award.ID, tt.in)
			wantErr(t, err, apperr.KindInvalid, tt.fields...)
			var after int
			w.db.Get(&after, `SELECT count(*) FROM award_prices`)
			if after != before {
				t.Fatalf("%d prices added by a refused request", after-before)
			}
		})
	}
	t.Run("PastCorrectionAllowed", func(t *testing.T) {
		mustPrice(t, s, tn.ID, award.ID, item.ID, "305.00", today.AddDays(-5), catalog.ReasonCorrection)
	})
	t.Run("ErrTerminatedAward", func(t *testing.T) {
		if _, err := s.TransitionAward(ctx, tn.ID, w.awards[1].ID, catalog.AwardActionTerminate); err != nil {
			t.Fatal(err)
		}
		_, err := s.AddPrice(ctx, tn.ID, w.awards[1].ID, catalog.PriceInput{ItemID: item.ID, Price: money.MustParse("1"), ValidFrom: today.AddDays(1)})
		wantErr(t, err, apperr.KindConflict, "status")
	})
	t.Run("HistoryIsNeverRewritten", func(t *testing.T) {
		if _, err := w.db.Exec(`UPDATE award_prices SET price = 1`); err == nil {
			t.Fatal("an award price was rewritten")
		}
		if _, err := w.db.Exec(`DELETE FROM award_prices`); err == nil {
			t.Fatal("an award price was deleted")
		}
	})
	t.Run("ErrAboveMaximumInTheDatabase", func(t *testing.T) {
		_, err := w.db.Exec(`INSERT INTO award_prices (award_id, item_id, price, valid_from, reason) VALUES ($1, $2, 999, $3, 'price_update')`,
			award.ID, item.ID, today.AddDays(3))
		if err == nil {
			t.Fatal("the database took a price above the maximum")
		}
	})
}

func TestOffersInForce(t *testing.T) {
	w := newWorld(t)
	today := calendar.Today()
	offers, err := w.s.OffersInForce(ctx, []int64{w.items[0].ID, w.items[1].ID}, today)
	if err != nil {
		t.Fatal(err)
	}
	first := offers[w.items[0].ID]
	if len(first) != 2 || first[0].SupplierID != w.supplierB || first[0].Price.String() != "295.50" || first[1].Price.String() != "310.00" {
		t.Fatalf("offers for item 1 = %+v, want cheapest first", first)
	}
	if len(offers[w.items[1].ID]) != 1 {
		t.Fatalf("offers for item 2 = %+v, want the one priced award", offers[w.items[1].ID])
	}
	if _, err := w.s.TransitionAward(ctx, w.tender.ID, w.awards[1].ID, catalog.AwardActionSuspend); err != nil {
		t.Fatal(err)
	}
	offers, _ = w.s.OffersInForce(ctx, []int64{w.items[0].ID}, today)
	if got := offers[w.items[0].ID]; len(got) != 1 || got[0].SupplierID != w.supplierA {
		t.Fatalf("offers with a suspended award = %+v", got)
	}
}

func TestOffersInForceFor(t *testing.T) {
	w := newWorld(t)
	today := calendar.Today()
	ids := []int64{w.items[0].ID, w.items[1].ID}
	t.Run("SupplierSeesOnlyItsOwn", func(t *testing.T) {
		offers, err := w.s.OffersInForceFor(ctx, supplierUser(w.supplierB), ids, today)
		if err != nil {
			t.Fatal(err)
		}
		if got := offers[w.items[0].ID]; len(got) != 1 || got[0].SupplierID != w.supplierB || got[0].Price.String() != "295.50" {
			t.Errorf("supplier B's offers for item 1 = %+v, want only its own 295.50", got)
		}
		if got, ok := offers[w.items[1].ID]; ok {
			t.Errorf("supplier B sees supplier A's price for item 2: %+v", got)
		}
	})
	t.Run("OfficerAndLeadSeeAll", func(t *testing.T) {
		for _, p := range []*auth.Principal{officerOf(w.member), lead} {
			offers, err := w.s.OffersInForceFor(ctx, p, ids, today)
			if err != nil {
				t.Fatal(err)
			}
			if len(offers[w.items[0].ID]) != 2 || len(offers[w.items[1].ID]) != 1 {
				t.Errorf("%s sees %+v, want every offer", p.OrgKind, offers)
			}
		}
	})
	t.Run("NobodySeesNothing", func(t *testing.T) {
		if offers, err := w.s.OffersInForceFor(ctx, nil, ids, today); err != nil || len(offers) != 0 {
			t.Errorf("nil caller: %+v %v", offers, err)
		}
	})
}
