package workplan

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/page"
	"madaf/internal/web"
)

// pages serves the work plan's web pages.
type pages struct {
	eng     *page.Engine
	store   *Store
	plans   *page.Page
	plan    *page.Page
	summary *page.Page
	task    *page.Page
	engines *page.Page
}

// MountPages adds the work plan pages (/workplan...) to r: the plans with
// the upload form, a plan by domain and goal with filters, its summary per
// domain, a task with its history and forms, and the growth engines. Only
// the cluster's users see them.
func MountPages(r gin.IRouter, eng *page.Engine, db *sqlx.DB) {
	p := &pages{eng: eng, store: NewStore(db),
		plans: eng.MustPage("workplan_plans"), plan: eng.MustPage("workplan_plan"),
		summary: eng.MustPage("workplan_summary"), task: eng.MustPage("workplan_task"),
		engines: eng.MustPage("workplan_engines")}
	eng.AddNav(page.NavItem{Key: "nav.workplan", Path: "/workplan", Roles: editors, Order: 60})
	edit := eng.RequireRole(editors...)
	g := r.Group("/workplan", eng.Required(), p.clusterOnly)
	g.GET("", p.showPlans)
	g.POST("/import", edit, p.importPlan)
	g.GET("/engines", p.showEngines)
	g.GET("/:year", p.showPlan)
	g.GET("/:year/summary", p.showSummary)
	g.POST("/:year/carry-over", edit, p.carryOver)
	g.POST("/:year/goals/:id/engine", edit, p.setGoalEngine)
	g.GET("/:year/tasks/:id", p.showTask)
	g.POST("/:year/tasks/:id/status", p.setStatus)
	g.POST("/:year/tasks/:id", edit, p.updateTask)
}

// clusterOnly answers the 404 page to users outside the cluster.
func (p *pages) clusterOnly(c *gin.Context) {
	if u := auth.Caller(c); u == nil || !u.IsCluster() {
		p.eng.Fail(c, apperr.NotFound("page"))
		c.Abort()
		return
	}
	c.Next()
}

// plansData is the list of plans with the upload form.
type plansData struct {
	Plans    []Plan
	CanEdit  bool
	Problems []apperr.FieldError
}

func (p *pages) showPlans(c *gin.Context) {
	p.renderPlans(c, http.StatusOK, nil, nil)
}

func (p *pages) renderPlans(c *gin.Context, status int, f *page.Form, problems []apperr.FieldError) {
	plans, err := p.store.Plans(c)
	if err != nil {
		p.eng.Fail(c, err)
		return
	}
	if f == nil {
		f = page.NewForm(url.Values{"year": {strconv.Itoa(defaultYear(plans))}})
	}
	d := plansData{Plans: plans, CanEdit: auth.Caller(c).HasAny(editors...), Problems: problems}
	p.eng.Render(c, status, p.plans, d, f)
}

// defaultYear is the year the upload form proposes: the newest plan's.
func defaultYear(plans []Plan) int {
	if len(plans) > 0 {
		return plans[0].Year
	}
	return 2024
}

func (p *pages) importPlan(c *gin.Context) {
	f := page.NewForm(url.Values{"year": {c.PostForm("year")}})
	year := int(f.Int64("year", page.Required))
	if f.Error("year") == "" && (year < 2000 || year > 2100) {
		f.Fail("year", "workplan.bad_year")
	}
	fh, err := c.FormFile("file")
	if err != nil {
		if web.IsTooLarge(err) {
			p.eng.Fail(c, &apperr.Error{Kind: apperr.KindTooLarge, Message: "the file is larger than 1 MiB"})
			return
		}
		f.Fail("file", "msg.required")
	}
	if !f.Valid() {
		p.renderPlans(c, http.StatusUnprocessableEntity, f, nil)
		return
	}
	file, err := fh.Open()
	if err != nil {
		p.eng.Fail(c, err)
		return
	}
	data, err := io.ReadAll(file)
	file.Close()
	if err != nil {
		p.eng.Fail(c, err)
		return
	}
	doc, err := Parse(data)
	var res *ImportResult
	if err == nil {
		res, err = p.store.Import(c, year, doc, fh.Filename, auth.Caller(c).UserID)
	}
	if err != nil {
		var ae *apperr.Error
		if errors.As(err, &ae) && (ae.Kind == apperr.KindInvalid || ae.Kind == apperr.KindConflict) {
			f.Message = ae.Message
			if len(ae.Fields) > 0 {
				f.Message = "workplan.import_refused"
			}
			p.renderPlans(c, http.StatusUnprocessableEntity, f, p.localize(c, ae.Fields))
			return
		}
		p.eng.Fail(c, err)
		return
	}
	flash := "workplan.imported"
	if !res.Changed() {
		flash = "workplan.import_unchanged"
	}
	p.eng.Redirect(c, fmt.Sprintf("/workplan/%d", year), flash)
}

