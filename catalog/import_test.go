package catalog_test

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"fmt"
	"html"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"madaf/accounts"
	"madaf/catalog"
	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/fixture"
	"madaf/internal/page"
	"madaf/internal/server"
	"madaf/internal/webtest"
	"madaf/templates"
)

// importWorld is newWorld with a third item and a new award without prices.
func importWorld(t *testing.T) (*world, *catalog.Award) {
	t.Helper()
	w := newWorld(t)
	mustItems(t, w.s, w.tender.ID, catalog.ItemInput{SKU: "MED-003", Name: "מזרן החייאה", Unit: "יחידה", MaxPrice: amount("900")})
	return w, mustAward(t, w.s, w.tender.ID, mustSupplier(t, w.db, "גמא רפואה בע\"מ"))
}

func countPrices(t *testing.T, w *world, awardID int64) int {
	t.Helper()
	var n int
	if err := w.db.Get(&n, `SELECT count(*) FROM award_prices WHERE award_id = $1`, awardID); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestImportPriceList(t *testing.T) {
	w, award := importWorld(t)
	from := w.tender.ValidFrom.String()
	csv := "מק\"ט,מחיר,מתאריך\n" +
		"MED-001,299.90," + from + "\n" +
		"med-002,\"1,050.00\"," + w.tender.ValidFrom.Time().Format("02/01/2006") + "\n" +
		"\n" +
		"MED-003,750," + from + "\n"
	prices, err := w.s.ImportPriceList(ctx, w.tender.ID, award.ID, "prices.csv", []byte(csv))
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	if len(prices) != 3 || prices[1].Price.String() != "1050.00" || prices[0].Reason != catalog.ReasonInitial {
		t.Fatalf("imported %+v", prices)
	}
	got, _ := catalog.PriceInForce(ctx, w.db, w.items[1].ID, award.SupplierID, calendar.Today())
	if got.String() != "1050" {
		t.Fatalf("price in force = %s", got)
	}
}

func TestImportPriceListBadRows(t *testing.T) {
	w, award := importWorld(t)
	from := w.tender.ValidFrom.String()
	// Row 1 is the header; rows 2, 4 and 5 are good; every other row is
	// wrong in its own way.
	csv := "sku,price,valid_from\n" +
		"MED-001,299.90," + from + "\n" + // 2 good
		"NOPE-9,10," + from + "\n" + // 3 unknown SKU
		"MED-002,120," + from + "\n" + // 4 good
		"MED-003,899.99," + from + "\n" + // 5 good
		"MED-001,0," + from + "\n" + // 6 zero price and a second price for the same day
		"MED-002,-4,2025-13-01\n" + // 7 negative price, impossible date
		"MED-003,901,\n" + // 8 above the maximum, no date
		",abc," + from + "\n" + // 9 no SKU, not an amount
		"MED-002,5," + calendar.Today().AddDays(5000).String() + "\n" // 10 after the tender ends
	_, err := w.s.ImportPriceList(ctx, w.tender.ID, award.ID, "prices.csv", []byte(csv))
	ae := wantErr(t, err, apperr.KindInvalid,
		"rows[3].sku", "rows[6].price", "rows[6].sku", "rows[7].price", "rows[7].valid_from",
		"rows[8].price", "rows[8].valid_from", "rows[9].sku", "rows[9].price", "rows[10].valid_from")
	for _, f := range ae.Fields {
		for _, good := range []string{"rows[2].", "rows[4].", "rows[5]."} {
			if len(f.Field) >= len(good) && f.Field[:len(good)] == good {
				t.Errorf("a good row is reported: %+v", f)
			}
		}
	}
	if ae.Msg.String() != "tender.rows_wrong(6, 9)" {
		t.Errorf("message = %s", ae.Msg)
	}
	bad, _ := ae.Extra["bad_rows"].([]catalog.BadRow)
	if len(bad) != len(ae.Fields) || bad[0].Row != 3 || bad[0].Column != "sku" || bad[0].Msg.Key != "tender.msg.unknown_sku" {
		t.Errorf("bad_rows = %v", ae.Extra["bad_rows"])
	}
	if n := countPrices(t, w, award.ID); n != 0 {
		t.Fatalf("%d prices imported from a bad file", n)
	}
}

func TestImportPriceListFormats(t *testing.T) {
	w, award := importWorld(t)
	from := w.tender.ValidFrom

	t.Run("XLSX", func(t *testing.T) {
		f := excelize.NewFile()
		sh := f.GetSheetName(0)
		f.SetSheetRow(sh, "A1", &[]any{"מחיר", "מק\"ט", "בתוקף מ-"})
		f.SetSheetRow(sh, "A2", &[]any{12.3 + 0.000000000000001, "MED-002", from.Time()}) // a date cell and float noise
		f.SetSheetRow(sh, "A3", &[]any{"350", "MED-001", from.String()})
		style, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
		f.SetCellStyle(sh, "C2", "C2", style)
		var buf bytes.Buffer
		if err := f.Write(&buf); err != nil {
			t.Fatal(err)
		}
		prices, err := w.s.ImportPriceList(ctx, w.tender.ID, award.ID, "מחירון.xlsx", buf.Bytes())
		if err != nil {
			t.Fatalf("import: %v", err)
		}
		if len(prices) != 2 || prices[0].Price.String() != "12.30" || prices[0].ValidFrom != from || prices[1].Price.String() != "350.00" {
			t.Fatalf("imported %+v", prices)
		}
	})
	t.Run("XLSXBadRowNumbers", func(t *testing.T) {
		f := excelize.NewFile()
		sh := f.GetSheetName(0)
		f.SetSheetRow(sh, "A1", &[]any{"MED-003", 100, from.String()})
		f.SetSheetRow(sh, "A3", &[]any{"MED-003", 12.345, from.String()})
		var buf bytes.Buffer
		f.Write(&buf)
		_, err := w.s.ImportPriceList(ctx, w.tender.ID, award.ID, "x.xlsx", buf.Bytes())
		wantErr(t, err, apperr.KindInvalid, "rows[3].price")
	})
	t.Run("Windows1255Semicolons", func(t *testing.T) {
		text := fmt.Sprintf("מק\"ט;מחיר;מתאריך;סיבה\nMED-003;880;%s;\n", from.Time().Format("2.1.2006"))
		data, err := charmap.Windows1255.NewEncoder().Bytes([]byte(text))
		if err != nil {
			t.Fatal(err)
		}
		prices, err := w.s.ImportPriceList(ctx, w.tender.ID, award.ID, "prices.csv", data)
		if err != nil || len(prices) != 1 || prices[0].Price.String() != "880.00" {
			t.Fatalf("import: %+v, %v", prices, err)
		}
	})
	t.Run("ErrNotAWorkbook", func(t *testing.T) {
		_, err := w.s.ImportPriceList(ctx, w.tender.ID, award.ID, "x.xlsx", []byte("PK\x03\x04garbage"))
		wantErr(t, err, apperr.KindInvalid, "file")
	})
	t.Run("ErrEmpty", func(t *testing.T) {
		_, err := w.s.ImportPriceList(ctx, w.tender.ID, award.ID, "x.csv", []byte("sku,price,valid_from\n"))
		wantErr(t, err, apperr.KindInvalid, "file")
	})
}

func TestImportPriceListLimits(t *testing.T) {
	w, award := importWorld(t)
	from := w.tender.ValidFrom.String()
	t.Run("ColumnsBeyondZIgnored", func(t *testing.T) {
		data := fixture.RawXLSX(t, 2, func(i int) string {
			row := []string{"sku", "price", "valid_from"}
			if i == 2 {
				row = []string{"MED-003", "450", from}
			}
			return fixture.InlineRow(i, row...) + fmt.Sprintf(`<c r="AB%d"><v>1</v></c><c r="XFD%d"><v>2</v></c>`, i, i)
		})
		prices, err := w.s.ImportPriceList(ctx, w.tender.ID, award.ID, "prices.xlsx", data)
		if err != nil || len(prices) != 1 || prices[0].Price.String() != "450.00" {
			t.Fatalf("import: %+v, %v", prices, err)
		}
	})
	t.Run("ErrCSVTooManyRows", func(t *testing.T) {
		var b strings.Builder
		for range 20001 {
			fmt.Fprintf(&b, "MED-001,300,%s\n", from)
		}
		_, err := w.s.ImportPriceList(ctx, w.tender.ID, award.ID, "prices.csv", []byte(b.String()))
		if e := wantErr(t, err, apperr.KindInvalid, "file"); e.Msg.String() != "tender.import.too_many_rows(20000)" {
			t.Errorf("message %s", e.Msg)
		}
	})
}

// uploadWorld is importWorld behind the real router (API and pages), with
// an economic lead in each language.
type uploadWorld struct {
	*world
	award *catalog.Award
	h     http.Handler
	lead  map[string]string // token by language
}

func newUploadWorld(t *testing.T) *uploadWorld {
	t.Helper()
	w, award := importWorld(t)
	base := webtest.NewBase(t, w.db)
	eng := page.MustNew(templates.FS)
	eng.Mount(base.Engine)
	catalog.Routes{Store: w.s}.Mount(server.Router{API: base.API, Site: base.Engine, Pages: eng})
	uw := &uploadWorld{world: w, award: award, h: base.Engine, lead: map[string]string{}}
	for _, lang := range []string{"he", "ar", "en"} {
		u := webtest.MustUser(t, w.db, accounts.NewUser{Email: "lead-" + lang + "@cluster.example", OrgKind: auth.OrgCluster,
			Roles: []string{auth.RoleEconomicLead}, Lang: lang})
		uw.lead[lang] = webtest.MustToken(t, w.db, u.ID)
	}
	return uw
}

// multipartFile is data as the form field "file" named name.
func multipartFile(name string, data []byte) ([]byte, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}

// page uploads a price list through the tender page as the lead in lang.
func (uw *uploadWorld) page(lang, name string, data []byte) webtest.Response {
	body, ct := multipartFile(name, data)
	return webtest.Do(uw.h, "POST", fmt.Sprintf("/tenders/%d/awards/%d/prices", uw.tender.ID, uw.award.ID), uw.lead[lang], body,
		"Content-Type", ct, "Sec-Fetch-Site", "same-origin")
}

// api uploads a price list through the API.
func (uw *uploadWorld) api(name string, data []byte) webtest.Response {
	body, ct := multipartFile(name, data)
	return webtest.Do(uw.h, "POST", fmt.Sprintf("/api/v1/tenders/%d/awards/%d/price-list", uw.tender.ID, uw.award.ID), uw.lead["he"], body,
		"Content-Type", ct)
}

func (uw *uploadWorld) get(lang, path string) webtest.Response {
	return webtest.Do(uw.h, "GET", path, uw.lead[lang], nil)
}

// text is the body of a page as a reader sees it.
func text(r webtest.Response) string { return html.UnescapeString(r.Body.String()) }

// TestPriceListTemplate: the tender page offers a template of its items in
// XLSX and CSV, its column names in the reader's language; filled in and
// uploaded as it is, it imports the rows that were filled.
func TestPriceListTemplate(t *testing.T) {
	uw := newUploadWorld(t)
	from := uw.tender.ValidFrom.String()
	heads := map[string][]string{
		"he": {`מק"ט`, "שם הפריט", "יחידת מידה", "מחיר", "בתוקף מתאריך", "סיבה"},
		"ar": {"رقم الصنف", "اسم البند", "وحدة القياس", "السعر", "ساري من تاريخ", "السبب"},
		"en": {"SKU", "Item name", "Unit", "Price", "Valid from", "Reason"},
	}
	for lang, head := range heads {
		t.Run(lang, func(t *testing.T) {
			r := uw.get(lang, fmt.Sprintf("/tenders/%d/price-list.csv", uw.tender.ID))
			if r.Code != http.StatusOK || !strings.HasPrefix(r.Header().Get("Content-Type"), "text/csv") ||
				!strings.Contains(r.Header().Get("Content-Disposition"), "attachment") {
				t.Fatalf("CSV template: %d %v", r.Code, r.Header())
			}
			csvText := strings.TrimPrefix(r.Body.String(), "\ufeff")
			rows, err := csv.NewReader(strings.NewReader(csvText)).ReadAll()
			if err != nil || len(rows) != 4 || fmt.Sprint(rows[0]) != fmt.Sprint(head) || rows[1][0] != "MED-001" || rows[1][1] != uw.items[0].Name {
				t.Fatalf("CSV template rows %q, %v", rows, err)
			}

			r = uw.get(lang, fmt.Sprintf("/tenders/%d/price-list.xlsx", uw.tender.ID))
			if r.Code != http.StatusOK || r.Header().Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
				t.Fatalf("XLSX template: %d %v", r.Code, r.Header())
			}
			f, err := excelize.OpenReader(bytes.NewReader(r.Body.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			sheet := f.GetSheetName(0)
			got, _ := f.GetRows(sheet)
			if len(got) != 4 || fmt.Sprint(got[0]) != fmt.Sprint(head) || got[3][0] != "MED-003" {
				t.Fatalf("XLSX template rows %q", got)
			}
			before := countPrices(t, uw.world, uw.award.ID)
			switch lang {
			case "he":
				// The workbook filled in (one row) goes back in through the
				// API, the CSV (another row) through the page.
				f.SetCellValue(sheet, "D2", 305.5)
				f.SetCellValue(sheet, "E2", uw.tender.ValidFrom.Time())
				var filled bytes.Buffer
				f.Write(&filled)
				if r := uw.api("template.xlsx", filled.Bytes()); r.Code != http.StatusCreated || r.Map(t)["imported"] != float64(1) {
					t.Fatalf("the filled workbook: %d %s", r.Code, r.Body)
				}
				rows[2][3], rows[2][4] = "120", from
			case "ar":
				rows[3][3], rows[3][4], rows[3][5] = "650", from, "سعر أوّلي"
			default:
				return
			}
			var buf bytes.Buffer
			buf.WriteString("\ufeff")
			csv.NewWriter(&buf).WriteAll(rows)
			if r := uw.page(lang, "template.csv", buf.Bytes()); r.Code != http.StatusSeeOther {
				t.Fatalf("the filled CSV: %d %s", r.Code, text(r))
			}
			if n, want := countPrices(t, uw.world, uw.award.ID), before+map[string]int{"he": 2, "ar": 1}[lang]; n != want {
				t.Fatalf("%d prices after the filled templates, want %d", n, want)
			}
		})
	}
	t.Run("ErrNotVisible", func(t *testing.T) {
		outsider := webtest.MustUser(t, uw.db, accounts.NewUser{Email: "officer@outsider.example", OrgKind: auth.OrgAuthority,
			AuthorityID: uw.outsider, Roles: []string{auth.RoleOfficer}})
		r := webtest.Do(uw.h, "GET", fmt.Sprintf("/tenders/%d/price-list.csv", uw.tender.ID), webtest.MustToken(t, uw.db, outsider.ID), nil)
		if r.Code != http.StatusNotFound {
			t.Fatalf("an outsider's template: %d", r.Code)
		}
	})
}

// TestUploadPageSaysWhatItTakes: the tender page states, in the reader's
// language, the formats, the columns and the price reasons it accepts,
// and links both templates.
func TestUploadPageSaysWhatItTakes(t *testing.T) {
	uw := newUploadWorld(t)
	for lang, want := range map[string][]string{
		"he": {"XLSX", "CSV", "Windows-1255", "20,000", `מק"ט`, "בתוקף מתאריך", "הצמדה למדד", "שינוי מע\"מ", "price-list.xlsx", "price-list.csv"},
		"ar": {"XLSX", "CSV", "20,000", "رقم الصنف", "ساري من تاريخ", "ربط بالمؤشر", "تصحيح", "price-list.xlsx"},
		"en": {"XLSX", "CSV", "20,000", "SKU", "Valid from", "Index linkage", "VAT change", "price-list.csv"},
	} {
		body := text(uw.get(lang, fmt.Sprintf("/tenders/%d", uw.tender.ID)))
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("%s tender page lacks %q", lang, w)
			}
		}
	}
}

