package app

import (
	"context"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"madaf/internal/calendar"
	"madaf/internal/dbtest"
	"madaf/internal/orderstatus"
	"madaf/volumes"
)

// TestDemoHasAPast: the demo's orders are spread over the 24 months before
// today (submitted in at least 22 of them, a few each), in every status,
// some confirmed after their deadline and some delivered after the
// promised date, none dated after today; the volume figures kept on the
// way equal a recomputation from the orders.
func TestDemoHasAPast(t *testing.T) {
	db := dbtest.New(t)
	start := time.Now()
	if _, err := SeedDemo(context.Background(), db, io.Discard); err != nil {
		t.Fatalf("seed demo: %v", err)
	}
	t.Logf("the demo loads in %s", time.Since(start).Round(time.Millisecond))

	today := calendar.Today()
	from := calendar.DateOf(calendar.NewDate(today.Year(), today.Time().Month(), 1).Time().AddDate(0, -24, 0))
	var months []string
	if err := db.Select(&months, `SELECT DISTINCT to_char(submitted_on, 'YYYY-MM') FROM orders
		WHERE submitted_on >= $1 AND submitted_on < date_trunc('month', $2::date) ORDER BY 1`, from, today); err != nil {
		t.Fatal(err)
	}
	if len(months) < 22 {
		t.Errorf("orders were submitted in %d of the 24 months before this one: %v", len(months), months)
	}
	var statuses []string
	if err := db.Select(&statuses, `SELECT DISTINCT status FROM orders ORDER BY 1`); err != nil {
		t.Fatal(err)
	}
	var counts []string
	if err := db.Select(&counts, `SELECT status || ' ' || count(*) FROM orders GROUP BY status ORDER BY status`); err != nil {
		t.Fatal(err)
	}
	t.Logf("orders submitted in %d months: %s", len(months), strings.Join(counts, ", "))
	for _, st := range []string{orderstatus.Draft, orderstatus.PendingApproval, orderstatus.Sent, orderstatus.Confirmed,
		orderstatus.PartiallyDelivered, orderstatus.Delivered, orderstatus.Closed, orderstatus.Rejected, orderstatus.Cancelled} {
		if !slices.Contains(statuses, st) {
			t.Errorf("no demo order is %s (statuses: %v)", st, statuses)
		}
	}
	var f struct {
		LateConfirmed int `db:"late_confirmed"`
		LateDelivered int `db:"late_delivered"`
		Overdue       int `db:"overdue"`
		Future        int `db:"future"`
		PastYears     int `db:"past_years"`
	}
	const q = `SELECT
			count(*) FILTER (WHERE (confirmed_at AT TIME ZONE 'Asia/Jerusalem')::date > confirm_by) AS late_confirmed,
			count(*) FILTER (WHERE (delivered_at AT TIME ZONE 'Asia/Jerusalem')::date > promised_on) AS late_delivered,
			count(*) FILTER (WHERE status = 'sent' AND confirm_by < $1) AS overdue,
			count(*) FILTER (WHERE submitted_on > $1 OR (delivered_at AT TIME ZONE 'Asia/Jerusalem')::date > $1
				OR (closed_at AT TIME ZONE 'Asia/Jerusalem')::date > $1) AS future,
			count(DISTINCT extract(year FROM submitted_on)) AS past_years
		FROM orders`
	if err := db.Get(&f, q, today); err != nil {
		t.Fatal(err)
	}
	if f.LateConfirmed == 0 || f.LateDelivered == 0 || f.Overdue == 0 || f.Future > 0 || f.PastYears < 3 {
		t.Errorf("late confirmations %d, late deliveries %d, overdue %d, dated after today %d, years %d",
			f.LateConfirmed, f.LateDelivered, f.Overdue, f.Future, f.PastYears)
	}
	var out strings.Builder
	if n, err := volumes.Verify(context.Background(), db, &out); err != nil || n != 0 {
		t.Errorf("the volume figures differ from the orders in %d places (%v):\n%s", n, err, out.String())
	}
}
