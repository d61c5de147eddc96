package orders

import (
	"context"
	"fmt"
	"slices"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"madaf/catalog"
	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/orderstatus"
	"madaf/internal/paging"
)

// demoOrder is one order of the demo cluster: who orders what, and how far
// along its lifecycle it is.
type demoOrder struct {
	officer  string // e-mail of the ordering officer
	tender   string // tender number
	supplier string // company number; "" = the rotation's proposal
	amount   int64  // roughly the subtotal wanted, in shekels
	status   string
	address  string
	notes    string
	// signed are the slots signed on an order left pending.
	signed []string
}

var demoOrders = []demoOrder{
	{"officer@zichron.example", "01/2024", "510000011", 4200, orderstatus.Closed, "מרכז רפואי קהילתי, רחוב המייסדים 40, זכרון יעקב", "ערכות עזרה ראשונה לבתי הספר", nil},
	{"officer@zichron.example", "01/2024", "510000011", 9800, orderstatus.Delivered, "אגף החינוך, רחוב הנדיב 12, זכרון יעקב", "מדי לחץ דם למרפאות בתי הספר", nil},
	{"officer@zichron.example", "01/2024", "510000011", 15600, orderstatus.PartiallyDelivered, "מוקד עירוני, רחוב הנדיב 1, זכרון יעקב", "דפיברילטורים למבני ציבור", nil},
	{"officer@zichron.example", "01/2024", "510000011", 6300, orderstatus.Confirmed, "מועדון קהילתי, רחוב השומרון 3, זכרון יעקב", "ציוד עזרה ראשונה למועדונים", nil},
	{"officer@zichron.example", "04/2024", "", 38000, orderstatus.Sent, "גן המייסדים, זכרון יעקב", "החלפת מתקנים בגן השעשועים", nil},
	{"officer@zichron.example", "05/2024", "510000052", 61000, orderstatus.PendingApproval, "בית העם, רחוב המייסדים 2, זכרון יעקב", "שיפוץ חדרי השירותים", []string{SlotTreasurer}},
	{"officer@zichron.example", "02/2024", "", 12500, orderstatus.Draft, "בניין המועצה, רחוב הנדיב 1, זכרון יעקב", "עמדות עבודה למחלקת הגבייה", nil},
	{"officer@kafrqara.example", "09/2024", "", 7400, orderstatus.PendingApproval, "מבנה המועצה, כפר קרע", "חומרי ניקיון לבתי הספר", nil},
}

// demoBudgetCodes is the budget line each tender category is charged to.
var demoBudgetCodes = map[string]string{
	"ציוד רפואי": "1-613-740", "מחשוב": "1-611-750", "גני משחקים": "1-746-750",
	"בינוי ושיפוצים": "1-742-760", "ניקיון ותחזוקה": "1-742-760",
}

