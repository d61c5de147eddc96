package orders

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"madaf/authorities"
	"madaf/catalog"
	"madaf/documents"
	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/database"
	"madaf/internal/orderstatus"
	"madaf/internal/validate"
	"madaf/suppliers"
	"madaf/volumes"
)

// Service runs the order rules. Every method takes the caller and scopes
// by it: an order out of the caller's scope is not found (404), an order in
// scope but an action the caller's role may not take is forbidden (403), a
// stale If-Match is a failed precondition (412) and an action the order's
// status does not allow is a conflict (409). Nothing changes on a refusal.
type Service struct {
	db      *sqlx.DB
	stores  stores
	baseURL string
	now     func() time.Time
}

// stores are the stores the order rules run on: orders' own and those of
// the features an order reads (its tender, award and items, its authority
// and budget line, its supplier), on the pool or all in one transaction.
type stores struct {
	orders      *Store
	catalog     *catalog.Store
	authorities *authorities.Store
	suppliers   *suppliers.Store
	// documents keeps the files an order's actions attach to it (the PDF
	// of an invoice), in the action's transaction.
	documents *documents.Store
}

// inTx returns the stores running in tx.
func (s stores) inTx(tx *sqlx.Tx) stores {
	return stores{orders: s.orders.InTx(tx), catalog: s.catalog.InTx(tx),
		authorities: s.authorities.InTx(tx), suppliers: s.suppliers.InTx(tx), documents: s.documents.InTx(tx)}
}

// Options configure a Service.
type Options struct {
	// BaseURL is the service's public address, for links in e-mails.
	BaseURL string
	// Now is the clock; nil is time.Now.
	Now func() time.Time
}

// NewService returns the order service over db.
func NewService(db *sqlx.DB, opt Options) *Service {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Service{db: db, baseURL: strings.TrimRight(opt.BaseURL, "/"), now: opt.Now, stores: stores{
		orders: NewStore(db), catalog: catalog.NewStore(db), authorities: authorities.NewStore(db), suppliers: suppliers.NewStore(db),
		documents: documents.NewStore(db),
	}}
}

func (s *Service) today() calendar.Date { return calendar.DateOf(s.now()) }

// Get returns order id with its lines and signatures, or not-found when p
// may not see it.
func (s *Service) Get(ctx context.Context, p *auth.Principal, id int64) (o *Order, err error) {
	defer apperr.Wrap(&err, "orders.Service.Get(%d)", id)
	o, err = s.stores.orders.Order(ctx, id, s.today())
	if err != nil {
		return nil, err
	}
	if !inScope(p, o) {
		return nil, apperr.NotFound("not_found.order")
	}
	if p.OrgKind == auth.OrgSupplier {
		o.asSentToSupplier()
	}
	return o, nil
}

// List returns one page of the orders p may see that f selects, newest
// first, without their lines; a supplier sees each as it was sent. An
// unknown status, or a range whose end comes before its start, is invalid.
func (s *Service) List(ctx context.Context, p *auth.Principal, f Filter) (out []Order, err error) {
	defer apperr.Wrap(&err, "orders.Service.List(%+v)", f)
	if err := f.check(); err != nil {
		return nil, err
	}
	if out, err = s.stores.orders.Orders(ctx, p, f, s.today()); err != nil {
		return nil, err
	}
	if p.OrgKind == auth.OrgSupplier {
		for i := range out {
			out[i].asSentToSupplier()
		}
	}
	return out, nil
}

