package orders

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/shopspring/decimal"

	"madaf/authorities"
	"madaf/documents"
	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/i18n"
	"madaf/internal/money"
	"madaf/internal/orderstatus"
	"madaf/internal/page"
	"madaf/internal/paging"
	"madaf/internal/validate"
	"madaf/internal/web"
)

// pages serves the order pages: the cart (a draft order per tender), the
// order form, the lists, the inboxes and the order page with its actions.
type pages struct {
	eng      *page.Engine
	svc      *Service
	auth     *authorities.Store
	cart     *page.Page
	form     *page.Page
	list     *page.Page
	show     *page.Page
	inbox    *page.Page
	supplier *page.Page
	docs     *documents.Service
}

// MountPages adds the order pages to r: /cart, /orders, /orders/:id (and
// its forms), /inbox for signatories (holders and delegates: any user of an
// authority) and /supplier/orders for suppliers.
func MountPages(r gin.IRouter, eng *page.Engine, svc *Service) { mountPages(r, eng, svc, nil) }

// mountPages is MountPages with docs drawing the order page's documents
// section (none when nil).
func mountPages(r gin.IRouter, eng *page.Engine, svc *Service, docs *documents.Service) {
	p := &pages{eng: eng, svc: svc, auth: svc.stores.authorities, docs: docs,
		cart: eng.MustPage("orders_cart"), form: eng.MustPage("orders_form"), list: eng.MustPage("orders_list"),
		show: eng.MustPage("orders_show"), inbox: eng.MustPage("orders_inbox"), supplier: eng.MustPage("orders_supplier")}
	eng.AddNav(
		page.NavItem{Key: "nav.cart", Path: "/cart", Roles: []string{auth.RoleOfficer}, Order: 11},
		page.NavItem{Key: "nav.orders", Path: "/orders", Roles: []string{auth.RoleOfficer, auth.RoleEconomicLead, auth.RoleClusterAdmin}, Order: 12},
		page.NavItem{Key: "nav.inbox", Path: "/inbox", Roles: []string{auth.RoleTreasurer, auth.RoleHead}, Order: 5},
		// An officer may sign as a delegate; the inbox comes after the
		// officer's own pages.
		page.NavItem{Key: "nav.inbox", Path: "/inbox", Roles: []string{auth.RoleOfficer}, Order: 13},
		page.NavItem{Key: "nav.orders", Path: "/orders", Roles: []string{auth.RoleTreasurer, auth.RoleHead}, Order: 6},
		page.NavItem{Key: "nav.supplier_orders", Path: "/supplier/orders", Roles: []string{auth.RoleSupplier}, Order: 5},
	)
	officer := eng.RequireRole(auth.RoleOfficer)
	r.GET("/cart", officer, eng.Serve(p.cartPage))
	r.POST("/cart/items", officer, eng.Serve(p.addToCart))
	r.GET("/inbox", eng.Required(), eng.Serve(p.inboxPage))
	r.GET("/supplier/orders", eng.RequireRole(auth.RoleSupplier), eng.Serve(p.supplierPage))
	g := r.Group("/orders", eng.Required())
	g.GET("", eng.Serve(p.listPage))
	g.GET("/:id", eng.Serve(p.orderPage))
	g.GET("/:id/edit", officer, eng.Serve(p.editPage))
	g.POST("/:id/edit", officer, eng.Serve(p.saveDraft))
	g.POST("/:id/sign", eng.Serve(p.sign))
	g.POST("/:id/return", eng.Serve(p.returnOrder))
	g.POST("/:id/confirm", eng.Serve(p.confirm))
	g.POST("/:id/reject", eng.Serve(p.reject))
	g.POST("/:id/deliver", eng.Serve(p.deliver))
	g.POST("/:id/close", eng.Serve(p.closeOrder))
	g.POST("/:id/cancel", eng.Serve(p.cancel))
	g.POST("/:id/receipts", eng.Serve(p.receive))
	g.POST("/:id/close-short", eng.Serve(p.closeShort))
	g.POST("/:id/disputes/:dispute/answer", eng.Serve(p.answerDispute))
	g.POST("/:id/invoices", eng.Serve(p.submitInvoice))
	g.POST("/:id/invoices/:invoice/approve", eng.Serve(p.approveInvoice))
	g.POST("/:id/changes", eng.Serve(p.proposeChange))
	g.POST("/:id/changes/:change_id/sign", eng.Serve(p.signChange))
	g.POST("/:id/changes/:change_id/accept", eng.Serve(p.acceptChange))
	g.POST("/:id/changes/:change_id/decline", eng.Serve(p.declineChange))
	g.POST("/:id/changes/:change_id/withdraw", eng.Serve(p.withdrawChange))
}

