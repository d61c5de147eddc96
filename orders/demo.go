package orders

import (
	"context"
	"fmt"
	"slices"
	"time"

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
	// late orders are confirmed after their deadline and delivered after
	// the promised date.
	late bool
}

var demoOrders = []demoOrder{
	{"officer@zichron.example", "01/2024", "510000011", 4200, orderstatus.Closed, "מרכז רפואי קהילתי, רחוב המייסדים 40, זכרון יעקב", "ערכות עזרה ראשונה לבתי הספר", nil, false},
	{"officer@zichron.example", "01/2024", "510000011", 9800, orderstatus.Delivered, "אגף החינוך, רחוב הנדיב 12, זכרון יעקב", "מדי לחץ דם למרפאות בתי הספר", nil, false},
	{"officer@zichron.example", "01/2024", "510000011", 15600, orderstatus.PartiallyDelivered, "מוקד עירוני, רחוב הנדיב 1, זכרון יעקב", "דפיברילטורים למבני ציבור", nil, false},
	{"officer@zichron.example", "01/2024", "510000011", 6300, orderstatus.Confirmed, "מועדון קהילתי, רחוב השומרון 3, זכרון יעקב", "ציוד עזרה ראשונה למועדונים", nil, false},
	{"officer@zichron.example", "04/2024", "", 38000, orderstatus.Sent, "גן המייסדים, זכרון יעקב", "החלפת מתקנים בגן השעשועים", nil, false},
	{"officer@zichron.example", "05/2024", "510000052", 61000, orderstatus.PendingApproval, "בית העם, רחוב המייסדים 2, זכרון יעקב", "שיפוץ חדרי השירותים", []string{SlotTreasurer}, false},
	{"officer@zichron.example", "02/2024", "", 12500, orderstatus.Draft, "בניין המועצה, רחוב הנדיב 1, זכרון יעקב", "עמדות עבודה למחלקת הגבייה", nil, false},
	{"officer@kafrqara.example", "09/2024", "", 7400, orderstatus.PendingApproval, "מבנה המועצה, כפר קרע", "חומרי ניקיון לבתי הספר", nil, false},
}

// demoBudgetCodes is the budget line each tender category is charged to.
var demoBudgetCodes = map[string]string{
	"ציוד רפואי": "1-613-740", "מחשוב": "1-611-750", "גני משחקים": "1-746-750",
	"בינוי ושיפוצים": "1-742-760", "ניקיון ותחזוקה": "1-742-760",
}

// SeedDemo adds the demo cluster's orders through the service, so that
// each carries its events, volumes and mails: the orders in handling today
// (and one closed), and a history of the 24 months before today. It runs
// after the foundation's and the catalog's demo data, does nothing when
// orders exist, and skips an order whose officer or tender is missing.
func SeedDemo(ctx context.Context, db *sqlx.DB) (err error) {
	defer apperr.Wrap(&err, "orders.SeedDemo")
	clock := &demoClock{}
	svc := NewService(db, Options{Now: clock.now})
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
	principal := func(email string) (*auth.Principal, error) { return auth.NewStore(db).PrincipalByEmail(ctx, email) }
	seed := func(d demoOrder, day calendar.Date) error {
		officer, err := principal(d.officer)
		if err != nil {
			return nil
		}
		if err := seedOrder(ctx, on, svc, clock, principal, officer, d, day); err != nil {
			return fmt.Errorf("order on tender %s of %s: %w", d.tender, day, err)
		}
		return nil
	}
	today := calendar.Today()
	for _, h := range demoHistory(today) {
		if err := seed(h.order, h.day); err != nil {
			return err
		}
	}
	for _, d := range demoOrders {
		if err := seed(d, today); err != nil {
			return err
		}
	}
	return nil
}

// demoClock is the clock the demo's service reads: a business hour of the
// day an order's step happens, or now for today's.
type demoClock struct{ day calendar.Date }

func (c *demoClock) now() time.Time {
	if c.day.IsZero() || !c.day.Before(calendar.Today()) {
		return time.Now()
	}
	t := c.day.Time()
	return time.Date(t.Year(), t.Month(), t.Day(), 10, 0, 0, 0, calendar.Israel)
}

// demoHistoryMonths is how far back the demo's orders reach.
const demoHistoryMonths = 24

// demoPast is an order of the demo's history and the day it is submitted.
type demoPast struct {
	order demoOrder
	day   calendar.Date
}

