package catalog_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"madaf/catalog"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/dbtest"
	"madaf/internal/money"
	"madaf/internal/paging"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var ctx = context.Background()

var seq atomic.Int64

// mustAuthority inserts an authority and returns its id.
func mustAuthority(t testing.TB, db *sqlx.DB, name string) int64 {
	t.Helper()
	var id int64
	code := fmt.Sprint(1000 + seq.Add(1))
	err := db.Get(&id, `INSERT INTO authorities (code, name_he, kind)
		VALUES ($1, $2, 'local_council') RETURNING id`, code, name)
	if err != nil {
		t.Fatalf("authority: %v", err)
	}
	return id
}

// mustSupplier inserts an active supplier and returns its id.
func mustSupplier(t testing.TB, db *sqlx.DB, name string) int64 {
	t.Helper()
	var id int64
	number := fmt.Sprintf("5%08d", seq.Add(1))
	err := db.Get(&id, `INSERT INTO suppliers (company_number, legal_name, email) VALUES ($1, $2, 'x@example.com') RETURNING id`, number, name)
	if err != nil {
		t.Fatalf("supplier: %v", err)
	}
	return id
}

func fee(s string) *decimal.Decimal {
	d := decimal.RequireFromString(s)
	return &d
}

func amount(s string) *catalog.Money {
	m := money.MustParse(s)
	return &m
}

// tenderInput is a valid tender open to authorities, valid around today.
func tenderInput(authorities ...int64) catalog.TenderInput {
	in := catalog.TenderInput{
		Number:           fmt.Sprintf("%02d/2025", seq.Add(1)),
		Title:            "ציוד רפואי ועזרה ראשונה",
		Category:         "ציוד רפואי",
		ValidFrom:        calendar.Today().AddDays(-300),
		ValidUntil:       calendar.Today().AddDays(300),
		FeePercent:       fee("1.5"),
		AwardRule:        catalog.RuleChoice,
		ConfirmationDays: 3,
	}
	for _, a := range authorities {
		in.Authorities = append(in.Authorities, catalog.AuthorityInput{AuthorityID: a})
	}
	return in
}

func mustTender(t testing.TB, s *catalog.Store, in catalog.TenderInput) *catalog.Tender {
	t.Helper()
	tn, err := s.CreateTender(ctx, in)
	if err != nil {
		t.Fatalf("create tender: %v", err)
	}
	return tn
}

func mustItems(t testing.TB, s *catalog.Store, tenderID int64, ins ...catalog.ItemInput) []catalog.Item {
	t.Helper()
	items, err := s.AddItems(ctx, tenderID, ins)
	if err != nil {
		t.Fatalf("add items: %v", err)
	}
	return items
}

func mustAward(t testing.TB, s *catalog.Store, tenderID, supplierID int64) *catalog.Award {
	t.Helper()
	a, err := s.AwardSupplier(ctx, tenderID, supplierID)
	if err != nil {
		t.Fatalf("award: %v", err)
	}
	return a
}

func mustPrice(t testing.TB, s *catalog.Store, tenderID, awardID, itemID int64, price string, from calendar.Date, reason string) {
	t.Helper()
	if _, err := s.AddPrice(ctx, tenderID, awardID, catalog.PriceInput{ItemID: itemID, Price: money.MustParse(price), ValidFrom: from, Reason: reason}); err != nil {
		t.Fatalf("price: %v", err)
	}
}

func mustTransition(t testing.TB, s *catalog.Store, id int64, action string) {
	t.Helper()
	if _, err := s.Transition(ctx, id, action); err != nil {
		t.Fatalf("%s: %v", action, err)
	}
}

// world is a published tender open to one authority with two items and two
// priced awards, and an authority that does not take part.
type world struct {
	db                   *sqlx.DB
	s                    *catalog.Store
	tender               *catalog.Tender
	items                []catalog.Item
	awards               []*catalog.Award
	member, outsider     int64
	supplierA, supplierB int64
}

func newWorld(t testing.TB) *world {
	t.Helper()
	db := dbtest.New(t)
	w := &world{db: db, s: catalog.NewStore(db)}
	w.member = mustAuthority(t, db, "זכרון יעקב")
	w.outsider = mustAuthority(t, db, "כפר קרע")
	w.supplierA = mustSupplier(t, db, "אלפא ציוד רפואי בע\"מ")
	w.supplierB = mustSupplier(t, db, "בטא אספקה בע\"מ")
	w.tender = mustTender(t, w.s, tenderInput(w.member))
	w.items = mustItems(t, w.s, w.tender.ID,
		catalog.ItemInput{SKU: "MED-001", Name: "מד לחץ דם דיגיטלי", Unit: "יחידה", MaxPrice: amount("400")},
		catalog.ItemInput{SKU: "MED-002", Name: "ערכת עזרה ראשונה לכיתה", Unit: "ערכה"})
	w.awards = []*catalog.Award{mustAward(t, w.s, w.tender.ID, w.supplierA), mustAward(t, w.s, w.tender.ID, w.supplierB)}
	start := w.tender.ValidFrom
	mustPrice(t, w.s, w.tender.ID, w.awards[0].ID, w.items[0].ID, "310.00", start, "")
	mustPrice(t, w.s, w.tender.ID, w.awards[1].ID, w.items[0].ID, "295.50", start, "")
	mustPrice(t, w.s, w.tender.ID, w.awards[0].ID, w.items[1].ID, "120.00", start, "")
	mustTransition(t, w.s, w.tender.ID, catalog.ActionPublish)
	return w
}

func officerOf(authorityID int64) *auth.Principal {
	return &auth.Principal{UserID: 1, OrgKind: auth.OrgAuthority, AuthorityID: authorityID, Roles: []string{auth.RoleOfficer}}
}

func supplierUser(supplierID int64) *auth.Principal {
	return &auth.Principal{UserID: 2, OrgKind: auth.OrgSupplier, SupplierID: supplierID, Roles: []string{auth.RoleSupplier}}
}

var lead = &auth.Principal{UserID: 3, OrgKind: auth.OrgCluster, Roles: []string{auth.RoleEconomicLead}}

func webPage() paging.Page { return paging.Page{Limit: 50} }
