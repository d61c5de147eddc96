package catalog_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"

	"madaf/catalog"
	"madaf/internal/apperr"
	"madaf/internal/calendar"
	"madaf/internal/fixture"
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
