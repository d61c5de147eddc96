package orders_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"madaf/authorities"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/page/pagetest"
	"madaf/orders"
)

// The authority's receiver (its storekeeper) lists its authority's orders
// whose goods may still arrive, reads them and records what arrived; it
// takes no other step of an order, and finds nothing of another
// authority's.
func TestReceiverRecordsReceiptsAndNothingElse(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	receiver := e.mustUser(auth.OrgAuthority, e.authority, auth.RoleReceiver)
	otherReceiver := e.mustUser(auth.OrgAuthority, e.other, auth.RoleReceiver)
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00", "50.00"}}})
	supplier := tn.Users[0]
	draft := e.mustCreate(tn, 0, e.budgetLine, "1")
	o := e.mustDeliver(tn, e.mustConfirmed(tn, "10", "4"), "10", "4")
	path := fmt.Sprintf("/api/v1/orders/%d", o.ID)

	// Its list: the delivered order, not the draft.
	r := e.do("GET", "/api/v1/orders?status="+orders.StatusToReceive, receiver, nil)
	wantStatus(t, r, http.StatusOK)
	var list struct{ Items []orders.Order }
	r.JSON(t, &list)
	if len(list.Items) != 1 || list.Items[0].ID != o.ID {
		t.Fatalf("orders to receive: %s", r.Body)
	}
	wantStatus(t, e.do("GET", path, receiver, nil), http.StatusOK)
	wantStatus(t, e.do("GET", path, otherReceiver, nil), http.StatusNotFound)
	r = e.do("GET", "/api/v1/orders?status="+orders.StatusToReceive, otherReceiver, nil)
	wantStatus(t, r, http.StatusOK)
	list.Items = nil
	r.JSON(t, &list)
	if len(list.Items) != 0 {
		t.Fatalf("another authority's receiver lists %s", r.Body)
	}

	// Another authority's receiver finds nothing to receive.
	wantStatus(t, e.do("POST", path+"/receipts", otherReceiver, receiptBody(o, "10", "good")), http.StatusNotFound)
	qty := func(s string) *orders.Quantity { q := orders.Qty(s); return &q }
	// Its own receives, over HTTP and through the service.
	wantStatus(t, e.do("POST", path+"/receipts", receiver, receiptBody(o, "6", "good")), http.StatusCreated)
	rec, err := e.svc.Receive(ctx, receiver.P, o.ID, "", orders.ReceiptInput{DeliveryNote: "DN-5502", ReceivedOn: calendar.DateOf(defaultNow),
		Lines: []orders.ReceiptLineInput{{LineID: o.Lines[0].ID, Quantity: qty("4"), Condition: orders.ConditionGood},
			{LineID: o.Lines[1].ID, Quantity: qty("4"), Condition: orders.ConditionGood}}})
	if err != nil || rec.RecordedBy != receiver.ID {
		t.Fatalf("receive through the service: %+v, %v", rec, err)
	}
	if _, err := e.svc.Receive(ctx, otherReceiver.P, o.ID, "", orders.ReceiptInput{DeliveryNote: "DN-1",
		Lines: []orders.ReceiptLineInput{{LineID: o.Lines[0].ID, Quantity: qty("1"), Condition: orders.ConditionGood}}}); webStatus(err) != http.StatusNotFound {
		t.Fatalf("another authority's receiver through the service: %v", err)
	}

	// An invoice to approve, an order pending signature and a draft: the
	// receiver may take none of their steps.
	r = e.do("POST", path+"/invoices", supplier, invoiceBody(o, "R-1", "", "10", "100.00", "4", "50.00"))
	wantStatus(t, r, http.StatusCreated)
	var inv orders.Invoice
	r.JSON(t, &inv)
	if inv.Status != "matched" {
		t.Fatalf("invoice: %s", r.Body)
	}
	pending := e.mustCreate(tn, 0, e.budgetLine, "1")
	if _, err := e.svc.Submit(ctx, e.officer.P, pending.ID, ""); err != nil {
		t.Fatal(err)
	}
	pendingPath := fmt.Sprintf("/api/v1/orders/%d", pending.ID)
	// Even under a delegation in force (granted before the user became
	// only a receiver: the service grants none to a receiver), it signs
	// nothing.
	e.mustDelegation(e.treasurer, receiver, "treasurer", "100000.00", "2026-01-01", "2026-12-31")
	draftPath := fmt.Sprintf("/api/v1/orders/%d", draft.ID)
	for _, c := range []struct {
		path string
		body any
	}{
		{"/api/v1/orders", e.orderBody(tn, 0, "1")},
		{draftPath + "/submit", nil},
		{pendingPath + "/sign", map[string]any{"legal": true, "budget_line": true, "no_deficit": true}},
		{pendingPath + "/return", map[string]any{"note": "לבדיקה"}},
		{fmt.Sprintf("%s/invoices/%d/approve", path, inv.ID), nil},
		{path + "/close-short", map[string]any{"reason": "no_longer_needed", "note": "x"}},
		{path + "/close", map[string]any{"invoice_ref": "INV-1"}},
		{path + "/cancel", map[string]any{"reason": "no_longer_needed"}},
	} {
		if r := e.do("POST", c.path, receiver, c.body); r.Code != http.StatusForbidden {
			t.Errorf("POST %s as the receiver: %d %s", c.path, r.Code, r.Body)
		}
	}
	if r := e.do("PUT", draftPath, receiver, e.orderBody(tn, 0, "2")); r.Code != http.StatusForbidden {
		t.Errorf("PUT a draft as the receiver: %d %s", r.Code, r.Body)
	}
	if r := e.do("POST", fmt.Sprintf("%s/invoices/%d/approve", path, inv.ID), otherReceiver, nil); r.Code != http.StatusNotFound {
		t.Errorf("approve as another authority's receiver: %d %s", r.Code, r.Body)
	}
	// Nor any step of a change the officer proposed.
	confirmed := e.mustConfirmed(tn, "10", "4")
	confirmedPath := fmt.Sprintf("/api/v1/orders/%d", confirmed.ID)
	r = e.do("POST", confirmedPath+"/changes", e.officer, changeBody("more", map[string]any{"line_id": confirmed.Lines[0].ID, "quantity": "12"}))
	wantStatus(t, r, http.StatusCreated)
	var ch struct{ ID int64 }
	r.JSON(t, &ch)
	if r := e.do("POST", confirmedPath+"/changes", receiver, changeBody("more", map[string]any{"line_id": confirmed.Lines[0].ID, "quantity": "11"})); r.Code != http.StatusForbidden {
		t.Errorf("propose a change as the receiver: %d %s", r.Code, r.Body)
	}
	for step, body := range map[string]any{
		"sign":    map[string]any{"legal": true, "budget_line": true, "no_deficit": true},
		"accept":  nil,
		"decline": map[string]any{"reason": "x"},
	} {
		p := fmt.Sprintf("%s/changes/%d/%s", confirmedPath, ch.ID, step)
		if r := e.do("POST", p, receiver, body); r.Code != http.StatusForbidden {
			t.Errorf("POST %s as the receiver: %d %s", p, r.Code, r.Body)
		}
	}
	wantStatus(t, e.do("GET", fmt.Sprintf("%s/changes/%d", confirmedPath, ch.ID), receiver, nil), http.StatusOK)
	if got, _ := e.svc.Get(ctx, e.officer.P, pending.ID); got.Status != "pending_approval" {
		t.Fatalf("the pending order is %s", got.Status)
	}
}

