package volumes_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"madaf/internal/calendar"
	"madaf/internal/database"
	"madaf/internal/dbtest"
	"madaf/volumes"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// figures is an order of 1000.00 + 18% VAT with a 2% fee.
func figures(orderID int64, submitted string) volumes.OrderFigures {
	f := volumes.OrderFigures{
		OrderID: orderID, TenderID: 7, AuthorityID: 3, SupplierID: 5, Category: "ציוד רפואי",
		Subtotal: dec("1000.00"), VAT: dec("180.00"), Total: dec("1180.00"), Fee: dec("20.00"),
	}
	if submitted != "" {
		f.SubmittedOn = calendar.MustParse(submitted)
	}
	return f
}

func mustTransit(t *testing.T, db *sqlx.DB, f volumes.OrderFigures, from, to string, at time.Time) {
	t.Helper()
	if err := transit(db, f, from, to, at); err != nil {
		t.Fatalf("%s → %s: %v", from, to, err)
	}
}

func transit(db *sqlx.DB, f volumes.OrderFigures, from, to string, at time.Time) error {
	return database.WithTx(context.Background(), db, func(tx *sqlx.Tx) error {
		return volumes.Transition(context.Background(), tx, f, from, to, at)
	})
}

type rollupRow struct {
	Orders     int             `db:"order_count"`
	Subtotal   decimal.Decimal `db:"subtotal"`
	VAT        decimal.Decimal `db:"vat"`
	Total      decimal.Decimal `db:"total"`
	Fee        decimal.Decimal `db:"fee"`
	Confirmed  int             `db:"confirmed"`
	InWindow   int             `db:"confirmed_in_window"`
	Rejected   int             `db:"rejected"`
	Delivered  int             `db:"delivered"`
	ByPromised int             `db:"delivered_by_promised"`
}

func (r rollupRow) String() string {
	return fmt.Sprintf("orders=%d subtotal=%s vat=%s total=%s fee=%s confirmed=%d/%d rejected=%d delivered=%d/%d",
		r.Orders, r.Subtotal.StringFixed(2), r.VAT.StringFixed(2), r.Total.StringFixed(2), r.Fee.StringFixed(2),
		r.InWindow, r.Confirmed, r.Rejected, r.ByPromised, r.Delivered)
}

