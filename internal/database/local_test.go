package database_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"madaf/internal/database"
)

// TestPrivateServerSurvivesAKilledRun: a run that was killed leaves its
// private server running; the next start on the same data directory
// adopts it and finds the first run's data. A postmaster.pid whose process
// is gone does not stop a start; the server keeps fsync on.
func TestPrivateServerSurvivesAKilledRun(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	data := filepath.Join(dir, "data")
	first, err := database.StartPrivate(ctx, data, database.PrivateOptions{})
	if errors.Is(err, database.ErrNoPostgres) {
		t.Skip("no PostgreSQL binaries installed")
	} else if err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			first.Stop()
		}
	})
	db, err := database.Open(ctx, first.URL())
	if err != nil {
		t.Fatal(err)
	}
	var fsync string
	if err := db.Get(&fsync, `SHOW fsync`); err != nil || fsync != "on" {
		t.Fatalf("fsync = %q (%v), want on for a data directory that keeps orders", fsync, err)
	}
	if _, err := db.Exec(`CREATE TABLE kept (note text); INSERT INTO kept VALUES ('first run')`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	// The first run is killed: nothing stops its server.
	second, err := database.StartPrivate(ctx, data, database.PrivateOptions{})
	if err != nil {
		t.Fatalf("a start after a killed run: %v", err)
	}
	if second.URL() != first.URL() {
		t.Fatalf("the second start did not adopt the running server: %s, then %s", first.URL(), second.URL())
	}
	db, err = database.Open(ctx, second.URL())
	if err != nil {
		t.Fatal(err)
	}
	var note string
	if err := db.Get(&note, `SELECT note FROM kept`); err != nil || note != "first run" {
		t.Fatalf("the first run's data: %q, %v", note, err)
	}
	db.Close()

	// A crash of the machine leaves a postmaster.pid naming a process
	// that no longer exists.
	if err := second.Stop(); err != nil {
		t.Fatal(err)
	}
	stopped = true
	if err := os.WriteFile(filepath.Join(data, "postmaster.pid"), []byte("999999\n"+data+"\n0\n5432\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	third, err := database.StartPrivate(ctx, data, database.PrivateOptions{})
	if err != nil {
		t.Fatalf("a start over a stale postmaster.pid: %v", err)
	}
	t.Cleanup(func() { third.Stop() })
	db, err = database.Open(ctx, third.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Get(&note, `SELECT note FROM kept`); err != nil || note != "first run" {
		t.Fatalf("after the stale pid file: %q, %v", note, err)
	}
}
