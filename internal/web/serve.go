package web

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// Serve turns a JSON handler that returns its answer into a gin handler:
// a non-nil err is answered by Error (problem+json); otherwise body is
// written as JSON with status, or the status alone when body is nil. The
// handler may still set headers (Location, ETag) before it returns; a 200
// whose ETag the request's If-None-Match names is answered 304 without a
// body (see NotModified).
func Serve(h func(c *gin.Context) (status int, body any, err error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		status, body, err := h(c)
		switch {
		case err != nil:
			Error(c, err)
		case status == http.StatusOK && NotModified(c):
			c.Status(http.StatusNotModified)
		case body == nil:
			c.Status(status)
		default:
			c.JSON(status, body)
		}
	}
}

// NotModified reports whether a GET (or HEAD) carries an If-None-Match that
// the ETag header already set on the answer satisfies: "*" or a list naming
// it, compared weakly (RFC 9110 §13.1.2). The caller then answers 304
// without a body; the ETag and caching headers stay.
func NotModified(c *gin.Context) bool {
	if c.Request.Method != http.MethodGet && c.Request.Method != http.MethodHead {
		return false
	}
	etag := c.Writer.Header().Get("ETag")
	inm := c.GetHeader("If-None-Match")
	if etag == "" || inm == "" {
		return false
	}
	etag = strings.TrimPrefix(etag, "W/")
	for tag := range strings.SplitSeq(inm, ",") {
		tag = strings.TrimSpace(tag)
		if tag == "*" || strings.TrimPrefix(tag, "W/") == etag {
			return true
		}
	}
	return false
}

// PrivateCache marks answers as the caller's own: a browser may keep them
// but revalidates each time (with If-None-Match where there is an ETag), and
// no shared cache stores them. A handler may set another Cache-Control.
func PrivateCache() gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Header("Cache-Control", "private, no-cache")
		c.Next()
	}
}
