package volumes_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"madaf/internal/calendar"
	"madaf/internal/money"
	"madaf/internal/webtest"
	"madaf/orders"
	"madaf/volumes"
)

// invoice has the order delivered in full and received, then has its
// supplier invoice qty of its first line at the order's price, as invoice
// number n; the invoice matches.
func (o *order) invoice(n, qty string) *order {
	o.w.t.Helper()
	cur, err := o.w.svc.Get(ctx, o.supplier.P, o.ID)
	if err != nil {
		o.w.t.Fatal(err)
	}
	if cur.Status == "confirmed" {
		o.deliver(true, "")
		in := orders.ReceiptInput{DeliveryNote: "DN-" + n}
		for _, l := range cur.Lines {
			q := l.Quantity
			in.Lines = append(in.Lines, orders.ReceiptLineInput{LineID: l.ID, Quantity: &q, Condition: "good"})
		}
		if _, err := o.w.svc.Receive(ctx, o.officer.P, o.ID, "", in); err != nil {
			o.w.t.Fatalf("receive: %v", err)
		}
	}
	l := cur.Lines[0]
	q := orders.Qty(qty)
	sub := money.Of(q.Mul(l.UnitPrice.Decimal).Round(2))
	vat := money.Of(sub.Mul(money.MustParse("0.18").Decimal).Round(2))
	inv, err := o.w.svc.SubmitInvoice(ctx, o.supplier.P, o.ID, "", orders.InvoiceInput{Number: n, IssuedOn: o.w.today(),
		Subtotal: sub, VAT: vat, Total: money.Of(sub.Add(vat.Decimal)),
		Lines: []orders.InvoiceLineInput{{LineID: l.ID, Quantity: q, UnitPrice: l.UnitPrice}}})
	if err != nil {
		o.w.t.Fatalf("invoice: %v", err)
	}
	if inv.Status != orders.InvoiceMatched {
		o.w.t.Fatalf("invoice %s is %s", n, inv.Status)
	}
	return o
}

// do sends a JSON request as u and returns the answer, failing unless its
// status is want.
func (w *world) do(t *testing.T, u user, method, path string, body any, want int, headers ...string) webtest.Response {
	t.Helper()
	r := webtest.Do(w.base.Engine, method, path, u.Token, body, headers...)
	if r.Code != want {
		t.Fatalf("%s %s: %d %s, want %d", method, path, r.Code, r.Body.String(), want)
	}
	return r
}

// statementFees is the fee accrued for supplier in month (YYYY-MM), as
// /volumes/fees sums it for u.
func (w *world) statementFees(t *testing.T, u user, supplier int64, month string) string {
	t.Helper()
	var fees volumes.Fees
	w.getJSON(t, u, fmt.Sprintf("/api/v1/volumes/fees?supplier=%d&from=%s&to=%s", supplier, month, month), &fees)
	return fees.Fee.StringFixed(2)
}

func (w *world) liveStatement(t *testing.T, u user, supplier int64, month string) volumes.Statement {
	t.Helper()
	var st volumes.Statement
	w.getJSON(t, u, fmt.Sprintf("/api/v1/volumes/fees/statement?supplier=%d&month=%s", supplier, month), &st)
	return st
}

// march are supplier 1's orders of March 2026 in statementsWorld.
type march struct {
	// invoiced was confirmed, received and invoiced for one of its two
	// units (₪1,000 of ₪2,000 at 2%); sent was sent (₪1,099.90) and
	// pending awaits signatures (₪3,000.00).
	invoiced, sent, pending *order
}

