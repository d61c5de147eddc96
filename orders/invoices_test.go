package orders_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"madaf/internal/calendar"
	"madaf/orders"
	"madaf/volumes"
)

func TestAllocationRequired(t *testing.T) {
	t.Parallel()
	day := func(y int, m time.Month, d int) calendar.Date { return calendar.NewDate(y, m, d) }
	for _, c := range []struct {
		name     string
		requires bool
		on       calendar.Date
		subtotal string
		want     bool
	}{
		{"BeforeTheReform", true, day(2025, time.December, 31), "50000.00", false},
		{"At10000In2026", true, day(2026, time.January, 1), "10000.00", false},
		{"Above10000In2026", true, day(2026, time.January, 1), "10000.01", true},
		{"7000InMay", true, day(2026, time.May, 31), "7000.00", false},
		{"7000InJune", true, day(2026, time.June, 1), "7000.00", true},
		{"At5000InJune", true, day(2026, time.June, 1), "5000.00", false},
		{"Above5000Later", true, day(2027, time.March, 1), "5000.01", true},
		{"NotAsked", false, day(2027, time.March, 1), "90000.00", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := orders.AllocationRequired(c.requires, c.on, dec(c.subtotal)); got != c.want {
				t.Fatalf("AllocationRequired(%v, %s, %s) = %v, want %v", c.requires, c.on, c.subtotal, got, c.want)
			}
		})
	}
}

// invoiceBody is an invoice numbered number of o's lines, each a
// quantity and a unit price, with its amounts worked out at 18% VAT.
func invoiceBody(o *orders.Order, number, allocation string, pairs ...string) map[string]any {
	var lines []any
	sub := dec("0")
	for i := 0; i+1 < len(pairs); i += 2 {
		lines = append(lines, map[string]any{"line_id": o.Lines[i/2].ID, "quantity": pairs[i], "unit_price": pairs[i+1]})
		sub = sub.Add(orders.LineTotal(dec(pairs[i]), dec(pairs[i+1])))
	}
	vat := orders.Percent(sub, dec("18"))
	return map[string]any{"number": number, "issued_on": "2026-03-10", "subtotal": sub.StringFixed(2), "vat": vat.StringFixed(2),
		"total": sub.Add(vat).StringFixed(2), "allocation_number": allocation, "lines": lines}
}

