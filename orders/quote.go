package orders

import (
	"context"
	"fmt"
	"slices"

	"github.com/shopspring/decimal"

	"madaf/catalog"
	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
)

// propose returns the rotation's proposed winner of tender t on day: among
// its active winners that may receive orders, the one with the least
// committed volume on the tender this year (the earliest award on a tie);
// nil when none qualifies.
func propose(ctx context.Context, on stores, t *catalog.Tender, day calendar.Date) (*int64, error) {
	awards, err := awardsOf(ctx, on, t.ID)
	if err != nil {
		return nil, err
	}
	volume, err := on.orders.committedThisYear(ctx, t.ID, day.Year())
	if err != nil {
		return nil, err
	}
	var best *int64
	var bestVolume decimal.Decimal
	for _, a := range awards {
		if a.Status != catalog.AwardActive {
			continue
		}
		reasons, err := on.suppliers.Eligibility(ctx, a.SupplierID, day)
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
func (s *Service) Quote(ctx context.Context, p *auth.Principal, tenderID int64, lines []LineInput) (out *Quote, err error) {
	defer apperr.Wrap(&err, "orders.Service.Quote(%d)", tenderID)
	today := s.today()
	// Scope first: a tender the caller may not see is not found, whoever
	// asks (an officer sees only active tenders open to its authority).
	t, err := s.stores.catalog.VisibleTender(ctx, p, tenderID)
	if err != nil {
		return nil, err
	}
	if p.OrgKind == auth.OrgSupplier {
		return nil, apperr.Forbidden("order.quote_forbidden")
	}
	check := NewOrder{TenderID: t.ID, SupplierID: 1, BudgetLineID: 1, Lines: lines}
	if err := validateOrder(&check); err != nil {
		return nil, err
	}
	items, err := itemsOf(ctx, s.stores, t.ID)
	if err != nil {
		return nil, err
	}
	var fields []apperr.FieldError
	for i, l := range lines {
		if _, ok := items[l.ItemID]; !ok {
			fields = append(fields, apperr.Field(fmt.Sprintf("lines[%d].item_id", i), "order.not_tender_item", t.Number))
		}
	}
	if len(fields) > 0 {
		return nil, apperr.Invalid("order.cart_invalid", fields...)
	}
	awards, err := awardsOf(ctx, s.stores, t.ID)
	if err != nil {
		return nil, err
	}
	volume, err := s.stores.orders.committedThisYear(ctx, t.ID, today.Year())
	if err != nil {
		return nil, err
	}
	rate, err := s.stores.orders.VATRate(ctx, today)
	if err != nil {
		return nil, err
	}
	out = &Quote{TenderID: t.ID, AwardRule: t.AwardRule, On: today.String(), DirectOrder: t.AwardRule != catalog.RuleCompetition, Offers: []Offer{}}
	for _, a := range awards {
		if a.Status != catalog.AwardActive {
			continue
		}
		reasons, err := s.stores.suppliers.Eligibility(ctx, a.SupplierID, today)
		if err != nil {
			return nil, err
		}
		of := Offer{SupplierID: a.SupplierID, Supplier: a.SupplierName, Eligible: len(reasons) == 0, Reasons: reasons,
			Complete: true, Lines: []OfferLine{}}
		of.CommittedThisYear.Decimal = volume[a.SupplierID]
		var totals []decimal.Decimal
		for _, l := range lines {
			ol := OfferLine{ItemID: l.ItemID, Quantity: l.Quantity}
			price, err := s.stores.orders.priceInForce(ctx, l.ItemID, a.SupplierID, today)
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
	// Above the tender's competition_from, a winner may be ordered from
	// directly only for less than it: the cart asks for quotes when no
	// eligible, complete offer stays below.
	if out.DirectOrder && t.CompetitionFrom != nil && len(out.Offers) > 1 {
		out.DirectOrder = slices.ContainsFunc(out.Offers, func(of Offer) bool {
			return of.Eligible && of.Complete && !t.NeedsCompetition(len(out.Offers), of.Subtotal.Decimal)
		})
	}
	if t.AwardRule == catalog.RuleRotation {
		if out.ProposedSupplierID, err = propose(ctx, s.stores, t, today); err != nil {
			return nil, err
		}
	}
	return out, nil
}