// planData is a plan by domain and goal with its filters.
type planData struct {
	Plan     *Plan
	Domains  []*Domain
	Filtered bool
	// The filter as chosen, and what it offers.
	Status      string
	DomainID    int64
	Owner       string
	AllDomains  []*Domain
	Owners      []string
	Statuses    []Status
	Counts      Counts
	Engines     []*Engine
	CanEdit     bool
	NextYear    int
	NextYearHas bool
}

func (p *pages) showPlan(c *gin.Context) {
	year, err := paramYear(c)
	if err != nil {
		p.eng.Fail(c, err)
		return
	}
	d := planData{Status: c.Query("status"), Owner: c.Query("owner"), Statuses: Statuses,
		CanEdit: auth.Caller(c).HasAny(editors...), NextYear: year + 1}
	f := Filter{Owner: d.Owner}
	if d.Status != "" {
		if !Status(d.Status).Valid() {
			p.eng.Fail(c, ErrPlanNotFound)
			return
		}
		f.Statuses = []Status{Status(d.Status)}
	}
	d.DomainID, _ = strconv.ParseInt(c.Query("domain"), 10, 64)
	f.DomainID = d.DomainID
	d.Filtered = !f.Empty()
	if d.Plan, d.Domains, err = p.store.Tree(c, year, f); err != nil {
		p.eng.Fail(c, err)
		return
	}
	if d.Filtered {
		if d.AllDomains, err = p.store.Domains(c, d.Plan.ID); err != nil {
			p.eng.Fail(c, err)
			return
		}
	} else {
		d.AllDomains = d.Domains
	}
	d.Counts = newCounts()
	for _, dom := range d.Domains {
		for _, g := range dom.Goals {
			for _, t := range g.Tasks {
				d.Counts.add(t.Status, 1)
			}
		}
	}
	if d.Owners, err = p.store.Owners(c, d.Plan.ID); err != nil {
		p.eng.Fail(c, err)
		return
	}
	if d.Engines, err = p.store.Engines(c); err != nil {
		p.eng.Fail(c, err)
		return
	}
	if _, err := p.store.Plan(c, year+1); err == nil {
		d.NextYearHas = true
	}
	p.eng.Render(c, http.StatusOK, p.plan, d, nil)
}

// summaryData is the summary page.
type summaryData struct {
	Summary *Summary
}

func (p *pages) showSummary(c *gin.Context) {
	year, err := paramYear(c)
	if err != nil {
		p.eng.Fail(c, err)
		return
	}
	sum, err := p.store.Summary(c, year)
	if err != nil {
		p.eng.Fail(c, err)
		return
	}
	p.eng.Render(c, http.StatusOK, p.summary, summaryData{Summary: sum}, nil)
}

func (p *pages) carryOver(c *gin.Context) {
	year, err := paramYear(c)
	if err != nil {
		p.eng.Fail(c, err)
		return
	}
	res, err := p.store.CarryOver(c, year, auth.Caller(c).UserID)
	if err != nil {
		p.eng.Fail(c, err)
		return
	}
	flash := "workplan.carried"
	if res.Carried == 0 {
		flash = "workplan.carried_none"
	}
	p.eng.Redirect(c, fmt.Sprintf("/workplan/%d", res.ToYear), flash)
}

func (p *pages) setGoalEngine(c *gin.Context) {
	year, err := paramYear(c)
	if err != nil {
		p.eng.Fail(c, err)
		return
	}
	id, err := web.ParamID(c, "id", "goal")
	if err != nil {
		p.eng.Fail(c, err)
		return
	}
	f := page.ReadForm(c)
	var engine *int64
	if v := f.Int64("engine_id", false); v > 0 {
		engine = &v
	}
	if !f.Valid() {
		p.eng.Fail(c, f.Err())
		return
	}
	if _, err := p.store.SetGoalEngine(c, year, id, engine); err != nil {
		p.eng.Fail(c, err)
		return
	}
	p.eng.Redirect(c, fmt.Sprintf("/workplan/%d#goal-%d", year, id), "workplan.engine_saved")
}

