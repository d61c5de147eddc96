package workplan

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"

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

// mountPages adds the work plan pages (/workplan...) to r: the plans with
// the upload form, a plan by domain and goal with filters, its summary per
// domain, a task with its history and forms, and the growth engines. Only
// the cluster's users see them.
func mountPages(r gin.IRouter, eng *page.Engine, s *Store) {
	p := &pages{eng: eng, store: s,
		plans: eng.MustPage("workplan_plans"), plan: eng.MustPage("workplan_plan"),
		summary: eng.MustPage("workplan_summary"), task: eng.MustPage("workplan_task"),
		engines: eng.MustPage("workplan_engines")}
	edit := eng.RequireRole(editors...)
	g := r.Group("/workplan", eng.Required(), p.clusterOnly)
	g.GET("", eng.Serve(p.showPlans))
	g.POST("/import", edit, eng.Serve(p.importPlan))
	g.GET("/engines", eng.Serve(p.showEngines))
	g.GET("/:year", eng.Serve(p.showPlan))
	g.GET("/:year/summary", eng.Serve(p.showSummary))
	g.POST("/:year/carry-over", edit, eng.Serve(p.carryOver))
	g.POST("/:year/goals/:id/engine", edit, eng.Serve(p.setGoalEngine))
	g.GET("/:year/tasks/:id", eng.Serve(p.showTask))
	g.POST("/:year/tasks/:id/status", eng.Serve(p.setStatus))
	g.POST("/:year/tasks/:id", edit, eng.Serve(p.updateTask))
}

// clusterOnly answers the 404 page to users outside the cluster.
func (p *pages) clusterOnly(c *gin.Context) {
	if u := auth.Caller(c); u == nil || !u.IsCluster() {
		p.eng.Fail(c, apperr.NotFound("not_found.page"))
		c.Abort()
		return
	}
	c.Next()
}

// plansData is the list of plans with the upload form.
type plansData struct {
	Plans   []Plan
	CanEdit bool
	// Problems are the faults of a refused file.
	Problems []Fault
}

func (p *pages) showPlans(c *gin.Context) error {
	return p.renderPlans(c, http.StatusOK, nil, nil)
}

func (p *pages) renderPlans(c *gin.Context, status int, f *page.Form, problems []Fault) error {
	plans, err := p.store.Plans(c)
	if err != nil {
		return err
	}
	if f == nil {
		f = page.NewForm(url.Values{"year": {strconv.Itoa(defaultYear(plans))}})
	}
	d := plansData{Plans: plans, CanEdit: auth.Caller(c).HasAny(editors...), Problems: problems}
	p.eng.Render(c, status, p.plans, d, f)
	return nil
}

// defaultYear is the year the upload form proposes: the newest plan's.
func defaultYear(plans []Plan) int {
	if len(plans) > 0 {
		return plans[0].Year
	}
	return 2024
}

