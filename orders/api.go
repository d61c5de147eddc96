package orders

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/shopspring/decimal"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/web"
)

// handlers are the JSON endpoints of orders; each reads the request, calls
// the service and writes the answer.
type handlers struct{ svc *Service }

// writeOrder answers an order with its ETag.
func writeOrder(c *gin.Context, status int, o *Order) {
	c.Header("ETag", o.ETag())
	c.JSON(status, o)
}

func (h *handlers) create(c *gin.Context) {
	var in NewOrder
	if err := web.BindJSON(c, &in); err != nil {
		web.Error(c, err)
		return
	}
	o, replayed, err := h.svc.Create(c.Request.Context(), auth.Caller(c), in, c.GetHeader("Idempotency-Key"))
	if replayed {
		c.Header("Idempotent-Replayed", "true")
	}
	if err != nil {
		web.Error(c, err)
		return
	}
	c.Header("Location", "/api/v1/orders/"+strconv.FormatInt(o.ID, 10))
	writeOrder(c, http.StatusCreated, o)
}

func (h *handlers) list(c *gin.Context) {
	page, err := web.ParsePage(c)
	if err != nil {
		web.Error(c, err)
		return
	}
	f := Filter{Limit: page.Limit, After: page.After}
	var fields []apperr.FieldError
	if s := c.Query("status"); s != "" {
		f.Statuses = strings.Split(s, ",")
	}
	for _, q := range []struct {
		name string
		dst  *int64
	}{{"tender_id", &f.TenderID}, {"supplier_id", &f.SupplierID}} {
		if s := c.Query(q.name); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n <= 0 {
				fields = append(fields, apperr.Field(q.name, "must be an id"))
			}
			*q.dst = n
		}
	}
	for _, q := range []struct {
		name string
		dst  *bool
	}{{"overdue", &f.Overdue}, {"overridden", &f.Overridden}} {
		if s := c.Query(q.name); s != "" {
			b, err := strconv.ParseBool(s)
			if err != nil {
				fields = append(fields, apperr.Field(q.name, "must be true or false"))
			}
			*q.dst = b
		}
	}
	if len(fields) > 0 {
		web.Error(c, apperr.Invalid("bad filter", fields...))
		return
	}
	os, err := h.svc.List(c.Request.Context(), auth.Caller(c), f)
	if err != nil {
		web.Error(c, err)
		return
	}
	var last int64
	if len(os) > 0 {
		last = os[len(os)-1].ID
	}
	c.JSON(http.StatusOK, web.List[Order]{Items: os, NextCursor: page.Cursor(len(os), last)})
}

func (h *handlers) get(c *gin.Context) {
	id, err := web.ParamID(c, "id", "order")
	if err != nil {
		web.Error(c, err)
		return
	}
	o, err := h.svc.Get(c.Request.Context(), auth.Caller(c), id)
	if err != nil {
		web.Error(c, err)
		return
	}
	if inm := c.GetHeader("If-None-Match"); inm != "" && strings.TrimPrefix(strings.TrimSpace(inm), "W/") == o.ETag() {
		c.Header("ETag", o.ETag())
		c.Status(http.StatusNotModified)
		return
	}
	writeOrder(c, http.StatusOK, o)
}

func (h *handlers) update(c *gin.Context) {
	id, err := web.ParamID(c, "id", "order")
	if err != nil {
		web.Error(c, err)
		return
	}
	var in NewOrder
	if err := web.BindJSON(c, &in); err != nil {
		web.Error(c, err)
		return
	}
	o, err := h.svc.Update(c.Request.Context(), auth.Caller(c), id, c.GetHeader("If-Match"), in)
	if err != nil {
		web.Error(c, err)
		return
	}
	writeOrder(c, http.StatusOK, o)
}

func (h *handlers) events(c *gin.Context) {
	id, err := web.ParamID(c, "id", "order")
	if err != nil {
		web.Error(c, err)
		return
	}
	es, err := h.svc.Events(c.Request.Context(), auth.Caller(c), id)
	if err != nil {
		web.Error(c, err)
		return
	}
	c.JSON(http.StatusOK, web.List[Event]{Items: es})
}

