package volumes_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"madaf/volumes"
)

// TestSupplierSeesOnlyOrdersSentToIt: a draft and an order pending approval
// addressed to supplier 1 appear in none of its figures or exports, as the
// orders themselves are hidden from it; once sent, the order appears. The
// cluster counts the pending order all along, but in the fee statement,
// which counts only what was sent.
func TestSupplierSeesOnlyOrdersSentToIt(t *testing.T) {
	w := newWorld(t)
	w.at("2026-03-09", 9, 0)
	draft := w.create(w.a, w.medical, 0, "3")
	pending := w.create(w.a, w.medical, 0, "1").submit()
	number := func(o *order) string {
		var n string
		if err := w.db.Get(&n, `SELECT number FROM orders WHERE id = $1`, o.ID); err != nil {
			t.Fatal(err)
		}
		return n
	}
	draftNo, pendingNo := number(draft), number(pending)

	// seen is what supplier 1 sees of its orders, everywhere the volumes
	// show them.
	type seen struct {
		volumes, byTender, fees, statement, performance int
		inHandling, thisYear, pendingApproval           int
		exports                                         map[string][]string
	}
	look := func(t *testing.T, u user) seen {
		t.Helper()
		var s seen
		var rep volumes.Report
		w.getJSON(t, u, "/api/v1/volumes?group=supplier", &rep)
		s.volumes = rep.Totals.OrderCount
		w.getJSON(t, u, "/api/v1/volumes?group=tender&from=2026-03&to=2026-03", &rep)
		s.byTender = rep.Totals.OrderCount
		var h volumes.Headline
		w.getJSON(t, u, "/api/v1/volumes/headline?year=2026", &h)
		s.inHandling, s.thisYear, s.pendingApproval = h.OrdersInHandling, h.OrdersThisYear, h.InHandlingByStatus["pending_approval"]
		var fees volumes.Fees
		w.getJSON(t, u, "/api/v1/volumes/fees", &fees)
		s.fees = fees.OrderCount
		var st volumes.Statement
		w.getJSON(t, u, fmt.Sprintf("/api/v1/volumes/fees/statement?supplier=%d&month=2026-03", w.s1), &st)
		s.statement = st.OrderCount
		var perf struct{ Items []volumes.Performance }
		w.getJSON(t, u, "/api/v1/volumes/performance", &perf)
		s.performance = len(perf.Items)
		s.exports = map[string][]string{}
		for _, path := range []string{
			"/api/v1/exports/orders.csv", "/api/v1/exports/orders.csv?status=draft,pending_approval",
			"/api/v1/exports/orders.csv?status=committed", "/api/v1/exports/orders.xlsx", "/api/v1/exports/ocds",
		} {
			body := string(w.download(t, u, path, ""))
			if strings.HasSuffix(path, ".xlsx") {
				body = xlsxText(t, []byte(body))
			}
			for _, n := range []string{draftNo, pendingNo} {
				if strings.Contains(body, n) {
					s.exports[path] = append(s.exports[path], n)
				}
			}
		}
		return s
	}

	t.Run("Unsent", func(t *testing.T) {
		s := look(t, w.supplier1)
		if s.volumes+s.byTender+s.fees+s.statement+s.performance+s.inHandling+s.thisYear+s.pendingApproval != 0 || len(s.exports) != 0 {
			t.Errorf("supplier 1 sees orders never sent to it: %+v", s)
		}
		l := look(t, w.lead)
		// The fee statement never counts an order awaiting signatures:
		// the cluster reads the supplier's statement.
		if l.volumes != 1 || l.inHandling != 1 || l.pendingApproval != 1 || l.statement != 0 || len(l.exports["/api/v1/exports/orders.csv"]) != 2 {
			t.Errorf("the cluster's figures lost the pending order: %+v", l)
		}
	})
	t.Run("Sent", func(t *testing.T) {
		pending.sign()
		s := look(t, w.supplier1)
		want := seen{volumes: 1, byTender: 1, fees: 1, statement: 1, performance: 1, inHandling: 1, thisYear: 1,
			exports: map[string][]string{}}
		for _, path := range []string{"/api/v1/exports/orders.csv", "/api/v1/exports/orders.csv?status=committed",
			"/api/v1/exports/orders.xlsx", "/api/v1/exports/ocds"} {
			want.exports[path] = []string{pendingNo}
		}
		if fmt.Sprint(s) != fmt.Sprint(want) {
			t.Errorf("supplier 1 sees %+v\nwant %+v", s, want)
		}
	})
}

// xlsxText is every cell of every sheet of a workbook, one per line.
func xlsxText(t *testing.T, data []byte) string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b strings.Builder
	for _, sh := range f.GetSheetList() {
		rows, err := f.GetRows(sh)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			b.WriteString(strings.Join(r, "\n") + "\n")
		}
	}
	return b.String()
}
