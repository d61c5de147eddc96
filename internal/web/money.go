package web

import (
	"github.com/shopspring/decimal"

	"madaf/internal/apperr"
)

// maxAmount is the largest amount of money the service accepts (a
// NUMERIC(14,2) holds up to 10^12).
var maxAmount = decimal.New(1, 11)

// CheckAmount reports a field error when d is negative (or zero, unless
// zeroOK), over a hundred billion, or finer than agorot.
func CheckAmount(field string, d decimal.Decimal, zeroOK bool) *apperr.FieldError {
	switch {
	case d.IsNegative():
		return &apperr.FieldError{Field: field, Message: "must not be negative"}
	case d.IsZero() && !zeroOK:
		return &apperr.FieldError{Field: field, Message: "must be greater than zero"}
	case d.GreaterThanOrEqual(maxAmount):
		return &apperr.FieldError{Field: field, Message: "is too large"}
	case !d.Equal(d.Round(2)):
		return &apperr.FieldError{Field: field, Message: "must have at most two decimal places (agorot)"}
	}
	return nil
}
