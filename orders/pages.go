package orders

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/shopspring/decimal"

	"madaf/authorities"
	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/i18n"
	"madaf/internal/orderstatus"
	"madaf/internal/page"
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
}

// MountPages adds the order pages to r: /cart, /orders, /orders/:id (and
// its forms), /inbox for signatories (holders and delegates: any user of an
// authority) and /supplier/orders for suppliers.
func MountPages(r gin.IRouter, eng *page.Engine, svc *Service) {
	p := &pages{eng: eng, svc: svc, auth: svc.stores.authorities,
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
// rotation's proposal or the cheapest eligible winner with every price, the
// budget line the authority's first of the year. The officer reviews both
// on the order form.
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
	if in.BudgetLineID, err = p.firstBudgetLine(c, caller); err != nil {
		return err
	}
	if _, _, err := p.svc.Create(c, caller, in, ""); err != nil {
		return err
	}
	p.eng.Redirect(c, next, "cart.added")
	return nil
}

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

// firstBudgetLine is the caller's authority's first budget line of this
// year.
func (p *pages) firstBudgetLine(c *gin.Context, caller *auth.Principal) (int64, error) {
	lines, err := p.auth.BudgetLines(c, caller, caller.AuthorityID, calendar.Today().Year())
	if err != nil {
		return 0, err
	}
	if len(lines) == 0 {
		return 0, apperr.Conflict("cart.no_budget_line")
	}
	return lines[0].ID, nil
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
	Checks   []FailedCheck
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
		"supplier_id": {page.Itoa(o.SupplierID)}, "budget_line_id": {page.Itoa(o.BudgetLineID)},
		"delivery_address": {o.DeliveryAddress}, "requested_date": {o.RequestedDate.String()},
		"notes": {o.Notes}, "justification": {o.Justification},
	})
	for _, l := range o.Lines {
		f.Values.Set(qtyField(l.ItemID), l.Quantity.String())
	}
	return p.renderForm(c, http.StatusOK, o, f, nil)
}

func qtyField(itemID int64) string { return "qty_" + page.Itoa(itemID) }