func TestInvoiceThreeWayMatch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00", "50.00"}}})
	supplier := tn.Users[0]
	// 150 × 100 + 4 × 50 = 15,200 before VAT: above the ₪10,000 of March
	// 2026, so the invoice needs an allocation number.
	o := e.mustDeliver(tn, e.mustConfirmed(tn, "150", "4"), "150", "4")
	path := fmt.Sprintf("/api/v1/orders/%d", o.ID)
	invoices := path + "/invoices"
	wantStatus(t, e.do("POST", path+"/receipts", e.officer, receiptBody(o, "150", "good", "4", "good")), http.StatusCreated)

	// The officer does not submit invoices; another authority sees nothing.
	wantStatus(t, e.do("POST", invoices, e.officer, invoiceBody(o, "A-1", "123456789", "150", "100.00", "4", "50.00")), http.StatusForbidden)
	wantStatus(t, e.do("GET", invoices, e.otherOfficer, nil), http.StatusNotFound)

	// An allocation number of 8 digits is refused, and so is none.
	r := e.do("POST", invoices, supplier, invoiceBody(o, "A-1", "12345678", "150", "100.00", "4", "50.00"))
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if got := fieldOf(t, r, "allocation_number"); got != "invoice.allocation_digits" {
		t.Fatalf("8 digits: %q in %s", got, r.Body)
	}
	r = e.do("POST", invoices, supplier, invoiceBody(o, "A-1", "", "150", "100.00", "4", "50.00"))
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if got := fieldOf(t, r, "allocation_number"); got != "invoice.allocation_required" {
		t.Fatalf("no allocation number: %q in %s", got, r.Body)
	}
	// A total that is not the amount and the VAT, and VAT not at 18%.
	bad := invoiceBody(o, "A-1", "123456789", "150", "100.00", "4", "50.00")
	bad["total"], bad["vat"] = "17936.01", "2000.00"
	r = e.do("POST", invoices, supplier, bad)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if fieldOf(t, r, "total") != "invoice.total_sum" || fieldOf(t, r, "vat") != "invoice.vat_rate" {
		t.Fatalf("bad amounts: %s", r.Body)
	}
	var n int
	e.db.Get(&n, `SELECT count(*) FROM invoices WHERE order_id = $1`, o.ID)
	if n != 0 {
		t.Fatalf("%d invoices after refusals", n)
	}

	// Above what was received: in dispute, naming line 1.
	r = e.do("POST", invoices, supplier, invoiceBody(o, "A-1", "123456789", "151", "100.00"))
	wantStatus(t, r, http.StatusCreated)
	var over orders.Invoice
	r.JSON(t, &over)
	if over.Status != "in_dispute" || len(over.Reasons) != 1 || over.Reasons[0].LineNo != 1 || over.Reasons[0].Check != "over_received" ||
		over.Reasons[0].Allowed != "150" {
		t.Fatalf("over received: %s", r.Body)
	}
	// At another price: in dispute, naming line 2.
	r = e.do("POST", invoices, supplier, invoiceBody(o, "A-2", "123456789", "150", "100.00", "4", "50.50"))
	wantStatus(t, r, http.StatusCreated)
	var price orders.Invoice
	r.JSON(t, &price)
	if price.Status != "in_dispute" || len(price.Reasons) != 1 || price.Reasons[0].LineNo != 2 || price.Reasons[0].Check != "price" ||
		price.Reasons[0].Allowed != "50.00" {
		t.Fatalf("other price: %s", r.Body)
	}
	// A number the supplier used already.
	r = e.do("POST", invoices, supplier, invoiceBody(o, "A-2", "123456789", "150", "100.00", "4", "50.00"))
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if got := fieldOf(t, r, "number"); got != "invoice.number_taken" {
		t.Fatalf("number again: %q", got)
	}
	// An invoice in dispute is not approved.
	wantStatus(t, e.do("POST", fmt.Sprintf("%s/%d/approve", invoices, price.ID), e.officer, nil), http.StatusConflict)

	// Part of it, matched and approved: the order stays open.
	r = e.do("POST", invoices, supplier, invoiceBody(o, "A-3", "123456789", "100", "100.00"))
	wantStatus(t, r, http.StatusCreated)
	var first orders.Invoice
	r.JSON(t, &first)
	if first.Status != "matched" {
		t.Fatalf("first part: %s", r.Body)
	}
	wantStatus(t, e.do("POST", fmt.Sprintf("%s/%d/approve", invoices, first.ID), supplier, nil), http.StatusForbidden)
	wantStatus(t, e.do("POST", fmt.Sprintf("%s/%d/approve", invoices, first.ID), e.officer, nil), http.StatusOK)
	if got, _ := e.svc.Get(ctx, e.officer.P, o.ID); got.Status != "delivered" {
		t.Fatalf("after the first part: %s", got.Status)
	}
	// The rest (5,200 before VAT: no allocation number needed in March).
	r = e.do("POST", invoices, supplier, invoiceBody(o, "A-4", "", "50", "100.00", "4", "50.00"))
	wantStatus(t, r, http.StatusCreated)
	var rest orders.Invoice
	r.JSON(t, &rest)
	if rest.Status != "matched" {
		t.Fatalf("the rest: %s", r.Body)
	}
	r = e.do("POST", fmt.Sprintf("%s/%d/approve", invoices, rest.ID), e.officer, map[string]any{"note": "לתשלום"})
	wantStatus(t, r, http.StatusOK)
	if s := r.Map(t)["status"]; s != "approved" {
		t.Fatalf("approved: %v", s)
	}
	got, err := e.svc.Get(ctx, e.officer.P, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != "closed" || got.InvoiceRef != "A-3, A-4" {
		t.Fatalf("after everything received was approved: %s, invoice ref %q", got.Status, got.InvoiceRef)
	}
	// The fee statement counts what was invoiced, the same for the
	// cluster and for the supplier, and never an order awaiting
	// signatures.
	pending := e.mustCreate(tn, 0, e.budgetLine, "1")
	if _, err := e.svc.Submit(ctx, e.officer.P, pending.ID, ""); err != nil {
		t.Fatal(err)
	}
	vs := volumes.NewStore(e.db)
	march := calendar.NewDate(2026, time.March, 1)
	for _, u := range []user{e.lead, supplier} {
		st, err := vs.FeeStatement(ctx, u.P, tn.Winners[0], march)
		if err != nil {
			t.Fatal(err)
		}
		// 15,200 invoiced × 2% = 304.00.
		if st.OrderCount != 1 || st.Lines[0].Basis != "invoiced" || st.Subtotal.String() != "15200.00" || st.Fee.String() != "304.00" {
			t.Fatalf("statement as user %d: %+v", u.ID, st)
		}
	}

	var kinds []string
	e.db.Select(&kinds, `SELECT kind FROM mail_outbox WHERE order_id = $1 AND kind LIKE 'invoice%' ORDER BY id`, o.ID)
	if len(kinds) != 8 { // 4 submitted, 2 disputed, 2 approved
		t.Fatalf("invoice mails %v", kinds)
	}
}

