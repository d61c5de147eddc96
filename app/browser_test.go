package app

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/jmoiron/sqlx"

	"madaf/internal/calendar"
	"madaf/internal/dbtest"
)

// chromium is where Debian installs the browser the tests drive.
const chromium = "/usr/bin/chromium"

// screenshotDir is where the browser test writes its screenshots (see the
// README); it is ignored by git.
const screenshotDir = "../screenshots"

// stepTimeout bounds each browser step; generous for a loaded machine.
const stepTimeout = 60 * time.Second

// browser drives one Chromium tab against the running app.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string
	db   *sqlx.DB // the app's, for the code of DemoTOTPSecret
}

// do runs actions as one step with its own timeout and fails the test,
// naming the step, when they fail.
func (b *browser) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", step, err)
	}
}

// submit clicks the button at css, which sends a form, and waits for the
// next page to load and show waitFor. The old page is marked first, so
// that an element of the old page never satisfies the wait.
func (b *browser) submit(step, css string, waitFor chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	b.do(step,
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](`document.documentElement.dataset.left = "1", true`)(ctx, t)
			return err
		}),
		chromedp.Click(chromedp.CSS(css)),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			// Evaluate fails while the page navigates; try again until
			// the new page has loaded.
			for {
				loaded, err := chromedp.Evaluate[bool](`!document.documentElement.dataset.left && document.readyState === "complete"`)(ctx, t)
				if err == nil && loaded {
					return nil
				}
				select {
				case <-ctx.Done():
					return fmt.Errorf("the next page did not load: %w", ctx.Err())
				case <-time.After(50 * time.Millisecond):
				}
			}
		}),
		waitFor,
	)
}

// text returns the visible text of the first element matching css.
func (b *browser) text(css string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", css, err)
	}
	return s
}

// eval evaluates a JavaScript expression that gives a string.
func (b *browser) eval(expr string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return s
}

// location is the current URL's path.
func (b *browser) location() string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	u, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		b.t.Fatalf("location: %v", err)
	}
	return strings.TrimPrefix(u, b.base)
}

// screenshot writes the whole page to screenshots/name.png: the viewport
// is stretched to the page's height for the capture, then reset to the
// window's.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	size, err := chromedp.Run(ctx, chromedp.Evaluate[[]int64](`[innerWidth, innerHeight, document.documentElement.scrollHeight]`))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(size[0], max(size[1], size[2]))); err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := chromedp.Do(ctx, clearViewport()); err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(screenshotDir, name+".png"), png, 0o644); err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
}

// clearViewport ends any viewport emulation: the page is the window's
// size again.
func clearViewport() chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, emulation.ClearDeviceMetricsOverride, cdp.Empty{})
		return err
	})
}

// login signs in through the login form, answering the code of
// DemoTOTPSecret when the code field follows the password, and waits for
// the home page.
func (b *browser) login(email string) {
	b.t.Helper()
	b.do("open the login page "+email,
		chromedp.Navigate(b.base+"/login"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), DemoPassword),
	)
	b.submit("login "+email, "#login-submit", chromedp.WaitVisible(chromedp.CSS("#logout, #code-submit")))
	if b.eval(`document.getElementById("code-submit") ? "code" : ""`) == "code" {
		b.do("type the code of "+email, chromedp.SendKeys(chromedp.ID("code"), demoCode(b.t, b.db, email)))
		b.submit("the code of "+email, "#code-submit", chromedp.WaitVisible(chromedp.ID("logout")))
	}
}

// logout presses the header's logout button.
func (b *browser) logout() {
	b.t.Helper()
	b.submit("logout", "#logout", chromedp.WaitVisible(chromedp.ID("login-submit")))
}

// status is the order page's status badge.
func (b *browser) status() string { return strings.TrimSpace(b.text("#order-status")) }

