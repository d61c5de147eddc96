package auth

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"madaf/internal/apperr"
	"madaf/internal/web"
)

// EnrolmentPath is the page where a user enrols a second factor.
const EnrolmentPath = "/account/2fa"

// secondFactorExempt reports whether r is one of the few requests a
// session still makes while its user's second factor is due: the
// enrolment pages, signing out (or in again), the language switch and the
// static files.
func secondFactorExempt(r *http.Request) bool {
	p := r.URL.Path
	switch {
	case p == EnrolmentPath, strings.HasPrefix(p, EnrolmentPath+"/"), strings.HasPrefix(p, "/static/"):
		return true
	case p == "/logout", p == "/lang", p == "/api/v1/auth/logout", p == "/api/v1/auth/login":
		return r.Method == http.MethodPost
	}
	return false
}

// requireEnrolment answers a request of a caller whose user must enrol a
// second factor first, by session or by API token alike: a page goes to
// the enrolment page (303), the API answers 403 with
// account.second_factor_required. The enrolment itself is a page, so a
// token of such a user does nothing until the user has enrolled.
func requireEnrolment(c *gin.Context) {
	if strings.HasPrefix(c.Request.URL.Path, "/api/") {
		web.Error(c, apperr.Forbidden("account.second_factor_required"))
		return
	}
	c.Redirect(http.StatusSeeOther, EnrolmentPath)
	c.Abort()
}
