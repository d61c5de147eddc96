package competitions_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"madaf/competitions"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/page"
	"madaf/internal/webtest"
	"madaf/orders"
	"madaf/templates"
)

// pagesAs mounts the competition pages on e's engine and returns a
// function that posts (form not nil) or gets path as u, signed in by a
// session.
func (e *env) pagesAs(t *testing.T) func(u user, path string, form url.Values) webtest.Response {
	t.Helper()
	eng, err := page.New(templates.FS)
	if err != nil {
		t.Fatal(err)
	}
	eng.Mount(e.base.Engine)
	competitions.MountPages(e.base.Engine, eng, e.svc)
	sessions := map[int64]string{}
	return func(u user, path string, form url.Values) webtest.Response {
		t.Helper()
		secret, ok := sessions[u.ID]
		if !ok {
			if secret, _, err = auth.NewStore(e.db).NewSession(ctx, u.ID); err != nil {
				t.Fatal(err)
			}
			sessions[u.ID] = secret
		}
		cookie := auth.CookieName + "=" + secret
		if form == nil {
			return webtest.Do(e.base.Engine, http.MethodGet, path, "", nil, "Cookie", cookie)
		}
		return webtest.Do(e.base.Engine, http.MethodPost, path, "", form.Encode(), "Cookie", cookie,
			"Content-Type", "application/x-www-form-urlencoded")
	}
}

