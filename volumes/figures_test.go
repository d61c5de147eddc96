package volumes_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"

	"madaf/internal/calendar"
	"madaf/internal/webtest"
	"madaf/orders"
	"madaf/volumes"
)

// sums is a group of figures as text, for comparison.
type sums struct {
	Orders                    int
	Subtotal, VAT, Total, Fee string
}

func sumsOf(a volumes.Amounts) sums {
	return sums{a.OrderCount, a.Subtotal.StringFixed(2), a.VAT.StringFixed(2), a.Total.StringFixed(2), a.Fee.StringFixed(2)}
}

// recomputeKeys are the group keys over the orders table.
var recomputeKeys = map[string]string{
	volumes.GroupTender: "o.tender_id::text", volumes.GroupAuthority: "o.authority_id::text",
	volumes.GroupSupplier: "o.supplier_id::text", volumes.GroupCategory: "t.category",
	volumes.GroupMonth: "to_char(o.submitted_on, 'YYYY-MM')",
}

// recompute sums the committed orders matching where (over o and t)
// directly from the orders table.
func recompute(t *testing.T, w *world, group, where string, args ...any) map[string]sums {
	t.Helper()
	var rows []struct {
		Key      string          `db:"key"`
		Orders   int             `db:"orders"`
		Subtotal decimal.Decimal `db:"subtotal"`
		VAT      decimal.Decimal `db:"vat"`
		Total    decimal.Decimal `db:"total"`
		Fee      decimal.Decimal `db:"fee"`
	}
	q := `SELECT ` + recomputeKeys[group] + ` AS key, count(*) AS orders, sum(o.subtotal) AS subtotal, sum(o.vat) AS vat,
			sum(o.total) AS total, sum(o.fee) AS fee
		FROM orders o JOIN tenders t ON t.id = o.tender_id
		WHERE order_status_committed(o.status) AND ` + where + ` GROUP BY 1`
	if err := w.db.Select(&rows, q, args...); err != nil {
		t.Fatal(err)
	}
	out := map[string]sums{}
	for _, r := range rows {
		out[r.Key] = sums{r.Orders, r.Subtotal.StringFixed(2), r.VAT.StringFixed(2), r.Total.StringFixed(2), r.Fee.StringFixed(2)}
	}
	return out
}

// getJSON fetches path as u and decodes the answer, which must be 200.
func (w *world) getJSON(t *testing.T, u user, path string, v any) {
	t.Helper()
	r := webtest.Do(w.base.Engine, "GET", path, u.Token, nil)
	if r.Code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, r.Code, r.Body.String())
	}
	r.JSON(t, v)
}

// checkVolumes compares every grouping of /volumes, for the cluster, an
// authority and a supplier, with and without filters, to the orders.
func checkVolumes(t *testing.T, w *world) {
	t.Helper()
	type view struct {
		name  string
		u     user
		query string
		where string
		args  []any
	}
	views := []view{
		{"Cluster", w.lead, "", "true", nil},
		{"ClusterMonths", w.lead, "from=2026-02&to=2026-03-31", "o.submitted_on >= '2026-02-01' AND o.submitted_on < '2026-04-01'", nil},
		{"ClusterTender", w.lead, fmt.Sprintf("tender=%d", w.medical.ID), "o.tender_id = $1", []any{w.medical.ID}},
		{"ClusterAuthority", w.lead, fmt.Sprintf("authority=%d", w.b), "o.authority_id = $1", []any{w.b}},
		{"Authority", w.officerA, "", "o.authority_id = $1", []any{w.a}},
		{"AuthorityYear", w.treasurerB, "from=2026-01&to=2026-12", "o.authority_id = $1 AND extract(year FROM o.submitted_on) = 2026", []any{w.b}},
		// A supplier counts only the orders sent to it.
		{"Supplier", w.supplier1, "", "o.supplier_id = $1 AND o.sent_at IS NOT NULL", []any{w.s1}},
		{"SupplierTender", w.sup3, fmt.Sprintf("tender=%d", w.computing.ID), "o.supplier_id = $1 AND o.sent_at IS NOT NULL AND o.tender_id = $2", []any{w.s3, w.computing.ID}},
	}
	for _, v := range views {
		for _, g := range volumes.Groups {
			t.Run(v.name+"/"+g, func(t *testing.T) {
				var rep volumes.Report
				w.getJSON(t, v.u, "/api/v1/volumes?group="+g+"&"+v.query, &rep)
				got := map[string]sums{}
				var total volumes.Amounts
				for _, it := range rep.Items {
					got[it.Key] = sumsOf(it.Amounts)
					total.OrderCount += it.OrderCount
				}
				want := recompute(t, w, g, v.where, v.args...)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Fatalf("figures differ from the orders (-orders +figures):\n%s", diff)
				}
				if total.OrderCount != rep.Totals.OrderCount {
					t.Fatalf("totals count %d, rows add up to %d", rep.Totals.OrderCount, total.OrderCount)
				}
			})
		}
	}
}

