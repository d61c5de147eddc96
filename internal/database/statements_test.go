package database_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"madaf/internal/database"
	"madaf/internal/dbtest"
)

// prepared is how many statements conn's session holds prepared.
func prepared(t *testing.T, conn *sqlx.Conn) int {
	t.Helper()
	var n int
	if err := conn.GetContext(context.Background(), &n, `SELECT count(*) FROM pg_prepared_statements`); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestStatementCache: a statement with parameters is prepared once per
// connection and run again by name; its values decode as an unnamed
// statement's do; a connection keeps at most the cache's size, closing the
// oldest outside any transaction; a statement whose table changed shape is
// prepared afresh, at once outside a transaction.
func TestStatementCache(t *testing.T) {
	ctx := context.Background()
	url := dbtest.NewURL(t)
	open := func(size int) *sqlx.DB {
		db, err := database.Open(ctx, url, database.Options{MaxConns: 1, StatementCache: size})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	cached, plain := open(3), open(-1)

	t.Run("PreparedOnce", func(t *testing.T) {
		conn, err := cached.Connx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		before := prepared(t, conn)
		for i := range 5 {
			var n int
			if err := conn.GetContext(ctx, &n, `SELECT $1::int + 1`, i); err != nil || n != i+1 {
				t.Fatalf("run %d: %d, %v", i, n, err)
			}
		}
		if got := prepared(t, conn); got != before+1 {
			t.Errorf("five runs left %d statements prepared, want %d", got, before+1)
		}
	})

	t.Run("SameValues", func(t *testing.T) {
		const q = `SELECT $1::bigint AS id, $2::bytea AS raw, $3::numeric(20,2) AS amount, $4::timestamptz AS at,
			ARRAY[$1::bigint, 2] AS ids, $5::jsonb AS doc, NULL::int AS none, true AS yes, 'שלום'::text AS word`
		at := time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)
		args := []any{int64(3_000_000_000), []byte{0, 1, 2}, "1250.50", at, `{"a": 1}`}
		read := func(db *sqlx.DB) string {
			var r struct {
				ID     int64         `db:"id"`
				Raw    []byte        `db:"raw"`
				Amount string        `db:"amount"`
				At     time.Time     `db:"at"`
				IDs    pq.Int64Array `db:"ids"`
				Doc    string        `db:"doc"`
				None   *int          `db:"none"`
				Yes    bool          `db:"yes"`
				Word   string        `db:"word"`
			}
			for range 7 { // past the server's five custom plans
				if err := db.GetContext(ctx, &r, q, args...); err != nil {
					t.Fatal(err)
				}
			}
			return fmt.Sprintf("%d %x %s %s %v %s %v %v %s", r.ID, r.Raw, r.Amount, r.At.UTC(), r.IDs, r.Doc, r.None, r.Yes, r.Word)
		}
		if a, b := read(cached), read(plain); a != b {
			t.Errorf("cached statement read %q, unnamed %q", a, b)
		}
	})

	t.Run("AtMostSize", func(t *testing.T) {
		for i := range 10 {
			var n int
			if err := cached.GetContext(ctx, &n, fmt.Sprintf(`SELECT $1::int * %d`, i+2), 1); err != nil {
				t.Fatal(err)
			}
		}
		conn, err := cached.Connx(ctx) // handed out again: the evicted are closed
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if got := prepared(t, conn); got > 3 {
			t.Errorf("%d statements prepared on a connection whose cache holds 3", got)
		}
	})

	t.Run("TableChangedShape", func(t *testing.T) {
		cached.MustExec(`CREATE TABLE shapes (id int PRIMARY KEY, a text)`)
		cached.MustExec(`INSERT INTO shapes VALUES (1, 'x')`)
		const q = `SELECT * FROM shapes WHERE id = $1`
		for range 2 {
			rows, err := cached.QueryxContext(ctx, q, 1)
			if err != nil {
				t.Fatal(err)
			}
			rows.Close()
		}
		cached.MustExec(`ALTER TABLE shapes ADD COLUMN b text`)
		rows, err := cached.QueryxContext(ctx, q, 1)
		if err != nil {
			t.Fatalf("after the table changed: %v", err)
		}
		cols, _ := rows.Columns()
		rows.Close()
		if len(cols) != 3 {
			t.Errorf("columns %v, want the new shape", cols)
		}
	})

	t.Run("RefusedAtBind", func(t *testing.T) {
		// The planner refuses this (0A000) only once it has the parameter:
		// the error comes back as it is, without the statement prepared
		// again and again.
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		var n int
		err := cached.GetContext(ctx, &n, `SELECT count(*) FROM generate_series(1, 2) a FULL JOIN generate_series(1, 2) b ON a < b + $1::int`, 1)
		var pe *pq.Error
		if !errors.As(err, &pe) || pe.Code != "0A000" {
			t.Fatalf("error %v, want the planner's 0A000", err)
		}
	})

	t.Run("TableChangedShapeInATransaction", func(t *testing.T) {
		cached.MustExec(`CREATE TABLE shapes_tx (id int PRIMARY KEY, a text)`)
		cached.MustExec(`INSERT INTO shapes_tx VALUES (1, 'x')`)
		const q = `SELECT * FROM shapes_tx WHERE id = $1`
		read := func() (cols int, err error) {
			err = database.WithTx(ctx, cached, func(tx *sqlx.Tx) error {
				rows, err := tx.QueryxContext(ctx, q, 1)
				if err != nil {
					return err
				}
				defer rows.Close()
				c, err := rows.Columns()
				cols = len(c)
				return err
			})
			return cols, err
		}
		for range 2 {
			if _, err := read(); err != nil {
				t.Fatal(err)
			}
		}
		cached.MustExec(`ALTER TABLE shapes_tx ADD COLUMN b text`)
		if cols, err := read(); err != nil || cols != 3 {
			t.Fatalf("after the table changed: %d columns, %v", cols, err)
		}
	})
}
