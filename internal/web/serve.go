package web

import "github.com/gin-gonic/gin"

// Serve turns a JSON handler that returns its answer into a gin handler:
// a non-nil err is answered by Error (problem+json); otherwise body is
// written as JSON with status, or the status alone when body is nil. The
// handler may still set headers (Location, ETag) before it returns.
func Serve(h func(c *gin.Context) (status int, body any, err error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		status, body, err := h(c)
		switch {
		case err != nil:
			Error(c, err)
		case body == nil:
			c.Status(status)
		default:
			c.JSON(status, body)
		}
	}
}
