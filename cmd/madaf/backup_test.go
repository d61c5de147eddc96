package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"madaf/app"
	"madaf/internal/database"
	"madaf/internal/dbtest"
	"madaf/migrations"
)

// emptyDatabase creates a database with nothing in it (not cloned from the
// migrated template), dropped when the test ends, and returns its URL.
func emptyDatabase(t *testing.T, name string) string {
	t.Helper()
	ctx := context.Background()
	server := dbtest.ServerURL(t)
	admin, err := database.Open(ctx, server)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	quoted := pq.QuoteIdentifier(name)
	admin.Exec("DROP DATABASE IF EXISTS " + quoted + " WITH (FORCE)")
	if _, err := admin.Exec("CREATE DATABASE " + quoted); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin, err := database.Open(context.Background(), server)
		if err == nil {
			admin.Exec("DROP DATABASE IF EXISTS " + quoted + " WITH (FORCE)")
			admin.Close()
		}
	})
	return database.WithDatabase(server, name)
}

// backupRows are what a restore must bring back whole: every order, its
// lines, signatures and events, and the migrations applied.
var backupRows = []string{
	`SELECT to_jsonb(o)::text FROM orders o ORDER BY id`,
	`SELECT to_jsonb(l)::text FROM order_lines l ORDER BY id`,
	`SELECT to_jsonb(s)::text FROM order_signatures s ORDER BY id`,
	`SELECT to_jsonb(e)::text FROM order_events e ORDER BY id`,
	`SELECT to_jsonb(v)::text FROM volume_rollups v ORDER BY 1`,
	`SELECT version_id::text FROM goose_db_version WHERE is_applied ORDER BY id`,
}

func dumpRows(t *testing.T, db *sqlx.DB) [][]string {
	t.Helper()
	out := make([][]string, len(backupRows))
	for i, q := range backupRows {
		if err := db.Select(&out[i], q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return out
}

func sameRows(t *testing.T, what string, want, got [][]string) {
	t.Helper()
	for i := range want {
		if strings.Join(want[i], "\n") != strings.Join(got[i], "\n") {
			t.Errorf("%s: %s: %d rows, want %d (or rows differ)", what, backupRows[i], len(got[i]), len(want[i]))
		}
	}
}

func TestBackupRestore(t *testing.T) {
	ctx := context.Background()
	srcURL := dbtest.NewURL(t)
	src, err := database.Open(ctx, srcURL)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if _, err := app.SeedDemo(ctx, src, io.Discard); err != nil {
		t.Fatalf("seed demo: %v", err)
	}
	want := dumpRows(t, src)
	if len(want[0]) == 0 || len(want[3]) == 0 {
		t.Fatalf("the demo has %d orders and %d order events", len(want[0]), len(want[3]))
	}

	dir := t.TempDir()
	file := filepath.Join(dir, "madaf.dump")
	var out bytes.Buffer
	if err := backupCommand(ctx, config{databaseURL: srcURL}, "backup", []string{file}); err != nil {
		t.Fatalf("madaf backup: %v", err)
	}
	head := make([]byte, 5)
	if f, err := os.Open(file); err != nil {
		t.Fatal(err)
	} else {
		f.Read(head)
		f.Close()
	}
	if string(head) != "PGDMP" {
		t.Fatalf("the backup starts %q, not as a pg_dump custom archive", head)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the backup left %d files in its directory, want 1", len(entries))
	}

	dstURL := emptyDatabase(t, "madaf_test_restore_"+strings.ReplaceAll(filepath.Base(dir), "-", "_"))
	if err := backupCommand(ctx, config{databaseURL: dstURL}, "restore", []string{file}); err != nil {
		t.Fatalf("madaf restore: %v", err)
	}
	dst, err := database.Open(ctx, dstURL)
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	sameRows(t, "restored", want, dumpRows(t, dst))

	t.Run("TheRestoredDatabaseServes", func(t *testing.T) {
		if err := database.MigrateUp(ctx, dst.DB, migrations.FS); err != nil {
			t.Fatalf("migrate the restored database: %v", err)
		}
		sameRows(t, "migrated after the restore", want, dumpRows(t, dst))
		var n int
		if err := dst.Get(&n, `SELECT count(*) FROM users WHERE email = 'officer@zichron.example'`); err != nil || n != 1 {
			t.Fatalf("demo officer: %d, %v", n, err)
		}
	})

	t.Run("ErrNotEmpty", func(t *testing.T) {
		err := restore(ctx, dstURL, file, false, &out)
		if err == nil || !strings.Contains(err.Error(), "not empty") || !strings.Contains(err.Error(), "--clean") {
			t.Fatalf("restore into a full database: %v, want a refusal naming --clean", err)
		}
		sameRows(t, "after a refused restore", want, dumpRows(t, dst))
	})

	t.Run("Clean", func(t *testing.T) {
		if _, err := dst.Exec(`DROP TABLE order_events CASCADE`); err != nil {
			t.Fatal(err)
		}
		if err := backupCommand(ctx, config{databaseURL: dstURL}, "restore", []string{"--clean", file}); err != nil {
			t.Fatalf("madaf restore --clean: %v", err)
		}
		sameRows(t, "restored with --clean", want, dumpRows(t, dst))
	})

	t.Run("ErrTruncatedArchive", func(t *testing.T) {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		cut := filepath.Join(dir, "cut.dump")
		if err := os.WriteFile(cut, data[:len(data)*2/3], 0o600); err != nil {
			t.Fatal(err)
		}
		emptyURL := emptyDatabase(t, "madaf_test_restore_cut_"+strings.ReplaceAll(filepath.Base(dir), "-", "_"))
		if err := restore(ctx, emptyURL, cut, false, &out); err == nil {
			t.Fatal("a truncated archive restored without an error")
		}
		if objects, err := databaseObjects(ctx, emptyURL); err != nil || len(objects) != 0 {
			t.Fatalf("a failed restore left %q (%v), want nothing", objects, err)
		}
	})

	t.Run("ErrUsage", func(t *testing.T) {
		for _, args := range [][]string{nil, {"a", "b"}, {"--clean", file}} {
			if err := backupCommand(ctx, config{databaseURL: srcURL}, "backup", args); err == nil {
				t.Errorf("madaf backup %q: no error", args)
			}
		}
	})

	t.Run("ErrBackupNowhere", func(t *testing.T) {
		if err := backup(ctx, srcURL, filepath.Join(dir, "missing", "x.dump"), &out); err == nil {
			t.Fatal("a backup into a missing directory succeeded")
		}
	})
}

func TestLibpqTarget(t *testing.T) {
	conn, env, err := libpqTarget("postgres://madaf:s%40cret@db.example:5433/madaf?sslmode=require&binary_parameters=yes")
	if err != nil {
		t.Fatal(err)
	}
	if conn != "postgres://madaf@db.example:5433/madaf?sslmode=require" || len(env) != 1 || env[0] != "PGPASSWORD=s@cret" {
		t.Fatalf("conn %q env %q", conn, env)
	}
	if _, _, err := libpqTarget("host=db user=madaf"); err == nil {
		t.Fatal("a keyword DSN was taken for a URL")
	}
}
