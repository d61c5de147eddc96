package orders

import (
	"cmp"
	"context"
	"errors"
	"slices"

	"github.com/shopspring/decimal"

	"madaf/authorities"
	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/money"
	"madaf/internal/orderstatus"
	"madaf/internal/validate"
)

// Signature slots, the authorities' (authorities.Slots). Every order needs
// both, in either order, whatever its total (§203 of the Municipalities
// Ordinance; §193 of the local councils order): neither alone binds the
// authority.
const (
	SlotTreasurer = authorities.SlotTreasurer
	SlotHead      = authorities.SlotHead
)

// Slots are the slots every order needs signed, in the order they are
// offered.
var Slots = []string{SlotTreasurer, SlotHead}

// Capacities a slot is signed in: by the holder of its role, or by a
// delegate of the holder.
const (
	AsHolder   = "holder"
	AsDelegate = "delegate"
)

// SignInput is the body of POST /orders/{id}/sign. Slot names the slot
// signed; left out, it is the first open slot the signer may fill. The
// treasurer's slot is signed only with the three checks of §203(א1).
type SignInput struct {
	Slot string `json:"slot" validate:"omitempty,oneof=treasurer head"`
	// Role is Slot under its former name, read when Slot is empty.
	Role       string `json:"role" validate:"omitempty,oneof=treasurer head"`
	Legal      bool   `json:"legal"`
	BudgetLine bool   `json:"budget_line"`
	NoDeficit  bool   `json:"no_deficit"`
	Note       string `json:"note" validate:"max=2000"`
}

// Fill is a slot a user may fill on an order now and the capacity they
// would sign it in; a delegate's names the delegation and the holder.
type Fill struct {
	Slot string
	As   string
	// Delegation is a delegate's delegation, nil for the holder.
	Delegation *authorities.Delegation
	// HolderName is the name of the holder a delegate signs for.
	HolderName string
}

// mayFill returns how p may fill slot on pending order o on day, or the
// refusal: a conflict when p signed a slot of this submission already or
// the slot is signed; forbidden when p created, edited or submitted o in its
// current round (preparers), only receives goods, holds neither the slot's role nor a
// delegation in force for it, or the delegation does not cover o (revoked,
// outside its dates, or o's total above its maximum).
func mayFill(ctx context.Context, on stores, p *auth.Principal, o *Order, slot string, preparers []int64, day calendar.Date) (*Fill, error) {
	for _, g := range o.Signatures {
		if g.UserID == p.UserID {
			return nil, apperr.Conflict("order.signed_already", apperr.K("role."+g.Role))
		}
	}
	if o.SignatureFor(slot) != nil {
		return nil, apperr.Conflict("order.role_signed", apperr.K("role."+slot))
	}
	if p.OrgKind != auth.OrgAuthority || p.AuthorityID != o.AuthorityID {
		return nil, apperr.Forbidden("order.no_capacity", apperr.K("role."+slot))
	}
	if slices.Contains(preparers, p.UserID) {
		return nil, apperr.Forbidden("order.prepared_by_signer")
	}
	if auth.OnlyReceives(p.Roles) {
		// A receiver signs nothing, under a delegation granted before its
		// roles changed or not.
		return nil, apperr.Forbidden("order.no_capacity", apperr.K("role."+slot))
	}
	if p.Has(authorities.SlotRole(slot)) {
		return &Fill{Slot: slot, As: AsHolder}, nil
	}
	d, err := on.authorities.DelegationFor(ctx, p.UserID, o.AuthorityID, slot, day)
	if apperr.Is(err, apperr.KindNotFound) {
		return nil, noDelegation(ctx, on, p, o.AuthorityID, slot, day)
	}
	if err != nil {
		return nil, err
	}
	if err := inForce(d, day); err != nil {
		return nil, err
	}
	if o.Total.GreaterThan(d.MaxTotal.Decimal) {
		err := apperr.Forbidden("order.delegation_max", apperr.K("role."+slot), money.Format(d.MaxTotal.Decimal), money.Format(o.Total.Decimal))
		err.Extra = map[string]any{"max_total": d.MaxTotal, "total": o.Total}
		return nil, err
	}
	return &Fill{Slot: slot, As: AsDelegate, Delegation: d, HolderName: d.HolderName}, nil
}

