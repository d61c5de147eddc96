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
	"strings"
	"unicode"

	"github.com/gin-gonic/gin"

	"madaf/documents"
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
	docs   *documents.Service
}

// mountPages adds the catalog search (/catalog) and the tender pages
// (/tenders...) to r.
func mountPages(r gin.IRouter, eng *page.Engine, s *Store, docs *documents.Service) {
	p := &pages{eng: eng, store: s, docs: docs,
		search: eng.MustPage("catalog_search"), list: eng.MustPage("catalog_tenders"),
		form: eng.MustPage("catalog_tender_new"), show: eng.MustPage("catalog_tender")}
	write := eng.RequireRole(writers...)
	r.GET("/catalog", eng.Required(), eng.Serve(p.searchPage))
	g := r.Group("/tenders", eng.Required())
	g.GET("", eng.Serve(p.tenders))
	g.GET("/new", write, eng.Serve(p.newTender))
	g.POST("", write, eng.Serve(p.createTender))
	g.GET("/:id", eng.Serve(p.tender))
	g.GET("/:id/price-list.csv", eng.Serve(p.priceListTemplate(TemplateCSV)))
	g.GET("/:id/price-list.xlsx", eng.Serve(p.priceListTemplate(TemplateXLSX)))
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
	Categories []categoryOption
	Tenders    []*Tender
	Hits       []Hit
	Total      int
	Capped     bool
	NextURL    string
	CanOrder   bool
	Searched   bool
}

// categoryOption is a category of the catalog's filter: its value (the
// Hebrew) and its tender's name for it in each language.
type categoryOption struct {
	Value string
	of    *Tender
}

// Label is the category in lang.
func (o categoryOption) Label(lang string) string { return o.of.CategoryIn(lang) }

// Found is the line that says how many items the search found, in lang's
// plural form.
func (d searchData) Found(lang string) apperr.Msg {
	n := apperr.Arg{Text: money.Group(strconv.Itoa(d.Total))}
	if d.Capped {
		return apperr.Msg{Key: "catalog.found_more", Args: []apperr.Arg{n}}
	}
	return apperr.Msg{Key: "catalog.found." + pluralForm(lang, d.Total), Args: []apperr.Arg{n}}
}

// pluralForm is the CLDR plural category of the whole number n in lang:
// Hebrew has one, two and other; Arabic zero, one, two, few (3–10, and so
// on for each hundred), many (11–99) and other; English one and other.
func pluralForm(lang string, n int) string {
	switch lang {
	case "ar":
		switch m := n % 100; {
		case n == 0:
			return "zero"
		case n == 1:
			return "one"
		case n == 2:
			return "two"
		case m >= 3 && m <= 10:
			return "few"
		case m >= 11:
			return "many"
		}
	case "he":
		switch n {
		case 1:
			return "one"
		case 2:
			return "two"
		}
	default:
		if n == 1 {
			return "one"
		}
	}
	return "other"
}

// maxSearch is the longest query the catalog reads, in characters.
const maxSearch = 100

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
	if r := []rune(d.Q); len(r) > maxSearch {
		d.Q = string(r[:maxSearch])
	}
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
			d.Categories = append(d.Categories, categoryOption{Value: t.Category, of: t})
		}
	}
	lang := page.LangOf(c)
	sort.SliceStable(d.Categories, func(i, j int) bool { return d.Categories[i].Label(lang) < d.Categories[j].Label(lang) })
	res, err := p.store.Search(c, caller, SearchQuery{Q: d.Q, Category: d.Category, TenderID: d.TenderID, Page: pg}, today)
	if err != nil {
		return err
	}
	d.Hits, d.Total, d.Capped = res.Hits, res.Total, res.Capped
	d.Searched = d.Q != "" || d.Category != "" || d.TenderID != 0
	if n := len(d.Hits); n > 0 {
		d.NextURL = page.NextURL(c, "/catalog", pg.Cursor(n, d.Hits[n-1].Key()))
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
		d.NextURL = page.NextURL(c, "/tenders", pg.Cursor(n, d.Tenders[n-1].ID))
	}
	p.eng.Render(c, http.StatusOK, p.list, d, nil)
	return nil
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
		TitleAr: f.Value("title_ar"), TitleEn: f.Value("title_en"), CategoryAr: f.Value("category_ar"), CategoryEn: f.Value("category_en"),
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
	Prices    map[int64]map[int64]Money
	Suppliers []supplierOption
	CanEdit   bool
	// Templates: the caller may download the price-list templates (a
	// writer, or a supplier that fills one in).
	Templates   bool
	UploadAward int64
	// What was wrong with the upload to UploadAward: its bad rows, or the
	// problems of the file as a whole.
	UploadErrors   []BadRow
	UploadProblems []apperr.Msg
	Reasons        []string
	MaxRows        int
	// Documents is the tender's documents section.
	Documents *documents.Section
}

