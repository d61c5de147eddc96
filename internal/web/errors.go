// Package web holds what every feature's HTTP handlers share: the one error
// responder (problem+json), strict JSON binding, and the middleware.
package web

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"madaf/internal/apperr"
	"madaf/internal/i18n"
)

// Problem is an RFC 9457 problem document. Code is the message key of the
// error (a client may translate it; the OpenAPI document lists them) and
// Detail its English text.
type Problem struct {
	Type      string         `json:"type"`
	Title     string         `json:"title"`
	Status    int            `json:"status"`
	Code      string         `json:"code"`
	Detail    string         `json:"detail,omitempty"`
	Errors    []ProblemField `json:"errors,omitempty"`
	RequestID string         `json:"request_id,omitempty"`
}

// ProblemField is one field error of a problem: the field as the client
// named it, the message key and its English text.
type ProblemField struct {
	Field   string `json:"field"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

var statuses = map[apperr.Kind]int{
	apperr.KindInternal:        http.StatusInternalServerError,
	apperr.KindInvalid:         http.StatusUnprocessableEntity,
	apperr.KindMalformed:       http.StatusBadRequest,
	apperr.KindUnauthorized:    http.StatusUnauthorized,
	apperr.KindForbidden:       http.StatusForbidden,
	apperr.KindNotFound:        http.StatusNotFound,
	apperr.KindConflict:        http.StatusConflict,
	apperr.KindPrecondition:    http.StatusPreconditionFailed,
	apperr.KindTooLarge:        http.StatusRequestEntityTooLarge,
	apperr.KindTooManyRequests: http.StatusTooManyRequests,
}

// StatusOf is the HTTP status for err.
func StatusOf(err error) int {
	if s, ok := statuses[apperr.KindOf(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// internalMsg is what the caller of an internal error is told.
var internalMsg = apperr.M("error.internal")

// Error writes err as problem+json and aborts the request. An error that is
// not an *apperr.Error is an internal error: it is logged with the request
// id and the caller sees only a generic message.
func Error(c *gin.Context, err error) {
	kind := apperr.KindOf(err)
	status := StatusOf(err)
	en := i18n.For("en")
	p := Problem{
		Type:      "urn:madaf:problem:" + string(kind),
		Title:     http.StatusText(status),
		Status:    status,
		RequestID: RequestID(c),
	}
	var extra map[string]any
	var ae *apperr.Error
	msg := internalMsg
	if errors.As(err, &ae) && kind != apperr.KindInternal {
		msg = ae.Msg
		for _, f := range ae.Fields {
			p.Errors = append(p.Errors, ProblemField{Field: f.Field, Code: f.Key, Message: en.Msg(f.Msg)})
		}
		extra = ae.Extra
		if ae.RetryAfter > 0 {
			c.Header("Retry-After", strconv.Itoa(ae.RetryAfter))
		}
	} else {
		kind = apperr.KindInternal
		c.Error(err) // logged by the access log middleware, never sent
	}
	p.Code, p.Detail = msg.Key, en.Msg(msg)
	c.Header("Content-Type", "application/problem+json")
	if len(extra) == 0 {
		c.AbortWithStatusJSON(status, p)
		return
	}
	body := map[string]any{
		"type": p.Type, "title": p.Title, "status": p.Status, "code": p.Code, "detail": p.Detail, "request_id": p.RequestID,
	}
	if len(p.Errors) > 0 {
		body["errors"] = p.Errors
	}
	for key, v := range extra {
		if _, taken := body[key]; !taken {
			body[key] = v
		}
	}
	c.AbortWithStatusJSON(status, body)
}

// Logger returns the request-scoped logger (with the request id).
func Logger(c *gin.Context) *slog.Logger {
	if l, ok := c.Get(loggerKey); ok {
		return l.(*slog.Logger)
	}
	return slog.Default()
}