// demoHistoryTenders are the tenders the history orders from, in turn, with
// what is ordered: Zichron Ya'akov's officer on the tenders it may order
// from directly (not the mini-competition, nor the rotation, whose small
// allocation today's demo orders use).
var demoHistoryTenders = []struct {
	officer, tender, address, notes string
}{
	{"officer@zichron.example", "01/2024", "אגף החינוך, רחוב הנדיב 12, זכרון יעקב", "ערכות עזרה ראשונה לגני הילדים"},
	{"officer@zichron.example", "02/2024", "בניין המועצה, רחוב הנדיב 1, זכרון יעקב", "החלפת מחשבים במחלקת ההנדסה"},
	{"officer@zichron.example", "05/2024", "בית העם, רחוב המייסדים 2, זכרון יעקב", "צביעת כיתות בחופשת הקיץ"},
	{"officer@zichron.example", "07/2024", "בית הספר נילי, זכרון יעקב", "ריהוט לכיתות חדשות"},
	{"officer@zichron.example", "08/2024", "רחוב המייסדים, זכרון יעקב", "החלפת גופי תאורה ברחוב"},
	{"officer@zichron.example", "09/2024", "מתנ\"ס זכרון יעקב", "חומרי ניקיון לחוגים"},
}

// demoHistory is the demo's past: three orders of Zichron Ya'akov in each
// of the 24 months before today's, on business days, older ones further
// along, and one of Kafr Qara every four months. Most of what is older
// than two months is closed; some were delivered late, confirmed after
// their deadline, rejected or cancelled; the last two months hold orders
// still in delivery, confirmed, awaiting the supplier (overdue) or a
// signature. Kafr Qara, which has no signatories, cancels its orders while
// they wait for them.
func demoHistory(today calendar.Date) []demoPast {
	// Seven statuses against six tenders: each tender meets each.
	older := []string{orderstatus.Closed, orderstatus.Closed, orderstatus.Delivered, orderstatus.Rejected,
		orderstatus.Closed, orderstatus.Cancelled, orderstatus.Closed}
	recent := []string{orderstatus.PartiallyDelivered, orderstatus.Confirmed, orderstatus.Sent, orderstatus.Delivered,
		orderstatus.PendingApproval, orderstatus.Confirmed}
	first := calendar.NewDate(today.Year(), today.Time().Month(), 1)
	var out []demoPast
	i := 0
	for m := demoHistoryMonths; m >= 1; m-- {
		month := calendar.DateOf(first.Time().AddDate(0, -m, 0))
		for k := range 3 {
			h := demoHistoryTenders[i%len(demoHistoryTenders)]
			status := older[i%len(older)]
			if m <= 2 {
				status = recent[(i+k)%len(recent)]
			}
			d := demoOrder{officer: h.officer, tender: h.tender, amount: int64(2000 + (i*7919)%20000), status: status,
				address: h.address, notes: h.notes, late: i%5 == 2}
			if status == orderstatus.PendingApproval {
				d.signed = []string{SlotTreasurer}
			}
			out = append(out, demoPast{d, calendar.AddBusinessDays(month, 2+7*k)})
			i++
		}
		if m%4 == 0 {
			out = append(out, demoPast{demoOrder{officer: "officer@kafrqara.example", tender: "09/2024", amount: 5400,
				status: orderstatus.Cancelled, address: "מבנה המועצה, כפר קרע", notes: "חומרי ניקיון למבני הציבור"},
				calendar.AddBusinessDays(month, 4)})
		}
	}
	return out
}

