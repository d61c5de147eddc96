package app

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"madaf/internal/auth"
	"madaf/internal/dbtest"
)

// TestBrowserAccount drives the account pages in Chromium: the economic
// lead changes her password and signs out her other sessions; the
// treasurer, whose role requires a second factor, is sent to enrol it
// after signing in, scans (reads) the QR code's key, confirms a code the
// test computes, and from then on signs in with a code after the password.
func TestBrowserAccount(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		t.Skip("no Chromium at " + chromium + "; install the chromium package to run the browser tests")
	}
	db := dbtest.New(t)
	if _, err := SeedDemo(context.Background(), db, io.Discard); err != nil {
		t.Fatalf("seed demo: %v", err)
	}
	srv := httptest.NewServer(silentApp(db))
	defer srv.Close()
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	b := startChromium(t, srv.URL, db)

	// apiSession signs in over the API with password and returns the
	// session cookie ("" when refused).
	apiSession := func(email, password string) string {
		t.Helper()
		res, err := http.Post(srv.URL+"/api/v1/auth/login", "application/json",
			strings.NewReader(`{"email":"`+email+`","password":"`+password+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		for _, c := range res.Cookies() {
			if c.Name == auth.CookieName {
				return c.Value
			}
		}
		return ""
	}
	// live reports whether the session with cookie still answers /api/v1/me.
	live := func(cookie string) bool {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/v1/me", nil)
		req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: cookie})
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}

	// The economic lead changes her password: her session elsewhere ends.
	const lead, newPassword = "lead@madaf.example", "הים התיכון כחול בבוקר"
	elsewhere := apiSession(lead, DemoPassword)
	b.login(lead)
	b.do("open the account page", chromedp.Navigate(b.base+"/account"), chromedp.WaitVisible(chromedp.ID("password-form")))
	if rows := b.eval(`String(document.querySelectorAll("#sessions tbody tr").length)`); rows != "2" {
		t.Fatalf("%s sessions listed, want 2", rows)
	}
	b.do("type a common password", chromedp.SendKeys(chromedp.ID("current"), DemoPassword), chromedp.SendKeys(chromedp.ID("new"), "qwertyuiop123"))
	b.submit("refused password", "#password-submit", chromedp.WaitVisible(chromedp.CSS("#password-form p.field-error")))
	if msg := b.text("#password-form p.field-error"); !strings.Contains(msg, "הנפוצות") {
		t.Fatalf("the refusal says %q", msg)
	}
	b.do("type the passwords", chromedp.SendKeys(chromedp.ID("current"), DemoPassword), chromedp.SendKeys(chromedp.ID("new"), newPassword))
	b.submit("change the password", "#password-submit", chromedp.WaitVisible(chromedp.CSS("p.flash")))
	if flash := b.text("p.flash"); !strings.Contains(flash, "הסיסמה שונתה") {
		t.Fatalf("flash %q", flash)
	}
	if live(elsewhere) {
		t.Fatal("the other session outlived the password change")
	}
	if apiSession(lead, DemoPassword) != "" {
		t.Fatal("the old password still signs in")
	}

	// She signs out her other sessions from the account page.
	other := apiSession(lead, newPassword)
	b.do("reload the account page", chromedp.Navigate(b.base+"/account"), chromedp.WaitVisible(chromedp.ID("end-others")))
	b.screenshot("account")
	b.submit("sign out the other sessions", "#end-others", chromedp.WaitVisible(chromedp.CSS("p.flash")))
	if live(other) {
		t.Fatal("the other session is still signed in")
	}
	if rows := b.eval(`String(document.querySelectorAll("#sessions tbody tr").length)`); rows != "1" {
		t.Fatalf("%s sessions listed after signing out the others, want 1", rows)
	}
	b.logout()

	// A treasurer without a second factor (the demo's is forgotten, as for
	// one newly appointed) must enrol one before anything else.
	const treasurer = "treasurer@zichron.example"
	db.MustExec(`UPDATE users SET totp_secret = NULL, totp_enabled_at = NULL WHERE email = $1`, treasurer)
	b.login(treasurer)
	if got := b.location(); got != auth.EnrolmentPath {
		t.Fatalf("the treasurer lands on %s, want %s", got, auth.EnrolmentPath)
	}
	b.do("try the inbox", chromedp.Navigate(b.base+"/inbox"), chromedp.WaitVisible(chromedp.ID("second-factor-due")))
	b.submit("begin the enrolment", "#begin-enrolment", chromedp.WaitVisible(chromedp.ID("totp-qr")))
	if src := b.eval(`document.getElementById("totp-qr").getAttribute("src").slice(0, 22)`); src != "data:image/png;base64," {
		t.Fatalf("the QR code is %q", src)
	}
	if w := b.eval(`String(document.getElementById("totp-qr").naturalWidth)`); w == "0" {
		t.Fatal("the QR code does not load")
	}
	b.screenshot("account-2fa")
	secret := strings.TrimSpace(b.text("#totp-secret"))
	code, err := auth.TOTPCode(secret, time.Now())
	if err != nil {
		t.Fatalf("secret %q: %v", secret, err)
	}
	b.do("type the code", chromedp.SendKeys(chromedp.ID("code"), code))
	b.submit("confirm the code", "#confirm-submit", chromedp.WaitVisible(chromedp.ID("recovery-codes")))
	if n := b.eval(`String(document.querySelectorAll("#recovery-codes li").length)`); n != "10" {
		t.Fatalf("%s recovery codes shown, want 10", n)
	}
	b.do("open the inbox", chromedp.Navigate(b.base+"/inbox"), chromedp.WaitVisible(chromedp.ID("logout")))
	if got := b.location(); got != "/inbox" {
		t.Fatalf("after enrolling the treasurer is on %s", got)
	}
	b.logout()

	// From now on her sign-in asks for the code after the password. The
	// code just used is good once: the test forgets it, as if the next
	// time step had come.
	db.MustExec(`DELETE FROM totp_last_steps`)
	b.do("open the login page",
		chromedp.Navigate(b.base+"/login"), chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), treasurer), chromedp.SendKeys(chromedp.ID("password"), DemoPassword))
	b.submit("the password", "#login-submit", chromedp.WaitVisible(chromedp.ID("code-submit")))
	b.do("type a wrong code", chromedp.SendKeys(chromedp.ID("code"), "000000"))
	b.submit("a wrong code", "#code-submit", chromedp.WaitVisible(chromedp.CSS("div.form-message")))
	code, _ = auth.TOTPCode(secret, time.Now())
	b.do("type the code", chromedp.SendKeys(chromedp.ID("code"), code))
	b.submit("the code", "#code-submit", chromedp.WaitVisible(chromedp.ID("logout")))
	if got := b.location(); got == "/login" || got == auth.EnrolmentPath {
		t.Fatalf("after the code the treasurer is on %s", got)
	}
}
