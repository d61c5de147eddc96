package database_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"madaf/internal/apperr"
	"madaf/internal/database"
	"madaf/internal/dbtest"
)

// TestMapErrorNamesFieldsNotConstraints: a violated constraint reaches the
// caller as the request field it stands for, or as no field at all, never
// as a table, column or constraint name.
func TestMapErrorNamesFieldsNotConstraints(t *testing.T) {
	db := dbtest.New(t)
	db.MustExec(`INSERT INTO suppliers (company_number, legal_name, email) VALUES ('510000011', 'ספק', 's@example.com')`)
	tests := []struct {
		name  string
		query string
		kind  apperr.Kind
		key   string
		field string
	}{
		{"Unique", `INSERT INTO suppliers (company_number, legal_name, email) VALUES ('510000011', 'אחר', 'o@example.com')`,
			apperr.KindConflict, "error.duplicate", "company_number"},
		{"Check", `INSERT INTO suppliers (company_number, legal_name, email) VALUES ('12', 'אחר', 'o@example.com')`,
			apperr.KindInvalid, "error.out_of_range", "company_number"},
		{"ForeignKey", `INSERT INTO users (email, name, password_hash, org_kind, authority_id, roles) VALUES ('a@example.com', 'א', 'x', 'authority', 999999, '{officer}')`,
			apperr.KindInvalid, "error.bad_reference", "authority_id"},
		{"NotNull", `INSERT INTO suppliers (company_number, legal_name, email) VALUES (NULL, 'אחר', 'o@example.com')`,
			apperr.KindInvalid, "error.out_of_range", "company_number"},
		{"UnknownConstraint", `INSERT INTO order_counters (authority_id, year, last) VALUES (1, 1999, -1)`,
			apperr.KindInvalid, "", ""},
		{"BadSyntax", `SELECT 'abc'::int`, apperr.KindInvalid, "error.out_of_range", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := db.Exec(tt.query)
			if err == nil {
				t.Fatal("no error")
			}
			mapped := database.MapError(err)
			var ae *apperr.Error
			if !errors.As(mapped, &ae) || ae.Kind != tt.kind || (tt.key != "" && ae.Msg.Key != tt.key) {
				t.Fatalf("MapError(%v) = %v", err, mapped)
			}
			if tt.kind == apperr.KindConflict && !database.IsUniqueViolation(mapped) {
				t.Error("a mapped unique violation is no longer one to IsUniqueViolation")
			}
			var fields []string
			for _, f := range ae.Fields {
				fields = append(fields, f.Field)
			}
			if want := tt.field; (want == "" && len(fields) > 0) || (want != "" && (len(fields) != 1 || fields[0] != want)) {
				t.Errorf("fields %v, want %q", fields, want)
			}
			for _, raw := range []string{"_key", "_check", "_fkey", "suppliers", "order_counters", "last"} {
				if strings.Contains(ae.Error(), raw) {
					t.Errorf("the error names %q: %v", raw, ae)
				}
			}
		})
	}
}

// TestUnavailable: a server that is not there, and a statement past the
// statement timeout, are Unavailable (503 with Retry-After), not internal.
func TestUnavailable(t *testing.T) {
	ctx := context.Background()
	_, err := database.Open(ctx, "postgres://postgres@127.0.0.1:1/madaf?sslmode=disable")
	if err == nil || !database.IsUnavailable(err) {
		t.Fatalf("a closed port: %v", err)
	}
	mapped := database.MapError(err)
	var ae *apperr.Error
	if !errors.As(mapped, &ae) || ae.Kind != database.KindUnavailable || ae.RetryAfter != database.RetryAfter || ae.Msg.Key != "error.unavailable" {
		t.Fatalf("MapError = %#v", mapped)
	}
	if !errors.Is(mapped, err) || database.MapError(mapped) != mapped {
		t.Errorf("the cause is lost or mapped twice: %v", mapped)
	}

	db, err := database.Open(ctx, dbtest.NewURL(t), database.Options{StatementTimeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, `SELECT pg_sleep(5)`)
	if apperr.KindOf(database.MapError(err)) != database.KindUnavailable {
		t.Fatalf("a statement past the timeout: %v", err)
	}
	if _, err := db.ExecContext(ctx, `SELECT 1`); err != nil {
		t.Fatalf("the pool after a timed-out statement: %v", err)
	}
}

// TestOpenOptions: the pool's settings reach every connection, whether the
// connection string is a URL or key=value pairs.
func TestOpenOptions(t *testing.T) {
	ctx := context.Background()
	raw := dbtest.NewURL(t)
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	pairs := "host=" + u.Hostname() + " port=" + u.Port() + " user=" + u.User.Username() +
		" dbname=" + strings.TrimPrefix(u.Path, "/") + " sslmode=disable"
	for name, dsn := range map[string]string{"URL": raw, "KeyValue": pairs} {
		t.Run(name, func(t *testing.T) {
			db, err := database.Open(ctx, dsn, database.Options{MaxConns: 3, StatementTimeout: 1500 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var timeout string
			if err := db.GetContext(ctx, &timeout, `SHOW statement_timeout`); err != nil || timeout != "1500ms" {
				t.Fatalf("statement_timeout %q (%v)", timeout, err)
			}
			if got := db.Stats().MaxOpenConnections; got != 3 {
				t.Errorf("max open connections %d", got)
			}
		})
	}
	for _, bad := range []string{"mysql://db.example/madaf", "postgres://u:pw@db.example:port/madaf", "just words", ""} {
		if err := database.CheckURL(bad); err == nil || strings.Contains(err.Error(), "pw@") {
			t.Errorf("CheckURL(%q) = %v", bad, err)
		}
	}
}
