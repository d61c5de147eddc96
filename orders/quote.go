package orders

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"madaf/catalog"
	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/suppliers"
)

// propose returns the rotation's proposed winner of tender t on day: among
// its active winners that may receive orders, the one with the least
// committed volume on the tender this year (the earliest award on a tie);
// nil when none qualifies.
func propose(ctx context.Context, q sqlx.QueryerContext, t *tenderRow, on calendar.Date) (*int64, error) {
	awards, err := tenderAwards(ctx, q, t.ID)
	if err != nil {
		return nil, err
	}
	volume, err := committedThisYear(ctx, q, t.ID, on.Year())
	if err != nil {
		return nil, err
	}
	var best *int64
	var bestVolume decimal.Decimal
	for _, a := range awards {
		if a.Status != "active" {
			continue
		}
		reasons, err := suppliers.Eligibility(ctx, q, a.SupplierID, on)
		if err != nil {
			return nil, err
		}
		if len(reasons) > 0 {
			continue
		}
		if v := volume[a.SupplierID]; best == nil || v.LessThan(bestVolume) {
			id := a.SupplierID
			best, bestVolume = &id, v
		}
	}
	return best, nil
}

// Quote prices a cart with every active winner of a tender side by side,
// at today's prices, and for a rotation tender names the proposed winner.
// Authority users see the tenders open to their authority, the cluster
// every tender.
func (s *Service) Quote(ctx context.Context, p *auth.Principal, tenderID int64, lines []LineInput) (*Quote, error) {
	today := s.today()
	// Scope first: a tender the caller may not see is not found, whoever
	// asks (an officer sees only active tenders open to its authority).
	if _, err := catalog.LoadVisibleTender(ctx, s.db, p, tenderID); err != nil {
		return nil, err
	}
	if p.OrgKind == auth.OrgSupplier {
		return nil, apperr.Forbidden("only the cluster and authorities compare offers")
	}
	t, err := getTender(ctx, s.db, tenderID, false)
	if err != nil {
		return nil, err
	}
	check := NewOrder{TenderID: t.ID, SupplierID: 1, BudgetLineID: 1, Lines: lines}
	if err := validateOrder(&check); err != nil {
		return nil, err
	}
	ids := make([]int64, len(lines))
	for i, l := range lines {
		ids[i] = l.ItemID
	}
	items, err := tenderItems(ctx, s.db, ids)
	if err != nil {
		return nil, err
	}
	var fields []apperr.FieldError
	for i, l := range lines {
		if it, ok := items[l.ItemID]; !ok || it.TenderID != t.ID {
			fields = append(fields, apperr.Field(fmt.Sprintf("lines[%d].item_id", i), "is not an item of tender %s", t.Number))
		}
	}
	if len(fields) > 0 {
		return nil, apperr.Invalid("the cart has invalid lines", fields...)
	}
	awards, err := tenderAwards(ctx, s.db, t.ID)
	if err != nil {
		return nil, err
	}
	volume, err := committedThisYear(ctx, s.db, t.ID, today.Year())
	if err != nil {
		return nil, err
	}
	rate, err := VATRate(ctx, s.db, today)
	if err != nil {
		return nil, err
	}
	out := &Quote{TenderID: t.ID, AwardRule: t.AwardRule, On: today.String(), DirectOrder: t.AwardRule != "competition", Offers: []Offer{}}
	for _, a := range awards {
		if a.Status != "active" {
			continue
		}
		reasons, err := suppliers.Eligibility(ctx, s.db, a.SupplierID, today)
		if err != nil {
			return nil, err
		}
		of := Offer{SupplierID: a.SupplierID, Supplier: a.SupplierName, Eligible: len(reasons) == 0, Reasons: reasons,
			Complete: true, Lines: []OfferLine{}}
		of.CommittedThisYear.Decimal = volume[a.SupplierID]
		var totals []decimal.Decimal
		for _, l := range lines {
			ol := OfferLine{ItemID: l.ItemID, Quantity: l.Quantity}
			price, err := catalog.PriceInForce(ctx, s.db, l.ItemID, a.SupplierID, today)
			switch {
			case apperr.Is(err, apperr.KindNotFound):
				of.Complete = false
			case err != nil:
				return nil, err
			default:
				up, lt := price, LineTotal(l.Quantity.Decimal, price)
				ol.UnitPrice, ol.LineTotal = amountPtr(up), amountPtr(lt)
				totals = append(totals, lt)
			}
			of.Lines = append(of.Lines, ol)
		}
		f := Compute(totals, rate, decimal.Zero)
		of.Subtotal.Decimal, of.VAT.Decimal, of.Total.Decimal = f.Subtotal, f.VAT, f.Total
		out.Offers = append(out.Offers, of)
	}
	if t.AwardRule == "rotation" {
		if out.ProposedSupplierID, err = propose(ctx, s.db, t, today); err != nil {
			return nil, err
		}
	}
	return out, nil
}
