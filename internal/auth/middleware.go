package auth

import (
	"log/slog"
	"strings"

	"github.com/gin-gonic/gin"

	"madaf/internal/apperr"
	"madaf/internal/web"
)

const principalKey = "madaf.principal"

// Identify puts the caller on the request when it carries a valid bearer
// token or session cookie. A bearer token that is wrong, revoked or expired
// is refused at once (401); a cookie of no live session is ignored. A
// caller whose user has yet to enrol a second factor their roles or
// delegations require reaches only the enrolment, whether it comes with a
// session or a token, and whenever the token was made (see
// requireEnrolment): the requirement is read afresh on every request. When
// the token or the session cannot be looked up (the database is
// unavailable), the request is answered by fail, with the lookup's error,
// and goes no further: it is neither anonymous nor refused.
func Identify(s *Store, fail func(c *gin.Context, err error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		var p *Principal
		if h := c.GetHeader("Authorization"); h != "" {
			secret, ok := strings.CutPrefix(h, "Bearer ")
			if !ok {
				web.Error(c, apperr.Unauthorized("auth.bearer_format"))
				return
			}
			tp, err := s.TokenPrincipal(c.Request.Context(), strings.TrimSpace(secret))
			switch {
			case apperr.Is(err, apperr.KindNotFound):
				SecurityEvent(c, slog.LevelWarn, "token_refused", "")
				web.Error(c, apperr.Unauthorized("auth.token_invalid"))
				return
			case err != nil:
				fail(c, err)
				return
			}
			tp.ViaToken = true
			p = tp
		} else if secret, err := c.Cookie(CookieName); err == nil && secret != "" {
			sp, err := s.SessionPrincipal(c.Request.Context(), secret)
			switch {
			case err == nil:
				p = sp
			case !apperr.Is(err, apperr.KindNotFound):
				fail(c, err)
				return
			}
		}
		if p != nil {
			c.Set(principalKey, p)
			if p.SecondFactorDue && !secondFactorExempt(c.Request) {
				if p.ViaToken {
					SecurityEvent(c, slog.LevelWarn, "token_refused", "", "reason", "second_factor_due")
				}
				requireEnrolment(c)
				return
			}
		}
		c.Next()
	}
}

// SecurityEvent logs event (sign_in, sign_in_failed, token_created, …) on
// the request's logger with the attribute security=event, the client's
// address, the account (the caller's e-mail when account is empty) and the
// user agent, then attrs. Refusals are logged at warning level, the rest
// at info.
func SecurityEvent(c *gin.Context, level slog.Level, event, account string, attrs ...any) {
	if account == "" {
		if p := Caller(c); p != nil {
			account = p.Email
		}
	}
	attrs = append([]any{"security", event, "client", c.ClientIP(), "account", account,
		"user_agent", c.Request.UserAgent()}, attrs...)
	web.Logger(c).Log(c.Request.Context(), level, "security event", attrs...)
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