// checkUtilisation compares the medical tender's ceiling and A's
// allocation with the orders.
func checkUtilisation(t *testing.T, w *world) {
	t.Helper()
	var used, usedA decimal.Decimal
	if err := w.db.Get(&used, `SELECT coalesce(sum(subtotal), 0) FROM orders WHERE tender_id = $1 AND order_status_committed(status)`, w.medical.ID); err != nil {
		t.Fatal(err)
	}
	if err := w.db.Get(&usedA, `SELECT coalesce(sum(subtotal), 0) FROM orders WHERE tender_id = $1 AND authority_id = $2 AND order_status_committed(status)`, w.medical.ID, w.a); err != nil {
		t.Fatal(err)
	}
	var rep volumes.Report
	w.getJSON(t, w.lead, fmt.Sprintf("/api/v1/volumes?group=tender&authority=%d", w.a), &rep)
	var row *volumes.Row
	for i := range rep.Items {
		if rep.Items[i].TenderID == w.medical.ID {
			row = &rep.Items[i]
		}
	}
	if row == nil || row.Ceiling == nil || row.Allocation == nil {
		t.Fatalf("medical tender row without ceiling or allocation: %+v", row)
	}
	if row.Ceiling.Used.StringFixed(2) != used.StringFixed(2) || row.Ceiling.Limit.StringFixed(2) != "17000.00" {
		t.Fatalf("ceiling %+v, orders use %s", row.Ceiling, used)
	}
	wantPct := usedA.Mul(decimal.NewFromInt(100)).Div(decimal.NewFromInt(15000)).Round(2).StringFixed(2)
	if row.Allocation.Used.StringFixed(2) != usedA.StringFixed(2) || row.Allocation.Percent != wantPct {
		t.Fatalf("allocation %+v, orders use %s (%s%%)", row.Allocation, usedA, wantPct)
	}
	// The authority grouping for one tender carries the allocation too.
	var byAuthority volumes.Report
	w.getJSON(t, w.lead, fmt.Sprintf("/api/v1/volumes?group=authority&tender=%d", w.medical.ID), &byAuthority)
	for _, it := range byAuthority.Items {
		if it.AuthorityID == w.a && (it.Allocation == nil || it.Allocation.Used.StringFixed(2) != usedA.StringFixed(2)) {
			t.Fatalf("authority row's allocation %+v, want used %s", it.Allocation, usedA)
		}
		if it.AuthorityID == w.b && it.Allocation != nil {
			t.Fatalf("B has no allocation, got %+v", it.Allocation)
		}
	}
}