// quote answers GET /orders/quote?tender_id=7&lines=12:3,13:2.5 (item
// id:quantity pairs).
func (h *handlers) quote(c *gin.Context) {
	tenderID, err := strconv.ParseInt(c.Query("tender_id"), 10, 64)
	if err != nil || tenderID <= 0 {
		web.Error(c, apperr.Invalid("bad quote", apperr.Field("tender_id", "is required")))
		return
	}
	var lines []LineInput
	var fields []apperr.FieldError
	for i, pair := range strings.Split(c.Query("lines"), ",") {
		if pair == "" {
			continue
		}
		item, qty, ok := strings.Cut(pair, ":")
		id, err1 := strconv.ParseInt(item, 10, 64)
		q, err2 := decimal.NewFromString(qty)
		if !ok || err1 != nil || err2 != nil {
			fields = append(fields, apperr.Field("lines", "entry %d must be item_id:quantity", i+1))
			continue
		}
		lines = append(lines, LineInput{ItemID: id, Quantity: Quantity{q}})
	}
	if len(fields) > 0 {
		web.Error(c, apperr.Invalid("bad quote", fields...))
		return
	}
	q, err := h.svc.Quote(c.Request.Context(), auth.Caller(c), tenderID, lines)
	if err != nil {
		web.Error(c, err)
		return
	}
	c.JSON(http.StatusOK, q)
}

// transition binds the body of one state change (none for submit), runs it
// with the request's If-Match and answers the order.
func transition[T any](run func(h *handlers, c *gin.Context, id int64, ifMatch string, in T) (*Order, error)) func(h *handlers) gin.HandlerFunc {
	return func(h *handlers) gin.HandlerFunc {
		return func(c *gin.Context) {
			id, err := web.ParamID(c, "id", "order")
			if err != nil {
				web.Error(c, err)
				return
			}
			var in T
			if c.Request.ContentLength != 0 {
				if err := web.BindJSON(c, &in); err != nil {
					web.Error(c, err)
					return
				}
			}
			o, err := run(h, c, id, c.GetHeader("If-Match"), in)
			if err != nil {
				web.Error(c, err)
				return
			}
			writeOrder(c, http.StatusOK, o)
		}
	}
}

// empty is the body of actions that take none.
type empty struct{}

var (
	submitHandler = transition(func(h *handlers, c *gin.Context, id int64, m string, _ empty) (*Order, error) {
		return h.svc.Submit(c.Request.Context(), auth.Caller(c), id, m)
	})
	signHandler = transition(func(h *handlers, c *gin.Context, id int64, m string, in SignInput) (*Order, error) {
		return h.svc.Sign(c.Request.Context(), auth.Caller(c), id, m, in)
	})
	returnHandler = transition(func(h *handlers, c *gin.Context, id int64, m string, in NoteInput) (*Order, error) {
		return h.svc.Return(c.Request.Context(), auth.Caller(c), id, m, in)
	})
	confirmHandler = transition(func(h *handlers, c *gin.Context, id int64, m string, in ConfirmInput) (*Order, error) {
		return h.svc.Confirm(c.Request.Context(), auth.Caller(c), id, m, in)
	})
	rejectHandler = transition(func(h *handlers, c *gin.Context, id int64, m string, in RejectInput) (*Order, error) {
		return h.svc.Reject(c.Request.Context(), auth.Caller(c), id, m, in)
	})
	deliverHandler = transition(func(h *handlers, c *gin.Context, id int64, m string, in DeliverInput) (*Order, error) {
		return h.svc.Deliver(c.Request.Context(), auth.Caller(c), id, m, in)
	})
	closeHandler = transition(func(h *handlers, c *gin.Context, id int64, m string, in CloseInput) (*Order, error) {
		return h.svc.Close(c.Request.Context(), auth.Caller(c), id, m, in)
	})
	cancelHandler = transition(func(h *handlers, c *gin.Context, id int64, m string, in CancelInput) (*Order, error) {
		return h.svc.Cancel(c.Request.Context(), auth.Caller(c), id, m, in)
	})
)
