package catalog

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"

	"madaf/internal/apperr"
	"madaf/internal/calendar"
	"madaf/internal/dbtest"
	"madaf/internal/fixture"
	"madaf/internal/money"
)

// FuzzImportPriceList imports any file, under any name, as the price list
// of an award on a published tender with three items. The import never
// panics and never fails as an internal error (a 500), and it is whole or
// nothing: either it adds a price for every row the file holds, or the
// award's prices are left exactly as they were.
func FuzzImportPriceList(f *testing.F) {
	ctx := context.Background()
	db := dbtest.New(f)
	s := NewStore(db)
	var authorityID, supplierID int64
	if err := db.Get(&authorityID, `INSERT INTO authorities (code, name_he, kind)
		VALUES ('7001', 'זכרון יעקב', 'local_council') RETURNING id`); err != nil {
		f.Fatal(err)
	}
	if err := db.Get(&supplierID, `INSERT INTO suppliers (company_number, legal_name, email)
		VALUES ('510007001', 'אלפא ציוד רפואי בע"מ', 'alpha@example.com') RETURNING id`); err != nil {
		f.Fatal(err)
	}
	today := calendar.Today()
	fee := decimal.RequireFromString("1.5")
	ceiling := money.MustParse("900")
	tender, err := s.CreateTender(ctx, TenderInput{Number: "77/2026", Title: "ציוד רפואי", Category: "ציוד רפואי",
		ValidFrom: today.AddDays(-100), ValidUntil: today.AddDays(300), FeePercent: &fee, AwardRule: RuleChoice,
		ConfirmationDays: 3, Authorities: []AuthorityInput{{AuthorityID: authorityID}}})
	if err != nil {
		f.Fatal(err)
	}
	if _, err := s.AddItems(ctx, tender.ID, []ItemInput{{SKU: "MED-001", Name: "מד לחץ דם", Unit: "יחידה"},
		{SKU: "MED-002", Name: "ערכת עזרה ראשונה", Unit: "ערכה"}, {SKU: "MED-003", Name: "מזרן החייאה", Unit: "יחידה", MaxPrice: &ceiling}}); err != nil {
		f.Fatal(err)
	}
	award, err := s.AwardSupplier(ctx, tender.ID, supplierID)
	if err != nil {
		f.Fatal(err)
	}
	if _, err := s.Transition(ctx, tender.ID, ActionPublish); err != nil {
		f.Fatal(err)
	}

	from := tender.ValidFrom // the first prices may start then; a change starts from tomorrow
	day := func(n int) calendar.Date { return today.AddDays(n) }
	for _, seed := range []string{
		"sku,price,valid_from\nMED-001,299.90," + from.String() + "\nMED-002,\"1,050.00\"," + from.Time().Format("02/01/2006") + "\n",
		"מק\"ט,מחיר,מתאריך,סיבה\nMED-003,750," + from.String() + ",\n",
		"MED-001\t310\t" + day(2).Time().Format("2.1.2006") + "\n",
		"sku,price,valid_from\nNOPE,abc,2025-13-01\nMED-001,0,\n,,\n",
		"sku;price;valid_from\nMED-003;901;" + day(3).String() + "\n",
		"\xef\xbb\xbfsku,price,valid_from\n\"MED-001,12," + from.String() + "\n",
		"price,sku\n12,MED-002\n",
		"MED-001,12," + day(21).String() + "\nMED-001,13," + day(21).String() + "\n",
		"sku,price,valid_from,reason\nMED-002,5," + day(30).String() + ",\x00\n",
		"sku,price,valid_from\n",
		"",
		"PK\x03\x04garbage",
	} {
		f.Add([]byte(seed), "prices.csv")
	}
	win, err := charmap.Windows1255.NewEncoder().Bytes([]byte("מק\"ט;מחיר;מתאריך\nMED-002;120;" + day(4).Time().Format("2.1.2006") + "\n"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(win, "מחירון.csv")
	f.Add(priceWorkbook(f, []any{"מחיר", "מק\"ט", "בתוקף מ-"}, []any{12.3 + 1e-15, "MED-002", day(5).Time()}, []any{"350", "MED-001", day(5).String()}), "מחירון.xlsx")
	f.Add(priceWorkbook(f, []any{"MED-003", 12.345, from.String()}, nil, []any{"MED-009", "x", "2024-02-30"}), "x.xlsx")
	f.Add(fixture.RawXLSX(f, 3, func(i int) string { return fixture.InlineRow(i, "MED-001", fmt.Sprint(100+i), day(5+i).String()) }), "raw.xlsx")
	f.Add([]byte("sku,price,valid_from\nMED-001,5,"+day(20).String()+"\n"), "looks.xlsx")

	const qState = `SELECT count(*) || ':' || coalesce(md5(string_agg(id || '/' || item_id || '/' || price || '/' || valid_from || '/' || reason, ',' ORDER BY id)), '')
		FROM award_prices WHERE award_id = $1`
	state := func(t *testing.T) (string, int) {
		t.Helper()
		var st string
		if err := db.Get(&st, qState, award.ID); err != nil {
			t.Fatal(err)
		}
		var n int
		fmt.Sscanf(st, "%d:", &n)
		return st, n
	}

	f.Fuzz(func(t *testing.T, data []byte, name string) {
		before, n := state(t)
		prices, err := s.ImportPriceList(ctx, tender.ID, award.ID, name, data)
		after, m := state(t)
		if err != nil {
			if k := apperr.KindOf(err); k == apperr.KindInternal {
				t.Fatalf("import %q: internal error %v", name, err)
			}
			if after != before {
				t.Fatalf("a refused import (%v) changed the prices: %s, then %s", err, before, after)
			}
			return
		}
		table, xlsx, err := readTable(name, data)
		if err != nil {
			t.Fatalf("imported a file that does not read: %v", err)
		}
		rows, err := priceRows(table, xlsx, map[string]int64{"MED-001": 1, "MED-002": 2, "MED-003": 3})
		if err != nil {
			t.Fatalf("imported a file without rows: %v", err)
		}
		if len(prices) != len(rows) || m != n+len(rows) {
			t.Fatalf("a file of %d rows added %d prices (%d answered)", len(rows), m-n, len(prices))
		}
	})
}

// priceWorkbook is an XLSX file whose first sheet holds rows from A1 (a
// nil row is left empty).
func priceWorkbook(t testing.TB, rows ...[]any) []byte {
	t.Helper()
	x := excelize.NewFile()
	sh := x.GetSheetName(0)
	for i, r := range rows {
		if r != nil {
			x.SetSheetRow(sh, fmt.Sprintf("A%d", i+1), &r)
		}
	}
	style, _ := x.NewStyle(&excelize.Style{NumFmt: 14})
	x.SetCellStyle(sh, "C1", "C9", style)
	var buf bytes.Buffer
	if err := x.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