// inForce answers 403 unless delegation d is in force on day: not revoked
// and day within its dates.
func inForce(d *authorities.Delegation, day calendar.Date) error {
	slot := apperr.K("role." + d.Slot)
	switch {
	case d.RevokedAt != nil:
		return apperr.Forbidden("order.delegation_revoked", slot, calendar.DateOf(*d.RevokedAt).String())
	case day.Before(d.ValidFrom):
		return apperr.Forbidden("order.delegation_not_yet", slot, d.ValidFrom.String())
	case !d.ValidUntil.IsZero() && day.After(d.ValidUntil):
		return apperr.Forbidden("order.delegation_expired", slot, d.ValidUntil.String())
	}
	return nil
}

// noDelegation is the refusal of p, who has no delegation in force for
// slot of authorityID on day: why p's latest delegation for it is not in
// force (revoked, not yet or no longer valid), or that p has none.
func noDelegation(ctx context.Context, on stores, p *auth.Principal, authorityID int64, slot string, day calendar.Date) error {
	last, err := on.authorities.LatestDelegation(ctx, p.UserID, authorityID, slot, day)
	switch {
	case apperr.Is(err, apperr.KindNotFound):
	case err != nil:
		return err
	default:
		if err := inForce(last, day); err != nil {
			return err
		}
	}
	return apperr.Forbidden("order.no_capacity", apperr.K("role."+slot))
}

// refusal reports whether err refuses a signature (403 or 409), as opposed
// to failing.
func refusal(err error) bool {
	return apperr.Is(err, apperr.KindForbidden) || apperr.Is(err, apperr.KindConflict)
}

// keyOf is the message key of err, "" when it has none.
func keyOf(err error) string {
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return ae.Key
	}
	return ""
}

// chooseFill returns how p fills slot on o, or, with slot empty, the first
// slot (Slots order) p may fill. When p may fill none, the refusal is the
// one of a slot p has some capacity for, if any.
func chooseFill(ctx context.Context, on stores, p *auth.Principal, o *Order, slot string, preparers []int64, day calendar.Date) (*Fill, error) {
	if slot != "" {
		return mayFill(ctx, on, p, o, slot, preparers, day)
	}
	var refused error
	for _, sl := range Slots {
		f, err := mayFill(ctx, on, p, o, sl, preparers, day)
		switch {
		case err == nil:
			return f, nil
		case !refusal(err):
			return nil, err
		case refused == nil || keyOf(refused) == "order.no_capacity":
			refused = err
		}
	}
	return nil, refused
}

// permitted answers 403 unless the step's caller may take action on its
// order by role or, for a signature, as a delegate of a slot: one whose
// delegation is in force, or whose latest delegation says why it is not.
func (st *step) permitted(ctx context.Context, action string) error {
	err := allowed(st.p, action)
	if err == nil || (action != ActionSign && action != ActionChangeSign) || st.p.OrgKind != auth.OrgAuthority {
		return err
	}
	for _, slot := range Slots {
		_, derr := st.authorities.DelegationFor(ctx, st.p.UserID, st.o.AuthorityID, slot, st.today)
		if derr == nil {
			return nil
		}
		if !apperr.Is(derr, apperr.KindNotFound) {
			return derr
		}
	}
	for _, slot := range Slots {
		if why := noDelegation(ctx, st.stores, st.p, st.o.AuthorityID, slot, st.today); keyOf(why) != "order.no_capacity" {
			return why
		}
	}
	return err
}

