package volumes_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/shopspring/decimal"

	"madaf/competitions"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/dbtest"
	"madaf/internal/fixture"
	"madaf/internal/money"
	"madaf/internal/orderstatus"
	"madaf/internal/server"
	"madaf/internal/webtest"
	"madaf/orders"
	"madaf/suppliers"
	"madaf/volumes"
)

// competitionWorld is an authority running mini-competitions on a
// competition tender of four winners, on a clock of its own (in the
// database's past, so that the database's clock too has passed its
// deadlines unless a test sets one in the database's future).
type competitionWorld struct {
	t      *testing.T
	db     *sqlx.DB
	base   *server.Base
	svc    *competitions.Service
	orders *orders.Service

	mu  sync.Mutex
	now time.Time

	authority, budgetLine                              int64
	officer, treasurer, head, ceo, legal, lead, otherO user
	tenderID                                           int64
	items, winners                                     []int64
	winnerUsers                                        []user
}

func newCompetitionWorld(t *testing.T) *competitionWorld {
	t.Helper()
	db := dbtest.New(t)
	w := &competitionWorld{t: t, db: db, now: time.Date(2026, 3, 10, 10, 0, 0, 0, calendar.Israel)}
	w.base = webtest.NewBase(t, db)
	w.orders = orders.NewService(db, orders.Options{BaseURL: "https://madaf.example", Now: w.clock})
	w.svc = competitions.NewService(db, competitions.Options{BaseURL: "https://madaf.example", Now: w.clock, Orders: w.orders})
	h := volumes.Routes{Store: volumes.NewStore(db), OCDS: volumes.OCDS{Prefix: "ocds-test01", BaseURL: "https://madaf.example/"}, Now: w.clock}
	h.Mount(server.Router{API: w.base.API})

	w.authority = fixture.MustAuthority(t, db, "זכרון יעקב")
	other := fixture.MustAuthority(t, db, "כפר קרע")
	w.budgetLine = fixture.MustBudgetLine(t, db, w.authority, 2026, "1000000")
	for _, u := range []struct {
		dst  *user
		org  string
		id   int64
		role string
	}{
		{&w.officer, auth.OrgAuthority, w.authority, auth.RoleOfficer}, {&w.treasurer, auth.OrgAuthority, w.authority, auth.RoleTreasurer},
		{&w.head, auth.OrgAuthority, w.authority, auth.RoleHead}, {&w.ceo, auth.OrgAuthority, w.authority, auth.RoleCEO},
		{&w.legal, auth.OrgAuthority, w.authority, auth.RoleLegalAdviser}, {&w.lead, auth.OrgCluster, 0, auth.RoleEconomicLead},
		{&w.otherO, auth.OrgAuthority, other, auth.RoleOfficer},
	} {
		*u.dst = fixture.MustUser(t, db, u.org, u.id, u.role)
	}
	if err := db.Get(&w.tenderID, `INSERT INTO tenders (number, title, category, valid_from, valid_until, status, fee_percent, award_rule, confirmation_days)
		VALUES ('03/2026', 'אבטחת מידע', 'אבטחת מידע', '2020-01-01', '2030-12-31', 'active', 2.50, 'competition', 5) RETURNING id`); err != nil {
		t.Fatal(err)
	}
	db.MustExec(`INSERT INTO tender_authorities (tender_id, authority_id) VALUES ($1, $2), ($1, $3)`, w.tenderID, w.authority, other)
	w.items = fixture.MustItems(t, db, w.tenderID, 2)
	for i := range 4 {
		sid, u := fixture.MustSupplier(t, db, fmt.Sprintf("סייבר %d בע\"מ", i+1))
		fixture.MustAward(t, db, w.tenderID, sid, "2020-01-01", w.items, []string{"100", "50"})
		w.winners, w.winnerUsers = append(w.winners, sid), append(w.winnerUsers, u)
	}
	return w
}

func (w *competitionWorld) clock() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.now
}

func (w *competitionWorld) setClock(t time.Time) {
	w.mu.Lock()
	w.now = t
	w.mu.Unlock()
}

// publish creates and publishes a request of 2 of the first item and 10 of
// the second, closing on deadline (zero: the earliest).
func (w *competitionWorld) publish(deadline calendar.Date) *competitions.Competition {
	w.t.Helper()
	in := competitions.Input{TenderID: w.tenderID, BudgetLineID: w.budgetLine, DeliveryAddress: "רחוב המייסדים 40",
		RequestedDate: calendar.NewDate(2030, time.June, 30),
		Lines:         []competitions.LineInput{{ItemID: w.items[0], Quantity: decimal.NewFromInt(2)}, {ItemID: w.items[1], Quantity: decimal.NewFromInt(10)}}}
	c, err := w.svc.Create(ctx, w.officer.P, in)
	if err != nil {
		w.t.Fatalf("create: %v", err)
	}
	if c, err = w.svc.Publish(ctx, w.officer.P, c.ID, "", competitions.PublishInput{Deadline: deadline}); err != nil {
		w.t.Fatalf("publish: %v", err)
	}
	return c
}

