package competitions

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/money"
)

// QuoteList is the answer of GET /competitions/{id}/quotes: the quotes the
// caller may read, and whether they are sealed (before the deadline no one
// but a quote's winner reads it) until when.
type QuoteList struct {
	Items   []Quote    `json:"items"`
	Sealed  bool       `json:"sealed"`
	OpensAt *time.Time `json:"opens_at"`
}

// Quotes returns the quotes of competition id's round that p may read: a
// winner its own; anyone else in scope none before the deadline (the store
// refuses them in SQL) and every one after it.
func (s *Service) Quotes(ctx context.Context, p *auth.Principal, id int64) (out *QuoteList, err error) {
	defer apperr.Wrap(&err, "competitions.Service.Quotes(%d)", id)
	c, err := s.store.Competition(ctx, p, id)
	if err != nil {
		return nil, err
	}
	qs, err := s.store.Quotes(ctx, id, viewer(p))
	if err != nil {
		return nil, err
	}
	return &QuoteList{Items: qs, Sealed: c.Sealed, OpensAt: c.Deadline}, nil
}

// QuoteForm returns what the calling winner quotes on in competition id:
// every line with its cap (its framework price in force today), its
// invitation to the round, its quote as it stands and its revisions.
func (s *Service) QuoteForm(ctx context.Context, p *auth.Principal, id int64) (f *QuoteForm, err error) {
	defer apperr.Wrap(&err, "competitions.Service.QuoteForm(%d)", id)
	c, err := s.store.Competition(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if p.OrgKind != auth.OrgSupplier {
		return nil, allowed(p, actQuote)
	}
	inv, err := s.store.invitation(ctx, c, p.SupplierID)
	if err != nil {
		return nil, err
	}
	now, err := s.store.Now(ctx)
	if err != nil {
		return nil, err
	}
	f = &QuoteForm{CompetitionID: c.ID, Deadline: c.Deadline, Open: c.Status == StatusPublished && c.Sealed, Invitation: *inv}
	if f.Lines, err = s.store.capLines(ctx, c.ID, p.SupplierID, calendar.DateOf(now)); err != nil {
		return nil, err
	}
	qs, err := s.store.Quotes(ctx, c.ID, p.SupplierID)
	if err != nil {
		return nil, err
	}
	if len(qs) > 0 {
		f.Quote = &qs[0]
	}
	if f.Revisions, err = s.store.revisions(ctx, inv.ID, p.SupplierID); err != nil {
		return nil, err
	}
	return f, nil
}

// SubmitQuote adds a revision of the calling winner's quote, which then
// counts: a unit price for every line, each positive, in agorot and at
// most the winner's framework price in force today (422 naming each line
// that is not, with its cap). A revision at or after the deadline, by the
// database's clock, is a conflict, as is a quote of a winner that
// declined.
func (s *Service) SubmitQuote(ctx context.Context, p *auth.Principal, id int64, in QuoteInput) (f *QuoteForm, err error) {
	defer apperr.Wrap(&err, "competitions.Service.SubmitQuote(%d)", id)
	err = s.run(ctx, p, id, "", actQuote, func(st *step) error {
		inv, err := st.invited(ctx)
		if err != nil {
			return err
		}
		if !st.c.Sealed {
			return deadlinePassed(st.c)
		}
		caps, err := st.store.capLines(ctx, st.c.ID, inv.SupplierID, st.today)
		if err != nil {
			return err
		}
		lines, total, err := priceLines(caps, in)
		if err != nil {
			return err
		}
		_, err = st.store.submitRevision(ctx, st.c, inv, st.p.UserID, lines, total)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.QuoteForm(ctx, p, id)
}

// priceLines matches the prices of in to the request's lines (with their
// caps) and returns the revision's lines and total, or every line that is
// missing, unknown, repeated, not a positive amount in agorot, or above
// its cap.
func priceLines(caps []CapLine, in QuoteInput) ([]pricedLine, decimal.Decimal, error) {
	var fs []apperr.FieldError
	byItem := map[int64]int{}
	for i, l := range in.Lines {
		if _, dup := byItem[l.ItemID]; dup {
			fs = append(fs, apperr.Field(fmt.Sprintf("lines[%d].item_id", i), "competition.msg.item_repeated", byItem[l.ItemID]+1))
			continue
		}
		byItem[l.ItemID] = i
	}
	known := map[int64]bool{}
	out := make([]pricedLine, 0, len(caps))
	total := decimal.Zero
	for _, c := range caps {
		known[c.ItemID] = true
		i, ok := byItem[c.ItemID]
		if !ok {
			fs = append(fs, apperr.Field("lines", "competition.msg.line_unpriced", c.LineNo, c.SKU))
			continue
		}
		field := fmt.Sprintf("lines[%d].unit_price", i)
		price := in.Lines[i].UnitPrice
		switch {
		case !price.IsPositive():
			fs = append(fs, apperr.Field(field, "msg.positive"))
		case !price.HasAgorot():
			fs = append(fs, apperr.Field(field, "msg.agorot"))
		case c.Cap == nil:
			fs = append(fs, apperr.Field(field, "competition.msg.no_framework_price", c.LineNo, c.SKU))
		case price.GreaterThan(c.Cap.Decimal):
			fs = append(fs, apperr.Field(field, "competition.msg.above_cap", c.LineNo, c.SKU, money.Format(c.Cap.Decimal)))
		default:
			lt := c.Quantity.Mul(price.Decimal).Round(2)
			out = append(out, pricedLine{lineNo: c.LineNo, itemID: c.ItemID, quantity: c.Quantity, price: price.Decimal, total: lt})
			total = total.Add(lt)
		}
	}
	for i, l := range in.Lines {
		if !known[l.ItemID] {
			fs = append(fs, apperr.Field(fmt.Sprintf("lines[%d].item_id", i), "competition.msg.not_requested_item"))
		}
	}
	if len(fs) > 0 {
		return nil, decimal.Zero, apperr.Invalid("competition.quote_invalid", fs...)
	}
	return out, total, nil
}

// WithdrawQuote takes back the calling winner's quote before the deadline;
// without a quote to take back it is a conflict.
func (s *Service) WithdrawQuote(ctx context.Context, p *auth.Principal, id int64) (f *QuoteForm, err error) {
	defer apperr.Wrap(&err, "competitions.Service.WithdrawQuote(%d)", id)
	err = s.run(ctx, p, id, "", actWithdraw, func(st *step) error {
		inv, err := st.invited(ctx)
		if err != nil {
			return err
		}
		if !st.c.Sealed {
			return deadlinePassed(st.c)
		}
		took, err := st.store.withdrawQuote(ctx, inv.ID)
		if err != nil {
			return err
		}
		if !took {
			return apperr.Conflict("competition.no_quote")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.QuoteForm(ctx, p, id)
}

// Decline records that the calling winner will not quote, with a reason,
// before the deadline; a quote it made is withdrawn and the officer is
// told. A winner declines once.
func (s *Service) Decline(ctx context.Context, p *auth.Principal, id int64, in TextInput) (f *QuoteForm, err error) {
	defer apperr.Wrap(&err, "competitions.Service.Decline(%d)", id)
	err = s.run(ctx, p, id, "", actDecline, func(st *step) error {
		if err := in.check("competition.decline_invalid", MaxReason); err != nil {
			return err
		}
		inv, err := st.invited(ctx)
		if err != nil {
			return err
		}
		if !st.c.Sealed {
			return deadlinePassed(st.c)
		}
		if err := st.store.decline(ctx, inv.ID, in.Text); err != nil {
			return err
		}
		if _, err := st.store.withdrawQuote(ctx, inv.ID); err != nil {
			return err
		}
		return st.notifyOfficer(ctx, mailDeclined, said("competition.mail.supplier", inv.SupplierName),
			said("competition.mail.reason", in.Text))
	})
	if err != nil {
		return nil, err
	}
	return s.QuoteForm(ctx, p, id)
}