// TestEditRequestPage: the officer changes a published request's terms on
// its page; a change of quantities asks first what it does to the quotes,
// changes nothing until confirmed, and then sets the submitted quote back
// to draft. Only the officer of the request's authority reaches the form.
func TestEditRequestPage(t *testing.T) {
	e := newEnv(t)
	as := e.pagesAs(t)
	tn := e.mustTender("", [][]string{{"100", "50"}, {"100", "50"}})
	c := e.mustPublished(tn, "2", "10")
	e.mustQuote(c, tn, 0, "80", "40")
	path := fmt.Sprintf("/competitions/%d/edit", c.ID)

	r := as(e.officer, path, nil)
	if r.Code != http.StatusOK || !strings.Contains(r.Body.String(), fmt.Sprintf(`name="qty_%d"`, tn.Items[1])) ||
		!strings.Contains(r.Body.String(), `value="10"`) {
		t.Fatalf("the edit form: %d\n%s", r.Code, r.Body)
	}
	if r := as(e.treasurer, path, nil); r.Code != http.StatusForbidden {
		t.Fatalf("the treasurer's edit form: %d", r.Code)
	}
	if r := as(e.otherOfficer, path, nil); r.Code != http.StatusNotFound {
		t.Fatalf("another authority's officer: %d", r.Code)
	}

	form := url.Values{"etag": {c.ETag()}, "budget_line_id": {fmt.Sprint(e.budgetLine)}, "delivery_address": {c.DeliveryAddress},
		"requested_date": {c.RequestedDate.String()}, "deadline": {calendar.DateOf(*c.Deadline).String()}, "notes": {c.Notes},
		fmt.Sprintf("qty_%d", tn.Items[0]): {"3"}, fmt.Sprintf("qty_%d", tn.Items[1]): {"10"}}
	r = as(e.officer, path, form)
	if r.Code != http.StatusOK || !strings.Contains(r.Body.String(), `id="confirm-form"`) {
		t.Fatalf("the change did not ask first: %d\n%s", r.Code, r.Body)
	}
	if n := e.count(`SELECT count(*) FROM competition_quotes WHERE competition_id = $1 AND status = 'submitted'`, c.ID); n != 1 {
		t.Fatalf("asking changed the quotes: %d submitted", n)
	}
	form.Set("confirm", "1")
	if r := as(e.officer, path, form); r.Code != http.StatusSeeOther {
		t.Fatalf("confirmed: %d\n%s", r.Code, r.Body)
	}
	got, err := e.svc.Get(ctx, e.officer.P, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Lines[0].Quantity.String() != "3" {
		t.Fatalf("the quantity after the change: %s", got.Lines[0].Quantity)
	}
	if n := e.count(`SELECT count(*) FROM competition_quotes WHERE competition_id = $1 AND status = 'draft'`, c.ID); n != 1 {
		t.Fatalf("the quote was not set back to draft: %d drafts", n)
	}
	// The old entity tag is refused now, and nothing changes.
	form.Set(fmt.Sprintf("qty_%d", tn.Items[0]), "4")
	if r := as(e.officer, path, form); r.Code != http.StatusConflict && r.Code != http.StatusPreconditionFailed && r.Code != http.StatusUnprocessableEntity {
		t.Fatalf("a stale entity tag: %d", r.Code)
	}
	if got, _ := e.svc.Get(ctx, e.officer.P, c.ID); got.Lines[0].Quantity.String() != "3" {
		t.Fatalf("a stale form changed the request: %s", got.Lines[0].Quantity)
	}
	// Past the deadline the form is refused.
	e.setClock(c.Deadline.Add(time.Hour * 24 * 30))
	if r := as(e.officer, path, nil); r.Code != http.StatusConflict {
		t.Fatalf("the edit form past the deadline: %d", r.Code)
	}
}

// TestPassToNextPage: once the chosen winner rejects the decided
// request's order, the request page offers the officer to pass it to the
// next winner; it asks first, then the next winner's order is made.
func TestPassToNextPage(t *testing.T) {
	e := newEnv(t)
	as := e.pagesAs(t)
	tn := e.mustTender("", [][]string{{"100", "50"}, {"100", "50"}})
	c := e.mustPublished(tn, "2", "10")
	e.mustQuote(c, tn, 0, "80", "40")
	e.mustQuote(c, tn, 1, "90", "40")
	e.mustClose(firstDeadline, 1)
	first := e.mustSent(e.mustDecided(c))
	show := fmt.Sprintf("/competitions/%d", c.ID)
	if r := as(e.officer, show, nil); strings.Contains(r.Body.String(), `id="pass-form"`) {
		t.Fatal("the pass form is offered before the order was answered")
	}
	if _, err := e.orders.Reject(ctx, tn.Users[0].P, first.ID, "", orders.RejectInput{Reason: "אין מלאי"}); err != nil {
		t.Fatal(err)
	}
	r := as(e.officer, show, nil)
	if r.Code != http.StatusOK || !strings.Contains(r.Body.String(), `id="pass-form"`) {
		t.Fatalf("no pass form after the rejection: %d", r.Code)
	}
	if r := as(e.treasurer, show, nil); strings.Contains(r.Body.String(), `id="pass-form"`) {
		t.Fatal("the treasurer is offered the pass")
	}
	got, _ := e.svc.Get(ctx, e.officer.P, c.ID)
	form := url.Values{"etag": {got.ETag()}, "pass_note": {"הספק דחה את ההזמנה"}}
	if r := as(e.officer, show+"/pass", form); r.Code != http.StatusOK || !strings.Contains(r.Body.String(), `id="confirm-form"`) {
		t.Fatalf("the pass did not ask first: %d", r.Code)
	}
	if got, _ := e.svc.Get(ctx, e.officer.P, c.ID); *got.ChosenSupplierID != tn.Winners[0] {
		t.Fatal("asking passed the order")
	}
	form.Set("confirm", "1")
	if r := as(e.officer, show+"/pass", form); r.Code != http.StatusSeeOther {
		t.Fatalf("confirmed: %d\n%s", r.Code, r.Body)
	}
	got, err := e.svc.Get(ctx, e.officer.P, c.ID)
	if err != nil || *got.ChosenSupplierID != tn.Winners[1] || *got.OrderID == first.ID {
		t.Fatalf("after the pass: %+v, %v", got, err)
	}
	// With no one after, the page no longer offers it, and a post is
	// refused on the page (409).
	if r := as(e.officer, show+"/pass", form); r.Code != http.StatusConflict {
		t.Fatalf("a second pass with nobody next: %d", r.Code)
	}
}