// SeedDemo adds the demo cluster's orders in handling (and one closed
// order) through the service, so that each carries its events, volumes and
// mails. It runs after the foundation's and the catalog's demo data, does
// nothing when orders exist, and skips an order whose officer or tender is
// missing.
func SeedDemo(ctx context.Context, db *sqlx.DB) (err error) {
	defer apperr.Wrap(&err, "orders.SeedDemo")
	svc := NewService(db, Options{})
	on := svc.stores
	n, err := on.orders.countOrders(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	if err := seedBudgetDefaults(ctx, on, calendar.Today().Year()); err != nil {
		return err
	}
	users := auth.NewStore(db)
	principal := func(email string) (*auth.Principal, error) {
		id, err := on.orders.userByEmail(ctx, email)
		if err != nil {
			return nil, err
		}
		return users.Principal(ctx, id)
	}
	for _, d := range demoOrders {
		officer, err := principal(d.officer)
		if err != nil {
			continue
		}
		if err := seedOrder(ctx, on, svc, principal, officer, d); err != nil {
			return fmt.Errorf("order on tender %s: %w", d.tender, err)
		}
	}
	return nil
}

func seedOrder(ctx context.Context, on stores, svc *Service, principal func(string) (*auth.Principal, error), officer *auth.Principal, d demoOrder) error {
	today := calendar.Today()
	t, err := tenderNumbered(ctx, on, officer, d.tender)
	if apperr.Is(err, apperr.KindNotFound) {
		return nil // the catalog's demo has no such tender open to the officer
	}
	if err != nil {
		return err
	}
	var supplierID int64
	switch {
	case d.supplier != "":
		if supplierID, err = on.orders.supplierByNumber(ctx, d.supplier); err != nil {
			return err
		}
	case t.AwardRule == catalog.RuleRotation:
		p, err := propose(ctx, on, t, today)
		if err != nil || p == nil {
			return err
		}
		supplierID = *p
	default:
		awards, err := awardsOf(ctx, on, t.ID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(awards, func(a catalog.Award) bool { return a.Status == catalog.AwardActive })
		if i < 0 {
			return nil
		}
		supplierID = awards[i].SupplierID
	}
	budgetLine, err := demoBudgetLine(ctx, on, officer, today.Year(), demoBudgetCodes[t.Category])
	if err != nil {
		return err
	}

	// Up to two items the supplier prices today, in quantities that make
	// about the amount wanted.
	items, err := on.catalog.Items(ctx, t.ID)
	if err != nil {
		return err
	}
	type priced struct {
		id    int64
		price decimal.Decimal
	}
	var chosen []priced
	for _, it := range items {
		price, err := on.orders.priceInForce(ctx, it.ID, supplierID, today)
		if apperr.Is(err, apperr.KindNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if chosen = append(chosen, priced{it.ID, price}); len(chosen) == 2 {
			break
		}
	}
	if len(chosen) == 0 {
		return nil
	}
	in := NewOrder{TenderID: t.ID, SupplierID: supplierID, BudgetLineID: budgetLine, DeliveryAddress: d.address,
		RequestedDate: calendar.AddBusinessDays(today, 15), Notes: d.notes}
	share := decimal.NewFromInt(d.amount).Div(decimal.NewFromInt(int64(len(chosen))))
	for _, it := range chosen {
		qty := share.Div(it.price).Ceil()
		in.Lines = append(in.Lines, LineInput{ItemID: it.id, Quantity: Quantity{decimal.Max(qty, decimal.NewFromInt(1))}})
	}
	o, _, err := svc.Create(ctx, officer, in, "")
	if err != nil || d.status == orderstatus.Draft {
		return err
	}
	if o, err = svc.Submit(ctx, officer, o.ID, ""); err != nil {
		return err
	}
	// Both slots are signed before the order is sent; an order still
	// pending keeps the slots of d.signed.
	slots := Slots
	if d.status == orderstatus.PendingApproval {
		slots = d.signed
	}
	for _, slot := range slots {
		signer, err := principal(authorityUser(ctx, on.orders, o.AuthorityID, slot))
		if err != nil {
			return fmt.Errorf("no %s to sign the demo order: %w", slot, err)
		}
		if o, err = svc.Sign(ctx, signer, o.ID, "", SignInput{Slot: slot, Legal: true, BudgetLine: true, NoDeficit: true}); err != nil {
			return err
		}
	}
	if d.status == orderstatus.PendingApproval {
		return nil
	}
	if d.status == orderstatus.Sent {
		return nil
	}
	supplier, err := principal(supplierUser(ctx, on.orders, supplierID))
	if err != nil {
		return fmt.Errorf("no user of supplier %d to confirm the demo order: %w", supplierID, err)
	}
	if o, err = svc.Confirm(ctx, supplier, o.ID, "", ConfirmInput{PromisedDate: calendar.AddBusinessDays(today, 10)}); err != nil {
		return err
	}
	if d.status == orderstatus.Confirmed {
		return nil
	}
	var delivery DeliverInput
	for _, l := range o.Lines {
		delivery.Lines = append(delivery.Lines, DeliveryLine{LineID: l.ID, Quantity: l.Quantity})
	}
	if d.status == orderstatus.PartiallyDelivered {
		if len(delivery.Lines) > 1 {
			delivery.Lines = delivery.Lines[:1]
		} else {
			delivery.Lines[0].Quantity = Quantity{o.Lines[0].Quantity.Div(decimal.NewFromInt(2)).Floor()}
			if !delivery.Lines[0].Quantity.IsPositive() {
				return nil
			}
		}
	}
	if len(delivery.Lines) == 0 {
		return nil
	}
	if o, err = svc.Deliver(ctx, supplier, o.ID, "", delivery); err != nil {
		return err
	}
	if d.status == orderstatus.Closed {
		_, err = svc.Close(ctx, officer, o.ID, "", CloseInput{InvoiceRef: fmt.Sprintf("INV-%d-%04d", today.Year(), o.ID)})
	}
	return err
}

// authorityUser returns the e-mail of the authority's first active user
// holding role, or "".
func authorityUser(ctx context.Context, store *Store, authorityID int64, role string) string {
	us, err := store.authorityUsers(ctx, authorityID, role)
	if err != nil || len(us) == 0 {
		return ""
	}
	return us[0].Email
}

// supplierUser returns the e-mail of the supplier's first active user, or "".
func supplierUser(ctx context.Context, store *Store, supplierID int64) string {
	email, _ := store.supplierUserEmail(ctx, supplierID)
	return email
}

// tenderNumbered returns the tender numbered number among those officer
// may order from, or apperr not-found.
func tenderNumbered(ctx context.Context, on stores, officer *auth.Principal, number string) (*catalog.Tender, error) {
	ts, err := on.catalog.Tenders(ctx, officer, catalog.TenderFilter{Page: paging.Page{Limit: 200}})
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		if t.Number == number {
			return t, nil
		}
	}
	return nil, apperr.NotFound("not_found.tender")
}

// seedBudgetDefaults has every authority charge each tender category to
// its budget line of demoBudgetCodes in year by default, as its treasurer
// would set it.
func seedBudgetDefaults(ctx context.Context, on stores, year int) error {
	lines, err := on.authorities.BudgetBalances(ctx, 0, year)
	if err != nil {
		return err
	}
	for _, l := range lines {
		treasurer := &auth.Principal{OrgKind: auth.OrgAuthority, AuthorityID: l.AuthorityID, Roles: []string{auth.RoleTreasurer}}
		for category, code := range demoBudgetCodes {
			if code != l.Code {
				continue
			}
			if err := on.authorities.SetCategoryDefault(ctx, treasurer, l.AuthorityID, year, category, l.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// demoBudgetLine returns officer's authority's budget line of year coded
// code, else its largest of the year.
func demoBudgetLine(ctx context.Context, on stores, officer *auth.Principal, year int, code string) (int64, error) {
	lines, err := on.authorities.BudgetLines(ctx, officer, officer.AuthorityID, year)
	if err != nil {
		return 0, err
	}
	if len(lines) == 0 {
		return 0, apperr.NotFound("not_found.budget_line")
	}
	best := lines[0]
	for _, l := range lines {
		if l.Code == code {
			return l.ID, nil
		}
		if l.Amount.GreaterThan(best.Amount.Decimal) {
			best = l
		}
	}
	return best.ID, nil
}
