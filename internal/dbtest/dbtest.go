// Package dbtest gives each test its own real PostgreSQL database, cloned
// from a template that is migrated once.
//
// The server is TEST_DATABASE_URL when set, else the local server on
// 127.0.0.1:5432, else a private server started from the installed
// binaries for the duration of the test binary. A package whose tests use
// it declares
//
//	func TestMain(m *testing.M) { dbtest.Main(m) }
//
// so that a private server is stopped when its tests end.
package dbtest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"madaf/internal/database"
	"madaf/migrations"
)

var (
	setupOnce sync.Once
	setupErr  error
	serverURL string
	template  string
	private   *database.Private
	privDir   string
	counter   atomic.Int64
)

// Main runs the package's tests and then stops the private server, if one
// was started.
func Main(m *testing.M) {
	code := m.Run()
	if private != nil {
		private.Stop()
		os.RemoveAll(privDir)
	}
	os.Exit(code)
}

// New returns a connection to a fresh, fully migrated database that is
// dropped when the test ends.
func New(t testing.TB) *sqlx.DB {
	t.Helper()
	url := NewURL(t)
	db, err := database.Open(context.Background(), url)
	if err != nil {
		t.Fatalf("dbtest: open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// NewURL creates a fresh, fully migrated database and returns its URL; the
// database is dropped when the test ends.
func NewURL(t testing.TB) string {
	t.Helper()
	setupOnce.Do(func() { setupErr = setup(context.Background()) })
	if setupErr != nil {
		t.Fatalf("dbtest: %v", setupErr)
	}
	name := fmt.Sprintf("madaf_test_%d_%d", os.Getpid(), counter.Add(1))
	admin, err := database.Open(context.Background(), serverURL)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE DATABASE " + pq.QuoteIdentifier(name) + " TEMPLATE " + pq.QuoteIdentifier(template)); err != nil {
		t.Fatalf("dbtest: clone template: %v", err)
	}
	t.Cleanup(func() {
		admin, err := database.Open(context.Background(), serverURL)
		if err != nil {
			return
		}
		defer admin.Close()
		admin.Exec("DROP DATABASE IF EXISTS " + pq.QuoteIdentifier(name) + " WITH (FORCE)")
	})
	return database.WithDatabase(serverURL, name)
}

// ServerURL returns the URL of the test server's postgres database, for
// tests that manage databases themselves (e.g. migrations down and up).
func ServerURL(t testing.TB) string {
	t.Helper()
	setupOnce.Do(func() { setupErr = setup(context.Background()) })
	if setupErr != nil {
		t.Fatalf("dbtest: %v", setupErr)
	}
	return serverURL
}

func setup(ctx context.Context) error {
	switch {
	case os.Getenv("TEST_DATABASE_URL") != "":
		serverURL = os.Getenv("TEST_DATABASE_URL")
	case database.ServerAnswers(ctx, database.LocalServerURL):
		serverURL = database.LocalServerURL
	default:
		dir, err := os.MkdirTemp("", "madaf-testpg-")
		if err != nil {
			return err
		}
		os.Chmod(dir, 0o755)
		privDir = dir
		p, err := database.StartPrivate(ctx, dir+"/data", database.PrivateOptions{Throwaway: true})
		if err != nil {
			return fmt.Errorf("start a private PostgreSQL: %w", err)
		}
		private = p
		serverURL = p.URL()
	}
	sum, err := migrationsHash()
	if err != nil {
		return err
	}
	template = "madaf_tpl_" + sum
	return buildTemplate(ctx)
}

// buildTemplate migrates the template database unless it exists. It works
// under an advisory lock, so that test binaries running in parallel build it
// once, and builds under a temporary name renamed at the end, so that a
// half-built template is never used.
func buildTemplate(ctx context.Context) error {
	admin, err := database.Open(ctx, serverURL)
	if err != nil {
		return err
	}
	defer admin.Close()
	conn, err := admin.Connx(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(727274)`); err != nil {
		return err
	}
	defer conn.ExecContext(ctx, `SELECT pg_advisory_unlock(727274)`)

	var exists bool
	if err := conn.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, template); err != nil {
		return err
	}
	if exists {
		return nil
	}
	building := template + "_building"
	conn.ExecContext(ctx, "DROP DATABASE IF EXISTS "+pq.QuoteIdentifier(building)+" WITH (FORCE)")
	if _, err := conn.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(building)); err != nil {
		return err
	}
	db, err := database.Open(ctx, database.WithDatabase(serverURL, building))
	if err != nil {
		return err
	}
	err = database.MigrateUp(ctx, db.DB, migrations.FS)
	db.Close()
	if err != nil {
		return fmt.Errorf("migrate template: %w", err)
	}
	_, err = conn.ExecContext(ctx, "ALTER DATABASE "+pq.QuoteIdentifier(building)+" RENAME TO "+pq.QuoteIdentifier(template))
	return err
}

func migrationsHash() (string, error) {
	h := sha256.New()
	var names []string
	fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, path)
		}
		return nil
	})
	sort.Strings(names)
	for _, n := range names {
		b, err := fs.ReadFile(migrations.FS, n)
		if err != nil {
			return "", err
		}
		h.Write([]byte(n))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}
