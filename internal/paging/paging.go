// Package paging is keyset paging: a page request, its cursor and the list
// answer every list endpoint gives.
package paging

import (
	"encoding/base64"
	"strconv"

	"madaf/internal/apperr"
)

// Page is a keyset page request: at most Limit rows after the row whose key
// is After (0 for the first page).
type Page struct {
	Limit int
	After int64
}

// Parse reads a limit (1–200, default 50) and a cursor this service gave;
// empty strings take the defaults.
func Parse(limit, cursor string) (Page, error) {
	p := Page{Limit: 50}
	if limit != "" {
		n, err := strconv.Atoi(limit)
		if err != nil || n < 1 || n > 200 {
			return p, apperr.Invalid("error.bad_paging", apperr.Field("limit", "msg.limit"))
		}
		p.Limit = n
	}
	if cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(cursor)
		n, err2 := strconv.ParseInt(string(b), 10, 64)
		if err != nil || err2 != nil || n < 0 {
			return p, apperr.Invalid("error.bad_paging", apperr.Field("cursor", "msg.cursor"))
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

// Of is the list answer of one page of items: when the page is full, its
// cursor leads past the key of its last item.
func Of[T any](p Page, items []T, key func(T) int64) List[T] {
	l := List[T]{Items: items}
	if len(items) > 0 {
		l.NextCursor = p.Cursor(len(items), key(items[len(items)-1]))
	}
	return l
}