// statementsWorld has supplier 1's March 2026 (march), then the clock on 2
// April. Each supplier has an order sent in January, supplier 1 one in
// February and supplier 2 one in March.
func statementsWorld(t *testing.T) (w *world, m march) {
	w = newWorld(t)
	w.at("2026-01-05", 9, 0)
	w.create(w.a, w.medical, 0, "1").submit().sign()
	w.create(w.b, w.medical, 1, "1").submit().sign()
	w.create(w.b, w.computing, 0, "1").submit().sign()
	w.at("2026-02-02", 9, 0)
	w.create(w.b, w.medical, 0, "1").submit().sign()
	w.at("2026-03-02", 9, 0)
	w.create(w.b, w.medical, 1, "1").submit().sign()
	m.invoiced = w.create(w.a, w.medical, 0, "2").submit().sign().confirm("2026-03-20")
	m.sent = w.create(w.a, w.medical, 0, "1", "1").submit().sign()
	m.pending = w.create(w.b, w.medical, 0, "3").submit()
	w.at("2026-03-10", 9, 0)
	m.invoiced.invoice("M-1", "1")
	w.at("2026-04-02", 10, 0)
	return w, m
}

// issue has u issue supplier's statement for month (YYYY-MM), failing
// unless the answer's status is want; it returns the statement issued.
func (w *world) issue(t *testing.T, u user, supplier int64, month string, want int) (volumes.IssuedStatement, webtest.Response) {
	t.Helper()
	r := w.do(t, u, "POST", "/api/v1/volumes/fees/statements", map[string]any{"supplier_id": supplier, "month": month}, want)
	var st volumes.IssuedStatement
	if want == http.StatusCreated {
		r.JSON(t, &st)
	}
	return st, r
}

