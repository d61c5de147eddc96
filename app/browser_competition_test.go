package app

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/shopspring/decimal"

	"madaf/competitions"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/dbtest"
	"madaf/internal/fixture"
	"madaf/internal/money"
)

// TestBrowserCompetition drives a mini-competition in Chromium, in Hebrew:
// the officer's request on tender 01/2024 is published to its winners; the
// medical supplier finds it among its invitations, sees its cap beside
// each line, is refused a price above the cap beside that line, and
// quotes; the clock passes the deadline and the request closes; the
// director-general and the legal adviser approve, and the treasurer
// approves on the protocol page, which decides the competition and makes
// the order at the quoted price. Screenshots go to a temporary directory,
// whose path the test prints.
func TestBrowserCompetition(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		t.Skip("no Chromium at " + chromium + "; install the chromium package to run the browser tests")
	}
	db := dbtest.New(t)
	if _, err := SeedDemo(context.Background(), db, io.Discard); err != nil {
		t.Fatalf("seed demo: %v", err)
	}
	// The service's clock, which the test moves past the deadline.
	var mu sync.Mutex
	var ahead time.Duration
	now := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return time.Now().Add(ahead)
	}
	h := New(db, Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: now}).Engine
	srv := httptest.NewServer(h)
	defer srv.Close()
	dir := screenshotSubdir(t, "competition")
	t.Logf("screenshots in %s", dir)
	b := startChromium(t, srv.URL, db)
	shot := func(name string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
		defer cancel()
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	ctx := context.Background()
	svc := competitions.NewService(db, competitions.Options{Now: now})
	sessions := auth.NewStore(db)
	principal := func(email string) *auth.Principal {
		t.Helper()
		var id int64
		if err := db.Get(&id, `SELECT id FROM users WHERE lower(email) = $1`, email); err != nil {
			t.Fatalf("user %s: %v", email, err)
		}
		p, err := sessions.Principal(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	officer := principal("officer@zichron.example")
	var item, line int64
	var medical int64
	var tender int64
	if err := db.QueryRow(`SELECT i.id, i.tender_id FROM tender_items i JOIN tenders t ON t.id = i.tender_id
		WHERE t.number = '01/2024' AND i.sku = 'MED-001'`).Scan(&item, &tender); err != nil {
		t.Fatal(err)
	}
	if err := db.Get(&line, `SELECT id FROM budget_lines WHERE authority_id = $1 AND fiscal_year = $2 ORDER BY id LIMIT 1`,
		officer.AuthorityID, calendar.Today().Year()); err != nil {
		t.Fatal(err)
	}
	if err := db.Get(&medical, `SELECT id FROM suppliers WHERE company_number = '510000011'`); err != nil {
		t.Fatal(err)
	}
	c, err := svc.Create(ctx, officer, competitions.Input{TenderID: tender, BudgetLineID: line,
		DeliveryAddress: "בניין המועצה, רחוב המייסדים 40", RequestedDate: calendar.Today().AddDays(60),
		Lines: []competitions.LineInput{{ItemID: item, Quantity: decimal.NewFromInt(4)}}})
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	if c, err = svc.Publish(ctx, officer, c.ID, "", competitions.PublishInput{}); err != nil {
		t.Fatalf("publish: %v", err)
	}
	show := "/competitions/" + idStr(c.ID)

	// The winner finds the request among its invitations and sees its cap.
	b.login("supplier@medical.example")
	b.do("the invitations", chromedp.Navigate(b.base+"/supplier/competitions"), chromedp.WaitVisible(chromedp.ID("competitions")))
	if !strings.Contains(b.text("#competitions"), "01/2024") {
		t.Fatalf("the invitations lack the request: %q", b.text("#competitions"))
	}
	shot("1-invitations")
	b.do("the request", chromedp.Navigate(b.base+show), chromedp.WaitVisible(chromedp.ID("quote-form")))
	form, err := svc.QuoteForm(ctx, principal("supplier@medical.example"), c.ID)
	if err != nil || len(form.Lines) != 1 || form.Lines[0].Cap == nil {
		t.Fatalf("the quote form: %+v %v", form, err)
	}
	limit := form.Lines[0].Cap.Decimal
	capText := strings.TrimSpace(b.text("#cap-" + idStr(item)))
	if want := money.Format(limit); capText != want {
		t.Fatalf("the cap shows %q, want %q", capText, want)
	}
	shot("2-quote-form")

	// A price above the cap is refused beside its line; one under it is
	// taken.
	price := "#price_" + idStr(item)
	b.do("a price above the cap", chromedp.SetValue(chromedp.CSS(price), limit.Add(decimal.NewFromInt(1)).StringFixed(2)))
	b.submit("quote above the cap", "#submit-quote", chromedp.WaitVisible(chromedp.CSS("#quote-lines .field-error")))
	if msg := b.text("#quote-lines .field-error"); !strings.Contains(msg, capText) {
		t.Errorf("the refusal beside the line says %q, without the cap %s", msg, capText)
	}
	shot("3-above-cap")
	quoted := limit.Mul(decimal.RequireFromString("0.9")).Round(2)
	b.do("a price under the cap", chromedp.SetValue(chromedp.CSS(price), quoted.StringFixed(2)))
	b.submit("quote", "#submit-quote", chromedp.WaitVisible(chromedp.CSS("p.flash")))
	if !strings.Contains(b.text("#quote-state"), money.Format(quoted.Mul(decimal.NewFromInt(4)))) {
		t.Errorf("after quoting the page says %q", b.text("#quote-state"))
	}
	shot("4-quoted")
	b.logout()

	// Before the deadline the officer's page shows who was invited but no
	// price, and no protocol.
	b.login("officer@zichron.example")
	b.do("the officer's request", chromedp.Navigate(b.base+show), chromedp.WaitVisible(chromedp.ID("invitations")))
	body := b.eval(`document.body.innerText`)
	for _, secret := range []string{money.Format(quoted), money.Format(quoted.Mul(decimal.NewFromInt(4))), quoted.StringFixed(2)} {
		if strings.Contains(body, secret) {
			t.Errorf("the officer reads %s before the deadline", secret)
		}
	}
	if b.eval(`document.getElementById("protocol-link") ? "link" : ""`) != "" {
		t.Error("the officer's page links to a protocol before the deadline")
	}
	shot("5-officer-sealed")
	b.logout()

	// The clock passes the deadline; the request closes.
	mu.Lock()
	ahead = time.Until(*c.Deadline) + time.Minute
	mu.Unlock()
	if n, err := svc.CloseDue(ctx); err != nil || n != 1 {
		t.Fatalf("close: %d %v", n, err)
	}
	for _, role := range []string{auth.RoleCEO, auth.RoleLegalAdviser} {
		m := fixture.MustUser(t, db, auth.OrgAuthority, officer.AuthorityID, role)
		closed, err := svc.Get(ctx, m.P, c.ID)
		if err != nil || closed.ProposalSupplierID == nil {
			t.Fatalf("the proposal: %+v %v", closed, err)
		}
		vote := competitions.VoteInput{Vote: competitions.VoteApprove, SupplierID: *closed.ProposalSupplierID}
		if _, err := svc.Vote(ctx, m.P, c.ID, "", vote); err != nil {
			t.Fatalf("%s approves: %v", role, err)
		}
	}

	// The treasurer finds the protocol awaiting the committee, with the
	// quote line by line, and approves.
	b.login("treasurer@zichron.example")
	b.do("the committee's inbox", chromedp.Navigate(b.base+"/committee/competitions"), chromedp.WaitVisible(chromedp.ID("competitions")))
	shot("6-committee-inbox")
	b.do("the protocol", chromedp.Navigate(b.base+show+"/protocol"), chromedp.WaitVisible(chromedp.ID("vote-form")))
	if got := b.text("#quote-" + idStr(medical)); !strings.Contains(got, money.Format(quoted)) {
		t.Errorf("the protocol's quote lacks the price %s: %q", money.Format(quoted), got)
	}
	shot("7-protocol")
	b.do("approve", chromedp.Click(chromedp.CSS(`#vote-form input[value="approve"]`)),
		chromedp.SendKeys(chromedp.ID("note"), "ההצעה הזולה, בתקרת המסגרת"))
	b.submit("the treasurer approves", "#cast-vote", chromedp.WaitVisible(chromedp.ID("decided")))
	if s := strings.TrimSpace(b.text("#competition-status")); s != "הוחלט" {
		t.Errorf("status after the third approval: %q", s)
	}
	shot("8-decided")
	b.logout()

	var orderTotal decimal.Decimal
	var orderPrice decimal.Decimal
	err = db.QueryRow(`SELECT o.subtotal, l.unit_price FROM competitions c JOIN orders o ON o.id = c.order_id
		JOIN order_lines l ON l.order_id = o.id WHERE c.id = $1 AND c.status = 'decided'`, c.ID).Scan(&orderTotal, &orderPrice)
	if err != nil {
		t.Fatalf("the decision's order: %v", err)
	}
	if !orderPrice.Equal(quoted) || !orderTotal.Equal(quoted.Mul(decimal.NewFromInt(4))) {
		t.Errorf("the order is at %s (subtotal %s), the quote at %s", orderPrice, orderTotal, quoted)
	}
}
