package auth

import (
	"strings"

	"github.com/gin-gonic/gin"

	"madaf/internal/apperr"
	"madaf/internal/web"
)

const principalKey = "madaf.principal"

// Identify puts the caller on the request when it carries a valid bearer
// token or session cookie. A bearer token that is wrong, revoked or expired
// is refused at once (401); a stale cookie is ignored.
func Identify(s *Store) gin.HandlerFunc {
	return func(c *gin.Context) {
		if h := c.GetHeader("Authorization"); h != "" {
			secret, ok := strings.CutPrefix(h, "Bearer ")
			if !ok {
				web.Error(c, apperr.Unauthorized("auth.bearer_format"))
				return
			}
			p, err := s.TokenPrincipal(c.Request.Context(), strings.TrimSpace(secret))
			if err != nil {
				if apperr.Is(err, apperr.KindNotFound) {
					err = apperr.Unauthorized("auth.token_invalid")
				}
				web.Error(c, err)
				return
			}
			p.ViaToken = true
			c.Set(principalKey, p)
		} else if secret, err := c.Cookie(CookieName); err == nil && secret != "" {
			if p, err := s.SessionPrincipal(c.Request.Context(), secret); err == nil {
				c.Set(principalKey, p)
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

// Required refuses requests without a caller (401).
func Required() gin.HandlerFunc {
	return func(c *gin.Context) {
		if Caller(c) == nil {
			web.Error(c, apperr.Unauthorized("auth.required"))
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
			web.Error(c, apperr.Unauthorized("auth.required"))
			return
		}
		if !p.HasAny(roles...) {
			web.Error(c, apperr.Forbidden("auth.role_required", strings.Join(roles, ", ")))
			return
		}
		c.Next()
	}
}