// check reports every field of f that selects nothing sensible.
func (f *Filter) check() error {
	var fields []apperr.FieldError
	for _, st := range f.Statuses {
		if !orderstatus.Valid(st) {
			fields = append(fields, apperr.Field("status", "msg.oneof", strings.Join(orderstatus.All, ", ")))
			break
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From) {
		fields = append(fields, apperr.Field("to", "order.filter.to_before_from"))
	}
	if f.MinTotal != nil && f.MaxTotal != nil && f.MaxTotal.LessThan(*f.MinTotal) {
		fields = append(fields, apperr.Field("max_total", "order.filter.max_below_min"))
	}
	if len(fields) > 0 {
		return apperr.Invalid("order.bad_filter", fields...)
	}
	return nil
}

// Events returns the history of order id, oldest first; a supplier sees
// only what happened from the order's sending on, without the authority's
// notes (asSeenBySupplier).
func (s *Service) Events(ctx context.Context, p *auth.Principal, id int64) (out []Event, err error) {
	defer apperr.Wrap(&err, "orders.Service.Events(%d)", id)
	if _, err := s.Get(ctx, p, id); err != nil {
		return nil, err
	}
	if out, err = s.stores.orders.Events(ctx, id); err != nil {
		return nil, err
	}
	if p.OrgKind == auth.OrgSupplier {
		out = asSeenBySupplier(out)
	}
	return out, nil
}

// allowed answers 403 unless p holds a role that may take action.
func allowed(p *auth.Principal, action string) error {
	r := rules[action]
	if p.HasAny(r.roles...) {
		return nil
	}
	verb := apperr.K("order.verb." + action)
	if len(r.roles) == 1 {
		return apperr.Forbidden("order.only_role", apperr.K("role."+r.roles[0]), verb)
	}
	return apperr.Forbidden("order.only_roles", apperr.K("role."+r.roles[0]), apperr.K("role."+r.roles[1]), verb)
}

// matches answers 412 unless ifMatch is empty, "*" or names the order's
// current ETag.
func matches(o *Order, ifMatch string) error {
	err := validate.Matches(ifMatch, o.ETag(), "order.stale", o.ETag())
	if err == nil {
		return nil
	}
	err.Extra["status"] = o.Status
	return err
}

// step is one action in progress on a locked order, its stores running in
// the action's transaction.
type step struct {
	stores
	s       *Service
	tx      *sqlx.Tx
	p       *auth.Principal
	o       *Order
	now     time.Time
	today   calendar.Date
	notices []notice
	// result is the order as the action left it, when the action knows it
	// whole; else change reads it back.
	result *Order
	// input identifies the request (inputHash), recorded with its event.
	input []byte
}

// request is one request of an order action: the action, the If-Match it
// carries, its input (the body as the caller sent it; nil for none) and
// the check of its input (nil for none).
type request struct {
	action  string
	ifMatch string
	input   any
	check   func() error
}

// change runs the request's action on order id in one transaction: it
// locks the order row, refuses out of scope (404), wrong role and no
// delegation (403, permitted), an input its check refuses (422) — so that
// a caller who may not act learns nothing of the body's rules —, a stale
// ifMatch (412) and a status the action does not start from (409), then
// runs fn and writes the mails fn asked for into the outbox. It returns
// the order as the transaction left it. A 409 or 412 to a request that
// repeats the caller's last action on the order with the same input (the
// repeat of a request whose answer was lost) is answered with the order as
// it stands instead (see repeated).
func (s *Service) change(ctx context.Context, p *auth.Principal, id int64, r request, fn func(st *step) error) (*Order, error) {
	var out *Order
	err := database.WithTx(ctx, s.db, func(tx *sqlx.Tx) (err error) {
		out, err = s.changeIn(ctx, tx, p, id, r, fn)
		return err
	})
	if err != nil {
		if o, ok := s.repeated(ctx, p, id, r.action, inputHash(r), err); ok {
			return o, nil
		}
		return nil, err
	}
	return out, nil
}

// changeIn runs the request's action on order id as change does, inside
// the caller's transaction tx, which the caller commits or rolls back.
func (s *Service) changeIn(ctx context.Context, tx *sqlx.Tx, p *auth.Principal, id int64, r request, fn func(st *step) error) (*Order, error) {
	now := s.now()
	st := &step{stores: s.stores.inTx(tx), s: s, tx: tx, p: p, now: now, today: calendar.DateOf(now), input: inputHash(r)}
	lock := st.orders.LockOrder
	if r.action == ActionSubmit {
		// A submission reads its lines beside its capacity rows.
		lock = st.orders.lockOrderRow
	}
	o, err := lock(ctx, id, st.today)
	if err != nil {
		return nil, err
	}
	if !inScope(p, o) {
		return nil, apperr.NotFound("not_found.order")
	}
	st.o = o
	if err := st.permitted(ctx, r.action); err != nil {
		return nil, err
	}
	if r.check != nil {
		if err := r.check(); err != nil {
			return nil, err
		}
	}
	if err := matches(o, r.ifMatch); err != nil {
		return nil, err
	}
	if !slices.Contains(rules[r.action].from, o.Status) {
		err := apperr.Conflict("order.wrong_state", apperr.K("order_status."+o.Status), apperr.K("order.verb."+r.action))
		err.Extra = map[string]any{"status": o.Status}
		return nil, err
	}
	if err := fn(st); err != nil {
		return nil, err
	}
	out := st.result
	if out == nil {
		if out, err = st.orders.Order(ctx, id, st.today); err != nil {
			return nil, err
		}
	}
	if err := st.writeNotices(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// mayAct answers 404 when order id is out of p's scope and 403 when p may
// not take action on it, nil otherwise: what change checks before the
// request's input, for a request whose body cannot be read at all.
func (s *Service) mayAct(ctx context.Context, p *auth.Principal, id int64, action string) error {
	o, err := s.stores.orders.Order(ctx, id, s.today())
	if err != nil {
		return err
	}
	if !inScope(p, o) {
		return apperr.NotFound("not_found.order")
	}
	return s.permits(ctx, p, o, action)
}

// permits answers 403 unless p may take action on order o, which p sees,
// by role or, for a signature, as a delegate (see step.permitted).
func (s *Service) permits(ctx context.Context, p *auth.Principal, o *Order, action string) error {
	st := &step{stores: s.stores, s: s, p: p, o: o, now: s.now(), today: s.today()}
	return st.permitted(ctx, action)
}

// record appends the event of the step's action, which moved the order to
// status to, and tells the volumes, in the step's transaction.
func (st *step) record(ctx context.Context, action, to, note string, data map[string]any) error {
	if err := st.orders.addEvent(ctx, st.o.ID, st.p, action, st.o.Status, to, note, data, st.input, st.now); err != nil {
		return err
	}
	f, err := st.orders.figures(ctx, st.o.ID)
	if err != nil {
		return err
	}
	return volumes.Transition(ctx, st.tx, f, st.o.Status, to, st.now)
}

// Create adds a draft order for p's authority. (A retry with an
// Idempotency-Key gets the first answer again: the API's middleware keeps
// it, see internal/server.)
func (s *Service) Create(ctx context.Context, p *auth.Principal, in NewOrder) (o *Order, err error) {
	defer apperr.Wrap(&err, "orders.Service.Create(%d)", in.TenderID)
	if err := allowed(p, ActionCreate); err != nil {
		return nil, err
	}
	if err := validateOrder(&in); err != nil {
		return nil, err
	}
	err = database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		o, err = s.create(ctx, tx, p, in)
		return err
	})
	return o, err
}

func validateOrder(in *NewOrder) error {
	if err := validate.Struct(in); err != nil {
		return err
	}
	return in.Validate()
}

// draft is a validated order body with its lines priced at today's prices.
type draft struct {
	tender   *catalog.Tender
	lines    []Line
	figures  Figures
	proposal *int64
	// competition is the mini-competition whose decision the draft is (its
	// lines at the quoted prices), nil for a direct order.
	competition *int64
}

// prepare checks a draft's references against the database and prices its
// lines, reading them in one statement (draftContext); every failing field
// is reported at once.
func (s *Service) prepare(ctx context.Context, on stores, p *auth.Principal, in *NewOrder, today calendar.Date) (*draft, error) {
	c, err := on.orders.draftContext(ctx, p.AuthorityID, in, today)
	if apperr.Is(err, apperr.KindNotFound) {
		return nil, apperr.Invalid("order.invalid", apperr.Field("tender_id", "order.not_a_tender"))
	}
	if err != nil {
		return nil, err
	}
	t := &c.tender
	if !c.participates {
		return nil, apperr.Invalid("order.invalid", apperr.Field("tender_id", "order.tender_not_open"))
	}
	if t.AwardRule == catalog.RuleCompetition {
		return nil, competitionRequired(t)
	}
	if !t.OpenOn(today) {
		err := apperr.Conflict("order.tender_closed_today", t.Number, apperr.K("tender_status."+t.Status),
			t.ValidFrom.String(), t.EndsOn().String())
		err.Extra = map[string]any{"tender_status": t.Status}
		return nil, err
	}

	var fields []apperr.FieldError
	supplierOK := c.awardStatus == catalog.AwardActive
	if !supplierOK {
		fields = append(fields, apperr.Field("supplier_id", "order.not_active_winner", t.Number))
	}
	if in.BudgetLineID != 0 && c.lineAuthority != p.AuthorityID {
		fields = append(fields, apperr.Field("budget_line_id", "order.not_our_budget_line"))
	}

	d := &draft{tender: t}
	var totals []decimal.Decimal
	for i, l := range in.Lines {
		it := c.items[i]
		if it.ID == 0 {
			fields = append(fields, apperr.Field(fmt.Sprintf("lines[%d].item_id", i), "order.not_tender_item", t.Number))
			continue
		}
		line := Line{LineNo: i + 1, ItemID: it.ID, SKU: it.SKU, Name: it.Name, Unit: it.Unit, Quantity: l.Quantity}
		if supplierOK {
			if !it.Price.Valid {
				fields = append(fields, apperr.Field(fmt.Sprintf("lines[%d].item_id", i), "order.no_price"))
			} else {
				line.UnitPrice.Decimal = it.Price.Decimal
				line.LineTotal.Decimal = LineTotal(l.Quantity.Decimal, it.Price.Decimal)
				totals = append(totals, line.LineTotal.Decimal)
			}
		}
		d.lines = append(d.lines, line)
	}

	if t.AwardRule == catalog.RuleRotation {
		if d.proposal, err = propose(ctx, on, t, today); err != nil {
			return nil, err
		}
		if d.proposal != nil && *d.proposal != in.SupplierID && in.Justification == "" {
			fields = append(fields, apperr.Field("justification", "order.justification_required", *d.proposal))
		}
	}
	if len(fields) > 0 {
		return nil, apperr.Invalid("order.invalid", fields...)
	}
	if !c.vatRate.Valid {
		return nil, noVATRate(today)
	}
	d.figures = Compute(totals, c.vatRate.Decimal, t.FeePercent)
	if t.NeedsCompetition(c.activeAwards, d.figures.Subtotal) {
		return nil, competitionFromReached(t)
	}
	return d, nil
}

// awardsOf returns the awards of tender tenderID, earliest first (the
// order rotation breaks ties by).
func awardsOf(ctx context.Context, on stores, tenderID int64) ([]catalog.Award, error) {
	awards, err := on.catalog.Awards(ctx, tenderID)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(awards, func(a, b catalog.Award) int { return cmp.Compare(a.ID, b.ID) })
	return awards, nil
}

// awardOf returns supplierID's award on tender tenderID, or apperr
// not-found ("not_found.award") when it has none.
func awardOf(ctx context.Context, on stores, tenderID, supplierID int64) (*catalog.Award, error) {
	awards, err := on.catalog.Awards(ctx, tenderID)
	if err != nil {
		return nil, err
	}
	for i := range awards {
		if awards[i].SupplierID == supplierID {
			return &awards[i], nil
		}
	}
	return nil, apperr.NotFound("not_found.award")
}

// itemsOf returns the items of tender tenderID by id.
func itemsOf(ctx context.Context, on stores, tenderID int64) (map[int64]catalog.Item, error) {
	items, err := on.catalog.Items(ctx, tenderID)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]catalog.Item, len(items))
	for _, it := range items {
		out[it.ID] = it
	}
	return out, nil
}