// seedOrder places d on day and moves it through its lifecycle up to
// d.status, each step a few business days after the one before and never
// after today: signed the next business day, confirmed the day after (or,
// when d is late, two business days past its deadline), delivered a day
// before the promised date (late: three business days after it) and closed
// a week later.
func seedOrder(ctx context.Context, on stores, svc *Service, clock *demoClock, principal func(string) (*auth.Principal, error),
	officer *auth.Principal, d demoOrder, day calendar.Date) error {
	today := calendar.Today()
	at := func(step calendar.Date) calendar.Date {
		if step.After(today) {
			return today
		}
		return step
	}
	clock.day = at(day)
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
		p, err := propose(ctx, on, t, clock.day)
		if err != nil || p == nil {
			return err
		}
		supplierID = *p
	default:
		awards, err := awardsOf(ctx, on, t.ID)
		if err != nil {
			return err
		}
		// An active winner, one with a user to answer the order first.
		active := func(a catalog.Award) bool { return a.Status == catalog.AwardActive }
		i := slices.IndexFunc(awards, func(a catalog.Award) bool {
			return active(a) && supplierUser(ctx, on.orders, a.SupplierID) != ""
		})
		if i < 0 {
			i = slices.IndexFunc(awards, active)
		}
		if i < 0 {
			return nil
		}
		supplierID = awards[i].SupplierID
	}
	if supplierUser(ctx, on.orders, supplierID) == "" && !slices.Contains([]string{orderstatus.Draft,
		orderstatus.PendingApproval, orderstatus.Cancelled}, d.status) {
		d.status = orderstatus.Sent // nobody at the supplier answers it
	}
	budgetLine, err := demoBudgetLine(ctx, on, officer, clock.day.Year(), demoBudgetCodes[t.Category])
	if err != nil {
		return err
	}

	// Up to two items the supplier prices that day, in quantities that
	// make about the amount wanted.
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
		price, err := on.orders.priceInForce(ctx, it.ID, supplierID, clock.day)
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
		RequestedDate: calendar.AddBusinessDays(clock.day, 15), Notes: d.notes}
	share := decimal.NewFromInt(d.amount).Div(decimal.NewFromInt(int64(len(chosen))))
	for _, it := range chosen {
		qty := share.Div(it.price).Ceil()
		in.Lines = append(in.Lines, LineInput{ItemID: it.id, Quantity: Quantity{decimal.Max(qty, decimal.NewFromInt(1))}})
	}
	o, err := svc.Create(ctx, officer, in)
	if err != nil || d.status == orderstatus.Draft {
		return err
	}
	cancel := func(reason string) error {
		_, err := svc.Cancel(ctx, officer, o.ID, "", CancelInput{Reason: reason})
		return err
	}
	if o, err = svc.Submit(ctx, officer, o.ID, ""); err != nil {
		if apperr.Is(err, apperr.KindConflict) && !clock.day.Before(today) {
			return err // today's orders are sized to fit
		}
		if apperr.Is(err, apperr.KindConflict) {
			return cancel("budget_change") // a capacity the history used up
		}
		return err
	}
	if d.status == orderstatus.Cancelled && authorityUser(ctx, on.orders, o.AuthorityID, SlotTreasurer) == "" {
		clock.day = at(calendar.AddBusinessDays(clock.day, 3))
		return cancel("budget_change")
	}
	// Both slots are signed before the order is sent; an order still
	// pending keeps the slots of d.signed.
	clock.day = at(calendar.AddBusinessDays(clock.day, 1))
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
	switch d.status {
	case orderstatus.PendingApproval, orderstatus.Sent:
		return nil
	case orderstatus.Cancelled:
		clock.day = at(calendar.AddBusinessDays(clock.day, 1))
		return cancel("supplier_unavailable")
	}
	supplier, err := principal(supplierUser(ctx, on.orders, supplierID))
	if err != nil {
		return fmt.Errorf("no user of supplier %d to confirm the demo order: %w", supplierID, err)
	}
	clock.day = at(calendar.AddBusinessDays(clock.day, 1))
	if d.late {
		clock.day = at(calendar.AddBusinessDays(o.ConfirmBy, 2))
	}
	if d.status == orderstatus.Rejected {
		_, err := svc.Reject(ctx, supplier, o.ID, "", RejectInput{Reason: "הפריטים אינם במלאי עד סוף הרבעון"})
		return err
	}
	promised := calendar.AddBusinessDays(clock.day, 10)
	if o, err = svc.Confirm(ctx, supplier, o.ID, "", ConfirmInput{PromisedDate: promised}); err != nil {
		return err
	}
	if d.status == orderstatus.Confirmed {
		return nil
	}
	delivered := calendar.AddBusinessDays(promised, -1)
	if d.late {
		delivered = calendar.AddBusinessDays(promised, 3)
	}
	if delivered.Before(clock.day) {
		delivered = clock.day
	}
	clock.day = at(delivered)
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
	delivery.DeliveredOn = clock.day
	if o, err = svc.Deliver(ctx, supplier, o.ID, "", delivery); err != nil {
		return err
	}
	if d.status == orderstatus.Closed {
		clock.day = at(calendar.AddBusinessDays(clock.day, 5))
		_, err = svc.Close(ctx, officer, o.ID, "", CloseInput{InvoiceRef: fmt.Sprintf("INV-%d-%04d", clock.day.Year(), o.ID)})
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
	email, _ := store.SupplierUserEmail(ctx, supplierID)
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
