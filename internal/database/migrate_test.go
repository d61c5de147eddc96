package database_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/lib/pq"

	"madaf/internal/database"
	"madaf/internal/dbtest"
	"madaf/migrations"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// emptyDatabase creates a database without tables on the test server,
// named prefix and this process's id, and returns its URL; it is dropped
// when the test ends.
func emptyDatabase(t *testing.T, prefix string) string {
	t.Helper()
	server := dbtest.ServerURL(t)
	name := fmt.Sprintf("%s_%d", prefix, os.Getpid())
	admin, err := database.Open(context.Background(), server)
	if err != nil {
		t.Fatal(err)
	}
	drop := func() { admin.Exec("DROP DATABASE IF EXISTS " + pq.QuoteIdentifier(name) + " WITH (FORCE)") }
	drop()
	if _, err := admin.Exec("CREATE DATABASE " + pq.QuoteIdentifier(name)); err != nil {
		admin.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		drop()
		admin.Close()
	})
	return database.WithDatabase(server, name)
}

// TestMigrationsUpDownUp applies every migration, undoes them all, and
// applies them again: every Down must work and leave nothing behind.
func TestMigrationsUpDownUp(t *testing.T) {
	ctx := context.Background()
	db, err := database.Open(ctx, emptyDatabase(t, "madaf_migrate"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	p, err := database.NewMigrator(db.DB, migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	tables := func() int {
		var n int
		db.Get(&n, `SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'goose_db_version'`)
		return n
	}
	up, err := p.Up(ctx)
	if err != nil {
		t.Fatalf("up: %v", err)
	}
	if len(up) == 0 || tables() == 0 {
		t.Fatalf("up applied %d migrations, %d tables", len(up), tables())
	}
	want := tables()
	down, err := p.DownTo(ctx, 0)
	if err != nil {
		t.Fatalf("down to zero: %v", err)
	}
	if len(down) != len(up) {
		t.Fatalf("undid %d of %d migrations", len(down), len(up))
	}
	if n := tables(); n != 0 {
		t.Fatalf("%d tables left after down to zero", n)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatalf("up again: %v", err)
	}
	if n := tables(); n != want {
		t.Fatalf("%d tables after up again, want %d", n, want)
	}
	if v, _ := p.GetDBVersion(ctx); v != up[len(up)-1].Source.Version {
		t.Fatalf("version %d", v)
	}
}

// TestConcurrentMigrate starts several migrators at once, as several
// instances starting together would: the session lock lets exactly one
// apply each migration.
func TestConcurrentMigrate(t *testing.T) {
	ctx := context.Background()
	url := emptyDatabase(t, "madaf_migrate_conc")
	errs := make(chan error, 3)
	for range 3 {
		go func() {
			db, err := database.Open(ctx, url)
			if err != nil {
				errs <- err
				return
			}
			defer db.Close()
			errs <- database.MigrateUp(ctx, db.DB, migrations.FS)
		}()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatalf("concurrent migrate: %v", err)
		}
	}
}
