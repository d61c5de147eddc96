// Package apperr is the one application error type every feature returns.
// A handler never decides a status code itself: it returns an *Error (or any
// error) and the responders turn it into problem+json or an error page.
//
// An error never holds a sentence: it holds a message key of the catalogs in
// templates/i18n and the message's arguments, and whoever shows it (a page,
// a mail, the API's English detail) translates it.
package apperr

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// Kind classifies an error; each kind is answered with one HTTP status. It
// is a string because stored answers (idempotency keys) keep it.
type Kind string

const (
	KindInternal        Kind = "internal"            // 500, never shown to the caller
	KindInvalid         Kind = "invalid"             // 422: the request is well-formed but breaks a rule
	KindMalformed       Kind = "malformed"           // 400: the request cannot be read
	KindUnauthorized    Kind = "unauthorized"        // 401
	KindForbidden       Kind = "forbidden"           // 403: in scope, wrong role
	KindNotFound        Kind = "not-found"           // 404: missing or out of scope
	KindConflict        Kind = "conflict"            // 409: wrong state or no capacity
	KindPrecondition    Kind = "precondition-failed" // 412: stale If-Match
	KindTooLarge        Kind = "too-large"           // 413
	KindTooManyRequests Kind = "too-many-requests"   // 429
)

// legacyKinds are the numbers kinds were stored as before they were strings.
var legacyKinds = []Kind{KindInternal, KindInvalid, KindMalformed, KindUnauthorized, KindForbidden,
	KindNotFound, KindConflict, KindPrecondition, KindTooLarge, KindTooManyRequests}

// UnmarshalJSON reads a kind, also in the numeric form of earlier answers.
func (k *Kind) UnmarshalJSON(b []byte) error {
	var n int
	if err := json.Unmarshal(b, &n); err == nil {
		if n < 0 || n >= len(legacyKinds) {
			return fmt.Errorf("apperr: unknown kind %d", n)
		}
		*k = legacyKinds[n]
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	*k = Kind(s)
	return nil
}

// Arg is one argument of a message: a literal text (a number, an amount, a
// name) or a catalog key that the reader's language translates (a status,
// a role).
type Arg struct {
	Text string `json:"text,omitempty"`
	Key  string `json:"key,omitempty"`
}

// K is an argument translated from the catalog key key.
func K(key string) Arg { return Arg{Key: key} }

// Msg is a message for a person: a catalog key and its arguments.
type Msg struct {
	Key  string `json:"key"`
	Args []Arg  `json:"args,omitempty"`
}

// M is the message key with args. An argument is an Arg (see K), a Msg's
// key, a decimal (two decimals), or anything else as fmt prints it.
func M(key string, args ...any) Msg {
	m := Msg{Key: key}
	for _, a := range args {
		m.Args = append(m.Args, arg(a))
	}
	return m
}

func arg(a any) Arg {
	switch v := a.(type) {
	case Arg:
		return v
	case string:
		return Arg{Text: v}
	case decimal.Decimal:
		return Arg{Text: v.StringFixed(2)}
	case *decimal.Decimal:
		if v == nil {
			return Arg{}
		}
		return Arg{Text: v.StringFixed(2)}
	}
	return Arg{Text: fmt.Sprint(a)}
}

// IsZero reports whether m holds no message.
func (m Msg) IsZero() bool { return m.Key == "" }

// String is the key and its arguments, for logs and test failures.
func (m Msg) String() string {
	if len(m.Args) == 0 {
		return m.Key
	}
	parts := make([]string, len(m.Args))
	for i, a := range m.Args {
		if a.Key != "" {
			parts[i] = "{" + a.Key + "}"
		} else {
			parts[i] = a.Text
		}
	}
	return m.Key + "(" + strings.Join(parts, ", ") + ")"
}

// FieldError names one field of the request and what is wrong with it.
type FieldError struct {
	Field string `json:"field"`
	Msg
}

// Error is an error that is safe to show: its message is a catalog key with
// arguments and never holds internals.
type Error struct {
	Kind Kind
	Msg
	Fields []FieldError
	// Extra carries structured details for the caller (e.g. what is left of
	// a ceiling); it is merged into the problem document.
	Extra map[string]any
	// RetryAfter, in seconds, for KindTooManyRequests.
	RetryAfter int
}

func (e *Error) Error() string {
	s := string(e.Kind) + ": " + e.Msg.String()
	for _, f := range e.Fields {
		s += "; " + f.Field + ": " + f.Msg.String()
	}
	return s
}

// New is an error of kind with the message key and its arguments.
func New(kind Kind, key string, args ...any) *Error {
	return &Error{Kind: kind, Msg: M(key, args...)}
}

// ErrNotFound is returned by stores when a row does not exist or is out of
// the caller's scope. Handlers may return it directly.
var ErrNotFound = New(KindNotFound, "not_found.resource")

// NotFound is a 404 with the message key (e.g. "not_found.order").
func NotFound(key string, args ...any) *Error { return New(KindNotFound, key, args...) }

// Invalid is a 422 with per-field errors.
func Invalid(key string, fields ...FieldError) *Error {
	return &Error{Kind: KindInvalid, Msg: M(key), Fields: fields}
}

// Field is one FieldError: the field and the message key with its arguments.
func Field(field, key string, args ...any) FieldError {
	return FieldError{Field: field, Msg: M(key, args...)}
}

// Malformed is a 400.
func Malformed(key string, args ...any) *Error { return New(KindMalformed, key, args...) }

// Conflict is a 409.
func Conflict(key string, args ...any) *Error { return New(KindConflict, key, args...) }

// Forbidden is a 403.
func Forbidden(key string, args ...any) *Error { return New(KindForbidden, key, args...) }

// Unauthorized is a 401.
func Unauthorized(key string, args ...any) *Error { return New(KindUnauthorized, key, args...) }

// KindOf reports the kind of err; errors that are not *Error are internal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// Is reports whether err is an *Error of kind k.
func Is(err error, k Kind) bool { return err != nil && KindOf(err) == k }

// Wrap adds the operation to a non-nil internal error, so that the log says
// where it came from: defer apperr.Wrap(&err, "orders.Submit(%d)", id). An
// *Error (a refusal for the caller) is left as it is.
func Wrap(errp *error, format string, args ...any) {
	if *errp == nil {
		return
	}
	var e *Error
	if errors.As(*errp, &e) {
		return
	}
	*errp = fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), *errp)
}