func checkHeadline(t *testing.T, w *world) {
	t.Helper()
	for _, v := range []struct {
		name    string
		u       user
		where   string
		arg     any
		tenders int
	}{
		{"Cluster", w.lead, "$1::bigint IS NULL", nil, 2},
		{"Authority", w.officerB, "o.authority_id = $1", w.b, 2},
		{"Supplier", w.sup3, "o.supplier_id = $1 AND o.sent_at IS NOT NULL", w.s3, 1},
		{"SupplierWithPending", w.supplier1, "o.supplier_id = $1 AND o.sent_at IS NOT NULL", w.s1, 1},
	} {
		t.Run(v.name, func(t *testing.T) {
			var want struct {
				InHandling  int             `db:"in_handling"`
				Orders      int             `db:"orders"`
				Total       decimal.Decimal `db:"total"`
				Fee         decimal.Decimal `db:"fee"`
				Authorities int             `db:"authorities"`
			}
			q := `SELECT count(*) FILTER (WHERE order_status_in_handling(status)) AS in_handling,
					count(*) FILTER (WHERE order_status_committed(status) AND extract(year FROM submitted_on) = 2026) AS orders,
					coalesce(sum(total) FILTER (WHERE order_status_committed(status) AND extract(year FROM submitted_on) = 2026), 0) AS total,
					coalesce(sum(fee) FILTER (WHERE order_status_committed(status) AND extract(year FROM submitted_on) = 2026
						AND sent_at IS NOT NULL), 0) AS fee,
					count(DISTINCT authority_id) FILTER (WHERE order_status_committed(status) AND extract(year FROM submitted_on) = 2026) AS authorities
				FROM orders o WHERE ` + v.where
			if err := w.db.Get(&want, q, v.arg); err != nil {
				t.Fatal(err)
			}
			var h volumes.Headline
			w.getJSON(t, v.u, "/api/v1/volumes/headline?year=2026", &h)
			got := fmt.Sprintf("%d %d %s %s %d", h.OrdersInHandling, h.OrdersThisYear, h.Total.StringFixed(2), h.Fee.StringFixed(2), h.AuthoritiesOrdered)
			exp := fmt.Sprintf("%d %d %s %s %d", want.InHandling, want.Orders, want.Total.StringFixed(2), want.Fee.StringFixed(2), want.Authorities)
			if got != exp {
				t.Fatalf("headline %s, orders say %s", got, exp)
			}
			if h.ActiveTenders != v.tenders {
				t.Fatalf("active tenders %d, want %d", h.ActiveTenders, v.tenders)
			}
		})
	}
}

// checkFees compares the fee accrual with the committed orders sent to
// their suppliers (the script invoices none: each counts what was sent).
func checkFees(t *testing.T, w *world) {
	t.Helper()
	var fees volumes.Fees
	w.getJSON(t, w.lead, "/api/v1/volumes/fees", &fees)
	got := map[string]string{}
	for _, r := range fees.Items {
		got[fmt.Sprintf("%s/%d/%d", r.Month, r.SupplierID, r.TenderID)] = fmt.Sprintf("%d %s %s", r.OrderCount, r.Subtotal.StringFixed(2), r.Fee.StringFixed(2))
	}
	var rows []struct {
		Key string `db:"key"`
		Val string `db:"val"`
	}
	q := `SELECT to_char(submitted_on, 'YYYY-MM') || '/' || supplier_id || '/' || tender_id AS key,
			count(*) || ' ' || to_char(sum(subtotal), 'FM9999999990.00') || ' ' || to_char(sum(fee), 'FM9999999990.00') AS val
		FROM orders WHERE order_status_committed(status) AND sent_at IS NOT NULL
		GROUP BY to_char(submitted_on, 'YYYY-MM'), supplier_id, tender_id`
	if err := w.db.Select(&rows, q); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, r := range rows {
		want[r.Key] = r.Val
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("fees differ from the orders (-orders +fees):\n%s", diff)
	}

	// The statement of supplier 1 for March 2026 lists its committed
	// orders of the month that were sent to it, the same for the cluster
	// and for the supplier.
	for _, v := range []struct {
		u    user
		sent string
	}{{w.lead, "sent_at IS NOT NULL"}, {w.supplier1, "sent_at IS NOT NULL"}} {
		u := v.u
		var st volumes.Statement
		w.getJSON(t, u, fmt.Sprintf("/api/v1/volumes/fees/statement?supplier=%d&month=2026-03", w.s1), &st)
		var wantNumbers []string
		var wantFee decimal.Decimal
		if err := w.db.Select(&wantNumbers, `SELECT number FROM orders WHERE supplier_id = $1 AND order_status_committed(status)
			AND submitted_on >= '2026-03-01' AND submitted_on < '2026-04-01' AND `+v.sent+` ORDER BY submitted_on, number`, w.s1); err != nil {
			t.Fatal(err)
		}
		if err := w.db.Get(&wantFee, `SELECT coalesce(sum(fee), 0) FROM orders WHERE supplier_id = $1 AND order_status_committed(status)
			AND submitted_on >= '2026-03-01' AND submitted_on < '2026-04-01' AND `+v.sent, w.s1); err != nil {
			t.Fatal(err)
		}
		var gotNumbers []string
		for _, l := range st.Lines {
			gotNumbers = append(gotNumbers, l.OrderNumber)
		}
		if !slices.Equal(gotNumbers, wantNumbers) || st.Fee.StringFixed(2) != wantFee.StringFixed(2) {
			t.Fatalf("statement %v fee %s, orders say %v fee %s", gotNumbers, st.Fee, wantNumbers, wantFee)
		}
	}
}

