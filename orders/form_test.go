package orders_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"madaf/authorities"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/page"
	"madaf/internal/page/pagetest"
	"madaf/orders"
	"madaf/templates"
)

// formEnv is an order-form world on today's clock (the pages read the
// real date): the order and authority pages, a tender with one winner, a
// budget line of this year, and a draft the officer put in the cart.
type formEnv struct {
	*env
	tn    *tender
	line  int64 // the authority's budget line of this year
	admin user
}

func newFormEnv(t *testing.T) *formEnv {
	t.Helper()
	e := newEnv(t)
	e.setClock(time.Now())
	eng := page.MustNew(templates.FS)
	eng.Mount(e.base.Engine)
	orders.MountPages(e.base.Engine, eng, e.svc)
	authorities.MountPages(e.base.Engine, eng, authorities.NewStore(e.db))
	f := &formEnv{env: e, admin: e.mustUser(auth.OrgCluster, 0, auth.RoleClusterAdmin)}
	f.tn = e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"150.00", "20.00"}}})
	f.line = e.mustBudgetLine(e.authority, calendar.Today().Year(), "100000")
	return f
}

// cartDraft puts item i of the tender into the officer's cart and returns
// the draft it lands in.
func (f *formEnv) cartDraft(i int) int64 {
	f.t.Helper()
	pagetest.Expect(f.t, f.postPage("/cart/items", f.officer, url.Values{"item_id": {fmt.Sprint(f.tn.Items[i])}, "quantity": {"2"}}), http.StatusSeeOther)
	var id int64
	if err := f.db.Get(&id, `SELECT id FROM orders WHERE tender_id = $1 AND status = 'draft' ORDER BY id DESC LIMIT 1`, f.tn.ID); err != nil {
		f.t.Fatalf("no draft: %v", err)
	}
	return id
}

// formValues are the values the order form of draft id sends as drawn.
func (f *formEnv) formValues(id int64) url.Values {
	f.t.Helper()
	r := f.getPage(fmt.Sprintf("/orders/%d/edit", id), f.officer)
	pagetest.Expect(f.t, r, http.StatusOK, `id="order-form"`)
	v := url.Values{"etag": {f.etag(id)}, "supplier_id": {fmt.Sprint(f.tn.Winners[0])}, "action": {"submit"}}
	for _, name := range []string{"delivery_address", "requested_date", "notes"} {
		if m := regexp.MustCompile(`name="` + name + `"[^>]*value="([^"]*)"`).FindStringSubmatch(r.Body); m != nil {
			v.Set(name, m[1])
		} else {
			v.Set(name, "")
		}
	}
	v.Set("budget_line_id", selectedLine(r.Body))
	for _, item := range regexp.MustCompile(`name="(qty_\d+)"[^>]*value="([^"]*)"`).FindAllStringSubmatch(r.Body, -1) {
		v.Set(item[1], item[2])
	}
	return v
}

// selectedLine is the budget line the form preselects ("" when none).
func selectedLine(body string) string {
	sel := body[strings.Index(body, `id="budget_line_id"`):]
	sel = sel[:strings.Index(sel, "</select>")]
	if m := regexp.MustCompile(`<option value="(\d*)" selected>`).FindStringSubmatch(sel); m != nil {
		return m[1]
	}
	return ""
}

// errorBeside reports whether the control with id field has an error in
// its own field box.
func errorBeside(body, field string) bool {
	i := strings.Index(body, `id="`+field+`"`)
	if i < 0 {
		return false
	}
	box := body[i:]
	box = box[:strings.Index(box, "</div>")]
	return strings.Contains(box, `<p class="field-error" role="alert">`)
}