// quote quotes the two lines of c at p1 and p2 as winner i.
func (w *competitionWorld) quote(c *competitions.Competition, i int, p1, p2 string) {
	w.t.Helper()
	in := competitions.QuoteInput{Lines: []competitions.QuoteLineInput{
		{ItemID: c.Lines[0].ItemID, UnitPrice: money.MustParse(p1)}, {ItemID: c.Lines[1].ItemID, UnitPrice: money.MustParse(p2)}}}
	if _, err := w.svc.SubmitQuote(ctx, w.winnerUsers[i].P, c.ID, in); err != nil {
		w.t.Fatalf("quote of winner %d: %v", i, err)
	}
}

// export fetches the OCDS package as u, checks it against the schema, and
// returns its body and its release of competition id (nil when absent).
func (w *competitionWorld) export(schema *jsonschema.Schema, u user, id int64) (string, *volumes.Release) {
	w.t.Helper()
	return w.exportQuery(schema, u, id, "")
}

// exportQuery is export with the query string query ("a=b&c=d").
func (w *competitionWorld) exportQuery(schema *jsonschema.Schema, u user, id int64, query string) (string, *volumes.Release) {
	w.t.Helper()
	r := webtest.Do(w.base.Engine, "GET", "/api/v1/exports/ocds?"+query, u.Token, nil)
	if r.Code != 200 {
		w.t.Fatalf("export: %d %s", r.Code, r.Body)
	}
	body := r.Body.Bytes()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		w.t.Fatal(err)
	}
	if err := schema.Validate(doc); err != nil {
		w.t.Fatalf("the release package does not validate: %v", err)
	}
	var pkg volumes.ReleasePackage
	if err := json.Unmarshal(body, &pkg); err != nil {
		w.t.Fatal(err)
	}
	for i, rel := range pkg.Releases {
		if rel.OCID == volumes.CompetitionOCID("ocds-test01", id) {
			return string(body), &pkg.Releases[i]
		}
	}
	return string(body), nil
}