// rollup sums the rollup rows of month (all months when "").
func rollup(t *testing.T, db *sqlx.DB, month string) rollupRow {
	t.Helper()
	var r rollupRow
	err := db.Get(&r, `SELECT coalesce(sum(order_count), 0) AS order_count, coalesce(sum(subtotal), 0) AS subtotal,
		coalesce(sum(vat), 0) AS vat, coalesce(sum(total), 0) AS total, coalesce(sum(fee), 0) AS fee,
		coalesce(sum(confirmed), 0) AS confirmed, coalesce(sum(confirmed_in_window), 0) AS confirmed_in_window,
		coalesce(sum(rejected), 0) AS rejected, coalesce(sum(delivered), 0) AS delivered,
		coalesce(sum(delivered_by_promised), 0) AS delivered_by_promised
		FROM volume_rollups WHERE ($1 = '' OR month = $1::date)`, month)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func statusCounts(t *testing.T, db *sqlx.DB) string {
	t.Helper()
	var rows []string
	if err := db.Select(&rows, `SELECT status || '=' || sum(order_count) FROM volume_status_counts
		GROUP BY status HAVING sum(order_count) <> 0 ORDER BY status`); err != nil {
		t.Fatal(err)
	}
	return strings.Join(rows, " ")
}

var t0 = time.Date(2025, 3, 9, 8, 0, 0, 0, calendar.Israel) // a Sunday

func TestTransitionLifecycle(t *testing.T) {
	db := dbtest.New(t)
	f := figures(1, "")
	mustTransit(t, db, f, "", "draft", t0)
	if got := rollup(t, db, ""); got.Orders != 0 || !got.Total.IsZero() {
		t.Fatalf("a draft counts: %v", got)
	}
	if got := statusCounts(t, db); got != "draft=1" {
		t.Fatalf("status counts = %q", got)
	}

	f = figures(1, "2025-03-09")
	mustTransit(t, db, f, "draft", "pending_approval", t0)
	want := rollupRow{Orders: 1, Subtotal: dec("1000"), VAT: dec("180"), Total: dec("1180"), Fee: dec("20")}
	if got := rollup(t, db, "2025-03-01"); got.String() != want.String() {
		t.Fatalf("after submit: %v, want %v", got, want)
	}

	f.ConfirmBy = calendar.MustParse("2025-03-12")
	mustTransit(t, db, f, "pending_approval", "sent", t0.Add(2*time.Hour))
	// Confirmed 26.5 hours after sending, within the window.
	mustTransit(t, db, f, "sent", "confirmed", t0.Add(28*time.Hour+30*time.Minute))
	f.PromisedOn = calendar.MustParse("2025-03-20")
	mustTransit(t, db, f, "confirmed", "partially_delivered", t0.Add(72*time.Hour))
	mustTransit(t, db, f, "partially_delivered", "delivered", t0.Add(24*11*time.Hour)) // 2025-03-20
	mustTransit(t, db, f, "delivered", "closed", t0.Add(24*12*time.Hour))

	want.Confirmed, want.InWindow, want.Delivered, want.ByPromised = 1, 1, 1, 1
	if got := rollup(t, db, "2025-03-01"); got.String() != want.String() {
		t.Fatalf("after close: %v, want %v", got, want)
	}
	if got := statusCounts(t, db); got != "closed=1" {
		t.Fatalf("status counts = %q", got)
	}
	var seconds int64
	if err := db.Get(&seconds, `SELECT seconds FROM volume_confirmations WHERE order_id = 1`); err != nil {
		t.Fatal(err)
	}
	if seconds != 26*3600+30*60 {
		t.Fatalf("confirmation took %d s, want %d", seconds, 26*3600+30*60)
	}
}

func TestTransitionLeavingCommitted(t *testing.T) {
	for _, tc := range []struct {
		name     string
		path     []string
		rejected int
	}{
		{"Cancelled", []string{"draft", "pending_approval", "cancelled"}, 0},
		{"CancelledWhenSent", []string{"draft", "pending_approval", "sent", "cancelled"}, 0},
		{"Rejected", []string{"draft", "pending_approval", "sent", "rejected"}, 1},
		{"Returned", []string{"draft", "pending_approval", "draft"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := dbtest.New(t)
			f := figures(1, "2025-03-09")
			f.ConfirmBy = calendar.MustParse("2025-03-12")
			from := ""
			for _, to := range tc.path {
				mustTransit(t, db, f, from, to, t0)
				from = to
			}
			want := rollupRow{Rejected: tc.rejected, Subtotal: decimal.Zero, VAT: decimal.Zero, Total: decimal.Zero, Fee: decimal.Zero}
			if got := rollup(t, db, ""); got.String() != want.String() {
				t.Fatalf("got %v, want %v", got, want)
			}
			if got := statusCounts(t, db); got != from+"=1" {
				t.Fatalf("status counts = %q", got)
			}
		})
	}
}

func TestTransitionResubmitMovesTheOrder(t *testing.T) {
	db := dbtest.New(t)
	f := figures(1, "2025-03-31")
	mustTransit(t, db, f, "", "draft", t0)
	mustTransit(t, db, f, "draft", "pending_approval", t0)
	mustTransit(t, db, f, "pending_approval", "draft", t0)
	g := figures(1, "2025-04-02")
	g.SupplierID = 6
	g.Subtotal, g.VAT, g.Total, g.Fee = dec("500.00"), dec("90.00"), dec("590.00"), dec("10.00")
	mustTransit(t, db, g, "draft", "pending_approval", t0)

	if got := rollup(t, db, "2025-03-01"); got.Orders != 0 || !got.Total.IsZero() {
		t.Fatalf("March still counts: %v", got)
	}
	if got := rollup(t, db, "2025-04-01"); got.Orders != 1 || got.Total.String() != "590" {
		t.Fatalf("April: %v", got)
	}
}

func TestTransitionRefusesAnUnrecordedState(t *testing.T) {
	db := dbtest.New(t)
	f := figures(1, "2025-03-09")
	mustTransit(t, db, f, "", "draft", t0)
	for _, tc := range []struct{ name, from, to string }{
		{"WrongFrom", "sent", "confirmed"},
		{"CreatedTwice", "", "draft"},
		{"UnknownState", "draft", "approved"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := transit(db, f, tc.from, tc.to, t0); err == nil {
				t.Fatal("no error")
			}
		})
	}
	t.Run("CommittedWithoutSubmissionDate", func(t *testing.T) {
		if err := transit(db, figures(1, ""), "draft", "pending_approval", t0); err == nil {
			t.Fatal("no error")
		}
	})
	if got := statusCounts(t, db); got != "draft=1" {
		t.Fatalf("a refused transition changed the counts: %q", got)
	}
}