// localize names the orders' authorities in the request's language (the
// orders carry the Hebrew name); the Hebrew names stay if that fails.
func (p *pages) localize(c *gin.Context, orders ...*Order) {
	lang := page.LangOf(c)
	if lang == i18n.DefaultLang || len(orders) == 0 {
		return
	}
	ids := make([]int64, len(orders))
	for i, o := range orders {
		ids[i] = o.AuthorityID
	}
	names, err := p.svc.stores.orders.AuthorityNames(c, lang, ids)
	if err != nil {
		return
	}
	for _, o := range orders {
		if n, ok := names[o.AuthorityID]; ok {
			o.AuthorityName = n
		}
	}
}

// all returns pointers to the elements of os, for localize.
func all(os []Order) []*Order {
	out := make([]*Order, len(os))
	for i := range os {
		out[i] = &os[i]
	}
	return out
}

// ---- the cart ----

// cartData lists the caller's drafts, one per tender.
type cartData struct {
	Drafts []Order
}

func (p *pages) cartPage(c *gin.Context) error {
	caller := auth.Caller(c)
	drafts, err := p.myDrafts(c, caller, 0)
	if err != nil {
		return err
	}
	p.eng.Render(c, http.StatusOK, p.cart, cartData{Drafts: drafts}, nil)
	return nil
}

// myDrafts are the caller's own drafts (of tenderID when non-zero), with
// their lines.
func (p *pages) myDrafts(c *gin.Context, caller *auth.Principal, tenderID int64) ([]Order, error) {
	list, err := p.svc.List(c, caller, Filter{Statuses: []string{orderstatus.Draft}, TenderID: tenderID, Limit: 200})
	if err != nil {
		return nil, err
	}
	var out []Order
	for _, o := range list {
		if o.CreatedBy != caller.UserID {
			continue
		}
		full, err := p.svc.Get(c, caller, o.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, *full)
	}
	return out, nil
}

// addToCart puts an item into the caller's draft order for the item's
// tender, creating the draft when there is none: the supplier is the
// rotation's proposal or the cheapest eligible winner with every price;
// the budget line is the one the authority charges the tender's category
// to by default (none when it has none) and the delivery address the
// authority's default. The officer reviews them on the order form.
func (p *pages) addToCart(c *gin.Context) error {
	caller := auth.Caller(c)
	f := page.ReadForm(c)
	itemID := f.Int64("item_id", page.Required)
	qty := f.Decimal("quantity", page.Required)
	next := page.SafeNext(f.Value("next"))
	if f.Valid() && !qty.IsPositive() {
		f.Fail("quantity", "msg.positive")
	}
	if !f.Valid() {
		return f.Err()
	}
	item, err := p.svc.stores.catalog.Item(c, itemID)
	if err != nil {
		return err
	}
	tenderID := item.TenderID
	drafts, err := p.myDrafts(c, caller, tenderID)
	if err != nil {
		return err
	}
	if len(drafts) > 0 {
		o := drafts[0]
		in := draftInput(&o)
		found := false
		for i := range in.Lines {
			if in.Lines[i].ItemID == itemID {
				in.Lines[i].Quantity.Decimal = in.Lines[i].Quantity.Add(qty)
				found = true
			}
		}
		if !found {
			in.Lines = append(in.Lines, LineInput{ItemID: itemID, Quantity: Quantity{qty}})
		}
		if _, err := p.svc.Update(c, caller, o.ID, o.ETag(), in); err != nil {
			// The draft's supplier may not price the new item: keep the
			// item and let the officer choose another supplier.
			if !apperr.Is(err, apperr.KindInvalid) {
				return err
			}
			if err := p.repriceDraft(c, caller, &o, in); err != nil {
				return err
			}
		}
		p.eng.Redirect(c, next, "cart.added")
		return nil
	}
	lines := []LineInput{{ItemID: itemID, Quantity: Quantity{qty}}}
	in := NewOrder{TenderID: tenderID, Lines: lines}
	if in.SupplierID, err = p.proposedSupplier(c, caller, tenderID, lines); err != nil {
		return err
	}
	if in.BudgetLineID, in.DeliveryAddress, err = p.formDefaults(c, caller.AuthorityID, tenderID); err != nil {
		return err
	}
	if _, err := p.svc.Create(c, caller, in); err != nil {
		if needsCompetition(err) {
			p.eng.Redirect(c, "/competitions/new?item_id="+page.Itoa(itemID)+"&quantity="+url.QueryEscape(qty.String()),
				"competition.page.cart_needs_competition")
			return nil
		}
		return err
	}
	p.eng.Redirect(c, next, "cart.added")
	return nil
}

// needsCompetition reports whether err refuses a direct order because the
// tender needs a mini-competition: the cart then offers a request for
// quotes.
func needsCompetition(err error) bool { return errors.Is(err, ErrCompetitionRequired) }