// checkPerformance compares each supplier's performance with the orders,
// over all months (the hourly walk) and over a range (the plain median).
func checkPerformance(t *testing.T, w *world) {
	t.Helper()
	for _, v := range []struct {
		name, query, where string
	}{
		{"AllMonths", "", "true"},
		{"Year", "from=2026-01&to=2026-12", "extract(year FROM o.submitted_on) = 2026"},
		{"Years", "from=2025-01&to=2026-12", "extract(year FROM o.submitted_on) BETWEEN 2025 AND 2026"},
		{"Months", "from=2026-02&to=2026-03", "o.submitted_on >= '2026-02-01' AND o.submitted_on < '2026-04-01'"},
	} {
		t.Run(v.name, func(t *testing.T) {
			var rows []struct {
				SupplierID int64            `db:"supplier_id"`
				Confirmed  int              `db:"confirmed"`
				InWindow   int              `db:"in_window"`
				Rejected   int              `db:"rejected"`
				Delivered  int              `db:"delivered"`
				ByPromised int              `db:"by_promised"`
				Median     *decimal.Decimal `db:"median"`
				Overdue    int              `db:"overdue"`
			}
			q := `SELECT o.supplier_id,
					count(*) FILTER (WHERE o.confirmed_at IS NOT NULL AND ` + v.where + `) AS confirmed,
					count(*) FILTER (WHERE (o.confirmed_at AT TIME ZONE 'Asia/Jerusalem')::date <= o.confirm_by AND ` + v.where + `) AS in_window,
					count(*) FILTER (WHERE o.status = 'rejected' AND ` + v.where + `) AS rejected,
					count(*) FILTER (WHERE o.delivered_at IS NOT NULL AND ` + v.where + `) AS delivered,
					count(*) FILTER (WHERE o.delivered_at IS NOT NULL AND d.delivered_on <= o.promised_on AND ` + v.where + `) AS by_promised,
					(percentile_cont(0.5) WITHIN GROUP (ORDER BY floor(extract(epoch FROM o.confirmed_at - o.sent_at)))
						FILTER (WHERE o.confirmed_at IS NOT NULL AND ` + v.where + `))::numeric AS median,
					count(*) FILTER (WHERE o.status = 'sent' AND o.confirm_by < $1) AS overdue
				FROM orders o
				LEFT JOIN (SELECT order_id, max(delivered_on) AS delivered_on FROM order_deliveries GROUP BY order_id) d ON d.order_id = o.id
				WHERE o.status <> 'draft' GROUP BY o.supplier_id`
			if err := w.db.Select(&rows, q, w.today()); err != nil {
				t.Fatal(err)
			}
			want := map[int64]string{}
			for _, r := range rows {
				median := "none"
				if r.Median != nil {
					median = r.Median.Div(decimal.NewFromInt(3600)).Round(2).StringFixed(2)
				}
				want[r.SupplierID] = fmt.Sprintf("confirmed %d/%d rejected %d delivered %d/%d median %s overdue %d",
					r.InWindow, r.Confirmed, r.Rejected, r.ByPromised, r.Delivered, median, r.Overdue)
			}
			var got struct{ Items []volumes.Performance }
			w.getJSON(t, w.lead, "/api/v1/volumes/performance?"+v.query, &got)
			have := map[int64]string{}
			for _, p := range got.Items {
				median := "none"
				if p.MedianHoursToConfirm != nil {
					median = decimal.NewFromFloat(*p.MedianHoursToConfirm).StringFixed(2)
				}
				have[p.SupplierID] = fmt.Sprintf("confirmed %d/%d rejected %d delivered %d/%d median %s overdue %d",
					p.ConfirmedInWindow, p.Confirmed, p.Rejected, p.DeliveredByPromised, p.Delivered, median, p.OverdueNow)
			}
			for id, s := range want {
				if _, ok := have[id]; !ok && strings.HasPrefix(s, "confirmed 0/0 rejected 0 delivered 0/0 median none overdue 0") {
					delete(want, id) // a supplier with nothing in the months
				}
			}
			if diff := cmp.Diff(want, have); diff != "" {
				t.Fatalf("performance differs from the orders (-orders +figures):\n%s", diff)
			}
		})
	}
}

