package orders

import (
	"context"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"madaf/catalog"
	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/money"
	"madaf/internal/orderstatus"
	"madaf/volumes"
)

// CompetitionOrder is the order a mini-competition's decision makes: the
// chosen winner's quote, line by line, at its quoted prices (never a
// client's), for the authority that requested the quotes. OfficerID is the
// officer who requested them, who becomes the order's creator (and so
// never one of its signers).
type CompetitionOrder struct {
	CompetitionID   int64
	AuthorityID     int64
	OfficerID       int64
	TenderID        int64
	SupplierID      int64
	BudgetLineID    int64
	DeliveryAddress string
	RequestedDate   calendar.Date
	Notes           string
	Lines           []QuotedLine
}

// QuotedLine is one line of a quote: the item, its quantity and the unit
// price quoted.
type QuotedLine struct {
	ItemID    int64
	Quantity  decimal.Decimal
	UnitPrice decimal.Decimal
}

// CreateFromCompetition adds, inside the caller's transaction tx, the
// draft order of a competition's decision: its lines at the quoted prices,
// its money at today's VAT rate and the tender's fee, and the competition
// recorded on it (Order.CompetitionID). The draft then takes the usual path
// (Submit reserves at these prices, two signatures send it); no edit
// changes its lines. The tender must still be open to the authority and the
// supplier an active winner of it (else a conflict), and every line an
// item of the tender with a positive quantity and price.
func (s *Service) CreateFromCompetition(ctx context.Context, tx *sqlx.Tx, in CompetitionOrder) (o *Order, err error) {
	defer apperr.Wrap(&err, "orders.Service.CreateFromCompetition(%d)", in.CompetitionID)
	now := s.now()
	today := calendar.DateOf(now)
	on := s.stores.inTx(tx)
	body := NewOrder{TenderID: in.TenderID, SupplierID: in.SupplierID, BudgetLineID: in.BudgetLineID,
		DeliveryAddress: in.DeliveryAddress, RequestedDate: in.RequestedDate, Notes: in.Notes}
	for _, l := range in.Lines {
		body.Lines = append(body.Lines, LineInput{ItemID: l.ItemID, Quantity: Quantity{l.Quantity}})
	}
	c, err := on.orders.draftContext(ctx, in.AuthorityID, &body, today)
	if err != nil {
		return nil, err
	}
	t := &c.tender
	switch {
	case !c.participates:
		return nil, apperr.Conflict("order.tender_not_open_to", t.Number)
	case c.awardStatus != catalog.AwardActive:
		return nil, apperr.Conflict("order.competition_winner_inactive", t.Number)
	case !c.vatRate.Valid:
		return nil, noVATRate(today)
	}
	d := &draft{tender: t, competition: &in.CompetitionID}
	var totals []decimal.Decimal
	for i, l := range in.Lines {
		it := c.items[i]
		if it.ID == 0 || !l.Quantity.IsPositive() || !l.UnitPrice.IsPositive() {
			return nil, fmt.Errorf("line %d (item %d) of competition %d is no priced line of tender %s", i+1, l.ItemID, in.CompetitionID, t.Number)
		}
		total := LineTotal(l.Quantity, l.UnitPrice)
		d.lines = append(d.lines, Line{LineNo: i + 1, ItemID: it.ID, SKU: it.SKU, Name: it.Name, Unit: it.Unit,
			Quantity: Quantity{l.Quantity}, UnitPrice: money.Of(l.UnitPrice), LineTotal: money.Of(total)})
		totals = append(totals, total)
	}
	if len(d.lines) == 0 {
		return nil, fmt.Errorf("competition %d orders no line", in.CompetitionID)
	}
	d.figures = Compute(totals, c.vatRate.Decimal, t.FeePercent)
	officer := &auth.Principal{OrgKind: auth.OrgAuthority, AuthorityID: in.AuthorityID, UserID: in.OfficerID}
	if o, err = on.orders.createOrder(ctx, officer, &body, d, today, now); err != nil {
		return nil, err
	}
	if err := volumes.Transition(ctx, tx, volumeFigures(o, t.Category), "", orderstatus.Draft, now); err != nil {
		return nil, err
	}
	return o, nil
}

// CancelUnconfirmed cancels order orderID inside the caller's transaction
// tx as Cancel does (the same rules, the reservation released, the
// supplier told), for reason supplier_unavailable with note: the order of
// a competition's decision that its winner did not confirm in time, before
// the competition passes it to the next winner in the same transaction.
// Nothing is cancelled when tx rolls back.
func (s *Service) CancelUnconfirmed(ctx context.Context, tx *sqlx.Tx, p *auth.Principal, orderID int64, note string) (o *Order, err error) {
	defer apperr.Wrap(&err, "orders.Service.CancelUnconfirmed(%d)", orderID)
	req, fn := cancellation(ctx, "", CancelInput{Reason: "supplier_unavailable", Note: note})
	return s.changeIn(ctx, tx, p, orderID, req, fn)
}

// ErrCompetitionRequired is what the refusal of a direct order wraps when
// its tender needs a mini-competition first: always under a tender awarded
// by competition, and under a multi-winner tender from its
// competition_from amount. errors.Is finds it; the refusal itself stays a
// 409 with its message (errors.As finds the *apperr.Error).
var ErrCompetitionRequired = errors.New("orders: a mini-competition is required")

// competitionRefusal is a refusal that wraps ErrCompetitionRequired.
type competitionRefusal struct{ refusal *apperr.Error }

func (e *competitionRefusal) Error() string   { return e.refusal.Error() }
func (e *competitionRefusal) Unwrap() []error { return []error{e.refusal, ErrCompetitionRequired} }

// competitionRequired is the 409 of a direct order under a tender awarded
// by mini-competition.
func competitionRequired(t *catalog.Tender) error {
	err := apperr.Conflict("order.competition_required", t.Number)
	err.Extra = map[string]any{"award_rule": catalog.RuleCompetition}
	return &competitionRefusal{err}
}

// competitionFromReached is the 409 of a direct order under a
// multi-winner tender whose amount before VAT reaches the tender's
// competition_from.
func competitionFromReached(t *catalog.Tender) error {
	err := apperr.Conflict("order.competition_from_reached", t.Number, money.Format(t.CompetitionFrom.Decimal))
	err.Extra = map[string]any{"award_rule": t.AwardRule, "competition_from": t.CompetitionFrom}
	return &competitionRefusal{err}
}
