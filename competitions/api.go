package competitions

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/paging"
	"madaf/internal/web"
)

// handlers are the JSON endpoints of competitions; each reads the request,
// calls the service and writes the answer. Scoping, roles and the rules of
// the body are the service's, so that an out-of-scope caller learns
// nothing of the body's rules.
type handlers struct{ svc *Service }

// competitionAnswer answers a competition with its ETag, or err.
func competitionAnswer(c *gin.Context, status int, v *Competition, err error) (int, any, error) {
	if err != nil {
		return 0, nil, err
	}
	c.Header("ETag", v.ETag())
	return status, v, nil
}

// id reads the :id parameter.
func id(c *gin.Context) (int64, error) { return web.ParamID(c, "id", "not_found.competition") }

// bind reads the request's JSON body into dst, when it has one.
func bind(c *gin.Context, dst any) error {
	if c.Request.ContentLength == 0 {
		return nil
	}
	return web.BindJSON(c, dst)
}

func (h *handlers) list(c *gin.Context) (int, any, error) {
	page, err := web.ParsePage(c)
	if err != nil {
		return 0, nil, err
	}
	f := Filter{Status: c.Query("status"), Limit: page.Limit, After: page.After}
	fields := idFilters(c, &f.TenderID, &f.AuthorityID)
	if len(fields) > 0 {
		return 0, nil, apperr.Invalid("competition.bad_filter", fields...)
	}
	cs, err := h.svc.List(c.Request.Context(), auth.Caller(c), f)
	return http.StatusOK, paging.Of(page, cs, func(v Competition) int64 { return v.ID }), err
}

func (h *handlers) create(c *gin.Context) (int, any, error) {
	var in Input
	if err := web.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	v, err := h.svc.Create(c.Request.Context(), auth.Caller(c), in)
	if err == nil {
		c.Header("Location", "/api/v1/competitions/"+strconv.FormatInt(v.ID, 10))
	}
	return competitionAnswer(c, http.StatusCreated, v, err)
}

func (h *handlers) get(c *gin.Context) (int, any, error) {
	cid, err := id(c)
	if err != nil {
		return 0, nil, err
	}
	v, err := h.svc.Get(c.Request.Context(), auth.Caller(c), cid)
	return competitionAnswer(c, http.StatusOK, v, err)
}

func (h *handlers) update(c *gin.Context) (int, any, error) {
	cid, err := id(c)
	if err != nil {
		return 0, nil, err
	}
	var in Input
	if err := web.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	v, err := h.svc.Update(c.Request.Context(), auth.Caller(c), cid, c.GetHeader("If-Match"), in)
	return competitionAnswer(c, http.StatusOK, v, err)
}

func (h *handlers) publish(c *gin.Context) (int, any, error) {
	cid, err := id(c)
	if err != nil {
		return 0, nil, err
	}
	var in PublishInput
	if err := bind(c, &in); err != nil {
		return 0, nil, err
	}
	v, err := h.svc.Publish(c.Request.Context(), auth.Caller(c), cid, c.GetHeader("If-Match"), in)
	return competitionAnswer(c, http.StatusOK, v, err)
}

func (h *handlers) cancel(c *gin.Context) (int, any, error) {
	cid, err := id(c)
	if err != nil {
		return 0, nil, err
	}
	var in CancelInput
	if err := bind(c, &in); err != nil {
		return 0, nil, err
	}
	v, err := h.svc.Cancel(c.Request.Context(), auth.Caller(c), cid, c.GetHeader("If-Match"), in)
	return competitionAnswer(c, http.StatusOK, v, err)
}

func (h *handlers) events(c *gin.Context) (int, any, error) {
	cid, err := id(c)
	if err != nil {
		return 0, nil, err
	}
	es, err := h.svc.Events(c.Request.Context(), auth.Caller(c), cid)
	return http.StatusOK, paging.List[Event]{Items: es}, err
}

func (h *handlers) questions(c *gin.Context) (int, any, error) {
	cid, err := id(c)
	if err != nil {
		return 0, nil, err
	}
	qs, err := h.svc.Questions(c.Request.Context(), auth.Caller(c), cid)
	return http.StatusOK, paging.List[Question]{Items: qs}, err
}

func (h *handlers) ask(c *gin.Context) (int, any, error) {
	cid, err := id(c)
	if err != nil {
		return 0, nil, err
	}
	var in TextInput
	if err := bind(c, &in); err != nil {
		return 0, nil, err
	}
	q, err := h.svc.Ask(c.Request.Context(), auth.Caller(c), cid, in)
	return http.StatusCreated, q, err
}

func (h *handlers) answer(c *gin.Context) (int, any, error) {
	cid, err := id(c)
	if err != nil {
		return 0, nil, err
	}
	qid, err := web.ParamID(c, "question_id", "not_found.question")
	if err != nil {
		return 0, nil, err
	}
	var in TextInput
	if err := bind(c, &in); err != nil {
		return 0, nil, err
	}
	q, err := h.svc.Answer(c.Request.Context(), auth.Caller(c), cid, qid, in)
	return http.StatusOK, q, err
}