func checkOverdueAlerts(t *testing.T, w *world) {
	t.Helper()
	var want []string
	if err := w.db.Select(&want, `SELECT number FROM orders WHERE status = 'sent' AND confirm_by < $1 ORDER BY confirm_by, number`, w.today()); err != nil {
		t.Fatal(err)
	}
	var a volumes.Alerts
	w.getJSON(t, w.lead, "/api/v1/volumes/alerts", &a)
	var got []string
	for _, o := range a.OverdueOrders {
		got = append(got, o.OrderNumber)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("overdue orders %v, orders say %v", got, want)
	}
}

func checkVerify(t *testing.T, w *world) {
	t.Helper()
	var out strings.Builder
	n, err := volumes.Verify(ctx, w.db, &out)
	if err != nil || n != 0 {
		t.Fatalf("verify: %d differences, %v\n%s", n, err, out.String())
	}
}

func checkAll(t *testing.T, w *world) {
	t.Run("Volumes", func(t *testing.T) { checkVolumes(t, w) })
	t.Run("Utilisation", func(t *testing.T) { checkUtilisation(t, w) })
	t.Run("Headline", func(t *testing.T) { checkHeadline(t, w) })
	t.Run("Fees", func(t *testing.T) { checkFees(t, w) })
	t.Run("Performance", func(t *testing.T) { checkPerformance(t, w) })
	t.Run("OverdueAlerts", func(t *testing.T) { checkOverdueAlerts(t, w) })
	t.Run("Verify", func(t *testing.T) { checkVerify(t, w) })
}