func TestInvoiceBillsOnlyWhatArrivedUndamaged(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00"}}})
	o := e.mustDeliver(tn, e.mustConfirmed(tn, "10"), "10")
	path := fmt.Sprintf("/api/v1/orders/%d", o.ID)
	// Nothing received yet: nothing to bill.
	r := e.do("POST", path+"/invoices", tn.Users[0], invoiceBody(o, "B-1", "", "10", "100.00"))
	wantStatus(t, r, http.StatusCreated)
	if s := r.Map(t)["status"]; s != "in_dispute" {
		t.Fatalf("before receipt: %v", s)
	}
	// 8 good and 2 damaged: 8 may be billed.
	body := receiptBody(o, "8", "good")
	body["lines"] = append(body["lines"].([]any), map[string]any{"line_id": o.Lines[0].ID, "quantity": "2", "condition": "damaged"})
	wantStatus(t, e.do("POST", path+"/receipts", e.officer, body), http.StatusUnprocessableEntity) // a line twice
	wantStatus(t, e.do("POST", path+"/receipts", e.officer, receiptBody(o, "8", "good")), http.StatusCreated)
	wantStatus(t, e.do("POST", path+"/receipts", e.officer, receiptBody(o, "2", "damaged")), http.StatusCreated)
	r = e.do("POST", path+"/invoices", tn.Users[0], invoiceBody(o, "B-2", "", "9", "100.00"))
	wantStatus(t, r, http.StatusCreated)
	if s := r.Map(t)["status"]; s != "in_dispute" {
		t.Fatalf("9 of 8 received: %v", s)
	}
	r = e.do("POST", path+"/invoices", tn.Users[0], invoiceBody(o, "B-3", "", "8", "100.00"))
	wantStatus(t, r, http.StatusCreated)
	var inv orders.Invoice
	r.JSON(t, &inv)
	if inv.Status != "matched" {
		t.Fatalf("8 of 8: %s", r.Body)
	}
	// Approved, but a dispute is open (the damaged two): the order stays
	// delivered until the supplier answers.
	wantStatus(t, e.do("POST", fmt.Sprintf("%s/invoices/%d/approve", path, inv.ID), e.officer, nil), http.StatusOK)
	if got, _ := e.svc.Get(ctx, e.officer.P, o.ID); got.Status != "delivered" {
		t.Fatalf("with a dispute open: %s", got.Status)
	}
}
