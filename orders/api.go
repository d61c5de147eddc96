package orders

import (
	"cmp"
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/shopspring/decimal"

	"madaf/authorities"
	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/orderstatus"
	"madaf/internal/paging"
	"madaf/internal/web"
)

// handlers are the JSON endpoints of orders; each reads the request, calls
// the service and writes the answer.
type handlers struct{ svc *Service }

// orderAnswer answers an order with its ETag, or err.
func orderAnswer(c *gin.Context, status int, o *Order, err error) (int, any, error) {
	if err != nil {
		return 0, nil, err
	}
	c.Header("ETag", o.ETag())
	return status, o, nil
}

func (h *handlers) create(c *gin.Context) (int, any, error) {
	var in NewOrder
	if err := web.BindJSON(c, &in); err != nil {
		return 0, nil, cmp.Or(allowed(auth.Caller(c), ActionCreate), err)
	}
	o, err := h.svc.Create(c.Request.Context(), auth.Caller(c), in)
	if err == nil {
		c.Header("Location", "/api/v1/orders/"+strconv.FormatInt(o.ID, 10))
	}
	return orderAnswer(c, http.StatusCreated, o, err)
}

func (h *handlers) list(c *gin.Context) (int, any, error) {
	page, err := web.ParsePage(c)
	if err != nil {
		return 0, nil, err
	}
	f, fields := readFilter(c.Request.URL.Query())
	if len(fields) > 0 {
		return 0, nil, apperr.Invalid("order.bad_filter", fields...)
	}
	f.Limit, f.After = page.Limit, page.After
	os, err := h.svc.List(c.Request.Context(), auth.Caller(c), f)
	return http.StatusOK, paging.Of(page, os, func(o Order) int64 { return o.ID }), err
}

// StatusToReceive is the list filter of the orders whose goods the
// authority still expects or has yet to record: sent and confirmed (goods
// on their way), partly delivered and delivered (reported by the supplier,
// whose receipt is recorded by rules[ActionReceive]). A closed order,
// short or not, expects nothing more and is left out. It is the
// receiver's list.
const StatusToReceive = "to_receive"

// toReceive are the statuses StatusToReceive selects.
var toReceive = []string{orderstatus.Sent, orderstatus.Confirmed, orderstatus.PartiallyDelivered, orderstatus.Delivered}

// filterStatuses are what the status filter accepts: every status,
// "returned", "overdue" and StatusToReceive.
var filterStatuses = append(slices.Clone(orderstatus.All), "returned", "overdue", StatusToReceive)

// readFilter reads the filters of an order list from a query: status
// (comma-separated; "returned", "overdue" and "to_receive" are also
// accepted), returned,
// overdue, overridden, tender_id, supplier_id, authority_id, number,
// supplier, tender, from, to (YYYY-MM-DD), min_total and max_total. It
// reports every value that cannot be read.
func readFilter(q url.Values) (Filter, []apperr.FieldError) {
	var f Filter
	var fields []apperr.FieldError
	if s := q.Get("status"); s != "" {
		for _, st := range strings.Split(s, ",") {
			switch st = strings.TrimSpace(st); st {
			case "returned":
				f.Returned = true
			case "overdue":
				f.Overdue = true
			case StatusToReceive:
				f.Statuses = append(f.Statuses, toReceive...)
			default:
				if !slices.Contains(orderstatus.All, st) {
					fields = append(fields, apperr.Field("status", "msg.oneof", strings.Join(filterStatuses, ", ")))
					continue
				}
				f.Statuses = append(f.Statuses, st)
			}
		}
	}
	for _, p := range []struct {
		name string
		dst  *int64
	}{{"tender_id", &f.TenderID}, {"supplier_id", &f.SupplierID}, {"authority_id", &f.AuthorityID}} {
		if s := q.Get(p.name); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n <= 0 {
				fields = append(fields, apperr.Field(p.name, "order.must_be_id"))
			}
			*p.dst = n
		}
	}
	for _, p := range []struct {
		name string
		dst  *bool
	}{{"returned", &f.Returned}, {"overdue", &f.Overdue}, {"overridden", &f.Overridden}} {
		if s := q.Get(p.name); s != "" {
			b, err := strconv.ParseBool(s)
			if err != nil {
				fields = append(fields, apperr.Field(p.name, "msg.json_bool"))
			}
			*p.dst = *p.dst || b
		}
	}
	for _, p := range []struct {
		name string
		dst  *string
	}{{"number", &f.Number}, {"supplier", &f.Supplier}, {"tender", &f.Tender}} {
		if s := strings.TrimSpace(q.Get(p.name)); len([]rune(s)) > 100 {
			fields = append(fields, apperr.Field(p.name, "msg.max", 100))
		} else {
			*p.dst = s
		}
	}
	for _, p := range []struct {
		name string
		dst  *calendar.Date
	}{{"from", &f.From}, {"to", &f.To}} {
		if s := q.Get(p.name); s != "" {
			d, err := calendar.Parse(s)
			if err != nil {
				fields = append(fields, apperr.Field(p.name, "msg.date"))
			}
			*p.dst = d
		}
	}
	for _, p := range []struct {
		name string
		dst  **decimal.Decimal
	}{{"min_total", &f.MinTotal}, {"max_total", &f.MaxTotal}} {
		if s := strings.ReplaceAll(q.Get(p.name), ",", ""); s != "" {
			d, err := decimal.NewFromString(s)
			switch {
			case err != nil:
				fields = append(fields, apperr.Field(p.name, "msg.number"))
				continue
			case d.IsNegative():
				fields = append(fields, apperr.Field(p.name, "msg.not_negative"))
				continue
			}
			*p.dst = &d
		}
	}
	return f, fields
}