// repriceDraft retries a cart update with the supplier the quote proposes
// for the whole cart.
func (p *pages) repriceDraft(c *gin.Context, caller *auth.Principal, o *Order, in NewOrder) error {
	sup, err := p.proposedSupplier(c, caller, o.TenderID, in.Lines)
	if err != nil {
		return err
	}
	in.SupplierID = sup
	_, err = p.svc.Update(c, caller, o.ID, o.ETag(), in)
	return err
}

// proposedSupplier is the rotation's proposal when it prices every line,
// else the cheapest eligible winner that does.
func (p *pages) proposedSupplier(c *gin.Context, caller *auth.Principal, tenderID int64, lines []LineInput) (int64, error) {
	q, err := p.svc.Quote(c, caller, tenderID, lines)
	if err != nil {
		return 0, err
	}
	var best *Offer
	for i := range q.Offers {
		of := &q.Offers[i]
		if !of.Eligible || !of.Complete {
			continue
		}
		if q.ProposedSupplierID != nil && of.SupplierID == *q.ProposedSupplierID {
			return of.SupplierID, nil
		}
		if best == nil || of.Total.LessThan(best.Total.Decimal) {
			best = of
		}
	}
	if best == nil {
		return 0, apperr.Conflict("cart.no_supplier")
	}
	return best.SupplierID, nil
}

// formDefaults are what the order form of authority authorityID offers on
// an order under tender tenderID before the officer chooses: the budget
// line the authority charges the tender's category to this year (0 when
// it set none) and its default delivery address ("" when none).
func (p *pages) formDefaults(c *gin.Context, authorityID, tenderID int64) (budgetLine int64, address string, err error) {
	t, err := p.svc.stores.catalog.Tender(c, tenderID)
	if err != nil {
		return 0, "", err
	}
	if budgetLine, err = p.auth.DefaultBudgetLine(c, authorityID, calendar.Today().Year(), t.Category); err != nil {
		return 0, "", err
	}
	a, err := p.auth.Authority(c, authorityID)
	if err != nil {
		return 0, "", err
	}
	return budgetLine, a.DefaultDeliveryAddress, nil
}

// draftInput is the NewOrder that reproduces draft o.
func draftInput(o *Order) NewOrder {
	in := NewOrder{TenderID: o.TenderID, SupplierID: o.SupplierID, BudgetLineID: o.BudgetLineID,
		DeliveryAddress: o.DeliveryAddress, RequestedDate: o.RequestedDate, Notes: o.Notes, Justification: o.Justification}
	for _, l := range o.Lines {
		in.Lines = append(in.Lines, LineInput{ItemID: l.ItemID, Quantity: l.Quantity})
	}
	return in
}

// ---- the order form ----

// formData is the order form of a draft.
type formData struct {
	Order       *Order
	Quote       *Quote
	BudgetLines []budgetOption
	// Misfit is the chosen budget line when the order, at today's prices,
	// does not fit in what it has left.
	Misfit *budgetOption
	// Proposed is the rotation's proposed supplier (0 when none).
	Proposed int64
	// Checks are the failed checks of a refused submission; Errors the
	// form's field errors that no check names, in the form's order. The
	// summary at the top lists both, each linked to its field.
	Checks []FailedCheck
	Errors []formError
}

// formError is a field error as the summary lists it: the field's name,
// the id of the control it links to, the message key of the field's label
// and, for a quantity, the item's name.
type formError struct {
	Field, Anchor, Label, Item string
}

// budgetOption is a budget line offered on the order form, with what it
// has left and whether the order fits in it.
type budgetOption struct {
	authorities.BudgetBalance
	Fits bool
}

func (p *pages) editPage(c *gin.Context) error {
	o, err := p.order(c)
	if err != nil {
		return err
	}
	if o.Status != orderstatus.Draft {
		c.Redirect(http.StatusSeeOther, "/orders/"+page.Itoa(o.ID))
		return nil
	}
	f := page.NewForm(url.Values{
		"supplier_id": {page.Itoa(o.SupplierID)}, "budget_line_id": {""},
		"delivery_address": {o.DeliveryAddress}, "requested_date": {o.RequestedDate.String()},
		"notes": {o.Notes}, "justification": {o.Justification},
	})
	if o.BudgetLineID != 0 {
		f.Values.Set("budget_line_id", page.Itoa(o.BudgetLineID))
	}
	if o.BudgetLineID == 0 || o.DeliveryAddress == "" {
		line, address, err := p.formDefaults(c, o.AuthorityID, o.TenderID)
		if err != nil {
			return err
		}
		if o.BudgetLineID == 0 && line != 0 {
			f.Values.Set("budget_line_id", page.Itoa(line))
		}
		if o.DeliveryAddress == "" {
			f.Values.Set("delivery_address", address)
		}
	}
	for _, l := range o.Lines {
		f.Values.Set(qtyField(l.ItemID), l.Quantity.String())
	}
	return p.renderForm(c, http.StatusOK, o, f, nil)
}