// TestPriceListReasons: a reason is taken by its code or by its name in
// any of the three languages (and the names people use, as עדכון הצמדה);
// an unknown one is refused in the reader's language.
func TestPriceListReasons(t *testing.T) {
	uw := newUploadWorld(t)
	d1, d2 := calendar.Today().AddDays(10).String(), calendar.Today().AddDays(20).String()
	csvText := "מק\"ט,מחיר,בתוקף מתאריך,סיבה\n" +
		"MED-001,300," + d1 + ",עדכון הצמדה\n" +
		"MED-002,100," + d1 + ",ربط بالمؤشر\n" +
		"MED-003,700," + d1 + ",Index linkage\n" +
		"MED-001,310," + d2 + ",VAT_CHANGE\n" +
		"MED-002,101," + d2 + ",שינוי מע״מ\n" +
		"MED-003,701," + d2 + ",תיקון\n"
	r := uw.api("prices.csv", []byte(csvText))
	if r.Code != http.StatusCreated {
		t.Fatalf("%d %s", r.Code, r.Body)
	}
	var reasons []string
	uw.db.Select(&reasons, `SELECT reason FROM award_prices WHERE award_id = $1 ORDER BY id`, uw.award.ID)
	want := []string{"index_linkage", "index_linkage", "index_linkage", "vat_change", "vat_change", "correction"}
	if fmt.Sprint(reasons) != fmt.Sprint(want) {
		t.Fatalf("reasons %v, want %v", reasons, want)
	}

	bad := []byte("sku,price,valid_from,reason\nMED-001,320," + calendar.Today().AddDays(30).String() + ",הנחת כמות\n")
	for lang, msg := range map[string]string{
		"he": `"הנחת כמות" אינה סיבה מוכרת; אפשר לכתוב: מחיר ראשון`,
		"ar": `"הנחת כמות" ليس سببًا معروفًا`,
		"en": `"הנחת כמות" is not a known reason`,
	} {
		r := uw.page(lang, "prices.csv", bad)
		if body := text(r); r.Code != http.StatusUnprocessableEntity || !strings.Contains(body, msg) {
			t.Errorf("%s: an unknown reason: %d, want it to say %q", lang, r.Code, msg)
		}
	}
	m := wantProblem(t, uw.api("prices.csv", bad), http.StatusUnprocessableEntity, "rows[2].reason")
	if rows := m["bad_rows"].([]any); rows[0].(map[string]any)["code"] != "tender.msg.unknown_reason" {
		t.Errorf("bad rows %v", rows)
	}
}