// Sign fills one slot of a pending order for p, as the slot's holder or as
// a delegate of the holder (see mayFill for who may, and the refusals). The
// treasurer's slot needs the three checks (422 without) and records the
// budget line as it stands: its amount, what the reserving orders hold,
// and what is left before and after this order. The event names the slot,
// the capacity and, for a delegate, the delegation and the holder. When
// both slots are signed the order is sent, its confirmation deadline set
// (the tender's window in business days) and the supplier mailed; never
// before.
func (s *Service) Sign(ctx context.Context, p *auth.Principal, orderID int64, ifMatch string, in SignInput) (o *Order, err error) {
	defer apperr.Wrap(&err, "orders.Service.Sign(%d)", orderID)
	slot := cmp.Or(in.Slot, in.Role)
	req := request{action: ActionSign, ifMatch: ifMatch, input: in, check: func() error {
		if err := validate.Struct(&in); err != nil {
			return err
		}
		if in.Role != "" && in.Role != slot {
			return apperr.Invalid("order.sign_invalid", apperr.Field("role", "order.role_not_slot", in.Slot))
		}
		return nil
	}}
	return s.change(ctx, p, orderID, req, func(st *step) error {
		o := st.o
		preparers, err := st.orders.preparers(ctx, o.ID)
		if err != nil {
			return err
		}
		f, err := chooseFill(ctx, st.stores, p, o, slot, preparers, st.today)
		if err != nil {
			return err
		}
		g := &Signature{Role: f.Slot, Slot: f.Slot, UserID: p.UserID, UserName: p.Name, As: f.As}
		data := map[string]any{"slot": f.Slot, "role": f.Slot, "as": f.As}
		if d := f.Delegation; d != nil {
			g.DelegationID, g.OnBehalfOf, g.OnBehalfOfName = &d.ID, &d.HolderID, f.HolderName
			data["delegation_id"] = d.ID
			data["on_behalf_of"] = Person{ID: d.HolderID, Name: f.HolderName}
		}
		if f.Slot == SlotTreasurer {
			if err := in.treasurerChecks(); err != nil {
				return err
			}
			bal, err := st.authorities.BudgetBalance(ctx, o.BudgetLineID)
			if err != nil {
				return err
			}
			g.CheckLegal, g.CheckBudgetLine, g.CheckNoDeficit = true, true, true
			g.BudgetSeen = budgetSeen(bal, o.Total.Decimal)
			data["checks"] = map[string]bool{"legal": true, "budget_line": true, "no_deficit": true}
			data["budget"] = g.BudgetSeen
		}
		if err := st.orders.addSignature(ctx, o, g, st.now); err != nil {
			return err
		}
		o.Signatures = append(o.Signatures, *g)
		if !o.Signed() {
			if err := st.orders.signOrder(ctx, o, st.now); err != nil {
				return err
			}
			return st.record(ctx, ActionSign, orderstatus.PendingApproval, in.Note, data)
		}
		// The last signature sends the order: the supplier must still be
		// able to receive it (award and tender active, not suspended,
		// certificates valid), however long the signatures took.
		t, err := st.stillDeliverable(ctx)
		if err != nil {
			return err
		}
		holidays, err := st.orders.holidays(ctx, st.today)
		if err != nil {
			return err
		}
		confirmBy := calendar.AddBusinessDays(st.today, t.ConfirmationDays, holidays...)
		data["confirm_by"] = confirmBy
		if err := st.orders.sendOrder(ctx, o, confirmBy, st.now); err != nil {
			return err
		}
		if err := st.record(ctx, ActionSign, orderstatus.Sent, in.Note, data); err != nil {
			return err
		}
		return st.notifySupplier(ctx, mailOrderSent)
	})
}

// askSignatures mails, for each slot still to be signed on o (the order
// as the step leaves it), everyone who may fill it (mailSignatureAwaited,
// naming the slot, in their own language): the holders of its role and
// every delegate of it whose delegation is in force today and whose
// maximum covers o's total. Those who prepared o in its current round,
// who may not sign it, are not asked.
func (st *step) askSignatures(ctx context.Context, o *Order) error {
	var open []string
	for _, slot := range Slots {
		if o.SignatureFor(slot) == nil {
			open = append(open, slot)
		}
	}
	if len(open) == 0 {
		return nil
	}
	all, err := st.orders.slotRecipients(ctx, o.ID, o.AuthorityID, open, o.Total.Decimal, st.today)
	if err != nil {
		return err
	}
	for _, slot := range Slots {
		var to []recipient
		for _, r := range all {
			if r.Slot == slot {
				to = append(to, r.recipient)
			}
		}
		if len(to) > 0 {
			st.notify(mailSignatureAwaited, []fact{named("order.mail.role", "role."+slot)}, to...)
		}
	}
	return nil
}