func qtyField(itemID int64) string { return "qty_" + page.Itoa(itemID) }

// formFields are the order form's fields after its quantities, in the
// order the form draws them, with the id each links to and its label.
var formFields = []struct{ name, anchor, label string }{
	{"supplier_id", "supplier-choice", "order.supplier"},
	{"justification", "justification", "order.justification"},
	{"budget_line_id", "budget_line_id", "order.budget_line"},
	{"requested_date", "requested_date", "order.requested_date"},
	{"delivery_address", "delivery_address", "order.delivery_address"},
	{"notes", "notes", "order.internal_notes"},
}

// summary lists the field errors of f that none of checks names, in the
// form's order: the quantities of o's lines, then formFields.
func summary(o *Order, f *page.Form, checks []FailedCheck) []formError {
	named := map[string]bool{}
	for _, ch := range checks {
		named[ch.Field()] = true
	}
	var out []formError
	add := func(e formError) {
		if _, failed := f.Errors[e.Field]; failed && !named[e.Field] {
			out = append(out, e)
		}
	}
	for _, l := range o.Lines {
		add(formError{Field: qtyField(l.ItemID), Anchor: qtyField(l.ItemID), Label: "order.quantity", Item: l.Name})
	}
	for _, ff := range formFields {
		add(formError{Field: ff.name, Anchor: ff.anchor, Label: ff.label})
	}
	return out
}

func (p *pages) renderForm(c *gin.Context, status int, o *Order, f *page.Form, checks []FailedCheck) error {
	caller := auth.Caller(c)
	for _, ch := range checks {
		if field := ch.Field(); field != "" {
			f.FailMsg(field, ch.Msg)
		}
	}
	d := formData{Order: o, Checks: checks, Errors: summary(o, f, checks)}
	if f.Message.IsZero() && len(f.Errors) > 0 {
		f.Refuse("order.form_errors")
	}
	lines := make([]LineInput, 0, len(o.Lines))
	for _, l := range o.Lines {
		lines = append(lines, LineInput{ItemID: l.ItemID, Quantity: l.Quantity})
	}
	if len(lines) > 0 {
		q, err := p.svc.Quote(c, caller, o.TenderID, lines)
		if err != nil && !apperr.Is(err, apperr.KindInvalid) {
			return err
		}
		d.Quote = q
		if q != nil && q.ProposedSupplierID != nil {
			d.Proposed = *q.ProposedSupplierID
		}
	}
	bls, err := p.svc.BudgetLines(c, caller, caller.AuthorityID, calendar.Today().Year())
	if err != nil {
		return err
	}
	chosen := f.Value("budget_line_id")
	for _, b := range bls {
		d.BudgetLines = append(d.BudgetLines, budgetOption{BudgetBalance: b, Fits: o.Total.LessThanOrEqual(b.Left.Decimal)})
	}
	for i := range d.BudgetLines {
		if b := &d.BudgetLines[i]; page.Itoa(b.ID) == chosen && !b.Fits {
			d.Misfit = b
		}
	}
	p.eng.Render(c, status, p.form, d, f)
	return nil
}

