package volumes

import (
	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"

	"madaf/internal/auth"
	"madaf/internal/web"
)

// Mount adds the volume figures and exports under api (/api/v1); OCDS
// ocids start with ocidPrefix, and the cluster publishes the packages.
func Mount(api *gin.RouterGroup, db *sqlx.DB, ocidPrefix string) {
	(&Handlers{Store: NewStore(db), OCDS: OCDS{Prefix: ocidPrefix}}).Mount(api)
}

// Mount adds every route. Each answer is scoped to the caller: the cluster
// sees everything, an authority user its authority, a supplier user
// itself; the alerts are for the cluster only (403 for others).
func (h *Handlers) Mount(api *gin.RouterGroup) {
	g := api.Group("", auth.Required())
	g.GET("/volumes", web.Serve(h.volumes))
	g.GET("/volumes/headline", web.Serve(h.headline))
	g.GET("/volumes/fees", web.Serve(h.fees))
	g.GET("/volumes/fees/statement", web.Serve(h.statement))
	g.GET("/volumes/performance", web.Serve(h.performance))
	g.GET("/volumes/alerts", auth.RequireRole(auth.RoleEconomicLead, auth.RoleClusterAdmin), web.Serve(h.alerts))

	for _, format := range []string{FormatCSV, FormatXLSX} {
		g.GET("/exports/orders."+format, h.exportOrders(format))
		g.GET("/exports/volumes."+format, h.exportVolumes(format))
		g.GET("/exports/fees."+format, h.exportFees(format))
	}
	g.GET("/exports/ocds", web.Serve(h.exportOCDS))
}