// TestOCDSCompetitions: each mini-competition is a selective, competitive
// process of its own, related to the framework's. Before its deadline the
// export holds none of its prices, nor who quoted; once decided it holds
// every bid with its total and status, the award and the contract of the
// order it made, valid against the OCDS 1.1.5 schema; a competition the
// database's clock has not closed yet holds no price whatever its status.
// An invited winner sees its own bid only; another authority nothing.
func TestOCDSCompetitions(t *testing.T) {
	w := newCompetitionWorld(t)
	schema := releasePackageSchema(t)

	decided := w.publish(calendar.Date{})
	w.quote(decided, 0, "80.00", "40.00") // 560, the cheapest
	w.quote(decided, 1, "90.00", "40.00") // 580
	w.quote(decided, 2, "95.00", "45.00") // 640, then withdrawn
	if _, err := w.svc.WithdrawQuote(ctx, w.winnerUsers[2].P, decided.ID); err != nil {
		t.Fatal(err)
	}
	w.quote(decided, 3, "85.00", "43.00") // 600, then suspended: set aside
	if _, err := suppliers.NewStore(w.db).Suspend(ctx, w.winners[3], suppliers.SuspendInput{Reason: "חקירה"}); err != nil {
		t.Fatal(err)
	}
	// The open one closes in the database's future; its only quote has a
	// price found nowhere else.
	open := w.publish(calendar.NewDate(2030, time.March, 10))
	w.quote(open, 0, "87.65", "43.21")

	t.Run("BeforeTheDeadline", func(t *testing.T) {
		body, r := w.export(schema, w.lead, open.ID)
		if r == nil {
			t.Fatal("the open competition has no release")
		}
		if r.Tender.ProcurementMethod != "selective" || r.Tender.Competitive == nil || !*r.Tender.Competitive ||
			r.Tender.Status != "active" || r.Tender.ProcurementMethodDetails == "" {
			t.Fatalf("tender %+v", r.Tender)
		}
		if len(r.RelatedProcesses) != 1 || r.RelatedProcesses[0].Relationship[0] != "framework" ||
			r.RelatedProcesses[0].Identifier != volumes.TenderOCID("ocds-test01", w.tenderID) {
			t.Fatalf("related processes %+v", r.RelatedProcesses)
		}
		if r.Tender.NumberOfTenderers != nil || len(r.Tender.Tenderers) > 0 || r.Bids != nil || len(r.Awards) > 0 || len(r.Contracts) > 0 {
			t.Fatalf("a sealed competition exports its quotes: tenderers %v %v, bids %+v, awards %+v", r.Tender.NumberOfTenderers, r.Tender.Tenderers, r.Bids, r.Awards)
		}
		if len(r.Tender.Items) != 2 || r.Tender.Items[0].Unit.Value != nil || r.Tender.TenderPeriod == nil ||
			r.Tender.TenderPeriod.EndDate != "2030-03-10T10:00:00Z" {
			t.Fatalf("items %+v, period %+v", r.Tender.Items, r.Tender.TenderPeriod)
		}
		for _, price := range []string{"87.65", "43.21", "306.5", "175.3"} {
			if strings.Contains(body, price) {
				t.Errorf("the package holds the sealed price %s", price)
			}
		}
	})

	// The closing sets the suspended winner aside; the committee approves
	// the cheapest; the order at its prices is signed and sent.
	w.setClock(time.Date(2026, 3, 15, 12, 0, 0, 0, calendar.Israel))
	if n, err := w.svc.CloseDue(ctx); err != nil || n != 1 {
		t.Fatalf("closed %d: %v", n, err)
	}
	_, r := w.export(schema, w.lead, decided.ID)
	if r.Tender.NumberOfTenderers == nil || *r.Tender.NumberOfTenderers != 3 || len(r.Tender.Tenderers) != 3 || r.Bids != nil || len(r.Awards) > 0 {
		t.Fatalf("closed, undecided: %v tenderers %v, bids %+v", r.Tender.NumberOfTenderers, r.Tender.Tenderers, r.Bids)
	}
	closed, err := w.svc.Get(ctx, w.officer.P, decided.ID)
	if err != nil || closed.ProposalSupplierID == nil || *closed.ProposalSupplierID != w.winners[0] {
		t.Fatalf("the proposal after the closing: %+v, %v", closed, err)
	}
	var p *competitions.Protocol
	for _, u := range []user{w.ceo, w.treasurer, w.legal} {
		vote := competitions.VoteInput{Vote: competitions.VoteApprove, SupplierID: *closed.ProposalSupplierID}
		if p, err = w.svc.Vote(ctx, u.P, decided.ID, "", vote); err != nil {
			t.Fatalf("vote: %v", err)
		}
	}
	orderID := *p.Competition.OrderID

	t.Run("DecidedBeforeSigning", func(t *testing.T) {
		_, r := w.export(schema, w.lead, decided.ID)
		if len(r.Awards) != 1 || r.Awards[0].Status != "pending" || len(r.Contracts) != 0 || r.Tender.Status != "complete" {
			t.Fatalf("awards %+v, contracts %+v", r.Awards, r.Contracts)
		}
	})

	o, err := w.orders.Submit(ctx, w.officer.P, orderID, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []user{w.treasurer, w.head} {
		if o, err = w.orders.Sign(ctx, u.P, orderID, "", orders.SignInput{Legal: true, BudgetLine: true, NoDeficit: true}); err != nil {
			t.Fatal(err)
		}
	}
	if o.Status != orderstatus.Sent {
		t.Fatalf("order %s", o.Status)
	}

	t.Run("Decided", func(t *testing.T) {
		body, r := w.export(schema, w.lead, decided.ID)
		if r.Tender.Status != "complete" || r.Tender.AwardPeriod == nil || r.Tender.AwardPeriod.EndDate == "" {
			t.Fatalf("tender %+v", r.Tender)
		}
		want := map[string]string{ // supplier party → status, value
			"IL-ROC-" + companyNumber(t, w.db, w.winners[0]): "valid 560.00",
			"IL-ROC-" + companyNumber(t, w.db, w.winners[1]): "valid 580.00",
			"IL-ROC-" + companyNumber(t, w.db, w.winners[2]): "withdrawn -",
			"IL-ROC-" + companyNumber(t, w.db, w.winners[3]): "disqualified 600.00",
		}
		if r.Bids == nil || len(r.Bids.Details) != len(want) {
			t.Fatalf("bids %+v", r.Bids)
		}
		for _, b := range r.Bids.Details {
			got := b.Status + " -"
			if b.Value != nil {
				got = b.Status + " " + string(b.Value.Amount)
			}
			if len(b.Tenderers) != 1 || want[b.Tenderers[0].ID] != got {
				t.Errorf("bid %+v: %s, want %s", b, got, want[b.Tenderers[0].ID])
			}
		}
		if len(r.Awards) != 1 || len(r.Contracts) != 1 || r.Awards[0].Status != "pending" || r.Awards[0].Value.Amount != "560.00" ||
			r.Awards[0].Suppliers[0].ID != "IL-ROC-"+companyNumber(t, w.db, w.winners[0]) {
			t.Fatalf("awards %+v", r.Awards)
		}
		c := r.Contracts[0]
		if c.ID != fmt.Sprintf("order-%d-contract", orderID) || c.AwardID != r.Awards[0].ID || c.Value.Amount != "560.00" ||
			!strings.Contains(c.Title, o.Number) || len(c.Items) != 2 || c.Items[0].Unit.Value.Amount != "80.00" {
			t.Fatalf("contract %+v", c)
		}
		if !strings.Contains(strings.Join(r.Tag, ","), "award") || !strings.Contains(strings.Join(r.Tag, ","), "contract") {
			t.Fatalf("tags %v", r.Tag)
		}
		// The competition's order is its contract, not a call-off of its
		// own.
		if strings.Contains(body, volumes.OrderOCID("ocds-test01", orderID)+`"`) {
			t.Error("the competition's order is exported as a call-off of its own")
		}
	})

	t.Run("Scope", func(t *testing.T) {
		_, r := w.export(schema, w.winnerUsers[1], decided.ID)
		if r == nil || r.Bids == nil || len(r.Bids.Details) != 1 || r.Bids.Details[0].Value.Amount != "580.00" || len(r.Awards) != 0 {
			t.Fatalf("an invited winner's view: %+v", r)
		}
		if _, r := w.export(schema, w.winnerUsers[0], decided.ID); r == nil || len(r.Awards) != 1 || len(r.Contracts) != 1 {
			t.Fatalf("the chosen winner's view: %+v", r)
		}
		if _, r := w.export(schema, w.otherO, decided.ID); r != nil {
			t.Fatal("another authority exports the competition")
		}
		if _, r := w.export(schema, w.officer, decided.ID); r == nil || r.Bids == nil || len(r.Bids.Details) != 4 {
			t.Fatalf("the authority's view: %+v", r)
		}
		// The lead asking of one winner sees that winner's part, and still
		// how many quoted.
		q := fmt.Sprintf("supplier=%d", w.winners[1])
		if _, r := w.exportQuery(schema, w.lead, decided.ID, q); r == nil || r.Bids == nil || len(r.Bids.Details) != 1 ||
			r.Bids.Details[0].Value.Amount != "580.00" || len(r.Awards) != 0 || r.Tender.NumberOfTenderers == nil || *r.Tender.NumberOfTenderers != 3 {
			t.Fatalf("the lead's view of one winner: %+v", r)
		}
	})

	// By months, a competition is in the months it was published in and
	// in those its orders were submitted in.
	t.Run("Months", func(t *testing.T) {
		if _, err := w.db.Exec(`UPDATE competitions SET published_at = published_at - interval '40 days' WHERE id = $1`, decided.ID); err != nil {
			t.Fatal(err)
		}
		for _, m := range []struct {
			month string
			in    bool
		}{{"2026-01", true}, {"2026-02", false}, {"2026-03", true}, {"2026-04", false}} {
			// published_at fell to the end of January; the order was
			// submitted in March.
			_, r := w.exportQuery(schema, w.lead, decided.ID, "from="+m.month+"&to="+m.month)
			if (r != nil) != m.in {
				t.Errorf("month %s: exported %v, want %v", m.month, r != nil, m.in)
			}
			if r != nil && len(r.Contracts) != 1 {
				t.Errorf("month %s: contracts %+v", m.month, r.Contracts)
			}
		}
	})

	// A competition whose deadline the database's clock has not reached
	// holds no price, even decided and closed by a clock that ran ahead.
	t.Run("TheDatabasesClock", func(t *testing.T) {
		w.db.MustExec(`UPDATE competitions SET status = 'decided', opened_at = now(), chosen_supplier_id = $2, decided_supplier_id = $2,
			decided_at = now(), order_id = $3 WHERE id = $1`, open.ID, w.winners[0], orderID)
		body, r := w.export(schema, w.lead, open.ID)
		if r.Tender.NumberOfTenderers != nil || r.Bids != nil || len(r.Awards) > 0 || strings.Contains(body, "87.65") {
			t.Fatalf("a competition before the database's deadline exports its quotes: %+v", r)
		}
	})
}

func companyNumber(t *testing.T, db *sqlx.DB, supplierID int64) string {
	t.Helper()
	var n string
	if err := db.Get(&n, `SELECT company_number FROM suppliers WHERE id = $1`, supplierID); err != nil {
		t.Fatal(err)
	}
	return n
}
