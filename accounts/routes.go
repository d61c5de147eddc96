package accounts

import (
	"github.com/gin-gonic/gin"

	"madaf/internal/auth"
	"madaf/internal/page"
	"madaf/internal/server"
	"madaf/internal/web"
)

// Routes is the accounts' route table: the users' store, and the sessions
// and tokens store the auth middleware reads.
type Routes struct {
	Store    *Store
	Sessions *auth.Store
	// BaseURL is the service's public address, for the links in mails
	// (the default of MADAF_BASE_URL when empty).
	BaseURL string
	// SecretKey seals the second factors' secrets (MADAF_SECRET_KEY); nil
	// is the development key.
	SecretKey *auth.SecretKey
}

// Mount adds the accounts API under r.API and, when r draws pages, the
// sign-in, sign-out, language and user administration pages.
func (rt Routes) Mount(r server.Router) {
	store := rt.Store.WithBaseURL(rt.BaseURL).WithSecretKey(rt.SecretKey)
	if r.API != nil {
		mountAPI(r.API, store, rt.Sessions)
	}
	if r.Pages != nil {
		mountPages(r.Site, r.Pages, store, rt.Sessions)
	}
}

// mountAPI adds the accounts API under api (/api/v1): signing in and out,
// a forgotten password, the caller (/me) with its password, sessions and
// tokens, and the user administration (cluster_admin only).
func mountAPI(api *gin.RouterGroup, s *Store, sessions *auth.Store) {
	h := &handlers{store: s, sessions: sessions}
	api.POST("/auth/login", web.Serve(h.login))
	api.POST("/auth/logout", web.Serve(h.logout))
	api.POST("/auth/forgot", web.Serve(h.forgotPassword))
	authed := api.Group("", auth.Required())
	authed.GET("/me", web.Serve(h.me))
	authed.PATCH("/me", web.Serve(h.updateMe))
	authed.POST("/me/password", web.Serve(h.changePassword))
	authed.GET("/me/sessions", web.Serve(h.listSessions))
	authed.DELETE("/me/sessions/:id", web.Serve(h.endSession))
	authed.GET("/auth/tokens", web.Serve(h.listTokens))
	authed.POST("/auth/tokens", web.Serve(h.createToken))
	authed.DELETE("/auth/tokens/:id", web.Serve(h.revokeToken))

	users := api.Group("/users", auth.RequireRole(auth.RoleClusterAdmin))
	users.GET("", web.Serve(h.listUsers))
	users.POST("", web.Serve(h.createUser))
	users.POST("/:id/deactivate", web.Serve(h.setActive(false)))
	users.POST("/:id/activate", web.Serve(h.setActive(true)))
	users.POST("/:id/password-link", web.Serve(h.sendPasswordLink))
}

// mountPages adds /login (with its second step /login/code), /logout,
// /lang (the language switch), the forgotten password (/forgot) and the
// links that set one (/reset/{token}), the user's /account with its second
// factor (/account/2fa), and the cluster admin's /admin/users to r.
func mountPages(r gin.IRouter, eng *page.Engine, s *Store, sessions *auth.Store) {
	p := &pages{eng: eng, store: s, sessions: sessions, login: eng.MustPage("login"), loginCode: eng.MustPage("login_code"),
		forgot: eng.MustPage("login_forgot"), reset: eng.MustPage("reset"), account: eng.MustPage("account"),
		secondFactor: eng.MustPage("account_2fa"), users: eng.MustPage("users")}
	r.GET("/login", eng.Serve(p.loginForm))
	r.POST("/login", eng.Serve(p.signIn))
	r.POST("/login/code", eng.Serve(p.signInCode))
	r.POST("/logout", eng.Serve(p.signOut))
	r.POST("/lang", eng.Serve(p.setLang))
	r.GET("/forgot", eng.Serve(p.forgotForm))
	r.POST("/forgot", eng.Serve(p.forgotPassword))
	r.GET("/reset/:token", eng.Serve(p.resetForm))
	r.POST("/reset/:token", eng.Serve(p.resetPassword))

	account := r.Group("/account", eng.Required())
	account.GET("", eng.Serve(p.accountPage))
	account.POST("/password", eng.Serve(p.changePassword))
	account.POST("/sessions/:id/end", eng.Serve(p.endSession))
	account.POST("/sessions/end-others", eng.Serve(p.endOtherSessions))
	account.POST("/tokens", eng.Serve(p.createToken))
	account.POST("/tokens/:id/revoke", eng.Serve(p.revokeToken))
	account.GET("/2fa", eng.Serve(p.secondFactorPage))
	account.POST("/2fa/begin", eng.Serve(p.beginEnrolment))
	account.POST("/2fa/confirm", eng.Serve(p.confirmEnrolment))
	account.POST("/2fa/recovery-codes", eng.Serve(p.newRecoveryCodes))
	account.POST("/2fa/disable", eng.Serve(p.disableSecondFactor))

	admin := r.Group("/admin/users", eng.RequireRole(auth.RoleClusterAdmin))
	admin.GET("", eng.Serve(p.usersPage))
	admin.POST("", eng.Serve(p.createUser))
	admin.POST("/:id/active", eng.Serve(p.setUserActive))
	admin.POST("/:id/password-link", eng.Serve(p.sendPasswordLink))
}
