package orders_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"madaf/internal/database"
	"madaf/internal/dbtest"
	"madaf/orders"
	"madaf/volumes"
)

// holds are what capacity_holds keeps for one capacity.
type holds struct {
	Subtotal string `db:"subtotal"`
	Total    string `db:"total"`
	Orders   int    `db:"orders"`
}

func (e *env) holds(t *testing.T, kind string, id, authorityID int64) holds {
	t.Helper()
	var h holds
	err := e.db.Get(&h, `SELECT subtotal::text AS subtotal, total::text AS total, orders FROM capacity_holds
		WHERE kind = $1 AND id = $2 AND authority_id = $3`, kind, id, authorityID)
	if err != nil {
		t.Fatalf("capacity hold %s %d %d: %v", kind, id, authorityID, err)
	}
	return h
}

// wantVerified fails unless volumes.Verify finds nothing to report.
func (e *env) wantVerified(t *testing.T) {
	t.Helper()
	var report strings.Builder
	if n, err := volumes.Verify(ctx, e.db, &report); err != nil || n != 0 {
		t.Fatalf("verify: %d differences, %v\n%s", n, err, report.String())
	}
}

// TestCapacityHoldsFollowEveryTransition: what the reserving orders hold
// on a tender, an allocation and a budget line is on their rows after every
// transition that reserves or releases, and the budget-lines API shows it.
func TestCapacityHoldsFollowEveryTransition(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.mustTender(tenderSpec{rule: "single", ceiling: "100000.00", allocation: "50000.00", winners: 1, prices: [][]string{{"100.00"}}})
	line := e.mustBudgetLine(e.authority, 2026, "100000.00")
	supplier := tn.Users[0]
	want := func(step, sub, total string, n int) {
		t.Helper()
		for _, h := range []holds{e.holds(t, "tender", tn.ID, 0), e.holds(t, "allocation", tn.ID, e.authority)} {
			if h.Subtotal != sub || h.Orders != n {
				t.Fatalf("%s: tender or allocation holds %+v, want subtotal %s of %d orders", step, h, sub, n)
			}
		}
		if h := e.holds(t, "budget_line", line, 0); h.Total != total || h.Orders != n {
			t.Fatalf("%s: budget line holds %+v, want total %s of %d orders", step, h, total, n)
		}
		e.wantVerified(t)
	}
	submit := func(o *orders.Order) {
		t.Helper()
		if _, err := e.svc.Submit(ctx, e.officer.P, o.ID, ""); err != nil {
			t.Fatalf("submit: %v", err)
		}
	}

	a := e.mustCreate(tn, 0, line, "5") // 500.00 + 90.00 VAT
	want("a draft", "0.00", "0.00", 0)
	submit(a)
	want("a submitted", "500.00", "590.00", 1)
	b := e.mustCreate(tn, 0, line, "2") // 200.00 + 36.00 VAT
	submit(b)
	want("b submitted", "700.00", "826.00", 2)
	if _, err := e.svc.Return(ctx, e.treasurer.P, b.ID, "", orders.NoteInput{Note: "כמות שגויה"}); err != nil {
		t.Fatalf("return: %v", err)
	}
	want("b returned", "500.00", "590.00", 1)
	submit(b)
	want("b submitted again", "700.00", "826.00", 2)
	if _, err := e.svc.Cancel(ctx, e.officer.P, a.ID, "", orders.CancelInput{Reason: "budget_change"}); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	want("a cancelled", "200.00", "236.00", 1)
	e.mustSign(b, e.treasurer, e.head)
	want("b sent", "200.00", "236.00", 1)
	if _, err := e.svc.Reject(ctx, supplier.P, b.ID, "", orders.RejectInput{Reason: "אין מלאי"}); err != nil {
		t.Fatalf("reject: %v", err)
	}
	want("b rejected", "0.00", "0.00", 0)
	c := e.mustCreate(tn, 0, line, "3")
	submit(c)
	c = e.mustSign(c, e.treasurer, e.head)
	if _, err := e.svc.Confirm(ctx, supplier.P, c.ID, "", orders.ConfirmInput{PromisedDate: c.SubmittedOn.AddDays(10)}); err != nil {
		t.Fatalf("confirm: %v", err)
	}
	want("c confirmed", "300.00", "354.00", 1)

	// The treasurer's view of the budget line reads the same row.
	r := e.do("GET", fmt.Sprintf("/api/v1/budget-lines/%d", line), e.treasurer, nil)
	wantStatus(t, r, http.StatusOK)
	got := r.Map(t)
	if got["held"] != "354.00" || got["held_orders"] != float64(1) || got["left"] != "99646.00" {
		t.Fatalf("budget line: %s", r.Body)
	}
}

