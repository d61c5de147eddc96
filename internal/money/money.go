// Package money is an amount of shekels as JSON shows it: a string with
// exactly two decimals ("1250.50"), never a float.
package money

import (
	"strings"

	"github.com/shopspring/decimal"
)

// Amount is a decimal that marshals to JSON with two decimals. It scans
// from and stores to NUMERIC like decimal.Decimal.
type Amount struct{ decimal.Decimal }

// Of wraps d.
func Of(d decimal.Decimal) Amount { return Amount{d} }

// MarshalJSON writes "1250.50".
func (a Amount) MarshalJSON() ([]byte, error) {
	return []byte(`"` + a.StringFixed(2) + `"`), nil
}

// String is the amount with two decimals.
func (a Amount) String() string { return a.StringFixed(2) }

// Parse reads an amount such as "1250.50".
func Parse(s string) (Amount, error) {
	d, err := decimal.NewFromString(strings.TrimSpace(s))
	return Amount{d}, err
}

// MustParse is Parse for constants; it panics on a bad amount.
func MustParse(s string) Amount {
	a, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return a
}

// HasAgorot reports whether a has at most two decimals.
func (a Amount) HasAgorot() bool { return a.Equal(a.Round(2)) }

// Format writes an amount of shekels as every page, mail and message shows
// it: "₪ 1,250.50" (always two decimals), "-₪ 5.00" when negative.
func Format(d decimal.Decimal) string {
	s := FormatAmount(d)
	if strings.HasPrefix(s, "-") {
		return "-₪ " + s[1:]
	}
	return "₪ " + s
}

// FormatAmount writes an amount without the currency sign: "1,250.50".
func FormatAmount(d decimal.Decimal) string { return Group(d.Round(2).StringFixed(2)) }

// Group puts thousands separators into a plain decimal string:
// "1250.5" → "1,250.5".
func Group(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	intPart, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if hasFrac {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return sign + b.String()
}