func TestTransitionLateConfirmationAndDelivery(t *testing.T) {
	db := dbtest.New(t)
	f := figures(1, "2025-03-09")
	f.ConfirmBy = calendar.MustParse("2025-03-10")
	f.PromisedOn = calendar.MustParse("2025-03-15")
	path := []struct {
		to string
		at time.Time
	}{
		{"draft", t0}, {"pending_approval", t0}, {"sent", t0},
		{"confirmed", time.Date(2025, 3, 11, 0, 30, 0, 0, calendar.Israel)}, // a day late, in Israel
		{"delivered", time.Date(2025, 3, 16, 9, 0, 0, 0, calendar.Israel)},
	}
	from := ""
	for _, p := range path {
		mustTransit(t, db, f, from, p.to, p.at)
		from = p.to
	}
	got := rollup(t, db, "")
	if got.Confirmed != 1 || got.InWindow != 0 || got.Delivered != 1 || got.ByPromised != 0 {
		t.Fatalf("late confirmation and delivery counted as on time: %v", got)
	}
}

// Concurrent transitions of different orders on the same rollup row never
// lose an update.
func TestTransitionConcurrent(t *testing.T) {
	db := dbtest.New(t)
	const n = 40
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func(id int64) {
			defer wg.Done()
			f := figures(id, "2025-03-09")
			f.ConfirmBy = calendar.MustParse("2025-03-12")
			from := ""
			path := []string{"draft", "pending_approval", "sent"}
			if id%4 == 0 {
				path = append(path, "cancelled")
			}
			for _, to := range path {
				if err := transit(db, f, from, to, t0); err != nil {
					errs <- err
					return
				}
				from = to
			}
		}(int64(i + 1))
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got := rollup(t, db, "2025-03-01")
	if got.Orders != 30 || got.Total.String() != "35400" || got.Fee.String() != "600" {
		t.Fatalf("got %v, want 30 orders, total 35400, fee 600", got)
	}
	if sc := statusCounts(t, db); sc != "cancelled=10 sent=30" {
		t.Fatalf("status counts = %q", sc)
	}
}

// A transition that takes an order from a figure row that is gone is
// refused as a whole: no row of any figure table, nor the order's own
// record, is left half-changed.
func TestTransitionRefusesToTakeFromAMissingRow(t *testing.T) {
	for _, table := range []string{"volume_rollups", "volume_totals", "volume_status_counts"} {
		t.Run(table, func(t *testing.T) {
			db := dbtest.New(t)
			f := figures(1, "2025-03-09")
			mustTransit(t, db, f, "", "draft", t0)
			mustTransit(t, db, f, "draft", "pending_approval", t0)
			if table == "volume_status_counts" {
				db.MustExec(`DELETE FROM volume_status_counts WHERE status = 'pending_approval'`)
			} else {
				db.MustExec(`DELETE FROM ` + table)
			}
			before := snapshot(t, db)
			err := transit(db, f, "pending_approval", "draft", t0.Add(time.Hour))
			if err == nil || !strings.Contains(err.Error(), "do not hold it") {
				t.Fatalf("err = %v, want a refusal naming the missing row", err)
			}
			if after := snapshot(t, db); after != before {
				t.Fatalf("changed by a refused transition:\n%s\n%s", before, after)
			}
		})
	}
}

// snapshot is every figure table and the recorded orders, as text.
func snapshot(t *testing.T, db *sqlx.DB) string {
	t.Helper()
	var b strings.Builder
	for _, table := range []string{"volume_rollups", "volume_totals", "volume_status_counts", "volume_orders"} {
		var rows []string
		if err := db.Select(&rows, `SELECT t::text FROM `+table+` t ORDER BY 1`); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s: %v\n", table, rows)
	}
	return b.String()
}

// Transitions of different orders on one key, run at once, each in a
// transaction of its own that is never run again: confirmations (status
// counts sent → confirmed, then the rollup's counters) beside rejections
// and cancellations (the rollup's amounts, the totals, then the status
// counts) take their row locks in one order, so none ever deadlocks.
func TestTransitionsOnOneKeyNeverDeadlock(t *testing.T) {
	db := dbtest.New(t)
	const n = 48
	f := func(id int64) volumes.OrderFigures {
		f := figures(id, "2025-03-09")
		f.ConfirmBy = calendar.MustParse("2025-03-12")
		return f
	}
	for id := int64(1); id <= n; id++ {
		from := ""
		for _, to := range []string{"draft", "pending_approval", "sent"} {
			mustTransit(t, db, f(id), from, to, t0)
			from = to
		}
	}
	once := func(id int64, to string) error {
		tx, err := db.Beginx()
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if err := volumes.Transition(context.Background(), tx, f(id), "sent", to, t0.Add(time.Hour)); err != nil {
			return err
		}
		return tx.Commit()
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for id := int64(1); id <= n; id++ {
		to := []string{"confirmed", "rejected", "confirmed", "cancelled"}[id%4]
		wg.Go(func() {
			if err := once(id, to); err != nil {
				errs <- fmt.Errorf("order %d → %s: %w", id, to, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if sc := statusCounts(t, db); sc != "cancelled=12 confirmed=24 rejected=12" {
		t.Fatalf("status counts = %q", sc)
	}
}
