package app

import (
	"context"
	"io"
	"testing"

	"github.com/jmoiron/sqlx"

	"madaf/catalog"
	"madaf/internal/calendar"
	"madaf/internal/money"
)

// pagesFixture is the demo cluster plus one tender of its own that the page
// tests order from, so that they do not depend on the demo's tenders.
type pagesFixture struct {
	db          *sqlx.DB
	tenderID    int64
	laptopID    int64
	monitorID   int64
	medicalID   int64 // the demo supplier with a login, the cheapest here
	authorityID int64 // זכרון יעקב, the demo officer's authority
}

const fixtureTender = "31/2026"

func mustPagesFixture(t *testing.T, db *sqlx.DB) *pagesFixture {
	t.Helper()
	ctx := context.Background()
	if _, err := SeedDemo(ctx, db, io.Discard); err != nil {
		t.Fatalf("seed demo: %v", err)
	}
	f := &pagesFixture{db: db}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("fixture: %v", err)
		}
	}
	must(db.GetContext(ctx, &f.authorityID, `SELECT id FROM authorities WHERE code = '9300'`))
	must(db.GetContext(ctx, &f.medicalID, `SELECT id FROM suppliers WHERE company_number = '510000011'`))
	var technoID int64
	must(db.GetContext(ctx, &technoID, `SELECT id FROM suppliers WHERE company_number = '510000029'`))
	var all []int64
	must(db.SelectContext(ctx, &all, `SELECT id FROM authorities ORDER BY id`))

	cs := catalog.NewStore(db)
	today := calendar.Today()
	fee := money.MustParse("1.5").Decimal
	in := catalog.TenderInput{Number: fixtureTender, Title: "מחשבים ניידים וציוד היקפי", Category: "מחשוב",
		Description: "מחשבים ניידים, מסכים ותחנות עגינה לעובדי הרשויות.",
		ValidFrom:   today.AddDays(-30), ValidUntil: today.AddDays(700), FeePercent: &fee,
		AwardRule: catalog.RuleChoice, ConfirmationDays: 3}
	for _, id := range all {
		in.Authorities = append(in.Authorities, catalog.AuthorityInput{AuthorityID: id})
	}
	tender, err := cs.CreateTender(ctx, in)
	must(err)
	f.tenderID = tender.ID
	items, err := cs.AddItems(ctx, tender.ID, []catalog.ItemInput{
		{SKU: "LAP-14", Name: "מחשב נייד 14 אינץ' לעבודה משרדית", Unit: "יחידה"},
		{SKU: "MON-27", Name: "מסך מחשב 27 אינץ'", Unit: "יחידה"},
		{SKU: "DOCK-1", Name: "תחנת עגינה למחשב נייד", Unit: "יחידה"},
	})
	must(err)
	f.laptopID, f.monitorID = items[0].ID, items[1].ID
	prices := map[int64][]string{f.medicalID: {"4950", "1190.90", "640"}, technoID: {"5100", "1150", "655.50"}}
	for _, sup := range []int64{f.medicalID, technoID} {
		a, err := cs.AwardSupplier(ctx, tender.ID, sup)
		must(err)
		var ps []catalog.PriceInput
		for i, it := range items {
			ps = append(ps, catalog.PriceInput{ItemID: it.ID, Price: money.MustParse(prices[sup][i]), ValidFrom: in.ValidFrom})
		}
		_, err = cs.AddPrices(ctx, tender.ID, a.ID, ps)
		must(err)
	}
	_, err = cs.Transition(ctx, tender.ID, catalog.ActionPublish)
	must(err)
	return f
}
