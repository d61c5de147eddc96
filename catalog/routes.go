package catalog

import (
	"github.com/gin-gonic/gin"

	"madaf/documents"
	"madaf/internal/auth"
	"madaf/internal/server"
	"madaf/internal/web"
)

// Routes is the catalog's route table over its store. Documents, when
// set, draws the documents section of the tender page.
type Routes struct {
	Store     *Store
	Documents *documents.Service
}

// Mount adds every catalog route: the JSON API and, when r draws pages,
// the catalog and tender pages.
func (rt Routes) Mount(r server.Router) {
	if r.API != nil {
		(&Handlers{Store: rt.Store}).mountAPI(r.API)
	}
	if r.Pages != nil {
		mountPages(r.Site, r.Pages, rt.Store, rt.Documents)
	}
}

// mountAPI adds every catalog route under api (/api/v1). Reads are scoped to
// what the caller may see (404 otherwise); changes need the economic lead
// or the cluster admin (403 for others who may see the tender).
func (h *Handlers) mountAPI(api *gin.RouterGroup) {
	g := api.Group("", auth.Required())
	g.GET("/tenders", web.Serve(h.listTenders))
	g.POST("/tenders", auth.RequireRole(writers...), web.Serve(h.createTender))
	g.GET("/tenders/:id", web.Serve(h.getTender))
	g.PUT("/tenders/:id", web.Serve(h.updateTender))
	g.PUT("/tenders/:id/competition", web.Serve(h.setCompetitionRules))
	g.POST("/tenders/:id/publish", web.Serve(h.transition(ActionPublish)))
	g.POST("/tenders/:id/suspend", web.Serve(h.transition(ActionSuspend)))
	g.POST("/tenders/:id/resume", web.Serve(h.transition(ActionResume)))
	g.POST("/tenders/:id/close", web.Serve(h.transition(ActionClose)))

	g.GET("/tenders/:id/items", web.Serve(h.listItems))
	g.POST("/tenders/:id/items", web.Serve(h.addItems))

	g.GET("/tenders/:id/awards", web.Serve(h.listAwards))
	g.POST("/tenders/:id/awards", web.Serve(h.createAward))
	g.GET("/tenders/:id/awards/:award_id", web.Serve(h.getAward))
	g.POST("/tenders/:id/awards/:award_id/suspend", web.Serve(h.transitionAward(AwardActionSuspend)))
	g.POST("/tenders/:id/awards/:award_id/resume", web.Serve(h.transitionAward(AwardActionResume)))
	g.POST("/tenders/:id/awards/:award_id/terminate", web.Serve(h.transitionAward(AwardActionTerminate)))
	g.GET("/tenders/:id/awards/:award_id/prices", web.Serve(h.priceHistory))
	g.POST("/tenders/:id/awards/:award_id/prices", web.Serve(h.addPrice))
	g.POST("/tenders/:id/awards/:award_id/price-list", web.Serve(h.importPriceList))

	g.GET("/catalog/items", web.Serve(h.search))
}