// saveDraft saves the order form; with action=submit it then submits the
// draft for signature. Every error comes back at once, beside its field
// and in the summary at the top: the form's own (422) with, on a
// submission, what the draft still lacks (a delivery address, a requested
// date, a budget line); a refused submission with all its failed checks
// (409). A form opened on an older version of the draft (another tab,
// another user) comes back with what was typed and the conflict (409).
func (p *pages) saveDraft(c *gin.Context) error {
	caller := auth.Caller(c)
	o, err := p.order(c)
	if err != nil {
		return err
	}
	f := page.ReadForm(c)
	if o.Status == orderstatus.Draft && !validate.IfMatch(f.Value("etag"), o.ETag()) {
		return p.renderStale(c, o, f)
	}
	in := NewOrder{TenderID: o.TenderID,
		SupplierID: f.Int64("supplier_id", page.Required), BudgetLineID: f.Int64("budget_line_id", false),
		DeliveryAddress: f.Value("delivery_address"), RequestedDate: f.Date("requested_date", false),
		Notes: f.Value("notes"), Justification: f.Value("justification")}
	rename := map[string]string{}
	for _, l := range o.Lines {
		if f.Checked("remove", page.Itoa(l.ItemID)) {
			continue
		}
		field := qtyField(l.ItemID)
		qty := f.Decimal(field, page.Required)
		rename[fmt.Sprintf("lines[%d].quantity", len(in.Lines))] = field
		rename[fmt.Sprintf("lines[%d].item_id", len(in.Lines))] = field
		in.Lines = append(in.Lines, LineInput{ItemID: l.ItemID, Quantity: Quantity{qty}})
	}
	if len(in.Lines) == 0 {
		f.Refuse("order.no_lines")
	}
	if !in.RequestedDate.IsZero() && in.RequestedDate.Before(calendar.Today()) {
		f.Fail("requested_date", "order.date_past")
	}
	submit := f.Value("action") == "submit"
	// What a submission would be refused for lack of, shown with the
	// form's own errors when the draft cannot even be saved.
	var lacking []FailedCheck
	if submit {
		lacking = Unfinished(&Order{DeliveryAddress: in.DeliveryAddress, RequestedDate: in.RequestedDate, BudgetLineID: in.BudgetLineID},
			calendar.Today())
	}
	if !f.Valid() {
		return p.renderForm(c, http.StatusUnprocessableEntity, o, f, lacking)
	}
	updated, err := p.svc.Update(c, caller, o.ID, f.Value("etag"), in)
	if err != nil {
		if f.Absorb(err, rename) {
			return p.renderForm(c, http.StatusUnprocessableEntity, o, f, lacking)
		}
		if apperr.KindOf(err) == apperr.KindPrecondition && o.Status == orderstatus.Draft {
			return p.renderStale(c, o, f)
		}
		return err
	}
	if !submit {
		p.eng.Redirect(c, "/orders/"+page.Itoa(o.ID)+"/edit", "order.saved")
		return nil
	}
	if _, err := p.svc.Submit(c, caller, o.ID, updated.ETag()); err != nil {
		var ae *apperr.Error
		if errors.As(err, &ae) && ae.Kind == apperr.KindConflict {
			checks, _ := ae.Extra["failed_checks"].([]FailedCheck)
			f.Refuse("order.submit_refused")
			if len(checks) == 0 {
				f.Message = ae.Msg
			}
			return p.renderForm(c, http.StatusConflict, updated, f, checks)
		}
		return err
	}
	p.eng.Redirect(c, "/orders/"+page.Itoa(o.ID), "order.submitted")
	return nil
}

// renderStale draws the form of draft o again (409) when it was posted
// from an older version: what the user typed stays, quantities of lines
// added since are the draft's, and saving again replaces the newer version.
func (p *pages) renderStale(c *gin.Context, o *Order, f *page.Form) error {
	for _, l := range o.Lines {
		if _, typed := f.Values[qtyField(l.ItemID)]; !typed {
			f.Values.Set(qtyField(l.ItemID), l.Quantity.String())
		}
	}
	f.Refuse("order.stale_form", o.UpdatedAt.In(calendar.Israel).Format("02/01/2006 15:04"))
	return p.renderForm(c, http.StatusConflict, o, f, nil)
}

// ---- lists ----

// listData is the orders list with its search: an authority's own orders,
// or, for the cluster, every authority's, each named.
type listData struct {
	Orders   []Order
	Status   string
	Statuses []string
	// Authorities are the authorities the cluster searches by (none for
	// an authority's users, who see their own only).
	Authorities []authorityOption
	NextURL     string
}

// authorityOption is an authority the search offers, named in the
// reader's language.
type authorityOption struct {
	ID   int64
	Name string
}

// listPage draws the orders the caller may see that the query selects:
// status (also "returned", "overdue" and "to_receive"), number, supplier, tender,
// authority_id, from, to, min_total and max_total, as the API's list reads
// them. A value that cannot be read stands beside its field (422).
func (p *pages) listPage(c *gin.Context) error {
	caller := auth.Caller(c)
	q := c.Request.URL.Query()
	d := listData{Status: q.Get("status"), Statuses: filterStatuses}
	if caller.IsCluster() {
		as, err := p.auth.List(c, caller, paging.Page{Limit: 1000})
		if err != nil {
			return err
		}
		lang := page.LangOf(c)
		for _, a := range as {
			d.Authorities = append(d.Authorities, authorityOption{ID: a.ID, Name: a.Name(lang)})
		}
		slices.SortFunc(d.Authorities, func(a, b authorityOption) int { return strings.Compare(a.Name, b.Name) })
	}
	form := page.NewForm(q)
	f, fields := readFilter(q)
	for _, fe := range fields {
		form.FailMsg(fe.Field, fe.Msg)
	}
	status := http.StatusOK
	if form.Valid() {
		f.Limit = 50
		f.After, _ = strconv.ParseInt(q.Get("after"), 10, 64)
		var err error
		if d.Orders, err = p.svc.List(c, caller, f); err != nil {
			if !form.Absorb(err, nil) {
				return err
			}
		}
	}
	if !form.Valid() {
		status = http.StatusUnprocessableEntity
	}
	p.localize(c, all(d.Orders)...)
	if n := len(d.Orders); n == f.Limit {
		q.Set("after", page.Itoa(d.Orders[n-1].ID))
		d.NextURL = "/orders?" + q.Encode()
	}
	p.eng.Render(c, status, p.list, d, form)
	return nil
}

// inboxData is the signatory's inbox: the orders awaiting a slot the
// reader may fill, oldest first.
type inboxData struct {
	Awaiting []Waiting
}