// live is supplier's live statement of month beside what was issued for
// it, as the store gives it to u.
func (w *world) live(t *testing.T, u user, supplier int64, month string) *volumes.LiveStatement {
	t.Helper()
	ls, err := w.h.Store.LiveStatement(ctx, u.P, supplier, calendar.MustParse(month+"-01"))
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

// billedFee sums the fees of every statement issued for supplier's month.
func (w *world) billedFee(t *testing.T, supplier int64, month string) string {
	t.Helper()
	var fee string
	if err := w.db.Get(&fee, `SELECT coalesce(sum(fee), 0)::numeric(20,2)::text FROM fee_statements WHERE supplier_id = $1 AND month = $2`,
		supplier, month+"-01"); err != nil {
		t.Fatal(err)
	}
	return fee
}

// TestFeesCountTheStatementsBasis: the accrual of a supplier's month is its
// statement's fee, for the cluster and for the supplier, also when an order
// is partly invoiced and another awaits signatures.
func TestFeesCountTheStatementsBasis(t *testing.T) {
	w, m := statementsWorld(t)
	pending := m.pending
	st := w.liveStatement(t, w.lead, w.s1, "2026-03")
	if got := st.Fee.StringFixed(2); got != "42.00" || st.OrderCount != 2 {
		t.Fatalf("statement fee %s over %d orders, want 42.00 (20.00 invoiced + 22.00 sent) over 2", got, st.OrderCount)
	}
	for _, u := range []user{w.lead, w.supplier1} {
		if got := w.statementFees(t, u, w.s1, "2026-03"); got != st.Fee.StringFixed(2) {
			t.Errorf("fees accrued %s, the statement says %s", got, st.Fee.StringFixed(2))
		}
	}
	// Returning the order awaiting signatures changes neither.
	pending.ret()
	if after := w.liveStatement(t, w.lead, w.s1, "2026-03"); fmt.Sprint(after) != fmt.Sprint(st) {
		t.Errorf("returning an order awaiting signatures changed the statement:\n%+v\n%+v", after, st)
	}
	if got := w.statementFees(t, w.lead, w.s1, "2026-03"); got != "42.00" {
		t.Errorf("returning an order awaiting signatures changed the fees: %s", got)
	}
}

func TestIssuedStatements(t *testing.T) {
	w, m := statementsWorld(t)
	invoiced, pending := m.invoiced, m.pending
	issue := func(t *testing.T, supplier int64, month string, want int) webtest.Response {
		t.Helper()
		_, r := w.issue(t, w.lead, supplier, month, want)
		return r
	}
	var march volumes.IssuedStatement

	t.Run("MonthNotEnded", func(t *testing.T) {
		r := issue(t, w.s1, "2026-04", http.StatusUnprocessableEntity)
		if !strings.Contains(r.Body.String(), "2026-04") {
			t.Errorf("the refusal does not name the month: %s", r.Body.String())
		}
		var n int
		if err := w.db.Get(&n, `SELECT count(*) FROM fee_statements`); err != nil || n != 0 {
			t.Fatalf("%d statements, %v", n, err)
		}
	})
	t.Run("Issue", func(t *testing.T) {
		issue(t, w.s1, "2026-03", http.StatusCreated).JSON(t, &march)
		live := w.liveStatement(t, w.lead, w.s1, "2026-03")
		if march.Number != "2026-03/0001" || march.Fee.StringFixed(2) != live.Fee.StringFixed(2) || len(march.Lines) != len(live.Lines) ||
			march.OrderCount != 2 || march.CompanyNumber != live.CompanyNumber || march.SupplierName != live.SupplierName ||
			march.Supplement() || march.SupplementsNumber != nil || march.Paid() {
			t.Fatalf("issued %+v, live %+v", march, live)
		}
	})
	t.Run("Sequence", func(t *testing.T) {
		var a, b volumes.IssuedStatement
		issue(t, w.s2, "2026-03", http.StatusCreated).JSON(t, &a)
		issue(t, w.s1, "2026-02", http.StatusCreated).JSON(t, &b)
		if a.Number != "2026-03/0002" || b.Number != "2026-02/0001" {
			t.Fatalf("numbers %s, %s", a.Number, b.Number)
		}
		// Issued at once, the statements of one month take distinct
		// numbers in turn.
		var wg sync.WaitGroup
		got := make([]volumes.IssuedStatement, 3)
		for i, s := range []int64{w.s1, w.s2, w.s3} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := webtest.Do(w.base.Engine, "POST", "/api/v1/volumes/fees/statements", w.lead.Token, map[string]any{"supplier_id": s, "month": "2026-01"})
				if r.Code != http.StatusCreated {
					t.Errorf("issue %d: %d %s", s, r.Code, r.Body.String())
					return
				}
				if err := json.Unmarshal(r.Body.Bytes(), &got[i]); err != nil {
					t.Errorf("issue %d: %v", s, err)
				}
			}()
		}
		wg.Wait()
		seen := map[string]bool{}
		for _, g := range got {
			seen[g.Number] = true
		}
		for _, n := range []string{"2026-01/0001", "2026-01/0002", "2026-01/0003"} {
			if !seen[n] {
				t.Errorf("numbers %v lack %s", seen, n)
			}
		}
	})
	t.Run("NothingToBill", func(t *testing.T) {
		r := issue(t, w.s3, "2026-02", http.StatusUnprocessableEntity)
		if !strings.Contains(r.Body.String(), "volumes.statement.no_orders") {
			t.Errorf("the refusal does not say there is nothing to bill: %s", r.Body.String())
		}
	})
	t.Run("IssueTwice", func(t *testing.T) {
		r := issue(t, w.s1, "2026-03", http.StatusConflict)
		if !strings.Contains(r.Body.String(), "2026-03/0001") {
			t.Errorf("the conflict does not name the issued statement: %s", r.Body.String())
		}
	})
	t.Run("Scope", func(t *testing.T) {
		path := fmt.Sprintf("/api/v1/volumes/fees/statements/%d", march.ID)
		var mine, lead volumes.IssuedStatement
		w.getJSON(t, w.supplier1, path, &mine)
		w.getJSON(t, w.lead, path, &lead)
		if fmt.Sprint(mine) != fmt.Sprint(lead) {
			t.Errorf("the supplier reads\n%+v\nthe cluster\n%+v", mine, lead)
		}
		w.do(t, w.supplier2, "GET", path, nil, http.StatusNotFound)
		w.do(t, w.officerA, "GET", path, nil, http.StatusNotFound)
		w.do(t, w.officerA, "GET", "/api/v1/volumes/fees/statements", nil, http.StatusForbidden)
		w.do(t, w.supplier1, "POST", "/api/v1/volumes/fees/statements", map[string]any{"supplier_id": w.s1, "month": "2025-12"}, http.StatusForbidden)
		var list struct{ Items []volumes.IssuedStatement }
		w.getJSON(t, w.supplier1, "/api/v1/volumes/fees/statements", &list)
		for _, s := range list.Items {
			if s.SupplierID != w.s1 {
				t.Errorf("supplier 1 lists %s of supplier %d", s.Number, s.SupplierID)
			}
		}
		if len(list.Items) != 3 {
			t.Errorf("supplier 1 lists %d statements, want 3", len(list.Items))
		}
		w.do(t, w.supplier1, "GET", fmt.Sprintf("/api/v1/volumes/fees/statements?supplier=%d", w.s2), nil, http.StatusNotFound)
		w.getJSON(t, w.lead, "/api/v1/volumes/fees/statements?month=2026-03", &list)
		// The latest issued first.
		if len(list.Items) != 2 || list.Items[0].Number != "2026-03/0002" || list.Items[1].Number != "2026-03/0001" {
			t.Errorf("the cluster's March: %+v", list.Items)
		}
	})
	t.Run("Frozen", func(t *testing.T) {
		w.at("2026-04-05", 9, 0)
		invoiced.invoice("M-2", "1")
		pending.ret()
		live := w.liveStatement(t, w.lead, w.s1, "2026-03")
		if live.Fee.StringFixed(2) != "62.00" {
			t.Fatalf("live fee %s after the second invoice, want 62.00", live.Fee.StringFixed(2))
		}
		var again volumes.IssuedStatement
		w.getJSON(t, w.lead, fmt.Sprintf("/api/v1/volumes/fees/statements/%d", march.ID), &again)
		if fmt.Sprint(again) != fmt.Sprint(march) {
			t.Errorf("a later invoice changed the issued statement:\n%+v\n%+v", again, march)
		}
	})
	t.Run("Pay", func(t *testing.T) {
		path := fmt.Sprintf("/api/v1/volumes/fees/statements/%d/paid", march.ID)
		body := map[string]any{"paid_on": "2026-04-04", "payment_reference": "העברה 7781"}
		w.do(t, w.supplier1, "POST", path, body, http.StatusForbidden)
		w.do(t, w.lead, "POST", path, map[string]any{"paid_on": "2026-04-06", "payment_reference": "x"}, http.StatusUnprocessableEntity)
		w.do(t, w.lead, "POST", path, map[string]any{"paid_on": "2026-04-01"}, http.StatusUnprocessableEntity)
		w.do(t, w.lead, "POST", path, body, http.StatusPreconditionFailed, "If-Match", `"fs0-0"`)
		var paid volumes.IssuedStatement
		w.do(t, w.lead, "POST", path, body, http.StatusOK, "If-Match", march.ETag()).JSON(t, &paid)
		if paid.PaidOn.String() != "2026-04-04" || paid.PaymentReference == nil || *paid.PaymentReference != "העברה 7781" || paid.PaidBy == nil {
			t.Fatalf("paid %+v", paid)
		}
		r := w.do(t, w.lead, "POST", path, body, http.StatusConflict)
		if !strings.Contains(r.Body.String(), "2026-03/0001") {
			t.Errorf("the conflict does not name the statement: %s", r.Body.String())
		}
		var trail int
		if err := w.db.Get(&trail, `SELECT count(*) FROM audit_log WHERE object = 'fee_statements' AND object_id = $1`, fmt.Sprint(march.ID)); err != nil || trail != 2 {
			t.Errorf("audit trail of the statement: %d entries, %v", trail, err)
		}
	})
}