// TestOrderFormRefusesAnIncompleteOrder: a draft from the cart has no
// budget line preselected (the authority set no default), and submitting
// it without a delivery address and a requested date is refused with all
// three errors at once: in a summary at the top that takes the focus and
// links to each field, and beside each field. Nothing is sent for
// signature; the API refuses the same draft with the same checks.
func TestOrderFormRefusesAnIncompleteOrder(t *testing.T) {
	t.Parallel()
	f := newFormEnv(t)
	id := f.cartDraft(0)
	v := f.formValues(id)
	if v.Get("budget_line_id") != "" || v.Get("delivery_address") != "" {
		t.Fatalf("the form offers budget line %q and address %q with no defaults", v.Get("budget_line_id"), v.Get("delivery_address"))
	}

	r := f.postPage(fmt.Sprintf("/orders/%d/edit", id), f.officer, v)
	pagetest.Expect(t, r, http.StatusConflict, `id="error-summary"`, `tabindex="-1" autofocus`,
		`href="#delivery_address"`, `href="#requested_date"`, `href="#budget_line_id"`,
		"יש לכתוב לאן לספק את ההזמנה", "יש לקבוע את התאריך שבו ההזמנה נדרשת", "יש לבחור את הסעיף התקציבי שההזמנה תחויב בו")
	summary := r.Body[strings.Index(r.Body, `id="error-summary"`):strings.Index(r.Body, `id="order-form"`)]
	if n := strings.Count(summary, "<a href=\"#"); n != 3 {
		t.Errorf("the summary links %d errors, want 3:\n%s", n, summary)
	}
	for _, field := range []string{"delivery_address", "requested_date", "budget_line_id"} {
		if !errorBeside(r.Body, field) {
			t.Errorf("no error beside %s", field)
		}
	}
	if got := f.snapshot(id); !strings.HasPrefix(got, "draft/") {
		t.Fatalf("an incomplete order was sent on: %s", got)
	}

	// The API refuses the submission of the same draft with the same checks.
	api := f.do("POST", fmt.Sprintf("/api/v1/orders/%d/submit", id), f.officer, nil)
	wantStatus(t, api, http.StatusConflict)
	body := api.Body.String()
	for _, check := range []string{`"check":"delivery_address"`, `"check":"requested_date"`, `"check":"budget_line_chosen"`} {
		if !strings.Contains(body, check) {
			t.Errorf("the API's refusal lacks %s: %s", check, body)
		}
	}

	// A draft without a budget line may still be cancelled.
	cancel := f.do("POST", fmt.Sprintf("/api/v1/orders/%d/cancel", id), f.officer, map[string]any{"reason": "duplicate"})
	wantStatus(t, cancel, http.StatusOK)
	if got := f.snapshot(id); !strings.HasPrefix(got, "cancelled/") {
		t.Fatalf("the draft without a budget line after cancelling: %s", got)
	}
}

// TestOrderFormShowsEveryErrorAtOnce: a bad quantity (which stops the
// draft from being saved) comes back together with what the submission
// still lacks, each beside its field and all in the summary.
func TestOrderFormShowsEveryErrorAtOnce(t *testing.T) {
	t.Parallel()
	f := newFormEnv(t)
	id := f.cartDraft(0)
	v := f.formValues(id)
	v.Set(fmt.Sprintf("qty_%d", f.tn.Items[0]), "-3")
	v.Set("budget_line_id", fmt.Sprint(f.line))
	r := f.postPage(fmt.Sprintf("/orders/%d/edit", id), f.officer, v)
	pagetest.Expect(t, r, http.StatusUnprocessableEntity, `id="error-summary"`, "יש לתקן את הפרטים הבאים:",
		fmt.Sprintf(`href="#qty_%d"`, f.tn.Items[0]), "חייב להיות גדול מאפס", `href="#delivery_address"`, `href="#requested_date"`)
	if strings.Contains(r.Body, `href="#budget_line_id"`) {
		t.Error("the summary reports the budget line the officer chose")
	}
	if !errorBeside(r.Body, fmt.Sprintf("qty_%d", f.tn.Items[0])) {
		t.Error("no error beside the quantity")
	}
	// What was typed stays.
	if !strings.Contains(r.Body, `value="-3"`) || selectedLine(r.Body) != fmt.Sprint(f.line) {
		t.Errorf("the form lost what was typed")
	}
}

