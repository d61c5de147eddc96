package workplan

import (
	"github.com/gin-gonic/gin"

	"madaf/internal/auth"
)

// Mount adds the work plan's JSON routes under api (/api/v1). Only the
// cluster's users see the plan (others get 404); the economic lead and the
// cluster admin change it, and a task's owner may change its status.
func Mount(api *gin.RouterGroup, s *Store) {
	h := &handlers{s}
	edit := auth.RequireRole(editors...)
	g := api.Group("/workplan", auth.Required(), clusterOnly())
	g.GET("", h.plans)
	g.GET("/engines", h.engines)
	g.POST("/engines/import", edit, h.importEngines)
	g.GET("/engines/:id", h.engine)
	g.GET("/:year", h.plan)
	g.GET("/:year/summary", h.summary)
	g.GET("/:year/summary.xlsx", h.summaryXLSX)
	g.GET("/:year/plan.xlsx", h.planXLSX)
	g.POST("/:year/import", edit, h.importPlan)
	g.POST("/:year/carry-over", edit, h.carryOver)
	g.GET("/:year/tasks/:id", h.task)
	g.GET("/:year/tasks/:id/history", h.history)
	g.POST("/:year/tasks/:id/status", h.setStatus)
	g.PATCH("/:year/tasks/:id", edit, h.patchTask)
	g.PUT("/:year/goals/:id/engine", edit, h.setGoalEngine)
}
