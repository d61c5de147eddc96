package orders

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"madaf/catalog"
	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/database"
	"madaf/internal/money"
	"madaf/internal/orderstatus"
	"madaf/internal/validate"
	"madaf/internal/worker"
)

// Change requests (amendments) of a sent, confirmed or partly delivered
// order.
//
// # Reservation of a change
//
// A change restates the package's reservation argument, whose third step
// ("a reserving order's amounts never change") a change breaks, as
// follows. Proposing a change takes, after the order row, the same
// capacity rows in the same statement as a submission (Store.lockCapacity)
// whenever the change raises the order's subtotal or total, reads what is
// held after the locks are granted and refuses (409, failed_checks with
// what is left) an increase the tender ceiling, the allocation or the
// budget line has no room for. The change row then holds the increase on
// the three capacities (held_subtotal, held_total; capacity_holds by the
// trigger on order_changes) from the statement that inserts it: a change
// and a submission that share a capacity serialize on its row exactly as
// two submissions do. A decrease is released only when the supplier
// accepts the change, never on proposal: until then the order may stay as
// it was. Acceptance, in one transaction, ends the change's hold and
// replaces the order's amounts by the change's (the order's trigger moves
// the old amounts out and the new in), so what is held never rises at
// acceptance: the new amounts are at most the old plus what the change
// held. A declined, withdrawn or lapsed change (the order delivered in
// full, closed, rejected or cancelled meanwhile) releases what it held.
// Hence, at every commit, what the reserving orders and open changes hold
// on each capacity is at most the capacity; an order has at most one open
// change (a unique index).
//
// # Signatures and the supplier
//
// A change that raises the total needs the order's two slots signed again,
// for the new total (the same holders, delegations and their maximums;
// neither the change's proposer nor the order's preparers sign) before it
// goes to the supplier; one that does not goes to the supplier at once.
// The signatures are due within changeSignDays business days of the
// proposal (SignBy): a change not signed by then lapses, releasing what it
// held, as one the supplier did not answer in its window does; the order's
// history records the lapse and the proposing officer is mailed.
// The supplier accepts or declines (with a reason) within the tender's
// confirmation window in business days from the day the change was sent;
// after the window it can only be withdrawn. The order keeps its number;
// each accepted change makes its next revision (Order.Revision), and the
// volumes, fees and exports follow the order's amounts, hence the accepted
// revision.

// Actions on a change of an order.
const (
	ActionChange         = "change"
	ActionChangeSign     = "change_sign"
	ActionChangeAccept   = "change_accept"
	ActionChangeDecline  = "change_decline"
	ActionChangeWithdraw = "change_withdraw"
	// ActionChangeLapse is the event of a change that lapsed unsigned or
	// unanswered (changesLapser's, no user's).
	ActionChangeLapse = "change_lapse"
)

// changeSignDays is how many business days from its proposal a change
// awaits the authority's signatures before it lapses.
const changeSignDays = 10

// Kinds of change mail (see the order mails).
const (
	mailChangeProposed         = "change_proposed"
	mailChangeSignatureAwaited = "change_signature_awaited"
	mailChangeAccepted         = "change_accepted"
	mailChangeDeclined         = "change_declined"
	mailChangeWithdrawn        = "change_withdrawn"
	mailChangeLapsed           = "change_lapsed"
)

// Change statuses.
const (
	ChangePendingSignature = "pending_signature"
	ChangePendingSupplier  = "pending_supplier"
	ChangeAccepted         = "accepted"
	ChangeDeclined         = "declined"
	ChangeWithdrawn        = "withdrawn"
	ChangeLapsed           = "lapsed"
)

// changeFrom are the order statuses a change is proposed, signed, decided
// and withdrawn in.
var changeFrom = []string{orderstatus.Sent, orderstatus.Confirmed, orderstatus.PartiallyDelivered}

func init() {
	rules[ActionChange] = rule{[]string{auth.RoleOfficer}, changeFrom}
	rules[ActionChangeSign] = rule{[]string{auth.RoleTreasurer, auth.RoleHead}, changeFrom}
	rules[ActionChangeAccept] = rule{[]string{auth.RoleSupplier}, changeFrom}
	rules[ActionChangeDecline] = rule{[]string{auth.RoleSupplier}, changeFrom}
	rules[ActionChangeWithdraw] = rule{[]string{auth.RoleOfficer}, changeFrom}
	supplierFacts[ActionChangeAccept] = []string{"change_id", "revision"}
	supplierFacts[ActionChangeDecline] = []string{"change_id", "revision"}
	supplierFacts[ActionChangeWithdraw] = []string{"change_id", "revision"}
	supplierFacts[ActionChangeLapse] = []string{"change_id", "revision"}
	supplierNotes = append(supplierNotes, ActionChangeAccept, ActionChangeDecline)
}

// Open reports whether a change in status awaits signatures or the
// supplier (order_change_open in SQL).
func changeOpen(status string) bool {
	return status == ChangePendingSignature || status == ChangePendingSupplier
}

