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
}

// Mount adds the accounts API under r.API and, when r draws pages, the
// sign-in, sign-out, language and user administration pages.
func (rt Routes) Mount(r server.Router) {
	if r.API != nil {
		mountAPI(r.API, rt.Store, rt.Sessions)
	}
	if r.Pages != nil {
		mountPages(r.Site, r.Pages, rt.Store, rt.Sessions)
	}
}

// mountAPI adds the accounts API under api (/api/v1): signing in and out,
// the caller (/me) and its tokens, and the user administration
// (cluster_admin only).
func mountAPI(api *gin.RouterGroup, s *Store, sessions *auth.Store) {
	h := &handlers{store: s, sessions: sessions}
	api.POST("/auth/login", web.Serve(h.login))
	api.POST("/auth/logout", web.Serve(h.logout))
	authed := api.Group("", auth.Required())
	authed.GET("/me", web.Serve(h.me))
	authed.PATCH("/me", web.Serve(h.updateMe))
	authed.GET("/auth/tokens", web.Serve(h.listTokens))
	authed.POST("/auth/tokens", web.Serve(h.createToken))
	authed.DELETE("/auth/tokens/:id", web.Serve(h.revokeToken))

	users := api.Group("/users", auth.RequireRole(auth.RoleClusterAdmin))
	users.GET("", web.Serve(h.listUsers))
	users.POST("", web.Serve(h.createUser))
	users.POST("/:id/deactivate", web.Serve(h.setActive(false)))
	users.POST("/:id/activate", web.Serve(h.setActive(true)))
}

// mountPages adds /login, /logout, /lang (the language switch) and the
// cluster admin's /admin/users to r.
func mountPages(r gin.IRouter, eng *page.Engine, s *Store, sessions *auth.Store) {
	p := &pages{eng: eng, store: s, sessions: sessions, login: eng.MustPage("login"), users: eng.MustPage("users")}
	r.GET("/login", eng.Serve(p.loginForm))
	r.POST("/login", eng.Serve(p.signIn))
	r.POST("/logout", eng.Serve(p.signOut))
	r.POST("/lang", eng.Serve(p.setLang))

	admin := r.Group("/admin/users", eng.RequireRole(auth.RoleClusterAdmin))
	admin.GET("", eng.Serve(p.usersPage))
	admin.POST("", eng.Serve(p.createUser))
	admin.POST("/:id/active", eng.Serve(p.setUserActive))
}