func (h *handlers) quoteForm(c *gin.Context) (int, any, error) {
	cid, err := id(c)
	if err != nil {
		return 0, nil, err
	}
	f, err := h.svc.QuoteForm(c.Request.Context(), auth.Caller(c), cid)
	return http.StatusOK, f, err
}

func (h *handlers) submitQuote(c *gin.Context) (int, any, error) {
	cid, err := id(c)
	if err != nil {
		return 0, nil, err
	}
	var in QuoteInput
	if err := web.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	f, err := h.svc.SubmitQuote(c.Request.Context(), auth.Caller(c), cid, in)
	return http.StatusOK, f, err
}

func (h *handlers) withdraw(c *gin.Context) (int, any, error) {
	cid, err := id(c)
	if err != nil {
		return 0, nil, err
	}
	f, err := h.svc.WithdrawQuote(c.Request.Context(), auth.Caller(c), cid)
	return http.StatusOK, f, err
}

func (h *handlers) decline(c *gin.Context) (int, any, error) {
	cid, err := id(c)
	if err != nil {
		return 0, nil, err
	}
	var in TextInput
	if err := bind(c, &in); err != nil {
		return 0, nil, err
	}
	f, err := h.svc.Decline(c.Request.Context(), auth.Caller(c), cid, in)
	return http.StatusOK, f, err
}

func (h *handlers) quotes(c *gin.Context) (int, any, error) {
	cid, err := id(c)
	if err != nil {
		return 0, nil, err
	}
	l, err := h.svc.Quotes(c.Request.Context(), auth.Caller(c), cid)
	return http.StatusOK, l, err
}

func (h *handlers) protocol(c *gin.Context) (int, any, error) {
	cid, err := id(c)
	if err != nil {
		return 0, nil, err
	}
	pr, err := h.svc.Protocol(c.Request.Context(), auth.Caller(c), cid)
	return http.StatusOK, pr, err
}

func (h *handlers) propose(c *gin.Context) (int, any, error) {
	cid, err := id(c)
	if err != nil {
		return 0, nil, err
	}
	var in ProposalInput
	if err := bind(c, &in); err != nil {
		return 0, nil, err
	}
	pr, err := h.svc.Propose(c.Request.Context(), auth.Caller(c), cid, c.GetHeader("If-Match"), in)
	return http.StatusOK, pr, err
}

func (h *handlers) vote(c *gin.Context) (int, any, error) {
	cid, err := id(c)
	if err != nil {
		return 0, nil, err
	}
	var in VoteInput
	if err := bind(c, &in); err != nil {
		return 0, nil, err
	}
	pr, err := h.svc.Vote(c.Request.Context(), auth.Caller(c), cid, c.GetHeader("If-Match"), in)
	return http.StatusOK, pr, err
}

func (h *handlers) pass(c *gin.Context) (int, any, error) {
	cid, err := id(c)
	if err != nil {
		return 0, nil, err
	}
	var in TextInput
	if err := bind(c, &in); err != nil {
		return 0, nil, err
	}
	v, err := h.svc.PassToNext(c.Request.Context(), auth.Caller(c), cid, c.GetHeader("If-Match"), in)
	return competitionAnswer(c, http.StatusOK, v, err)
}

// idFilters reads the query's tender_id and authority_id into tender and
// authority, and names each that is not an id.
func idFilters(c *gin.Context, tender, authority *int64) []apperr.FieldError {
	var fields []apperr.FieldError
	for _, q := range []struct {
		name string
		dst  *int64
	}{{"tender_id", tender}, {"authority_id", authority}} {
		if s := c.Query(q.name); s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n <= 0 {
				fields = append(fields, apperr.Field(q.name, "competition.msg.must_be_id"))
			}
			*q.dst = n
		}
	}
	return fields
}

// report answers GET /competitions/report?tender_id=&authority_id=&from=&to=.
func (h *handlers) report(c *gin.Context) (int, any, error) {
	p := auth.Caller(c)
	f := ReportFilter{Lang: p.Lang}
	fields := idFilters(c, &f.TenderID, &f.AuthorityID)
	for _, q := range []struct {
		name string
		dst  *calendar.Date
	}{{"from", &f.From}, {"to", &f.To}} {
		if s := c.Query(q.name); s != "" {
			d, err := calendar.Parse(s)
			if err != nil {
				fields = append(fields, apperr.Field(q.name, "msg.date"))
			}
			*q.dst = d
		}
	}
	if len(fields) > 0 {
		return 0, nil, apperr.Invalid("competition.bad_filter", fields...)
	}
	r, err := h.svc.Report(c.Request.Context(), p, f)
	return http.StatusOK, r, err
}