// inboxPage lists the pending orders with a slot the caller may fill, as
// holder or delegate; for anyone else it lists none.
func (p *pages) inboxPage(c *gin.Context) error {
	list, err := p.svc.Awaiting(c, auth.Caller(c))
	if err != nil {
		return err
	}
	orders := make([]*Order, len(list))
	for i := range list {
		orders[i] = &list[i].Order
	}
	p.localize(c, orders...)
	p.eng.Render(c, http.StatusOK, p.inbox, inboxData{Awaiting: list}, nil)
	return nil
}

// supplierData is the supplier's inbox.
type supplierData struct {
	Incoming  []Order
	ToDeliver []Order
	Recent    []Order
	Today     calendar.Date
}

func (p *pages) supplierPage(c *gin.Context) error {
	caller := auth.Caller(c)
	list, err := p.svc.List(c, caller, Filter{Limit: 200})
	if err != nil {
		return err
	}
	d := supplierData{Today: calendar.Today()}
	p.localize(c, all(list)...)
	for _, o := range list {
		switch o.Status {
		case orderstatus.Sent:
			d.Incoming = append(d.Incoming, o)
		case orderstatus.Confirmed, orderstatus.PartiallyDelivered:
			d.ToDeliver = append(d.ToDeliver, o)
		default:
			if len(d.Recent) < 20 {
				d.Recent = append(d.Recent, o)
			}
		}
	}
	// The nearest deadline first.
	slices.SortStableFunc(d.Incoming, func(a, b Order) int { return a.ConfirmBy.Time().Compare(b.ConfirmBy.Time()) })
	p.eng.Render(c, http.StatusOK, p.supplier, d, nil)
	return nil
}

// ---- the order page ----

// showData is the order page.
type showData struct {
	Order      *Order
	Events     []Event
	BudgetLine *authorities.BudgetLine
	// Actions the caller may take now.
	CanEdit, CanCancel, CanClose, CanConfirm, CanReject, CanDeliver bool
	// Fills are the slots the caller may sign now; SignWhy says why a
	// signatory may not.
	Fills   []Fill
	SignWhy []apperr.Msg
	// CanReturn is true when the caller may send the pending order back.
	CanReturn bool
	// Budget is the budget line in view of a pending order.
	Budget        *BudgetView
	CancelReasons []string
	ShowFee       bool
	Today         calendar.Date
	// Reasons say why the action just refused cannot be taken.
	Reasons []apperr.Msg
	// Documents is the order's documents section.
	Documents *documents.Section
	// After is the part after delivery: receipts, invoices, short closing.
	After *afterView
	// Changes are the order's change requests.
	Changes *changesView
}

func (p *pages) orderPage(c *gin.Context) error {
	o, err := p.order(c)
	if err != nil {
		return err
	}
	return p.renderOrder(c, http.StatusOK, o, nil, nil)
}

func (p *pages) renderOrder(c *gin.Context, status int, o *Order, f *page.Form, reasons []apperr.Msg) error {
	caller := auth.Caller(c)
	p.localize(c, o)
	events, err := p.svc.Events(c, caller, o.ID)
	if err != nil {
		return err
	}
	d := showData{Order: o, Events: events, CancelReasons: CancelReasons, Today: calendar.Today(),
		ShowFee: caller.IsCluster() || caller.Has(auth.RoleSupplier), Reasons: reasons}
	if o.BudgetLineID != 0 {
		if bl, err := p.auth.BudgetLineByID(c, o.BudgetLineID); err == nil {
			d.BudgetLine = bl
		}
	}
	if d.Documents, err = p.docs.Section(c, documents.Order(o.ID)); err != nil {
		return err
	}
	officer := caller.Has(auth.RoleOfficer) && caller.AuthorityID == o.AuthorityID
	supplier := caller.Has(auth.RoleSupplier) && caller.SupplierID == o.SupplierID
	d.CanEdit = officer && o.Status == orderstatus.Draft
	d.CanCancel = officer && slices.Contains(rules[ActionCancel].from, o.Status)
	d.CanClose = officer && o.Status == orderstatus.Delivered
	d.CanConfirm = supplier && o.Status == orderstatus.Sent
	d.CanReject = supplier && o.Status == orderstatus.Sent
	d.CanDeliver = supplier && slices.Contains(rules[ActionDeliver].from, o.Status)
	if d.After, err = p.afterDelivery(c, caller, o); err != nil {
		return err
	}
	if d.Changes, err = p.changes(c, caller, o); err != nil {
		return err
	}
	if d.Fills, d.SignWhy, err = p.svc.SignOptions(c, caller, o); err != nil {
		return err
	}
	ours := caller.OrgKind == auth.OrgAuthority && caller.AuthorityID == o.AuthorityID
	d.CanReturn = ours && o.Status == orderstatus.PendingApproval && caller.HasAny(rules[ActionReturn].roles...)
	if ours && o.Status == orderstatus.PendingApproval {
		if d.Budget, err = p.svc.BudgetOf(c, caller, o); err != nil {
			return err
		}
		p.localize(c, all(d.Budget.Others)...)
	}
	p.eng.Render(c, status, p.show, d, f)
	return nil
}