// Signed reports whether every slot of o's current submission is signed.
func (o *Order) Signed() bool {
	for _, slot := range Slots {
		if o.SignatureFor(slot) == nil {
			return false
		}
	}
	return true
}

// treasurerChecks refuses (422, naming each) a treasurer's signature
// without the three checks: legal, within the budget line, no deficit.
func (in *SignInput) treasurerChecks() error {
	var fields []apperr.FieldError
	for _, c := range []struct {
		ok   bool
		name string
	}{{in.Legal, "legal"}, {in.BudgetLine, "budget_line"}, {in.NoDeficit, "no_deficit"}} {
		if !c.ok {
			fields = append(fields, apperr.Field(c.name, "msg.treasurer_check"))
		}
	}
	if len(fields) > 0 {
		return apperr.Invalid("order.treasurer_checks", fields...)
	}
	return nil
}

// budgetSeen is budget line b as the signer of what holds total on it (a
// reserving order, or a change's increase) sees it: what is held includes
// total, so what is left after it is what the line has left, and before it
// that plus total.
func budgetSeen(b *authorities.BudgetBalance, total decimal.Decimal) BudgetSeen {
	amount, held, after := b.Amount, b.Held, b.Left
	before := money.Of(after.Add(total))
	return BudgetSeen{Amount: &amount, Held: &held, LeftBefore: &before, LeftAfter: &after}
}

// SignOptions returns the slots p may fill on o now, each with its
// capacity, and, when p holds a slot's role or a delegation for it but may
// not fill it, why not. Both are empty unless o awaits signatures and p is
// a user of its authority.
func (s *Service) SignOptions(ctx context.Context, p *auth.Principal, o *Order) (fills []Fill, why []apperr.Msg, err error) {
	defer apperr.Wrap(&err, "orders.Service.SignOptions(%d)", o.ID)
	if o.Status != orderstatus.PendingApproval || p.OrgKind != auth.OrgAuthority || p.AuthorityID != o.AuthorityID {
		return nil, nil, nil
	}
	preparers, err := s.stores.orders.preparers(ctx, o.ID)
	if err != nil {
		return nil, nil, err
	}
	for _, slot := range Slots {
		f, err := mayFill(ctx, s.stores, p, o, slot, preparers, s.today())
		var ae *apperr.Error
		switch {
		case err == nil:
			fills = append(fills, *f)
		case !refusal(err):
			return nil, nil, err
		case errors.As(err, &ae) && ae.Key != "order.no_capacity" && ae.Key != "order.role_signed" &&
			!slices.ContainsFunc(why, func(m apperr.Msg) bool { return m.Key == ae.Key }):
			why = append(why, ae.Msg)
		}
	}
	if len(fills) > 0 {
		why = nil
	}
	return fills, why, nil
}

// Waiting is a pending order with a slot its reader may fill: the slots
// and the balance of the order's budget line.
type Waiting struct {
	Order  Order
	Fills  []Fill
	Budget *authorities.BudgetBalance
}

// Awaiting lists the pending orders of p's authority that have a slot p
// may fill now, as holder or delegate, oldest submission first; none for a
// user of no authority.
func (s *Service) Awaiting(ctx context.Context, p *auth.Principal) (out []Waiting, err error) {
	defer apperr.Wrap(&err, "orders.Service.Awaiting(%d)", p.UserID)
	out = []Waiting{}
	if p.OrgKind != auth.OrgAuthority {
		return out, nil
	}
	today := s.today()
	ids, err := s.stores.orders.awaitingSignature(ctx, p.AuthorityID)
	if err != nil {
		return nil, err
	}
	balances := map[int64]*authorities.BudgetBalance{}
	for _, id := range ids {
		o, err := s.stores.orders.Order(ctx, id, today)
		if err != nil {
			return nil, err
		}
		fills, _, err := s.SignOptions(ctx, p, o)
		if err != nil {
			return nil, err
		}
		if len(fills) == 0 {
			continue
		}
		b, ok := balances[o.BudgetLineID]
		if !ok {
			if b, err = s.stores.authorities.BudgetBalance(ctx, o.BudgetLineID); err != nil {
				return nil, err
			}
			balances[o.BudgetLineID] = b
		}
		out = append(out, Waiting{Order: *o, Fills: fills, Budget: b})
	}
	return out, nil
}
