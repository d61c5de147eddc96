package auth

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// CookieName is the session cookie.
const CookieName = "madaf_session"

// StartSession creates a session for userID and sets its cookie: HttpOnly,
// SameSite=Lax, and Secure when the request came over TLS.
func StartSession(c *gin.Context, s *Store, userID int64) error {
	secret, expires, err := s.NewSession(c.Request.Context(), userID)
	if err != nil {
		return err
	}
	http.SetCookie(c.Writer, &http.Cookie{
		Name: CookieName, Value: secret, Path: "/", Expires: expires,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: IsTLS(c.Request),
	})
	return nil
}

// EndSession deletes the caller's session and its cookie.
func EndSession(c *gin.Context, s *Store) error {
	if secret, err := c.Cookie(CookieName); err == nil && secret != "" {
		if err := s.DeleteSession(c.Request.Context(), secret); err != nil {
			return err
		}
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: CookieName, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: IsTLS(c.Request)})
	return nil
}

// IsTLS reports whether the request reached us (or the proxy in front of
// us) over TLS.
func IsTLS(r *http.Request) bool {
	return r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https"
}
