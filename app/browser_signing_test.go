package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"madaf/internal/calendar"
	"madaf/internal/dbtest"
	"madaf/internal/money"
)

// startChromium starts a headless Chromium tab, in Hebrew, against base
// (the app over db), or skips the test where Debian's chromium is missing.
func startChromium(t *testing.T, base string, db *sqlx.DB) *browser {
	t.Helper()
	if _, err := os.Stat(chromium); err != nil {
		t.Skip("no Chromium at " + chromium + "; install the chromium package to run the browser tests")
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium), chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("lang", "he-IL"), chromedp.Env("LANGUAGE=he", "LANG=he_IL.UTF-8"), chromedp.WindowSize(1280, 900),
	)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	// The first action starts the browser; it runs on the tab's own
	// context, since cancelling the context of the first action closes
	// the browser.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return &browser{t: t, ctx: ctx, base: base, db: db}
}

// lineFigures is a budget line as a direct sum over its reserving orders
// gives it.
type lineFigures struct {
	ID     int64           `db:"id"`
	Code   string          `db:"code"`
	Name   string          `db:"name"`
	Amount decimal.Decimal `db:"amount"`
	Held   decimal.Decimal `db:"held"`
	Orders int             `db:"orders"`
}

// Left is what the line has left beside what its reserving orders hold.
func (l lineFigures) Left() decimal.Decimal { return l.Amount.Sub(l.Held) }

// budgetFromSQL returns the budget lines of authorityID for year, by id,
// with what the orders that reserve (pending approval through closed)
// hold on them, summed in SQL.
func budgetFromSQL(t *testing.T, db *sqlx.DB, authorityID int64, year int) []lineFigures {
	t.Helper()
	var out []lineFigures
	err := db.Select(&out, `SELECT b.id, b.code, b.name, b.amount,
			coalesce(sum(o.total), 0) AS held, count(o.id) AS orders
		FROM budget_lines b LEFT JOIN orders o ON o.budget_line_id = b.id
			AND o.status IN ('pending_approval', 'sent', 'confirmed', 'partially_delivered', 'delivered', 'closed')
		WHERE b.authority_id = $1 AND b.fiscal_year = $2 GROUP BY b.id ORDER BY b.id`, authorityID, year)
	if err != nil || len(out) == 0 {
		t.Fatalf("budget lines: %d, %v", len(out), err)
	}
	return out
}

