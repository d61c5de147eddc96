package page

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/web"
)

const (
	langCookie  = "madaf_lang"
	flashCookie = "madaf_flash"
)

// errorData is what the error page draws.
type errorData struct {
	Status    int
	Message   string
	RequestID string
}

// Fail answers err with a page: anonymous callers (401) are sent to the
// login page and back; 404, 403, 409, 422, 429 and 500 draw the error page
// with a safe message. Internal errors are logged, never shown.
func (e *Engine) Fail(c *gin.Context, err error) {
	err = web.Unavailable(err)
	kind := apperr.KindOf(err)
	if kind == apperr.KindUnauthorized && auth.Caller(c) == nil {
		e.toLogin(c)
		return
	}
	status := web.StatusOf(err)
	d := errorData{Status: status, RequestID: web.RequestID(c)}
	var ae *apperr.Error
	if errors.As(err, &ae) && kind != apperr.KindInternal {
		d.Message = e.catalogs[LangOf(c)].Msg(ae.Msg)
		if ae.RetryAfter > 0 {
			c.Header("Retry-After", strconv.Itoa(ae.RetryAfter))
		}
	} else {
		c.Error(err)
	}
	e.render(c, status, "error", d, nil)
	c.Abort()
}

// Serve turns a page handler that returns its error into a gin handler: a
// handler draws its page or redirects and returns nil, or returns the
// error that Fail then answers with the error page.
func (e *Engine) Serve(h func(c *gin.Context) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := h(c); err != nil {
			e.Fail(c, err)
		}
	}
}

// toLogin redirects to the login page, which comes back here afterwards.
func (e *Engine) toLogin(c *gin.Context) {
	next := c.Request.URL.RequestURI()
	if c.Request.Method != http.MethodGet {
		next = "/"
	}
	c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(next))
	c.Abort()
}

// Redirect ends a successful POST: 303 to path, with an optional flash
// message key shown once on the next page.
func (e *Engine) Redirect(c *gin.Context, path, flashKey string) {
	if flashKey != "" {
		http.SetCookie(c.Writer, &http.Cookie{Name: flashCookie, Value: url.QueryEscape(flashKey), Path: "/",
			MaxAge: 60, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: auth.IsTLS(c.Request)})
	}
	c.Redirect(http.StatusSeeOther, path)
	c.Abort()
}

// KeepLang remembers lang, the language an anonymous visitor chose, in a
// cookie for a year.
func KeepLang(c *gin.Context, lang string) {
	http.SetCookie(c.Writer, &http.Cookie{Name: langCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: auth.IsTLS(c.Request)})
}

// CookieLang is the language KeepLang remembered for this visitor, or ""
// when there is none the service speaks.
func CookieLang(c *gin.Context) string {
	if l, err := c.Cookie(langCookie); err == nil && validLang(l) {
		return l
	}
	return ""
}

// takeFlash reads and clears the flash message key.
func takeFlash(c *gin.Context) string {
	v, err := c.Cookie(flashCookie)
	if err != nil || v == "" {
		return ""
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: auth.IsTLS(c.Request)})
	key, err := url.QueryUnescape(v)
	if err != nil {
		return ""
	}
	return key
}

// Required sends anonymous visitors to the login page.
func (e *Engine) Required() gin.HandlerFunc {
	return func(c *gin.Context) {
		if auth.Caller(c) == nil {
			e.toLogin(c)
			return
		}
		c.Next()
	}
}

// RequireRole lets through signed-in callers holding one of roles; others
// get the 403 page (anonymous ones the login page).
func (e *Engine) RequireRole(roles ...string) gin.HandlerFunc {
	return func(c *gin.Context) {
		p := auth.Caller(c)
		if p == nil {
			e.toLogin(c)
			return
		}
		if !p.HasAny(roles...) {
			e.Fail(c, apperr.Forbidden("error.forbidden_role"))
			return
		}
		c.Next()
	}
}

// SafeNext returns next when it is a path on this site, else "/": the
// login and language forms never redirect elsewhere.
func SafeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Host != "" || u.Scheme != "" {
		return "/"
	}
	return next
}

// NextURL links the list page after this one: path with the request's
// query and cursor (see paging.Page.Cursor); "" when cursor is "" (this
// page is the last).
func NextURL(c *gin.Context, path, cursor string) string {
	if cursor == "" {
		return ""
	}
	q := c.Request.URL.Query()
	q.Set("cursor", cursor)
	return path + "?" + q.Encode()
}
