package auth

import (
	"strings"

	"github.com/gin-gonic/gin"

	"madaf/internal/apperr"
	"madaf/internal/web"
)

// CookieName is the session cookie.
const CookieName = "madaf_session"

const principalKey = "madaf.principal"

// Identify puts the caller on the request when it carries a valid bearer
// token or session cookie. A bearer token that is wrong, revoked or expired
// is refused at once (401); a stale cookie is ignored.
func Identify(s *Store) gin.HandlerFunc {
	return func(c *gin.Context) {
		if h := c.GetHeader("Authorization"); h != "" {
			secret, ok := strings.CutPrefix(h, "Bearer ")
			if !ok {
				web.Error(c, apperr.Unauthorized("the Authorization header must be \"Bearer <token>\""))
				return
			}
			u, err := s.TokenUser(c.Request.Context(), strings.TrimSpace(secret))
			if err != nil {
				if apperr.Is(err, apperr.KindNotFound) {
					err = apperr.Unauthorized("the API token is not valid or was revoked")
				}
				web.Error(c, err)
				return
			}
			p := u.Principal()
			p.ViaToken = true
			c.Set(principalKey, p)
		} else if secret, err := c.Cookie(CookieName); err == nil && secret != "" {
			if u, err := s.SessionUser(c.Request.Context(), secret); err == nil {
				c.Set(principalKey, u.Principal())
			}
		}
		c.Next()
	}
}

// Caller returns the authenticated caller, or nil.
func Caller(c *gin.Context) *Principal {
	if p, ok := c.Get(principalKey); ok {
		return p.(*Principal)
	}
	return nil
}

// SetCaller puts p on the request (for tests and sub-routers).
func SetCaller(c *gin.Context, p *Principal) { c.Set(principalKey, p) }

// Required refuses requests without a caller (401).
func Required() gin.HandlerFunc {
	return func(c *gin.Context) {
		if Caller(c) == nil {
			web.Error(c, apperr.Unauthorized("log in or send an API token"))
			return
		}
		c.Next()
	}
}

// RequireRole refuses callers that hold none of roles (403). Use it only
// where the resource is not scoped; scoped resources answer 404 first.
func RequireRole(roles ...string) gin.HandlerFunc {
	return func(c *gin.Context) {
		p := Caller(c)
		if p == nil {
			web.Error(c, apperr.Unauthorized("log in or send an API token"))
			return
		}
		if !p.HasAny(roles...) {
			web.Error(c, apperr.Forbidden("this needs one of the roles: %s", strings.Join(roles, ", ")))
			return
		}
		c.Next()
	}
}
