package volumes_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/dbtest"
	"madaf/internal/fixture"
	"madaf/internal/server"
	"madaf/internal/webtest"
	"madaf/orders"
	"madaf/volumes"
)

var ctx = context.Background()

// user is a stored user with a token.
type user = fixture.User

// tender is a fixture tender: its items and its winners with their users.
type tender struct {
	ID      int64
	Items   []int64
	Winners []int64
	Users   []user
}

// world is a cluster with two authorities, two tenders and three
// suppliers, driven through the orders service on a clock of its own.
type world struct {
	t    *testing.T
	db   *sqlx.DB
	base *server.Base
	svc  *orders.Service
	h    volumes.Routes

	mu  sync.Mutex
	now time.Time

	a, b                       int64 // authorities
	officerA, treasurerA       user
	officerB, treasurerB       user
	headA, headB               user
	lead                       user
	budget                     map[[2]int64]int64 // (authority, year) → budget line
	medical, computing         *tender
	s1, s2, s3                 int64 // suppliers: s1, s2 win medical, s3 computing
	supplier1, supplier2, sup3 user
}

func newWorld(t *testing.T) *world {
	t.Helper()
	db := dbtest.New(t)
	w := &world{t: t, db: db, now: time.Date(2025, 12, 14, 9, 0, 0, 0, calendar.Israel), budget: map[[2]int64]int64{}}
	w.base = webtest.NewBase(t, db)
	w.svc = orders.NewService(db, orders.Options{BaseURL: "https://madaf.example", Now: w.clock})
	orders.Mount(w.base.API, w.svc)
	w.h = volumes.Routes{Store: volumes.NewStore(db), OCDS: volumes.OCDS{Prefix: "ocds-test01", BaseURL: "https://madaf.example/"}, Now: w.clock}
	w.h.Mount(server.Router{API: w.base.API})

	w.a = w.mustAuthority("זכרון יעקב")
	w.b = w.mustAuthority("כפר קרע")
	for _, a := range []int64{w.a, w.b} {
		for _, y := range []int64{2025, 2026} {
			w.budget[[2]int64{a, y}] = w.mustBudgetLine(a, y)
		}
	}
	w.officerA = w.mustUser(auth.OrgAuthority, w.a, auth.RoleOfficer)
	w.treasurerA = w.mustUser(auth.OrgAuthority, w.a, auth.RoleTreasurer)
	w.officerB = w.mustUser(auth.OrgAuthority, w.b, auth.RoleOfficer)
	w.treasurerB = w.mustUser(auth.OrgAuthority, w.b, auth.RoleTreasurer)
	w.headA = w.mustUser(auth.OrgAuthority, w.a, auth.RoleHead)
	w.headB = w.mustUser(auth.OrgAuthority, w.b, auth.RoleHead)
	w.lead = w.mustUser(auth.OrgCluster, 0, auth.RoleEconomicLead)

	w.s1, w.supplier1 = w.mustSupplier("מדיקל בע\"מ")
	w.s2, w.supplier2 = w.mustSupplier("רפואה פלוס בע\"מ")
	w.s3, w.sup3 = w.mustSupplier("מחשבים בע\"מ")
	// Medical: a ceiling of 17,000 and an allocation of 15,000 for A
	// (the script uses more than 80% of both); fee 2%. Computing: no
	// ceiling, fee 1.5%.
	w.medical = w.mustTender("01/2025", "ציוד רפואי", "choice", "17000.00", "2.00", "15000.00",
		[]int64{w.s1, w.s2}, []user{w.supplier1, w.supplier2}, [][]string{{"1000.00", "99.90"}, {"1010.00", "95.00"}})
	w.computing = w.mustTender("02/2025", "תשתיות מחשוב", "single", "", "1.50", "",
		[]int64{w.s3}, []user{w.sup3}, [][]string{{"3500.00", "120.00"}})
	return w
}

func (w *world) clock() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.now
}

// at sets the clock to the day and hour (in Israel).
func (w *world) at(day string, hour, minute int) {
	d := calendar.MustParse(day).Time()
	w.mu.Lock()
	w.now = time.Date(d.Year(), d.Month(), d.Day(), hour, minute, 0, 0, calendar.Israel)
	w.mu.Unlock()
}

func (w *world) today() calendar.Date { return calendar.DateOf(w.clock()) }

// mustAuthority adds an authority; its orders are signed by the treasurer
// and the head.
func (w *world) mustAuthority(name string) int64 {
	return fixture.MustAuthority(w.t, w.db, name, "10000000")
}