// Change is a change request of an order: the order's figures before
// (Old…) and after, its lines side by side, what it holds of the order's
// capacities while open, its signatures and the supplier's answer. SignBy
// is the last day a change awaiting signatures may be signed (zero for one
// that needed none), RespondBy the supplier's to answer; it lapses the day
// after.
type Change struct {
	ID                 int64         `db:"id" json:"id"`
	OrderID            int64         `db:"order_id" json:"order_id"`
	BaseRevision       int           `db:"base_revision" json:"base_revision"`
	Revision           int           `db:"revision" json:"revision"`
	Status             string        `db:"status" json:"status"`
	Reason             string        `db:"reason" json:"reason"`
	OldDeliveryAddress string        `db:"old_delivery_address" json:"old_delivery_address"`
	DeliveryAddress    string        `db:"delivery_address" json:"delivery_address"`
	OldRequestedDate   calendar.Date `db:"old_requested_date" json:"old_requested_date"`
	RequestedDate      calendar.Date `db:"requested_date" json:"requested_date"`
	OldSubtotal        money.Amount  `db:"old_subtotal" json:"old_subtotal"`
	OldVAT             money.Amount  `db:"old_vat" json:"old_vat"`
	OldTotal           money.Amount  `db:"old_total" json:"old_total"`
	OldFee             money.Amount  `db:"old_fee" json:"old_fee"`
	Subtotal           money.Amount  `db:"subtotal" json:"subtotal"`
	VATRate            money.Amount  `db:"vat_rate" json:"vat_rate"`
	VAT                money.Amount  `db:"vat" json:"vat"`
	Total              money.Amount  `db:"total" json:"total"`
	FeePercent         money.Amount  `db:"fee_percent" json:"fee_percent"`
	Fee                money.Amount  `db:"fee" json:"fee"`
	// HeldSubtotal and HeldTotal are what the change raises the order's
	// subtotal and total by (zero for a decrease), held while it is open.
	HeldSubtotal       money.Amount  `db:"held_subtotal" json:"held_subtotal"`
	HeldTotal          money.Amount  `db:"held_total" json:"held_total"`
	SignaturesRequired StringList    `db:"signatures_required" json:"signatures_required"`
	SignBy             calendar.Date `db:"sign_by" json:"sign_by"`
	RespondBy          calendar.Date `db:"respond_by" json:"respond_by"`
	DeclineReason      string        `db:"decline_reason" json:"decline_reason"`
	ProposedBy         int64         `db:"proposed_by" json:"proposed_by"`
	ProposedByName     string        `db:"proposed_by_name" json:"proposed_by_name"`
	CreatedAt          time.Time     `db:"created_at" json:"created_at"`
	SentAt             *time.Time    `db:"sent_at" json:"sent_at"`
	DecidedAt          *time.Time    `db:"decided_at" json:"decided_at"`
	// tender and budget line the change holds on (the order's).
	TenderID     int64 `db:"tender_id" json:"-"`
	AuthorityID  int64 `db:"authority_id" json:"-"`
	BudgetLineID int64 `db:"budget_line_id" json:"-"`

	Lines      []ChangeLine `db:"-" json:"lines"`
	Signatures []Signature  `db:"-" json:"signatures"`
}

// ChangeLine is one line of an order before and after a change: LineID and
// the Old… figures are nil for a line the change adds; a Quantity of 0
// removes the line.
type ChangeLine struct {
	LineNo       int           `db:"line_no" json:"line_no"`
	LineID       *int64        `db:"line_id" json:"line_id"`
	ItemID       int64         `db:"item_id" json:"item_id"`
	SKU          string        `db:"sku" json:"sku"`
	Name         string        `db:"name" json:"name"`
	Unit         string        `db:"unit" json:"unit"`
	OldQuantity  *Quantity     `db:"old_quantity" json:"old_quantity"`
	Quantity     Quantity      `db:"quantity" json:"quantity"`
	Delivered    Quantity      `db:"delivered" json:"delivered"`
	UnitPrice    money.Amount  `db:"unit_price" json:"unit_price"`
	OldLineTotal *money.Amount `db:"old_line_total" json:"old_line_total"`
	LineTotal    money.Amount  `db:"line_total" json:"line_total"`
}

// Added reports whether the change adds l.
func (l ChangeLine) Added() bool { return l.LineID == nil }

// Removed reports whether the change removes l.
func (l ChangeLine) Removed() bool { return l.LineID != nil && l.Quantity.IsZero() }

// QuantityChanged reports whether the change gives l another quantity.
func (l ChangeLine) QuantityChanged() bool {
	return l.OldQuantity == nil || !l.OldQuantity.Equal(l.Quantity.Decimal)
}

// Open reports whether c awaits signatures or the supplier.
func (c *Change) Open() bool { return changeOpen(c.Status) }

// RaisesTotal reports whether c raises the order's total.
func (c *Change) RaisesTotal() bool { return c.Total.GreaterThan(c.OldTotal.Decimal) }

// AddressChanged and DateChanged report whether c changes the delivery
// address or date.
func (c *Change) AddressChanged() bool { return c.DeliveryAddress != c.OldDeliveryAddress }

// DateChanged reports whether c changes the requested delivery date.
func (c *Change) DateChanged() bool { return c.RequestedDate != c.OldRequestedDate }

// SignatureFor returns c's signature of slot, nil when it is not signed.
func (c *Change) SignatureFor(slot string) *Signature {
	for i := range c.Signatures {
		if c.Signatures[i].Slot == slot {
			return &c.Signatures[i]
		}
	}
	return nil
}

// asSentToSupplier leaves of c what its supplier sees: no holds, no day
// the authority had to sign it by and no budget figures of its signatures.
func (c *Change) asSentToSupplier() {
	c.HeldSubtotal, c.HeldTotal, c.SignBy = money.Amount{}, money.Amount{}, calendar.Date{}
	for i := range c.Signatures {
		c.Signatures[i].BudgetSeen = BudgetSeen{}
	}
}

// NumberRevision is the order's number with its revision, "2026-0007/2".
func (o *Order) NumberRevision() string { return o.Number + "/" + strconv.Itoa(max(o.Revision, 1)) }

// ChangeInput is the body of POST /orders/{id}/changes. Each line either
// names an order line (line_id) with its new quantity (0 removes it) or
// adds an item of the order's tender (item_id) with its quantity; lines not
// named keep their quantity. DeliveryAddress and RequestedDate, when
// given, replace the order's. Reason is required.
type ChangeInput struct {
	Lines           []ChangeLineInput `json:"lines" validate:"max=500,dive"`
	DeliveryAddress *string           `json:"delivery_address" validate:"omitempty,max=500"`
	RequestedDate   calendar.Date     `json:"requested_date"`
	Reason          string            `json:"reason" validate:"max=2000"`
}