// TestSupplementBillsAnOrderSentLater: an order of March awaiting
// signatures when March's statement was issued is sent in April; issuing
// March again bills it alone, on a supplement that names the original,
// and the live statement says a supplement is due until it is issued.
func TestSupplementBillsAnOrderSentLater(t *testing.T) {
	w, m := statementsWorld(t)
	original, _ := w.issue(t, w.lead, w.s1, "2026-03", http.StatusCreated)
	if ls := w.live(t, w.lead, w.s1, "2026-03"); ls.SupplementDue || ls.IssuedFee == nil || ls.IssuedFee.StringFixed(2) != "42.00" ||
		len(ls.IssuedNumbers) != 1 || ls.IssuedNumbers[0] != original.Number {
		t.Fatalf("live after the original: due %v, issued %v %v", ls.SupplementDue, ls.IssuedFee, ls.IssuedNumbers)
	}

	w.at("2026-04-05", 9, 0)
	m.pending.sign()
	ls := w.live(t, w.lead, w.s1, "2026-03")
	if !ls.SupplementDue || ls.Fee.StringFixed(2) != "102.00" || ls.IssuedFee.StringFixed(2) != "42.00" {
		t.Fatalf("live after the late order was sent: due %v, fee %s, issued %s", ls.SupplementDue, ls.Fee.StringFixed(2), ls.IssuedFee.StringFixed(2))
	}
	sup, _ := w.issue(t, w.lead, w.s1, "2026-03", http.StatusCreated)
	if sup.Number != "2026-03/0002" || !sup.Supplement() || *sup.SupplementsID != original.ID || *sup.SupplementsNumber != original.Number ||
		sup.OrderCount != 1 || sup.Fee.StringFixed(2) != "60.00" || sup.Subtotal.StringFixed(2) != "3000.00" || sup.Credit() {
		t.Fatalf("supplement %+v", sup)
	}
	if l := sup.Lines; len(l) != 1 || l[0].OrderID != m.pending.ID || l[0].Basis != "sent" || l[0].Fee.StringFixed(2) != "60.00" {
		t.Fatalf("supplement lines %+v", sup.Lines)
	}
	if ls := w.live(t, w.lead, w.s1, "2026-03"); ls.SupplementDue || ls.IssuedFee.StringFixed(2) != "102.00" || len(ls.IssuedNumbers) != 2 {
		t.Errorf("live after the supplement: due %v, issued %s %v", ls.SupplementDue, ls.IssuedFee.StringFixed(2), ls.IssuedNumbers)
	}
	// Nothing changed since: refused, naming the latest.
	_, r := w.issue(t, w.lead, w.s1, "2026-03", http.StatusConflict)
	if !strings.Contains(r.Body.String(), "2026-03/0002") || !strings.Contains(r.Body.String(), "volumes.statement.issued") {
		t.Errorf("issuing with nothing changed: %s", r.Body.String())
	}
	// The supplier reads its supplement.
	var mine volumes.IssuedStatement
	w.getJSON(t, w.supplier1, fmt.Sprintf("/api/v1/volumes/fees/statements/%d", sup.ID), &mine)
	if mine.SupplementsNumber == nil || *mine.SupplementsNumber != original.Number {
		t.Errorf("the supplier reads %+v", mine)
	}
}