// TestPriceListColumnsInReadersLanguage: headers are read in any of the
// three languages; a header without a required column is refused naming
// the column in the reader's language.
func TestPriceListColumnsInReadersLanguage(t *testing.T) {
	uw := newUploadWorld(t)
	from := uw.tender.ValidFrom.String()
	arabic := "السعر;رقم الصنف;ساري من تاريخ\n300;MED-001;" + from + "\n"
	if r := uw.api("prices.csv", []byte(arabic)); r.Code != http.StatusCreated {
		t.Fatalf("an Arabic header: %d %s", r.Code, r.Body)
	}
	noPrice := []byte("מק\"ט,בתוקף מתאריך,מחיר ליחידה כולל מע\"מ\nMED-002,120," + from + "\n")
	for lang, msg := range map[string]string{
		"he": `בשורת הכותרות אין עמודת "מחיר"`,
		"ar": `لا يوجد في صف العناوين عمود "السعر"`,
		"en": `the header row has no "Price" column`,
	} {
		r := uw.page(lang, "prices.csv", noPrice)
		if body := text(r); r.Code != http.StatusUnprocessableEntity || !strings.Contains(body, msg) {
			t.Errorf("%s: a header without a price column: %d, want it to say %q", lang, r.Code, msg)
		}
	}
	m := wantProblem(t, uw.api("prices.csv", noPrice), http.StatusUnprocessableEntity, "file")
	if m["code"] != "tender.import.missing_columns" {
		t.Errorf("problem %v", m)
	}
	// A bad row's column is named in the reader's language.
	badDate := []byte("sku,price,valid_from\nMED-002,120,31/02/2025\n")
	for lang, col := range map[string]string{"he": "<td>בתוקף מתאריך</td>", "ar": "<td>ساري من تاريخ</td>", "en": "<td>Valid from</td>"} {
		if body := text(uw.page(lang, "prices.csv", badDate)); !strings.Contains(body, `<td class="num">2</td>`+col) {
			t.Errorf("%s: the bad row's column is not %s", lang, col)
		}
	}
}

