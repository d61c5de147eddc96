package competitions_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"madaf/accounts"
	"madaf/audit"
	"madaf/catalog"
	"madaf/competitions"
	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/dbtest"
	"madaf/internal/fixture"
	"madaf/internal/money"
	"madaf/internal/server"
	"madaf/internal/web"
	"madaf/internal/webtest"
	"madaf/orders"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var ctx = context.Background()

var seq atomic.Int64

// defaultNow is the fixtures' clock: Tuesday 10 March 2026, 10:00 in
// Israel. The earliest deadline then is Sunday 15 March at 12:00 (three
// business days), and questions close on Thursday 12 March at 12:00.
var defaultNow = time.Date(2026, 3, 10, 10, 0, 0, 0, calendar.Israel)

// firstDeadline is the earliest deadline of a request published at
// defaultNow.
var firstDeadline = time.Date(2026, 3, 15, 12, 0, 0, 0, calendar.Israel)

// env is one test's world: a member authority with its officer, its
// committee (director-general, treasurer, legal adviser) and head, another
// authority, the cluster's lead and admin, and the competition and order
// APIs over a fresh database, all on one clock the test moves (nil: the
// database's).
type env struct {
	t      testing.TB
	db     *sqlx.DB
	base   *server.Base
	svc    *competitions.Service
	orders *orders.Service

	mu  sync.Mutex
	now time.Time

	authority, other int64
	budgetLine       int64

	officer, treasurer, head, ceo, legal, otherOfficer, otherTreasurer, lead, admin user
}

type user = fixture.User

// newEnv builds the world on a clock the test moves, starting at
// defaultNow.
func newEnv(t testing.TB) *env {
	t.Helper()
	e := &env{t: t, now: defaultNow}
	e.build(e.clock)
	return e
}

// newEnvOnDatabaseClock builds the world on the database's clock.
func newEnvOnDatabaseClock(t testing.TB) *env {
	t.Helper()
	e := &env{t: t}
	e.build(nil)
	return e
}

func (e *env) build(clock func() time.Time) {
	e.db = dbtest.New(e.t)
	e.base = webtest.NewBase(e.t, e.db)
	var orderClock func() time.Time
	if clock != nil {
		orderClock = clock
	}
	e.orders = orders.NewService(e.db, orders.Options{BaseURL: "https://madaf.example", Now: orderClock})
	e.svc = competitions.NewService(e.db, competitions.Options{BaseURL: "https://madaf.example", Now: clock, Orders: e.orders})
	r := server.Router{API: e.base.API}
	accounts.Routes{Store: accounts.NewStore(e.db), Sessions: e.base.Auth}.Mount(r)
	catalog.Routes{Store: catalog.NewStore(e.db)}.Mount(r)
	orders.Routes{Service: e.orders}.Mount(r)
	competitions.Routes{Service: e.svc}.Mount(r)
	audit.Routes{Store: audit.NewStore(e.db)}.Mount(r)

	e.authority = fixture.MustAuthority(e.t, e.db, "זכרון יעקב")
	e.other = fixture.MustAuthority(e.t, e.db, "כפר קרע")
	e.budgetLine = fixture.MustBudgetLine(e.t, e.db, e.authority, 2026, "1000000")
	e.officer = e.mustUser(auth.OrgAuthority, e.authority, auth.RoleOfficer)
	e.treasurer = e.mustUser(auth.OrgAuthority, e.authority, auth.RoleTreasurer)
	e.head = e.mustUser(auth.OrgAuthority, e.authority, auth.RoleHead)
	e.ceo = e.mustUser(auth.OrgAuthority, e.authority, auth.RoleCEO)
	e.legal = e.mustUser(auth.OrgAuthority, e.authority, auth.RoleLegalAdviser)
	e.otherOfficer = e.mustUser(auth.OrgAuthority, e.other, auth.RoleOfficer)
	e.otherTreasurer = e.mustUser(auth.OrgAuthority, e.other, auth.RoleTreasurer)
	e.lead = e.mustUser(auth.OrgCluster, 0, auth.RoleEconomicLead)
	e.admin = e.mustUser(auth.OrgCluster, 0, auth.RoleClusterAdmin)
}

func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *env) setClock(t time.Time) {
	e.mu.Lock()
	e.now = t
	e.mu.Unlock()
}

func (e *env) mustUser(org string, orgID int64, roles ...string) user {
	return fixture.MustUser(e.t, e.db, org, orgID, roles...)
}

// tender is a fixture tender with its items and winners.
type tender struct {
	ID      int64
	Number  string
	Items   []int64
	Winners []int64 // supplier ids
	Users   []user  // the winners' users
}

