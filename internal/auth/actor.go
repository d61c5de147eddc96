package auth

import (
	"github.com/gin-gonic/gin"

	"madaf/internal/database"
	"madaf/internal/web"
)

// Attribute names the caller (or "anonymous"), the client's address and
// the request's id on the request's context, so that every transaction the
// request begins is recorded in the audit trail under them. It runs after
// Identify (and after web.Observe, which gives the request its id).
func Attribute() gin.HandlerFunc {
	return func(c *gin.Context) {
		a := database.Actor{Label: "anonymous", Address: c.ClientIP(), RequestID: web.RequestID(c)}
		if p := Caller(c); p != nil {
			a.UserID, a.Label = p.UserID, p.Email
		}
		c.Request = c.Request.WithContext(database.WithActor(c.Request.Context(), a))
		c.Next()
	}
}
