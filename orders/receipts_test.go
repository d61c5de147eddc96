package orders_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"madaf/internal/calendar"
	"madaf/internal/webtest"
	"madaf/orders"
	"madaf/volumes"
)

// mustConfirmed creates, signs and has the supplier confirm an order of
// tender tn's first winner with qty of each item.
func (e *env) mustConfirmed(tn *tender, qty ...string) *orders.Order {
	e.t.Helper()
	o := e.mustSent(tn, 0, qty...)
	o, err := e.svc.Confirm(ctx, tn.Users[0].P, o.ID, "", orders.ConfirmInput{PromisedDate: calendar.NewDate(2026, time.March, 20)})
	if err != nil {
		e.t.Fatalf("confirm: %v", err)
	}
	return o
}

// mustDeliver reports the delivery of qty of each of o's lines (by the
// supplier of tn).
func (e *env) mustDeliver(tn *tender, o *orders.Order, qty ...string) *orders.Order {
	e.t.Helper()
	var in orders.DeliverInput
	for i, q := range qty {
		if q != "0" {
			in.Lines = append(in.Lines, orders.DeliveryLine{LineID: o.Lines[i].ID, Quantity: orders.Qty(q)})
		}
	}
	o, err := e.svc.Deliver(ctx, tn.Users[0].P, o.ID, "", in)
	if err != nil {
		e.t.Fatalf("deliver: %v", err)
	}
	return o
}

// receiptBody is a goods received note of o: per line, a quantity and a
// condition.
func receiptBody(o *orders.Order, pairs ...string) map[string]any {
	var lines []any
	for i := 0; i+1 < len(pairs); i += 2 {
		lines = append(lines, map[string]any{"line_id": o.Lines[i/2].ID, "quantity": pairs[i], "condition": pairs[i+1]})
	}
	return map[string]any{"delivery_note": "DN-5501", "received_on": "2026-03-10", "lines": lines}
}

// fieldOf is the first field error's key for field in r's problem, "" when
// none.
func fieldOf(t *testing.T, r webtest.Response, field string) string {
	t.Helper()
	errs, _ := r.Map(t)["errors"].([]any)
	for _, e := range errs {
		if m := e.(map[string]any); m["field"] == field {
			s, _ := m["code"].(string)
			return s
		}
	}
	return ""
}

