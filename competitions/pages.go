package competitions

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"madaf/authorities"
	"madaf/catalog"
	"madaf/documents"
	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/page"
	"madaf/internal/web"
)

// pages serves the competition pages over the service; every rule and
// every query is the service's.
type pages struct {
	eng      *page.Engine
	svc      *Service
	list     *page.Page
	form     *page.Page
	show     *page.Page
	protocol *page.Page
	docs     *documents.Service
}

func newPages(eng *page.Engine, svc *Service) *pages {
	return &pages{eng: eng, svc: svc, list: eng.MustPage("competitions_list"), form: eng.MustPage("competitions_new"),
		show: eng.MustPage("competitions_show"), protocol: eng.MustPage("competitions_protocol")}
}

// path is the request page of competition id.
func path(id int64, rest ...string) string {
	return "/competitions/" + page.Itoa(id) + strings.Join(rest, "")
}

// ---- lists ----

// listData is a list of competitions and what it lists: an authority's
// requests, a winner's invitations or the protocols awaiting the
// committee.
type listData struct {
	Title        string
	Intro        string
	Competitions []Competition
	Status       string
	Statuses     []string
	CanRequest   bool
}

func (p *pages) listPage(c *gin.Context) error {
	caller := auth.Caller(c)
	status := c.Query("status")
	if status != "" && !slices.Contains(Statuses, status) {
		status = ""
	}
	cs, err := p.svc.List(c, caller, Filter{Status: status, Limit: 200})
	if err != nil {
		return err
	}
	d := listData{Title: "competition.page.list_title", Intro: "competition.page.list_intro", Competitions: cs,
		Status: status, Statuses: Statuses, CanRequest: caller.Has(auth.RoleOfficer)}
	if caller.OrgKind == auth.OrgSupplier {
		d.Title, d.Intro = "competition.page.invitations_title", "competition.page.invitations_intro"
	}
	p.eng.Render(c, http.StatusOK, p.list, d, nil)
	return nil
}

// awaitingPage lists the authority's closed requests: their protocols
// await the committee's decision.
func (p *pages) awaitingPage(c *gin.Context) error {
	cs, err := p.svc.List(c, auth.Caller(c), Filter{Status: StatusClosed, Limit: 200})
	if err != nil {
		return err
	}
	d := listData{Title: "competition.page.awaiting_title", Intro: "competition.page.awaiting_intro", Competitions: cs}
	p.eng.Render(c, http.StatusOK, p.list, d, nil)
	return nil
}

// ---- the request form ----

// formData is the request form: the tender's items (with the quantities
// asked) and the authority's budget lines. A deadline left empty is the
// tender's earliest.
type formData struct {
	Tender      *catalog.Tender
	Items       []catalog.Item
	BudgetLines []authorities.BudgetBalance
	// C is the request being edited; nil for a new one.
	C *Competition
}

func qtyField(itemID int64) string { return "qty_" + page.Itoa(itemID) }

// newPage draws the request form for ?tender_id= or for the item and
// quantity the cart was refused (?item_id=&quantity=).
func (p *pages) newPage(c *gin.Context) error {
	f := page.NewForm(url.Values{})
	tenderID, _ := strconv.ParseInt(c.Query("tender_id"), 10, 64)
	if itemID, err := strconv.ParseInt(c.Query("item_id"), 10, 64); err == nil && itemID > 0 {
		it, err := p.svc.catalog.Item(c, itemID)
		if err != nil {
			return err
		}
		tenderID = it.TenderID
		if q := strings.TrimSpace(c.Query("quantity")); q != "" {
			f.Values.Set(qtyField(itemID), q)
		}
	}
	if tenderID <= 0 {
		p.eng.Redirect(c, "/catalog", "competition.page.from_catalog")
		return nil
	}
	f.Values.Set("tender_id", page.Itoa(tenderID))
	return p.renderForm(c, http.StatusOK, tenderID, f)
}