// TestPriceListRefusesWhatIsNoSpreadsheet: a file that is neither an XLSX
// workbook nor CSV text is refused as such, whatever its name, with a key
// of its own and a message in the reader's language; nothing is imported.
// UTF-16 text (Excel's "Unicode text") is CSV.
func TestPriceListRefusesWhatIsNoSpreadsheet(t *testing.T) {
	uw := newUploadWorld(t)
	from := uw.tender.ValidFrom.String()
	var docx bytes.Buffer
	zw := zip.NewWriter(&docx)
	for _, name := range []string{"[Content_Types].xml", "word/document.xml"} {
		w, _ := zw.Create(name)
		w.Write([]byte("<x/>"))
	}
	zw.Close()
	png := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{0, 1, 2, 250}, 64)...)
	for _, c := range []struct {
		name, file, code, he string
		data                 []byte
	}{
		{"PNGAsCSV", "prices.csv", "tender.import.not_a_spreadsheet", "אינו גיליון XLSX ואינו קובץ CSV", png},
		{"PDFAsXLSX", "prices.xlsx", "tender.import.not_a_spreadsheet", "אינו גיליון XLSX ואינו קובץ CSV", []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\x00\x01")},
		{"OldXLS", "prices.xls", "tender.import.old_xls", "בפורמט הישן (XLS)", append([]byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), make([]byte, 512)...)},
		{"WordDocument", "prices.xlsx", "tender.import.not_a_workbook", "ארכיון ZIP שאינו חוברת XLSX", docx.Bytes()},
		{"BrokenZip", "prices.xlsx", "tender.import.bad_xlsx", "אינו חוברת XLSX קריאה", []byte("PK\x03\x04garbage")},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := wantProblem(t, uw.api(c.file, c.data), http.StatusUnprocessableEntity, "file")
			if m["code"] != c.code {
				t.Errorf("code %v, want %s", m["code"], c.code)
			}
			r := uw.page("he", c.file, c.data)
			if body := text(r); r.Code != http.StatusUnprocessableEntity || !strings.Contains(body, c.he) {
				t.Errorf("the page: %d, want it to say %q", r.Code, c.he)
			}
			if n := countPrices(t, uw.world, uw.award.ID); n != 0 {
				t.Fatalf("%d prices from a file that is no spreadsheet", n)
			}
		})
	}
	t.Run("UTF16Text", func(t *testing.T) {
		data, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes([]byte("מק\"ט\tמחיר\tמתאריך\nMED-003\t450\t" + from + "\n"))
		if err != nil {
			t.Fatal(err)
		}
		if r := uw.api("prices.txt", data); r.Code != http.StatusCreated {
			t.Fatalf("UTF-16 text: %d %s", r.Code, r.Body)
		}
	})
}
