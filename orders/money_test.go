package orders_test

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"madaf/internal/calendar"
	"madaf/internal/money"
	"madaf/orders"
)

func TestLineTotalRounding(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, qty, price, want string
	}{
		{"HalfAgoraRoundsUp", "3", "33.335", "100.01"}, // 100.005
		{"HalfOfOneAgora", "0.5", "0.01", "0.01"},      // 0.005
		{"ThreeHalves", "1.5", "0.03", "0.05"},         // 0.045
		{"BelowHalf", "3", "33.334", "100.00"},         // 100.002
		{"FractionalQuantity", "2.5", "1.11", "2.78"},  // 2.775
		{"ThousandthQuantity", "0.333", "3", "1.00"},   // 0.999
		{"Exact", "7", "19.99", "139.93"},
		{"Large", "1000000", "999.99", "999990000.00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := orders.LineTotal(dec(tt.qty), dec(tt.price))
			if got.StringFixed(2) != tt.want {
				t.Fatalf("%s × %s = %s, want %s", tt.qty, tt.price, got.StringFixed(2), tt.want)
			}
		})
	}
}

func TestComputeFigures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                   string
		lines                  []string
		vat, fee               string
		sub, vatAmt, total, fe string
	}{
		{"VAT17", []string{"100.01", "0.01"}, "17", "1.5", "100.02", "17.00", "117.02", "1.50"},
		{"VAT18", []string{"100.01", "0.01"}, "18", "1.5", "100.02", "18.00", "118.02", "1.50"},
		{"VATHalfAgoraUp", []string{"0.25"}, "18", "0", "0.25", "0.05", "0.30", "0.00"},           // 0.045
		{"VATBelowHalf", []string{"10.25"}, "17", "0", "10.25", "1.74", "11.99", "0.00"},          // 1.7425
		{"FeeRounded", []string{"1234.56"}, "18", "1.5", "1234.56", "222.22", "1456.78", "18.52"}, // 222.2208, 18.5184
		{"Empty", nil, "18", "2", "0.00", "0.00", "0.00", "0.00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var lines []decimal.Decimal
			for _, l := range tt.lines {
				lines = append(lines, dec(l))
			}
			f := orders.Compute(lines, dec(tt.vat), dec(tt.fee))
			got := []string{f.Subtotal.StringFixed(2), f.VAT.StringFixed(2), f.Total.StringFixed(2), f.Fee.StringFixed(2)}
			want := []string{tt.sub, tt.vatAmt, tt.total, tt.fe}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("subtotal, VAT, total, fee = %v, want %v", got, want)
				}
			}
		})
	}
}

// TestMoneyInMails: the amounts mails and messages show, as money.Format
// writes them.
func TestMoneyInMails(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"0": "₪ 0.00", "100": "₪ 100.00", "53986.77": "₪ 53,986.77", "1234567.5": "₪ 1,234,567.50", "-1000": "-₪ 1,000.00",
	} {
		if got := money.Format(dec(in)); got != want {
			t.Errorf("money.Format(%s) = %q, want %q", in, got, want)
		}
	}
}

func TestVATAcrossThe2025RateChange(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for day, want := range map[string]string{"2015-10-01": "17", "2024-12-31": "17", "2025-01-01": "18", "2026-06-30": "18"} {
		rate, err := orders.NewStore(e.db).VATRate(ctx, calendar.MustParse(day))
		if err != nil || !rate.Equal(dec(want)) {
			t.Errorf("VAT on %s = %s (%v), want %s", day, rate, err, want)
		}
	}
	if _, err := orders.NewStore(e.db).VATRate(ctx, calendar.MustParse("2010-01-01")); err == nil {
		t.Errorf("a VAT rate before the table begins")
	}

	// A price list indexed on 2025-01-01; budget lines of both years.
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"33.34"}}})
	if _, err := e.db.Exec(`INSERT INTO award_prices (award_id, item_id, price, valid_from, reason) VALUES ($1, $2, 40.00, '2025-01-01', 'vat_change')`,
		tn.awards[0], tn.Items[0]); err != nil {
		t.Fatal(err)
	}
	line2024 := e.mustBudgetLine(e.authority, 2024, "100000")
	line2025 := e.mustBudgetLine(e.authority, 2025, "100000")
	dec31 := time.Date(2024, 12, 31, 16, 0, 0, 0, calendar.Israel)
	jan1 := time.Date(2025, 1, 1, 9, 0, 0, 0, calendar.Israel)

	e.setClock(dec31)
	before := e.mustCreate(tn, 0, line2024, "3")
	straddling := e.mustCreate(tn, 0, line2025, "3")
	// The draft's estimate at the prices and VAT of 2024-12-31.
	if got := straddling.Subtotal.String(); got != "100.02" || straddling.VATRate.String() != "17.00" {
		t.Fatalf("draft estimate %s at VAT %s", got, straddling.VATRate)
	}
	o, err := e.svc.Submit(ctx, e.officer.P, before.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if o.Subtotal.String() != "100.02" || o.VATRate.String() != "17.00" || o.VAT.String() != "17.00" || o.Total.String() != "117.02" {
		t.Fatalf("submitted on 2024-12-31: subtotal %s VAT %s%% %s total %s", o.Subtotal, o.VATRate, o.VAT, o.Total)
	}

	// Submitted the next day: the price and the VAT rate in force then.
	e.setClock(jan1)
	o, err = e.svc.Submit(ctx, e.officer.P, straddling.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	if o.Lines[0].UnitPrice.String() != "40.00" || o.Subtotal.String() != "120.00" || o.VATRate.String() != "18.00" ||
		o.VAT.String() != "21.60" || o.Total.String() != "141.60" || o.SubmittedOn.String() != "2025-01-01" {
		t.Fatalf("submitted on 2025-01-01: price %s subtotal %s VAT %s%% %s total %s", o.Lines[0].UnitPrice, o.Subtotal, o.VATRate, o.VAT, o.Total)
	}
}
