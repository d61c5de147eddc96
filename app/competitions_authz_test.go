package app

import (
	"context"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"madaf/competitions"
	"madaf/internal/auth"
	"madaf/internal/calendar"
)

// mustAuthzCompetition publishes, as the officer officerID of זכרון יעקב,
// a request for quotes on the world's tender (one of the world's item, on
// its budget line), to which the medical supplier is invited, and adds a
// question of the supplier's user supplierUserID: the competition and the
// question the competitions' routes act on. It runs on the database's
// clock, so it stays open for days.
func mustAuthzCompetition(t testing.TB, db *sqlx.DB, o authzOrders, officerID, supplierUserID int64) (competition, question int64) {
	t.Helper()
	ctx := context.Background()
	sessions := auth.NewStore(db)
	officer, err := sessions.Principal(ctx, officerID)
	if err != nil {
		t.Fatal(err)
	}
	supplier, err := sessions.Principal(ctx, supplierUserID)
	if err != nil {
		t.Fatal(err)
	}
	svc := competitions.NewService(db, competitions.Options{})
	c, err := svc.Create(ctx, officer, competitions.Input{TenderID: o.tender, BudgetLineID: o.budgetLine,
		DeliveryAddress: "בניין המועצה, רחוב המייסדים 40", RequestedDate: calendar.Today().AddDays(60),
		Lines: []competitions.LineInput{{ItemID: o.item, Quantity: decimal.NewFromInt(3)}}})
	if err != nil {
		t.Fatalf("competition: %v", err)
	}
	if c, err = svc.Publish(ctx, officer, c.ID, "", competitions.PublishInput{}); err != nil {
		t.Fatalf("publish: %v", err)
	}
	q, err := svc.Ask(ctx, supplier, c.ID, competitions.TextInput{Text: "האם נדרשת הדרכה?"})
	if err != nil {
		t.Fatalf("question: %v", err)
	}
	return c.ID, q.ID
}
