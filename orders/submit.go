package orders

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"madaf/catalog"
	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/database"
	"madaf/internal/money"
	"madaf/suppliers"
)

// Submit sends a draft for signature and reserves its capacity, in one
// transaction: the tender is active and open to the authority, the award
// active, the supplier eligible, every line priced by catalog.PriceInForce
// on the submission date, the quantities sane, the budget line the
// authority's for this fiscal year, and the tender ceiling, the authority's
// allocation and the budget line have room. A refusal is a 409 naming every
// failed check (failed_checks) and, for a capacity, what is left; nothing
// changes then. See the package documentation for why the reservation
// holds under any concurrency.
func (s *Service) Submit(ctx context.Context, p *auth.Principal, orderID int64, ifMatch string) (*Order, error) {
	return s.change(ctx, p, orderID, ifMatch, ActionSubmit, func(st *step) error {
		o, tx, today := st.o, st.tx, st.today
		// The capacity rows, locked in the one fixed order.
		t, err := getTender(ctx, tx, o.TenderID, true)
		if err != nil {
			return err
		}
		open, allocation, err := participation(ctx, tx, o.TenderID, o.AuthorityID, true)
		if err != nil {
			return err
		}
		bl, err := getBudgetLine(ctx, tx, o.BudgetLineID, true)
		if err != nil {
			return err
		}

		var failed []FailedCheck
		fail := func(check, format string, args ...any) {
			failed = append(failed, FailedCheck{Check: check, Message: fmt.Sprintf(format, args...)})
		}
		if t.AwardRule == "competition" {
			fail(CheckAwardRule, "tender %s is awarded by mini-competition: a mini-competition is required", t.Number)
		}
		if !t.openOn(today) {
			fail(CheckTenderActive, "tender %s does not take orders on %s (it is %s, valid %s to %s)", t.Number, today, t.Status, t.ValidFrom, t.until())
		}
		if !open {
			fail(CheckTenderOpen, "tender %s is not open to this authority", t.Number)
		}
		var awardStatus string
		err = sqlx.GetContext(ctx, tx, &awardStatus, `SELECT status FROM awards WHERE tender_id = $1 AND supplier_id = $2`, t.ID, o.SupplierID)
		if err = database.MapError(err); err != nil && !apperr.Is(err, apperr.KindNotFound) {
			return err
		}
		if awardStatus != "active" {
			fail(CheckAwardActive, "the supplier's award on tender %s is not active", t.Number)
		}
		reasons, err := suppliers.Eligibility(ctx, tx, o.SupplierID, today)
		if err != nil {
			return err
		}
		if len(reasons) > 0 {
			fail(CheckSupplierEligible, "the supplier may not receive orders: %s", strings.Join(reasonTexts(reasons), "; "))
		}
		var proposal *int64
		if t.AwardRule == "rotation" {
			if proposal, err = propose(ctx, tx, t, today); err != nil {
				return err
			}
			if proposal != nil && *proposal != o.SupplierID && o.Justification == "" {
				fail(CheckRotation, "the rotation now proposes supplier %d; ordering from another needs a written justification", *proposal)
			}
		}
		if bl.AuthorityID != o.AuthorityID {
			fail(CheckBudgetLine, "budget line %s is not this authority's", bl.Code)
		} else if bl.FiscalYear != today.Year() {
			fail(CheckBudgetLine, "budget line %s is of fiscal year %d, not %d", bl.Code, bl.FiscalYear, today.Year())
		}

		if len(o.Lines) == 0 {
			fail(CheckQuantity, "the order has no lines")
		}
		priced := true
		totals := make([]decimal.Decimal, len(o.Lines))
		prices := make([]decimal.Decimal, len(o.Lines))
		for i, l := range o.Lines {
			if msg := l.Quantity.check(); msg != "" {
				failed = append(failed, FailedCheck{Check: CheckQuantity, ItemID: l.ItemID, Message: fmt.Sprintf("line %d: quantity %s", l.LineNo, msg)})
			}
			price, err := catalog.PriceInForce(ctx, tx, l.ItemID, o.SupplierID, today)
			if apperr.Is(err, apperr.KindNotFound) {
				priced = false
				failed = append(failed, FailedCheck{Check: CheckPrice, ItemID: l.ItemID,
					Message: fmt.Sprintf("line %d (%s): the supplier has no price in force on %s", l.LineNo, l.SKU, today)})
				continue
			}
			if err != nil {
				return err
			}
			prices[i], totals[i] = price, LineTotal(l.Quantity.Decimal, price)
		}

		var fig Figures
		if priced {
			rate, err := VATRate(ctx, tx, today)
			if err != nil {
				return err
			}
			fig = Compute(totals, rate, t.FeePercent)
			onTender, onAllocation, onBudget, err := reserved(ctx, tx, t.ID, o.AuthorityID, bl.ID)
			if err != nil {
				return err
			}
			capacity := func(check, what string, limit *decimal.Decimal, used, need decimal.Decimal) {
				if limit == nil {
					return
				}
				left := limit.Sub(used)
				if need.LessThanOrEqual(left) {
					return
				}
				left = decimal.Max(left, decimal.Zero)
				failed = append(failed, FailedCheck{Check: check,
					Message:   fmt.Sprintf("%s has %s left; the order needs %s", what, FormatShekels(left), FormatShekels(need)),
					Remaining: amountPtr(left), Required: amountPtr(need)})
			}
			capacity(CheckCeiling, "the tender ceiling (excl. VAT)", t.Ceiling, onTender, fig.Subtotal)
			capacity(CheckAllocation, "the authority's allocation on the tender (excl. VAT)", allocation, onAllocation, fig.Subtotal)
			if bl.AuthorityID == o.AuthorityID {
				capacity(CheckBudget, "budget line "+bl.Code+" (incl. VAT)", &bl.Amount, onBudget, fig.Total)
			}
		}
		if len(failed) > 0 {
			return refused(failed)
		}

		const qLine = `UPDATE order_lines SET unit_price = $2, line_total = $3 WHERE id = $1`
		for i, l := range o.Lines {
			if _, err := tx.ExecContext(ctx, qLine, l.ID, prices[i], totals[i]); err != nil {
				return err
			}
		}
		var threshold decimal.Decimal
		if err := sqlx.GetContext(ctx, tx, &threshold, `SELECT signature_threshold FROM authorities WHERE id = $1`, o.AuthorityID); err != nil {
			return err
		}
		required := []string{auth.RoleTreasurer}
		if fig.Total.GreaterThanOrEqual(threshold) {
			required = append(required, auth.RoleHead)
		}
		data := map[string]any{"subtotal": money.Of(fig.Subtotal), "vat_rate": money.Of(fig.VATRate), "vat": money.Of(fig.VAT),
			"total": money.Of(fig.Total), "fee": money.Of(fig.Fee), "signatures_required": required}
		if proposal != nil {
			data["proposed_supplier_id"] = *proposal
			if *proposal != o.SupplierID {
				data["justification"] = o.Justification
			}
		}
		if err := st.move(ctx, ActionSubmit, StatusPendingApproval, "", data, map[string]any{
			"subtotal": fig.Subtotal, "vat_rate": fig.VATRate, "vat": fig.VAT, "total": fig.Total,
			"fee_percent": fig.FeePercent, "fee": fig.Fee, "submission": o.Submission + 1,
			"submitted_on": today, "submitted_at": st.now, "signatures_required": pq.Array(required),
			"proposed_supplier_id": proposal, "return_note": "",
		}); err != nil {
			return err
		}
		for _, role := range required {
			users, err := authorityUsers(ctx, tx, o.AuthorityID, role)
			if err != nil {
				return err
			}
			st.notify(mailSignatureAwaited, map[string]string{"role": role}, users...)
		}
		return nil
	})
}

// release notes, for the event, what a transition out of the reserving set
// gives back.
func release(o *Order) map[string]any {
	if !Reserving[o.Status] {
		return nil
	}
	return map[string]any{"released_subtotal": o.Subtotal, "released_total": o.Total}
}

func reasonTexts(rs []suppliers.Reason) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Msg().String()
	}
	return out
}