// A tolerance the treasurer sets in the authority's settings is the one
// the invoice matching applies, and so is the allocation requirement.
func TestInvoiceMatchingReadsTheAuthoritySettings(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00"}}})
	supplier := tn.Users[0]
	// 150 × 100 = 15,000 before VAT: above the threshold of March 2026.
	o := e.mustDeliver(tn, e.mustConfirmed(tn, "150"), "150")
	path := fmt.Sprintf("/api/v1/orders/%d", o.ID)
	wantStatus(t, e.do("POST", path+"/receipts", e.officer, receiptBody(o, "150", "good")), http.StatusCreated)

	status := func(number, allocation, price string) string {
		t.Helper()
		r := e.do("POST", path+"/invoices", supplier, invoiceBody(o, number, allocation, "1", price))
		if r.Code != http.StatusCreated && r.Code != http.StatusUnprocessableEntity {
			t.Fatalf("invoice %s: %d %s", number, r.Code, r.Body)
		}
		if r.Code == http.StatusUnprocessableEntity {
			return fieldOf(t, r, "allocation_number")
		}
		return fmt.Sprint(r.Map(t)["status"])
	}
	// The default: no tolerance.
	if got := status("T-1", "", "100.40"); got != "in_dispute" {
		t.Fatalf("at ₪0.40 more with no tolerance: %s", got)
	}
	as := authorities.NewStore(e.db)
	tolerance, requires := dec("0.50"), false
	if _, err := as.SetSettings(ctx, e.treasurer.P, e.authority, "", authorities.SettingsInput{
		RequiresAllocationNumber: &requires, InvoicePriceTolerance: &tolerance}); err != nil {
		t.Fatal(err)
	}
	if got := status("T-2", "", "100.40"); got != "matched" {
		t.Fatalf("at ₪0.40 more within a tolerance of ₪0.50: %s", got)
	}
	if got := status("T-3", "", "100.60"); got != "in_dispute" {
		t.Fatalf("at ₪0.60 more beyond a tolerance of ₪0.50: %s", got)
	}
	// An invoice of 150 units at the price is above the threshold, and
	// needs no allocation number once the authority does not ask for one.
	r := e.do("POST", path+"/invoices", supplier, invoiceBody(o, "T-4", "", "150", "100.00"))
	wantStatus(t, r, http.StatusCreated)
	requires = true
	if _, err := as.SetSettings(ctx, e.treasurer.P, e.authority, "", authorities.SettingsInput{
		RequiresAllocationNumber: &requires, InvoicePriceTolerance: &tolerance}); err != nil {
		t.Fatal(err)
	}
	r = e.do("POST", path+"/invoices", supplier, invoiceBody(o, "T-5", "", "150", "100.00"))
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if got := fieldOf(t, r, "allocation_number"); got != "invoice.allocation_required" {
		t.Fatalf("allocation number asked again: %q in %s", got, r.Body)
	}
}

