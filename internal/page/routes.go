package page

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/web"
)

// Mount adds the pages every user shares: / (the user's home), /static/*
// (fingerprinted, see the template function asset), and HTML 404 and 405
// pages for unknown paths and methods outside /api/. The login page and
// the language switch are the accounts feature's.
func (e *Engine) Mount(r *gin.Engine) {
	r.GET("/static/*file", e.Serve(e.assets.Serve))
	r.GET("/", e.home)
	r.NoRoute(func(c *gin.Context) {
		if strings.HasPrefix(c.Request.URL.Path, "/api/") || c.Request.Method != http.MethodGet {
			web.Error(c, apperr.NotFound("not_found.resource"))
			return
		}
		e.Fail(c, apperr.NotFound("error.page_not_found"))
	})
	r.NoMethod(func(c *gin.Context) {
		if strings.HasPrefix(c.Request.URL.Path, "/api/") {
			web.Error(c, web.MethodNotAllowed(c))
			return
		}
		e.Fail(c, web.MethodNotAllowed(c))
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
