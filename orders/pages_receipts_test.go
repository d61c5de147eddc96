package orders_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"madaf/internal/page/pagetest"
)

// TestAfterDeliveryPages: the officer records a receipt with a shortfall
// on the order page, the supplier answers the dispute and submits an
// invoice there, the officer approves it and the order closes; each sees
// only its own forms, in Hebrew.
func TestAfterDeliveryPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mountPages()
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00", "50.00"}}})
	supplier := tn.Users[0]
	o := e.mustDeliver(tn, e.mustConfirmed(tn, "10", "4"), "10", "4")
	path := fmt.Sprintf("/orders/%d", o.ID)
	l1, l2 := o.Lines[0].ID, o.Lines[1].ID

	r := e.getPage(path, e.officer)
	pagetest.Expect(t, r, http.StatusOK, `id="receive-form"`, "רישום קבלה")
	if r := e.getPage(path, supplier); r.Code != http.StatusOK || r.Contains(`id="receive-form"`) || !r.Contains(`id="invoice-form"`) {
		t.Fatalf("supplier's page: %d", r.Code)
	}
	// More than ordered: the page again, the error beside the line.
	r = e.postPage(path+"/receipts", e.officer, url.Values{"etag": {o.ETag()}, "delivery_note": {"DN-7"},
		fmt.Sprintf("recv_%d", l1): {"11"}, fmt.Sprintf("cond_%d", l1): {"good"}})
	pagetest.Expect(t, r, http.StatusUnprocessableEntity, "יותר מ-10 שנותרו לקבלה בשורה 1")
	o, _ = e.svc.Get(ctx, e.officer.P, o.ID)
	r = e.postPage(path+"/receipts", e.officer, url.Values{"etag": {o.ETag()}, "delivery_note": {"DN-7"},
		fmt.Sprintf("recv_%d", l1): {"10"}, fmt.Sprintf("cond_%d", l1): {"good"},
		fmt.Sprintf("recv_%d", l2): {"3"}, fmt.Sprintf("cond_%d", l2): {"short"}})
	if r.Code != http.StatusSeeOther {
		t.Fatalf("receipt: %d %s", r.Code, r.Body)
	}
	receipts, err := e.svc.Receipts(ctx, e.officer.P, o.ID)
	if err != nil || len(receipts) != 1 || receipts[0].Dispute == nil {
		t.Fatalf("receipts %+v, %v", receipts, err)
	}
	dispute := receipts[0].Dispute.ID

	r = e.getPage(path, supplier)
	pagetest.Expect(t, r, http.StatusOK, fmt.Sprintf(`id="answer-form-%d"`, dispute), "מחלוקת: פתוחה", "חוסר")
	o, _ = e.svc.Get(ctx, supplier.P, o.ID)
	r = e.postPage(fmt.Sprintf("%s/disputes/%d/answer", path, dispute), supplier, url.Values{"etag": {o.ETag()}, "answer": {"accept"}})
	if r.Code != http.StatusSeeOther {
		t.Fatalf("answer: %d %s", r.Code, r.Body)
	}
	o, _ = e.svc.Get(ctx, supplier.P, o.ID)
	// 10 × 100 + 3 × 50 = 1,150; VAT 207; total 1,357.
	form := url.Values{"etag": {o.ETag()}, "inv_number": {"INV-900"}, "inv_issued_on": {"2026-03-10"},
		"inv_subtotal": {"1150.00"}, "inv_vat": {"207.00"}, "inv_total": {"1357.00"}, "inv_allocation": {"12345678"},
		fmt.Sprintf("inv_qty_%d", l1): {"10"}, fmt.Sprintf("inv_price_%d", l1): {"100.00"},
		fmt.Sprintf("inv_qty_%d", l2): {"3"}, fmt.Sprintf("inv_price_%d", l2): {"50.00"}}
	r = e.postPage(path+"/invoices", supplier, form)
	pagetest.Expect(t, r, http.StatusUnprocessableEntity, "מספר הקצאה הוא 9 ספרות בדיוק")
	form.Set("inv_allocation", "")
	r = e.postPage(path+"/invoices", supplier, form)
	if r.Code != http.StatusSeeOther {
		t.Fatalf("invoice: %d %s", r.Code, r.Body)
	}
	invoices, err := e.svc.Invoices(ctx, e.officer.P, o.ID)
	if err != nil || len(invoices) != 1 || invoices[0].Status != "matched" {
		t.Fatalf("invoices %+v, %v", invoices, err)
	}
	r = e.getPage(path, e.officer)
	pagetest.Expect(t, r, http.StatusOK, fmt.Sprintf(`id="approve-%d"`, invoices[0].ID), "תואמת")
	o, _ = e.svc.Get(ctx, e.officer.P, o.ID)
	r = e.postPage(fmt.Sprintf("%s/invoices/%d/approve", path, invoices[0].ID), e.officer, url.Values{"etag": {o.ETag()}})
	if r.Code != http.StatusSeeOther {
		t.Fatalf("approve: %d %s", r.Code, r.Body)
	}
	if o, _ = e.svc.Get(ctx, e.officer.P, o.ID); o.Status != "closed" {
		t.Fatalf("after approval: %s", o.Status)
	}
	r = e.getPage(path, e.officer)
	pagetest.Expect(t, r, http.StatusOK, "אושרה לתשלום", "קבלת טובין")
}

// TestCloseShortPage: the officer closes a partly delivered order short
// from its page; the reason shows among its facts.
func TestCloseShortPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mountPages()
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00"}}})
	o := e.mustDeliver(tn, e.mustConfirmed(tn, "10"), "4")
	path := fmt.Sprintf("/orders/%d", o.ID)
	pagetest.Expect(t, e.getPage(path, e.officer), http.StatusOK, `id="close-short-form"`)
	r := e.postPage(path+"/close-short", e.officer, url.Values{"etag": {o.ETag()}, "close_short_reason": {"agreed_with_supplier"}})
	pagetest.Expect(t, r, http.StatusUnprocessableEntity, `id="close-short-form"`)
	r = e.postPage(path+"/close-short", e.officer, url.Values{"etag": {o.ETag()}, "close_short_reason": {"agreed_with_supplier"},
		"close_short_note": {"סוכם טלפונית"}})
	if r.Code != http.StatusSeeOther {
		t.Fatalf("close short: %d %s", r.Code, r.Body)
	}
	pagetest.Expect(t, e.getPage(path, e.officer), http.StatusOK, `id="close-short-fact"`, "בהסכמה עם הספק · סוכם טלפונית")
	for _, lang := range []string{"ar", "en"} {
		e.db.MustExec(`UPDATE users SET lang = $1 WHERE id = $2`, lang, e.officer.ID)
		want := map[string]string{"ar": "بالاتفاق مع المورّد", "en": "Agreed with the supplier"}[lang]
		pagetest.Expect(t, e.getPage(path, e.officer), http.StatusOK, want)
	}
}