// TestFiguresEqualTheOrders runs a scripted set of orders in every status
// through the orders service and compares every figure with a direct
// recomputation from the orders; then cancels and rejects orders and
// compares again.
func TestFiguresEqualTheOrders(t *testing.T) {
	w := newWorld(t)
	w.script()
	var statuses []string
	if err := w.db.Select(&statuses, `SELECT DISTINCT status FROM orders ORDER BY status`); err != nil {
		t.Fatal(err)
	}
	if len(statuses) != 9 {
		t.Fatalf("the script leaves orders in %v, want every status", statuses)
	}
	checkAll(t, w)

	headline := func() volumes.Headline {
		var h volumes.Headline
		w.getJSON(t, w.lead, "/api/v1/volumes/headline?year=2026", &h)
		return h
	}
	before := headline()

	// Cancelling the pending order takes it out of every figure.
	var pendingID int64
	var pendingTotal decimal.Decimal
	if err := w.db.QueryRow(`SELECT id, total FROM orders WHERE status = 'pending_approval'`).Scan(&pendingID, &pendingTotal); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Cancel(ctx, w.officerA.P, pendingID, "", cancelInput()); err != nil {
		t.Fatal(err)
	}
	after := headline()
	if after.OrdersThisYear != before.OrdersThisYear-1 || !after.Total.Equal(before.Total.Sub(pendingTotal)) ||
		after.OrdersInHandling != before.OrdersInHandling-1 {
		t.Fatalf("after cancelling: %+v, before %+v (order total %s)", after, before, pendingTotal)
	}
	t.Run("AfterCancel", func(t *testing.T) { checkAll(t, w) })

	// Rejecting the sent, not yet due order takes it out too.
	var sentID, supplierID int64
	if err := w.db.QueryRow(`SELECT id, supplier_id FROM orders WHERE status = 'sent' AND confirm_by >= $1`, w.today()).Scan(&sentID, &supplierID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Reject(ctx, w.sup3.P, sentID, "", rejectInput()); err != nil {
		t.Fatal(err)
	}
	if got := headline(); got.OrdersThisYear != after.OrdersThisYear-1 || got.OrdersInHandling != after.OrdersInHandling-1 {
		t.Fatalf("after rejecting: %+v, before %+v", got, after)
	}
	t.Run("AfterReject", func(t *testing.T) { checkAll(t, w) })
}

// TestScriptedCluster reads the scripted cluster every way a user can:
// scoping, exports, the OCDS package and the alerts (last: it adds data).
func TestScriptedCluster(t *testing.T) {
	w := newWorld(t)
	w.script()
	t.Run("Scoping", func(t *testing.T) { testScoping(t, w) })
	t.Run("ExportsCSV", func(t *testing.T) { testExportsCSV(t, w) })
	t.Run("ExportsXLSX", func(t *testing.T) { testExportsXLSX(t, w) })
	t.Run("OCDS", func(t *testing.T) { testOCDSPackage(t, w) })
	t.Run("Alerts", func(t *testing.T) { testAlerts(t, w) })
}

func testScoping(t *testing.T, w *world) {
	for _, tc := range []struct {
		name string
		u    user
		path string
		code int
	}{
		{"AuthorityAsksAnother", w.officerA, fmt.Sprintf("/api/v1/volumes?group=tender&authority=%d", w.b), http.StatusNotFound},
		{"SupplierAsksAnother", w.supplier1, fmt.Sprintf("/api/v1/volumes?group=tender&supplier=%d", w.s2), http.StatusNotFound},
		{"SupplierStatementOfAnother", w.supplier1, fmt.Sprintf("/api/v1/volumes/fees/statement?supplier=%d&month=2026-03", w.s2), http.StatusNotFound},
		{"AuthorityStatement", w.officerA, fmt.Sprintf("/api/v1/volumes/fees/statement?supplier=%d&month=2026-03", w.s1), http.StatusNotFound},
		{"AuthorityAlerts", w.officerA, "/api/v1/volumes/alerts", http.StatusForbidden},
		{"SupplierAlerts", w.supplier1, "/api/v1/volumes/alerts", http.StatusForbidden},
		{"Anonymous", user{}, "/api/v1/volumes", http.StatusUnauthorized},
		{"AuthorityExportOfAnother", w.officerB, fmt.Sprintf("/api/v1/exports/orders.csv?authority=%d", w.a), http.StatusNotFound},
		{"BadGroup", w.lead, "/api/v1/volumes?group=colour", http.StatusUnprocessableEntity},
		{"MidMonth", w.lead, "/api/v1/volumes?from=2026-03-15", http.StatusUnprocessableEntity},
		{"ToBeforeFrom", w.lead, "/api/v1/volumes?from=2026-03&to=2026-01", http.StatusUnprocessableEntity},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := webtest.Do(w.base.Engine, "GET", tc.path, tc.u.Token, nil)
			if r.Code != tc.code {
				t.Fatalf("%s: %d %s, want %d", tc.path, r.Code, r.Body.String(), tc.code)
			}
		})
	}

	// What a supplier sees is only its own, whatever it asks for.
	var rep volumes.Report
	w.getJSON(t, w.supplier2, "/api/v1/volumes?group=supplier", &rep)
	if len(rep.Items) != 1 || rep.Items[0].SupplierID != w.s2 {
		t.Fatalf("supplier 2 sees %+v", rep.Items)
	}
	var perf struct{ Items []volumes.Performance }
	w.getJSON(t, w.supplier2, "/api/v1/volumes/performance", &perf)
	if len(perf.Items) != 1 || perf.Items[0].SupplierID != w.s2 {
		t.Fatalf("supplier 2 sees the performance of %+v", perf.Items)
	}
	w.getJSON(t, w.officerB, "/api/v1/volumes?group=authority", &rep)
	if len(rep.Items) != 1 || rep.Items[0].AuthorityID != w.b {
		t.Fatalf("authority B sees %+v", rep.Items)
	}
}