func TestReceiptOpensDisputeTheSupplierAnswers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00", "50.00"}}})
	supplier := tn.Users[0]
	o := e.mustConfirmed(tn, "10", "4")
	path := fmt.Sprintf("/api/v1/orders/%d", o.ID)

	// Nothing delivered yet: no receipt.
	wantStatus(t, e.do("POST", path+"/receipts", e.officer, receiptBody(o, "1", "good")), http.StatusConflict)
	o = e.mustDeliver(tn, o, "10", "4")

	// The supplier does not record receipts; another authority does not
	// see the order.
	wantStatus(t, e.do("POST", path+"/receipts", supplier, receiptBody(o, "10", "good")), http.StatusForbidden)
	wantStatus(t, e.do("POST", path+"/receipts", e.otherOfficer, receiptBody(o, "10", "good")), http.StatusNotFound)
	// More than ordered is refused, naming the line.
	r := e.do("POST", path+"/receipts", e.officer, receiptBody(o, "11", "good"))
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if got := fieldOf(t, r, "lines[0].quantity"); got != "receipt.over_ordered" {
		t.Fatalf("over ordered: %q in %s", got, r.Body)
	}

	// All of line 1 arrived, 3 of line 2's 4: a dispute.
	r = e.do("POST", path+"/receipts", e.officer, receiptBody(o, "10", "good", "3", "short"))
	wantStatus(t, r, http.StatusCreated)
	var rec orders.Receipt
	r.JSON(t, &rec)
	if rec.Dispute == nil || rec.Dispute.Status != "open" || len(rec.Lines) != 2 || rec.Lines[0].Disputed || !rec.Lines[1].Disputed {
		t.Fatalf("receipt: %s", r.Body)
	}
	var mails int
	e.db.Get(&mails, `SELECT count(*) FROM mail_outbox WHERE order_id = $1 AND kind = 'dispute_opened'
		AND recipient = (SELECT email FROM suppliers WHERE id = $2)`, o.ID, tn.Winners[0])
	if mails != 1 {
		t.Fatalf("%d dispute mails to the supplier, want 1", mails)
	}

	// The supplier sees the dispute and answers it.
	r = e.do("GET", path+"/receipts", supplier, nil)
	wantStatus(t, r, http.StatusOK)
	var list struct{ Items []orders.Receipt }
	r.JSON(t, &list)
	if len(list.Items) != 1 || list.Items[0].Dispute == nil {
		t.Fatalf("supplier's receipts: %s", r.Body)
	}
	answer := fmt.Sprintf("%s/disputes/%d/answer", path, rec.Dispute.ID)
	wantStatus(t, e.do("POST", answer, e.officer, map[string]any{"answer": "accept"}), http.StatusForbidden)
	r = e.do("POST", answer, supplier, map[string]any{"answer": "contest"})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if got := fieldOf(t, r, "note"); got != "dispute.note_required" {
		t.Fatalf("contest without a note: %q", got)
	}
	r = e.do("POST", answer, supplier, map[string]any{"answer": "contest", "note": "נמסרו 4, ראו תעודת משלוח"})
	wantStatus(t, r, http.StatusOK)
	if s := r.Map(t)["status"]; s != "contested" {
		t.Fatalf("answered %v", s)
	}
	wantStatus(t, e.do("POST", answer, supplier, map[string]any{"answer": "accept"}), http.StatusConflict)
	wantStatus(t, e.do("POST", fmt.Sprintf("%s/disputes/%d/answer", path, rec.Dispute.ID+1000), supplier,
		map[string]any{"answer": "accept"}), http.StatusNotFound)
	e.db.Get(&mails, `SELECT count(*) FROM mail_outbox WHERE order_id = $1 AND kind = 'dispute_answered'`, o.ID)
	if mails != 1 {
		t.Fatalf("%d answer mails, want 1", mails)
	}

	// The supplier's performance counts the dispute.
	perf, err := volumes.NewStore(e.db).Performance(ctx, e.lead.P, volumes.Filter{}, calendar.DateOf(defaultNow))
	if err != nil {
		t.Fatal(err)
	}
	disputes := -1
	for _, pf := range perf {
		if pf.SupplierID == tn.Winners[0] {
			disputes = pf.Disputes
		}
	}
	if disputes != 1 {
		t.Fatalf("performance counts %d disputes, want 1", disputes)
	}
}

// budgetLeft is what is left on the member's budget line over HTTP.
func budgetLeft(t *testing.T, e *env) string {
	t.Helper()
	r := e.do("GET", fmt.Sprintf("/api/v1/budget-lines/%d", e.budgetLine), e.officer, nil)
	wantStatus(t, r, http.StatusOK)
	return r.Map(t)["left"].(string)
}

