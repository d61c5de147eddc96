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
