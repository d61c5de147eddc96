package orders

import (
	"github.com/gin-gonic/gin"

	"madaf/documents"
	"madaf/internal/auth"
	"madaf/internal/server"
	"madaf/internal/web"
)

// Routes is the orders' route table over the order service. Documents,
// when set, draws the documents section of the order page.
type Routes struct {
	Service   *Service
	Documents *documents.Service
}

// Mount adds the order routes under r.API and, when r draws pages, the
// cart, order, inbox and supplier pages.
func (rt Routes) Mount(r server.Router) {
	if r.API != nil {
		Mount(r.API, rt.Service)
	}
	if r.Pages != nil {
		mountPages(r.Site, r.Pages, rt.Service, rt.Documents)
	}
}

// Mount adds the order routes under api (/api/v1), and the budget lines
// with what the reserving orders hold on them. Scoping and roles are
// checked by the service, so that out-of-scope orders answer 404 before
// any 403.
func Mount(api *gin.RouterGroup, svc *Service) {
	h := &handlers{svc: svc}
	g := api.Group("/orders", auth.Required())
	g.POST("", web.Serve(h.create))
	g.GET("", web.Serve(h.list))
	g.GET("/quote", web.Serve(h.quote))
	g.GET("/:id", web.Serve(h.get))
	g.PUT("/:id", web.Serve(h.update))
	g.GET("/:id/events", web.Serve(h.events))
	g.POST("/:id/submit", transition(h, ActionSubmit, submit))
	g.POST("/:id/sign", transition(h, ActionSign, (*Service).Sign))
	g.POST("/:id/return", transition(h, ActionReturn, (*Service).Return))
	g.POST("/:id/confirm", transition(h, ActionConfirm, (*Service).Confirm))
	g.POST("/:id/reject", transition(h, ActionReject, (*Service).Reject))
	g.POST("/:id/deliver", transition(h, ActionDeliver, (*Service).Deliver))
	g.POST("/:id/close", transition(h, ActionClose, (*Service).Close))
	g.POST("/:id/cancel", transition(h, ActionCancel, (*Service).Cancel))
	mountChanges(g, h)
	g.POST("/:id/close-short", transition(h, ActionCloseShort, (*Service).CloseShort))
	g.GET("/:id/receipts", web.Serve(h.receipts))
	g.POST("/:id/receipts", web.Serve(h.receive))
	g.POST("/:id/disputes/:dispute/answer", web.Serve(h.answerDispute))
	g.GET("/:id/invoices", web.Serve(h.invoices))
	g.POST("/:id/invoices", web.Serve(h.submitInvoice))
	g.POST("/:id/invoices/:invoice/approve", web.Serve(h.approveInvoice))
	b := api.Group("/budget-lines", auth.Required())
	b.GET("", web.Serve(h.budgetLines))
	b.GET("/:id", web.Serve(h.budgetLine))
}
