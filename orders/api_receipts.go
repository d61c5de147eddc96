package orders

import (
	"cmp"
	"net/http"

	"github.com/gin-gonic/gin"

	"madaf/internal/auth"
	"madaf/internal/paging"
	"madaf/internal/web"
)

// The JSON endpoints after delivery: receipts and their disputes, short
// closing, invoices and their approval.

// answered writes v with the order's new ETag, or err.
func (h *handlers) answered(c *gin.Context, status int, orderID int64, v any, err error) (int, any, error) {
	if err != nil {
		return 0, nil, err
	}
	if o, err := h.svc.stores.orders.Order(c.Request.Context(), orderID, h.svc.today()); err == nil {
		c.Header("ETag", o.ETag())
	}
	return status, v, nil
}

// bindAfter reads the body of an action on order id into in; a body it
// cannot read is refused only once the caller may take action.
func (h *handlers) bindAfter(c *gin.Context, id int64, action string, in any) error {
	if err := web.BindJSON(c, in); err != nil {
		return cmp.Or(h.svc.mayAct(c.Request.Context(), auth.Caller(c), id, action), err)
	}
	return nil
}

func (h *handlers) receive(c *gin.Context) (int, any, error) {
	id, err := web.ParamID(c, "id", "not_found.order")
	if err != nil {
		return 0, nil, err
	}
	var in ReceiptInput
	if err := h.bindAfter(c, id, ActionReceive, &in); err != nil {
		return 0, nil, err
	}
	r, err := h.svc.Receive(c.Request.Context(), auth.Caller(c), id, c.GetHeader("If-Match"), in)
	return h.answered(c, http.StatusCreated, id, r, err)
}

func (h *handlers) receipts(c *gin.Context) (int, any, error) {
	id, err := web.ParamID(c, "id", "not_found.order")
	if err != nil {
		return 0, nil, err
	}
	rs, err := h.svc.Receipts(c.Request.Context(), auth.Caller(c), id)
	return http.StatusOK, paging.List[Receipt]{Items: rs}, err
}

func (h *handlers) answerDispute(c *gin.Context) (int, any, error) {
	id, err := web.ParamID(c, "id", "not_found.order")
	if err != nil {
		return 0, nil, err
	}
	disputeID, err := web.ParamID(c, "dispute", "not_found.dispute")
	if err != nil {
		return 0, nil, err
	}
	var in AnswerInput
	if err := h.bindAfter(c, id, ActionAnswerDispute, &in); err != nil {
		return 0, nil, err
	}
	d, err := h.svc.AnswerDispute(c.Request.Context(), auth.Caller(c), id, disputeID, c.GetHeader("If-Match"), in)
	return h.answered(c, http.StatusOK, id, d, err)
}

func (h *handlers) submitInvoice(c *gin.Context) (int, any, error) {
	id, err := web.ParamID(c, "id", "not_found.order")
	if err != nil {
		return 0, nil, err
	}
	var in InvoiceInput
	if err := h.bindAfter(c, id, ActionSubmitInvoice, &in); err != nil {
		return 0, nil, err
	}
	inv, err := h.svc.SubmitInvoice(c.Request.Context(), auth.Caller(c), id, c.GetHeader("If-Match"), in)
	return h.answered(c, http.StatusCreated, id, inv, err)
}

func (h *handlers) invoices(c *gin.Context) (int, any, error) {
	id, err := web.ParamID(c, "id", "not_found.order")
	if err != nil {
		return 0, nil, err
	}
	out, err := h.svc.Invoices(c.Request.Context(), auth.Caller(c), id)
	return http.StatusOK, paging.List[Invoice]{Items: out}, err
}

func (h *handlers) approveInvoice(c *gin.Context) (int, any, error) {
	id, err := web.ParamID(c, "id", "not_found.order")
	if err != nil {
		return 0, nil, err
	}
	invoiceID, err := web.ParamID(c, "invoice", "not_found.invoice")
	if err != nil {
		return 0, nil, err
	}
	var in ApproveInput
	if c.Request.ContentLength != 0 {
		if err := h.bindAfter(c, id, ActionApproveInvoice, &in); err != nil {
			return 0, nil, err
		}
	}
	inv, err := h.svc.ApproveInvoice(c.Request.Context(), auth.Caller(c), id, invoiceID, c.GetHeader("If-Match"), in)
	return h.answered(c, http.StatusOK, id, inv, err)
}
