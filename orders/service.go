package orders

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"madaf/catalog"
	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/database"
	"madaf/internal/validate"
	"madaf/volumes"
)

// Service runs the order rules. Every method takes the caller and scopes
// by it: an order out of the caller's scope is not found (404), an order in
// scope but an action the caller's role may not take is forbidden (403), a
// stale If-Match is a failed precondition (412) and an action the order's
// status does not allow is a conflict (409). Nothing changes on a refusal.
type Service struct {
	db      *sqlx.DB
	baseURL string
	now     func() time.Time
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
	return &Service{db: db, baseURL: strings.TrimRight(opt.BaseURL, "/"), now: opt.Now}
}

func (s *Service) today() calendar.Date { return calendar.DateOf(s.now()) }

// Get returns order id with its lines and signatures, or not-found when p
// may not see it.
func (s *Service) Get(ctx context.Context, p *auth.Principal, id int64) (*Order, error) {
	o, err := getOrder(ctx, s.db, id, s.today(), false)
	if err != nil {
		return nil, err
	}
	if !inScope(p, o) {
		return nil, apperr.NotFound("not_found.order")
	}
	return o, nil
}

// List returns one page of the orders p may see, newest first, without
// their lines.
func (s *Service) List(ctx context.Context, p *auth.Principal, f Filter) ([]Order, error) {
	for _, st := range f.Statuses {
		if !slices.Contains(Statuses, st) {
			return nil, apperr.Invalid("bad filter", apperr.Field("status", "must be one of: %s", strings.Join(Statuses, ", ")))
		}
	}
	return listOrders(ctx, s.db, p, f, s.today())
}

// Events returns the history of order id, oldest first.
func (s *Service) Events(ctx context.Context, p *auth.Principal, id int64) ([]Event, error) {
	if _, err := s.Get(ctx, p, id); err != nil {
		return nil, err
	}
	return listEvents(ctx, s.db, id)
}

// allowed answers 403 unless p holds a role that may take action.
func allowed(p *auth.Principal, action string) error {
	r := rules[action]
	if p.HasAny(r.roles...) {
		return nil
	}
	return apperr.Forbidden("only the %s may %s an order", strings.Join(r.roles, " or "), action)
}

// matches answers 412 unless ifMatch is empty, "*" or names the order's
// current ETag.
func matches(o *Order, ifMatch string) error {
	if validate.IfMatch(ifMatch, o.ETag()) {
		return nil
	}
	return &apperr.Error{Kind: apperr.KindPrecondition,
		Msg:   apperr.M("the order changed since you read it (it is now %s); reload it", o.ETag()),
		Extra: map[string]any{"etag": o.ETag(), "status": o.Status}}
}

// step is one action in progress on a locked order.
type step struct {
	s       *Service
	tx      *sqlx.Tx
	p       *auth.Principal
	o       *Order
	now     time.Time
	today   calendar.Date
	notices []notice
}

