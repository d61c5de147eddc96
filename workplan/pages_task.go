package workplan

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/shopspring/decimal"

	"madaf/internal/auth"
	"madaf/internal/page"
)

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
	year, id, err := yearAndID(c, "task")
	if err != nil {
		return nil, err
	}
	tc, err := p.store.TaskWithContext(c, year, id)
	if err != nil {
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

func (p *pages) showTask(c *gin.Context) error {
	d, err := p.loadTask(c)
	if err != nil {
		return err
	}
	p.eng.Render(c, http.StatusOK, p.task, d, taskForm(d.Task))
	return nil
}

func (p *pages) setStatus(c *gin.Context) error {
	d, err := p.loadTask(c)
	if err != nil {
		return err
	}
	if !d.CanStatus {
		return errStatusForbidden
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
			return nil
		}
	}
	if !f.AbsorbConflict(err) && !f.Absorb(err, nil) {
		return err
	}
	d.FormOf = "status"
	p.eng.Render(c, http.StatusUnprocessableEntity, p.task, d, f)
	return nil
}

func (p *pages) updateTask(c *gin.Context) error {
	d, err := p.loadTask(c)
	if err != nil {
		return err
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
			return nil
		}
		if !f.Absorb(err, nil) {
			return err
		}
	}
	d.FormOf = "plan"
	p.eng.Render(c, http.StatusUnprocessableEntity, p.task, d, f)
	return nil
}