// mustTender adds an active tender of rule (competition unless given),
// valid 2020–2030 and open to the member authority, with items priced by
// each winner from 2020-01-01: prices[w][i] is winner w's price of item i.
func (e *env) mustTender(rule string, prices [][]string) *tender {
	e.t.Helper()
	if rule == "" {
		rule = "competition"
	}
	tn := &tender{Number: fmt.Sprintf("%02d/2026", seq.Add(1))}
	err := e.db.Get(&tn.ID, `INSERT INTO tenders (number, title, category, valid_from, valid_until, status, fee_percent, award_rule, confirmation_days)
		VALUES ($1, 'אבטחת מידע', 'אבטחת מידע', '2020-01-01', '2030-12-31', 'active', 2.50, $2, 5) RETURNING id`, tn.Number, rule)
	if err != nil {
		e.t.Fatalf("tender: %v", err)
	}
	if _, err := e.db.Exec(`INSERT INTO tender_authorities (tender_id, authority_id) VALUES ($1, $2)`, tn.ID, e.authority); err != nil {
		e.t.Fatalf("participation: %v", err)
	}
	tn.Items = fixture.MustItems(e.t, e.db, tn.ID, len(prices[0]))
	for w := range prices {
		sid, u := fixture.MustSupplier(e.t, e.db, fmt.Sprintf("ספק %d בע\"מ", seq.Add(1)))
		fixture.MustAward(e.t, e.db, tn.ID, sid, "2020-01-01", tn.Items, prices[w])
		tn.Winners, tn.Users = append(tn.Winners, sid), append(tn.Users, u)
	}
	return tn
}

// request is a valid request body for tenders tn with qty of each item.
func (e *env) request(tn *tender, qty ...string) competitions.Input {
	requested := calendar.NewDate(2026, time.June, 30)
	if e.now.IsZero() {
		requested = calendar.Today().AddDays(90)
	}
	in := competitions.Input{TenderID: tn.ID, BudgetLineID: e.budgetLine, DeliveryAddress: "רחוב המייסדים 40",
		RequestedDate: requested, Notes: "אספקה לבניין המועצה"}
	for i, q := range qty {
		in.Lines = append(in.Lines, competitions.LineInput{ItemID: tn.Items[i], Quantity: dec(q)})
	}
	return in
}

// mustPublished creates and publishes a request of tn as the officer (the
// earliest deadline), and returns it.
func (e *env) mustPublished(tn *tender, qty ...string) *competitions.Competition {
	e.t.Helper()
	c, err := e.svc.Create(ctx, e.officer.P, e.request(tn, qty...))
	if err != nil {
		e.t.Fatalf("create: %v", err)
	}
	if c, err = e.svc.Publish(ctx, e.officer.P, c.ID, "", competitions.PublishInput{}); err != nil {
		e.t.Fatalf("publish: %v", err)
	}
	return c
}

// mustQuote quotes prices (one per line) as winner w of tn.
func (e *env) mustQuote(c *competitions.Competition, tn *tender, w int, prices ...string) {
	e.t.Helper()
	if _, err := e.svc.SubmitQuote(ctx, tn.Users[w].P, c.ID, quoteInput(c, prices...)); err != nil {
		e.t.Fatalf("quote of winner %d: %v", w, err)
	}
}

// quoteInput prices c's lines at prices.
func quoteInput(c *competitions.Competition, prices ...string) competitions.QuoteInput {
	var in competitions.QuoteInput
	for i, l := range c.Lines {
		in.Lines = append(in.Lines, competitions.QuoteLineInput{ItemID: l.ItemID, UnitPrice: amount(prices[i])})
	}
	return in
}

// mustClose moves the clock to at and closes what is due; it fails unless
// it closed want.
func (e *env) mustClose(at time.Time, want int) {
	e.t.Helper()
	e.setClock(at)
	n, err := e.svc.CloseDue(ctx)
	if err != nil {
		e.t.Fatalf("close: %v", err)
	}
	if n != want {
		e.t.Fatalf("closed %d, want %d", n, want)
	}
}

// do sends a request as u (its token; none for u zero).
func (e *env) do(method, path string, u user, body any, headers ...string) webtest.Response {
	return webtest.Do(e.base.Engine, method, path, u.Token, body, headers...)
}

// wantStatus fails unless r has status code.
func wantStatus(t testing.TB, r webtest.Response, code int) {
	t.Helper()
	if r.Code != code {
		t.Fatalf("status %d, want %d: %s", r.Code, code, r.Body)
	}
}

// wantKey fails unless err is an *apperr.Error with key.
func wantKey(t testing.TB, err error, key string) {
	t.Helper()
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Key != key {
		t.Fatalf("error %v, want %s", err, key)
	}
}

// fieldKeys are the field errors of err, field → key.
func fieldKeys(err error) map[string]string {
	out := map[string]string{}
	var ae *apperr.Error
	if errors.As(err, &ae) {
		for _, f := range ae.Fields {
			out[f.Field] = f.Key
		}
	}
	return out
}

// count runs a count query.
func (e *env) count(q string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.db.Get(&n, q, args...); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	return n
}

// mails are the outbox's mails of kind, by recipient.
func (e *env) mails(kind string) map[string]string {
	e.t.Helper()
	var rows []struct {
		Recipient string `db:"recipient"`
		Body      string `db:"body"`
	}
	if err := e.db.Select(&rows, `SELECT recipient, subject || E'\n' || body AS body FROM mail_outbox WHERE kind = $1 ORDER BY id`, kind); err != nil {
		e.t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range rows {
		out[r.Recipient] += r.Body
	}
	return out
}

// supplierEmail is supplier id's contact address.
func (e *env) supplierEmail(id int64) string {
	e.t.Helper()
	var s string
	if err := e.db.Get(&s, `SELECT email FROM suppliers WHERE id = $1`, id); err != nil {
		e.t.Fatal(err)
	}
	return s
}

// dec parses a decimal constant.
func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// amount parses an amount constant.
func amount(s string) money.Amount { return money.MustParse(s) }

// webStatus is the HTTP status an error answers.
func webStatus(err error) int { return web.StatusOf(err) }