// order loads the :id order in the caller's scope.
func (p *pages) order(c *gin.Context) (*Order, error) {
	id, err := web.ParamID(c, "id", "not_found.order")
	if err != nil {
		return nil, err
	}
	return p.svc.Get(c, auth.Caller(c), id)
}

// act runs one state change, action, from a form on the order page: a
// caller who may not take it is refused (404, 403) before the form is
// read; success redirects back with flash; field errors and conflicts draw
// the page again beside the action's fields.
func (p *pages) act(c *gin.Context, action, flash string, run func(o *Order, f *page.Form) (map[string]string, error)) error {
	o, err := p.permitted(c, action)
	if err != nil {
		return err
	}
	return p.actOn(c, o, flash, run)
}

// permitted is the page's order when the caller may take action on it
// (404, 403 otherwise).
func (p *pages) permitted(c *gin.Context, action string) (*Order, error) {
	o, err := p.order(c)
	if err != nil {
		return nil, err
	}
	if err := p.svc.permits(c, auth.Caller(c), o, action); err != nil {
		return nil, err
	}
	return o, nil
}

// actOn is act on order o, which the caller was permitted to act on.
func (p *pages) actOn(c *gin.Context, o *Order, flash string, run func(o *Order, f *page.Form) (map[string]string, error)) error {
	var err error
	f := page.ReadForm(c)
	var rename map[string]string
	if f.Valid() {
		rename, err = run(o, f)
	}
	if f.Valid() && err == nil {
		p.eng.Redirect(c, "/orders/"+page.Itoa(o.ID), flash)
		return nil
	}
	status := http.StatusUnprocessableEntity
	var reasons []apperr.Msg
	if err != nil {
		switch {
		case f.Absorb(err, rename):
		case f.AbsorbConflict(err):
			status = http.StatusConflict
			var ae *apperr.Error
			if errors.As(err, &ae) {
				reasons, _ = ae.Extra["reasons"].([]apperr.Msg)
			}
		default:
			return err
		}
	}
	return p.renderOrder(c, status, o, f, reasons)
}

func (p *pages) sign(c *gin.Context) error {
	return p.act(c, ActionSign, "order.signed", func(o *Order, f *page.Form) (map[string]string, error) {
		in := SignInput{Slot: f.Value("slot"), Role: f.Value("role"), Legal: f.Value("legal") == "on", BudgetLine: f.Value("budget_line") == "on",
			NoDeficit: f.Value("no_deficit") == "on", Note: f.Value("sign_note")}
		_, err := p.svc.Sign(c, auth.Caller(c), o.ID, f.Value("etag"), in)
		return map[string]string{"note": "sign_note"}, err
	})
}

func (p *pages) returnOrder(c *gin.Context) error {
	return p.act(c, ActionReturn, "order.returned", func(o *Order, f *page.Form) (map[string]string, error) {
		note := f.Text("return_note", page.Required)
		if !f.Valid() {
			return nil, nil
		}
		_, err := p.svc.Return(c, auth.Caller(c), o.ID, f.Value("etag"), NoteInput{Note: note})
		return map[string]string{"note": "return_note"}, err
	})
}

func (p *pages) confirm(c *gin.Context) error {
	return p.act(c, ActionConfirm, "order.confirmed", func(o *Order, f *page.Form) (map[string]string, error) {
		in := ConfirmInput{PromisedDate: f.Date("promised_date", page.Required), Note: f.Value("confirm_note")}
		if !f.Valid() {
			return nil, nil
		}
		_, err := p.svc.Confirm(c, auth.Caller(c), o.ID, f.Value("etag"), in)
		return map[string]string{"note": "confirm_note"}, err
	})
}

func (p *pages) reject(c *gin.Context) error {
	return p.act(c, ActionReject, "order.rejected", func(o *Order, f *page.Form) (map[string]string, error) {
		reason := f.Text("reason", page.Required)
		if !f.Valid() {
			return nil, nil
		}
		_, err := p.svc.Reject(c, auth.Caller(c), o.ID, f.Value("etag"), RejectInput{Reason: reason})
		return nil, err
	})
}