// TestSupplementCreditsWhatFell: an invoice lowers an order's basis and an
// order billed by a supplement is cancelled; the next supplement credits
// both (negative lines, a negative total), naming the month's original,
// and the credit is settled as a statement is paid. The month's
// statements then sum to its live fee.
func TestSupplementCreditsWhatFell(t *testing.T) {
	w, m := statementsWorld(t)
	original, _ := w.issue(t, w.lead, w.s1, "2026-03", http.StatusCreated)
	w.at("2026-04-05", 9, 0)
	m.pending.sign()
	w.issue(t, w.lead, w.s1, "2026-03", http.StatusCreated)

	m.sent.confirm("2026-04-20").invoice("S-1", "1")
	m.pending.cancel()
	if ls := w.live(t, w.lead, w.s1, "2026-03"); !ls.SupplementDue || ls.Fee.StringFixed(2) != "40.00" {
		t.Fatalf("live: due %v, fee %s", ls.SupplementDue, ls.Fee.StringFixed(2))
	}
	credit, _ := w.issue(t, w.lead, w.s1, "2026-03", http.StatusCreated)
	if credit.Number != "2026-03/0003" || *credit.SupplementsNumber != original.Number || credit.OrderCount != 2 ||
		credit.Fee.StringFixed(2) != "-62.00" || credit.Subtotal.StringFixed(2) != "-3099.90" || !credit.Credit() {
		t.Fatalf("credit %+v", credit)
	}
	want := map[int64][4]string{
		m.sent.ID:    {"invoiced", "delivered", "-99.90", "-2.00"},
		m.pending.ID: {"withdrawn", "cancelled", "-3000.00", "-60.00"},
	}
	for _, l := range credit.Lines {
		got := [4]string{l.Basis, l.Status, l.Subtotal.StringFixed(2), l.Fee.StringFixed(2)}
		if got != want[l.OrderID] {
			t.Errorf("line of order %d: %v, want %v", l.OrderID, got, want[l.OrderID])
		}
		if l.AuthorityName == "" || l.TenderNumber != "01/2025" || l.OrderNumber == "" {
			t.Errorf("line of order %d: %+v", l.OrderID, l)
		}
	}
	if len(credit.Lines) != 2 {
		t.Errorf("%d lines, want 2", len(credit.Lines))
	}
	if got := w.billedFee(t, w.s1, "2026-03"); got != "40.00" {
		t.Errorf("the month's statements bill %s, the live fee is 40.00", got)
	}
	w.issue(t, w.lead, w.s1, "2026-03", http.StatusConflict)

	var settled volumes.IssuedStatement
	w.do(t, w.lead, "POST", fmt.Sprintf("/api/v1/volumes/fees/statements/%d/paid", credit.ID),
		map[string]any{"paid_on": "2026-04-05", "payment_reference": "זיכוי 12"}, http.StatusOK, "If-Match", credit.ETag()).JSON(t, &settled)
	if !settled.Paid() || settled.Fee.StringFixed(2) != "-62.00" {
		t.Errorf("settled %+v", settled)
	}
	var unpaid struct{ Items []volumes.IssuedStatement }
	w.getJSON(t, w.lead, fmt.Sprintf("/api/v1/volumes/fees/statements?supplier=%d&month=2026-03&paid=false", w.s1), &unpaid)
	if len(unpaid.Items) != 2 {
		t.Errorf("after settling the credit, %d of March's statements are open, want 2", len(unpaid.Items))
	}
}

