package catalog_test

import (
	"bytes"
	"mime/multipart"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"madaf/accounts"
	"madaf/catalog"
	"madaf/internal/auth"
	"madaf/internal/page"
	"madaf/internal/server"
	"madaf/internal/webtest"
	"madaf/templates"
)

// TestPagesRefuseInLanguage has the economic lead, in each language, take
// a tender number already in use and upload a price list with a SKU the
// tender lacks: both refusals read in the lead's language, the bad row
// with its column.
func TestPagesRefuseInLanguage(t *testing.T) {
	w := newWorld(t)
	base := webtest.NewBase(t, w.db)
	eng := page.MustNew(templates.FS)
	eng.Mount(base.Engine)
	catalog.Routes{Store: catalog.NewStore(w.db)}.Mount(server.Router{Site: base.Engine, Pages: eng})
	tenderPath := "/tenders/" + strconv.FormatInt(w.tender.ID, 10)
	pricesPath := tenderPath + "/awards/" + strconv.FormatInt(w.awards[0].ID, 10) + "/prices"

	tests := []struct {
		lang                  string
		numberTaken           string
		uploadFailed, badSKU  string
		skuColumn, notEnglish string
	}{
		{"he", "המספר כבר משמש מכרז אחר", "המחירון לא נקלט", "אין במכרז פריט שהמק&#34;ט שלו XX-9", "<td>מק&#34;ט</td>", "no item of this tender"},
		{"ar", "الرقم مستخدم لمناقصة أخرى", "لم يتم استيعاب قائمة الأسعار", "لا يوجد في المناقصة بند برقم الصنف XX-9", "<td>رقم الصنف</td>", "no item of this tender"},
		{"en", "is already used by another tender", "The price list was not taken", "no item of this tender has the SKU XX-9", "<td>SKU</td>", "tender.msg."},
	}
	for _, tt := range tests {
		t.Run(tt.lang, func(t *testing.T) {
			u := webtest.MustUser(t, w.db, accounts.NewUser{Email: "lead-" + tt.lang + "@example.com", OrgKind: auth.OrgCluster,
				Roles: []string{auth.RoleEconomicLead}, Lang: tt.lang})
			token := webtest.MustToken(t, w.db, u.ID)

			form := url.Values{"number": {w.tender.Number}, "title": {"ריהוט משרדי"}, "category": {"ריהוט"}, "award_rule": {"choice"},
				"valid_from": {w.tender.ValidFrom.String()}, "valid_until": {w.tender.ValidUntil.String()}, "fee_percent": {"1.5"},
				"confirmation_days": {"3"}}
			r := webtest.Do(base.Engine, "POST", "/tenders", token, form.Encode(),
				"Content-Type", "application/x-www-form-urlencoded", "Sec-Fetch-Site", "same-origin")
			if body := r.Body.String(); r.Code != 422 || !strings.Contains(body, tt.numberTaken) || strings.Contains(body, tt.notEnglish) {
				t.Errorf("a number in use: %d, want 422 saying %q\n%s", r.Code, tt.numberTaken, body)
			}

			var file bytes.Buffer
			mw := multipart.NewWriter(&file)
			fw, _ := mw.CreateFormFile("file", "prices.csv")
			fw.Write([]byte("sku,price,valid_from\nMED-001,300," + w.tender.ValidFrom.String() + "\nXX-9,10," + w.tender.ValidFrom.String() + "\n"))
			mw.Close()
			r = webtest.Do(base.Engine, "POST", pricesPath, token, file.Bytes(),
				"Content-Type", mw.FormDataContentType(), "Sec-Fetch-Site", "same-origin")
			body := r.Body.String()
			if r.Code != 422 {
				t.Fatalf("a bad price list: %d, want 422\n%s", r.Code, body)
			}
			row := `<td class="num">3</td>` + tt.skuColumn + `<td>` + tt.badSKU + `</td>`
			for _, want := range []string{tt.uploadFailed, row} {
				if !strings.Contains(body, want) {
					t.Errorf("the refused price list lacks %q\n%s", want, body)
				}
			}
			if strings.Contains(body, tt.notEnglish) {
				t.Errorf("the refused price list says %q in %s\n%s", tt.notEnglish, tt.lang, body)
			}
		})
	}
}
