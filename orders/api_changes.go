package orders

import (
	"cmp"
	"context"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"madaf/internal/auth"
	"madaf/internal/paging"
	"madaf/internal/web"
)

// changeAnswer answers a change with its order's ETag (the version the
// next request's If-Match names), or err.
func changeAnswer(c *gin.Context, status int, ch *Change, o *Order, err error) (int, any, error) {
	if err != nil {
		return 0, nil, err
	}
	if o != nil {
		c.Header("ETag", o.ETag())
	}
	return status, ch, nil
}

// proposeChange answers POST /orders/{id}/changes.
func (h *handlers) proposeChange(c *gin.Context) (int, any, error) {
	id, err := web.ParamID(c, "id", "not_found.order")
	if err != nil {
		return 0, nil, err
	}
	var in ChangeInput
	if err := web.BindJSON(c, &in); err != nil {
		return 0, nil, cmp.Or(h.svc.mayAct(c.Request.Context(), auth.Caller(c), id, ActionChange), err)
	}
	ch, o, err := h.svc.ProposeChange(c.Request.Context(), auth.Caller(c), id, c.GetHeader("If-Match"), in)
	if err == nil {
		c.Header("Location", "/api/v1/orders/"+strconv.FormatInt(id, 10)+"/changes/"+strconv.FormatInt(ch.ID, 10))
	}
	return changeAnswer(c, http.StatusCreated, ch, o, err)
}

// listChanges answers GET /orders/{id}/changes, newest first.
func (h *handlers) listChanges(c *gin.Context) (int, any, error) {
	id, err := web.ParamID(c, "id", "not_found.order")
	if err != nil {
		return 0, nil, err
	}
	cs, err := h.svc.Changes(c.Request.Context(), auth.Caller(c), id)
	return http.StatusOK, paging.List[Change]{Items: cs}, err
}

// getChange answers GET /orders/{id}/changes/{change_id}.
func (h *handlers) getChange(c *gin.Context) (int, any, error) {
	id, err := web.ParamID(c, "id", "not_found.order")
	if err != nil {
		return 0, nil, err
	}
	cid, err := web.ParamID(c, "change_id", "not_found.change")
	if err != nil {
		return 0, nil, err
	}
	ch, err := h.svc.GetChange(c.Request.Context(), auth.Caller(c), id, cid)
	return changeAnswer(c, http.StatusOK, ch, nil, err)
}

// changeTransition answers one step of a change as transition does for
// an order: a body it cannot bind is refused only once the caller may
// take action on the order.
func changeTransition[T any](h *handlers, action string, step func(s *Service, ctx context.Context, p *auth.Principal, id, changeID int64, ifMatch string, in T) (*Change, *Order, error)) gin.HandlerFunc {
	return web.Serve(func(c *gin.Context) (int, any, error) {
		id, err := web.ParamID(c, "id", "not_found.order")
		if err != nil {
			return 0, nil, err
		}
		cid, err := web.ParamID(c, "change_id", "not_found.change")
		if err != nil {
			return 0, nil, err
		}
		var in T
		if c.Request.ContentLength != 0 {
			if err := web.BindJSON(c, &in); err != nil {
				return 0, nil, cmp.Or(h.svc.mayAct(c.Request.Context(), auth.Caller(c), id, action), err)
			}
		}
		ch, o, err := step(h.svc, c.Request.Context(), auth.Caller(c), id, cid, c.GetHeader("If-Match"), in)
		return changeAnswer(c, http.StatusOK, ch, o, err)
	})
}

// mountChanges adds the change routes of orders to g (/orders).
func mountChanges(g *gin.RouterGroup, h *handlers) {
	g.POST("/:id/changes", web.Serve(h.proposeChange))
	g.GET("/:id/changes", web.Serve(h.listChanges))
	g.GET("/:id/changes/:change_id", web.Serve(h.getChange))
	g.POST("/:id/changes/:change_id/sign", changeTransition(h, ActionChangeSign, (*Service).SignChange))
	g.POST("/:id/changes/:change_id/accept", changeTransition(h, ActionChangeAccept, (*Service).AcceptChange))
	g.POST("/:id/changes/:change_id/decline", changeTransition(h, ActionChangeDecline, (*Service).DeclineChange))
	g.POST("/:id/changes/:change_id/withdraw", changeTransition(h, ActionChangeWithdraw, (*Service).WithdrawChange))
}
