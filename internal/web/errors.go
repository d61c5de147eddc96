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
)

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type      string              `json:"type"`
	Title     string              `json:"title"`
	Status    int                 `json:"status"`
	Detail    string              `json:"detail,omitempty"`
	Errors    []apperr.FieldError `json:"errors,omitempty"`
	RequestID string              `json:"request_id,omitempty"`
}

var kinds = map[apperr.Kind]struct {
	status int
	slug   string
}{
	apperr.KindInternal:        {http.StatusInternalServerError, "internal"},
	apperr.KindInvalid:         {http.StatusUnprocessableEntity, "invalid"},
	apperr.KindMalformed:       {http.StatusBadRequest, "malformed"},
	apperr.KindUnauthorized:    {http.StatusUnauthorized, "unauthorized"},
	apperr.KindForbidden:       {http.StatusForbidden, "forbidden"},
	apperr.KindNotFound:        {http.StatusNotFound, "not-found"},
	apperr.KindConflict:        {http.StatusConflict, "conflict"},
	apperr.KindPrecondition:    {http.StatusPreconditionFailed, "precondition-failed"},
	apperr.KindTooLarge:        {http.StatusRequestEntityTooLarge, "too-large"},
	apperr.KindTooManyRequests: {http.StatusTooManyRequests, "too-many-requests"},
}

// StatusOf is the HTTP status for err.
func StatusOf(err error) int { return kinds[apperr.KindOf(err)].status }

// Error writes err as problem+json and aborts the request. An error that is
// not an *apperr.Error is an internal error: it is logged with the request
// id and the caller sees only a generic message.
func Error(c *gin.Context, err error) {
	kind := apperr.KindOf(err)
	k := kinds[kind]
	p := Problem{
		Type:      "urn:madaf:problem:" + k.slug,
		Title:     http.StatusText(k.status),
		Status:    k.status,
		RequestID: RequestID(c),
	}
	var extra map[string]any
	var ae *apperr.Error
	if errors.As(err, &ae) && kind != apperr.KindInternal {
		p.Detail = ae.Message
		p.Errors = ae.Fields
		extra = ae.Extra
		if ae.RetryAfter > 0 {
			c.Header("Retry-After", strconv.Itoa(ae.RetryAfter))
		}
	} else {
		p.Detail = "an internal error occurred; quote the request id when reporting it"
		c.Error(err) // logged by the access log middleware, never sent
	}
	c.Header("Content-Type", "application/problem+json")
	if len(extra) == 0 {
		c.AbortWithStatusJSON(k.status, p)
		return
	}
	body := map[string]any{
		"type": p.Type, "title": p.Title, "status": p.Status, "detail": p.Detail, "request_id": p.RequestID,
	}
	if len(p.Errors) > 0 {
		body["errors"] = p.Errors
	}
	for key, v := range extra {
		if _, taken := body[key]; !taken {
			body[key] = v
		}
	}
	c.AbortWithStatusJSON(k.status, body)
}

// Logger returns the request-scoped logger (with the request id).
func Logger(c *gin.Context) *slog.Logger {
	if l, ok := c.Get(loggerKey); ok {
		return l.(*slog.Logger)
	}
	return slog.Default()
}