func (p *pages) deliver(c *gin.Context) error {
	return p.act(c, ActionDeliver, "order.delivery_reported", func(o *Order, f *page.Form) (map[string]string, error) {
		in := DeliverInput{DeliveredOn: f.Date("delivered_on", false), Note: f.Value("deliver_note")}
		rename := map[string]string{"note": "deliver_note"}
		for _, l := range o.Lines {
			field := "deliver_" + page.Itoa(l.ID)
			if f.Value(field) == "" {
				continue
			}
			q := f.Decimal(field, false)
			if q.IsZero() {
				continue
			}
			rename[fmt.Sprintf("lines[%d].quantity", len(in.Lines))] = field
			rename[fmt.Sprintf("lines[%d].line_id", len(in.Lines))] = field
			in.Lines = append(in.Lines, DeliveryLine{LineID: l.ID, Quantity: Quantity{q}})
		}
		if !f.Valid() {
			return nil, nil
		}
		if len(in.Lines) == 0 {
			f.Refuse("order.deliver_nothing")
			return nil, nil
		}
		_, err := p.svc.Deliver(c, auth.Caller(c), o.ID, f.Value("etag"), in)
		return rename, err
	})
}

func (p *pages) closeOrder(c *gin.Context) error {
	return p.act(c, ActionClose, "order.closed", func(o *Order, f *page.Form) (map[string]string, error) {
		ref := f.Text("invoice_ref", page.Required)
		if !f.Valid() {
			return nil, nil
		}
		_, err := p.svc.Close(c, auth.Caller(c), o.ID, f.Value("etag"), CloseInput{InvoiceRef: ref, Note: f.Value("close_note")})
		return map[string]string{"note": "close_note"}, err
	})
}

// cancelFields are the cancel form's names of CancelInput's fields.
var cancelFields = map[string]string{"reason": "cancel_reason", "note": "cancel_note"}

// cancel withdraws the order once the officer has confirmed it on a page
// that says what cancelling does (confirmCancel); a cancellation the order
// does not allow is refused as before, without that page.
func (p *pages) cancel(c *gin.Context) error {
	o, err := p.order(c)
	if err != nil {
		return err
	}
	caller := auth.Caller(c)
	if err := p.svc.permits(c, caller, o, ActionCancel); err != nil {
		return err
	}
	f := page.ReadForm(c)
	mayCancel := caller.Has(auth.RoleOfficer) && caller.AuthorityID == o.AuthorityID && slices.Contains(rules[ActionCancel].from, o.Status)
	if mayCancel && !page.Confirmed(f) {
		return p.confirmCancel(c, o, f)
	}
	return p.act(c, ActionCancel, "order.cancelled", func(o *Order, f *page.Form) (map[string]string, error) {
		reason := f.Text("cancel_reason", page.Required)
		if !f.Valid() {
			return nil, nil
		}
		_, err := p.svc.Cancel(c, auth.Caller(c), o.ID, f.Value("etag"), CancelInput{Reason: reason, Note: f.Value("cancel_note")})
		return cancelFields, err
	})
}

// confirmCancel checks the cancel form and draws the page that says what
// cancelling order o will do: it cannot be undone; what the order holds of
// its budget line and ceilings is released; a supplier that has the order
// is told. A form with errors is drawn again on the order page (422).
func (p *pages) confirmCancel(c *gin.Context, o *Order, f *page.Form) error {
	in := CancelInput{Reason: f.Text("cancel_reason", page.Required), Note: f.Value("cancel_note")}
	if f.Valid() {
		f.Absorb(in.check(), cancelFields)
	}
	if !f.Valid() {
		return p.renderOrder(c, http.StatusUnprocessableEntity, o, f, nil)
	}
	consequences := []apperr.Msg{apperr.M("order.confirm_cancel.final")}
	if orderstatus.Reserves(o.Status) {
		consequences = append(consequences, apperr.M("order.confirm_cancel.releases", money.Format(o.Total.Decimal), o.BudgetLineCode))
	}
	switch o.Status {
	case orderstatus.PendingApproval:
		consequences = append(consequences, apperr.M("order.confirm_cancel.signatures"))
	case orderstatus.Sent:
		consequences = append(consequences, apperr.M("order.confirm_cancel.supplier_told", o.SupplierName))
	}
	consequences = append(consequences, apperr.M("order.confirm_cancel.reason", apperr.K("cancel_reason."+in.Reason)))
	p.eng.Confirm(c, page.Confirmation{
		Title:        apperr.M("order.confirm_cancel.title", o.Number),
		Consequences: consequences,
		Action:       "/orders/" + page.Itoa(o.ID) + "/cancel",
		Values:       f.Values,
		Button:       apperr.M("order.confirm_cancel.button"),
		Back:         "/orders/" + page.Itoa(o.ID),
	})
	return nil
}

// Remaining is what is left to deliver of l.
func (l Line) Remaining() decimal.Decimal { return l.Quantity.Sub(l.Delivered.Decimal) }

// OffersTreasurer reports whether the caller may sign the treasurer's slot,
// which asks for the three checks.
func (d showData) OffersTreasurer() bool {
	return slices.ContainsFunc(d.Fills, func(f Fill) bool { return f.Slot == SlotTreasurer })
}
