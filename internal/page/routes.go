package page

import (
	"io/fs"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/i18n"
	"madaf/internal/web"
)

// Mount adds the pages every user shares: / (the user's home), /login,
// /logout, /lang (the language switch), /static/*, and HTML 404 pages for
// unknown paths outside /api/.
func (e *Engine) Mount(r *gin.Engine) {
	static, err := fs.Sub(e.fsys, "static")
	if err != nil {
		panic(err)
	}
	files := http.FileServer(http.FS(static))
	r.GET("/static/*file", func(c *gin.Context) {
		c.Header("Cache-Control", "public, max-age=3600")
		c.Request.URL.Path = c.Param("file")
		files.ServeHTTP(c.Writer, c.Request)
	})
	r.GET("/", e.home)
	r.GET("/login", e.loginForm)
	r.POST("/login", e.login)
	r.POST("/logout", e.logout)
	r.POST("/lang", e.setLang)
	r.NoRoute(func(c *gin.Context) {
		if strings.HasPrefix(c.Request.URL.Path, "/api/") || c.Request.Method != http.MethodGet {
			web.Error(c, apperr.NotFound("not_found.resource"))
			return
		}
		e.Fail(c, apperr.NotFound("error.page_not_found"))
	})
}

// home sends a signed-in user to the first navigation entry they see.
func (e *Engine) home(c *gin.Context) {
	p := auth.Caller(c)
	if p == nil {
		c.Redirect(http.StatusSeeOther, "/login")
		return
	}
	if nav := e.navFor(p); len(nav) > 0 {
		c.Redirect(http.StatusSeeOther, nav[0].Path)
		return
	}
	e.render(c, http.StatusOK, "home", nil, nil)
}

type loginData struct{ Next string }

func (e *Engine) loginForm(c *gin.Context) {
	next := SafeNext(c.Query("next"))
	if auth.Caller(c) != nil {
		c.Redirect(http.StatusSeeOther, next)
		return
	}
	e.render(c, http.StatusOK, "login", loginData{Next: next}, nil)
}

func (e *Engine) login(c *gin.Context) {
	f := ReadForm(c)
	email := f.Text("email", Required)
	password := f.Values.Get("password")
	if password == "" {
		f.Fail("password", "msg.required")
	}
	next := SafeNext(f.Value("next"))
	if !f.Valid() {
		e.render(c, http.StatusUnprocessableEntity, "login", loginData{Next: next}, f)
		return
	}
	u, err := e.auth.Authenticate(c.Request.Context(), email, password, c.ClientIP())
	switch {
	case apperr.Is(err, apperr.KindUnauthorized):
		f.Refuse("login.wrong")
		e.render(c, http.StatusUnauthorized, "login", loginData{Next: next}, f)
		return
	case apperr.Is(err, apperr.KindTooManyRequests):
		f.Refuse("login.throttled")
		e.render(c, http.StatusTooManyRequests, "login", loginData{Next: next}, f)
		return
	case err != nil:
		e.Fail(c, err)
		return
	}
	if err := auth.StartSession(c, e.auth, u.ID); err != nil {
		e.Fail(c, err)
		return
	}
	// The anonymous language choice becomes the user's when they had none
	// other than the default.
	if l, err := c.Cookie(langCookie); err == nil && validLang(l) && l != u.Lang && u.Lang == i18n.DefaultLang {
		e.auth.SetLang(c.Request.Context(), u.ID, l)
	}
	c.Redirect(http.StatusSeeOther, next)
}

func (e *Engine) logout(c *gin.Context) {
	if err := auth.EndSession(c, e.auth); err != nil {
		e.Fail(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/login")
}

// setLang keeps the language: on the user when signed in, in a cookie for
// anonymous visitors; then it goes back to the page it was chosen on.
func (e *Engine) setLang(c *gin.Context) {
	f := ReadForm(c)
	lang := f.Value("lang")
	next := SafeNext(f.Value("next"))
	if !validLang(lang) {
		e.Fail(c, apperr.Invalid("msg.lang", apperr.Field("lang", "msg.lang")))
		return
	}
	if p := auth.Caller(c); p != nil {
		if err := e.auth.SetLang(c.Request.Context(), p.UserID, lang); err != nil {
			e.Fail(c, err)
			return
		}
	} else {
		http.SetCookie(c.Writer, &http.Cookie{Name: langCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: auth.IsTLS(c.Request)})
	}
	c.Redirect(http.StatusSeeOther, next)
}