// The receiver's pages: the list of orders to receive, and on a delivered
// order the goods received form, which records the note; not the forms of
// the officer's other steps.
func TestReceiverPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mountPages()
	receiver := e.mustUser(auth.OrgAuthority, e.authority, auth.RoleReceiver)
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00"}}})
	o := e.mustDeliver(tn, e.mustConfirmed(tn, "10"), "10")
	path := fmt.Sprintf("/orders/%d", o.ID)

	pagetest.Expect(t, e.getPage("/orders?status="+orders.StatusToReceive, receiver), http.StatusOK, path, "ממתינות לקבלה")
	r := e.getPage(path, receiver)
	pagetest.Expect(t, r, http.StatusOK, `id="receive-form"`)
	for _, form := range []string{`id="close-short-form"`, `id="cancel-form"`, `id="close-form"`} {
		if r.Contains(form) {
			t.Errorf("the receiver's order page has %s", form)
		}
	}
	r = e.postPage(path+"/receipts", receiver, url.Values{"etag": {o.ETag()}, "delivery_note": {"DN-8"},
		fmt.Sprintf("recv_%d", o.Lines[0].ID): {"10"}, fmt.Sprintf("cond_%d", o.Lines[0].ID): {"good"}})
	if r.Code != http.StatusSeeOther {
		t.Fatalf("receipt: %d %s", r.Code, r.Body)
	}
	o, err := e.svc.Get(ctx, e.officer.P, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r := e.postPage(path+"/close", receiver, url.Values{"etag": {o.ETag()}, "invoice_ref": {"INV-1"}}); r.Code != http.StatusForbidden {
		t.Fatalf("close as the receiver: %d", r.Code)
	}
}
