package orders_test

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

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/dbtest"
	"madaf/internal/fixture"
	"madaf/internal/orderstatus"
	"madaf/internal/server"
	"madaf/internal/web"
	"madaf/internal/webtest"
	"madaf/orders"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

var ctx = context.Background()

var seq atomic.Int64

// defaultNow is the fixtures' clock: Tuesday 10 March 2026, 10:00 in Israel.
var defaultNow = time.Date(2026, 3, 10, 10, 0, 0, 0, calendar.Israel)

// env is one test's world: two authorities, suppliers with valid
// certificates, users of every role and the order API over a fresh
// database.
type env struct {
	t    testing.TB
	db   *sqlx.DB
	base *server.Base
	svc  *orders.Service

	mu  sync.Mutex
	now time.Time

	authority, other int64 // member authority, and one that takes part in nothing
	budgetLine       int64 // the member's budget line of the clock's year
	otherBudgetLine  int64

	officer, treasurer, treasurer2, head, otherOfficer, lead user
}

// user is a stored user with a token.
type user = fixture.User

func newEnv(t testing.TB) *env {
	t.Helper()
	db := dbtest.New(t)
	e := &env{t: t, db: db, now: defaultNow}
	e.base = webtest.NewBase(t, db)
	e.svc = orders.NewService(db, orders.Options{BaseURL: "https://madaf.example", Now: e.clock})
	orders.Mount(e.base.API, e.svc)

	e.authority = e.mustAuthority("זכרון יעקב", "50000")
	e.other = e.mustAuthority("כפר קרע", "50000")
	e.budgetLine = e.mustBudgetLine(e.authority, 2026, "1000000")
	e.otherBudgetLine = e.mustBudgetLine(e.other, 2026, "1000000")
	e.officer = e.mustUser(auth.OrgAuthority, e.authority, auth.RoleOfficer)
	e.treasurer = e.mustUser(auth.OrgAuthority, e.authority, auth.RoleTreasurer)
	e.treasurer2 = e.mustUser(auth.OrgAuthority, e.authority, auth.RoleTreasurer)
	e.head = e.mustUser(auth.OrgAuthority, e.authority, auth.RoleHead)
	e.otherOfficer = e.mustUser(auth.OrgAuthority, e.other, auth.RoleOfficer)
	e.lead = e.mustUser(auth.OrgCluster, 0, auth.RoleEconomicLead)
	return e
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

func (e *env) mustAuthority(name, threshold string) int64 {
	return fixture.MustAuthority(e.t, e.db, name, threshold)
}

func (e *env) mustBudgetLine(authorityID int64, year int, amount string) int64 {
	return fixture.MustBudgetLine(e.t, e.db, authorityID, year, amount)
}

// mustSupplier adds a supplier with valid mandatory certificates and a
// supplier user.
func (e *env) mustSupplier(name string) (int64, user) { return fixture.MustSupplier(e.t, e.db, name) }

// mustUser adds a user (no password: the tests use tokens) with a token.
func (e *env) mustUser(org string, orgID int64, roles ...string) user {
	return fixture.MustUser(e.t, e.db, org, orgID, roles...)
}

// tender is a fixture tender with its items and winners.
type tender struct {
	ID      int64
	Items   []int64
	Winners []int64 // supplier ids
	Users   []user  // the winners' users
	awards  []int64
}

type tenderSpec struct {
	rule       string
	ceiling    string // "" = none
	allocation string // "" = none
	fee        string
	winners    int
	prices     [][]string // per winner, per item
	days       int
}

// mustTender adds an active tender open to the member authority, valid
// 2020–2030, with items priced by each winner from 2020-01-01.
func (e *env) mustTender(s tenderSpec) *tender {
	e.t.Helper()
	if s.fee == "" {
		s.fee = "2.00"
	}
	if s.days == 0 {
		s.days = 3
	}
	var ceiling, allocation *string
	if s.ceiling != "" {
		ceiling = &s.ceiling
	}
	if s.allocation != "" {
		allocation = &s.allocation
	}
	n := seq.Add(1)
	tn := &tender{}
	err := e.db.Get(&tn.ID, `INSERT INTO tenders (number, title, category, valid_from, valid_until, status, ceiling, fee_percent, award_rule, confirmation_days)
		VALUES ($1, 'ציוד רפואי', 'ציוד רפואי', '2020-01-01', '2030-12-31', 'active', $2, $3, $4, $5) RETURNING id`,
		fmt.Sprintf("%02d/2026", n), ceiling, s.fee, s.rule, s.days)
	if err != nil {
		e.t.Fatalf("tender: %v", err)
	}
	if _, err := e.db.Exec(`INSERT INTO tender_authorities (tender_id, authority_id, allocation) VALUES ($1, $2, $3)`, tn.ID, e.authority, allocation); err != nil {
		e.t.Fatalf("participation: %v", err)
	}
	tn.Items = fixture.MustItems(e.t, e.db, tn.ID, len(s.prices[0]))
	for w := 0; w < s.winners; w++ {
		sid, u := e.mustSupplier(fmt.Sprintf("ספק %d בע\"מ", seq.Add(1)))
		award := fixture.MustAward(e.t, e.db, tn.ID, sid, "2020-01-01", tn.Items, s.prices[w])
		tn.Winners, tn.Users, tn.awards = append(tn.Winners, sid), append(tn.Users, u), append(tn.awards, award)
	}
	return tn
}

// do sends a request as u.
func (e *env) do(method, path string, u user, body any, headers ...string) webtest.Response {
	return webtest.Do(e.base.Engine, method, path, u.Token, body, headers...)
}

// orderBody is a create body for tender tn, winner w, with qty of each
// item.
func (e *env) orderBody(tn *tender, w int, qty ...string) map[string]any {
	lines := []map[string]any{}
	for i, q := range qty {
		lines = append(lines, map[string]any{"item_id": tn.Items[i], "quantity": q})
	}
	return map[string]any{"tender_id": tn.ID, "supplier_id": tn.Winners[w], "budget_line_id": e.budgetLine,
		"delivery_address": "רחוב הנדיב 1", "requested_date": "2030-06-30", "lines": lines}
}

// mustCreate creates a draft through the service.
func (e *env) mustCreate(tn *tender, w int, budgetLine int64, qty ...string) *orders.Order {
	e.t.Helper()
	in := orders.NewOrder{TenderID: tn.ID, SupplierID: tn.Winners[w], BudgetLineID: budgetLine,
		DeliveryAddress: "רחוב הנדיב 1", RequestedDate: calendar.NewDate(2030, time.June, 30)}
	for i, q := range qty {
		in.Lines = append(in.Lines, orders.LineInput{ItemID: tn.Items[i], Quantity: orders.Qty(q)})
	}
	o, err := e.svc.Create(ctx, e.officer.P, in)
	if err != nil {
		e.t.Fatalf("create: %v", err)
	}
	return o
}

// mustSent creates and submits an order, which the treasurer and the
// head sign.
func (e *env) mustSent(tn *tender, w int, qty ...string) *orders.Order {
	e.t.Helper()
	o := e.mustCreate(tn, w, e.budgetLine, qty...)
	if _, err := e.svc.Submit(ctx, e.officer.P, o.ID, ""); err != nil {
		e.t.Fatalf("submit: %v", err)
	}
	return e.mustSign(o, e.treasurer, e.head)
}

// treasurerChecks are the treasurer's three checks, all confirmed.
var treasurerChecks = orders.SignInput{Legal: true, BudgetLine: true, NoDeficit: true}

// mustSign signs pending order o by each of signers in turn (each in the
// first slot it may fill, with the treasurer's checks); after the last the
// order must be sent.
func (e *env) mustSign(o *orders.Order, signers ...user) *orders.Order {
	e.t.Helper()
	var err error
	for _, u := range signers {
		if o, err = e.svc.Sign(ctx, u.P, o.ID, "", treasurerChecks); err != nil {
			e.t.Fatalf("sign as user %d: %v", u.ID, err)
		}
	}
	if o.Status != orderstatus.Sent {
		e.t.Fatalf("status %s after the signatures", o.Status)
	}
	return o
}

// wantStatus fails unless r has status code.
func wantStatus(t testing.TB, r webtest.Response, code int) {
	t.Helper()
	if r.Code != code {
		t.Fatalf("status %d, want %d: %s", r.Code, code, r.Body)
	}
}

// dec parses a decimal constant.
func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// webStatus is the HTTP status an error answers.
func webStatus(err error) int { return web.StatusOf(err) }

// keyOf is the message key of err ("" when it is no *apperr.Error).
func keyOf(err error) string {
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return ae.Key
	}
	return ""
}