// change runs action on order id in one transaction: it locks the order
// row, refuses out of scope (404), wrong role (403), stale ifMatch (412)
// and a status the action does not start from (409), then runs fn and
// writes the mails fn asked for into the outbox. It returns the order as
// the transaction left it.
func (s *Service) change(ctx context.Context, p *auth.Principal, id int64, ifMatch, action string, fn func(st *step) error) (*Order, error) {
	var out *Order
	err := database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		now := s.now()
		st := &step{s: s, tx: tx, p: p, now: now, today: calendar.DateOf(now)}
		o, err := getOrder(ctx, tx, id, st.today, true)
		if err != nil {
			return err
		}
		if !inScope(p, o) {
			return apperr.NotFound("not_found.order")
		}
		if err := allowed(p, action); err != nil {
			return err
		}
		if err := matches(o, ifMatch); err != nil {
			return err
		}
		if !slices.Contains(rules[action].from, o.Status) {
			return &apperr.Error{Kind: apperr.KindConflict,
				Msg:   apperr.M("an order that is %s cannot take the action %s", o.Status, action),
				Extra: map[string]any{"status": o.Status}}
		}
		st.o = o
		if err := fn(st); err != nil {
			return err
		}
		if out, err = getOrder(ctx, tx, id, st.today, false); err != nil {
			return err
		}
		return s.writeNotices(ctx, tx, out, st.notices)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// move records the step's action: the order goes to status to with the
// columns in set, an event is appended and the volumes are told, all in the
// step's transaction.
func (st *step) move(ctx context.Context, action, to, note string, data map[string]any, set map[string]any) error {
	if err := bumpVersion(ctx, st.tx, st.o, to, set, st.now); err != nil {
		return err
	}
	if err := addEvent(ctx, st.tx, st.o.ID, st.p, action, st.o.Status, to, note, data, st.now); err != nil {
		return err
	}
	f, err := orderFigures(ctx, st.tx, st.o.ID)
	if err != nil {
		return err
	}
	return volumes.Transition(ctx, st.tx, f, st.o.Status, to, st.now)
}

// orderFigures reads what the order contributes to the volumes.
func orderFigures(ctx context.Context, q sqlx.QueryerContext, id int64) (volumes.OrderFigures, error) {
	const query = `SELECT o.id, o.tender_id, o.authority_id, o.supplier_id, t.category, o.submitted_on,
		o.subtotal, o.vat, o.total, o.fee, o.sent_at, o.confirm_by, o.promised_on
		FROM orders o JOIN tenders t ON t.id = o.tender_id WHERE o.id = $1`
	var r struct {
		ID          int64           `db:"id"`
		TenderID    int64           `db:"tender_id"`
		AuthorityID int64           `db:"authority_id"`
		SupplierID  int64           `db:"supplier_id"`
		Category    string          `db:"category"`
		SubmittedOn calendar.Date   `db:"submitted_on"`
		Subtotal    decimal.Decimal `db:"subtotal"`
		VAT         decimal.Decimal `db:"vat"`
		Total       decimal.Decimal `db:"total"`
		Fee         decimal.Decimal `db:"fee"`
		SentAt      *time.Time      `db:"sent_at"`
		ConfirmBy   calendar.Date   `db:"confirm_by"`
		PromisedOn  calendar.Date   `db:"promised_on"`
	}
	if err := sqlx.GetContext(ctx, q, &r, query, id); err != nil {
		return volumes.OrderFigures{}, err
	}
	f := volumes.OrderFigures{OrderID: r.ID, TenderID: r.TenderID, AuthorityID: r.AuthorityID, SupplierID: r.SupplierID,
		Category: r.Category, SubmittedOn: r.SubmittedOn, Subtotal: r.Subtotal, VAT: r.VAT, Total: r.Total, Fee: r.Fee,
		ConfirmBy: r.ConfirmBy, PromisedOn: r.PromisedOn}
	if r.SentAt != nil {
		f.SentAt = *r.SentAt
	}
	return f, nil
}

// Create adds a draft order for p's authority. With a non-empty
// idempotency key, the first answer given for (p, key) — the order as it
// was created, or the refusal — is returned again for every retry with the
// same body (replayed is true), and never a second order; the same key
// with a different body is invalid (422).
func (s *Service) Create(ctx context.Context, p *auth.Principal, in NewOrder, idempotencyKey string) (o *Order, replayed bool, err error) {
	if err := allowed(p, ActionCreate); err != nil {
		return nil, false, err
	}
	if err := validateOrder(&in); err != nil {
		return nil, false, err
	}
	if idempotencyKey != "" {
		return s.createOnce(ctx, p, in, idempotencyKey)
	}
	err = database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		o, err = s.create(ctx, tx, p, in)
		return err
	})
	return o, false, err
}

func validateOrder(in *NewOrder) error {
	if err := validate.Struct(in); err != nil {
		return err
	}
	return in.Validate()
}

// draft is a validated order body with its lines priced at today's prices.
type draft struct {
	tender   *tenderRow
	lines    []Line
	figures  Figures
	proposal *int64
}