// ChangeLineInput is one line of a change request.
type ChangeLineInput struct {
	LineID int64 `json:"line_id" validate:"omitempty,gt=0"`
	ItemID int64 `json:"item_id" validate:"omitempty,gt=0"`
	// Quantity is required: 0 removes a line of the order, so a line named
	// without one must not read as 0.
	Quantity *Quantity `json:"quantity"`
}

// check reports every field of in that needs no database.
func (in *ChangeInput) check() error {
	if err := validate.Struct(in); err != nil {
		return err
	}
	var fields []apperr.FieldError
	in.Reason = strings.TrimSpace(in.Reason)
	if in.Reason == "" {
		fields = append(fields, apperr.Field("reason", "msg.required"))
	}
	if in.DeliveryAddress != nil {
		a := strings.TrimSpace(*in.DeliveryAddress)
		in.DeliveryAddress = &a
		if a == "" {
			fields = append(fields, apperr.Field("delivery_address", "msg.required"))
		}
	}
	if !in.RequestedDate.IsZero() && in.RequestedDate.Year() > 2100 {
		fields = append(fields, apperr.Field("requested_date", "order.date_too_far"))
	}
	seenLine, seenItem := map[int64]int{}, map[int64]int{}
	for i, l := range in.Lines {
		field := fmt.Sprintf("lines[%d]", i)
		switch {
		case l.LineID == 0 && l.ItemID == 0:
			fields = append(fields, apperr.Field(field+".item_id", "order.change.line_or_item"))
		case l.LineID != 0:
			if j, dup := seenLine[l.LineID]; dup {
				fields = append(fields, apperr.Field(field+".line_id", "order.item_repeated", j))
			}
			seenLine[l.LineID] = i
			switch {
			case l.Quantity == nil:
				fields = append(fields, apperr.Field(field+".quantity", "msg.required"))
			case !l.Quantity.IsZero():
				if fe := l.Quantity.check(field + ".quantity"); fe != nil {
					fields = append(fields, *fe)
				}
			}
		default:
			if j, dup := seenItem[l.ItemID]; dup {
				fields = append(fields, apperr.Field(field+".item_id", "order.item_repeated", j))
			}
			seenItem[l.ItemID] = i
			if l.Quantity == nil {
				fields = append(fields, apperr.Field(field+".quantity", "msg.required"))
			} else if fe := l.Quantity.check(field + ".quantity"); fe != nil {
				fields = append(fields, *fe)
			}
		}
	}
	if len(fields) > 0 {
		return apperr.Invalid("order.change.invalid", fields...)
	}
	return nil
}

// DeclineInput is the body of POST /orders/{id}/changes/{change_id}/decline.
type DeclineInput struct {
	Reason string `json:"reason" validate:"required,max=2000"`
}

// ChangeNoteInput is the body of accepting or withdrawing a change.
type ChangeNoteInput struct {
	Note string `json:"note" validate:"max=2000"`
}

// changeStep is the change being acted on, locked in the step's
// transaction, with the answer the action leaves.
type changeStep struct {
	*step
	c *Change
}

// Changes returns the change requests of order orderID, newest first; a
// supplier sees only those sent to it.
func (s *Service) Changes(ctx context.Context, p *auth.Principal, orderID int64) (out []Change, err error) {
	defer apperr.Wrap(&err, "orders.Service.Changes(%d)", orderID)
	if _, err := s.Get(ctx, p, orderID); err != nil {
		return nil, err
	}
	all, err := s.stores.orders.changes(ctx, orderID)
	if err != nil {
		return nil, err
	}
	out = []Change{}
	for _, c := range all {
		if p.OrgKind == auth.OrgSupplier {
			if c.SentAt == nil {
				continue
			}
			c.asSentToSupplier()
		}
		out = append(out, c)
	}
	return out, nil
}

// GetChange returns change changeID of order orderID, or not-found when p
// may not see the order or the change (a supplier a change not sent to
// it).
func (s *Service) GetChange(ctx context.Context, p *auth.Principal, orderID, changeID int64) (c *Change, err error) {
	defer apperr.Wrap(&err, "orders.Service.GetChange(%d, %d)", orderID, changeID)
	if _, err := s.Get(ctx, p, orderID); err != nil {
		return nil, err
	}
	c, err = s.stores.orders.change(ctx, orderID, changeID, false)
	if err != nil {
		return nil, err
	}
	if p.OrgKind == auth.OrgSupplier {
		if c.SentAt == nil {
			return nil, apperr.NotFound("not_found.change")
		}
		c.asSentToSupplier()
	}
	return c, nil
}

