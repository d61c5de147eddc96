package orders_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"madaf/internal/calendar"
	"madaf/internal/page/pagetest"
	"madaf/orders"
)

// TestOrderSearch: the orders list, on the page and in the API, finds
// orders by number, supplier, tender, status (returned drafts apart),
// authority, date range and amount range, each caller within its scope;
// the cluster's list names each order's authority, so that two orders
// numbered 2026-0001 of different authorities are told apart; a returned
// draft is marked as returned.
func TestOrderSearch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mountPages()
	medical := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00"}}})
	works := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"5000.00"}}})
	e.db.MustExec(`INSERT INTO tender_authorities (tender_id, authority_id) VALUES ($1, $2)`, medical.ID, e.other)
	e.db.MustExec(`UPDATE suppliers SET legal_name = 'בוני השרון שיפוצים בע"מ' WHERE id = $1`, works.Winners[0])
	var worksNumber string
	e.db.Get(&worksNumber, `SELECT number FROM tenders WHERE id = $1`, works.ID)

	create := func(u user, tn *tender, line int64, qty string) *orders.Order {
		t.Helper()
		in := orders.NewOrder{TenderID: tn.ID, SupplierID: tn.Winners[0], BudgetLineID: line, DeliveryAddress: "רחוב הנדיב 1",
			RequestedDate: calendar.NewDate(2030, time.June, 30), Lines: []orders.LineInput{{ItemID: tn.Items[0], Quantity: orders.Qty(qty)}}}
		o, err := e.svc.Create(ctx, u.P, in)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	ours := create(e.officer, medical, e.budgetLine, "2") // 2026-0001 of זכרון יעקב, 10 March, ₪ 236.00
	theirs := create(e.otherOfficer, medical, e.otherBudgetLine, "3")
	if ours.Number != "2026-0001" || theirs.Number != "2026-0001" {
		t.Fatalf("numbers %s and %s", ours.Number, theirs.Number)
	}
	e.setClock(time.Date(2026, 3, 20, 10, 0, 0, 0, calendar.Israel))
	big := create(e.officer, works, e.budgetLine, "2") // 2026-0002, 20 March, ₪ 11,800.00
	if _, err := e.svc.Submit(ctx, e.officer.P, big.ID, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Return(ctx, e.treasurer.P, big.ID, "", orders.NoteInput{Note: "חסרה הצעת מחיר"}); err != nil {
		t.Fatal(err)
	}

	ids := func(u user, query string) []int64 {
		t.Helper()
		r := e.do("GET", "/api/v1/orders?"+query, u, nil)
		wantStatus(t, r, http.StatusOK)
		var list struct {
			Items []struct {
				ID       int64 `json:"id"`
				Returned bool  `json:"returned"`
			} `json:"items"`
		}
		r.JSON(t, &list)
		var out []int64
		for _, o := range list.Items {
			out = append(out, o.ID)
		}
		slices.Sort(out)
		return out
	}
	for _, tc := range []struct {
		name  string
		u     user
		query string
		want  []int64
	}{
		{"NumberInScope", e.officer, "number=0001", []int64{ours.ID}},
		{"NumberAcrossTheCluster", e.lead, "number=2026-0001", []int64{ours.ID, theirs.ID}},
		{"Authority", e.lead, fmt.Sprintf("authority_id=%d", e.other), []int64{theirs.ID}},
		{"Supplier", e.officer, "supplier=" + url.QueryEscape("השרון"), []int64{big.ID}},
		{"TenderByNumber", e.lead, "tender=" + url.QueryEscape(worksNumber), []int64{big.ID}},
		{"Returned", e.officer, "status=returned", []int64{big.ID}},
		{"ReturnedFlag", e.officer, "returned=true", []int64{big.ID}},
		{"Drafts", e.officer, "status=draft", []int64{ours.ID, big.ID}},
		{"DateRange", e.lead, "from=2026-03-01&to=2026-03-15", []int64{ours.ID, theirs.ID}},
		{"DateFrom", e.officer, "from=2026-03-15", []int64{big.ID}},
		{"AmountRange", e.lead, "min_total=300&max_total=1,000.00", []int64{theirs.ID}},
		{"AmountFrom", e.officer, "min_total=1000", []int64{big.ID}},
		{"Together", e.officer, "supplier=" + url.QueryEscape("ספק") + "&max_total=500&from=2026-03-10&to=2026-03-10", []int64{ours.ID}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ids(tc.u, tc.query); !slices.Equal(got, tc.want) {
				t.Errorf("%s: %v, want %v", tc.query, got, tc.want)
			}
		})
	}
	t.Run("BadFilters", func(t *testing.T) {
		r := e.do("GET", "/api/v1/orders?from=2026-03-20&to=2026-03-01&min_total=abc&authority_id=x&status=sent,lost", e.lead, nil)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		for _, s := range []string{`"code":"order.bad_filter"`, `"field":"min_total"`, `"field":"authority_id"`, `"field":"status"`} {
			if !strings.Contains(r.Body.String(), s) {
				t.Errorf("the refusal lacks %s: %s", s, r.Body)
			}
		}
		r = e.do("GET", "/api/v1/orders?from=2026-03-20&to=2026-03-01", e.lead, nil)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		if !strings.Contains(r.Body.String(), `"field":"to"`) {
			t.Errorf("the refusal does not name to: %s", r.Body)
		}
		page := e.getPage("/orders?from=2026-03-20&to=2026-03-01", e.lead)
		pagetest.Expect(t, page, http.StatusUnprocessableEntity, "תאריך הסיום קודם לתאריך ההתחלה")
		pagetest.ExpectErrorBeside(t, page, "to")
	})

	t.Run("ClusterListNamesTheAuthority", func(t *testing.T) {
		r := e.getPage("/orders?number=2026-0001", e.lead)
		pagetest.Expect(t, r, http.StatusOK, `id="order-search"`, `id="authority_id"`)
		for id, name := range map[int64]string{ours.ID: "זכרון יעקב", theirs.ID: "כפר קרע"} {
			row := r.Body[strings.Index(r.Body, fmt.Sprintf(`<tr id="order-%d">`, id)):]
			row = row[:strings.Index(row, "</tr>")]
			if !strings.Contains(row, "2026-0001") || !strings.Contains(row, "<td>"+name+"</td>") {
				t.Errorf("the row of order %d does not name %s: %s", id, name, row)
			}
		}
		if strings.Contains(r.Body, fmt.Sprintf(`<tr id="order-%d">`, big.ID)) {
			t.Error("the search lists 2026-0002")
		}
	})

	t.Run("ReturnedIsMarked", func(t *testing.T) {
		r := e.getPage("/orders?supplier="+url.QueryEscape("השרון"), e.officer)
		pagetest.Expect(t, r, http.StatusOK, `<span class="badge returned warn">הוחזרה לתיקון</span>`)
		if strings.Contains(r.Body, fmt.Sprintf(`<tr id="order-%d">`, theirs.ID)) || strings.Contains(r.Body, `id="authority_id"`) {
			t.Error("the officer's search reaches beyond its authority")
		}
		pagetest.Expect(t, e.getPage(fmt.Sprintf("/orders/%d", big.ID), e.officer), http.StatusOK,
			`<span class="badge returned warn" id="order-status">הוחזרה לתיקון</span>`)
		pagetest.Expect(t, e.getPage(fmt.Sprintf("/orders/%d/edit", big.ID), e.officer), http.StatusOK, `id="returned-note"`, "חסרה הצעת מחיר")
	})
}