// prepare checks a draft's references against the database and prices its
// lines; every failing field is reported at once.
func (s *Service) prepare(ctx context.Context, q sqlx.QueryerContext, p *auth.Principal, in *NewOrder, today calendar.Date) (*draft, error) {
	t, err := getTender(ctx, q, in.TenderID, false)
	if apperr.Is(err, apperr.KindNotFound) {
		return nil, apperr.Invalid("the order has invalid fields", apperr.Field("tender_id", "is not a tender"))
	}
	if err != nil {
		return nil, err
	}
	open, _, err := participation(ctx, q, t.ID, p.AuthorityID, false)
	if err != nil {
		return nil, err
	}
	if !open {
		return nil, apperr.Invalid("the order has invalid fields", apperr.Field("tender_id", "is not open to your authority"))
	}
	if t.AwardRule == "competition" {
		return nil, competitionRequired(t)
	}
	if !t.openOn(today) {
		return nil, &apperr.Error{Kind: apperr.KindConflict,
			Msg:   apperr.M("tender %s does not take orders today (it is %s, valid %s to %s)", t.Number, t.Status, t.ValidFrom, t.until()),
			Extra: map[string]any{"tender_status": t.Status}}
	}

	var fields []apperr.FieldError
	awards, err := tenderAwards(ctx, q, t.ID)
	if err != nil {
		return nil, err
	}
	supplierOK := slices.ContainsFunc(awards, func(a awardRow) bool { return a.SupplierID == in.SupplierID && a.Status == "active" })
	if !supplierOK {
		fields = append(fields, apperr.Field("supplier_id", "is not an active winner of tender %s", t.Number))
	}
	bl, err := getBudgetLine(ctx, q, in.BudgetLineID, false)
	if err != nil && !apperr.Is(err, apperr.KindNotFound) {
		return nil, err
	}
	if bl == nil || bl.AuthorityID != p.AuthorityID {
		fields = append(fields, apperr.Field("budget_line_id", "is not a budget line of your authority"))
	}

	ids := make([]int64, len(in.Lines))
	for i, l := range in.Lines {
		ids[i] = l.ItemID
	}
	items, err := tenderItems(ctx, q, ids)
	if err != nil {
		return nil, err
	}
	d := &draft{tender: t}
	var totals []decimal.Decimal
	for i, l := range in.Lines {
		it, ok := items[l.ItemID]
		if !ok || it.TenderID != t.ID {
			fields = append(fields, apperr.Field(fmt.Sprintf("lines[%d].item_id", i), "is not an item of tender %s", t.Number))
			continue
		}
		line := Line{LineNo: i + 1, ItemID: it.ID, SKU: it.SKU, Name: it.Name, Unit: it.Unit, Quantity: l.Quantity}
		if supplierOK {
			price, err := catalog.PriceInForce(ctx, q, it.ID, in.SupplierID, today)
			switch {
			case apperr.Is(err, apperr.KindNotFound):
				fields = append(fields, apperr.Field(fmt.Sprintf("lines[%d].item_id", i), "has no price in force from this supplier"))
			case err != nil:
				return nil, err
			default:
				line.UnitPrice.Decimal = price
				line.LineTotal.Decimal = LineTotal(l.Quantity.Decimal, price)
				totals = append(totals, line.LineTotal.Decimal)
			}
		}
		d.lines = append(d.lines, line)
	}

	if t.AwardRule == "rotation" {
		if d.proposal, err = propose(ctx, q, t, today); err != nil {
			return nil, err
		}
		if d.proposal != nil && *d.proposal != in.SupplierID && in.Justification == "" {
			fields = append(fields, apperr.Field("justification",
				"is required: the rotation proposes supplier %d, and choosing another needs a written justification", *d.proposal))
		}
	}
	if len(fields) > 0 {
		return nil, apperr.Invalid("the order has invalid fields", fields...)
	}
	rate, err := VATRate(ctx, q, today)
	if err != nil {
		return nil, err
	}
	d.figures = Compute(totals, rate, t.FeePercent)
	return d, nil
}

func (t *tenderRow) until() calendar.Date {
	if !t.ExtendedUntil.IsZero() {
		return t.ExtendedUntil
	}
	return t.ValidUntil
}

