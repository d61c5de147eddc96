package orders_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"madaf/internal/page/pagetest"
)

// TestChangePages: on the order page the officer proposes a change that
// raises the total, the treasurer and the head sign it there, the supplier
// accepts it, and the order shows its new revision with the change side by
// side with the order before it; a quantity below what was delivered is
// refused beside its line. Each sees only its own forms.
func TestChangePages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mountPages()
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00"}}})
	supplier := tn.Users[0]
	o := e.mustDeliver(tn, e.mustConfirmed(tn, "10"), "4")
	path := fmt.Sprintf("/orders/%d", o.ID)
	qty := fmt.Sprintf("chg_qty_%d", o.Lines[0].ID)

	pagetest.Expect(t, e.getPage(path, e.officer), http.StatusOK, `id="change-form"`, "הגשת בקשת שינוי")
	if r := e.getPage(path, supplier); r.Contains(`id="change-form"`) {
		t.Fatal("the supplier is offered the change form")
	}
	// Below what was delivered: the page again, the error beside the line.
	r := e.postPage(path+"/changes", e.officer, url.Values{"etag": {o.ETag()}, qty: {"3"}, "chg_reason": {"טעות בכמות"}})
	pagetest.Expect(t, r, http.StatusUnprocessableEntity, `id="change-form"`)
	pagetest.ExpectErrorBeside(t, r, qty)
	// Without a reason.
	r = e.postPage(path+"/changes", e.officer, url.Values{"etag": {o.ETag()}, qty: {"12"}})
	pagetest.Expect(t, r, http.StatusUnprocessableEntity, `name="chg_reason"></textarea><p class="field-error" role="alert">שדה חובה</p>`)

	r = e.postPage(path+"/changes", e.officer, url.Values{"etag": {o.ETag()}, qty: {"12"}, "chg_reason": {"תוספת לבית הספר"}})
	if r.Code != http.StatusSeeOther {
		t.Fatalf("propose: %d %s", r.Code, r.Body)
	}
	changes, err := e.svc.Changes(ctx, e.officer.P, o.ID)
	if err != nil || len(changes) != 1 || changes[0].Status != "pending_signature" {
		t.Fatalf("changes %+v, %v", changes, err)
	}
	ch := changes[0]
	pagetest.Expect(t, e.getPage(path, e.officer), http.StatusOK, fmt.Sprintf(`id="change-%d"`, ch.ID), "ממתינה לחתימות",
		"תוספת לבית הספר", fmt.Sprintf(`id="change-withdraw-form-%d"`, ch.ID))
	if r := e.getPage(path, supplier); r.Contains(fmt.Sprintf(`id="change-%d"`, ch.ID)) {
		t.Fatal("the supplier sees a change not yet sent to it")
	}
	signForm := fmt.Sprintf(`id="change-sign-form-%d"`, ch.ID)
	pagetest.Expect(t, e.getPage(path, e.treasurer), http.StatusOK, signForm)
	sign := fmt.Sprintf("%s/changes/%d/sign", path, ch.ID)
	o, _ = e.svc.Get(ctx, e.officer.P, o.ID)
	r = e.postPage(sign, e.treasurer, url.Values{"etag": {o.ETag()}, "slot": {"treasurer"}})
	pagetest.Expect(t, r, http.StatusUnprocessableEntity, signForm)
	r = e.postPage(sign, e.treasurer, url.Values{"etag": {o.ETag()}, "slot": {"treasurer"}, "legal": {"on"}, "budget_line": {"on"}, "no_deficit": {"on"}})
	if r.Code != http.StatusSeeOther {
		t.Fatalf("treasurer signs: %d %s", r.Code, r.Body)
	}
	o, _ = e.svc.Get(ctx, e.officer.P, o.ID)
	if r := e.postPage(sign, e.head, url.Values{"etag": {o.ETag()}, "slot": {"head"}}); r.Code != http.StatusSeeOther {
		t.Fatalf("head signs: %d %s", r.Code, r.Body)
	}
	accept := fmt.Sprintf(`id="change-accept-form-%d"`, ch.ID)
	pagetest.Expect(t, e.getPage(path, supplier), http.StatusOK, accept, fmt.Sprintf(`id="change-decline-form-%d"`, ch.ID))
	if r := e.getPage(path, e.officer); r.Contains(accept) {
		t.Fatal("the officer is offered the supplier's answer")
	}
	o, _ = e.svc.Get(ctx, supplier.P, o.ID)
	r = e.postPage(fmt.Sprintf("%s/changes/%d/accept", path, ch.ID), supplier, url.Values{"etag": {o.ETag()}})
	if r.Code != http.StatusSeeOther {
		t.Fatalf("accept: %d %s", r.Code, r.Body)
	}
	o, _ = e.svc.Get(ctx, e.officer.P, o.ID)
	if o.Revision != 2 || !o.Lines[0].Quantity.Equal(dec("12")) {
		t.Fatalf("after acceptance: revision %d, quantity %s", o.Revision, o.Lines[0].Quantity)
	}
	pagetest.Expect(t, e.getPage(path, e.officer), http.StatusOK, `id="order-number">`+o.Number+"/2<", "התקבלה",
		`id="change-form"`)
}