// TestConcurrentIssuesBillOnce: issues of one supplier and month at once
// bill what is due once — the first statement, then a supplement — and
// refuse the others with nothing to bill.
func TestConcurrentIssuesBillOnce(t *testing.T) {
	w, m := statementsWorld(t)
	race := func(t *testing.T, n int) (created []volumes.IssuedStatement, conflicts int) {
		t.Helper()
		var mu sync.Mutex
		var wg sync.WaitGroup
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := webtest.Do(w.base.Engine, "POST", "/api/v1/volumes/fees/statements", w.lead.Token, map[string]any{"supplier_id": w.s1, "month": "2026-03"})
				mu.Lock()
				defer mu.Unlock()
				switch r.Code {
				case http.StatusCreated:
					var st volumes.IssuedStatement
					if err := json.Unmarshal(r.Body.Bytes(), &st); err != nil {
						t.Errorf("issue: %v", err)
					}
					created = append(created, st)
				case http.StatusConflict:
					conflicts++
				default:
					t.Errorf("issue: %d %s", r.Code, r.Body.String())
				}
			}()
		}
		wg.Wait()
		return created, conflicts
	}
	t.Run("Original", func(t *testing.T) {
		created, conflicts := race(t, 3)
		if len(created) != 1 || conflicts != 2 || created[0].Fee.StringFixed(2) != "42.00" {
			t.Fatalf("%d issued %+v, %d refused", len(created), created, conflicts)
		}
	})
	t.Run("Supplement", func(t *testing.T) {
		w.at("2026-04-05", 9, 0)
		m.pending.sign()
		created, conflicts := race(t, 3)
		if len(created) != 1 || conflicts != 2 || !created[0].Supplement() || created[0].Fee.StringFixed(2) != "60.00" {
			t.Fatalf("%d issued %+v, %d refused", len(created), created, conflicts)
		}
	})
	if got := w.billedFee(t, w.s1, "2026-03"); got != "102.00" {
		t.Errorf("March's statements bill %s, the live fee is 102.00", got)
	}
}