// onChange runs action on change changeID of order orderID in change's
// transaction (scope, role, input, If-Match on the order and the order's
// status checked first), with the change row locked; a change not of the
// order, or a supplier's change not sent to it, is not found; a change
// whose status is not one of from is a conflict. It returns the change and
// the order as the action left them.
func (s *Service) onChange(ctx context.Context, p *auth.Principal, orderID, changeID int64, r request, from []string,
	fn func(cs *changeStep) error) (*Change, *Order, error) {
	var out *Change
	o, err := s.change(ctx, p, orderID, r, func(st *step) error {
		c, err := st.orders.change(ctx, orderID, changeID, true)
		if err != nil {
			return err
		}
		if p.OrgKind == auth.OrgSupplier && c.SentAt == nil {
			return apperr.NotFound("not_found.change")
		}
		if !slices.Contains(from, c.Status) {
			err := apperr.Conflict("order.change.wrong_state", apperr.K("change_status."+c.Status), apperr.K("order.verb."+r.action))
			err.Extra = map[string]any{"change_status": c.Status}
			return err
		}
		cs := &changeStep{step: st, c: c}
		if err := fn(cs); err != nil {
			return err
		}
		out, err = st.orders.change(ctx, orderID, changeID, false)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	if out == nil {
		// A repeated request answered with the order as it stands.
		if out, err = s.stores.orders.change(ctx, orderID, changeID, false); err != nil {
			return nil, nil, err
		}
	}
	if p.OrgKind == auth.OrgSupplier {
		out.asSentToSupplier()
	}
	return out, o, nil
}

// ProposeChange records the officer's change request of a sent, confirmed
// or partly delivered order (see the package's change documentation): new
// quantities (never below what was delivered; 0 removes a line nothing of
// which was delivered), added items of the order's tender and supplier at
// the price in force on the order's submission date, a new delivery
// address or date, and a reason. It is priced at the order's VAT rate and
// fee percent. Bad input is a 422 naming each field or line; an increase
// the capacities have no room for is a 409 whose failed_checks say what is
// left; an order with an open change is a 409. A change that raises the
// total awaits the two signatures, whose holders and delegates are mailed;
// any other goes to the supplier, who is mailed.
func (s *Service) ProposeChange(ctx context.Context, p *auth.Principal, orderID int64, ifMatch string, in ChangeInput) (c *Change, o *Order, err error) {
	defer apperr.Wrap(&err, "orders.Service.ProposeChange(%d)", orderID)
	var id int64
	req := request{action: ActionChange, ifMatch: ifMatch, input: in, check: in.check}
	o, err = s.change(ctx, p, orderID, req, func(st *step) error {
		var err error
		id, err = st.proposeChange(ctx, &in)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	if id == 0 {
		// A repeated proposal: its change is the order's latest.
		cs, err := s.stores.orders.changes(ctx, orderID)
		if err != nil || len(cs) == 0 {
			return nil, nil, apperr.Conflict("order.changed")
		}
		return &cs[0], o, nil
	}
	c, err = s.stores.orders.change(ctx, orderID, id, false)
	return c, o, err
}

// proposeChange is ProposeChange's work on the locked order; it returns
// the new change's id.
func (st *step) proposeChange(ctx context.Context, in *ChangeInput) (int64, error) {
	o := st.o
	if open, err := st.orders.openChange(ctx, o.ID); err != nil {
		return 0, err
	} else if open != 0 {
		err := apperr.Conflict("order.change.open_exists")
		err.Extra = map[string]any{"change_id": open}
		return 0, err
	}
	lines := make([]ChangeLine, len(o.Lines))
	byID := map[int64]int{}
	onOrder := map[int64]bool{}
	next := 0
	for i, l := range o.Lines {
		q, t := l.Quantity, l.LineTotal
		id := l.ID
		lines[i] = ChangeLine{LineNo: l.LineNo, LineID: &id, ItemID: l.ItemID, SKU: l.SKU, Name: l.Name, Unit: l.Unit,
			OldQuantity: &q, Quantity: l.Quantity, Delivered: l.Delivered, UnitPrice: l.UnitPrice, OldLineTotal: &t, LineTotal: l.LineTotal}
		byID[l.ID] = i
		onOrder[l.ItemID] = true
		next = max(next, l.LineNo)
	}
	recorded, err := st.orders.recordedLines(ctx, o.ID)
	if err != nil {
		return 0, err
	}
	var fields []apperr.FieldError
	var added []int
	for i, l := range in.Lines {
		field := fmt.Sprintf("lines[%d]", i)
		if l.LineID == 0 {
			added = append(added, i)
			continue
		}
		j, ok := byID[l.LineID]
		if !ok {
			fields = append(fields, apperr.Field(field+".line_id", "order.change.not_a_line"))
			continue
		}
		cl, q := &lines[j], *l.Quantity
		switch {
		case q.IsZero() && cl.Delivered.IsPositive():
			fields = append(fields, apperr.Field(field+".quantity", "order.change.remove_delivered", cl.LineNo, cl.Delivered.String()))
			continue
		case o.CompetitionID != nil && q.GreaterThan(cl.Quantity.Decimal):
			// The quantities a mini-competition decided are its most.
			return 0, apperr.Conflict("order.change.competition_order")
		case q.IsZero() && recorded[l.LineID]:
			fields = append(fields, apperr.Field(field+".quantity", "order.change.remove_recorded", cl.LineNo))
			continue
		case q.LessThan(cl.Delivered.Decimal):
			fields = append(fields, apperr.Field(field+".quantity", "order.change.below_delivered", cl.LineNo, cl.Delivered.String()))
			continue
		}
		cl.Quantity = q
		cl.LineTotal = money.Of(LineTotal(q.Decimal, cl.UnitPrice.Decimal))
	}
	if len(added) > 0 && o.CompetitionID != nil {
		return 0, apperr.Conflict("order.change.competition_order")
	}
	if len(added) > 0 {
		ids := make([]int64, len(added))
		for k, i := range added {
			ids[k] = in.Lines[i].ItemID
		}
		items, err := st.orders.changeItems(ctx, o.TenderID, o.SupplierID, o.SubmittedOn, ids)
		if err != nil {
			return 0, err
		}
		for k, i := range added {
			field := fmt.Sprintf("lines[%d].item_id", i)
			it := items[k]
			switch {
			case it.ID == 0:
				fields = append(fields, apperr.Field(field, "order.not_tender_item", o.TenderNumber))
				continue
			case onOrder[it.ID]:
				fields = append(fields, apperr.Field(field, "order.change.item_on_order"))
				continue
			case !it.Price.Valid:
				fields = append(fields, apperr.Field(field, "order.change.no_price", o.SubmittedOn.String()))
				continue
			}
			next++
			q := *in.Lines[i].Quantity
			lines = append(lines, ChangeLine{LineNo: next, ItemID: it.ID, SKU: it.SKU, Name: it.Name, Unit: it.Unit,
				Quantity: q, UnitPrice: money.Of(it.Price.Decimal), LineTotal: money.Of(LineTotal(q.Decimal, it.Price.Decimal))})
		}
	}
	address, date := o.DeliveryAddress, o.RequestedDate
	if in.DeliveryAddress != nil {
		address = *in.DeliveryAddress
	}
	if !in.RequestedDate.IsZero() {
		if in.RequestedDate.Before(st.today) {
			fields = append(fields, apperr.Field("requested_date", "order.date_past"))
		}
		date = in.RequestedDate
	}
	if len(fields) > 0 {
		return 0, apperr.Invalid("order.change.invalid", fields...)
	}
	var totals []decimal.Decimal
	changed := len(added) > 0 || address != o.DeliveryAddress || date != o.RequestedDate
	for _, l := range lines {
		if l.QuantityChanged() {
			changed = true
		}
		if l.Quantity.IsPositive() {
			totals = append(totals, l.LineTotal.Decimal)
		}
	}
	switch {
	case !changed:
		return 0, apperr.Invalid("order.change.invalid", apperr.Field("lines", "order.change.nothing"))
	case len(totals) == 0:
		return 0, apperr.Invalid("order.change.invalid", apperr.Field("lines", "order.change.no_lines"))
	}
	fig := Compute(totals, o.VATRate.Decimal, o.FeePercent.Decimal)
	heldSub := decimal.Max(fig.Subtotal.Sub(o.Subtotal.Decimal), decimal.Zero)
	heldTot := decimal.Max(fig.Total.Sub(o.Total.Decimal), decimal.Zero)
	if heldSub.IsPositive() || heldTot.IsPositive() {
		if err := st.roomFor(ctx, heldSub, heldTot); err != nil {
			return 0, err
		}
	}
	c := &Change{OrderID: o.ID, BaseRevision: max(o.Revision, 1), Reason: in.Reason,
		OldDeliveryAddress: o.DeliveryAddress, DeliveryAddress: address, OldRequestedDate: o.RequestedDate, RequestedDate: date,
		OldSubtotal: o.Subtotal, OldVAT: o.VAT, OldTotal: o.Total, OldFee: o.Fee,
		Subtotal: money.Of(fig.Subtotal), VATRate: money.Of(fig.VATRate), VAT: money.Of(fig.VAT), Total: money.Of(fig.Total),
		FeePercent: money.Of(fig.FeePercent), Fee: money.Of(fig.Fee), HeldSubtotal: money.Of(heldSub), HeldTotal: money.Of(heldTot),
		ProposedBy: st.p.UserID, TenderID: o.TenderID, AuthorityID: o.AuthorityID, BudgetLineID: o.BudgetLineID,
		SignaturesRequired: StringList{}, Lines: lines}
	c.Revision = c.BaseRevision + 1
	if c.RaisesTotal() {
		c.Status, c.SignaturesRequired = ChangePendingSignature, Slots
		holidays, err := st.orders.holidays(ctx, st.today)
		if err != nil {
			return 0, err
		}
		c.SignBy = calendar.AddBusinessDays(st.today, changeSignDays, holidays...)
	} else {
		c.Status = ChangePendingSupplier
		if err := st.sendChange(ctx, c); err != nil {
			return 0, err
		}
	}
	id, err := st.orders.insertChange(ctx, c, st.now)
	if err != nil {
		return 0, err
	}
	c.ID = id
	if err := st.orders.touch(ctx, o, st.now); err != nil {
		return 0, err
	}
	data := map[string]any{"change_id": id, "revision": c.Revision, "status": c.Status, "subtotal": c.Subtotal, "total": c.Total,
		"held_subtotal": c.HeldSubtotal, "held_total": c.HeldTotal}
	if err := st.record(ctx, ActionChange, o.Status, in.Reason, data); err != nil {
		return 0, err
	}
	if c.Status == ChangePendingSignature {
		return id, st.askChangeSignatures(ctx, c)
	}
	return id, st.notifySupplier(ctx, mailChangeProposed, changeFacts(c)...)
}

// roomFor refuses (409, failed_checks) an increase of heldSub on the
// step's order's tender ceiling and allocation, or heldTot on its budget
// line, that they have no room for, and one under a tender no longer
// taking orders or an award no longer active. It locks the capacity rows
// after the order's, in the one fixed order (Store.lockCapacity), so the
// held amounts it reads stay as read until the transaction ends.
func (st *step) roomFor(ctx context.Context, heldSub, heldTot decimal.Decimal) error {
	o := st.o
	c, err := st.orders.lockCapacity(ctx, o, o.SubmittedOn)
	if err != nil {
		return err
	}
	t := &c.tender
	// More under a tender whose orders need a mini-competition is a new
	// competition, never a change: an order the competition made grows
	// by none, a direct one not to the tender's competition_from.
	if heldSub.IsPositive() {
		if o.CompetitionID != nil || t.AwardRule == catalog.RuleCompetition {
			return apperr.Conflict("order.change.competition_order")
		}
		if t.NeedsCompetition(c.activeAwards, o.Subtotal.Add(heldSub)) {
			return competitionFromReached(t)
		}
	}
	var failed []FailedCheck
	if !t.OpenOn(st.today) {
		failed = append(failed, FailedCheck{Check: CheckTenderActive, Msg: apperr.M("order.check.tender_closed", t.Number, st.today.String(),
			apperr.K("tender_status."+t.Status), t.ValidFrom.String(), t.EndsOn().String())})
	}
	if c.awardStatus != catalog.AwardActive {
		failed = append(failed, FailedCheck{Check: CheckAwardActive, Msg: apperr.M("order.check.award_inactive", t.Number)})
	}
	room := func(check string, limit *decimal.Decimal, used, need decimal.Decimal, msg func(left, need string) apperr.Msg) {
		if limit == nil || !need.IsPositive() {
			return
		}
		left := limit.Sub(used)
		if need.LessThanOrEqual(left) {
			return
		}
		left = decimal.Max(left, decimal.Zero)
		failed = append(failed, FailedCheck{Check: check, Msg: msg(money.Format(left), money.Format(need)),
			Remaining: amountPtr(left), Required: amountPtr(need)})
	}
	var ceiling *decimal.Decimal
	if t.Ceiling != nil {
		ceiling = &t.Ceiling.Decimal
	}
	room(CheckCeiling, ceiling, c.heldTender, heldSub, func(left, need string) apperr.Msg {
		return apperr.M("order.check.ceiling", left, need)
	})
	room(CheckAllocation, c.allocation, c.heldAlloc, heldSub, func(left, need string) apperr.Msg {
		return apperr.M("order.check.allocation", left, need)
	})
	room(CheckBudget, &c.line.Amount.Decimal, c.heldBudget, heldTot, func(left, need string) apperr.Msg {
		return apperr.M("order.check.budget", c.line.Code, left, need)
	})
	if len(failed) > 0 {
		err := apperr.Conflict("order.change.cannot_reserve")
		err.Extra = map[string]any{"failed_checks": failed}
		return err
	}
	return nil
}

// sendChange sends c to the supplier now: the day it is sent and the last
// day of the tender's confirmation window (business days) to answer by.
func (st *step) sendChange(ctx context.Context, c *Change) error {
	days, err := st.orders.confirmationDays(ctx, st.o.TenderID)
	if err != nil {
		return err
	}
	holidays, err := st.orders.holidays(ctx, st.today)
	if err != nil {
		return err
	}
	at := st.now
	c.SentAt, c.RespondBy = &at, calendar.AddBusinessDays(st.today, days, holidays...)
	return nil
}

// changeFacts are the lines a change's mails add to the order's: the
// revision, the new total, the reason, and the day to sign by (while it
// awaits signatures) or to answer by.
func changeFacts(c *Change) []fact {
	f := []fact{said("order.mail.change_revision", strconv.Itoa(c.Revision)),
		said("order.mail.change_total", money.Format(c.Total.Decimal)), said("order.mail.change_reason", c.Reason)}
	if c.SentAt == nil && !c.SignBy.IsZero() {
		f = append(f, said("order.mail.change_sign_by", c.SignBy.String()))
	}
	if !c.RespondBy.IsZero() {
		f = append(f, said("order.mail.change_respond_by", c.RespondBy.String()))
	}
	return f
}

// askChangeSignatures mails everyone who may fill a slot of c still open:
// the holders of its role and the delegates whose delegation is in force
// today and covers c's total (the order's preparers are not asked).
func (st *step) askChangeSignatures(ctx context.Context, c *Change) error {
	var open []string
	for _, slot := range Slots {
		if c.SignatureFor(slot) == nil {
			open = append(open, slot)
		}
	}
	if len(open) == 0 {
		return nil
	}
	all, err := st.orders.slotRecipients(ctx, st.o.ID, st.o.AuthorityID, open, c.Total.Decimal, st.today)
	if err != nil {
		return err
	}
	for _, slot := range open {
		var to []recipient
		for _, r := range all {
			if r.Slot == slot && r.UserID != c.ProposedBy {
				to = append(to, r.recipient)
			}
		}
		st.notify(mailChangeSignatureAwaited, append(changeFacts(c), named("order.mail.role", "role."+slot)), to...)
	}
	return nil
}

// signClosed reports whether the day to sign c by is before today (the
// lapser ends it soon).
func (c *Change) signClosed(today calendar.Date) bool {
	return !c.SignBy.IsZero() && today.After(c.SignBy)
}

// SignChange fills one slot of a change that raises its order's total, by
// the order's rules for the change's total (see mayFill), by its SignBy
// day (409 after): the treasurer's slot needs the three checks (422
// without). The change's proposer and
// the order's preparers may not sign. When both slots are signed the
// change goes to the supplier, who is mailed.
func (s *Service) SignChange(ctx context.Context, p *auth.Principal, orderID, changeID int64, ifMatch string, in SignInput) (c *Change, o *Order, err error) {
	defer apperr.Wrap(&err, "orders.Service.SignChange(%d, %d)", orderID, changeID)
	slot := in.Slot
	if slot == "" {
		slot = in.Role
	}
	req := request{action: ActionChangeSign, ifMatch: ifMatch, input: in, check: func() error { return validate.Struct(&in) }}
	c, o, err = s.onChange(ctx, p, orderID, changeID, req, []string{ChangePendingSignature}, func(cs *changeStep) error {
		st, c := cs.step, cs.c
		if c.signClosed(st.today) {
			return apperr.Conflict("order.change.sign_window_closed", c.SignBy.String())
		}
		view := *st.o
		view.Signatures, view.Total = c.Signatures, c.Total
		preparers, err := st.orders.preparers(ctx, view.ID)
		if err != nil {
			return err
		}
		preparers = append(preparers, c.ProposedBy)
		f, err := chooseFill(ctx, st.stores, p, &view, slot, preparers, st.today)
		if err != nil {
			return err
		}
		g := &Signature{Role: f.Slot, Slot: f.Slot, UserID: p.UserID, UserName: p.Name, As: f.As}
		data := map[string]any{"change_id": c.ID, "revision": c.Revision, "slot": f.Slot, "as": f.As}
		if d := f.Delegation; d != nil {
			g.DelegationID, g.OnBehalfOf, g.OnBehalfOfName = &d.ID, &d.HolderID, f.HolderName
			data["delegation_id"] = d.ID
			data["on_behalf_of"] = Person{ID: d.HolderID, Name: f.HolderName}
		}
		if f.Slot == SlotTreasurer {
			if err := in.treasurerChecks(); err != nil {
				return err
			}
			bal, err := st.authorities.BudgetBalance(ctx, st.o.BudgetLineID)
			if err != nil {
				return err
			}
			g.BudgetSeen = budgetSeen(bal, c.HeldTotal.Decimal)
			g.CheckLegal, g.CheckBudgetLine, g.CheckNoDeficit = true, true, true
			data["checks"] = map[string]bool{"legal": true, "budget_line": true, "no_deficit": true}
			data["budget"] = g.BudgetSeen
		}
		if err := st.orders.addChangeSignature(ctx, c, g, st.now); err != nil {
			return err
		}
		c.Signatures = append(c.Signatures, *g)
		signed := c.SignatureFor(SlotTreasurer) != nil && c.SignatureFor(SlotHead) != nil
		if signed {
			if err := st.sendChange(ctx, c); err != nil {
				return err
			}
			if err := st.orders.changeSent(ctx, c); err != nil {
				return err
			}
			data["respond_by"] = c.RespondBy
		}
		if err := st.orders.touch(ctx, st.o, st.now); err != nil {
			return err
		}
		if err := st.record(ctx, ActionChangeSign, st.o.Status, in.Note, data); err != nil {
			return err
		}
		if signed {
			return st.notifySupplier(ctx, mailChangeProposed, changeFacts(c)...)
		}
		return nil
	})
	return c, o, err
}

// AcceptChange is the supplier's acceptance of a change sent to it, by the
// day it was to answer by (409 after): the order's lines, amounts, delivery
// address and date become the change's, its revision the change's, and a
// partly delivered order all of whose lines are now delivered is
// delivered. The change's hold ends and the order's amounts carry the new
// figures, releasing a decrease; the volumes follow. A line delivered
// since beyond its new quantity is a conflict. The officer is mailed.
func (s *Service) AcceptChange(ctx context.Context, p *auth.Principal, orderID, changeID int64, ifMatch string, in ChangeNoteInput) (c *Change, o *Order, err error) {
	defer apperr.Wrap(&err, "orders.Service.AcceptChange(%d, %d)", orderID, changeID)
	req := request{action: ActionChangeAccept, ifMatch: ifMatch, input: in, check: func() error { return validate.Struct(&in) }}
	c, o, err = s.onChange(ctx, p, orderID, changeID, req, []string{ChangePendingSupplier}, func(cs *changeStep) error {
		st, c := cs.step, cs.c
		if !c.RespondBy.IsZero() && st.today.After(c.RespondBy) {
			return apperr.Conflict("order.change.window_closed", c.RespondBy.String())
		}
		delivered := map[int64]Quantity{}
		for _, l := range st.o.Lines {
			delivered[l.ID] = l.Delivered
		}
		recorded, err := st.orders.recordedLines(ctx, st.o.ID)
		if err != nil {
			return err
		}
		complete := true
		for _, l := range c.Lines {
			if l.LineID != nil && l.Quantity.IsZero() && recorded[*l.LineID] {
				return apperr.Conflict("order.change.recorded_since", l.LineNo)
			}
			if l.LineID == nil {
				if l.Quantity.IsPositive() {
					complete = false
				}
				continue
			}
			d := delivered[*l.LineID]
			if d.GreaterThan(l.Quantity.Decimal) {
				return apperr.Conflict("order.change.delivered_since", l.LineNo, d.String())
			}
			if d.LessThan(l.Quantity.Decimal) {
				complete = false
			}
		}
		to := st.o.Status
		if to == orderstatus.PartiallyDelivered && complete {
			to = orderstatus.Delivered
		}
		if err := st.orders.acceptChange(ctx, st.o, c, to, p.UserID, st.now); err != nil {
			return err
		}
		data := map[string]any{"change_id": c.ID, "revision": c.Revision, "subtotal": c.Subtotal, "total": c.Total,
			"old_subtotal": c.OldSubtotal, "old_total": c.OldTotal}
		if err := st.record(ctx, ActionChangeAccept, to, in.Note, data); err != nil {
			return err
		}
		return st.notifyOfficer(ctx, mailChangeAccepted, changeFacts(c)...)
	})
	return c, o, err
}

// DeclineChange is the supplier's refusal of a change sent to it, with a
// reason: the order stays as it was and what the change held is released.
// The officer is mailed.
func (s *Service) DeclineChange(ctx context.Context, p *auth.Principal, orderID, changeID int64, ifMatch string, in DeclineInput) (c *Change, o *Order, err error) {
	defer apperr.Wrap(&err, "orders.Service.DeclineChange(%d, %d)", orderID, changeID)
	req := request{action: ActionChangeDecline, ifMatch: ifMatch, input: in, check: func() error {
		in.Reason = strings.TrimSpace(in.Reason)
		return validate.Struct(&in)
	}}
	c, o, err = s.onChange(ctx, p, orderID, changeID, req, []string{ChangePendingSupplier}, func(cs *changeStep) error {
		st, c := cs.step, cs.c
		if err := st.orders.endChange(ctx, c, ChangeDeclined, in.Reason, p.UserID, st.now); err != nil {
			return err
		}
		if err := st.orders.touch(ctx, st.o, st.now); err != nil {
			return err
		}
		data := map[string]any{"change_id": c.ID, "revision": c.Revision, "released_subtotal": c.HeldSubtotal, "released_total": c.HeldTotal}
		if err := st.record(ctx, ActionChangeDecline, st.o.Status, in.Reason, data); err != nil {
			return err
		}
		return st.notifyOfficer(ctx, mailChangeDeclined, append(changeFacts(c), said("order.mail.reason", in.Reason))...)
	})
	return c, o, err
}

// WithdrawChange is the officer's withdrawal of an open change: the order
// stays as it was and what the change held is released. A supplier the
// change was sent to is mailed.
func (s *Service) WithdrawChange(ctx context.Context, p *auth.Principal, orderID, changeID int64, ifMatch string, in ChangeNoteInput) (c *Change, o *Order, err error) {
	defer apperr.Wrap(&err, "orders.Service.WithdrawChange(%d, %d)", orderID, changeID)
	req := request{action: ActionChangeWithdraw, ifMatch: ifMatch, input: in, check: func() error { return validate.Struct(&in) }}
	c, o, err = s.onChange(ctx, p, orderID, changeID, req, []string{ChangePendingSignature, ChangePendingSupplier}, func(cs *changeStep) error {
		st, c := cs.step, cs.c
		if err := st.orders.endChange(ctx, c, ChangeWithdrawn, "", p.UserID, st.now); err != nil {
			return err
		}
		if err := st.orders.touch(ctx, st.o, st.now); err != nil {
			return err
		}
		data := map[string]any{"change_id": c.ID, "revision": c.Revision, "released_subtotal": c.HeldSubtotal, "released_total": c.HeldTotal,
			"sent": c.SentAt != nil}
		if err := st.record(ctx, ActionChangeWithdraw, st.o.Status, in.Note, data); err != nil {
			return err
		}
		if c.SentAt != nil {
			return st.notifySupplier(ctx, mailChangeWithdrawn, changeFacts(c)...)
		}
		return nil
	})
	return c, o, err
}

// ChangeSignOptions returns the slots p may fill on open change c of order
// o now, and why not when p holds a slot's role or a delegation for it but
// may not; both empty unless c awaits signatures, its day to be signed by
// is not past and p is of o's authority.
func (s *Service) ChangeSignOptions(ctx context.Context, p *auth.Principal, o *Order, c *Change) (fills []Fill, why []apperr.Msg, err error) {
	defer apperr.Wrap(&err, "orders.Service.ChangeSignOptions(%d)", c.ID)
	if c.Status != ChangePendingSignature || p.OrgKind != auth.OrgAuthority || p.AuthorityID != o.AuthorityID ||
		c.signClosed(s.today()) {
		return nil, nil, nil
	}
	preparers, err := s.stores.orders.preparers(ctx, o.ID)
	if err != nil {
		return nil, nil, err
	}
	preparers = append(preparers, c.ProposedBy)
	view := *o
	view.Signatures, view.Total = c.Signatures, c.Total
	for _, slot := range Slots {
		f, err := mayFill(ctx, s.stores, p, &view, slot, preparers, s.today())
		switch {
		case err == nil:
			fills = append(fills, *f)
		case !refusal(err):
			return nil, nil, err
		default:
			var ae *apperr.Error
			if errors.As(err, &ae) && ae.Key != "order.no_capacity" && ae.Key != "order.role_signed" &&
				!slices.ContainsFunc(why, func(m apperr.Msg) bool { return m.Key == ae.Key }) {
				why = append(why, ae.Msg)
			}
		}
	}
	if len(fills) > 0 {
		why = nil
	}
	return fills, why, nil
}

// changesLapser is who a lapse of unanswered changes is attributed to.
var changesLapser = database.Actor{Label: "madaf changes lapser"}

// LapseUnanswered ends every change not signed by its sign_by day (the
// authority's changeSignDays) or sent to its supplier and not answered by
// its respond_by day (the tender's window): it lapses, what it held is
// released and the order may take another change. The order's history
// records the lapse and the officer who proposed the change is mailed, in
// the lapse's transaction. Each lapses in a transaction of its own, so
// that its trigger takes the capacity rows in their fixed order and one
// that fails (tried again at the next pass) holds up none of the others.
// It returns how many lapsed.
func (s *Service) LapseUnanswered(ctx context.Context) (n int, err error) {
	defer apperr.Wrap(&err, "orders.Service.LapseUnanswered")
	if _, ok := database.ActorFrom(ctx); !ok {
		ctx = database.WithActor(ctx, changesLapser)
	}
	var failed []int64
	var errs []error
	for ctx.Err() == nil {
		var id int64
		err := database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
			var err error
			id, err = s.lapseOne(ctx, tx, failed)
			return err
		})
		switch {
		case err != nil && id != 0:
			failed = append(failed, id)
			errs = append(errs, fmt.Errorf("change %d: %w", id, err))
			continue
		case err != nil:
			return n, errors.Join(append(errs, err)...)
		case id == 0:
			return n, errors.Join(errs...)
		}
		n++
	}
	return n, errors.Join(append(errs, ctx.Err())...)
}

// lapseOne lapses one due change in tx (see LapseUnanswered), records it
// in its order's history and mails its proposer; it returns the change's
// id, 0 when none was due; skip are the changes not to try again. The
// lapse takes the change's row and then the capacity rows, and does not
// lock the order's row after them (an action on the order takes the
// order's first). Its history event takes a key-share lock on the order
// row, which the actions' FOR NO KEY UPDATE never blocks, so it waits for
// no action.
func (s *Service) lapseOne(ctx context.Context, tx *sqlx.Tx, skip []int64) (int64, error) {
	now := s.now()
	st := &step{stores: s.stores.inTx(tx), s: s, tx: tx, now: now, today: calendar.DateOf(now)}
	l, err := st.orders.lapseOne(ctx, st.today, now, skip)
	if err != nil || l.ID == 0 {
		return l.ID, err
	}
	if st.o, err = st.orders.Order(ctx, l.OrderID, st.today); err != nil {
		return l.ID, err
	}
	c, err := st.orders.change(ctx, l.OrderID, l.ID, false)
	if err != nil {
		return l.ID, err
	}
	data := map[string]any{"change_id": c.ID, "revision": c.Revision, "lapsed_from": l.From,
		"released_subtotal": c.HeldSubtotal, "released_total": c.HeldTotal, "sent": c.SentAt != nil}
	// No volume moves: the order's status and amounts stay as they were.
	if err := st.orders.addEvent(ctx, st.o.ID, nil, ActionChangeLapse, st.o.Status, st.o.Status, "", data, nil, now); err != nil {
		return l.ID, err
	}
	r, err := st.orders.userRecipient(ctx, c.ProposedBy)
	if err != nil {
		return l.ID, err
	}
	st.notify(mailChangeLapsed, append(changeFacts(c), named("order.mail.change_lapsed_why", "order.mail.change_lapsed."+l.From)), r)
	return l.ID, st.writeNotices(ctx, st.o)
}

// ChangesLapser runs Service.LapseUnanswered every Interval.
type ChangesLapser struct {
	Service  *Service
	Logger   *slog.Logger
	Interval time.Duration
}

// Run lapses what is due every Interval (default 30s) until ctx ends.
func (l *ChangesLapser) Run(ctx context.Context) {
	worker.Every(ctx, l.Interval, l.Logger, "order changes lapsed", l.Service.LapseUnanswered)
}