// taskData is a task with its history and the forms that change it.
type taskData struct {
	Year      int
	Task      *Task
	Goal      *Goal
	Domain    *Domain
	Events    []Event
	Statuses  []Status
	Figures   []Figure
	Users     []ClusterUser
	CanStatus bool
	CanEdit   bool
	// Which form the errors belong to: "status" or "plan".
	FormOf string
}

func (p *pages) loadTask(c *gin.Context) (*taskData, error) {
	year, err := paramYear(c)
	if err != nil {
		return nil, err
	}
	id, err := web.ParamID(c, "id", "task")
	if err != nil {
		return nil, err
	}
	tc, err := p.store.TaskWithContext(c, year, id)
	if err != nil {
		return nil, err
	}
	if err := attachFigures(c, p.store.db, year, []*Task{tc.Task}); err != nil {
		return nil, err
	}
	d := &taskData{Year: year, Task: tc.Task, Goal: tc.Goal, Domain: tc.Domain, Statuses: Statuses, Figures: Figures}
	if d.Events, err = p.store.Events(c, id); err != nil {
		return nil, err
	}
	caller := auth.Caller(c)
	d.CanEdit = caller.HasAny(editors...)
	d.CanStatus = mayUpdateStatus(caller)(tc.Task) == nil
	if d.CanEdit {
		if d.Users, err = p.store.ClusterUsers(c); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// taskForm is the forms of the task page filled with the task's values.
func taskForm(t *Task) *page.Form {
	v := url.Values{"status": {string(t.Status)}, "phrase": {t.StatusPhrase}, "notes": {t.Notes}, "owner": {t.Owner}}
	if t.OwnerUserID != nil {
		v.Set("owner_user_id", strconv.FormatInt(*t.OwnerUserID, 10))
	}
	if t.DueQuarter != nil {
		v.Set("due_quarter", strconv.Itoa(*t.DueQuarter))
	}
	if t.Figure != nil {
		v.Set("figure", string(*t.Figure))
	}
	if t.FigureTarget != nil {
		v.Set("figure_target", t.FigureTarget.String())
	}
	return page.NewForm(v)
}

func (p *pages) showTask(c *gin.Context) {
	d, err := p.loadTask(c)
	if err != nil {
		p.eng.Fail(c, err)
		return
	}
	p.eng.Render(c, http.StatusOK, p.task, d, taskForm(d.Task))
}

func (p *pages) setStatus(c *gin.Context) {
	d, err := p.loadTask(c)
	if err != nil {
		p.eng.Fail(c, err)
		return
	}
	if !d.CanStatus {
		p.eng.Fail(c, apperr.Forbidden("only the economic lead, the cluster admin or the task's owner may change its status"))
		return
	}
	f := page.ReadForm(c)
	notes, phrase, status := f.Value("notes"), f.Value("phrase"), f.Value("status")
	if phrase == d.Task.StatusPhrase && status != "" && status != string(d.Task.Status) {
		// The form shows the current wording; a new status without a new
		// wording drops it.
		phrase = ""
	}
	req := StatusRequest{Status: status, Phrase: phrase, Notes: &notes, Note: f.Value("note")}
	ch, err := req.Change(auth.Caller(c).UserID)
	if err == nil {
		_, err = p.store.SetStatus(c, d.Year, d.Task.ID, ch, mayUpdateStatus(auth.Caller(c)))
		if err == nil {
			p.eng.Redirect(c, fmt.Sprintf("/workplan/%d/tasks/%d", d.Year, d.Task.ID), "workplan.status_saved")
			return
		}
	}
	if apperr.Is(err, apperr.KindConflict) {
		f.Message = "workplan.same_status"
	} else if !f.Absorb(withKeys(err), nil) {
		p.eng.Fail(c, err)
		return
	}
	d.FormOf = "status"
	p.eng.Render(c, http.StatusUnprocessableEntity, p.task, d, f)
}

func (p *pages) updateTask(c *gin.Context) {
	d, err := p.loadTask(c)
	if err != nil {
		p.eng.Fail(c, err)
		return
	}
	f := page.ReadForm(c)
	owner, notes := f.Value("owner"), f.Value("notes")
	ch := TaskChange{Owner: &owner, Notes: &notes}
	var ownerID *int64
	if v := f.Int64("owner_user_id", false); v > 0 {
		ownerID = &v
	}
	ch.OwnerUserID = &ownerID
	var quarter *int
	if v := f.Int64("due_quarter", false); v != 0 {
		q := int(v)
		if q < 1 || q > 4 {
			f.Fail("due_quarter", "workplan.bad_quarter")
		}
		quarter = &q
	}
	ch.DueQuarter = &quarter
	var fig *Figure
	if v := Figure(f.Value("figure")); v != "" {
		if !v.Valid() {
			f.Fail("figure", "workplan.bad_figure")
		}
		fig = &v
	}
	ch.Figure = &fig
	var target *decimal.Decimal
	if f.Value("figure_target") != "" {
		v := f.Decimal("figure_target", false)
		if v.IsNegative() {
			f.Fail("figure_target", "workplan.bad_target")
		}
		target = &v
	}
	ch.FigureTarget = &target
	if f.Valid() {
		_, err = p.store.UpdateTask(c, d.Year, d.Task.ID, ch)
		if err == nil {
			p.eng.Redirect(c, fmt.Sprintf("/workplan/%d/tasks/%d", d.Year, d.Task.ID), "workplan.task_saved")
			return
		}
		if !f.Absorb(withKeys(err), nil) {
			p.eng.Fail(c, err)
			return
		}
	}
	d.FormOf = "plan"
	p.eng.Render(c, http.StatusUnprocessableEntity, p.task, d, f)
}

// fieldKeys name the catalog keys of the work plan's own field messages.
var fieldKeys = map[string]string{
	"maps to no status":                    "workplan.phrase_unknown",
	"is not an active user of the cluster": "workplan.owner_not_cluster",
	"needs a figure to be set":             "workplan.target_needs_figure",
}

// withKeys returns err with the work plan's field messages replaced by
// their catalog keys, so that the form shows them in the user's language.
func withKeys(err error) error {
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Kind != apperr.KindInvalid {
		return err
	}
	out := *ae
	out.Fields = make([]apperr.FieldError, len(ae.Fields))
	for i, f := range ae.Fields {
		if key, ok := fieldKeys[f.Message]; ok {
			f.Message = key
		} else if strings.HasPrefix(f.Message, "means ") {
			f.Message = "workplan.phrase_disagrees"
		}
		out.Fields[i] = f
	}
	return &out
}

// problemPatterns turn the import's faults into catalog keys with their
// arguments.
var problemPatterns = []struct {
	re  *regexp.Regexp
	key string
}{
	{regexp.MustCompile(`^unknown status phrase "(.*)"$`), "workplan.problem_unknown_phrase"},
	{regexp.MustCompile(`^the task "(.*)" has no status$`), "workplan.problem_no_status"},
	{regexp.MustCompile(`^the task has no title$`), "workplan.problem_no_title"},
	{regexp.MustCompile(`^a task row needs (\d+) cells, one per line, but has (\d+)$`), "workplan.problem_cells"},
}

// localize writes the faults of an import in the request's language:
// "line 27" as the catalog says it, and the known messages translated.
func (p *pages) localize(c *gin.Context, fields []apperr.FieldError) []apperr.FieldError {
	out := make([]apperr.FieldError, 0, len(fields))
	for _, f := range fields {
		where := f.Field
		if unit, n, ok := strings.Cut(f.Field, " "); ok && (unit == "line" || unit == "row") {
			where = p.eng.T(c, "workplan."+unit, n)
		}
		msg := f.Message
		for _, pat := range problemPatterns {
			if m := pat.re.FindStringSubmatch(msg); m != nil {
				args := make([]any, 0, len(m)-1)
				for _, a := range m[1:] {
					args = append(args, a)
				}
				msg = p.eng.T(c, pat.key, args...)
				break
			}
		}
		out = append(out, apperr.FieldError{Field: where, Message: msg})
	}
	return out
}

// enginesData is the growth engines page.
type enginesData struct {
	Engines []*Engine
}

func (p *pages) showEngines(c *gin.Context) {
	list, err := p.store.Engines(c)
	if err != nil {
		p.eng.Fail(c, err)
		return
	}
	for i, e := range list {
		full, err := p.store.Engine(c, e.ID)
		if err != nil {
			p.eng.Fail(c, err)
			return
		}
		list[i] = full
	}
	p.eng.Render(c, http.StatusOK, p.engines, enginesData{Engines: list}, nil)
}
