package orders

import (
	"context"

	"github.com/shopspring/decimal"

	"madaf/catalog"
	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/money"
	"madaf/internal/orderstatus"
	"madaf/volumes"
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
// holds under any concurrency. The submission reads what the reserving
// orders hold from one row per capacity (capacity_holds), whatever the
// number of orders.
func (s *Service) Submit(ctx context.Context, p *auth.Principal, orderID int64, ifMatch string) (o *Order, err error) {
	defer apperr.Wrap(&err, "orders.Service.Submit(%d)", orderID)
	return s.change(ctx, p, orderID, request{action: ActionSubmit, ifMatch: ifMatch}, func(st *step) error {
		o, today := st.o, st.today
		if o.BudgetLineID == 0 {
			return refused(Unfinished(o, today))
		}
		// The supplier's eligibility locks nothing, so it is read before
		// the capacity rows: every submission on the tender waits for the
		// tender's row from its lock to the commit.
		reasons, err := st.suppliers.Eligibility(ctx, o.SupplierID, today)
		if err != nil {
			return err
		}
		// The capacity rows, locked in the one fixed order (the order's
		// row is locked already), with what the reserving orders hold on
		// them, the award, the VAT rate and the lines' prices in force.
		c, err := st.orders.lockCapacity(ctx, o, today)
		if err != nil {
			return err
		}
		t, bl := &c.tender, &c.line
		o.Lines = c.lines

		failed := Unfinished(o, today)
		fail := func(check, key string, args ...any) {
			failed = append(failed, FailedCheck{Check: check, Msg: apperr.M(key, args...)})
		}
		// An order a competition's decision made keeps its quoted prices
		// and needs no other competition.
		quoted := o.CompetitionID != nil
		if t.AwardRule == catalog.RuleCompetition && !quoted {
			fail(CheckAwardRule, "order.check.competition", t.Number)
		}
		if !t.OpenOn(today) {
			fail(CheckTenderActive, "order.check.tender_closed", t.Number, today.String(), apperr.K("tender_status."+t.Status),
				t.ValidFrom.String(), t.EndsOn().String())
		}
		if !c.participates {
			fail(CheckTenderOpen, "order.check.tender_not_open", t.Number)
		}
		if c.awardStatus != catalog.AwardActive {
			fail(CheckAwardActive, "order.check.award_inactive", t.Number)
		}
		if len(reasons) > 0 {
			failed = append(failed, FailedCheck{Check: CheckSupplierEligible, Msg: reasons[0].Msg(), Reasons: reasons})
		}
		var proposal *int64
		if t.AwardRule == catalog.RuleRotation && !quoted {
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
			price := c.pricesInForce[i]
			if quoted {
				price = decimal.NullDecimal{Decimal: l.UnitPrice.Decimal, Valid: true}
			}
			if !price.Valid {
				priced = false
				failed = append(failed, FailedCheck{Check: CheckPrice, ItemID: l.ItemID,
					Msg: apperr.M("order.check.no_price", l.LineNo, l.SKU, today.String())})
				continue
			}
			lines[i] = l
			lines[i].UnitPrice, lines[i].LineTotal = money.Of(price.Decimal), money.Of(LineTotal(l.Quantity.Decimal, price.Decimal))
			totals[i] = lines[i].LineTotal.Decimal
		}

		var fig Figures
		if priced {
			if !c.vatRate.Valid {
				return noVATRate(today)
			}
			fig = Compute(totals, c.vatRate.Decimal, t.FeePercent)
			if !quoted && t.AwardRule != catalog.RuleCompetition && t.NeedsCompetition(c.activeAwards, fig.Subtotal) {
				fail(CheckAwardRule, "order.check.competition_from", t.Number, money.Format(t.CompetitionFrom.Decimal))
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
			capacity(CheckCeiling, ceiling, c.heldTender, fig.Subtotal, func(left, need string) apperr.Msg {
				return apperr.M("order.check.ceiling", left, need)
			})
			capacity(CheckAllocation, c.allocation, c.heldAlloc, fig.Subtotal, func(left, need string) apperr.Msg {
				return apperr.M("order.check.allocation", left, need)
			})
			if bl.AuthorityID == o.AuthorityID {
				capacity(CheckBudget, &bl.Amount.Decimal, c.heldBudget, fig.Total, func(left, need string) apperr.Msg {
					return apperr.M("order.check.budget", bl.Code, left, need)
				})
			}
		}
		if len(failed) > 0 {
			return refused(failed)
		}

		required := Slots
		data := map[string]any{"subtotal": money.Of(fig.Subtotal), "vat_rate": money.Of(fig.VATRate), "vat": money.Of(fig.VAT),
			"total": money.Of(fig.Total), "fee": money.Of(fig.Fee), "signatures_required": required}
		if proposal != nil {
			data["proposed_supplier_id"] = *proposal
			if *proposal != o.SupplierID {
				data["justification"] = o.Justification
			}
		}
		// One statement reprices the lines, fixes the order's money and
		// appends the event; the capacity_holds rows follow by trigger.
		out, err := st.orders.submitOrder(ctx, o, lines, fig, required, proposal, st.p, data, st.input, today, st.now)
		if err != nil {
			return err
		}
		out.Lines, out.Signatures = lines, []Signature{}
		out.derive()
		if err := volumes.Transition(ctx, st.tx, volumeFigures(out, t.Category), o.Status, orderstatus.PendingApproval, st.now); err != nil {
			return err
		}
		st.result = out
		return st.askSignatures(ctx, out)
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