// TestVerifyReportsACorruptCapacityHold: a held amount that no longer
// equals the sum of the reserving orders is a difference `madaf volumes
// verify` prints.
func TestVerifyReportsACorruptCapacityHold(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.mustTender(tenderSpec{rule: "single", ceiling: "1000.00", winners: 1, prices: [][]string{{"100.00"}}})
	o := e.mustCreate(tn, 0, e.budgetLine, "2")
	if _, err := e.svc.Submit(ctx, e.officer.P, o.ID, ""); err != nil {
		t.Fatalf("submit: %v", err)
	}
	e.wantVerified(t)
	if _, err := e.db.Exec(`UPDATE capacity_holds SET subtotal = subtotal + 1 WHERE kind = 'tender' AND id = $1`, tn.ID); err != nil {
		t.Fatal(err)
	}
	var report strings.Builder
	n, err := volumes.Verify(ctx, e.db, &report)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("capacity holds: tender %d: kept subtotal 201.00 total 236.00 orders 1, recomputed subtotal 200.00 total 236.00 orders 1", tn.ID)
	if n != 1 || !strings.Contains(report.String(), want) {
		t.Fatalf("%d differences:\n%s\nwant the line %q", n, report.String(), want)
	}
}

// TestCreatingWaitsForNoSubmission: while a submission on a tender and a
// budget line holds their rows, an order on the same tender and line is
// still created at once (its foreign keys take key-share locks, which the
// submission's locks leave free). The creating service gives up on any
// lock after two seconds, so a wait would fail it.
func TestCreatingWaitsForNoSubmission(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.mustTender(tenderSpec{rule: "single", ceiling: "100000.00", allocation: "50000.00", winners: 1, prices: [][]string{{"100.00"}}})
	a := e.mustCreate(tn, 0, e.budgetLine, "1")

	// Hold the submission after it has locked its capacity rows: it waits
	// for the order's volume row, which this transaction locks.
	hold, err := e.db.Beginx()
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Rollback()
	if _, err := hold.Exec(`SELECT 1 FROM volume_orders WHERE order_id = $1 FOR UPDATE`, a.ID); err != nil {
		t.Fatal(err)
	}
	submitted := make(chan error, 1)
	go func() {
		_, err := e.svc.Submit(ctx, e.officer.P, a.ID, "")
		submitted <- err
	}()
	var db string
	e.db.Get(&db, `SELECT current_database()`)
	for waiting := false; !waiting; time.Sleep(10 * time.Millisecond) {
		if err := e.db.Get(&waiting, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
			WHERE datname = $1 AND wait_event_type = 'Lock' AND query LIKE '%volume_orders%')`, db); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-submitted:
			t.Fatalf("the submission ended while its volume row was locked: %v", err)
		default:
		}
	}

	impatient, err := database.Open(ctx, database.WithDatabase(dbtest.ServerURL(t), db)+"&options="+url.QueryEscape("-c lock_timeout=2000"))
	if err != nil {
		t.Fatal(err)
	}
	defer impatient.Close()
	svc := orders.NewService(impatient, orders.Options{Now: e.clock})
	in := orders.NewOrder{TenderID: tn.ID, SupplierID: tn.Winners[0], BudgetLineID: e.budgetLine,
		Lines: []orders.LineInput{{ItemID: tn.Items[0], Quantity: orders.Qty("2")}}}
	if _, err := svc.Create(ctx, e.officer.P, in); err != nil {
		t.Fatalf("create beside a submission in progress: %v", err)
	}

	hold.Rollback()
	if err := <-submitted; err != nil {
		t.Fatalf("submit: %v", err)
	}
	if h := e.holds(t, "tender", tn.ID, 0); h.Subtotal != "100.00" || h.Orders != 1 {
		t.Fatalf("tender holds %+v", h)
	}
}
