package app

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"

	"github.com/jmoiron/sqlx"

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

// silentApp is the whole service over db, logging nowhere.
func silentApp(db *sqlx.DB) http.Handler {
	return New(db, Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}).Engine
}

// demoLogin is a browser signed in to h as the demo user with that e-mail.
func demoLogin(t *testing.T, h http.Handler, email string) *pagetest.Client {
	t.Helper()
	c := pagetest.New(t, h)
	c.Login(email, DemoPassword)
	return c
}
