package catalog

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"

	"github.com/gin-gonic/gin"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/money"
	"madaf/internal/page"
	"madaf/internal/paging"
	"madaf/internal/web"
)

// pages serves the catalog and tender pages.
type pages struct {
	eng    *page.Engine
	store  *Store
	search *page.Page
	list   *page.Page
	form   *page.Page
	show   *page.Page
}

// mountPages adds the catalog search (/catalog) and the tender pages
// (/tenders...) to r.
func mountPages(r gin.IRouter, eng *page.Engine, s *Store) {
	p := &pages{eng: eng, store: s,
		search: eng.MustPage("catalog_search"), list: eng.MustPage("catalog_tenders"),
		form: eng.MustPage("catalog_tender_new"), show: eng.MustPage("catalog_tender")}
	write := eng.RequireRole(writers...)
	r.GET("/catalog", eng.Required(), eng.Serve(p.searchPage))
	g := r.Group("/tenders", eng.Required())
	g.GET("", eng.Serve(p.tenders))
	g.GET("/new", write, eng.Serve(p.newTender))
	g.POST("", write, eng.Serve(p.createTender))
	g.GET("/:id", eng.Serve(p.tender))
	g.POST("/:id/items", write, eng.Serve(p.addItem))
	g.POST("/:id/awards", write, eng.Serve(p.addAward))
	g.POST("/:id/awards/:award/prices", write, eng.Serve(p.uploadPrices))
	g.POST("/:id/awards/:award/:action", write, eng.Serve(p.transitionAward))
	g.POST("/:id/status/:action", write, eng.Serve(p.transition))
}

// searchData is what the catalog page draws.
type searchData struct {
	Q          string
	Category   string
	TenderID   int64
	Categories []string
	Tenders    []*Tender
	Hits       []Hit
	NextURL    string
	CanOrder   bool
	Searched   bool
}

func (p *pages) searchPage(c *gin.Context) error {
	caller := auth.Caller(c)
	pg, err := web.ParsePage(c)
	if err != nil {
		return err
	}
	pg.Limit = min(pg.Limit, 30)
	if c.Query("limit") == "" {
		pg.Limit = 30
	}
	d := searchData{Q: c.Query("q"), Category: c.Query("category"), CanOrder: caller.Has(auth.RoleOfficer)}
	d.TenderID, _ = strconv.ParseInt(c.Query("tender"), 10, 64)
	today := calendar.Today()
	ts, err := p.store.Tenders(c, caller, TenderFilter{Status: StatusActive, Page: paging.Page{Limit: 200}})
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, t := range ts {
		if !t.OpenOn(today) || (caller.AuthorityID != 0 && !t.Participates(caller.AuthorityID)) {
			continue
		}
		d.Tenders = append(d.Tenders, t)
		if !seen[t.Category] {
			seen[t.Category] = true
			d.Categories = append(d.Categories, t.Category)
		}
	}
	sort.Strings(d.Categories)
	d.Hits, err = p.store.Search(c, caller, SearchQuery{Q: d.Q, Category: d.Category, TenderID: d.TenderID, Page: pg}, today)
	if err != nil {
		return err
	}
	d.Searched = d.Q != "" || d.Category != "" || d.TenderID != 0
	if n := len(d.Hits); n > 0 {
		d.NextURL = nextURL(c, "/catalog", pg.Cursor(n, d.Hits[n-1].ID))
	}
	p.eng.Render(c, http.StatusOK, p.search, d, nil)
	return nil
}

// tendersData is the tender list.
type tendersData struct {
	Tenders []*Tender
	Status  string
	CanEdit bool
	NextURL string
}

func (p *pages) tenders(c *gin.Context) error {
	caller := auth.Caller(c)
	pg, err := web.ParsePage(c)
	if err != nil {
		return err
	}
	d := tendersData{Status: c.Query("status"), CanEdit: caller.HasAny(writers...)}
	d.Tenders, err = p.store.Tenders(c, caller, TenderFilter{Status: d.Status, Page: pg})
	if err != nil {
		return err
	}
	if n := len(d.Tenders); n > 0 {
		d.NextURL = nextURL(c, "/tenders", pg.Cursor(n, d.Tenders[n-1].ID))
	}
	p.eng.Render(c, http.StatusOK, p.list, d, nil)
	return nil
}

// nextURL links the list page after this one: path with the request's
// query and cursor; "" when cursor is "" (this page is the last).
func nextURL(c *gin.Context, path, cursor string) string {
	if cursor == "" {
		return ""
	}
	q := c.Request.URL.Query()
	q.Set("cursor", cursor)
	return path + "?" + q.Encode()
}

// tenderFormData is the new-tender form.
type tenderFormData struct {
	Authorities []authorityOption
	Rules       []string
}

func (p *pages) newTender(c *gin.Context) error {
	return p.renderTenderForm(c, http.StatusOK, nil)
}