func (h *handlers) get(c *gin.Context) (int, any, error) {
	id, err := web.ParamID(c, "id", "not_found.order")
	if err != nil {
		return 0, nil, err
	}
	o, err := h.svc.Get(c.Request.Context(), auth.Caller(c), id)
	if err != nil {
		return 0, nil, err
	}
	return orderAnswer(c, http.StatusOK, o, nil)
}

func (h *handlers) update(c *gin.Context) (int, any, error) {
	id, err := web.ParamID(c, "id", "not_found.order")
	if err != nil {
		return 0, nil, err
	}
	var in NewOrder
	if err := web.BindJSON(c, &in); err != nil {
		return 0, nil, cmp.Or(h.svc.mayAct(c.Request.Context(), auth.Caller(c), id, ActionUpdate), err)
	}
	o, err := h.svc.Update(c.Request.Context(), auth.Caller(c), id, c.GetHeader("If-Match"), in)
	return orderAnswer(c, http.StatusOK, o, err)
}

func (h *handlers) events(c *gin.Context) (int, any, error) {
	id, err := web.ParamID(c, "id", "not_found.order")
	if err != nil {
		return 0, nil, err
	}
	es, err := h.svc.Events(c.Request.Context(), auth.Caller(c), id)
	return http.StatusOK, paging.List[Event]{Items: es}, err
}

// quote answers GET /orders/quote?tender_id=7&lines=12:3,13:2.5 (item
// id:quantity pairs).
func (h *handlers) quote(c *gin.Context) (int, any, error) {
	tenderID, err := strconv.ParseInt(c.Query("tender_id"), 10, 64)
	if err != nil || tenderID <= 0 {
		return 0, nil, apperr.Invalid("order.bad_quote", apperr.Field("tender_id", "msg.required"))
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
			fields = append(fields, apperr.Field("lines", "order.quote_entry", i+1))
			continue
		}
		lines = append(lines, LineInput{ItemID: id, Quantity: Quantity{q}})
	}
	if len(fields) > 0 {
		return 0, nil, apperr.Invalid("order.bad_quote", fields...)
	}
	q, err := h.svc.Quote(c.Request.Context(), auth.Caller(c), tenderID, lines)
	return http.StatusOK, q, err
}

// transition answers one state change: it binds the body (none for
// submit), runs change with the request's If-Match and answers the order.
// A body it cannot bind is refused only once the caller may take action on
// the order: a caller who may not learns nothing of the body's rules (404
// or 403, never 400 or 422).
func transition[T any](h *handlers, action string, change func(s *Service, ctx context.Context, p *auth.Principal, id int64, ifMatch string, in T) (*Order, error)) gin.HandlerFunc {
	return web.Serve(func(c *gin.Context) (int, any, error) {
		id, err := web.ParamID(c, "id", "not_found.order")
		if err != nil {
			return 0, nil, err
		}
		var in T
		if c.Request.ContentLength != 0 {
			if err := web.BindJSON(c, &in); err != nil {
				return 0, nil, cmp.Or(h.svc.mayAct(c.Request.Context(), auth.Caller(c), id, action), err)
			}
		}
		o, err := change(h.svc, c.Request.Context(), auth.Caller(c), id, c.GetHeader("If-Match"), in)
		return orderAnswer(c, http.StatusOK, o, err)
	})
}

// empty is the body of actions that take none.
type empty struct{}

// submit is Service.Submit as a state change with a body.
func submit(s *Service, ctx context.Context, p *auth.Principal, id int64, ifMatch string, _ empty) (*Order, error) {
	return s.Submit(ctx, p, id, ifMatch)
}

// budgetLines answers GET /budget-lines?authority_id=&year=: the budget
// lines the caller may see, with what the reserving orders hold and what is
// left.
func (h *handlers) budgetLines(c *gin.Context) (int, any, error) {
	var authorityID int64
	var year int
	var fields []apperr.FieldError
	if s := c.Query("authority_id"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			fields = append(fields, apperr.Field("authority_id", "order.must_be_id"))
		}
		authorityID = n
	}
	if s := c.Query("year"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 2000 || n > 2100 {
			fields = append(fields, apperr.Field("year", "order.must_be_year"))
		}
		year = n
	}
	if len(fields) > 0 {
		return 0, nil, apperr.Invalid("order.bad_filter", fields...)
	}
	lines, err := h.svc.BudgetLines(c.Request.Context(), auth.Caller(c), authorityID, year)
	return http.StatusOK, paging.List[authorities.BudgetBalance]{Items: lines}, err
}

// budgetLine answers GET /budget-lines/{id}.
func (h *handlers) budgetLine(c *gin.Context) (int, any, error) {
	id, err := web.ParamID(c, "id", "not_found.budget_line")
	if err != nil {
		return 0, nil, err
	}
	b, err := h.svc.BudgetLine(c.Request.Context(), auth.Caller(c), id)
	return http.StatusOK, b, err
}
