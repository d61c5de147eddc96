package audit

import (
	"madaf/internal/auth"
	"madaf/internal/server"
	"madaf/internal/web"
)

// Routes is the audit trail's route table.
type Routes struct {
	Store *Store
}

// Mount adds GET /api/v1/audit (one page of the trail, JSON),
// GET /api/v1/audit/export (the whole selection as CSV) and, when r draws
// pages, /audit; all for the trail's Readers.
func (rt Routes) Mount(r server.Router) {
	h := &handlers{store: rt.Store}
	if r.API != nil {
		api := r.API.Group("/audit", auth.RequireRole(Readers...))
		api.GET("", web.Serve(h.list))
		api.GET("/export", h.export)
	}
	if r.Pages != nil {
		p := &pages{eng: r.Pages, store: rt.Store, trail: r.Pages.MustPage("audit")}
		r.Site.GET("/audit", r.Pages.RequireRole(Readers...), r.Pages.Serve(p.trailPage))
	}
}