func (w *world) mustBudgetLine(authorityID, year int64) int64 {
	return fixture.MustBudgetLine(w.t, w.db, authorityID, int(year), "10000000")
}

func (w *world) mustSupplier(name string) (int64, user) { return fixture.MustSupplier(w.t, w.db, name) }

func (w *world) mustUser(org string, orgID int64, roles ...string) user {
	return fixture.MustUser(w.t, w.db, org, orgID, roles...)
}

// mustTender adds an active tender open to both authorities (the
// allocation, if any, is A's), valid 2025–2027.
func (w *world) mustTender(number, category, rule, ceiling, fee, allocation string, winners []int64, users []user, prices [][]string) *tender {
	w.t.Helper()
	tn := &tender{Winners: winners, Users: users}
	err := w.db.Get(&tn.ID, `INSERT INTO tenders (number, title, category, valid_from, valid_until, status, ceiling, fee_percent, award_rule, confirmation_days)
		VALUES ($1, $2, $2, '2025-01-01', '2027-12-31', 'active', NULLIF($3, '')::numeric, $4, $5, 3) RETURNING id`,
		number, category, ceiling, fee, rule)
	if err != nil {
		w.t.Fatalf("tender: %v", err)
	}
	if _, err := w.db.Exec(`INSERT INTO tender_authorities (tender_id, authority_id, allocation) VALUES ($1, $2, NULLIF($3, '')::numeric), ($1, $4, NULL)`,
		tn.ID, w.a, allocation, w.b); err != nil {
		w.t.Fatalf("participation: %v", err)
	}
	tn.Items = fixture.MustItems(w.t, w.db, tn.ID, len(prices[0]))
	for wi, sid := range winners {
		fixture.MustAward(w.t, w.db, tn.ID, sid, "2025-01-01", tn.Items, prices[wi])
	}
	return tn
}

// order is a fixture order and the users who act on it.
type order struct {
	w                  *world
	ID                 int64
	officer, treasurer user
	head               user
	supplier           user
}

// create makes a draft for authority a (w.a or w.b) under tn from winner wi
// with the quantities of each item, on the clock's day.
func (w *world) create(a int64, tn *tender, wi int, qty ...string) *order {
	w.t.Helper()
	o := &order{w: w, supplier: tn.Users[wi], officer: w.officerA, treasurer: w.treasurerA, head: w.headA}
	if a == w.b {
		o.officer, o.treasurer, o.head = w.officerB, w.treasurerB, w.headB
	}
	in := orders.NewOrder{TenderID: tn.ID, SupplierID: tn.Winners[wi], BudgetLineID: w.budget[[2]int64{a, int64(w.today().Year())}],
		DeliveryAddress: "רחוב הנדיב 1", RequestedDate: calendar.NewDate(2030, time.June, 30)}
	for i, q := range qty {
		in.Lines = append(in.Lines, orders.LineInput{ItemID: tn.Items[i], Quantity: orders.Qty(q)})
	}
	got, err := w.svc.Create(ctx, o.officer.P, in)
	if err != nil {
		w.t.Fatalf("create: %v", err)
	}
	o.ID = got.ID
	return o
}

func (o *order) check(what string, _ *orders.Order, err error) *order {
	o.w.t.Helper()
	if err != nil {
		o.w.t.Fatalf("order %d: %s: %v", o.ID, what, err)
	}
	return o
}

func (o *order) submit() *order {
	o.w.t.Helper()
	got, err := o.w.svc.Submit(ctx, o.officer.P, o.ID, "")
	return o.check("submit", got, err)
}

// sign gives both signatures, the treasurer's and the head's, which send
// the order.
func (o *order) sign() *order {
	o.w.t.Helper()
	got, err := o.w.svc.Sign(ctx, o.treasurer.P, o.ID, "", orders.SignInput{Legal: true, BudgetLine: true, NoDeficit: true})
	o.check("sign", got, err)
	got, err = o.w.svc.Sign(ctx, o.head.P, o.ID, "", orders.SignInput{})
	return o.check("sign", got, err)
}

func (o *order) ret() *order {
	o.w.t.Helper()
	got, err := o.w.svc.Return(ctx, o.treasurer.P, o.ID, "", orders.NoteInput{Note: "חסר פירוט"})
	return o.check("return", got, err)
}

func (o *order) confirm(promised string) *order {
	o.w.t.Helper()
	got, err := o.w.svc.Confirm(ctx, o.supplier.P, o.ID, "", orders.ConfirmInput{PromisedDate: calendar.MustParse(promised)})
	return o.check("confirm", got, err)
}

