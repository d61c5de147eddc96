package competitions

import (
	"github.com/gin-gonic/gin"

	"madaf/documents"
	"madaf/internal/auth"
	"madaf/internal/server"
	"madaf/internal/web"
)

// Routes is the competitions' route table over the competition service.
// Documents, when set, draws the documents section of the request page.
type Routes struct {
	Service   *Service
	Documents *documents.Service
}

// Mount adds the competition routes under r.API and, when r draws pages,
// the competition pages (MountPages).
func (rt Routes) Mount(r server.Router) {
	if r.API != nil {
		Mount(r.API, rt.Service)
	}
	if r.Site != nil && r.Pages != nil {
		mountPages(r.Site, r.Pages, rt.Service, rt.Documents)
	}
}

// Mount adds every competition route under api (/api/v1). Scoping and
// roles are checked by the service, so that out-of-scope competitions
// answer 404 before any 403.
func Mount(api *gin.RouterGroup, svc *Service) {
	h := &handlers{svc: svc}
	g := api.Group("/competitions", auth.Required())
	g.GET("", web.Serve(h.list))
	g.POST("", web.Serve(h.create))
	g.GET("/report", web.Serve(h.report))
	g.GET("/:id", web.Serve(h.get))
	g.PUT("/:id", web.Serve(h.update))
	g.POST("/:id/publish", web.Serve(h.publish))
	g.POST("/:id/cancel", web.Serve(h.cancel))
	g.GET("/:id/events", web.Serve(h.events))
	g.GET("/:id/questions", web.Serve(h.questions))
	g.POST("/:id/questions", web.Serve(h.ask))
	g.POST("/:id/questions/:question_id/answer", web.Serve(h.answer))
	g.GET("/:id/quote", web.Serve(h.quoteForm))
	g.PUT("/:id/quote", web.Serve(h.submitQuote))
	g.POST("/:id/quote/withdraw", web.Serve(h.withdraw))
	g.POST("/:id/decline", web.Serve(h.decline))
	g.GET("/:id/quotes", web.Serve(h.quotes))
	g.GET("/:id/protocol", web.Serve(h.protocol))
	g.POST("/:id/proposal", web.Serve(h.propose))
	g.POST("/:id/votes", web.Serve(h.vote))
	g.POST("/:id/pass", web.Serve(h.pass))
}
