package orders

import (
	"github.com/shopspring/decimal"

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

// amountPtr is d as a JSON amount.
func amountPtr(d decimal.Decimal) *money.Amount {
	a := money.Of(d)
	return &a
}