func (p *pages) importPlan(c *gin.Context) error {
	f := page.NewForm(url.Values{"year": {c.PostForm("year")}})
	year := int(f.Int64("year", page.Required))
	if f.Error("year").IsZero() && (year < 2000 || year > 2100) {
		f.Fail("year", "workplan.bad_year")
	}
	fh, err := c.FormFile("file")
	if err != nil {
		if web.IsTooLarge(err) {
			return errFileTooLarge
		}
		f.Fail("file", "msg.required")
	}
	if !f.Valid() {
		return p.renderPlans(c, http.StatusUnprocessableEntity, f, nil)
	}
	file, err := fh.Open()
	if err != nil {
		return err
	}
	data, err := io.ReadAll(file)
	file.Close()
	if err != nil {
		return err
	}
	doc, err := Parse(data)
	var res *ImportResult
	if err == nil {
		res, err = p.store.Import(c, year, doc, fh.Filename, auth.Caller(c).UserID)
	}
	if err != nil {
		var refusal *Refusal
		if errors.As(err, &refusal) {
			f.Refuse("workplan.import_refused")
			return p.renderPlans(c, http.StatusUnprocessableEntity, f, refusal.Faults)
		}
		if f.Absorb(err, nil) || f.AbsorbConflict(err) {
			return p.renderPlans(c, http.StatusUnprocessableEntity, f, nil)
		}
		return err
	}
	flash := "workplan.imported"
	if !res.Changed() {
		flash = "workplan.import_unchanged"
	}
	p.eng.Redirect(c, fmt.Sprintf("/workplan/%d", year), flash)
	return nil
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

func (p *pages) showPlan(c *gin.Context) error {
	year, err := paramYear(c)
	if err != nil {
		return err
	}
	d := planData{Status: c.Query("status"), Owner: c.Query("owner"), Statuses: Statuses,
		CanEdit: auth.Caller(c).HasAny(editors...), NextYear: year + 1}
	f := Filter{Owner: d.Owner}
	if d.Status != "" {
		if !Status(d.Status).Valid() {
			return ErrPlanNotFound
		}
		f.Statuses = []Status{Status(d.Status)}
	}
	d.DomainID, _ = strconv.ParseInt(c.Query("domain"), 10, 64)
	f.DomainID = d.DomainID
	d.Filtered = !f.Empty()
	if d.Plan, d.Domains, err = p.store.Tree(c, year, f); err != nil {
		return err
	}
	if d.Filtered {
		if d.AllDomains, err = p.store.Domains(c, d.Plan.ID); err != nil {
			return err
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
		return err
	}
	if d.Engines, err = p.store.Engines(c); err != nil {
		return err
	}
	if _, err := p.store.Plan(c, year+1); err == nil {
		d.NextYearHas = true
	}
	p.eng.Render(c, http.StatusOK, p.plan, d, nil)
	return nil
}

// summaryData is the summary page.
type summaryData struct {
	Summary *Summary
}

func (p *pages) showSummary(c *gin.Context) error {
	year, err := paramYear(c)
	if err != nil {
		return err
	}
	sum, err := p.store.Summary(c, year)
	if err != nil {
		return err
	}
	p.eng.Render(c, http.StatusOK, p.summary, summaryData{Summary: sum}, nil)
	return nil
}

// carryOver copies the year's open tasks into the next year's plan once
// the editor has confirmed it on a page that says what carrying over does
// (page.Confirmation); the second post, with confirm=1, carries over.
func (p *pages) carryOver(c *gin.Context) error {
	year, err := paramYear(c)
	if err != nil {
		return err
	}
	if _, err := p.store.Plan(c, year); err == nil && !page.Confirmed(page.ReadForm(c)) {
		into := apperr.M("workplan.confirm_carry.new_plan", year+1)
		if _, err := p.store.Plan(c, year+1); err == nil {
			into = apperr.M("workplan.confirm_carry.existing_plan", year+1)
		}
		p.eng.Confirm(c, page.Confirmation{
			Title: apperr.M("workplan.confirm_carry.title", year, year+1),
			Consequences: []apperr.Msg{apperr.M("workplan.confirm_carry.copies", year, year+1), into,
				apperr.M("workplan.confirm_carry.stay", year), apperr.M("workplan.confirm_carry.no_undo", year+1)},
			Action: c.Request.URL.Path, Button: apperr.M("workplan.confirm_carry.button", year+1),
			Back: fmt.Sprintf("/workplan/%d", year),
		})
		return nil
	}
	res, err := p.store.CarryOver(c, year, auth.Caller(c).UserID)
	if err != nil {
		return err
	}
	flash := "workplan.carried"
	if res.Carried == 0 {
		flash = "workplan.carried_none"
	}
	p.eng.Redirect(c, fmt.Sprintf("/workplan/%d", res.ToYear), flash)
	return nil
}

func (p *pages) setGoalEngine(c *gin.Context) error {
	year, id, err := yearAndID(c, "goal")
	if err != nil {
		return err
	}
	f := page.ReadForm(c)
	var engine *int64
	if v := f.Int64("engine_id", false); v > 0 {
		engine = &v
	}
	if !f.Valid() {
		return f.Err()
	}
	if _, err := p.store.SetGoalEngine(c, year, id, engine); err != nil {
		return err
	}
	p.eng.Redirect(c, fmt.Sprintf("/workplan/%d#goal-%d", year, id), "workplan.engine_saved")
	return nil
}

// enginesData is the growth engines page.
type enginesData struct {
	Engines []*Engine
}

func (p *pages) showEngines(c *gin.Context) error {
	list, err := p.store.Engines(c)
	if err != nil {
		return err
	}
	for i, e := range list {
		full, err := p.store.Engine(c, e.ID)
		if err != nil {
			return err
		}
		list[i] = full
	}
	p.eng.Render(c, http.StatusOK, p.engines, enginesData{Engines: list}, nil)
	return nil
}