func (p *pages) renderForm(c *gin.Context, status int, o *Order, f *page.Form, checks []FailedCheck) error {
	caller := auth.Caller(c)
	d := formData{Order: o, Checks: checks}
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
// draft for signature. Field errors come back beside their fields (422), a
// refused submission with its failed checks (409).
func (p *pages) saveDraft(c *gin.Context) error {
	caller := auth.Caller(c)
	o, err := p.order(c)
	if err != nil {
		return err
	}
	f := page.ReadForm(c)
	in := NewOrder{TenderID: o.TenderID,
		SupplierID: f.Int64("supplier_id", page.Required), BudgetLineID: f.Int64("budget_line_id", page.Required),
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
	if !f.Valid() {
		return p.renderForm(c, http.StatusUnprocessableEntity, o, f, nil)
	}
	updated, err := p.svc.Update(c, caller, o.ID, f.Value("etag"), in)
	if err != nil {
		if f.Absorb(err, rename) {
			return p.renderForm(c, http.StatusUnprocessableEntity, o, f, nil)
		}
		return err
	}
	if f.Value("action") != "submit" {
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
			for _, ch := range checks {
				switch ch.Check {
				case CheckBudgetLine, CheckBudget:
					f.FailMsg("budget_line_id", ch.Msg)
				case CheckRotation:
					f.FailMsg("justification", ch.Msg)
				}
			}
			return p.renderForm(c, http.StatusConflict, updated, f, checks)
		}
		return err
	}
	p.eng.Redirect(c, "/orders/"+page.Itoa(o.ID), "order.submitted")
	return nil
}

// ---- lists ----

// listData is "my orders" (all orders for the cluster).
type listData struct {
	Orders   []Order
	Status   string
	Statuses []string
	NextURL  string
}

func (p *pages) listPage(c *gin.Context) error {
	caller := auth.Caller(c)
	d := listData{Status: c.Query("status"), Statuses: append(slices.Clone(orderstatus.All), "overdue")}
	f := Filter{Limit: 50}
	switch {
	case d.Status == "overdue":
		f.Overdue = true
	case d.Status != "":
		if !orderstatus.Valid(d.Status) {
			return apperr.NotFound("not_found.status")
		}
		f.Statuses = []string{d.Status}
	}
	f.After, _ = strconv.ParseInt(c.Query("after"), 10, 64)
	var err error
	if d.Orders, err = p.svc.List(c, caller, f); err != nil {
		return err
	}
	p.localize(c, all(d.Orders)...)
	if n := len(d.Orders); n == f.Limit {
		q := c.Request.URL.Query()
		q.Set("after", page.Itoa(d.Orders[n-1].ID))
		d.NextURL = "/orders?" + q.Encode()
	}
	p.eng.Render(c, http.StatusOK, p.list, d, nil)
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
	if bl, err := p.auth.BudgetLineByID(c, o.BudgetLineID); err == nil {
		d.BudgetLine = bl
	}
	officer := caller.Has(auth.RoleOfficer) && caller.AuthorityID == o.AuthorityID
	supplier := caller.Has(auth.RoleSupplier) && caller.SupplierID == o.SupplierID
	d.CanEdit = officer && o.Status == orderstatus.Draft
	d.CanCancel = officer && slices.Contains(rules[ActionCancel].from, o.Status)
	d.CanClose = officer && o.Status == orderstatus.Delivered
	d.CanConfirm = supplier && o.Status == orderstatus.Sent
	d.CanReject = supplier && o.Status == orderstatus.Sent
	d.CanDeliver = supplier && slices.Contains(rules[ActionDeliver].from, o.Status)
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

// act runs one state change from a form on the order page: success
// redirects back with flash; field errors and conflicts draw the page again
// beside the action's fields.
func (p *pages) act(c *gin.Context, flash string, run func(o *Order, f *page.Form) (map[string]string, error)) error {
	o, err := p.order(c)
	if err != nil {
		return err
	}
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
	return p.act(c, "order.signed", func(o *Order, f *page.Form) (map[string]string, error) {
		in := SignInput{Slot: f.Value("slot"), Role: f.Value("role"), Legal: f.Value("legal") == "on", BudgetLine: f.Value("budget_line") == "on",
			NoDeficit: f.Value("no_deficit") == "on", Note: f.Value("sign_note")}
		_, err := p.svc.Sign(c, auth.Caller(c), o.ID, f.Value("etag"), in)
		return map[string]string{"note": "sign_note"}, err
	})
}

func (p *pages) returnOrder(c *gin.Context) error {
	return p.act(c, "order.returned", func(o *Order, f *page.Form) (map[string]string, error) {
		note := f.Text("return_note", page.Required)
		if !f.Valid() {
			return nil, nil
		}
		_, err := p.svc.Return(c, auth.Caller(c), o.ID, f.Value("etag"), NoteInput{Note: note})
		return map[string]string{"note": "return_note"}, err
	})
}

func (p *pages) confirm(c *gin.Context) error {
	return p.act(c, "order.confirmed", func(o *Order, f *page.Form) (map[string]string, error) {
		in := ConfirmInput{PromisedDate: f.Date("promised_date", page.Required), Note: f.Value("confirm_note")}
		if !f.Valid() {
			return nil, nil
		}
		_, err := p.svc.Confirm(c, auth.Caller(c), o.ID, f.Value("etag"), in)
		return map[string]string{"note": "confirm_note"}, err
	})
}

func (p *pages) reject(c *gin.Context) error {
	return p.act(c, "order.rejected", func(o *Order, f *page.Form) (map[string]string, error) {
		reason := f.Text("reason", page.Required)
		if !f.Valid() {
			return nil, nil
		}
		_, err := p.svc.Reject(c, auth.Caller(c), o.ID, f.Value("etag"), RejectInput{Reason: reason})
		return nil, err
	})
}

func (p *pages) deliver(c *gin.Context) error {
	return p.act(c, "order.delivery_reported", func(o *Order, f *page.Form) (map[string]string, error) {
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
	return p.act(c, "order.closed", func(o *Order, f *page.Form) (map[string]string, error) {
		ref := f.Text("invoice_ref", page.Required)
		if !f.Valid() {
			return nil, nil
		}
		_, err := p.svc.Close(c, auth.Caller(c), o.ID, f.Value("etag"), CloseInput{InvoiceRef: ref, Note: f.Value("close_note")})
		return map[string]string{"note": "close_note"}, err
	})
}

func (p *pages) cancel(c *gin.Context) error {
	return p.act(c, "order.cancelled", func(o *Order, f *page.Form) (map[string]string, error) {
		reason := f.Text("cancel_reason", page.Required)
		if !f.Valid() {
			return nil, nil
		}
		_, err := p.svc.Cancel(c, auth.Caller(c), o.ID, f.Value("etag"), CancelInput{Reason: reason, Note: f.Value("cancel_note")})
		return map[string]string{"reason": "cancel_reason", "note": "cancel_note"}, err
	})
}

// Remaining is what is left to deliver of l.
func (l Line) Remaining() decimal.Decimal { return l.Quantity.Sub(l.Delivered.Decimal) }

// OffersTreasurer reports whether the caller may sign the treasurer's slot,
// which asks for the three checks.
func (d showData) OffersTreasurer() bool {
	return slices.ContainsFunc(d.Fills, func(f Fill) bool { return f.Slot == SlotTreasurer })
}