func testAlerts(t *testing.T, w *world) {
	// A tender ending in 49 days, a supplier whose insurance ends in 8
	// days and one whose books certificate has ended.
	if _, err := w.db.Exec(`INSERT INTO tenders (number, title, category, valid_from, valid_until, status, fee_percent, award_rule)
		VALUES ('09/2024', 'החלפת חול', 'תשתיות', '2024-05-01', '2026-04-30', 'active', 1, 'single')`); err != nil {
		t.Fatal(err)
	}
	s4, _ := w.mustSupplier("גני משחקים בע\"מ")
	s5, _ := w.mustSupplier("שיפוצים בע\"מ")
	if _, err := w.db.Exec(`UPDATE supplier_certificates SET valid_until = '2026-03-20' WHERE supplier_id = $1 AND kind = 'insurance'`, s4); err != nil {
		t.Fatal(err)
	}
	// Only the latest certificate of a kind counts: s5's insurance that
	// ended is replaced by a valid one.
	if _, err := w.db.Exec(`UPDATE supplier_certificates SET valid_until = '2026-01-31' WHERE supplier_id = $1 AND kind IN ('books', 'insurance')`, s5); err != nil {
		t.Fatal(err)
	}
	if _, err := w.db.Exec(`INSERT INTO supplier_certificates (supplier_id, kind, number, valid_until) VALUES ($1, 'insurance', 'P-10', '2027-01-31')`, s5); err != nil {
		t.Fatal(err)
	}

	a, err := w.h.Store.Alerts(ctx, w.lead.P, w.today())
	if err != nil {
		t.Fatal(err)
	}
	if len(a.ExpiringTenders) != 1 || a.ExpiringTenders[0].Number != "09/2024" || a.ExpiringTenders[0].DaysLeft != 49 {
		t.Fatalf("expiring tenders %+v", a.ExpiringTenders)
	}
	if len(a.Ceilings) != 1 || a.Ceilings[0].TenderID != w.medical.ID {
		t.Fatalf("ceilings %+v", a.Ceilings)
	}
	if len(a.Allocations) != 1 || a.Allocations[0].AuthorityID != w.a {
		t.Fatalf("allocations %+v", a.Allocations)
	}
	var certs []string
	for _, c := range a.Certificates {
		certs = append(certs, fmt.Sprintf("%d %s %s %d %v", c.SupplierID, c.Kind, c.ValidUntil, c.DaysLeft, c.Expired))
	}
	wantCerts := []string{fmt.Sprintf("%d books 2026-01-31 -40 true", s5), fmt.Sprintf("%d insurance 2026-03-20 8 false", s4)}
	if !slices.Equal(certs, wantCerts) {
		t.Fatalf("certificates %v, want %v", certs, wantCerts)
	}
	if len(a.OverdueOrders) != 1 || a.OverdueOrders[0].DaysOverdue != 8 {
		t.Fatalf("overdue %+v", a.OverdueOrders)
	}
	if _, err := w.h.Store.Alerts(ctx, w.officerA.P, w.today()); err == nil {
		t.Fatal("an authority user read the alerts")
	}
}