// TestBrowserSigningShowsTheBudgetLine: the officer's order form shows,
// beside each budget line offered, what it has left of its amount; the
// treasurer's signing page shows the chosen line's amount, what the
// reserving orders hold (this one included) and what is left before and
// after this order, then the signature records those figures. Every
// figure the pages show in Hebrew equals a sum over the orders in the
// database.
func TestBrowserSigningShowsTheBudgetLine(t *testing.T) {
	db := dbtest.New(t)
	fx := mustPagesFixture(t, db)
	srv := httptest.NewServer(silentApp(db))
	defer srv.Close()
	b := startChromium(t, srv.URL, db)
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	year := calendar.Today().Year()
	ils := func(d decimal.Decimal) string { return money.Format(d) }

	// The officer puts two laptops in the cart and opens the order form.
	b.login("officer@zichron.example")
	laptop := idStr(fx.laptopID)
	b.do("open the catalog", chromedp.Navigate(b.base+"/catalog?q="+"מחשב"), chromedp.WaitVisible(chromedp.ID("item-"+laptop)))
	b.do("laptop quantity", chromedp.SetValue(chromedp.ID("qty-"+laptop), "2"))
	b.submit("add laptops to the cart", "#item-"+laptop+" form.add-to-cart button", chromedp.WaitVisible(chromedp.CSS("p.flash")))
	b.do("open the cart", chromedp.Navigate(b.base+"/cart"), chromedp.WaitVisible(chromedp.CSS("section.cart")))
	edit := b.eval(`[...document.querySelectorAll("section.cart")].find(s => s.textContent.includes("` + fixtureTender + `")).querySelector("a.button.primary").getAttribute("href")`)
	m := regexp.MustCompile(`^/orders/(\d+)/edit$`).FindStringSubmatch(edit)
	if m == nil {
		t.Fatalf("the cart links to %q", edit)
	}
	orderID := m[1]
	b.do("open the order form", chromedp.Navigate(b.base+edit), chromedp.WaitVisible(chromedp.ID("budget_line_id")))

	// Each budget line of the year is offered with what it has left.
	before := budgetFromSQL(t, db, fx.authorityID, year)
	var options []struct{ Value, Text string }
	if err := json.Unmarshal([]byte(b.eval(`JSON.stringify([...document.querySelectorAll("#budget_line_id option")].filter(o => o.value !== "").map(o => ({Value: o.value, Text: o.textContent.trim()})))`)), &options); err != nil {
		t.Fatal(err)
	}
	if len(options) != len(before) {
		t.Fatalf("the form offers %d budget lines, the year has %d: %+v", len(options), len(before), options)
	}
	offered := map[string]string{}
	for _, o := range options {
		offered[o.Value] = o.Text
	}
	busiest := before[0]
	for _, l := range before {
		want := fmt.Sprintf("%s · %s — נותרו %s מתוך %s", l.Code, l.Name, ils(l.Left()), ils(l.Amount))
		if got := offered[idStr(l.ID)]; !strings.HasPrefix(got, want) {
			t.Errorf("budget line %s is offered as %q, want %q", l.Code, got, want)
		}
		if l.Orders > busiest.Orders {
			busiest = l
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	// The officer charges the order to the line other orders hold most
	// of, and sends it for signature.
	b.do("fill the order form",
		chromedp.SetValue(chromedp.ID("budget_line_id"), idStr(busiest.ID)),
		chromedp.SetValue(chromedp.ID("delivery_address"), "בניין המועצה, רחוב המייסדים 40, זכרון יעקב"),
		chromedp.SetValue(chromedp.ID("requested_date"), calendar.Today().AddDays(14).String()),
	)
	b.submit("submit the order", "#submit-order", chromedp.WaitVisible(chromedp.ID("order-status")))
	if s := b.status(); s != "ממתינה לחתימה" {
		t.Fatalf("status after submitting: %q", s)
	}
	b.logout()

	var total decimal.Decimal
	if err := db.Get(&total, `SELECT total FROM orders WHERE id = $1 AND budget_line_id = $2`, orderID, busiest.ID); err != nil {
		t.Fatalf("the submitted order: %v", err)
	}
	var line lineFigures
	for _, l := range budgetFromSQL(t, db, fx.authorityID, year) {
		if l.ID == busiest.ID {
			line = l
		}
	}
	if !line.Held.Equal(busiest.Held.Add(total)) || line.Orders != busiest.Orders+1 {
		t.Fatalf("the line held %s in %d orders and holds %s in %d after an order of %s", busiest.Held, busiest.Orders, line.Held, line.Orders, total)
	}

	// The treasurer finds it in the inbox with what the line has left, and
	// on the signing page the line as it stands.
	b.login("treasurer@zichron.example")
	b.do("treasurer's inbox", chromedp.Navigate(b.base+"/inbox"), chromedp.WaitVisible(chromedp.ID("order-"+orderID)))
	if left := strings.TrimSpace(b.text("#order-" + orderID + " .budget-left")); left != ils(line.Left()) {
		t.Errorf("the inbox says the line has %q left, the orders leave %s", left, ils(line.Left()))
	}
	b.do("open the signing page", chromedp.Navigate(b.base+"/orders/"+orderID), chromedp.WaitVisible(chromedp.ID("sign-form")),
		chromedp.WaitVisible(chromedp.ID("budget-in-view")))
	var shown []string
	if err := json.Unmarshal([]byte(b.eval(`JSON.stringify([...document.querySelectorAll("#budget-in-view dt")].map(dt => dt.innerText.trim() + ": " + dt.nextElementSibling.innerText.trim()))`)), &shown); err != nil {
		t.Fatal(err)
	}
	heldOrders := fmt.Sprintf("%d הזמנות", line.Orders)
	for _, want := range []string{
		"סעיף תקציבי: " + line.Code + " · " + line.Name,
		"תקציב הסעיף: " + ils(line.Amount),
		"מוחזק בהזמנות שנשלחו לחתימה ואילך (כולל הזמנה זו): " + ils(line.Held) + " · " + heldOrders,
		"יתרה לפני הזמנה זו: " + ils(line.Left().Add(total)),
		"יתרה אחרי הזמנה זו: " + ils(line.Left()),
	} {
		found := false
		for _, s := range shown {
			found = found || s == want
		}
		if !found {
			t.Errorf("the signing page lacks %q among %q", want, shown)
		}
	}
	b.screenshot("signing-budget")

	// The treasurer signs with the three checks; the history shows what
	// was seen.
	b.do("treasurer ticks the checks",
		chromedp.Click(chromedp.CSS(`#sign-form input[name="legal"]`)),
		chromedp.Click(chromedp.CSS(`#sign-form input[name="budget_line"]`)),
		chromedp.Click(chromedp.CSS(`#sign-form input[name="no_deficit"]`)),
	)
	b.submit("treasurer signs", "#sign", chromedp.WaitVisible(chromedp.CSS("p.flash")))
	seen := fmt.Sprintf("הסעיף התקציבי בעת החתימה: תקציב %s, מוחזק %s, יתרה לפני ההזמנה %s, אחריה %s",
		ils(line.Amount), ils(line.Held), ils(line.Left().Add(total)), ils(line.Left()))
	if page := b.eval(`document.body.innerText`); !strings.Contains(page, seen) {
		t.Errorf("after signing the page lacks %q", seen)
	}
	if s := b.status(); s != "ממתינה לחתימה" {
		t.Errorf("after the treasurer alone the order is %q", s)
	}
	b.logout()
}
