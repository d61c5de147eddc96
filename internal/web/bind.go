package web

import (
	"bytes"
	stdjson "encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	jsonv1 "github.com/go-json-experiment/json/v1"
	"github.com/shopspring/decimal"

	"madaf/internal/apperr"
	"madaf/internal/calendar"
	"madaf/internal/validate"
)

// MaxBody is the largest request body accepted (1 MiB).
const MaxBody = 1 << 20

// decodeOptions decode request bodies as encoding/json does (names matched
// without regard to case, the types' UnmarshalJSON methods), refusing
// unknown fields, and report errors with the JSON Pointer of the value at
// fault. The decoder itself refuses duplicate names and invalid UTF-8.
var decodeOptions = json.JoinOptions(jsonv1.DefaultOptionsV1(), json.RejectUnknownMembers(true),
	jsonv1.ReportErrorsWithLegacySemantics(false))

// BindJSON decodes the request body into dst strictly (unknown fields,
// duplicate fields and trailing data are refused) and validates it. Every
// failure is an *apperr.Error: 415 for a body that is not declared as JSON,
// 400 for an unreadable body, 413 for one over MaxBody, 422 with field
// errors for a value of the wrong type or one that breaks a rule. Fields are
// named as the client sent them, e.g. lines[0].quantity.
func BindJSON(c *gin.Context, dst any) error {
	if err := RequireJSON(c); err != nil {
		return err
	}
	if err := decode(http.MaxBytesReader(c.Writer, c.Request.Body, MaxBody), dst); err != nil {
		return err
	}
	return validate.Struct(dst)
}

// DecodeJSON decodes data into dst as BindJSON decodes a body, with the
// same errors, but does not validate: for a handler that reads the body
// itself (after RequireJSON) to choose what to decode it into.
func DecodeJSON(data []byte, dst any) error {
	return decode(bytes.NewReader(data), dst)
}

// decode reads exactly one JSON value from r into dst.
func decode(r io.Reader, dst any) error {
	dec := jsontext.NewDecoder(r)
	if err := json.UnmarshalDecode(dec, dst, decodeOptions); err != nil {
		return decodeError(err)
	}
	if _, err := dec.ReadToken(); !errors.Is(err, io.EOF) {
		if IsTooLarge(err) {
			return tooLarge(MaxBody)
		}
		return apperr.Malformed("error.json_single_value")
	}
	return nil
}

// RequireJSON refuses (415) a request that carries a body not declared as
// JSON: without a Content-Type, text/plain, a form. A request without a
// body passes; BindJSON then reports it empty. Handlers that read a JSON
// body themselves call it first.
func RequireJSON(c *gin.Context) error {
	r := c.Request
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		return nil
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err == nil &&
		(mt == "application/json" || strings.HasSuffix(mt, "+json")) {
		return nil
	}
	switch r.Method {
	case http.MethodPatch:
		c.Header("Accept-Patch", "application/json")
	case http.MethodPost:
		c.Header("Accept-Post", "application/json")
	}
	return apperr.New(KindUnsupportedMediaType, "error.unsupported_media_type")
}

func decodeError(err error) error {
	var syntax *jsontext.SyntacticError
	var semantic *json.SemanticError
	switch {
	case IsTooLarge(err):
		return tooLarge(MaxBody)
	case errors.Is(err, io.EOF):
		return apperr.Malformed("error.body_empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return apperr.Malformed("error.json_truncated")
	case errors.As(err, &syntax):
		if errors.Is(syntax.Err, jsontext.ErrDuplicateName) {
			name := fieldName(syntax.JSONPointer)
			return &apperr.Error{Kind: apperr.KindMalformed, Msg: apperr.M("error.json_duplicate_field", name),
				Fields: []apperr.FieldError{apperr.Field(name, "msg.duplicate_field")}}
		}
		return apperr.Malformed("error.json_syntax", syntax.ByteOffset)
	case errors.As(err, &semantic):
		name := fieldName(semantic.JSONPointer)
		if errors.Is(semantic.Err, json.ErrUnknownName) {
			return &apperr.Error{Kind: apperr.KindMalformed, Msg: apperr.M("error.unknown_field", name),
				Fields: []apperr.FieldError{apperr.Field(name, "msg.unknown_field")}}
		}
		if name == "" {
			return apperr.Malformed("error.json_not_object")
		}
		return apperr.Invalid("error.invalid_fields", apperr.Field(name, valueKey(semantic)))
	}
	return apperr.Malformed("error.json_value")
}

// fieldName writes a JSON Pointer the way field errors name fields:
// /lines/0/quantity is lines[0].quantity. A token of digits is taken for an
// array index.
func fieldName(p jsontext.Pointer) string {
	var b strings.Builder
	for tok := range p.Tokens() {
		if _, err := strconv.ParseUint(tok, 10, 64); err == nil {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(tok)
	}
	return b.String()
}

var (
	decimalType = reflect.TypeFor[decimal.Decimal]()
	dateType    = reflect.TypeFor[calendar.Date]()
	timeType    = reflect.TypeFor[time.Time]()
)

// valueKey names, for a person, the kind of value a field takes.
func valueKey(e *json.SemanticError) string {
	t := e.GoType
	// A type whose UnmarshalJSON decodes into another reports that one.
	var inner *stdjson.UnmarshalTypeError
	if errors.As(e.Err, &inner) && inner.Type != nil {
		t = inner.Type
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "msg.json_object"
	}
	switch t {
	case decimalType:
		return "msg.number"
	case dateType, timeType:
		return "msg.date"
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return "msg.json_list"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "msg.whole_number"
	case reflect.Float32, reflect.Float64:
		return "msg.number"
	case reflect.String:
		return "msg.json_text"
	case reflect.Bool:
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
