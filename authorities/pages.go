package authorities

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/page"
	"madaf/internal/paging"
	"madaf/internal/validate"
	"madaf/internal/web"
)

// pages serves the authorities' administration (cluster), an authority's
// page with its signatories (its treasurer and head) and the budget lines a
// treasurer keeps.
type pages struct {
	eng      *page.Engine
	store    *Store
	list     *page.Page
	show     *page.Page
	budget   *page.Page
	settings *page.Page
}

// MountPages adds /admin/authorities (the cluster), /authority (an
// authority's treasurer and head: their own authority and its
// signatories), /authority/settings (the invoice settings: the treasurer
// sets them, the head and the officer read them) and /budget-lines (a
// treasurer) to r.
func MountPages(r gin.IRouter, eng *page.Engine, s *Store) {
	p := &pages{eng: eng, store: s, list: eng.MustPage("authorities_list"), show: eng.MustPage("authorities_show"),
		budget: eng.MustPage("authorities_budget"), settings: eng.MustPage("authorities_settings")}
	eng.AddNav(
		page.NavItem{Key: "nav.authorities", Path: "/admin/authorities", Roles: []string{auth.RoleClusterAdmin, auth.RoleEconomicLead}, Order: 40},
		page.NavItem{Key: "nav.budget_lines", Path: "/budget-lines", Roles: []string{auth.RoleTreasurer}, Order: 7},
		page.NavItem{Key: "nav.signatories", Path: "/authority", Roles: []string{auth.RoleTreasurer, auth.RoleHead}, Order: 8},
		// The treasurer sets the invoice settings; the head and the
		// officer read them.
		page.NavItem{Key: "nav.authority_settings", Path: "/authority/settings", Roles: []string{auth.RoleTreasurer, auth.RoleHead}, Order: 9},
		page.NavItem{Key: "nav.authority_settings", Path: "/authority/settings", Roles: []string{auth.RoleOfficer}, Order: 15},
	)
	cluster := eng.RequireRole(auth.RoleClusterAdmin, auth.RoleEconomicLead)
	admin := eng.RequireRole(auth.RoleClusterAdmin)
	g := r.Group("/admin/authorities", cluster)
	g.GET("", eng.Serve(p.listPage))
	g.POST("", admin, eng.Serve(p.create))
	g.GET("/:id", eng.Serve(p.showPage))
	g.POST("/:id", admin, eng.Serve(p.update))
	g.POST("/:id/profiles", admin, eng.Serve(p.addProfile))
	g.GET("/:id/settings", eng.Serve(p.settingsPage))
	g.POST("/:id/settings", admin, eng.Serve(p.saveSettings))
	g.POST("/:id/delegations", admin, eng.Serve(p.grant))
	g.POST("/:id/delegations/:delegation_id/revoke", admin, eng.Serve(p.revoke))
	own := r.Group("/authority", eng.RequireRole(auth.RoleTreasurer, auth.RoleHead))
	own.GET("", eng.Serve(p.showPage))
	own.POST("/delegations", eng.Serve(p.grant))
	own.POST("/delegations/:delegation_id/revoke", eng.Serve(p.revoke))
	settings := r.Group("/authority/settings", eng.RequireRole(auth.RoleTreasurer, auth.RoleHead, auth.RoleOfficer))
	settings.GET("", eng.Serve(p.settingsPage))
	settings.POST("", eng.Serve(p.saveSettings))
	r.GET("/budget-lines", eng.RequireRole(auth.RoleTreasurer), eng.Serve(p.budgetPage))
	r.POST("/budget-lines", eng.RequireRole(auth.RoleTreasurer), eng.Serve(p.addBudgetLine))
	r.POST("/budget-lines/defaults", eng.RequireRole(auth.RoleTreasurer), eng.Serve(p.setCategoryDefault))
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
	lang := page.LangOf(c)
	slices.SortFunc(as, func(a, b Authority) int { return strings.Compare(a.Name(lang), b.Name(lang)) })
	if f == nil {
		f = page.NewForm(url.Values{"kind": {KindLocalCouncil}, "active": {"on"}})
	}
	p.eng.Render(c, status, p.list, listData{Authorities: as, Kinds: Kinds, CanEdit: caller.Has(auth.RoleClusterAdmin)}, f)
	return nil
}

