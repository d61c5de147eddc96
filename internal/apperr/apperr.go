// Package apperr is the one application error type every feature returns.
// A handler never decides a status code itself: it returns an *Error (or any
// error) and internal/web turns it into problem+json.
package apperr

import (
	"errors"
	"fmt"
)

// Kind classifies an error; internal/web maps each kind to one HTTP status.
type Kind int

const (
	KindInternal        Kind = iota // 500, never shown to the caller
	KindInvalid                     // 422: the request is well-formed but breaks a rule
	KindMalformed                   // 400: the request cannot be read
	KindUnauthorized                // 401
	KindForbidden                   // 403: in scope, wrong role
	KindNotFound                    // 404: missing or out of scope
	KindConflict                    // 409: wrong state or no capacity
	KindPrecondition                // 412: stale If-Match
	KindTooLarge                    // 413
	KindTooManyRequests             // 429
)

// FieldError names one field of the request and what is wrong with it.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is an error that is safe to show: Message never holds internals.
type Error struct {
	Kind    Kind
	Message string
	Fields  []FieldError
	// Extra carries structured details for the caller (e.g. what is left of
	// a ceiling); it is merged into the problem document.
	Extra map[string]any
	// RetryAfter, in seconds, for KindTooManyRequests.
	RetryAfter int
}

func (e *Error) Error() string { return e.Message }

// ErrNotFound is returned by stores when a row does not exist or is out of
// the caller's scope. Handlers may return it directly.
var ErrNotFound = &Error{Kind: KindNotFound, Message: "not found"}

// NotFound says that the named thing does not exist (or is out of scope).
func NotFound(what string) *Error {
	return &Error{Kind: KindNotFound, Message: what + " not found"}
}

// Invalid is a 422 with per-field errors.
func Invalid(msg string, fields ...FieldError) *Error {
	return &Error{Kind: KindInvalid, Message: msg, Fields: fields}
}

// Field is shorthand for one FieldError.
func Field(field, format string, args ...any) FieldError {
	return FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// Malformed is a 400.
func Malformed(format string, args ...any) *Error {
	return &Error{Kind: KindMalformed, Message: fmt.Sprintf(format, args...)}
}

// Conflict is a 409.
func Conflict(format string, args ...any) *Error {
	return &Error{Kind: KindConflict, Message: fmt.Sprintf(format, args...)}
}

// Forbidden is a 403.
func Forbidden(format string, args ...any) *Error {
	return &Error{Kind: KindForbidden, Message: fmt.Sprintf(format, args...)}
}

// Unauthorized is a 401.
func Unauthorized(format string, args ...any) *Error {
	return &Error{Kind: KindUnauthorized, Message: fmt.Sprintf(format, args...)}
}

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
