package catalog

import (
	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"

	"madaf/internal/auth"
)

// Mount adds the catalog's routes under api (/api/v1).
func Mount(api *gin.RouterGroup, db *sqlx.DB) {
	(&Handlers{Store: NewStore(db)}).Mount(api)
}

// Mount adds every catalog route under api (/api/v1). Reads are scoped to
// what the caller may see (404 otherwise); changes need the economic lead
// or the cluster admin (403 for others who may see the tender).
func (h *Handlers) Mount(api *gin.RouterGroup) {
	g := api.Group("", auth.Required())
	g.GET("/tenders", h.listTenders)
	g.POST("/tenders", auth.RequireRole(writers...), h.createTender)
	g.GET("/tenders/:id", h.getTender)
	g.PUT("/tenders/:id", h.updateTender)
	g.POST("/tenders/:id/publish", h.transition(ActionPublish))
	g.POST("/tenders/:id/suspend", h.transition(ActionSuspend))
	g.POST("/tenders/:id/resume", h.transition(ActionResume))
	g.POST("/tenders/:id/close", h.transition(ActionClose))

	g.GET("/tenders/:id/items", h.listItems)
	g.POST("/tenders/:id/items", h.addItems)

	g.GET("/tenders/:id/awards", h.listAwards)
	g.POST("/tenders/:id/awards", h.createAward)
	g.GET("/tenders/:id/awards/:award_id", h.getAward)
	g.POST("/tenders/:id/awards/:award_id/suspend", h.transitionAward(AwardActionSuspend))
	g.POST("/tenders/:id/awards/:award_id/resume", h.transitionAward(AwardActionResume))
	g.POST("/tenders/:id/awards/:award_id/terminate", h.transitionAward(AwardActionTerminate))
	g.GET("/tenders/:id/awards/:award_id/prices", h.priceHistory)
	g.POST("/tenders/:id/awards/:award_id/prices", h.addPrice)
	g.POST("/tenders/:id/awards/:award_id/price-list", h.importPriceList)

	g.GET("/catalog/items", h.search)
}