// TestOrderFormDefaults: the authority's default delivery address (set on
// its page by the cluster administrator) and the budget line its treasurer
// set for the tender's category (on the budget lines page) are offered on
// the form, and the completed order is sent for signature.
func TestOrderFormDefaults(t *testing.T) {
	t.Parallel()
	f := newFormEnv(t)
	const address = "מחסן המועצה, רחוב הנדיב 7"
	var a struct {
		Code   string `db:"code"`
		NameHe string `db:"name_he"`
	}
	if err := f.db.Get(&a, `SELECT code, name_he FROM authorities WHERE id = $1`, f.authority); err != nil {
		t.Fatal(err)
	}
	r := f.postPage(fmt.Sprintf("/admin/authorities/%d", f.authority), f.admin, url.Values{"code": {a.Code}, "name_he": {a.NameHe},
		"kind": {"local_council"}, "active": {"on"}, "default_delivery_address": {"  " + address + " "}})
	pagetest.Expect(t, r, http.StatusSeeOther)
	pagetest.Expect(t, f.getPage(fmt.Sprintf("/admin/authorities/%d", f.authority), f.admin), http.StatusOK,
		`<dd id="default-delivery-address">`+address+`</dd>`)

	year := fmt.Sprint(calendar.Today().Year())
	budget := f.getPage("/budget-lines?year="+year, f.treasurer)
	pagetest.Expect(t, budget, http.StatusOK, `id="budget-defaults"`, "ציוד רפואי")
	other := f.mustBudgetLine(f.other, calendar.Today().Year(), "100")
	r = f.postPage("/budget-lines/defaults", f.treasurer, url.Values{"fiscal_year": {year}, "category": {"ציוד רפואי"}, "budget_line_id": {fmt.Sprint(other)}})
	pagetest.Expect(t, r, http.StatusUnprocessableEntity, "יש לבחור סעיף של הרשות לשנת הכספים "+year)
	r = f.postPage("/budget-lines/defaults", f.treasurer, url.Values{"fiscal_year": {year}, "category": {"ציוד רפואי"}, "budget_line_id": {fmt.Sprint(f.line)}})
	pagetest.Expect(t, r, http.StatusSeeOther)
	pagetest.Expect(t, f.postPage("/budget-lines/defaults", f.officer, url.Values{"fiscal_year": {year}, "category": {"ציוד רפואי"}}), http.StatusForbidden)

	id := f.cartDraft(1)
	v := f.formValues(id)
	if v.Get("delivery_address") != address || v.Get("budget_line_id") != fmt.Sprint(f.line) {
		t.Fatalf("the form offers address %q and budget line %q", v.Get("delivery_address"), v.Get("budget_line_id"))
	}
	v.Set("requested_date", calendar.Today().AddDays(10).String())
	r = f.postPage(fmt.Sprintf("/orders/%d/edit", id), f.officer, v)
	pagetest.Expect(t, r, http.StatusSeeOther)
	if got := f.snapshot(id); !strings.HasPrefix(got, "pending_approval/") {
		t.Fatalf("the completed order is %s", got)
	}
}

// TestOrderFormStaleTab: a form opened before the draft changed elsewhere
// comes back (409) with what the user typed and the conflict; sending it
// again saves what was typed.
func TestOrderFormStaleTab(t *testing.T) {
	t.Parallel()
	f := newFormEnv(t)
	id := f.cartDraft(0)
	v := f.formValues(id)
	typed := "לתאם עם אב הבית לפני ההגעה"
	v.Set("notes", typed)
	v.Set("delivery_address", "בית הספר הנדיב, רחוב הבנים 3")
	v.Set("action", "save")

	// Another tab adds the second item meanwhile.
	pagetest.Expect(t, f.postPage("/cart/items", f.officer, url.Values{"item_id": {fmt.Sprint(f.tn.Items[1])}, "quantity": {"5"}}), http.StatusSeeOther)

	r := f.postPage(fmt.Sprintf("/orders/%d/edit", id), f.officer, v)
	pagetest.Expect(t, r, http.StatusConflict, `id="error-summary"`, "אחרי שפתחת את הטופס", typed, "בית הספר הנדיב, רחוב הבנים 3",
		fmt.Sprintf(`name="qty_%d"`, f.tn.Items[1]))
	etag := regexp.MustCompile(`name="etag" value="([^"]+)"`).FindStringSubmatch(r.Body)[1]
	v.Set("etag", strings.ReplaceAll(etag, "&#34;", `"`))
	v.Set(fmt.Sprintf("qty_%d", f.tn.Items[1]), "5")
	pagetest.Expect(t, f.postPage(fmt.Sprintf("/orders/%d/edit", id), f.officer, v), http.StatusSeeOther)
	o, err := f.svc.Get(ctx, f.officer.P, id)
	if err != nil {
		t.Fatal(err)
	}
	if o.Notes != typed || len(o.Lines) != 2 {
		t.Fatalf("after the second save: notes %q, %d lines", o.Notes, len(o.Lines))
	}
}