// TestBrowser drives the whole service in Chromium: an officer searches
// the catalog in Hebrew, fills a cart and submits; the treasurer and the
// head sign; the supplier confirms and reports the delivery; the officer
// closes; the economic lead sees the order on the dashboard. Along the
// way: a bad value shows beside its field, Arabic is right to left and
// English left to right, and a cross-site form post is refused. It writes
// screenshots of the main pages to screenshots/.
func TestBrowser(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		t.Skip("no Chromium at " + chromium + "; install the chromium package to run the browser tests")
	}
	db := dbtest.New(t)
	fx := mustPagesFixture(t, db)
	srv := httptest.NewServer(silentApp(db))
	defer srv.Close()
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		t.Fatal(err)
	}

	b := startChromium(t, srv.URL, db)
	start := time.Now()

	laptop, monitor := idStr(fx.laptopID), idStr(fx.monitorID)

	// The officer searches in Hebrew and fills the cart.
	b.login("officer@zichron.example")
	if got := b.location(); got != "/catalog" {
		t.Fatalf("the officer's home is %s, want /catalog", got)
	}
	b.do("type a Hebrew search", chromedp.SendKeys(chromedp.ID("q"), "מחשב"))
	b.submit("search the catalog", "#search-submit", chromedp.WaitVisible(chromedp.ID("item-"+monitor)))
	if q := b.eval(`document.getElementById("q").value`); q != "מחשב" {
		t.Fatalf("the search box holds %q", q)
	}
	if offers := b.text("#item-" + laptop + " ul.offers"); !strings.Contains(offers, "4,950.00") || !strings.Contains(offers, "5,100.00") {
		t.Fatalf("the laptop's offers are not side by side: %q", offers)
	}
	b.screenshot("catalog")
	b.do("laptop quantity", chromedp.SetValue(chromedp.ID("qty-"+laptop), "10"))
	b.submit("add laptops to the cart", "#item-"+laptop+" form.add-to-cart button", chromedp.WaitVisible(chromedp.CSS("p.flash")))
	b.do("monitor quantity", chromedp.SetValue(chromedp.ID("qty-"+monitor), "2"))
	b.submit("add monitors to the cart", "#item-"+monitor+" form.add-to-cart button", chromedp.WaitVisible(chromedp.CSS("p.flash")))
	b.do("open the cart", chromedp.Navigate(b.base+"/cart"), chromedp.WaitVisible(chromedp.CSS("section.cart")))
	edit := b.eval(`[...document.querySelectorAll("section.cart")].find(s => s.textContent.includes("` + fixtureTender + `")).querySelector("a.button.primary").getAttribute("href")`)
	b.do("open the order form", chromedp.Navigate(b.base+edit), chromedp.WaitVisible(chromedp.ID("order-form")))
	b.screenshot("order-form")

	// A bad value comes back beside its field.
	b.do("fill the order form",
		chromedp.SetValue(chromedp.ID("qty_"+monitor), "-1"),
		chromedp.SetValue(chromedp.ID("delivery_address"), "בניין המועצה, רחוב המייסדים 40, זכרון יעקב"),
		chromedp.SetValue(chromedp.ID("requested_date"), calendar.Today().AddDays(14).String()),
	)
	b.submit("submit a negative quantity", "#submit-order", chromedp.WaitVisible(chromedp.CSS(".field-error")))
	if msg := b.eval(`document.getElementById("qty_` + monitor + `").parentElement.querySelector(".field-error").textContent`); msg != "חייב להיות גדול מאפס" {
		t.Fatalf("the message beside the monitor's quantity is %q", msg)
	}
	b.do("correct the quantity", chromedp.SetValue(chromedp.ID("qty_"+monitor), "2"))
	b.submit("submit the order", "#submit-order", chromedp.WaitVisible(chromedp.ID("order-status")))
	m := regexp.MustCompile(`^/orders/(\d+)$`).FindStringSubmatch(b.location())
	if m == nil {
		t.Fatalf("after submitting the browser is at %s", b.location())
	}
	orderPath := "/orders/" + m[1]
	if s := b.status(); s != "ממתינה לחתימה" {
		t.Fatalf("status after submitting: %q", s)
	}
	number := strings.TrimSpace(b.text("h1 .num"))
	b.logout()

	// The treasurer signs with the three checks, then the head.
	b.login("treasurer@zichron.example")
	b.do("treasurer's inbox", chromedp.Navigate(b.base+"/inbox"), chromedp.WaitVisible(chromedp.ID("order-"+m[1])))
	b.screenshot("treasurer-inbox")
	b.do("treasurer ticks the checks",
		chromedp.Navigate(b.base+orderPath),
		chromedp.WaitVisible(chromedp.ID("sign-form")),
		chromedp.Click(chromedp.CSS(`#sign-form input[name="legal"]`)),
		chromedp.Click(chromedp.CSS(`#sign-form input[name="budget_line"]`)),
		chromedp.Click(chromedp.CSS(`#sign-form input[name="no_deficit"]`)),
	)
	b.submit("treasurer signs", "#sign", chromedp.WaitVisible(chromedp.CSS("p.flash")))
	b.logout()
	b.login("head@zichron.example")
	b.do("head opens the order", chromedp.Navigate(b.base+orderPath), chromedp.WaitVisible(chromedp.ID("sign-form")))
	b.submit("head signs", "#sign", chromedp.WaitVisible(chromedp.CSS("p.flash")))
	if s := b.status(); s != "נשלחה לספק" {
		t.Fatalf("status after both signatures: %q", s)
	}
	b.logout()

	// The supplier confirms with a promised date and reports the delivery.
	b.login("supplier@medical.example")
	if got := b.location(); got != "/supplier/orders" {
		t.Fatalf("the supplier's home is %s", got)
	}
	b.do("supplier inbox", chromedp.WaitVisible(chromedp.ID("incoming")))
	if row := b.text("#incoming"); !strings.Contains(row, number) {
		t.Fatalf("the supplier's inbox lacks %s: %q", number, row)
	}
	b.screenshot("supplier-inbox")
	b.do("supplier opens the order",
		chromedp.Navigate(b.base+orderPath),
		chromedp.WaitVisible(chromedp.ID("confirm-form")),
		chromedp.SetValue(chromedp.ID("promised_date"), calendar.Today().AddDays(10).String()),
	)
	b.submit("supplier confirms", "#confirm", chromedp.WaitVisible(chromedp.ID("deliver-form")))
	b.eval(`[...document.querySelectorAll("#deliver-form tbody tr")].map(r => r.querySelector("input").value = r.cells[1].textContent.trim()).join()`)
	b.submit("supplier reports the delivery", "#deliver", chromedp.WaitVisible(chromedp.CSS("p.flash")))
	if s := b.status(); s != "סופקה" {
		t.Fatalf("status after the delivery: %q", s)
	}
	b.logout()

	// The officer closes the order; the order page and its print.
	b.login("officer@zichron.example")
	b.do("officer opens the order",
		chromedp.Navigate(b.base+orderPath),
		chromedp.WaitVisible(chromedp.ID("close-form")),
		chromedp.SetValue(chromedp.ID("invoice_ref"), "INV-2026-118"),
	)
	b.submit("officer closes", "#close", chromedp.WaitVisible(chromedp.CSS("p.flash")))
	if s := b.status(); s != "סגורה" {
		t.Fatalf("status after closing: %q", s)
	}
	b.screenshot("order-page")
	// The printed purchase order: an A4 page (794 × 1123 CSS pixels) in
	// print media.
	b.do("print media",
		chromedp.EmulateViewport(794, 1123),
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
			return err
		}),
		chromedp.Navigate(b.base+orderPath),
		chromedp.WaitReady(chromedp.ID("order")),
	)
	if shown := b.eval(`getComputedStyle(document.querySelector("header.site")).display + "/" + getComputedStyle(document.querySelector(".po-issuer")).display + "/" + getComputedStyle(document.getElementById("timeline")).display`); shown != "none/block/none" {
		t.Fatalf("print media shows header/issuer/timeline as %s", shown)
	}
	b.screenshot("printed-order")
	// A closed order prints as it is; a cancelled one with its status
	// across the page.
	if wm := b.eval(`String(document.getElementById("print-watermark"))`); wm != "null" {
		t.Fatalf("the closed order prints with a watermark: %s", wm)
	}
	var cancelled int64
	if err := db.Get(&cancelled, `SELECT o.id FROM orders o JOIN authorities a ON a.id = o.authority_id
		WHERE a.code = '9300' AND o.status = 'cancelled' ORDER BY o.id LIMIT 1`); err != nil {
		t.Fatalf("no cancelled demo order: %v", err)
	}
	b.do("print a cancelled order",
		chromedp.Navigate(fmt.Sprintf("%s/orders/%d", b.base, cancelled)),
		chromedp.WaitReady(chromedp.ID("order")),
	)
	if wm := b.eval(`getComputedStyle(document.getElementById("print-watermark")).display + " " + document.getElementById("print-watermark").textContent`); wm != "block בוטלה" {
		t.Fatalf("the cancelled order's watermark: %q", wm)
	}
	b.screenshot("printed-cancelled-order")
	b.do("screen media",
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: ""})
			return err
		}),
		clearViewport(),
		chromedp.Navigate(b.base+orderPath),
		chromedp.WaitVisible(chromedp.ID("order-status")),
	)

	// Arabic is right to left, English left to right.
	for _, tc := range []struct{ lang, dir string }{{"ar", "rtl"}, {"en", "ltr"}, {"he", "rtl"}} {
		b.submit("switch to "+tc.lang, `.lang-switch button[value="`+tc.lang+`"]`, chromedp.WaitReady(chromedp.CSS(`html[lang="`+tc.lang+`"]`)))
		if got := b.eval(`document.documentElement.lang + " " + document.documentElement.dir`); got != tc.lang+" "+tc.dir {
			t.Fatalf("after switching to %s the page is %q", tc.lang, got)
		}
		if tc.lang == "ar" {
			b.screenshot("order-page-ar")
		}
	}
	b.logout()

	// The economic lead sees the order on the dashboard.
	b.login("lead@madaf.example")
	if got := b.location(); got != "/dashboard" {
		t.Fatalf("the lead's home is %s", got)
	}
	b.do("dashboard", chromedp.WaitVisible(chromedp.ID("recent-orders")))
	if rows := b.text("#recent-orders"); !strings.Contains(rows, number) {
		t.Fatalf("the dashboard lacks order %s: %q", number, rows)
	}
	if bars := b.eval(`String(document.querySelectorAll("svg.bars rect").length)`); bars == "0" {
		t.Fatal("the dashboard has no chart bars")
	}
	b.screenshot("dashboard")
	b.do("tender page", chromedp.Navigate(b.base+"/tenders/"+idStr(fx.tenderID)), chromedp.WaitVisible(chromedp.ID("awards")))
	b.screenshot("tender")

	// A form posted from another site is refused and changes nothing.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><form method="post" action="%s/logout"><button id="go">go</button></form>`, srv.URL)
	}))
	defer evil.Close()
	evilURL := strings.Replace(evil.URL, "127.0.0.1", "localhost", 1)
	b.do("open another site's page", chromedp.Navigate(evilURL), chromedp.WaitVisible(chromedp.ID("go")))
	b.submit("cross-site post", "#go", chromedp.WaitReady(chromedp.CSS("body")))
	if page := b.eval(`location.pathname + " " + document.body.innerText`); !strings.HasPrefix(page, "/logout ") || !strings.Contains(page, "cross-origin request refused") {
		t.Fatalf("the cross-site post was not refused: %s", page)
	}
	b.do("still signed in", chromedp.Navigate(b.base+"/dashboard"), chromedp.WaitVisible(chromedp.ID("logout")))
	t.Logf("browser test took %s", time.Since(start).Round(time.Millisecond))
}
