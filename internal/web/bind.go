package web

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"madaf/internal/apperr"
	"madaf/internal/validate"
)

// MaxBody is the largest request body accepted (1 MiB).
const MaxBody = 1 << 20

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
			return tooLarge(MaxBody)
		}
		return apperr.Malformed("error.json_single_value")
	}
	return validate.Struct(dst)
}

func decodeError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case IsTooLarge(err):
		return tooLarge(MaxBody)
	case errors.Is(err, io.EOF):
		return apperr.Malformed("error.body_empty")
	case errors.As(err, &syntax):
		return apperr.Malformed("error.json_syntax", syntax.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return apperr.Malformed("error.json_truncated")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return apperr.Malformed("error.json_not_object")
		}
		return apperr.Invalid("error.invalid_fields", apperr.Field(field, jsonTypeKey(typ.Type.String())))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &apperr.Error{Kind: apperr.KindMalformed, Msg: apperr.M("error.unknown_field", name),
			Fields: []apperr.FieldError{apperr.Field(name, "msg.unknown_field")}}
	}
	// Errors from custom UnmarshalJSON methods (dates, decimals) end here.
	return apperr.Malformed("error.json_value")
}

// jsonTypeKey names, for a person, the kind of JSON value a field takes.
func jsonTypeKey(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "msg.json_list"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"):
		return "msg.whole_number"
	case strings.HasPrefix(goType, "float"):
		return "msg.number"
	case goType == "string":
		return "msg.json_text"
	case goType == "bool":
		return "msg.json_bool"
	}
	return "msg.json_object"
}

func tooLarge(limit int64) error {
	return apperr.New(apperr.KindTooLarge, "error.body_too_large", limit)
}

// IsTooLarge reports whether err comes from reading past a body limit.
func IsTooLarge(err error) bool {
	var mbe *http.MaxBytesError
	return errors.As(err, &mbe)
}
