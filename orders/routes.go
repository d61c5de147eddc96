package orders

import (
	"github.com/gin-gonic/gin"

	"madaf/internal/auth"
)

// Mount adds the order routes under api (/api/v1). Scoping and roles are
// checked by the service, so that out-of-scope orders answer 404 before
// any 403.
func Mount(api *gin.RouterGroup, svc *Service) {
	h := &handlers{svc: svc}
	g := api.Group("/orders", auth.Required())
	g.POST("", h.create)
	g.GET("", h.list)
	g.GET("/quote", h.quote)
	g.GET("/:id", h.get)
	g.PUT("/:id", h.update)
	g.GET("/:id/events", h.events)
	g.POST("/:id/submit", submitHandler(h))
	g.POST("/:id/sign", signHandler(h))
	g.POST("/:id/return", returnHandler(h))
	g.POST("/:id/confirm", confirmHandler(h))
	g.POST("/:id/reject", rejectHandler(h))
	g.POST("/:id/deliver", deliverHandler(h))
	g.POST("/:id/close", closeHandler(h))
	g.POST("/:id/cancel", cancelHandler(h))
}
