package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/go-playground/validator/v10"

	"madaf/internal/apperr"
)

// MaxBody is the largest request body accepted (1 MiB).
const MaxBody = 1 << 20

// Validate is the shared validator; it names fields by their JSON (or form)
// names.
var Validate = newValidator()

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

// BindJSON decodes the request body into dst strictly (unknown fields and
// trailing data are refused) and validates it. Every failure is an
// *apperr.Error: 400 for an unreadable body, 413 for one over MaxBody, 422
// with field errors for a value that breaks a rule.
func BindJSON(c *gin.Context, dst any) error {
	body := http.MaxBytesReader(c.Writer, c.Request.Body, MaxBody)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if IsTooLarge(err) {
			return tooLarge()
		}
		return apperr.Malformed("the body must hold a single JSON value")
	}
	return ValidateStruct(dst)
}

// ValidateStruct runs the validator tags of v and reports every failing
// field at once.
func ValidateStruct(v any) error {
	err := Validate.Struct(v)
	if err == nil {
		return nil
	}
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return err
	}
	fields := make([]apperr.FieldError, 0, len(verrs))
	for _, fe := range verrs {
		fields = append(fields, apperr.FieldError{Field: fieldPath(fe), Message: fieldMessage(fe)})
	}
	return apperr.Invalid("the request has invalid fields", fields...)
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

func fieldMessage(fe validator.FieldError) string {
	switch fe.Tag() {
	case "required", "required_if", "required_with", "required_without":
		return "is required"
	case "email":
		return "must be an e-mail address"
	case "min", "gte":
		if fe.Kind() == reflect.String || fe.Kind() == reflect.Slice {
			return fmt.Sprintf("must have at least %s items or characters", fe.Param())
		}
		return "must be at least " + fe.Param()
	case "max", "lte":
		if fe.Kind() == reflect.String || fe.Kind() == reflect.Slice {
			return fmt.Sprintf("must have at most %s items or characters", fe.Param())
		}
		return "must be at most " + fe.Param()
	case "gt":
		return "must be greater than " + fe.Param()
	case "lt":
		return "must be less than " + fe.Param()
	case "oneof":
		return "must be one of: " + fe.Param()
	case "len":
		return "must have length " + fe.Param()
	case "numeric", "number":
		return "must be a number"
	case "datetime":
		return "must be a date in the form " + fe.Param()
	case "company_number":
		return "must be a valid Israeli company number (9 digits with a check digit)"
	}
	return "is invalid (" + fe.Tag() + ")"
}

func decodeError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case IsTooLarge(err):
		return tooLarge()
	case errors.Is(err, io.EOF):
		return apperr.Malformed("the request body is empty")
	case errors.As(err, &syntax):
		return apperr.Malformed("malformed JSON at byte %d", syntax.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return apperr.Malformed("malformed JSON: the body ends too early")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return apperr.Malformed("the body must be a JSON object")
		}
		return apperr.Invalid("the request has invalid fields", apperr.Field(field, "must be a %s", typ.Type.String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &apperr.Error{Kind: apperr.KindMalformed, Message: "unknown field " + name,
			Fields: []apperr.FieldError{{Field: name, Message: "is not a field of this request"}}}
	}
	// Errors from custom UnmarshalJSON methods (dates, decimals) end here.
	return apperr.Malformed("malformed JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
}

func tooLarge() error {
	return &apperr.Error{Kind: apperr.KindTooLarge, Message: fmt.Sprintf("the request body is larger than %d bytes", MaxBody)}
}

// IsTooLarge reports whether err comes from reading past a body limit.
func IsTooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}
