package workplan

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/page"
	"madaf/internal/paging"
	"madaf/internal/web"
)

type handlers struct{ s *Store }

// clusterOnly answers 404 to callers outside the cluster: the work plan is
// the cluster's internal plan and its existence leaks nothing to others.
func clusterOnly() gin.HandlerFunc {
	return func(c *gin.Context) {
		if p := auth.Caller(c); p == nil || !p.IsCluster() {
			web.Error(c, apperr.NotFound("not_found.resource"))
			return
		}
		c.Next()
	}
}

// editors may change the plan itself; a task's owner may also change its
// status.
var editors = []string{auth.RoleEconomicLead, auth.RoleClusterAdmin}

// paramYear reads the plan's year; anything that is not a year is a plan
// that does not exist.
func paramYear(c *gin.Context) (int, error) {
	y, err := strconv.Atoi(c.Param("year"))
	if err != nil || y < 2000 || y > 2100 {
		return 0, ErrPlanNotFound
	}
	return y, nil
}

// parseFilter reads ?status=a,b&domain=ID&owner=NAME&owner_user_id=ID.
func parseFilter(c *gin.Context) (Filter, error) {
	var f Filter
	var bad []apperr.FieldError
	for _, v := range c.QueryArray("status") {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s == "" {
				continue
			}
			if !Status(s).Valid() {
				bad = append(bad, apperr.Field("status", "msg.oneof", statusList()))
				continue
			}
			f.Statuses = append(f.Statuses, Status(s))
		}
	}
	if v := c.Query("domain"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			bad = append(bad, apperr.Field("domain", "workplan.bad_domain_id"))
		}
		f.DomainID = id
	}
	f.Owner = strings.TrimSpace(c.Query("owner"))
	if v := c.Query("owner_user_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			bad = append(bad, apperr.Field("owner_user_id", "workplan.bad_user_id"))
		}
		f.OwnerUserID = id
	}
	if len(bad) > 0 {
		return f, apperr.Invalid("workplan.bad_filter", bad...)
	}
	return f, nil
}

// statusList is the canonical statuses, for a refusal that lists them.
func statusList() string {
	s := make([]string, len(Statuses))
	for i, v := range Statuses {
		s[i] = string(v)
	}
	return strings.Join(s, " ")
}

// figureList is the figures, for a refusal that lists them.
func figureList() string {
	s := make([]string, len(Figures))
	for i, v := range Figures {
		s[i] = string(v)
	}
	return strings.Join(s, " ")
}

func (h *handlers) plans(c *gin.Context) (int, any, error) {
	plans, err := h.s.Plans(c.Request.Context())
	return http.StatusOK, paging.List[Plan]{Items: plans}, err
}

// planResponse is a plan with its domains, goals and tasks.
type planResponse struct {
	*Plan
	Domains []*Domain `json:"domains"`
}

func (h *handlers) plan(c *gin.Context) (int, any, error) {
	year, err := paramYear(c)
	if err != nil {
		return 0, nil, err
	}
	f, err := parseFilter(c)
	if err != nil {
		return 0, nil, err
	}
	plan, domains, err := h.s.Tree(c.Request.Context(), year, f)
	return http.StatusOK, planResponse{Plan: plan, Domains: domains}, err
}

// taskDetail is a task with the goal and domain it belongs to.
type taskDetail struct {
	*Task
	Goal   taskGoal   `json:"goal"`
	Domain taskDomain `json:"domain"`
}

type taskGoal struct {
	ID      int64  `json:"id"`
	Number  string `json:"number"`
	Heading string `json:"heading"`
}

type taskDomain struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// detail is tc as the API answers it, the goal's heading in lang.
func detail(tc *TaskContext, lang string) taskDetail {
	return taskDetail{Task: tc.Task,
		Goal:   taskGoal{ID: tc.Goal.ID, Number: tc.Goal.Number, Heading: tc.Goal.Heading(lang)},
		Domain: taskDomain{ID: tc.Domain.ID, Name: tc.Domain.Name}}
}

// yearAndID reads the plan's :year and the :id of what ("task", "goal")
// in it; an id that is not one is not found.
func yearAndID(c *gin.Context, what string) (int, int64, error) {
	year, err := paramYear(c)
	if err != nil {
		return 0, 0, err
	}
	id, err := web.ParamID(c, "id", "not_found."+what)
	return year, id, err
}