func (p *pages) tender(c *gin.Context) error {
	return p.renderTender(c, http.StatusOK, nil, nil)
}

// upload is what went wrong with an upload of a price list to award.
type upload struct {
	award    int64
	rows     []BadRow
	problems []apperr.Msg
}

func (p *pages) renderTender(c *gin.Context, status int, f *page.Form, up *upload) error {
	caller := auth.Caller(c)
	id, err := web.ParamID(c, "id", "not_found.tender")
	if err != nil {
		return err
	}
	t, err := p.store.VisibleTender(c, caller, id)
	if err != nil {
		return err
	}
	d := tenderData{Tender: t, CanEdit: caller.HasAny(writers...), Reasons: Reasons, MaxRows: maxPriceListRows,
		Authorities: map[int64]string{}}
	d.Templates = d.CanEdit || caller.OrgKind == auth.OrgSupplier
	if up != nil {
		d.UploadAward, d.UploadErrors, d.UploadProblems = up.award, up.rows, up.problems
	}
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
	if d.Documents, err = p.docs.Section(c, documents.Tender(id)); err != nil {
		return err
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
	in := ItemInput{SKU: f.Value("sku"), Name: f.Value("name"), NameAr: f.Value("name_ar"), NameEn: f.Value("name_en"), Unit: f.Value("unit")}
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
		rename := map[string]string{"items[0].sku": "sku", "items[0].name": "name", "items[0].name_ar": "name_ar",
			"items[0].name_en": "name_en", "items[0].unit": "unit", "items[0].max_price": "max_price"}
		if !f.Absorb(err, rename) && !absorbFieldConflict(f, err) {
			return err
		}
	}
	return p.renderTender(c, http.StatusUnprocessableEntity, f, nil)
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
	return p.renderTender(c, http.StatusUnprocessableEntity, f, nil)
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
	fh, err := c.FormFile("file")
	if err != nil {
		if web.IsTooLarge(err) {
			return apperr.New(apperr.KindTooLarge, "tender.import.too_large")
		}
		up := &upload{award: awardID, problems: []apperr.Msg{{Key: "tender.msg.choose_file"}}}
		return p.renderTender(c, http.StatusUnprocessableEntity, nil, up)
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
	up := &upload{award: awardID}
	up.rows, _ = ae.Extra["bad_rows"].([]BadRow)
	if len(up.rows) == 0 {
		for _, fe := range ae.Fields {
			up.problems = append(up.problems, fe.Msg)
		}
		if len(up.problems) == 0 {
			up.problems = []apperr.Msg{ae.Msg}
		}
	}
	return p.renderTender(c, http.StatusUnprocessableEntity, nil, up)
}

// priceListTemplate sends the price list of the :id tender ready to fill,
// in format, its columns named in the caller's language.
func (p *pages) priceListTemplate(format string) func(c *gin.Context) error {
	return func(c *gin.Context) error {
		id, err := web.ParamID(c, "id", "not_found.tender")
		if err != nil {
			return err
		}
		t, err := p.store.VisibleTender(c, auth.Caller(c), id)
		if err != nil {
			return err
		}
		items, err := p.store.Items(c, id)
		if err != nil {
			return err
		}
		data, err := PriceListTemplate(format, page.LangOf(c), items)
		if err != nil {
			return err
		}
		contentType := "text/csv; charset=utf-8"
		if format == TemplateXLSX {
			contentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		}
		name := "price-list-" + strings.Map(func(r rune) rune {
			if r < 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
				return r
			}
			return '-'
		}, t.Number)
		c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.%s"`, name, format))
		c.Data(http.StatusOK, contentType, data)
		return nil
	}
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
	// Closing is final: a tender it applies to asks first, on a page that
	// says so (page.Confirmation); the second post, with confirm=1, closes.
	if action == ActionClose && !page.Confirmed(page.ReadForm(c)) {
		t, err := p.store.VisibleTender(c, auth.Caller(c), id)
		if err != nil {
			return err
		}
		if slices.Contains(tenderTransitions[action].from, t.Status) {
			p.eng.Confirm(c, page.Confirmation{
				Title: apperr.M("tender.confirm_close.title", t.Number),
				Consequences: []apperr.Msg{apperr.M("tender.confirm_close.no_orders"), apperr.M("tender.confirm_close.pending"),
					apperr.M("tender.confirm_close.kept"), apperr.M("tender.confirm_close.final")},
				Action: c.Request.URL.Path, Button: apperr.M("tender.confirm_close.button"), Back: "/tenders/" + page.Itoa(id),
			})
			return nil
		}
	}
	if _, err := p.store.Transition(c, id, action); err != nil {
		f := page.NewForm(nil)
		if f.AbsorbConflict(err) || f.Absorb(err, nil) {
			return p.renderTender(c, http.StatusConflict, f, nil)
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
	// Suspending and terminating an award ask first, on a page that says
	// what follows (page.Confirmation); the second post, with confirm=1,
	// does it.
	action := c.Param("action")
	if (action == AwardActionSuspend || action == AwardActionTerminate) && !page.Confirmed(page.ReadForm(c)) {
		t, err := p.store.VisibleTender(c, auth.Caller(c), id)
		if err != nil {
			return err
		}
		awards, err := p.store.Awards(c, id)
		if err != nil {
			return err
		}
		for _, a := range awards {
			if a.ID != awardID || !slices.Contains(awardTransitions[action].from, a.Status) {
				continue
			}
			cf := page.Confirmation{Action: c.Request.URL.Path, Back: "/tenders/" + page.Itoa(id) + "#awards"}
			if action == AwardActionTerminate {
				cf.Title = apperr.M("tender.confirm_terminate.title", a.SupplierName, t.Number)
				cf.Consequences = []apperr.Msg{apperr.M("tender.confirm_award.no_orders", a.SupplierName),
					apperr.M("tender.confirm_award.pending"), apperr.M("tender.confirm_award.kept"), apperr.M("tender.confirm_terminate.final")}
				cf.Button = apperr.M("tender.confirm_terminate.button")
			} else {
				cf.Title = apperr.M("tender.confirm_suspend.title", a.SupplierName, t.Number)
				cf.Consequences = []apperr.Msg{apperr.M("tender.confirm_award.no_orders", a.SupplierName),
					apperr.M("tender.confirm_award.pending"), apperr.M("tender.confirm_award.kept"), apperr.M("tender.confirm_suspend.resume")}
				cf.Button = apperr.M("tender.confirm_suspend.button")
			}
			p.eng.Confirm(c, cf)
			return nil
		}
	}
	if _, err := p.store.TransitionAward(c, id, awardID, action); err != nil {
		f := page.NewForm(nil)
		if f.AbsorbConflict(err) {
			return p.renderTender(c, http.StatusConflict, f, nil)
		}
		return err
	}
	p.eng.Redirect(c, "/tenders/"+page.Itoa(id)+"#awards", "tender.award_changed")
	return nil
}
