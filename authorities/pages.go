package authorities

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/page"
	"madaf/internal/paging"
	"madaf/internal/validate"
	"madaf/internal/web"
)

// pages serves the authorities' administration (cluster) and the budget
// lines a treasurer keeps.
type pages struct {
	eng    *page.Engine
	store  *Store
	list   *page.Page
	show   *page.Page
	budget *page.Page
}

// authorityKinds lists the kinds of authority in the order forms show them.
var authorityKinds = []string{KindMunicipality, KindLocalCouncil, KindRegionalCouncil}

// MountPages adds /admin/authorities (the cluster) and /budget-lines (a
// treasurer) to r.
func MountPages(r gin.IRouter, eng *page.Engine, s *Store) {
	p := &pages{eng: eng, store: s, list: eng.MustPage("authorities_list"), show: eng.MustPage("authorities_show"),
		budget: eng.MustPage("authorities_budget")}
	eng.AddNav(
		page.NavItem{Key: "nav.authorities", Path: "/admin/authorities", Roles: []string{auth.RoleClusterAdmin, auth.RoleEconomicLead}, Order: 40},
		page.NavItem{Key: "nav.budget_lines", Path: "/budget-lines", Roles: []string{auth.RoleTreasurer}, Order: 7},
	)
	cluster := eng.RequireRole(auth.RoleClusterAdmin, auth.RoleEconomicLead)
	admin := eng.RequireRole(auth.RoleClusterAdmin)
	g := r.Group("/admin/authorities", cluster)
	g.GET("", eng.Serve(p.listPage))
	g.POST("", admin, eng.Serve(p.create))
	g.GET("/:id", eng.Serve(p.showPage))
	g.POST("/:id", admin, eng.Serve(p.update))
	r.GET("/budget-lines", eng.RequireRole(auth.RoleTreasurer), eng.Serve(p.budgetPage))
	r.POST("/budget-lines", eng.RequireRole(auth.RoleTreasurer), eng.Serve(p.addBudgetLine))
}

// listData is the authorities list with the new-authority form.
type listData struct {
	Authorities []Authority
	Kinds       []string
	CanEdit     bool
}

func (p *pages) listPage(c *gin.Context) error { return p.renderList(c, http.StatusOK, nil) }

func (p *pages) renderList(c *gin.Context, status int, f *page.Form) error {
	caller := auth.Caller(c)
	as, err := p.store.List(c, caller, paging.Page{Limit: 1000})
	if err != nil {
		return err
	}
	slices.SortFunc(as, func(a, b Authority) int { return strings.Compare(a.NameHe, b.NameHe) })
	if f == nil {
		f = page.NewForm(url.Values{"kind": {KindLocalCouncil}, "active": {"on"}})
	}
	p.eng.Render(c, status, p.list, listData{Authorities: as, Kinds: authorityKinds, CanEdit: caller.Has(auth.RoleClusterAdmin)}, f)
	return nil
}

// readAuthority reads and checks the authority form: every error, of the
// form or of the input's rules, stands beside its field.
func readAuthority(f *page.Form) AuthorityInput {
	active := f.Value("active") == "on"
	in := AuthorityInput{Code: f.Text("code", page.Required), NameHe: f.Text("name_he", page.Required),
		NameAr: f.Value("name_ar"), NameEn: f.Value("name_en"), Kind: f.Text("kind", page.Required),
		SignatureThreshold: f.Decimal("signature_threshold", page.Required), Active: &active}
	if fe := validate.Amount("signature_threshold", in.SignatureThreshold, true); fe != nil {
		f.FailMsg(fe.Field, fe.Msg)
	}
	f.Absorb(validate.Struct(&in), nil)
	return in
}

func (p *pages) create(c *gin.Context) error {
	f := page.ReadForm(c)
	in := readAuthority(f)
	if f.Valid() {
		a, err := p.store.Create(c, in)
		if err == nil {
			p.eng.Redirect(c, "/admin/authorities/"+page.Itoa(a.ID), "authority.created")
			return nil
		}
		if !f.Absorb(err, nil) {
			return err
		}
	}
	return p.renderList(c, http.StatusUnprocessableEntity, f)
}