func TestParseFilter(t *testing.T) {
	for _, tc := range []struct {
		query    string
		from, to string
		ok       bool
	}{
		{"from=2026-02&to=2026-03", "2026-02-01", "2026-03-01", true},
		{"from=2026-02-01&to=2026-03-31", "2026-02-01", "2026-03-01", true},
		{"to=2024-02-29", "", "2024-02-01", true},
		{"from=2026-02-02", "", "", false},
		{"to=2026-03-30", "", "", false},
		{"from=2026-13", "", "", false},
		{"tender=x", "", "", false},
	} {
		t.Run(tc.query, func(t *testing.T) {
			q, _ := parseQuery(tc.query)
			f, err := volumes.ParseFilter(q)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v", err)
			}
			if tc.ok && (f.From.String() != tc.from || f.To.String() != tc.to) {
				t.Fatalf("from %s to %s", f.From, f.To)
			}
		})
	}
}

func cancelInput() orders.CancelInput { return orders.CancelInput{Reason: "no_longer_needed"} }

func rejectInput() orders.RejectInput { return orders.RejectInput{Reason: "אין במלאי"} }

func parseQuery(s string) (url.Values, error) { return url.ParseQuery(s) }

// TestConcurrentOrdersKeepTheFigures submits, signs, cancels, confirms and
// rejects orders concurrently, some refused by the allocation, and checks
// that the figures still equal the orders.
func TestConcurrentOrdersKeepTheFigures(t *testing.T) {
	w := newWorld(t)
	w.at("2026-03-09", 9, 0)
	var drafts []*order
	for range 24 {
		drafts = append(drafts, w.create(w.a, w.medical, 0, "1")) // 1,000.00 each; A's allocation is 15,000
	}
	parallel := func(os []*order, fn func(i int, o *order) error) (failed int) {
		var wg sync.WaitGroup
		var mu sync.Mutex
		for i, o := range os {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := fn(i, o); err != nil {
					mu.Lock()
					failed++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		return failed
	}
	refused := parallel(drafts, func(_ int, o *order) error {
		_, err := w.svc.Submit(ctx, o.officer.P, o.ID, "")
		return err
	})
	if refused != 24-15 {
		t.Fatalf("%d submissions refused, want 9", refused)
	}
	var pending []*order
	for _, o := range drafts {
		var st string
		w.db.Get(&st, `SELECT status FROM orders WHERE id = $1`, o.ID)
		if st == "pending_approval" {
			pending = append(pending, o)
		}
	}
	parallel(pending, func(i int, o *order) error {
		if i%3 == 0 {
			_, err := w.svc.Cancel(ctx, o.officer.P, o.ID, "", cancelInput())
			return err
		}
		if _, err := w.svc.Sign(ctx, o.treasurer.P, o.ID, "", orders.SignInput{Legal: true, BudgetLine: true, NoDeficit: true}); err != nil {
			return err
		}
		_, err := w.svc.Sign(ctx, o.head.P, o.ID, "", orders.SignInput{})
		return err
	})
	parallel(pending, func(i int, o *order) error {
		switch i % 3 {
		case 1:
			_, err := w.svc.Confirm(ctx, o.supplier.P, o.ID, "", orders.ConfirmInput{PromisedDate: calendar.MustParse("2026-03-20")})
			return err
		case 2:
			_, err := w.svc.Reject(ctx, o.supplier.P, o.ID, "", rejectInput())
			return err
		}
		return nil
	})
	checkAll(t, w)
}