func (p *pages) renderTenderForm(c *gin.Context, status int, f *page.Form) error {
	as, err := p.store.authorityOptions(c, page.LangOf(c))
	if err != nil {
		return err
	}
	if f == nil {
		f = page.NewForm(url.Values{"fee_percent": {"1.5"}, "confirmation_days": {"3"}, "award_rule": {RuleChoice}})
	}
	p.eng.Render(c, status, p.form, tenderFormData{Authorities: as, Rules: AwardRules}, f)
	return nil
}

func (p *pages) createTender(c *gin.Context) error {
	f := page.ReadForm(c)
	in := TenderInput{
		Number: f.Value("number"), Title: f.Value("title"), Category: f.Value("category"),
		Description: f.Value("description"), AwardRule: f.Value("award_rule"),
		ValidFrom: f.Date("valid_from", false), ValidUntil: f.Date("valid_until", false),
		ExtendedUntil: f.Date("extended_until", false),
	}
	if f.Value("ceiling") != "" {
		m := money.Of(f.Decimal("ceiling", false))
		in.Ceiling = &m
	}
	if f.Value("fee_percent") != "" {
		fee := f.Decimal("fee_percent", false)
		in.FeePercent = &fee
	}
	in.ConfirmationDays = int(f.Int64("confirmation_days", false))
	rename := map[string]string{}
	for i, v := range f.Values["authority"] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			continue
		}
		a := AuthorityInput{AuthorityID: id}
		field := "allocation_" + v
		if f.Value(field) != "" {
			m := money.Of(f.Decimal(field, false))
			a.Allocation = &m
		}
		rename[fmt.Sprintf("authorities[%d].allocation", i)] = field
		rename[fmt.Sprintf("authorities[%d].authority_id", i)] = "authorities"
		in.Authorities = append(in.Authorities, a)
	}
	if f.Valid() {
		t, err := p.store.CreateTender(c, in)
		if err == nil {
			p.eng.Redirect(c, "/tenders/"+page.Itoa(t.ID), "tender.created")
			return nil
		}
		if !f.Absorb(err, rename) && !absorbFieldConflict(f, err) {
			return err
		}
	}
	return p.renderTenderForm(c, http.StatusUnprocessableEntity, f)
}

// absorbFieldConflict shows a conflict that names a field (a number in
// use, a supplier already awarded) beside that field.
func absorbFieldConflict(f *page.Form, err error) bool {
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Kind != apperr.KindConflict {
		return false
	}
	if len(ae.Fields) == 0 {
		f.Message = ae.Msg
	}
	for _, fe := range ae.Fields {
		f.FailMsg(fe.Field, fe.Msg)
	}
	return true
}

// tenderData is the tender page.
type tenderData struct {
	Tender      *Tender
	Authorities map[int64]string
	Items       []Item
	Awards      []Award
	// Prices[itemID][awardID] is the price in force today.
	Prices       map[int64]map[int64]Money
	Suppliers    []supplierOption
	CanEdit      bool
	UploadAward  int64
	UploadErrors []BadRow
	Reasons      []string
}

func (p *pages) tender(c *gin.Context) error {
	return p.renderTender(c, http.StatusOK, nil, 0, nil)
}

func (p *pages) renderTender(c *gin.Context, status int, f *page.Form, uploadAward int64, rows []BadRow) error {
	caller := auth.Caller(c)
	id, err := web.ParamID(c, "id", "not_found.tender")
	if err != nil {
		return err
	}
	t, err := p.store.VisibleTender(c, caller, id)
	if err != nil {
		return err
	}
	d := tenderData{Tender: t, CanEdit: caller.HasAny(writers...), UploadAward: uploadAward,
		UploadErrors: rows, Reasons: Reasons, Authorities: map[int64]string{}}
	as, err := p.store.authorityOptions(c, page.LangOf(c))
	if err != nil {
		return err
	}
	for _, a := range as {
		d.Authorities[a.ID] = a.Name
	}
	if d.Items, err = p.store.Items(c, id); err != nil {
		return err
	}
	if d.Awards, err = p.store.Awards(c, id); err != nil {
		return err
	}
	if caller.OrgKind == auth.OrgSupplier { // a supplier sees its own award and prices only
		d.Awards = slices.DeleteFunc(d.Awards, func(a Award) bool { return a.SupplierID != caller.SupplierID })
	}
	ids := make([]int64, len(d.Items))
	for i, it := range d.Items {
		ids[i] = it.ID
	}
	offers, err := p.store.OffersInForceFor(c, caller, ids, calendar.Today())
	if err != nil {
		return err
	}
	d.Prices = map[int64]map[int64]Money{}
	for itemID, os := range offers {
		d.Prices[itemID] = map[int64]Money{}
		for _, o := range os {
			d.Prices[itemID][o.AwardID] = o.Price
		}
	}
	if d.CanEdit {
		if d.Suppliers, err = p.store.awardableSuppliers(c, id); err != nil {
			return err
		}
	}
	p.eng.Render(c, status, p.show, d, f)
	return nil
}