func (o *order) reject() *order {
	o.w.t.Helper()
	got, err := o.w.svc.Reject(ctx, o.supplier.P, o.ID, "", orders.RejectInput{Reason: "אין במלאי"})
	return o.check("reject", got, err)
}

func (o *order) cancel() *order {
	o.w.t.Helper()
	got, err := o.w.svc.Cancel(ctx, o.officer.P, o.ID, "", orders.CancelInput{Reason: "no_longer_needed"})
	return o.check("cancel", got, err)
}

// deliver reports delivery of every line in full (all) or of one unit of
// the first line, delivered on the given day ("" for today).
func (o *order) deliver(all bool, on string) *order {
	o.w.t.Helper()
	cur, err := o.w.svc.Get(ctx, o.supplier.P, o.ID)
	if err != nil {
		o.w.t.Fatalf("order %d: %v", o.ID, err)
	}
	in := orders.DeliverInput{}
	if on != "" {
		in.DeliveredOn = calendar.MustParse(on)
	}
	for _, l := range cur.Lines {
		left := orders.Quantity{Decimal: l.Quantity.Sub(l.Delivered.Decimal)}
		if !all {
			left = orders.Qty("1")
		}
		in.Lines = append(in.Lines, orders.DeliveryLine{LineID: l.ID, Quantity: left})
		if !all {
			break
		}
	}
	got, err := o.w.svc.Deliver(ctx, o.supplier.P, o.ID, "", in)
	return o.check("deliver", got, err)
}

func (o *order) close() *order {
	o.w.t.Helper()
	got, err := o.w.svc.Close(ctx, o.officer.P, o.ID, "", orders.CloseInput{InvoiceRef: "INV-1"})
	return o.check("close", got, err)
}

// script places orders in every status over December 2025 and February
// and March 2026 (VAT 17% then 18%), and leaves the clock on Thursday 12
// March 2026.
func (w *world) script() {
	w.t.Helper()
	// December 2025: closed, confirmed in the window and delivered on time.
	w.at("2025-12-14", 9, 0)
	o := w.create(w.a, w.medical, 0, "5", "10").submit().sign()
	w.at("2025-12-15", 11, 30)
	o.confirm("2025-12-25")
	w.at("2025-12-24", 10, 0)
	o.deliver(true, "").close()
	// A rejected order of 2025.
	w.at("2025-12-16", 9, 0)
	w.create(w.b, w.computing, 0, "1").submit().sign().reject()

	// February 2026.
	w.at("2026-02-01", 8, 0) // Sunday
	late := w.create(w.a, w.medical, 1, "3").submit().sign()
	short := w.create(w.a, w.computing, 0, "2", "4").submit().sign()
	w.at("2026-02-02", 14, 0)
	short.confirm("2026-02-20")
	w.at("2026-02-09", 16, 45) // after the deadline (Wednesday 4 February)
	late.confirm("2026-02-12")
	w.at("2026-02-16", 9, 0) // delivered after the promised day
	late.deliver(true, "")
	w.at("2026-02-17", 9, 0)
	short.deliver(false, "")
	w.at("2026-02-18", 9, 0)
	w.create(w.b, w.medical, 0, "2").submit().sign().confirm("2026-03-30")
	cancelledSent := w.create(w.b, w.medical, 0, "1").submit().sign()
	cancelledSent.cancel()
	// Returned, then submitted again in March.
	returned := w.create(w.a, w.medical, 0, "1", "1").submit().ret()

	// March 2026.
	w.at("2026-03-01", 9, 0)                                // Sunday
	w.create(w.b, w.computing, 0, "1", "2").submit().sign() // overdue after Wednesday 4 March
	w.at("2026-03-09", 9, 0)
	w.create(w.a, w.medical, 0, "2").submit()            // pending approval
	w.create(w.b, w.medical, 1, "1")                     // draft
	w.create(w.a, w.medical, 1, "1").submit().cancel()   // cancelled while pending
	w.create(w.a, w.computing, 0, "1").submit().sign()   // sent, not yet due
	returned.submit().sign()                             // sent again
	w.create(w.a, w.medical, 1, "1", "2").submit().ret() // draft after a return
	w.at("2026-03-10", 13, 15)
	returned.confirm("2026-03-11")
	w.at("2026-03-12", 15, 0)
	returned.deliver(true, "2026-03-11") // reported late, delivered on time
}
