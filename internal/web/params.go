package web

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"madaf/internal/apperr"
)

// ParamID reads a numeric path parameter; anything that is not a positive
// id answers 404 naming what, as a missing id would.
func ParamID(c *gin.Context, name, what string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, apperr.NotFound(what)
	}
	return id, nil
}

// Page is a keyset page request: at most Limit rows after the row whose key
// is After (0 for the first page).
type Page struct {
	Limit int
	After int64
}

// ParsePage reads ?limit= (1–200, default 50) and ?cursor=.
func ParsePage(c *gin.Context) (Page, error) {
	p := Page{Limit: 50}
	if s := c.Query("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 200 {
			return p, apperr.Invalid("bad paging", apperr.Field("limit", "must be a whole number from 1 to 200"))
		}
		p.Limit = n
	}
	if s := c.Query("cursor"); s != "" {
		b, err := base64.RawURLEncoding.DecodeString(s)
		n, err2 := strconv.ParseInt(string(b), 10, 64)
		if err != nil || err2 != nil || n < 0 {
			return p, apperr.Invalid("bad paging", apperr.Field("cursor", "is not a cursor this service gave"))
		}
		p.After = n
	}
	return p, nil
}

// Cursor encodes the key of the last row of a full page; "" when the page
// was not full (there is nothing after it).
func (p Page) Cursor(rows int, lastKey int64) string {
	if rows < p.Limit {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(lastKey, 10)))
}

// List is the JSON shape of every list answer.
type List[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// ListPage is the list answer of one page of items: when the page is
// full, its cursor leads past the key of its last item.
func ListPage[T any](p Page, items []T, key func(T) int64) List[T] {
	l := List[T]{Items: items}
	if len(items) > 0 {
		l.NextCursor = p.Cursor(len(items), key(items[len(items)-1]))
	}
	return l
}

// FieldInvalid is a 422 naming one field of the query or body.
func FieldInvalid(field, message string) error {
	return apperr.Invalid("the request has invalid fields", apperr.FieldError{Field: field, Message: message})
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