func (p *pages) addItem(c *gin.Context) error {
	id, err := web.ParamID(c, "id", "not_found.tender")
	if err != nil {
		return err
	}
	f := page.ReadForm(c)
	in := ItemInput{SKU: f.Value("sku"), Name: f.Value("name"), Unit: f.Value("unit")}
	if f.Value("max_price") != "" {
		m := money.Of(f.Decimal("max_price", false))
		in.MaxPrice = &m
	}
	if f.Valid() {
		_, err = p.store.AddItems(c, id, []ItemInput{in})
		if err == nil {
			p.eng.Redirect(c, "/tenders/"+page.Itoa(id)+"#items", "tender.item_added")
			return nil
		}
		rename := map[string]string{"items[0].sku": "sku", "items[0].name": "name", "items[0].unit": "unit", "items[0].max_price": "max_price"}
		if !f.Absorb(err, rename) && !absorbFieldConflict(f, err) {
			return err
		}
	}
	return p.renderTender(c, http.StatusUnprocessableEntity, f, 0, nil)
}

func (p *pages) addAward(c *gin.Context) error {
	id, err := web.ParamID(c, "id", "not_found.tender")
	if err != nil {
		return err
	}
	f := page.ReadForm(c)
	supplierID := f.Int64("supplier_id", page.Required)
	if f.Valid() {
		_, err = p.store.AwardSupplier(c, id, supplierID)
		if err == nil {
			p.eng.Redirect(c, "/tenders/"+page.Itoa(id)+"#awards", "tender.awarded")
			return nil
		}
		if !f.Absorb(err, nil) && !absorbFieldConflict(f, err) {
			return err
		}
	}
	return p.renderTender(c, http.StatusUnprocessableEntity, f, 0, nil)
}

// uploadPrices imports a price-list file for one award; a file with bad
// rows adds nothing and the page lists every bad row.
func (p *pages) uploadPrices(c *gin.Context) error {
	id, err := web.ParamID(c, "id", "not_found.tender")
	if err != nil {
		return err
	}
	awardID, err := web.ParamID(c, "award", "not_found.award")
	if err != nil {
		return err
	}
	f := page.NewForm(nil)
	fh, err := c.FormFile("file")
	if err != nil {
		if web.IsTooLarge(err) {
			return apperr.New(apperr.KindTooLarge, "tender.import.too_large")
		}
		f.Fail(fmt.Sprintf("file_%d", awardID), "msg.required")
		return p.renderTender(c, http.StatusUnprocessableEntity, f, awardID, nil)
	}
	file, err := fh.Open()
	if err != nil {
		return err
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, web.MaxBody))
	if err != nil {
		return err
	}
	prices, err := p.store.ImportPriceList(c, id, awardID, fh.Filename, data)
	if err == nil {
		p.eng.Redirect(c, "/tenders/"+page.Itoa(id)+"?imported="+strconv.Itoa(len(prices))+"#awards", "tender.prices_imported")
		return nil
	}
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Kind != apperr.KindInvalid {
		return err
	}
	rows, _ := ae.Extra["bad_rows"].([]BadRow)
	if len(rows) == 0 {
		field := fmt.Sprintf("file_%d", awardID)
		for _, fe := range ae.Fields {
			f.FailMsg(field, fe.Msg)
		}
		f.FailMsg(field, ae.Msg) // when no field names the problem
	}
	return p.renderTender(c, http.StatusUnprocessableEntity, f, awardID, rows)
}

func (p *pages) transition(c *gin.Context) error {
	id, err := web.ParamID(c, "id", "not_found.tender")
	if err != nil {
		return err
	}
	action := c.Param("action")
	if _, ok := tenderTransitions[action]; !ok {
		return apperr.NotFound("not_found.action")
	}
	if _, err := p.store.Transition(c, id, action); err != nil {
		f := page.NewForm(nil)
		if f.AbsorbConflict(err) || f.Absorb(err, nil) {
			return p.renderTender(c, http.StatusConflict, f, 0, nil)
		}
		return err
	}
	p.eng.Redirect(c, "/tenders/"+page.Itoa(id), "tender.action_"+action)
	return nil
}

func (p *pages) transitionAward(c *gin.Context) error {
	id, err := web.ParamID(c, "id", "not_found.tender")
	if err != nil {
		return err
	}
	awardID, err := web.ParamID(c, "award", "not_found.award")
	if err != nil {
		return err
	}
	if _, err := p.store.TransitionAward(c, id, awardID, c.Param("action")); err != nil {
		f := page.NewForm(nil)
		if f.AbsorbConflict(err) {
			return p.renderTender(c, http.StatusConflict, f, 0, nil)
		}
		return err
	}
	p.eng.Redirect(c, "/tenders/"+page.Itoa(id)+"#awards", "tender.award_changed")
	return nil
}
