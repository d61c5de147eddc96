package orders

import (
	"context"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"madaf/internal/apperr"
	"madaf/internal/calendar"
	"madaf/internal/database"
	"madaf/internal/money"
)

// Money rules, DESIGN.md "Order": decimals end to end; a line total is
// quantity × unit price rounded to agorot, half away from zero; VAT is the
// subtotal × the rate in force on the submission date, rounded; the fee is
// the subtotal × the tender's fee percent, rounded. Never a float.

var hundred = decimal.NewFromInt(100)

// LineTotal is quantity × unit price rounded to agorot.
func LineTotal(quantity, unitPrice decimal.Decimal) decimal.Decimal {
	return quantity.Mul(unitPrice).Round(2)
}

// Figures are an order's money: subtotal, VAT, total and fee.
type Figures struct {
	Subtotal   decimal.Decimal
	VATRate    decimal.Decimal // percent, e.g. 18
	VAT        decimal.Decimal
	Total      decimal.Decimal
	FeePercent decimal.Decimal
	Fee        decimal.Decimal
}

// Compute sums the (already rounded) line totals and applies the VAT rate
// and the fee percent, both in percent.
func Compute(lineTotals []decimal.Decimal, vatRate, feePercent decimal.Decimal) Figures {
	sub := decimal.Zero
	for _, t := range lineTotals {
		sub = sub.Add(t)
	}
	vat := Percent(sub, vatRate)
	return Figures{
		Subtotal: sub, VATRate: vatRate, VAT: vat, Total: sub.Add(vat),
		FeePercent: feePercent, Fee: Percent(sub, feePercent),
	}
}

// Percent is amount × pct / 100 rounded to agorot.
func Percent(amount, pct decimal.Decimal) decimal.Decimal {
	return amount.Mul(pct).Div(hundred).Round(2)
}

// VATRate returns the VAT rate in percent in force on day on, from the
// effective-dated vat_rates table.
func VATRate(ctx context.Context, q sqlx.QueryerContext, on calendar.Date) (decimal.Decimal, error) {
	const query = `SELECT rate FROM vat_rates WHERE valid_from <= $1 ORDER BY valid_from DESC LIMIT 1`
	var rate decimal.Decimal
	if err := sqlx.GetContext(ctx, q, &rate, query, on); err != nil {
		if err = database.MapError(err); apperr.Is(err, apperr.KindNotFound) {
			return rate, apperr.Conflict("no VAT rate is in force on %s", on)
		}
		return rate, err
	}
	return rate, nil
}

// FormatShekels writes an amount the way mails show it: "12,345.67 ₪".
func FormatShekels(d decimal.Decimal) string {
	s := d.StringFixed(2)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	out := b.String() + "." + frac + " ₪"
	if neg {
		out = "-" + out
	}
	return out
}

func amountPtr(d decimal.Decimal) *money.Amount {
	a := money.Of(d)
	return &a
}