// editPage draws the request form with v's terms, to change them: freely
// while a draft or unsuccessful, before the deadline once published.
func (p *pages) editPage(c *gin.Context) error {
	v, err := p.competition(c)
	if err != nil {
		return err
	}
	if err := p.canEdit(c, v); err != nil {
		return err
	}
	f := page.NewForm(url.Values{})
	if v.BudgetLineID != nil {
		f.Values.Set("budget_line_id", page.Itoa(*v.BudgetLineID))
	}
	f.Values.Set("delivery_address", v.DeliveryAddress)
	if !v.RequestedDate.IsZero() {
		f.Values.Set("requested_date", v.RequestedDate.String())
	}
	if v.Deadline != nil {
		f.Values.Set("deadline", calendar.DateOf(*v.Deadline).String())
	}
	f.Values.Set("notes", v.Notes)
	for _, l := range v.Lines {
		f.Values.Set(qtyField(l.ItemID), l.Quantity.String())
	}
	return p.renderEdit(c, http.StatusOK, v, f)
}

// canEdit is nil when the caller may change v's terms now.
func (p *pages) canEdit(c *gin.Context, v *Competition) error {
	caller := auth.Caller(c)
	if err := allowed(caller, actUpdate); err != nil {
		return err
	}
	if !slices.Contains(actUpdate.from, v.Status) || (v.Status == StatusPublished && !v.Sealed) {
		return apperr.Conflict("competition.page.not_editable", apperr.K("competition_status."+v.Status))
	}
	return nil
}

func (p *pages) renderEdit(c *gin.Context, status int, v *Competition, f *page.Form) error {
	return p.renderFormOf(c, status, v.TenderID, v, f)
}

// edit changes the request's terms; a published request's quotes go back
// to draft when its items, quantities or deadline change, which the
// officer confirms first.
func (p *pages) edit(c *gin.Context) error {
	v, err := p.competition(c)
	if err != nil {
		return err
	}
	f := page.ReadForm(c)
	in, rename, err := p.readInput(c, f, v.TenderID)
	if err != nil {
		return err
	}
	if f.Valid() {
		if linesSame, deadlineSame := sameTerms(v, &in); v.Status == StatusPublished && !(linesSame && deadlineSame) && !page.Confirmed(f) {
			p.eng.Confirm(c, page.Confirmation{
				Title:        apperr.M("competition.page.confirm_edit_title", v.TenderNumber),
				Consequences: []apperr.Msg{apperr.M("competition.page.confirm_edit_quotes"), apperr.M("competition.page.confirm_edit_deadline")},
				Action:       path(v.ID, "/edit"), Values: f.Values,
				Button: apperr.M("competition.page.save"), Back: path(v.ID, "/edit"),
			})
			return nil
		}
		_, err := p.svc.Update(c, auth.Caller(c), v.ID, f.Value("etag"), in)
		if err == nil {
			p.eng.Redirect(c, path(v.ID), "competition.page.updated")
			return nil
		}
		rename["lines"] = ""
		if !f.Absorb(err, rename) && !f.AbsorbConflict(err) {
			return err
		}
	}
	if fresh, err := p.svc.Get(c, auth.Caller(c), v.ID); err == nil {
		v = fresh
	}
	return p.renderEdit(c, http.StatusUnprocessableEntity, v, f)
}

// readInput reads the request form's terms for tender tenderID, and the
// names of the form's fields by the input's.
func (p *pages) readInput(c *gin.Context, f *page.Form, tenderID int64) (Input, map[string]string, error) {
	in := Input{TenderID: tenderID}
	items, err := p.svc.catalog.Items(c, tenderID)
	if err != nil {
		return in, nil, err
	}
	in.BudgetLineID = f.Int64("budget_line_id", false)
	in.DeliveryAddress = f.Value("delivery_address")
	in.RequestedDate = f.Date("requested_date", false)
	in.Deadline = f.Date("deadline", false)
	in.Notes = f.Value("notes")
	rename := map[string]string{"tender_id": ""}
	for _, it := range items {
		name := qtyField(it.ID)
		if f.Value(name) == "" {
			continue
		}
		q := f.Decimal(name, false)
		rename[fmt.Sprintf("lines[%d].quantity", len(in.Lines))] = name
		rename[fmt.Sprintf("lines[%d].item_id", len(in.Lines))] = name
		in.Lines = append(in.Lines, LineInput{ItemID: it.ID, Quantity: q})
	}
	return in, rename, nil
}