func TestCloseShortReleasesWhatWasNotDelivered(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, ceiling: "100000", prices: [][]string{{"100.00", "50.00"}}})
	before := budgetLeft(t, e)
	// 10 × 100 + 4 × 50 = 1,200; VAT 216; total 1,416.
	o := e.mustConfirmed(tn, "10", "4")
	if got := budgetLeft(t, e); !dec(before).Sub(dec(got)).Equal(dec("1416")) {
		t.Fatalf("left %s after ordering, before %s", got, before)
	}
	o = e.mustDeliver(tn, o, "6", "0")
	path := fmt.Sprintf("/api/v1/orders/%d", o.ID)

	wantStatus(t, e.do("POST", path+"/close-short", tn.Users[0], map[string]any{"reason": "no_longer_needed", "note": "x"}), http.StatusForbidden)
	r := e.do("POST", path+"/close-short", e.officer, map[string]any{"reason": "whim", "note": "x"})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	r = e.do("POST", path+"/close-short", e.officer, map[string]any{"reason": "supplier_cannot_deliver", "note": "הספק הודיע שאין מלאי"})
	wantStatus(t, r, http.StatusOK)
	var got orders.Order
	r.JSON(t, &got)
	// What was delivered: 6 × 100 = 600; VAT 108; total 708.
	if got.Status != "closed" || got.CloseReason != "supplier_cannot_deliver" || got.Subtotal.String() != "600.00" ||
		got.Total.String() != "708.00" || got.Lines[0].Quantity.String() != "10" || got.Lines[0].Closed.String() != "4" ||
		got.Lines[1].Closed.String() != "4" {
		t.Fatalf("closed short: %s", r.Body)
	}
	if left := budgetLeft(t, e); !dec(before).Sub(dec(left)).Equal(dec("708")) {
		t.Fatalf("left %s after closing short, want %s − 708", left, before)
	}
	var held, volume string
	e.db.Get(&held, `SELECT subtotal FROM capacity_holds WHERE kind = 'tender' AND id = $1`, tn.ID)
	e.db.Get(&volume, `SELECT subtotal FROM volume_orders WHERE order_id = $1`, o.ID)
	if held != "600.00" || volume != "600.00" {
		t.Fatalf("tender holds %s, volumes count %s; want 600.00", held, volume)
	}
	var mails int
	e.db.Get(&mails, `SELECT count(*) FROM mail_outbox WHERE order_id = $1 AND kind = 'order_closed_short'`, o.ID)
	if mails != 1 {
		t.Fatalf("%d short-closing mails, want 1", mails)
	}
	// Closed: not again.
	wantStatus(t, e.do("POST", path+"/close-short", e.officer, map[string]any{"reason": "no_longer_needed", "note": "x"}), http.StatusConflict)
	// What arrives is received up to what the order still covers, the
	// 6 delivered, never the 10 first ordered.
	r = e.do("POST", path+"/receipts", e.officer, receiptBody(o, "7", "good"))
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if code := fieldOf(t, r, "lines[0].quantity"); code != "receipt.over_ordered" {
		t.Fatalf("7 of a line closed at 6: %s", r.Body)
	}
	r = e.do("POST", path+"/receipts", e.officer, receiptBody(o, "6", "good"))
	wantStatus(t, r, http.StatusCreated)
	if r.Map(t)["dispute"] != nil {
		t.Fatalf("what was delivered, in good condition, is disputed: %s", r.Body)
	}
	// Nothing arrived is a shortfall, not a line in good order.
	r = e.do("POST", path+"/receipts", e.officer, receiptBody(o, "0", "good"))
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if code := fieldOf(t, r, "lines[0].quantity"); code != "receipt.nothing_good" {
		t.Fatalf("0 in good condition: %s", r.Body)
	}
	// A line named without a quantity is refused, not read as nothing
	// arrived.
	r = e.do("POST", path+"/receipts", e.officer, map[string]any{"delivery_note": "DN-9",
		"lines": []any{map[string]any{"line_id": o.Lines[1].ID, "condition": "short"}}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if code := fieldOf(t, r, "lines[0].quantity"); code == "" {
		t.Fatalf("a line without a quantity: %s", r.Body)
	}
}

func TestCancelAfterConfirmationNeedsItsReason(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00"}}})
	o := e.mustConfirmed(tn, "3")
	path := fmt.Sprintf("/api/v1/orders/%d/cancel", o.ID)
	r := e.do("POST", path, e.officer, map[string]any{"reason": "no_longer_needed"})
	wantStatus(t, r, http.StatusConflict)
	if got := r.Map(t)["code"]; got != "order.cancel_after_confirmation" {
		t.Fatalf("reason refused with %q: %s", got, r.Body)
	}
	r = e.do("POST", path, e.officer, map[string]any{"reason": "supplier_agreed", "note": "בתיאום טלפוני"})
	wantStatus(t, r, http.StatusOK)
	if s := r.Map(t)["status"]; s != "cancelled" {
		t.Fatalf("cancelled: %v", s)
	}
	// Partly delivered: closed short, never cancelled.
	o = e.mustDeliver(tn, e.mustConfirmed(tn, "3"), "1")
	wantStatus(t, e.do("POST", fmt.Sprintf("/api/v1/orders/%d/cancel", o.ID), e.officer, map[string]any{"reason": "supplier_failed"}), http.StatusConflict)
}