// readAuthority reads and checks the authority form: every error, of the
// form or of the input's rules, stands beside its field. An empty
// population or band is left out (see AuthorityInput).
func readAuthority(f *page.Form) AuthorityInput {
	active := f.Value("active") == "on"
	in := AuthorityInput{Code: f.Text("code", page.Required), NameHe: f.Text("name_he", page.Required),
		NameAr: f.Value("name_ar"), NameEn: f.Value("name_en"), Kind: f.Text("kind", page.Required), Active: &active}
	if f.Value("population") != "" {
		n := int(f.Int64("population", false))
		in.Population = &n
	}
	if f.Value("delegation_band") != "" {
		band := f.Decimal("delegation_band", false)
		if fe := validate.Amount("delegation_band", band, false); fe != nil {
			f.FailMsg(fe.Field, fe.Msg)
		}
		in.DelegationBand = &band
	}
	if _, posted := f.Values["default_delivery_address"]; posted {
		address := f.Value("default_delivery_address")
		in.DefaultDeliveryAddress = &address
	}
	f.Absorb(validate.Struct(&in), nil)
	return in
}

func (p *pages) create(c *gin.Context) error {
	f := page.ReadForm(c)
	in := readAuthority(f)
	if f.Valid() {
		a, err := p.store.Create(c, auth.Caller(c), in)
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

// Forms of the authority page; showData.Failed names the one whose
// submission is drawn again with its errors.
const (
	formAuthority  = "authority"
	formProfile    = "profile"
	formDelegation = "delegation"
	formRevoke     = "revoke"
)

// slotView is a signing slot with the users who hold it.
type slotView struct {
	Slot    string
	Holders []Member
}

// showData is one authority with its profiles, its signatories and their
// delegations, and its budget lines.
type showData struct {
	Authority   *Authority
	Profiles    []Profile
	Slots       []slotView
	Delegations []Delegation
	// Candidates are the users the grant form offers as delegates: those
	// who sign in neither slot. Holders are the users who sign in one.
	Candidates  []Member
	Holders     []Member
	BudgetLines []BudgetLine
	Kinds       []string
	// Base is the page's path: /admin/authorities/{id} or /authority.
	Base string
	// CanEdit: the cluster admin edits the authority and its profiles.
	CanEdit bool
	// GrantSlots are the slots the caller may delegate and revoke.
	GrantSlots []string
	Failed     string
	FailedID   int64
}

// MayRevoke reports whether the caller may revoke a delegation of slot.
func (d showData) MayRevoke(slot string) bool { return slices.Contains(d.GrantSlots, slot) }

// authorityID is the authority of the page: the path's on the cluster's
// pages, the caller's own on /authority.
func authorityID(c *gin.Context) (int64, string, error) {
	if c.Param("id") == "" {
		return auth.Caller(c).AuthorityID, "/authority", nil
	}
	id, err := web.ParamID(c, "id", "not_found.authority")
	return id, "/admin/authorities/" + page.Itoa(id), err
}

func (p *pages) showPage(c *gin.Context) error { return p.renderShow(c, http.StatusOK, nil, "", 0) }

func (p *pages) renderShow(c *gin.Context, status int, f *page.Form, failed string, failedID int64) error {
	caller := auth.Caller(c)
	id, base, err := authorityID(c)
	if err != nil {
		return err
	}
	a, err := p.store.Get(c, caller, id)
	if err != nil {
		return err
	}
	d := showData{Authority: a, Kinds: Kinds, Base: base, CanEdit: caller.Has(auth.RoleClusterAdmin), Failed: failed, FailedID: failedID}
	if d.BudgetLines, err = p.store.BudgetLines(c, caller, id, 0); err != nil {
		return err
	}
	if d.Profiles, err = p.store.Profiles(c, caller, id); err != nil {
		return err
	}
	if d.Delegations, err = p.store.Delegations(c, caller, id, DelegationFilter{}); err != nil {
		return err
	}
	members, err := p.store.Members(c, caller, id)
	if err != nil {
		return err
	}
	for _, slot := range Slots {
		sv := slotView{Slot: slot}
		for _, m := range members {
			if m.Holds(SlotRole(slot)) {
				sv.Holders = append(sv.Holders, m)
			}
		}
		d.Slots = append(d.Slots, sv)
		if d.CanEdit || (caller.OrgKind == auth.OrgAuthority && caller.Has(SlotRole(slot))) {
			d.GrantSlots = append(d.GrantSlots, slot)
		}
	}
	for _, m := range members {
		switch {
		case m.Signs():
			d.Holders = append(d.Holders, m)
		case !m.OnlyReceives():
			d.Candidates = append(d.Candidates, m)
		}
	}
	active := ""
	if a.Active {
		active = "on"
	}
	today := calendar.Today()
	defaults := url.Values{"code": {a.Code}, "name_he": {a.NameHe}, "name_ar": {a.NameAr}, "name_en": {a.NameEn},
		"kind": {a.Kind}, "population": {strconv.Itoa(a.Population)}, "active": {active}, "default_delivery_address": {a.DefaultDeliveryAddress},
		"profile_effective_from": {today.String()}, "profile_kind": {a.Kind}, "profile_population": {strconv.Itoa(a.Population)},
		"valid_from": {today.String()}, "valid_until": {calendar.NewDate(today.Year(), time.December, 31).String()}}
	if len(d.GrantSlots) > 0 {
		defaults.Set("slot", d.GrantSlots[0])
	}
	if failed == formAuthority {
		defaults.Del("active") // an unticked box is not posted
	}
	if f == nil {
		f = page.NewForm(defaults)
	}
	for k, v := range defaults {
		if _, posted := f.Values[k]; !posted {
			f.Values[k] = v
		}
	}
	p.eng.Render(c, status, p.show, d, f)
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
		_, err := p.store.Update(c, auth.Caller(c), id, in)
		if err == nil {
			p.eng.Redirect(c, "/admin/authorities/"+page.Itoa(id), "authority.saved")
			return nil
		}
		if !f.Absorb(err, nil) {
			return err
		}
	}
	return p.renderShow(c, http.StatusUnprocessableEntity, f, formAuthority, 0)
}

// profileFields are the profile form's names of ProfileInput's fields.
var profileFields = map[string]string{"effective_from": "profile_effective_from", "kind": "profile_kind",
	"population": "profile_population", "delegation_band": "profile_band"}

func (p *pages) addProfile(c *gin.Context) error {
	id, base, err := authorityID(c)
	if err != nil {
		return err
	}
	f := page.ReadForm(c)
	in := ProfileInput{EffectiveFrom: f.Date("profile_effective_from", page.Required), Kind: f.Text("profile_kind", page.Required),
		Population: int(f.Int64("profile_population", page.Required))}
	if f.Value("profile_band") != "" {
		band := f.Decimal("profile_band", false)
		in.DelegationBand = &band
	}
	if f.Valid() {
		_, err := p.store.SetProfile(c, auth.Caller(c), id, in)
		if err == nil {
			p.eng.Redirect(c, base+"#profiles", "authority.profile.saved")
			return nil
		}
		if !f.Absorb(err, profileFields) {
			return err
		}
	}
	return p.renderShow(c, http.StatusUnprocessableEntity, f, formProfile, 0)
}

func (p *pages) grant(c *gin.Context) error {
	id, base, err := authorityID(c)
	if err != nil {
		return err
	}
	f := page.ReadForm(c)
	in := DelegationInput{Slot: f.Text("slot", page.Required), HolderID: f.Int64("holder_id", false),
		DelegateID: f.Int64("delegate_id", page.Required), MaxTotal: f.Decimal("max_total", page.Required),
		ValidFrom: f.Date("valid_from", page.Required), ValidUntil: f.Date("valid_until", page.Required), Note: f.Value("note")}
	if f.Valid() {
		_, err := p.store.GrantDelegation(c, auth.Caller(c), id, in)
		if err == nil {
			p.eng.Redirect(c, base+"#signatories", "authority.delegation.granted")
			return nil
		}
		if !f.Absorb(err, nil) {
			return err
		}
	}
	return p.renderShow(c, http.StatusUnprocessableEntity, f, formDelegation, 0)
}

func (p *pages) revoke(c *gin.Context) error {
	id, base, err := authorityID(c)
	if err != nil {
		return err
	}
	delegationID, err := web.ParamID(c, "delegation_id", "authority.delegation.not_found")
	if err != nil {
		return err
	}
	// A caller who may not revoke it is refused before the form is read.
	if err := p.store.MayRevoke(c, auth.Caller(c), id, delegationID); err != nil {
		return err
	}
	f := page.ReadForm(c)
	status := http.StatusUnprocessableEntity
	if f.Value("confirm") != "yes" {
		f.Fail("confirm", "authority.delegation.msg.confirm")
	} else {
		_, err := p.store.RevokeDelegation(c, auth.Caller(c), id, delegationID)
		if err == nil {
			p.eng.Redirect(c, base+"#signatories", "authority.delegation.revoked")
			return nil
		}
		if !f.AbsorbConflict(err) {
			return err
		}
		status = http.StatusConflict
	}
	return p.renderShow(c, status, f, formRevoke, delegationID)
}

// budgetData is the treasurer's budget lines of a year, with the line
// each tender category is charged to by default. FailedCategory names the
// default whose submission is drawn again with its error.
type budgetData struct {
	Year           int
	Years          []int
	Lines          []BudgetLine
	Budget         *Authority
	Defaults       []CategoryDefault
	FailedCategory string
}

func (p *pages) budgetPage(c *gin.Context) error { return p.renderBudget(c, http.StatusOK, nil, "") }

func (p *pages) renderBudget(c *gin.Context, status int, f *page.Form, failedCategory string) error {
	caller := auth.Caller(c)
	year := page.QueryYear(c)
	if failedCategory != "" {
		year = int(f.Int64("fiscal_year", false))
	}
	a, err := p.store.Get(c, caller, caller.AuthorityID)
	if err != nil {
		return err
	}
	lines, err := p.store.BudgetLines(c, caller, caller.AuthorityID, year)
	if err != nil {
		return err
	}
	defaults, err := p.store.CategoryDefaults(c, caller, caller.AuthorityID, year)
	if err != nil {
		return err
	}
	this := calendar.Today().Year()
	if f == nil {
		f = page.NewForm(url.Values{"fiscal_year": {strconv.Itoa(year)}})
	}
	p.eng.Render(c, status, p.budget, budgetData{Year: year, Years: []int{this + 1, this, this - 1}, Lines: lines, Budget: a,
		Defaults: defaults, FailedCategory: failedCategory}, f)
	return nil
}

func (p *pages) addBudgetLine(c *gin.Context) error {
	caller := auth.Caller(c)
	f := page.ReadForm(c)
	in := BudgetLineInput{FiscalYear: int(f.Int64("fiscal_year", page.Required)), Code: f.Text("code", page.Required),
		Name: f.Text("name", page.Required), NameAr: f.Text("name_ar", false), NameEn: f.Text("name_en", false),
		Amount: f.Decimal("amount", page.Required)}
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
	return p.renderBudget(c, http.StatusUnprocessableEntity, f, "")
}

// setCategoryDefault sets (or, with no line chosen, removes) the budget
// line a tender category is charged to by default in a fiscal year.
func (p *pages) setCategoryDefault(c *gin.Context) error {
	caller := auth.Caller(c)
	f := page.ReadForm(c)
	year := int(f.Int64("fiscal_year", page.Required))
	category := f.Text("category", page.Required)
	lineID := f.Int64("budget_line_id", false)
	if f.Valid() {
		err := p.store.SetCategoryDefault(c, caller, caller.AuthorityID, year, category, lineID)
		if err == nil {
			p.eng.Redirect(c, "/budget-lines?year="+strconv.Itoa(year)+"#defaults", "budget.default_saved")
			return nil
		}
		if !f.Absorb(err, nil) {
			return err
		}
	}
	if category == "" || year == 0 {
		return f.Err()
	}
	return p.renderBudget(c, http.StatusUnprocessableEntity, f, category)
}
