package app

import (
	"bytes"
	"html"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"madaf/internal/calendar"
	"madaf/internal/dbtest"
	"madaf/internal/page/pagetest"
)

// TestTenderPages has the economic lead create a tender through its pages:
// errors beside their fields, an item, a winner, a price list refused row
// by row and then taken, and publication; the officer then finds it.
func TestTenderPages(t *testing.T) {
	db := dbtest.New(t)
	h := mustDemo(t, db)
	lead := demoLogin(t, h, "lead@madaf.example")
	expect := pagetest.Expect
	var zichron, medical string
	db.Get(&zichron, `SELECT id::text FROM authorities WHERE code = '9300'`)
	db.Get(&medical, `SELECT id::text FROM suppliers WHERE company_number = '510000011'`)
	today := calendar.Today()

	expect(t, lead.Get("/tenders/new"), 200, `name="number"`)
	form := url.Values{"number": {"44/2026"}, "title": {""}, "category": {"ריהוט"}, "award_rule": {"single"},
		"valid_from": {today.String()}, "valid_until": {today.AddDays(-1).String()}, "fee_percent": {"1.5"},
		"confirmation_days": {"3"}, "authority": {zichron}, "allocation_" + zichron: {"-10"}}
	r := lead.Post("/tenders", form)
	expect(t, r, http.StatusUnprocessableEntity, "שדה חובה")
	for _, field := range []string{"title", "valid_until", "allocation_" + zichron} {
		pagetest.ExpectErrorBeside(t, r, field)
	}
	form.Set("title", "ריהוט משרדי")
	form.Set("valid_until", today.AddDays(365).String())
	form.Set("allocation_"+zichron, "200000")
	r = lead.Post("/tenders", form)
	expect(t, r, http.StatusSeeOther)
	tenderPath := r.Location
	expect(t, lead.Follow(r), 200, "המכרז נוצר כטיוטה", "זכרון יעקב", "₪ 200,000.00")

	expect(t, lead.Post(tenderPath+"/items", url.Values{"sku": {"CH-1"}, "name": {"כיסא משרדי ארגונומי"}, "unit": {""}}),
		http.StatusUnprocessableEntity, "שדה חובה")
	expect(t, lead.Post(tenderPath+"/items", url.Values{"sku": {"CH-1"}, "name": {"כיסא משרדי ארגונומי"}, "unit": {"יחידה"}, "max_price": {"900"}}), http.StatusSeeOther)
	expect(t, lead.Post(tenderPath+"/awards", url.Values{"supplier_id": {medical}}), http.StatusSeeOther)
	show := lead.Get(tenderPath)
	m := regexp.MustCompile(`action="(` + regexp.QuoteMeta(tenderPath) + `/awards/\d+/prices)"`).FindStringSubmatch(show.Body)
	if m == nil {
		t.Fatalf("no price-list form\n%s", show.Body)
	}
	upload := func(csv string) *pagetest.Response {
		var body bytes.Buffer
		w := multipart.NewWriter(&body)
		fw, _ := w.CreateFormFile("file", "prices.csv")
		fw.Write([]byte(csv))
		w.Close()
		req := httptest.NewRequest(http.MethodPost, m[1], &body)
		req.Header.Set("Content-Type", w.FormDataContentType())
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		return lead.Do(req)
	}
	bad := "sku,price,valid_from\nCH-1,850,\nXX-9,abc," + today.String() + "\n"
	r = upload(bad)
	expect(t, r, http.StatusUnprocessableEntity, "המחירון לא נקלט", "אין במכרז פריט שהמק&#34;ט שלו XX-9", "&#34;abc&#34; אינו סכום")
	if !regexp.MustCompile(`<td class="num">2</td><td>בתוקף מתאריך</td>`).MatchString(r.Body) ||
		!regexp.MustCompile(`<td class="num">3</td><td>מק&#34;ט</td>`).MatchString(r.Body) {
		t.Fatalf("the bad rows are not listed by number\n%s", r.Body)
	}
	expect(t, upload("sku,price,valid_from\nCH-1,850,"+today.String()+"\n"), http.StatusSeeOther)
	r = lead.Post(tenderPath+"/status/publish", nil)
	expect(t, r, http.StatusSeeOther)
	expect(t, lead.Follow(r), 200, "המכרז פורסם", "₪ 850.00")
	expect(t, lead.Post(tenderPath+"/status/publish", nil), http.StatusConflict, "אפשר לפרסם מכרז רק כשהוא בטיוטה")

	officer := demoLogin(t, h, "officer@zichron.example")
	expect(t, officer.Get("/catalog?q="+url.QueryEscape("כיסא")), 200, "כיסא משרדי ארגונומי", "₪ 850.00")
	if strings.Contains(officer.Get(tenderPath).Body, `id="item-form"`) {
		t.Error("the officer sees the lead's item form")
	}
}

// TestSupplierSeesOnlyItsOwnPrices: on a tender two suppliers won, each
// supplier's tender page and catalog show its own prices, never the
// other's; the lead sees both.
func TestSupplierSeesOnlyItsOwnPrices(t *testing.T) {
	db := dbtest.New(t)
	h := mustDemo(t, db)
	var tenderID int64
	var otherName, otherPrice string
	const q = `SELECT t.id, s.legal_name, other.price::text
		FROM tenders t
		JOIN awards a1 ON a1.tender_id = t.id AND a1.status = 'active'
		JOIN suppliers m ON m.id = a1.supplier_id AND m.company_number = '510000011'
		JOIN awards a2 ON a2.tender_id = t.id AND a2.status = 'active' AND a2.id <> a1.id
		JOIN suppliers s ON s.id = a2.supplier_id
		JOIN LATERAL (SELECT price, item_id FROM award_prices WHERE award_id = a1.id AND valid_from <= current_date ORDER BY valid_from DESC, id DESC LIMIT 1) own ON true
		JOIN LATERAL (SELECT price FROM award_prices WHERE award_id = a2.id AND item_id = own.item_id AND valid_from <= current_date ORDER BY valid_from DESC, id DESC LIMIT 1) other ON true
		WHERE t.status = 'active' AND own.price <> other.price LIMIT 1`
	row := db.QueryRow(q)
	if err := row.Scan(&tenderID, &otherName, &otherPrice); err != nil {
		t.Fatalf("no demo tender won by the medical supplier and another: %v", err)
	}
	otherName = html.EscapeString(otherName)
	supplier := demoLogin(t, h, "supplier@medical.example")
	page := supplier.Get("/tenders/" + strconv.FormatInt(tenderID, 10))
	pagetest.Expect(t, page, 200)
	if strings.Contains(page.Body, otherName) {
		t.Errorf("the supplier's tender page names the competitor %s", otherName)
	}
	lead := demoLogin(t, h, "lead@madaf.example")
	if body := lead.Get("/tenders/" + strconv.FormatInt(tenderID, 10)).Body; !strings.Contains(body, otherName) {
		t.Errorf("the lead's tender page lacks the competitor %s", otherName)
	}
}