// competitionRequired is the 409 of a direct order under a tender awarded
// by mini-competition.
func competitionRequired(t *tenderRow) error {
	return &apperr.Error{Kind: apperr.KindConflict,
		Msg:   apperr.M("tender %s is awarded by mini-competition: a direct order is not possible; a mini-competition (price quotation among the winners) is required", t.Number),
		Extra: map[string]any{"award_rule": "competition"}}
}

// create inserts the draft inside tx: its number, lines, creation event
// and volumes entry.
func (s *Service) create(ctx context.Context, tx *sqlx.Tx, p *auth.Principal, in NewOrder) (*Order, error) {
	now := s.now()
	today := calendar.DateOf(now)
	d, err := s.prepare(ctx, tx, p, &in, today)
	if err != nil {
		return nil, err
	}
	seq, number, err := nextNumber(ctx, tx, p.AuthorityID, today.Year())
	if err != nil {
		return nil, err
	}
	const query = `INSERT INTO orders (authority_id, year, seq, number, tender_id, supplier_id, budget_line_id,
			delivery_address, requested_date, notes, proposed_supplier_id, justification,
			subtotal, vat_rate, vat, total, fee_percent, fee, created_by, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $20)
		RETURNING id`
	f := d.figures
	var id int64
	if err := sqlx.GetContext(ctx, tx, &id, query, p.AuthorityID, today.Year(), seq, number, in.TenderID, in.SupplierID,
		in.BudgetLineID, in.DeliveryAddress, in.RequestedDate, in.Notes, d.proposal, in.Justification,
		f.Subtotal, f.VATRate, f.VAT, f.Total, f.FeePercent, f.Fee, p.UserID, now); err != nil {
		return nil, database.MapError(err)
	}
	if err := insertLines(ctx, tx, id, d.lines); err != nil {
		return nil, err
	}
	if err := addEvent(ctx, tx, id, p, ActionCreate, "", StatusDraft, "", map[string]any{"number": number}, now); err != nil {
		return nil, err
	}
	vf, err := orderFigures(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if err := volumes.Transition(ctx, tx, vf, "", StatusDraft, now); err != nil {
		return nil, err
	}
	return getOrder(ctx, tx, id, today, false)
}

func insertLines(ctx context.Context, tx *sqlx.Tx, orderID int64, lines []Line) error {
	const query = `INSERT INTO order_lines (order_id, line_no, item_id, sku, name, unit, quantity, unit_price, line_total)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`
	for _, l := range lines {
		if _, err := tx.ExecContext(ctx, query, orderID, l.LineNo, l.ItemID, l.SKU, l.Name, l.Unit,
			l.Quantity.Decimal, l.UnitPrice.Decimal, l.LineTotal.Decimal); err != nil {
			return database.MapError(err)
		}
	}
	return nil
}

// Update replaces a draft's fields and lines (PUT semantics); only the
// officer of the order's authority may, and only while it is a draft.
func (s *Service) Update(ctx context.Context, p *auth.Principal, id int64, ifMatch string, in NewOrder) (*Order, error) {
	if err := validateOrder(&in); err != nil {
		return nil, err
	}
	return s.change(ctx, p, id, ifMatch, ActionUpdate, func(st *step) error {
		d, err := s.prepare(ctx, st.tx, p, &in, st.today)
		if err != nil {
			return err
		}
		if _, err := st.tx.ExecContext(ctx, `DELETE FROM order_lines WHERE order_id = $1`, id); err != nil {
			return err
		}
		if err := insertLines(ctx, st.tx, id, d.lines); err != nil {
			return err
		}
		f := d.figures
		return st.move(ctx, ActionUpdate, StatusDraft, "", nil, map[string]any{
			"tender_id": in.TenderID, "supplier_id": in.SupplierID, "budget_line_id": in.BudgetLineID,
			"delivery_address": in.DeliveryAddress, "requested_date": in.RequestedDate, "notes": in.Notes,
			"proposed_supplier_id": d.proposal, "justification": in.Justification,
			"subtotal": f.Subtotal, "vat_rate": f.VATRate, "vat": f.VAT, "total": f.Total, "fee_percent": f.FeePercent, "fee": f.Fee,
		})
	})
}
