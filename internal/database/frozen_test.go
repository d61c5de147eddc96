package database_test

import (
	"context"
	"testing"
	"time"

	"madaf/internal/database"
	"madaf/internal/dbtest"
)

// TestFrozenServerIsGivenUp: a server that stops answering in the middle
// of a statement (as a PostgreSQL stopped with SIGSTOP does: the kernel
// keeps the connection open) costs a caller the pool's wait plus the grace,
// not as long as the server stays frozen, and the error says the database
// is unavailable (the service's 503).
func TestFrozenServerIsGivenUp(t *testing.T) {
	ctx := context.Background()
	f := dbtest.NewFreezer(t, dbtest.NewURL(t))
	// MaxWait alone bounds the read: there is no statement timeout to
	// lean on.
	db, err := database.Open(ctx, f.URL, database.Options{MaxConns: 1, MaxWait: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var one int
	if err := db.GetContext(ctx, &one, `SELECT 1`); err != nil || one != 1 {
		t.Fatalf("before the freeze: %d, %v", one, err)
	}
	f.Freeze()
	start := time.Now()
	err = db.GetContext(ctx, &one, `SELECT 2`)
	took := time.Since(start)
	if err == nil {
		t.Fatal("a frozen server answered")
	}
	if !database.IsUnavailable(err) {
		t.Errorf("a frozen server's error is not unavailable: %v", err)
	}
	// 1 s of wait and 2 s of grace; the frozen server would hold a
	// caller for a minute.
	if took > 8*time.Second {
		t.Errorf("gave up after %s", took)
	}
	t.Logf("a frozen server was given up after %s", took.Round(10*time.Millisecond))
}