func (h *handlers) task(c *gin.Context) (int, any, error) {
	year, id, err := yearAndID(c, "task")
	if err != nil {
		return 0, nil, err
	}
	tc, err := h.s.TaskWithContext(c.Request.Context(), year, id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, detail(tc, page.LangOf(c)), nil
}

func (h *handlers) history(c *gin.Context) (int, any, error) {
	year, id, err := yearAndID(c, "task")
	if err != nil {
		return 0, nil, err
	}
	if _, err := h.s.Task(c.Request.Context(), year, id); err != nil {
		return 0, nil, err
	}
	events, err := h.s.Events(c.Request.Context(), id)
	return http.StatusOK, paging.List[Event]{Items: events}, err
}

func (h *handlers) setStatus(c *gin.Context) (int, any, error) {
	year, id, err := yearAndID(c, "task")
	if err != nil {
		return 0, nil, err
	}
	var req StatusRequest
	if err := web.BindJSON(c, &req); err != nil {
		return 0, nil, err
	}
	p := auth.Caller(c)
	ch, err := req.Change(p.UserID)
	if err != nil {
		return 0, nil, err
	}
	if _, err := h.s.SetStatus(c.Request.Context(), year, id, ch, mayUpdateStatus(p)); err != nil {
		return 0, nil, err
	}
	return h.task(c)
}

func (h *handlers) patchTask(c *gin.Context) (int, any, error) {
	year, id, err := yearAndID(c, "task")
	if err != nil {
		return 0, nil, err
	}
	var req TaskPatch
	if err := web.BindJSON(c, &req); err != nil {
		return 0, nil, err
	}
	ch, err := req.Change()
	if err != nil {
		return 0, nil, err
	}
	if _, err := h.s.UpdateTask(c.Request.Context(), year, id, ch); err != nil {
		return 0, nil, err
	}
	return h.task(c)
}

type engineRequest struct {
	EngineID *int64 `json:"engine_id"`
}

func (h *handlers) setGoalEngine(c *gin.Context) (int, any, error) {
	year, id, err := yearAndID(c, "goal")
	if err != nil {
		return 0, nil, err
	}
	var req engineRequest
	if err := web.BindJSON(c, &req); err != nil {
		return 0, nil, err
	}
	g, err := h.s.SetGoalEngine(c.Request.Context(), year, id, req.EngineID)
	// The answer is the goal itself, without its tasks.
	return http.StatusOK, struct {
		*Goal
		Tasks []*Task `json:"tasks,omitempty"`
	}{Goal: g}, err
}

func (h *handlers) summary(c *gin.Context) (int, any, error) {
	year, err := paramYear(c)
	if err != nil {
		return 0, nil, err
	}
	sum, err := h.s.Summary(c.Request.Context(), year)
	return http.StatusOK, sum, err
}

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

func (h *handlers) planXLSX(c *gin.Context) {
	h.xlsx(c, "plan", h.s.WritePlanXLSX)
}

func (h *handlers) summaryXLSX(c *gin.Context) {
	h.xlsx(c, "summary", h.s.WriteSummaryXLSX)
}

// xlsx answers the workbook write draws, in the caller's language (Hebrew
// by default).
func (h *handlers) xlsx(c *gin.Context, name string, write func(ctx context.Context, year int, lang string, w io.Writer) error) {
	year, err := paramYear(c)
	if err != nil {
		web.Error(c, err)
		return
	}
	var buf bytes.Buffer
	if err := write(c.Request.Context(), year, page.LangOf(c), &buf); err != nil {
		web.Error(c, err)
		return
	}
	c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="workplan-%d-%s.xlsx"`, year, name))
	c.Data(http.StatusOK, xlsxType, buf.Bytes())
}

// errFileTooLarge refuses an upload above the body limit (1 MiB).
var errFileTooLarge = apperr.New(apperr.KindTooLarge, "workplan.file_too_large")

// errNoFile refuses an import without a file.
var errNoFile = apperr.Invalid("workplan.no_file", apperr.Field("file", "msg.required"))

// readUpload returns the uploaded file: the multipart field "file", or the
// whole body otherwise, with its name.
func readUpload(c *gin.Context) ([]byte, string, error) {
	if strings.HasPrefix(c.ContentType(), "multipart/form-data") {
		fh, err := c.FormFile("file")
		if err != nil {
			if web.IsTooLarge(err) {
				return nil, "", errFileTooLarge
			}
			return nil, "", errNoFile
		}
		f, err := fh.Open()
		if err != nil {
			return nil, "", err
		}
		defer f.Close()
		data, err := io.ReadAll(f)
		return data, fh.Filename, err
	}
	data, err := io.ReadAll(c.Request.Body)
	if err != nil {
		if web.IsTooLarge(err) {
			return nil, "", errFileTooLarge
		}
		return nil, "", apperr.Malformed("workplan.file_unreadable")
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, "", errNoFile
	}
	return data, c.Query("filename"), nil
}

func (h *handlers) importPlan(c *gin.Context) (int, any, error) {
	year, err := paramYear(c)
	if err != nil {
		return 0, nil, err
	}
	data, name, err := readUpload(c)
	if err != nil {
		return 0, nil, err
	}
	doc, err := Parse(data)
	if err != nil {
		return 0, nil, err
	}
	res, err := h.s.Import(c.Request.Context(), year, doc, name, auth.Caller(c).UserID)
	return http.StatusOK, res, err
}

func (h *handlers) carryOver(c *gin.Context) (int, any, error) {
	year, err := paramYear(c)
	if err != nil {
		return 0, nil, err
	}
	res, err := h.s.CarryOver(c.Request.Context(), year, auth.Caller(c).UserID)
	return http.StatusOK, res, err
}

func (h *handlers) engines(c *gin.Context) (int, any, error) {
	engines, err := h.s.Engines(c.Request.Context())
	return http.StatusOK, paging.List[*Engine]{Items: engines}, err
}

func (h *handlers) engine(c *gin.Context) (int, any, error) {
	id, err := web.ParamID(c, "id", "not_found.engine")
	if err != nil {
		return 0, nil, err
	}
	e, err := h.s.Engine(c.Request.Context(), id)
	return http.StatusOK, e, err
}

func (h *handlers) importEngines(c *gin.Context) (int, any, error) {
	strategy := strings.TrimSpace(c.Query("strategy"))
	if strategy == "" {
		return 0, nil, apperr.Invalid("workplan.strategy_required", apperr.Field("strategy", "msg.required"))
	}
	data, _, err := readUpload(c)
	if err != nil {
		return 0, nil, err
	}
	engines, err := ParseStrategy(data)
	if err != nil {
		return 0, nil, err
	}
	if err := h.s.ImportEngines(c.Request.Context(), strategy, engines); err != nil {
		return 0, nil, err
	}
	return h.engines(c)
}
