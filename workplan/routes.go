package workplan

import (
	"github.com/gin-gonic/gin"

	"madaf/internal/auth"
	"madaf/internal/server"
	"madaf/internal/web"
)

// Routes is the work plan's route table over its store.
type Routes struct{ Store *Store }

// Mount adds the work plan's JSON routes under r.API and, when r draws
// pages, its pages (a Router without API mounts the pages alone).
func (rt Routes) Mount(r server.Router) {
	if r.API != nil {
		mountAPI(r.API, rt.Store)
	}
	if r.Pages != nil {
		mountPages(r.Site, r.Pages, rt.Store)
	}
}

// mountAPI adds the work plan's JSON routes under api (/api/v1). Only the
// cluster's users see the plan (others get 404); the economic lead and the
// cluster admin change it, and a task's owner may change its status.
func mountAPI(api *gin.RouterGroup, s *Store) {
	h := &handlers{s}
	edit := auth.RequireRole(editors...)
	g := api.Group("/workplan", auth.Required(), clusterOnly())
	g.GET("", web.Serve(h.plans))
	g.GET("/engines", web.Serve(h.engines))
	g.POST("/engines/import", edit, web.Serve(h.importEngines))
	g.GET("/engines/:id", web.Serve(h.engine))
	g.GET("/:year", web.Serve(h.plan))
	g.GET("/:year/summary", web.Serve(h.summary))
	g.GET("/:year/summary.xlsx", h.summaryXLSX)
	g.GET("/:year/plan.xlsx", h.planXLSX)
	g.POST("/:year/import", edit, web.Serve(h.importPlan))
	g.POST("/:year/carry-over", edit, web.Serve(h.carryOver))
	g.GET("/:year/tasks/:id", web.Serve(h.task))
	g.GET("/:year/tasks/:id/history", web.Serve(h.history))
	g.POST("/:year/tasks/:id/status", web.Serve(h.setStatus))
	g.PATCH("/:year/tasks/:id", edit, web.Serve(h.patchTask))
	g.PUT("/:year/goals/:id/engine", edit, web.Serve(h.setGoalEngine))
}
