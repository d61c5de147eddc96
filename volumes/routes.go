package volumes

import (
	"time"

	"github.com/gin-gonic/gin"

	"madaf/internal/auth"
	"madaf/internal/server"
	"madaf/internal/web"
)

// Routes is the volumes' route table: the figures and exports over the
// store, the OCDS package's configuration, and the clock (time.Now when
// nil).
type Routes struct {
	Store *Store
	OCDS  OCDS
	Now   func() time.Time
}

// Mount adds the volume figures and exports under r.API and, when r draws
// pages, the dashboard, the supplier's volumes page and the fee
// statements' pages.
func (rt Routes) Mount(r server.Router) {
	h := &Handlers{Store: rt.Store, OCDS: rt.OCDS, Now: rt.Now}
	if r.API != nil {
		h.mountAPI(r.API)
	}
	if r.Pages != nil {
		mountPages(r.Site, r.Pages, rt.Store)
		mountStatementPages(r.Site, r.Pages, rt.Store, h.now)
	}
}

// mountAPI adds every route. Each answer is scoped to the caller: the cluster
// sees everything, an authority user its authority, a supplier user
// itself; the alerts, issuing a fee statement and recording its payment
// are for the cluster's lead and admin only (403 for others).
func (h *Handlers) mountAPI(api *gin.RouterGroup) {
	g := api.Group("", auth.Required())
	g.GET("/volumes", web.Serve(h.volumes))
	g.GET("/volumes/headline", web.Serve(h.headline))
	g.GET("/volumes/fees", web.Serve(h.fees))
	g.GET("/volumes/fees/statement", web.Serve(h.statement))
	g.GET("/volumes/fees/statements", web.Serve(h.issuedStatements))
	g.GET("/volumes/fees/statements/:id", web.Serve(h.issuedStatement))
	cluster := auth.RequireRole(auth.RoleEconomicLead, auth.RoleClusterAdmin)
	g.POST("/volumes/fees/statements", cluster, web.Serve(h.issueStatement))
	g.POST("/volumes/fees/statements/:id/paid", cluster, web.Serve(h.payStatement))
	g.GET("/volumes/performance", web.Serve(h.performance))
	g.GET("/volumes/alerts", cluster, web.Serve(h.alerts))

	for _, format := range []string{FormatCSV, FormatXLSX} {
		g.GET("/exports/orders."+format, h.exportOrders(format))
		g.GET("/exports/volumes."+format, h.exportVolumes(format))
		g.GET("/exports/fees."+format, h.exportFees(format))
	}
	g.GET("/exports/ocds", web.Serve(h.exportOCDS))
}
