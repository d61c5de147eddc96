// Package web holds what every feature's HTTP handlers share: the one error
// responder (problem+json), strict JSON binding, conditional GETs, and the
// middleware (request ids and access log, compression, HEAD and OPTIONS,
// security headers, body limits).
package web

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"madaf/internal/apperr"
	"madaf/internal/database"
	"madaf/internal/i18n"
)

// Problem is an RFC 9457 problem document. Code is the message key of the
// error (a client may translate it; the OpenAPI document lists them) and
// Detail its English text. Instance is the path of the request.
type Problem struct {
	Type      string         `json:"type"`
	Title     string         `json:"title"`
	Status    int            `json:"status"`
	Code      string         `json:"code"`
	Detail    string         `json:"detail,omitempty"`
	Instance  string         `json:"instance,omitempty"`
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

// Kinds of error only the HTTP layer raises: a method the route does not
// take, a body in a format the endpoint does not read.
const (
	KindMethodNotAllowed     apperr.Kind = "method-not-allowed"     // 405
	KindUnsupportedMediaType apperr.Kind = "unsupported-media-type" // 415
)

// MethodNotAllowed is the 405 for the request's method; the Allow header
// gin sets lists the methods the path takes.
func MethodNotAllowed(c *gin.Context) error {
	return apperr.New(KindMethodNotAllowed, "error.method_not_allowed", Method(c))
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
	KindMethodNotAllowed:       http.StatusMethodNotAllowed,
	KindUnsupportedMediaType:   http.StatusUnsupportedMediaType,
	database.KindUnavailable:   http.StatusServiceUnavailable,
}

// StatusOf is the HTTP status for err: 503 for a database that cannot be
// reached (see Unavailable), else the status of its kind.
func StatusOf(err error) int {
	if s, ok := statuses[apperr.KindOf(Unavailable(err))]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Unavailable is err, or, when err is an internal error saying that the
// database cannot be reached or did not answer in time
// (database.IsUnavailable), the database's Unavailable error: 503 with
// Retry-After. Every responder passes errors through it, so that no caller
// sees a 500 for an outage.
func Unavailable(err error) error {
	if apperr.KindOf(err) == apperr.KindInternal && database.IsUnavailable(err) {
		return database.Unavailable(err)
	}
	return err
}

// internalMsg is what the caller of an internal error is told.
var internalMsg = apperr.M("error.internal")

// Error writes err as problem+json and aborts the request. An error that is
// not an *apperr.Error is an internal error: it is logged with the request
// id and the caller sees only a generic message; so is the cause of a 503.
// A 401 carries the bearer challenge (RFC 6750), a 503 (and a 429) a
// Retry-After.
func Error(c *gin.Context, err error) {
	err = Unavailable(err)
	kind := apperr.KindOf(err)
	status := StatusOf(err)
	en := i18n.For("en")
	p := Problem{
		Type:      "urn:madaf:problem:" + string(kind),
		Title:     http.StatusText(status),
		Status:    status,
		Instance:  c.Request.URL.Path,
		RequestID: RequestID(c),
	}
	if status == http.StatusUnauthorized {
		c.Header("WWW-Authenticate", bearerChallenge(c.GetHeader("Authorization")))
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
		if status == http.StatusServiceUnavailable {
			c.Error(err) // the cause, for the access log
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
		"type": p.Type, "title": p.Title, "status": p.Status, "code": p.Code, "detail": p.Detail,
		"instance": p.Instance, "request_id": p.RequestID,
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

// bearerChallenge is the WWW-Authenticate value of a 401: a caller that
// sent credentials learns whether they were malformed or refused.
func bearerChallenge(authorization string) string {
	const realm = `Bearer realm="madaf"`
	switch {
	case authorization == "":
		return realm
	case strings.HasPrefix(authorization, "Bearer "):
		return realm + `, error="invalid_token"`
	}
	return realm + `, error="invalid_request"`
}

// Logger returns the request-scoped logger (with the request id).
func Logger(c *gin.Context) *slog.Logger {
	if l, ok := c.Get(loggerKey); ok {
		return l.(*slog.Logger)
	}
	return slog.Default()
}
