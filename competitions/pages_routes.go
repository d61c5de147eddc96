package competitions

import (
	"github.com/gin-gonic/gin"

	"madaf/documents"
	"madaf/internal/auth"
	"madaf/internal/page"
)

// MountPages adds the competition pages to r: the list (an officer's
// requests, a winner's invitations, the committee's protocols awaiting it),
// the request form reached from the cart, the request page with its
// questions, quote form and actions, and the protocol. Scoping and roles
// are the service's, as on the API: an out-of-scope request is the 404
// page.
func MountPages(r gin.IRouter, eng *page.Engine, svc *Service) { mountPages(r, eng, svc, nil) }

// mountPages is MountPages with docs drawing the request page's documents
// section (none when nil).
func mountPages(r gin.IRouter, eng *page.Engine, svc *Service, docs *documents.Service) {
	p := newPages(eng, svc)
	p.docs = docs
	officer := eng.RequireRole(auth.RoleOfficer)
	committee := eng.RequireRole(committeeRoles...)
	r.GET("/supplier/competitions", eng.RequireRole(auth.RoleSupplier), eng.Serve(p.listPage))
	r.GET("/committee/competitions", committee, eng.Serve(p.awaitingPage))
	g := r.Group("/competitions", eng.Required())
	g.GET("", eng.Serve(p.listPage))
	g.GET("/new", officer, eng.Serve(p.newPage))
	g.POST("", officer, eng.Serve(p.create))
	g.GET("/:id", eng.Serve(p.showPage))
	g.GET("/:id/edit", officer, eng.Serve(p.editPage))
	g.POST("/:id/edit", officer, eng.Serve(p.edit))
	g.POST("/:id/pass", officer, eng.Serve(p.pass))
	g.POST("/:id/publish", eng.Serve(p.publish))
	g.POST("/:id/cancel", eng.Serve(p.cancel))
	g.POST("/:id/questions", eng.Serve(p.ask))
	g.POST("/:id/questions/:question_id/answer", eng.Serve(p.answer))
	g.POST("/:id/quote", eng.Serve(p.quote))
	g.POST("/:id/quote/withdraw", eng.Serve(p.withdraw))
	g.POST("/:id/decline", eng.Serve(p.decline))
	g.GET("/:id/protocol", eng.Serve(p.protocolPage))
	g.POST("/:id/proposal", eng.Serve(p.propose))
	g.POST("/:id/votes", eng.Serve(p.vote))
}