// create inserts the draft inside tx: its number, lines, creation event
// and volumes entry.
func (s *Service) create(ctx context.Context, tx *sqlx.Tx, p *auth.Principal, in NewOrder) (*Order, error) {
	now := s.now()
	today := calendar.DateOf(now)
	on := s.stores.inTx(tx)
	d, err := s.prepare(ctx, on, p, &in, today)
	if err != nil {
		return nil, err
	}
	o, err := on.orders.createOrder(ctx, p, &in, d, today, now)
	if err != nil {
		return nil, err
	}
	if err := volumes.Transition(ctx, tx, volumeFigures(o, d.tender.Category), "", orderstatus.Draft, now); err != nil {
		return nil, err
	}
	return o, nil
}

// Update replaces a draft's fields and lines (PUT semantics); only the
// officer of the order's authority may, and only while it is a draft.
func (s *Service) Update(ctx context.Context, p *auth.Principal, id int64, ifMatch string, in NewOrder) (o *Order, err error) {
	defer apperr.Wrap(&err, "orders.Service.Update(%d)", id)
	req := request{action: ActionUpdate, ifMatch: ifMatch, input: in, check: func() error { return validateOrder(&in) }}
	return s.change(ctx, p, id, req, func(st *step) error {
		if st.o.CompetitionID != nil {
			return apperr.Conflict("order.competition_order_fixed", *st.o.CompetitionID)
		}
		d, err := s.prepare(ctx, st.stores, p, &in, st.today)
		if err != nil {
			return err
		}
		if err := st.orders.deleteLines(ctx, id); err != nil {
			return err
		}
		if err := st.orders.insertLines(ctx, id, d.lines); err != nil {
			return err
		}
		if err := st.orders.updateDraft(ctx, st.o, &in, d, st.now); err != nil {
			return err
		}
		return st.record(ctx, ActionUpdate, orderstatus.Draft, "", nil)
	})
}
