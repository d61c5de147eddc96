package competitions

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/money"
	"madaf/orders"
)

// The demo cluster's mini-competitions: Zichron Ya'akov's officer on the
// competition tender 03/2024, its committee of three deciding.
const (
	demoTender    = "03/2024"
	demoOfficer   = "officer@zichron.example"
	demoBudget    = "1-616-780" // the cyber-security budget line
	demoCEO       = "ceo@zichron.example"
	demoTreasurer = "treasurer@zichron.example"
	demoLegal     = "legal@zichron.example"
	demoHead      = "head@zichron.example"
)

// demoLine is an item requested, by SKU, and its quantity.
type demoLine struct {
	sku      string
	quantity int64
}

// demoOpenDays is how many business days the open competition stays
// open: longer than the tender's minimum, so that a request published
// today beside it closes first.
const demoOpenDays = 8

// demoFactors are how far below its cap each winner quotes, in the order
// of the tender's awards: the first is the cheapest.
var demoFactors = []string{"0.91", "0.95", "0.97"}

// SeedDemo adds the demo cluster's mini-competitions through the service,
// so that each carries its events, mails and votes: one decided two months
// before this one (every winner quoted, a question answered, the closing,
// the committee's three approvals, and the order at the quoted prices
// signed, sent and confirmed), and one published today (its deadline
// demoOpenDays business days ahead, one winner's sealed quote in). It runs after the
// orders' demo data, on a clock moved to each step's day; it does nothing
// when competitions exist, or when the tender, the officer or the
// committee is missing.
func SeedDemo(ctx context.Context, db *sqlx.DB) (err error) {
	defer apperr.Wrap(&err, "competitions.SeedDemo")
	clock := &demoClock{}
	osvc := orders.NewService(db, orders.Options{Now: clock.now})
	svc := NewService(db, Options{Now: clock.now, Orders: osvc})
	store := NewStore(db)
	if n, err := store.countCompetitions(ctx); err != nil || n > 0 {
		return err
	}
	principal := func(email string) (*auth.Principal, error) { return auth.NewStore(db).PrincipalByEmail(ctx, email) }
	who := map[string]*auth.Principal{}
	for _, email := range []string{demoOfficer, demoCEO, demoTreasurer, demoLegal, demoHead} {
		p, err := principal(email)
		if apperr.Is(err, apperr.KindNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		who[email] = p
	}
	officer := who[demoOfficer]
	tenderID, err := store.tenderByNumber(ctx, demoTender)
	if apperr.Is(err, apperr.KindNotFound) {
		return nil
	}
	if err != nil {
		return err
	}

	// Decided: published on the third business day of the month two
	// months before this one, so that every step falls in that month.
	today := calendar.Today()
	first := calendar.DateOf(calendar.NewDate(today.Year(), today.Time().Month(), 1).Time().AddDate(0, -2, 0))
	clock.at(calendar.AddBusinessDays(first, 2), 9)
	c, err := seedRequest(ctx, svc, store, officer, tenderID, clock.day, calendar.Date{}, "מבדק חדירה והדרכות מודעות לעובדי המועצה",
		[]demoLine{{"SEC-002", 1}, {"SEC-006", 4}, {"SEC-007", 20}})
	if err != nil {
		return err
	}
	winners, err := store.invitedUsers(ctx, c.ID, c.Round)
	if err != nil {
		return err
	}
	clock.at(calendar.AddBusinessDays(clock.day, 1), 10)
	if len(winners) > 0 {
		p, err := principal(winners[0])
		if err != nil {
			return err
		}
		q, err := svc.Ask(ctx, p, c.ID, TextInput{Text: "האם המבדק כולל גם את אפליקציית התושבים?"})
		if err != nil {
			return err
		}
		clock.at(clock.day, 14)
		if _, err := svc.Answer(ctx, officer, c.ID, q.ID, TextInput{Text: "כן, המבדק כולל את האתר, את אפליקציית התושבים ואת טופסי התשלום."}); err != nil {
			return err
		}
	}
	clock.at(calendar.AddBusinessDays(clock.day, 1), 11)
	for i, email := range winners {
		if err := seedQuote(ctx, svc, principal, c.ID, email, demoFactors[i%len(demoFactors)]); err != nil {
			return err
		}
	}
	clock.set(c.Deadline.Add(time.Minute))
	if _, err := svc.CloseDue(ctx); err != nil {
		return err
	}
	clock.at(calendar.AddBusinessDays(calendar.DateOf(*c.Deadline), 1), 10)
	if c, err = svc.Get(ctx, officer, c.ID); err != nil {
		return err
	}
	if c.ProposalSupplierID == nil {
		return fmt.Errorf("the demo competition %d closed with no proposal", c.ID)
	}
	var p *Protocol
	for _, email := range []string{demoCEO, demoTreasurer, demoLegal} {
		vote := VoteInput{Vote: VoteApprove, SupplierID: *c.ProposalSupplierID, Note: "ההצעה הזולה ביותר, בתוך מחירי המסגרת"}
		if p, err = svc.Vote(ctx, who[email], c.ID, "", vote); err != nil {
			return err
		}
		clock.set(clock.now().Add(time.Hour))
	}
	if p.Competition.OrderID == nil {
		return fmt.Errorf("the demo competition %d was not decided", c.ID)
	}
	if err := seedOrder(ctx, osvc, orders.NewStore(db), clock, principal, officer, who, *p.Competition.OrderID); err != nil {
		return err
	}

	// Open: published today for a week and a half, one winner's sealed
	// quote in.
	clock.day = calendar.Date{}
	holidays, err := store.holidays(ctx, today)
	if err != nil {
		return err
	}
	open, err := seedRequest(ctx, svc, store, officer, tenderID, today, calendar.AddBusinessDays(today, demoOpenDays, holidays...), "סקר סיכוני אבטחת מידע ושירותי ניטור לרבעון",
		[]demoLine{{"SEC-001", 1}, {"SEC-005", 3}})
	if err != nil {
		return err
	}
	if winners, err = store.invitedUsers(ctx, open.ID, open.Round); err != nil || len(winners) == 0 {
		return err
	}
	return seedQuote(ctx, svc, principal, open.ID, winners[len(winners)-1], demoFactors[1])
}

// seedRequest creates and publishes, as officer on day, a request under
// tender tenderID for lines, charged to the authority's cyber-security
// budget line of day's year, closing on deadline (zero: the tender's
// minimum).
func seedRequest(ctx context.Context, svc *Service, store *Store, officer *auth.Principal, tenderID int64, day, deadline calendar.Date,
	notes string, lines []demoLine) (*Competition, error) {
	budgetLine, err := store.budgetLineCoded(ctx, officer.AuthorityID, day.Year(), demoBudget)
	if err != nil {
		return nil, err
	}
	in := Input{TenderID: tenderID, BudgetLineID: budgetLine, DeliveryAddress: "בניין המועצה, רחוב הנדיב 1, זכרון יעקב",
		RequestedDate: calendar.AddBusinessDays(day, 20), Notes: notes}
	for _, l := range lines {
		item, err := store.itemBySKU(ctx, tenderID, l.sku)
		if err != nil {
			return nil, err
		}
		in.Lines = append(in.Lines, LineInput{ItemID: item, Quantity: decimal.NewFromInt(l.quantity)})
	}
	c, err := svc.Create(ctx, officer, in)
	if err != nil {
		return nil, err
	}
	return svc.Publish(ctx, officer, c.ID, "", PublishInput{Deadline: deadline})
}

// seedQuote quotes, as the winner's user email, every line of competition
// id at its cap times factor.
func seedQuote(ctx context.Context, svc *Service, principal func(string) (*auth.Principal, error), id int64, email, factor string) error {
	p, err := principal(email)
	if err != nil {
		return err
	}
	form, err := svc.QuoteForm(ctx, p, id)
	if err != nil {
		return err
	}
	var in QuoteInput
	for _, l := range form.Lines {
		if l.Cap == nil {
			return nil // the winner has no price for the item: it does not quote
		}
		price := l.Cap.Decimal.Mul(decimal.RequireFromString(factor)).Round(2)
		in.Lines = append(in.Lines, QuoteLineInput{ItemID: l.ItemID, UnitPrice: money.Of(price)})
	}
	_, err = svc.SubmitQuote(ctx, p, id, in)
	return err
}

// seedOrder takes the decision's order through its signatures: submitted
// the day of the decision, signed by the treasurer and the head the next
// business day, and confirmed by the supplier the day after.
func seedOrder(ctx context.Context, osvc *orders.Service, ostore *orders.Store, clock *demoClock, principal func(string) (*auth.Principal, error),
	officer *auth.Principal, who map[string]*auth.Principal, orderID int64) error {
	clock.set(clock.now().Add(time.Hour))
	o, err := osvc.Submit(ctx, officer, orderID, "")
	if err != nil {
		return err
	}
	clock.at(calendar.AddBusinessDays(clock.day, 1), 9)
	for _, s := range []struct{ slot, email string }{{orders.SlotTreasurer, demoTreasurer}, {orders.SlotHead, demoHead}} {
		if o, err = osvc.Sign(ctx, who[s.email], orderID, "", orders.SignInput{Slot: s.slot, Legal: true, BudgetLine: true, NoDeficit: true}); err != nil {
			return err
		}
		clock.set(clock.now().Add(2 * time.Hour))
	}
	email, err := ostore.SupplierUserEmail(ctx, o.SupplierID)
	if err != nil {
		return err
	}
	supplier, err := principal(email)
	if err != nil {
		return err
	}
	clock.at(calendar.AddBusinessDays(clock.day, 1), 10)
	_, err = osvc.Confirm(ctx, supplier, orderID, "", orders.ConfirmInput{PromisedDate: calendar.AddBusinessDays(clock.day, 10)})
	return err
}

// demoClock is the clock the demo's services read: a moment of a past day
// of the demo's history, or now once day is zero.
type demoClock struct {
	day calendar.Date
	t   time.Time
}

func (c *demoClock) now() time.Time {
	if c.day.IsZero() {
		return time.Now()
	}
	return c.t
}

// at moves the clock to hour o'clock (Israel time) of day.
func (c *demoClock) at(day calendar.Date, hour int) {
	t := day.Time()
	c.set(time.Date(t.Year(), t.Month(), t.Day(), hour, 0, 0, 0, calendar.Israel))
}

// set moves the clock to t.
func (c *demoClock) set(t time.Time) { c.day, c.t = calendar.DateOf(t), t }
