package auth

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"madaf/internal/web"
)

// CookieName is the session cookie.
const CookieName = "madaf_session"

// StartSession creates a session for userID, noting the client's address
// and user agent, and sets its cookie: HttpOnly, SameSite=Lax, and Secure
// when the request came over TLS.
func StartSession(c *gin.Context, s *Store, userID int64) error {
	secret, expires, err := s.OpenSession(c.Request.Context(), userID, c.ClientIP(), c.Request.UserAgent())
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

// SessionSecret is the secret of the session cookie the request carries,
// "" when it carries none.
func SessionSecret(c *gin.Context) string {
	secret, _ := c.Cookie(CookieName)
	return secret
}

// IsTLS reports whether the request reached us, or a trusted proxy in
// front of us, over TLS (see web.IsTLS).
func IsTLS(r *http.Request) bool { return web.IsTLS(r) }
