package app

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"madaf/internal/auth"
	"madaf/internal/page/pagetest"
)

// mustDemo seeds the demo cluster into db and returns the whole service
// over it.
func mustDemo(t *testing.T, db *sqlx.DB) http.Handler {
	t.Helper()
	if _, err := SeedDemo(context.Background(), db, io.Discard); err != nil {
		t.Fatalf("seed demo: %v", err)
	}
	return silentApp(db)
}

// appDBs is the database of each handler silentApp made, for demoLogin.
var appDBs sync.Map

// silentApp is the whole service over db, logging nowhere.
func silentApp(db *sqlx.DB) http.Handler {
	h := New(db, Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}).Engine
	appDBs.Store(http.Handler(h), db)
	return h
}

// demoLogin is a browser signed in to h as the demo user with that e-mail,
// answering the code of DemoTOTPSecret when the user has a second factor.
func demoLogin(t *testing.T, h http.Handler, email string) *pagetest.Client {
	t.Helper()
	v, ok := appDBs.Load(h)
	if !ok {
		t.Fatal("demoLogin: the handler is not silentApp's")
	}
	db := v.(*sqlx.DB)
	c := pagetest.New(t, h)
	c.SecondFactor = func(email string) string { return demoCode(t, db, email) }
	c.Login(email, DemoPassword)
	return c
}

// demoCode is the current code of DemoTOTPSecret for the user with email,
// whose record of the last code used is forgotten first, so that a test
// may sign the user in twice within one time step.
func demoCode(t testing.TB, db *sqlx.DB, email string) string {
	t.Helper()
	db.MustExec(`DELETE FROM totp_last_steps WHERE user_id = (SELECT id FROM users WHERE lower(email) = lower($1))`, email)
	code, err := auth.TOTPCode(DemoTOTPSecret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// loginCodeStep finds the step and the next page of the sign-in's code
// form.
var loginCodeStep = regexp.MustCompile(`name="step" value="([^"]+)">\s*<input type="hidden" name="next" value="([^"]*)"`)

// demoEnrolled reports whether the user with email has a second factor.
func demoEnrolled(t testing.TB, db *sqlx.DB, email string) bool {
	t.Helper()
	var on bool
	if err := db.Get(&on, `SELECT totp_enabled_at IS NOT NULL FROM users WHERE lower(email) = lower($1)`, email); err != nil {
		t.Fatalf("user %s: %v", email, err)
	}
	return on
}