func (p *pages) renderForm(c *gin.Context, status int, tenderID int64, f *page.Form) error {
	return p.renderFormOf(c, status, tenderID, nil, f)
}

// renderFormOf draws the request form for tender tenderID: a new request,
// or request v's terms (v not nil).
func (p *pages) renderFormOf(c *gin.Context, status int, tenderID int64, v *Competition, f *page.Form) error {
	caller := auth.Caller(c)
	t, err := p.svc.catalog.Tender(c, tenderID)
	if err != nil {
		return err
	}
	if !t.Participates(caller.AuthorityID) {
		return apperr.NotFound("not_found.tender")
	}
	items, err := p.svc.catalog.Items(c, tenderID)
	if err != nil {
		return err
	}
	now, err := p.svc.store.Now(c)
	if err != nil {
		return err
	}
	bls, err := p.svc.orders.BudgetLines(c, caller, caller.AuthorityID, calendar.DateOf(now).Year())
	if err != nil {
		return err
	}
	d := formData{Tender: t, Items: items, BudgetLines: bls, C: v}
	if f.Message.IsZero() && len(f.Errors) > 0 {
		f.Refuse("competition.page.form_errors")
	}
	p.eng.Render(c, status, p.form, d, f)
	return nil
}

// create adds the draft request and shows it, where the officer publishes
// it.
func (p *pages) create(c *gin.Context) error {
	f := page.ReadForm(c)
	in := Input{TenderID: f.Int64("tender_id", page.Required)}
	if !f.Valid() || in.TenderID <= 0 {
		return apperr.Invalid("competition.invalid", apperr.Field("tender_id", "msg.required"))
	}
	in, rename, err := p.readInput(c, f, in.TenderID)
	if err != nil {
		return err
	}
	if f.Valid() {
		v, err := p.svc.Create(c, auth.Caller(c), in)
		if err == nil {
			p.eng.Redirect(c, path(v.ID), "competition.page.created")
			return nil
		}
		rename["lines"] = ""
		if !f.Absorb(err, rename) && !f.AbsorbConflict(err) {
			return err
		}
	}
	return p.renderForm(c, http.StatusUnprocessableEntity, in.TenderID, f)
}

// ---- the request page ----

// showData is the request page: the request, its questions and, by the
// caller's part in it, the officer's actions, the winner's quote form and
// actions, or a link to the protocol.
type showData struct {
	C         *Competition
	Questions []Question
	Quote     *QuoteForm
	// Mine is the supplier's own invitation (winners only).
	Mine          *Invitation
	Officer       bool
	Supplier      bool
	Committee     bool
	CanPublish    bool
	CanCancel     bool
	CanEdit       bool
	CanPass       bool
	CanAnswer     bool
	CanAsk        bool
	CanQuote      bool
	CanDecline    bool
	CanWithdraw   bool
	HasProtocol   bool
	CancelReasons []string
	// Prices are the per-line price fields of the quote form, by item.
	Prices map[int64]string
	// Documents is the request's documents section.
	Documents *documents.Section
}

func (p *pages) competition(c *gin.Context) (*Competition, error) {
	cid, err := web.ParamID(c, "id", "not_found.competition")
	if err != nil {
		return nil, err
	}
	return p.svc.Get(c, auth.Caller(c), cid)
}

func priceField(itemID int64) string { return "price_" + page.Itoa(itemID) }

func (p *pages) showPage(c *gin.Context) error {
	v, err := p.competition(c)
	if err != nil {
		return err
	}
	return p.renderShow(c, http.StatusOK, v, nil)
}