// showData is one authority with its budget lines.
type showData struct {
	Authority   *Authority
	BudgetLines []BudgetLine
	Kinds       []string
	CanEdit     bool
}

func (p *pages) showPage(c *gin.Context) error { return p.renderShow(c, http.StatusOK, nil) }

func (p *pages) renderShow(c *gin.Context, status int, f *page.Form) error {
	caller := auth.Caller(c)
	id, err := web.ParamID(c, "id", "not_found.authority")
	if err != nil {
		return err
	}
	a, err := p.store.Get(c, caller, id)
	if err != nil {
		return err
	}
	lines, err := p.store.BudgetLines(c, caller, id, 0)
	if err != nil {
		return err
	}
	if f == nil {
		active := ""
		if a.Active {
			active = "on"
		}
		f = page.NewForm(url.Values{"code": {a.Code}, "name_he": {a.NameHe}, "name_ar": {a.NameAr}, "name_en": {a.NameEn},
			"kind": {a.Kind}, "signature_threshold": {a.SignatureThreshold.String()}, "active": {active}})
	}
	p.eng.Render(c, status, p.show, showData{Authority: a, BudgetLines: lines, Kinds: authorityKinds, CanEdit: caller.Has(auth.RoleClusterAdmin)}, f)
	return nil
}

func (p *pages) update(c *gin.Context) error {
	id, err := web.ParamID(c, "id", "not_found.authority")
	if err != nil {
		return err
	}
	f := page.ReadForm(c)
	in := readAuthority(f)
	if f.Valid() {
		_, err := p.store.Update(c, id, in)
		if err == nil {
			p.eng.Redirect(c, "/admin/authorities/"+page.Itoa(id), "authority.saved")
			return nil
		}
		if !f.Absorb(err, nil) {
			return err
		}
	}
	return p.renderShow(c, http.StatusUnprocessableEntity, f)
}

// budgetData is the treasurer's budget lines of a year.
type budgetData struct {
	Year   int
	Years  []int
	Lines  []BudgetLine
	Budget *Authority
}

func (p *pages) budgetPage(c *gin.Context) error { return p.renderBudget(c, http.StatusOK, nil) }

func (p *pages) renderBudget(c *gin.Context, status int, f *page.Form) error {
	caller := auth.Caller(c)
	year := page.QueryYear(c)
	a, err := p.store.Get(c, caller, caller.AuthorityID)
	if err != nil {
		return err
	}
	lines, err := p.store.BudgetLines(c, caller, caller.AuthorityID, year)
	if err != nil {
		return err
	}
	this := calendar.Today().Year()
	if f == nil {
		f = page.NewForm(url.Values{"fiscal_year": {strconv.Itoa(year)}})
	}
	p.eng.Render(c, status, p.budget, budgetData{Year: year, Years: []int{this + 1, this, this - 1}, Lines: lines, Budget: a}, f)
	return nil
}

func (p *pages) addBudgetLine(c *gin.Context) error {
	caller := auth.Caller(c)
	f := page.ReadForm(c)
	in := BudgetLineInput{FiscalYear: int(f.Int64("fiscal_year", page.Required)), Code: f.Text("code", page.Required),
		Name: f.Text("name", page.Required), Amount: f.Decimal("amount", page.Required)}
	if f.Valid() {
		err := validate.Struct(&in)
		if err == nil {
			if _, err = p.store.CreateBudgetLine(c, caller, caller.AuthorityID, in); err == nil {
				p.eng.Redirect(c, "/budget-lines?year="+strconv.Itoa(in.FiscalYear), "budget.added")
				return nil
			}
		}
		if !f.Absorb(err, nil) && !f.AbsorbConflict(err) {
			return err
		}
	}
	return p.renderBudget(c, http.StatusUnprocessableEntity, f)
}
