package app

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"madaf/internal/calendar"
	"madaf/internal/dbtest"
	"madaf/internal/page/pagetest"
)

// TestOrderPagesFlow walks one order through every page without a
// browser: cart, order form, signatures, supplier confirmation and
// delivery, closing, and the lead's dashboard.
func TestOrderPagesFlow(t *testing.T) {
	db := dbtest.New(t)
	fx := mustPagesFixture(t, db)
	h := silentApp(db)
	expect := pagetest.Expect

	officer := demoLogin(t, h, "officer@zichron.example")
	expect(t, officer.Get("/catalog?q="+url.QueryEscape("מחשב נייד")), 200, "מחשב נייד 14 אינץ&#39; לעבודה משרדית", "₪ 4,950.00", "₪ 5,100.00")
	r := officer.Post("/cart/items", url.Values{"item_id": {idStr(fx.laptopID)}, "quantity": {"10"}, "next": {"/catalog"}})
	expect(t, r, http.StatusSeeOther)
	expect(t, officer.Get("/cart"), 200, "LAP-14", "₪ 58,410.00")
	expect(t, officer.Post("/cart/items", url.Values{"item_id": {idStr(fx.monitorID)}, "quantity": {"2"}}), http.StatusSeeOther)
	var orderID string
	cart := officer.Get("/cart")
	if m := regexp.MustCompile(`/orders/(\d+)/edit`).FindStringSubmatch(cart.Body); m != nil {
		orderID = m[1]
	} else {
		t.Fatalf("no draft in the cart\n%s", cart.Body)
	}
	form := officer.Get("/orders/" + orderID + "/edit")
	expect(t, form, 200, `name="qty_`+idStr(fx.laptopID)+`" `, "מדיקל אספקה רפואית")
	etag := regexp.MustCompile(`name="etag" value="([^"]+)"`).FindStringSubmatch(form.Body)[1]
	etag = strings.ReplaceAll(etag, "&#34;", `"`)
	budget := regexp.MustCompile(`<option value="(\d+)" selected>`).FindStringSubmatch(form.Body)[1]
	values := url.Values{"etag": {etag}, "supplier_id": {idStr(fx.medicalID)}, "budget_line_id": {budget},
		"qty_" + idStr(fx.laptopID): {"10"}, "qty_" + idStr(fx.monitorID): {"-1"},
		"delivery_address": {"בניין המועצה, רחוב המייסדים 40"}, "requested_date": {calendar.Today().AddDays(14).String()}, "action": {"submit"}}
	t.Run("bad quantity shows beside its field", func(t *testing.T) {
		r := officer.Post("/orders/"+orderID+"/edit", values)
		expect(t, r, http.StatusUnprocessableEntity, "חייב להיות גדול מאפס")
		i := strings.Index(r.Body, `name="qty_`+idStr(fx.monitorID)+`"`)
		if j := strings.Index(r.Body, `class="field-error"`); i < 0 || j < i {
			t.Fatalf("the error is not beside the monitor's quantity")
		}
	})
	values.Set("qty_"+idStr(fx.monitorID), "2")
	r = officer.Post("/orders/"+orderID+"/edit", values)
	expect(t, r, http.StatusSeeOther)
	show := officer.Follow(r)
	expect(t, show, 200, "ההזמנה נשלחה לחתימה", "ממתינה לחתימה", "₪ 61,220.52")

	treasurer := demoLogin(t, h, "treasurer@zichron.example")
	expect(t, treasurer.Get("/inbox"), 200, "/orders/"+orderID)
	signPage := treasurer.Get("/orders/" + orderID)
	expect(t, signPage, 200, `id="sign-form"`)
	etag = strings.ReplaceAll(regexp.MustCompile(`name="etag" value="([^"]+)"`).FindStringSubmatch(signPage.Body)[1], "&#34;", `"`)
	t.Run("treasurer must tick the three checks", func(t *testing.T) {
		r := treasurer.Post("/orders/"+orderID+"/sign", url.Values{"etag": {etag}, "role": {"treasurer"}, "legal": {"on"}})
		expect(t, r, http.StatusUnprocessableEntity, "יש לאשר בדיקה זו לפני החתימה")
	})
	expect(t, treasurer.Post("/orders/"+orderID+"/sign", url.Values{"etag": {etag}, "role": {"treasurer"},
		"legal": {"on"}, "budget_line": {"on"}, "no_deficit": {"on"}}), http.StatusSeeOther)

	head := demoLogin(t, h, "head@zichron.example")
	expect(t, head.Post("/orders/"+orderID+"/sign", url.Values{"role": {"head"}}), http.StatusSeeOther)
	expect(t, officer.Get("/orders/"+orderID), 200, "נשלחה לספק", "רונית שפירא", "אבי מזרחי")

	supplier := demoLogin(t, h, "supplier@medical.example")
	expect(t, supplier.Get("/supplier/orders"), 200, "/orders/"+orderID)
	expect(t, supplier.Post("/orders/"+orderID+"/confirm", url.Values{"promised_date": {calendar.Today().AddDays(10).String()}}), http.StatusSeeOther)
	sp := supplier.Get("/orders/" + orderID)
	lineIDs := regexp.MustCompile(`name="(deliver_\d+)"`).FindAllStringSubmatch(sp.Body, -1)
	if len(lineIDs) != 2 {
		t.Fatalf("deliver form has %d lines\n%s", len(lineIDs), sp.Body)
	}
	expect(t, supplier.Post("/orders/"+orderID+"/deliver", url.Values{lineIDs[0][1]: {"10"}, lineIDs[1][1]: {"2"}}), http.StatusSeeOther)

	t.Run("close needs an invoice number", func(t *testing.T) {
		expect(t, officer.Post("/orders/"+orderID+"/close", url.Values{}), http.StatusUnprocessableEntity, "שדה חובה")
	})
	expect(t, officer.Post("/orders/"+orderID+"/close", url.Values{"invoice_ref": {"INV-2026-118"}}), http.StatusSeeOther)
	expect(t, officer.Get("/orders/"+orderID), 200, "סגורה", "INV-2026-118")

	lead := demoLogin(t, h, "lead@madaf.example")
	dash := lead.Get("/dashboard")
	expect(t, dash, 200, "/orders/"+orderID, fixtureTender, "<svg")

	t.Run("other authorities do not see the order", func(t *testing.T) {
		other := demoLogin(t, h, "officer@kafrqara.example")
		expect(t, other.Get("/orders/"+orderID), http.StatusNotFound)
	})
	t.Run("supplier sees its volumes", func(t *testing.T) {
		expect(t, supplier.Get("/supplier/volumes"), 200, fixtureTender)
	})
}

func idStr(id int64) string { return strconv.FormatInt(id, 10) }