// TestIssuedNamesAreFrozen: renaming the supplier and the authorities
// after issue changes the live statement, not the issued one, which still
// names them as they were in each language.
func TestIssuedNamesAreFrozen(t *testing.T) {
	w, _ := statementsWorld(t)
	w.nameAuthorities()
	st, _ := w.issue(t, w.lead, w.s1, "2026-03", http.StatusCreated)
	for _, q := range []string{
		`UPDATE suppliers SET legal_name = 'מדיקל החדשה בע"מ' WHERE id = $1`,
		`UPDATE authorities SET name_he = name_he || ' (חדש)', name_ar = name_ar || ' (جديد)', name_en = name_en || ' (new)'`,
	} {
		if _, err := w.db.Exec(strings.ReplaceAll(q, "$1", fmt.Sprint(w.s1))); err != nil {
			t.Fatal(err)
		}
	}
	if live := w.liveStatement(t, w.lead, w.s1, "2026-03"); live.SupplierName != `מדיקל החדשה בע"מ` {
		t.Fatalf("the live statement names %q", live.SupplierName)
	}
	for lang, want := range map[string]string{"he": "זכרון יעקב", "ar": "زخرون يعقوب", "en": "Zikhron Yaakov"} {
		p := *w.lead.P
		p.Lang = lang
		got, err := w.h.Store.IssuedStatement(ctx, &p, st.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.SupplierName != `מדיקל בע"מ` || got.CompanyNumber != st.CompanyNumber {
			t.Errorf("%s: the issued statement names %q %s", lang, got.SupplierName, got.CompanyNumber)
		}
		named := 0
		for _, l := range got.Lines {
			if l.AuthorityID == w.a {
				named++
				if l.AuthorityName != want {
					t.Errorf("%s: a line names its authority %q, want %q", lang, l.AuthorityName, want)
				}
			}
		}
		if named == 0 {
			t.Errorf("%s: no line of the authority on the statement: %+v", lang, got.Lines)
		}
	}
	var page struct{ Items []volumes.IssuedStatement }
	w.getJSON(t, w.lead, "/api/v1/volumes/fees/statements", &page)
	if len(page.Items) != 1 || page.Items[0].SupplierName != `מדיקל בע"מ` {
		t.Errorf("the list names %+v", page.Items)
	}
}

// TestIssuedStatementsPage: the list pages by limit and cursor, the
// latest issued first, every statement once.
func TestIssuedStatementsPage(t *testing.T) {
	w, _ := statementsWorld(t)
	for _, s := range []struct {
		supplier int64
		month    string
	}{{w.s1, "2026-01"}, {w.s2, "2026-01"}, {w.s3, "2026-01"}, {w.s1, "2026-02"}, {w.s1, "2026-03"}} {
		w.issue(t, w.lead, s.supplier, s.month, http.StatusCreated)
	}
	var seen []string
	var sizes []int
	path := "/api/v1/volumes/fees/statements?limit=2"
	for path != "" {
		if len(sizes) > 3 {
			t.Fatal("the cursor does not end")
		}
		var page struct {
			Items      []volumes.IssuedStatement `json:"items"`
			NextCursor string                    `json:"next_cursor"`
		}
		w.getJSON(t, w.lead, path, &page)
		for _, s := range page.Items {
			seen = append(seen, s.Number)
		}
		sizes = append(sizes, len(page.Items))
		path = ""
		if page.NextCursor != "" {
			path = "/api/v1/volumes/fees/statements?limit=2&cursor=" + page.NextCursor
		}
	}
	want := []string{"2026-03/0001", "2026-02/0001", "2026-01/0003", "2026-01/0002", "2026-01/0001"}
	if fmt.Sprint(seen) != fmt.Sprint(want) || fmt.Sprint(sizes) != "[2 2 1]" {
		t.Errorf("pages of %v list %v, want %v on pages of [2 2 1]", sizes, seen, want)
	}
	for _, q := range []string{"limit=0", "limit=201", "cursor=!!"} {
		w.do(t, w.lead, "GET", "/api/v1/volumes/fees/statements?"+q, nil, http.StatusUnprocessableEntity)
	}
}
