package orders

import (
	"context"

	"github.com/shopspring/decimal"

	"madaf/catalog"
	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/money"
	"madaf/internal/orderstatus"
)

// Submit sends a draft for signature and reserves its capacity, in one
// transaction: the tender is active and open to the authority, the award
// active, the supplier eligible, every line priced by the price in force
// on the submission date, the quantities sane, the budget line the
// authority's for this fiscal year, and the tender ceiling, the authority's
// allocation and the budget line have room. The submission awaits both
// signatures (Slots), whose holders are mailed. A refusal is a 409 naming
// every failed check (failed_checks) and, for a capacity, what is left;
// nothing changes then. See the package documentation for why the reservation
// holds under any concurrency.
func (s *Service) Submit(ctx context.Context, p *auth.Principal, orderID int64, ifMatch string) (o *Order, err error) {
	defer apperr.Wrap(&err, "orders.Service.Submit(%d)", orderID)
	return s.change(ctx, p, orderID, ifMatch, ActionSubmit, func(st *step) error {
		o, today := st.o, st.today
		// The capacity rows, locked in the one fixed order (the order's
		// row is locked already).
		t, err := st.catalog.LockTender(ctx, o.TenderID)
		if err != nil {
			return err
		}
		var allocation *decimal.Decimal
		ta, err := st.catalog.LockParticipation(ctx, o.TenderID, o.AuthorityID)
		switch {
		case apperr.Is(err, apperr.KindNotFound):
		case err != nil:
			return err
		case ta.Allocation != nil:
			allocation = &ta.Allocation.Decimal
		}
		bl, err := st.authorities.LockBudgetLine(ctx, o.BudgetLineID)
		if err != nil {
			return err
		}

		var failed []FailedCheck
		fail := func(check, key string, args ...any) {
			failed = append(failed, FailedCheck{Check: check, Msg: apperr.M(key, args...)})
		}
		if t.AwardRule == catalog.RuleCompetition {
			fail(CheckAwardRule, "order.check.competition", t.Number)
		}
		if !t.OpenOn(today) {
			fail(CheckTenderActive, "order.check.tender_closed", t.Number, today.String(), apperr.K("tender_status."+t.Status),
				t.ValidFrom.String(), t.EndsOn().String())
		}
		if ta == nil {
			fail(CheckTenderOpen, "order.check.tender_not_open", t.Number)
		}
		award, err := awardOf(ctx, st.stores, t.ID, o.SupplierID)
		if err != nil && !apperr.Is(err, apperr.KindNotFound) {
			return err
		}
		if err != nil || award.Status != catalog.AwardActive {
			fail(CheckAwardActive, "order.check.award_inactive", t.Number)
		}
		reasons, err := st.suppliers.Eligibility(ctx, o.SupplierID, today)
		if err != nil {
			return err
		}
		if len(reasons) > 0 {
			failed = append(failed, FailedCheck{Check: CheckSupplierEligible, Msg: reasons[0].Msg(), Reasons: reasons})
		}
		var proposal *int64
		if t.AwardRule == catalog.RuleRotation {
			if proposal, err = propose(ctx, st.stores, t, today); err != nil {
				return err
			}
			if proposal != nil && *proposal != o.SupplierID && o.Justification == "" {
				fail(CheckRotation, "order.check.rotation", *proposal)
			}
		}
		if bl.AuthorityID != o.AuthorityID {
			fail(CheckBudgetLine, "order.check.budget_line_foreign", bl.Code)
		} else if bl.FiscalYear != today.Year() {
			fail(CheckBudgetLine, "order.check.budget_line_year", bl.Code, bl.FiscalYear, today.Year())
		}

		if len(o.Lines) == 0 {
			fail(CheckQuantity, "order.check.no_lines")
		}
		priced := true
		lines := make([]Line, len(o.Lines))
		totals := make([]decimal.Decimal, len(o.Lines))
		for i, l := range o.Lines {
			if m := l.Quantity.lineCheck(l.LineNo); !m.IsZero() {
				failed = append(failed, FailedCheck{Check: CheckQuantity, ItemID: l.ItemID, Msg: m})
			}
			price, err := st.orders.priceInForce(ctx, l.ItemID, o.SupplierID, today)
			if apperr.Is(err, apperr.KindNotFound) {
				priced = false
				failed = append(failed, FailedCheck{Check: CheckPrice, ItemID: l.ItemID,
					Msg: apperr.M("order.check.no_price", l.LineNo, l.SKU, today.String())})
				continue
			}
			if err != nil {
				return err
			}
			lines[i] = l
			lines[i].UnitPrice, lines[i].LineTotal = money.Of(price), money.Of(LineTotal(l.Quantity.Decimal, price))
			totals[i] = lines[i].LineTotal.Decimal
		}

		var fig Figures
		if priced {
			rate, err := st.orders.VATRate(ctx, today)
			if err != nil {
				return err
			}
			fig = Compute(totals, rate, t.FeePercent)
			onTender, onAllocation, onBudget, err := st.orders.reserved(ctx, t.ID, o.AuthorityID, bl.ID)
			if err != nil {
				return err
			}
			var ceiling *decimal.Decimal
			if t.Ceiling != nil {
				ceiling = &t.Ceiling.Decimal
			}
			// capacity adds the check's refusal when need is more than what
			// limit leaves beside used; msg words it with what is left and
			// what is needed.
			capacity := func(check string, limit *decimal.Decimal, used, need decimal.Decimal, msg func(left, need string) apperr.Msg) {
				if limit == nil {
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
			capacity(CheckCeiling, ceiling, onTender, fig.Subtotal, func(left, need string) apperr.Msg {
				return apperr.M("order.check.ceiling", left, need)
			})
			capacity(CheckAllocation, allocation, onAllocation, fig.Subtotal, func(left, need string) apperr.Msg {
				return apperr.M("order.check.allocation", left, need)
			})
			if bl.AuthorityID == o.AuthorityID {
				capacity(CheckBudget, &bl.Amount.Decimal, onBudget, fig.Total, func(left, need string) apperr.Msg {
					return apperr.M("order.check.budget", bl.Code, left, need)
				})
			}
		}
		if len(failed) > 0 {
			return refused(failed)
		}

		for _, l := range lines {
			if err := st.orders.repriceLine(ctx, l.ID, l); err != nil {
				return err
			}
		}
		required := Slots
		if err := st.orders.submitOrder(ctx, o, fig, required, proposal, today, st.now); err != nil {
			return err
		}
		data := map[string]any{"subtotal": money.Of(fig.Subtotal), "vat_rate": money.Of(fig.VATRate), "vat": money.Of(fig.VAT),
			"total": money.Of(fig.Total), "fee": money.Of(fig.Fee), "signatures_required": required}
		if proposal != nil {
			data["proposed_supplier_id"] = *proposal
			if *proposal != o.SupplierID {
				data["justification"] = o.Justification
			}
		}
		if err := st.record(ctx, ActionSubmit, orderstatus.PendingApproval, "", data); err != nil {
			return err
		}
		for _, role := range required {
			users, err := st.orders.authorityUsers(ctx, o.AuthorityID, role)
			if err != nil {
				return err
			}
			st.notify(mailSignatureAwaited, []fact{named("order.mail.role", "role."+role)}, users...)
		}
		return nil
	})
}

// release notes, for the event, what a transition out of the reserving set
// gives back.
func release(o *Order) map[string]any {
	if !orderstatus.Reserves(o.Status) {
		return nil
	}
	return map[string]any{"released_subtotal": o.Subtotal, "released_total": o.Total}
}
