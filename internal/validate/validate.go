// Package validate checks request values: the validator tags of request
// structs, amounts of money and entity tags. Every failure is an
// *apperr.Error whose fields carry message keys.
package validate

import (
	"errors"
	"reflect"
	"strings"

	"github.com/go-playground/validator/v10"
	"github.com/shopspring/decimal"

	"madaf/internal/apperr"
)

// Validator is the shared validator; it names fields by their JSON (or
// form) names.
var Validator = newValidator()

func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		for _, tag := range []string{"json", "form"} {
			name := strings.SplitN(f.Tag.Get(tag), ",", 2)[0]
			if name == "-" {
				return ""
			}
			if name != "" {
				return name
			}
		}
		return f.Name
	})
	return v
}

// Struct runs the validator tags of v and reports every failing field at
// once.
func Struct(v any) error {
	err := Validator.Struct(v)
	if err == nil {
		return nil
	}
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return err
	}
	fields := make([]apperr.FieldError, 0, len(verrs))
	for _, fe := range verrs {
		fields = append(fields, apperr.FieldError{Field: fieldPath(fe), Msg: fieldMessage(fe)})
	}
	return apperr.Invalid("error.invalid_fields", fields...)
}

// fieldPath drops the top-level struct name: "Req.lines[0].quantity" →
// "lines[0].quantity".
func fieldPath(fe validator.FieldError) string {
	ns := fe.Namespace()
	if i := strings.IndexByte(ns, '.'); i >= 0 {
		return ns[i+1:]
	}
	return fe.Field()
}

func fieldMessage(fe validator.FieldError) apperr.Msg {
	countable := fe.Kind() == reflect.String || fe.Kind() == reflect.Slice
	switch fe.Tag() {
	case "required", "required_if", "required_with", "required_without":
		return apperr.M("msg.required")
	case "email":
		return apperr.M("msg.email")
	case "min", "gte":
		if countable {
			return apperr.M("msg.min_len", fe.Param())
		}
		return apperr.M("msg.min", fe.Param())
	case "max", "lte":
		if countable {
			return apperr.M("msg.max_len", fe.Param())
		}
		return apperr.M("msg.max", fe.Param())
	case "gt":
		return apperr.M("msg.gt", fe.Param())
	case "lt":
		return apperr.M("msg.lt", fe.Param())
	case "oneof":
		return apperr.M("msg.oneof", strings.ReplaceAll(fe.Param(), " ", ", "))
	case "len":
		return apperr.M("msg.len", fe.Param())
	case "numeric", "number":
		return apperr.M("msg.number")
	case "datetime":
		return apperr.M("msg.date")
	case "company_number":
		return apperr.M("msg.company_number")
	}
	return apperr.M("msg.invalid")
}

// maxAmount is the largest amount of money the service accepts (a
// NUMERIC(14,2) holds up to 10^12).
var maxAmount = decimal.New(1, 11)

// Amount reports a field error when d is negative (or zero, unless zeroOK),
// over a hundred billion, or finer than agorot.
func Amount(field string, d decimal.Decimal, zeroOK bool) *apperr.FieldError {
	var key string
	switch {
	case d.IsNegative():
		key = "msg.not_negative"
	case d.IsZero() && !zeroOK:
		key = "msg.positive"
	case d.GreaterThanOrEqual(maxAmount):
		key = "msg.too_large"
	case !d.Equal(d.Round(2)):
		key = "msg.agorot"
	default:
		return nil
	}
	fe := apperr.Field(field, key)
	return &fe
}

// IfMatch reports whether an If-Match header value admits the current
// entity tag: an absent header or "*" does, as does a list holding etag
// (weak or strong).
func IfMatch(header, etag string) bool {
	header = strings.TrimSpace(header)
	if header == "" || header == "*" {
		return true
	}
	for _, tag := range strings.Split(header, ",") {
		if strings.TrimPrefix(strings.TrimSpace(tag), "W/") == etag {
			return true
		}
	}
	return false
}

// Matches answers nil when header admits etag (IfMatch), else a failed
// precondition (412) with the message key and its arguments and the
// current etag, so that a client may read again and retry.
func Matches(header, etag, key string, args ...any) *apperr.Error {
	if IfMatch(header, etag) {
		return nil
	}
	err := apperr.New(apperr.KindPrecondition, key, args...)
	err.Extra = map[string]any{"etag": etag}
	return err
}