// renderShow draws the request page of v with form f (nil: a fresh one).
func (p *pages) renderShow(c *gin.Context, status int, v *Competition, f *page.Form) error {
	caller := auth.Caller(c)
	if f == nil {
		f = page.NewForm(nil)
	}
	own := caller.OrgKind == auth.OrgAuthority && caller.AuthorityID == v.AuthorityID
	d := showData{C: v, CancelReasons: CancelReasons, Prices: map[int64]string{}}
	d.Officer = own && caller.Has(auth.RoleOfficer)
	d.Committee = own && caller.HasAny(committeeRoles...)
	d.Supplier = caller.OrgKind == auth.OrgSupplier
	d.CanPublish = d.Officer && slices.Contains(actPublish.from, v.Status)
	d.CanCancel = d.Officer && slices.Contains(actCancel.from, v.Status)
	d.CanEdit = d.Officer && p.canEdit(c, v) == nil
	if d.Officer && v.Status == StatusDecided {
		ok, err := p.svc.CanPass(c, caller, v)
		if err != nil {
			return err
		}
		d.CanPass = ok
	}
	d.HasProtocol = caller.OrgKind != auth.OrgSupplier && v.OpenedAt != nil
	if v.Status != StatusDraft {
		qs, err := p.svc.Questions(c, caller, v.ID)
		if err != nil {
			return err
		}
		d.Questions = qs
	}
	open := v.Status == StatusPublished && v.Sealed
	d.CanAnswer = d.Officer && open
	if d.Supplier {
		for i := range v.Invitations {
			if v.Invitations[i].Round == v.Round {
				d.Mine = &v.Invitations[i]
			}
		}
		if d.Mine != nil {
			qf, err := p.svc.QuoteForm(c, caller, v.ID)
			if err != nil {
				return err
			}
			d.Quote = qf
			declined := d.Mine.DeclinedAt != nil
			d.CanQuote = open && !declined && qf.Open
			d.CanDecline = d.CanQuote
			d.CanWithdraw = d.CanQuote && qf.Quote != nil && qf.Quote.Status == QuoteSubmitted
			d.CanAsk = open && !declined && v.QuestionsUntil != nil
			for _, l := range qf.Lines {
				d.Prices[l.ItemID] = f.Value(priceField(l.ItemID))
			}
			if qf.Quote != nil && f.Values.Get("quote") == "" {
				for _, l := range qf.Quote.Lines {
					d.Prices[l.ItemID] = l.UnitPrice.String()
				}
			}
		}
	}
	var err error
	if d.Documents, err = p.docs.Section(c, documents.Competition(v.ID)); err != nil {
		return err
	}
	p.eng.Render(c, status, p.show, d, f)
	return nil
}

// act runs an action of the request page: it reads the form, calls fn
// and redirects to the request page with flash; an invalid form or a
// refused action draws the page again with the errors beside their fields
// (422) or the refusal on top (409).
func (p *pages) act(c *gin.Context, flash string, redraw func(*gin.Context, int, *Competition, *page.Form) error,
	fn func(v *Competition, f *page.Form) (rename map[string]string, to string, err error)) error {
	v, err := p.competition(c)
	if err != nil {
		return err
	}
	f := page.ReadForm(c)
	rename, to, err := fn(v, f)
	if errors.Is(err, errConfirming) {
		return nil
	}
	if err == nil && f.Valid() {
		if to == "" {
			to = path(v.ID)
		}
		p.eng.Redirect(c, to, flash)
		return nil
	}
	status := http.StatusUnprocessableEntity
	if err != nil {
		switch apperr.KindOf(err) {
		case apperr.KindInvalid:
			f.Absorb(err, rename)
		case apperr.KindConflict, apperr.KindPrecondition:
			var ae *apperr.Error
			if !errors.As(err, &ae) {
				return err
			}
			f.Message = ae.Msg
			status = http.StatusConflict
		default:
			return err
		}
	}
	if fresh, err := p.svc.Get(c, auth.Caller(c), v.ID); err == nil {
		v = fresh
	}
	if f.Message.IsZero() {
		f.Refuse("competition.page.form_errors")
	}
	return redraw(c, status, v, f)
}

// errConfirming is what an action returns once it drew its confirmation
// step instead of acting.
var errConfirming = errors.New("competitions: confirmation drawn")

func (p *pages) publish(c *gin.Context) error {
	return p.act(c, "competition.page.published", p.renderShow, func(v *Competition, f *page.Form) (map[string]string, string, error) {
		if err := allowed(auth.Caller(c), actPublish); err != nil {
			return nil, "", err
		}
		in := PublishInput{Deadline: f.Date("deadline", false)}
		if !f.Valid() {
			return nil, "", nil
		}
		_, err := p.svc.Publish(c, auth.Caller(c), v.ID, f.Value("etag"), in)
		return nil, "", err
	})
}

// cancel asks for confirmation with the reason, then cancels.
func (p *pages) cancel(c *gin.Context) error {
	return p.act(c, "competition.page.cancelled", p.renderShow, func(v *Competition, f *page.Form) (map[string]string, string, error) {
		in := CancelInput{Reason: f.Value("reason"), Note: f.Value("note")}
		if err := allowed(auth.Caller(c), actCancel); err != nil {
			return nil, "", err
		}
		if err := in.Validate(); err != nil {
			return nil, "", err
		}
		if !page.Confirmed(f) {
			p.eng.Confirm(c, page.Confirmation{
				Title:        apperr.M("competition.page.confirm_cancel_title", v.TenderNumber),
				Consequences: []apperr.Msg{apperr.M("competition.page.confirm_cancel_final"), apperr.M("competition.page.confirm_cancel_told")},
				Action:       path(v.ID, "/cancel"), Values: f.Values,
				Button: apperr.M("competition.page.cancel"), Back: path(v.ID),
			})
			return nil, "", errConfirming
		}
		_, err := p.svc.Cancel(c, auth.Caller(c), v.ID, f.Value("etag"), in)
		return nil, "", err
	})
}

func (p *pages) answer(c *gin.Context) error {
	return p.act(c, "competition.page.answered", p.renderShow, func(v *Competition, f *page.Form) (map[string]string, string, error) {
		qid, err := web.ParamID(c, "question_id", "not_found.question")
		if err != nil {
			return nil, "", err
		}
		field := "answer_" + page.Itoa(qid)
		_, err = p.svc.Answer(c, auth.Caller(c), v.ID, qid, TextInput{Text: f.Value(field)})
		return map[string]string{"text": field}, "", err
	})
}

// pass passes the decided request's order to the next winner in the
// ranking, once confirmed: the chosen winner's unconfirmed order is
// cancelled, and the next one's made at its quoted prices.
func (p *pages) pass(c *gin.Context) error {
	return p.act(c, "competition.page.passed", p.renderShow, func(v *Competition, f *page.Form) (map[string]string, string, error) {
		in := TextInput{Text: f.Value("pass_note")}
		if err := allowed(auth.Caller(c), actPass); err != nil {
			return nil, "", err
		}
		if !page.Confirmed(f) {
			p.eng.Confirm(c, page.Confirmation{
				Title:        apperr.M("competition.page.confirm_pass_title", v.TenderNumber),
				Consequences: []apperr.Msg{apperr.M("competition.page.confirm_pass_cancels"), apperr.M("competition.page.confirm_pass_next")},
				Action:       path(v.ID, "/pass"), Values: f.Values,
				Button: apperr.M("competition.page.pass"), Back: path(v.ID),
			})
			return nil, "", errConfirming
		}
		_, err := p.svc.PassToNext(c, auth.Caller(c), v.ID, f.Value("etag"), in)
		return map[string]string{"text": "pass_note"}, "", err
	})
}
