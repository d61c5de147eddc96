package competitions

import (
	"context"
	"slices"
	"strings"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/orderstatus"
	"madaf/orders"
)

// Protocol returns the protocol of competition id's round as the committee
// reads it (the authority's users and the cluster; not a winner): who was
// invited and who not, with why; who quoted, declined or was set aside,
// with why; every quote line by line; the ranking; the proposal; and the
// votes of the committee's round. Before the closing there is none (409).
func (s *Service) Protocol(ctx context.Context, p *auth.Principal, id int64) (out *Protocol, err error) {
	defer apperr.Wrap(&err, "competitions.Service.Protocol(%d)", id)
	c, err := s.store.Competition(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if p.OrgKind == auth.OrgSupplier {
		return nil, apperr.Forbidden("competition.protocol_forbidden")
	}
	return s.protocol(ctx, s.store, c)
}

// protocol builds c's protocol from what store reads.
func (s *Service) protocol(ctx context.Context, store *Store, c *Competition) (*Protocol, error) {
	if c.OpenedAt == nil || c.Sealed {
		return nil, apperr.Conflict("competition.protocol_not_ready", apperr.K("competition_status."+c.Status))
	}
	quotes, err := store.Quotes(ctx, c.ID, 0)
	if err != nil {
		return nil, err
	}
	bySupplier := map[int64]*Quote{}
	for i := range quotes {
		bySupplier[quotes[i].SupplierID] = &quotes[i]
	}
	out := &Protocol{Competition: c, OpenedAt: c.OpenedAt, Entries: []ProtocolEntry{}, Ranking: []RankedQuote{}, Missing: []string{}}
	for _, inv := range c.Invitations {
		if inv.Round != c.Round {
			continue
		}
		e := ProtocolEntry{SupplierID: inv.SupplierID, SupplierName: inv.SupplierName, Rank: inv.Rank,
			SetAside: []AsideReason(inv.SetAsideReasons), DeclineReason: inv.DeclineReason}
		if e.SetAside == nil {
			e.SetAside = []AsideReason{}
		}
		q := bySupplier[inv.SupplierID]
		if q != nil && q.Status == QuoteSubmitted {
			e.Quote = q
		}
		switch {
		case inv.DeclinedAt != nil:
			e.Outcome = OutcomeDeclined
		case inv.Rank != nil && e.Quote != nil:
			e.Outcome = OutcomeRanked
			out.Ranking = append(out.Ranking, RankedQuote{Rank: *inv.Rank, SupplierID: inv.SupplierID, SupplierName: inv.SupplierName,
				Total: e.Quote.Total, LastRevisionAt: e.Quote.LastRevisionAt})
		case len(inv.SetAsideReasons) > 0:
			e.Outcome = OutcomeSetAside
		default:
			e.Outcome = OutcomeNoQuote
		}
		out.Entries = append(out.Entries, e)
	}
	slices.SortFunc(out.Ranking, func(a, b RankedQuote) int { return a.Rank - b.Rank })
	if c.ProposalSupplierID != nil {
		for _, r := range out.Ranking {
			if r.SupplierID == *c.ProposalSupplierID {
				out.Proposal = &ProposalSummary{SupplierID: r.SupplierID, SupplierName: r.SupplierName, Rank: r.Rank, Total: r.Total,
					Cheapest: r.Rank == 1, Reason: c.ProposalReason}
			}
		}
	}
	if out.Votes, err = store.votes(ctx, c.ID, c.CommitteeRound); err != nil {
		return nil, err
	}
	for _, slot := range Slots {
		if !slices.ContainsFunc(out.Votes, func(v Vote) bool { return v.Slot == slot && v.Vote == VoteApprove }) {
			out.Missing = append(out.Missing, slot)
		}
	}
	return out, nil
}

// Propose puts another valid quote to the committee (a member of it): the
// cheapest with no reason, any other only with the committee's written
// reason (422 without). The committee's round starts again: every member
// approves or objects anew.
func (s *Service) Propose(ctx context.Context, p *auth.Principal, id int64, ifMatch string, in ProposalInput) (out *Protocol, err error) {
	defer apperr.Wrap(&err, "competitions.Service.Propose(%d)", id)
	err = s.run(ctx, p, id, ifMatch, actPropose, func(st *step) error {
		c := st.c
		inv, err := st.store.invitation(ctx, c, in.SupplierID)
		if err != nil || inv.Rank == nil {
			return apperr.Invalid("competition.proposal_invalid", apperr.Field("supplier_id", "competition.msg.not_ranked"))
		}
		in.Reason = strings.TrimSpace(in.Reason)
		cheapest := *inv.Rank == 1
		switch {
		case cheapest:
			in.Reason = ""
		case in.Reason == "":
			return apperr.Invalid("competition.proposal_invalid", apperr.Field("reason", "competition.msg.reason_required", *inv.Rank))
		case len([]rune(in.Reason)) > MaxText:
			return apperr.Invalid("competition.proposal_invalid", apperr.Field("reason", "msg.max_len", MaxText))
		}
		if c.ProposalSupplierID != nil && *c.ProposalSupplierID == in.SupplierID && c.ProposalReason == in.Reason {
			return apperr.Conflict("competition.proposal_unchanged")
		}
		if err := st.store.setProposal(ctx, c, in.SupplierID, in.Reason); err != nil {
			return err
		}
		data := map[string]any{"supplier_id": in.SupplierID, "rank": *inv.Rank, "cheapest": cheapest, "committee_round": c.CommitteeRound + 1}
		return st.record(ctx, "propose", c.Status, in.Reason, data)
	})
	if err != nil {
		return nil, err
	}
	return s.Protocol(ctx, p, id)
}

// Vote records a committee member's approval or objection (with a note)
// of the proposal in one slot it holds: the one named, or the first of its
// slots not yet filled in this round (its own vote there is replaced). A
// member fills one slot per round; a slot another member filled is a
// conflict. A vote names what it votes on, so that it never approves a
// proposal changed meanwhile: the proposed supplier (supplier_id; another
// than the proposal's is a conflict, competition.proposal_changed), or the
// competition's ETag in ifMatch (stale: 412); naming neither is invalid. When all three slots approve, the decision stands: in the same
// transaction the order is made at the chosen quote's prices (see
// orders.Service.CreateFromCompetition), the request is decided, and the
// officer and the winners are told.
func (s *Service) Vote(ctx context.Context, p *auth.Principal, id int64, ifMatch string, in VoteInput) (out *Protocol, err error) {
	defer apperr.Wrap(&err, "competitions.Service.Vote(%d)", id)
	err = s.run(ctx, p, id, ifMatch, actVote, func(st *step) error {
		if err := in.Validate(); err != nil {
			return err
		}
		c := st.c
		if c.ProposalSupplierID == nil {
			return apperr.Conflict("competition.no_proposal")
		}
		if err := votesOn(c, ifMatch, in.SupplierID); err != nil {
			return err
		}
		votes, err := st.store.votes(ctx, c.ID, c.CommitteeRound)
		if err != nil {
			return err
		}
		slot, err := slotFor(p, votes, in.Slot)
		if err != nil {
			return err
		}
		if err := st.store.castVote(ctx, c, slot, p.UserID, in.Vote, in.Note); err != nil {
			return err
		}
		data := map[string]any{"slot": slot, "vote": in.Vote, "committee_round": c.CommitteeRound}
		if err := st.record(ctx, "vote", c.Status, in.Note, data); err != nil {
			return err
		}
		if votes, err = st.store.votes(ctx, c.ID, c.CommitteeRound); err != nil {
			return err
		}
		for _, slot := range Slots {
			if !slices.ContainsFunc(votes, func(v Vote) bool { return v.Slot == slot && v.Vote == VoteApprove }) {
				return nil
			}
		}
		return st.decide(ctx)
	})
	if err != nil {
		return nil, err
	}
	return s.Protocol(ctx, p, id)
}

// votesOn checks that a vote on c names its proposal: supplierID is the
// proposed supplier, or (supplierID 0) ifMatch names c's version, which
// run has matched already.
func votesOn(c *Competition, ifMatch string, supplierID int64) error {
	ifMatch = strings.TrimSpace(ifMatch)
	switch {
	case supplierID == 0 && (ifMatch == "" || ifMatch == "*"):
		return apperr.Invalid("competition.vote_invalid", apperr.Field("supplier_id", "competition.msg.vote_names_proposal"))
	case supplierID != 0 && supplierID != *c.ProposalSupplierID:
		err := apperr.Conflict("competition.proposal_changed")
		err.Extra = map[string]any{"proposal_supplier_id": *c.ProposalSupplierID, "etag": c.ETag()}
		return err
	}
	return nil
}

// slotFor is the committee slot p's vote fills, given the round's votes
// and the slot asked for ("" for the first open one p holds): forbidden
// for a slot p does not hold, a conflict for one another member filled or
// when p filled another.
func slotFor(p *auth.Principal, votes []Vote, asked string) (string, error) {
	mine := ""
	for _, v := range votes {
		if v.UserID == p.UserID {
			mine = v.Slot
		}
	}
	filled := func(slot string) bool {
		return slices.ContainsFunc(votes, func(v Vote) bool { return v.Slot == slot && v.UserID != p.UserID })
	}
	switch {
	case asked != "" && !p.Has(asked):
		return "", apperr.Forbidden("competition.not_slot_holder", apperr.K("role."+asked))
	case asked != "" && mine != "" && mine != asked:
		return "", apperr.Conflict("competition.voted_other_slot", apperr.K("role."+mine))
	case asked != "" && filled(asked):
		return "", apperr.Conflict("competition.slot_filled", apperr.K("role."+asked))
	case asked != "":
		return asked, nil
	case mine != "":
		return mine, nil
	}
	for _, slot := range Slots {
		if p.Has(slot) && !filled(slot) {
			return slot, nil
		}
	}
	return "", apperr.Conflict("competition.slots_filled")
}

// decide makes the decision the committee approved: the order at the
// proposed winner's quoted prices, the request decided, the officer and
// the winners told.
func (st *step) decide(ctx context.Context) error {
	c := st.c
	chosen := *c.ProposalSupplierID
	inv, err := st.store.invitation(ctx, c, chosen)
	if err != nil || inv.Rank == nil {
		return apperr.Conflict("competition.no_proposal")
	}
	o, err := st.order(ctx, chosen)
	if err != nil {
		return err
	}
	notCheapest := *inv.Rank != 1
	if err := st.store.decide(ctx, c, chosen, notCheapest, c.ProposalReason, o.ID); err != nil {
		return err
	}
	data := map[string]any{"supplier_id": chosen, "order_id": o.ID, "order_number": o.Number, "rank": *inv.Rank, "not_cheapest": notCheapest}
	if err := st.store.addEvent(ctx, c, st.p.UserID, "decide", StatusDecided, c.ProposalReason, data); err != nil {
		return err
	}
	if err := st.notifyOfficer(ctx, mailDecided, said("competition.mail.supplier", inv.SupplierName),
		said("competition.mail.order", o.Number)); err != nil {
		return err
	}
	for _, other := range c.Invitations {
		if other.Round != c.Round || other.DeclinedAt != nil {
			continue
		}
		kind := mailNotChosen
		if other.SupplierID == chosen {
			kind = mailChosen
		}
		if err := st.notifySupplier(ctx, other.SupplierID, kind); err != nil {
			return err
		}
	}
	return nil
}

// order makes, in the step's transaction, the draft order of supplierID's
// quote on the step's competition, at its quoted prices.
func (st *step) order(ctx context.Context, supplierID int64) (*orders.Order, error) {
	c := st.c
	quotes, err := st.store.Quotes(ctx, c.ID, 0)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(quotes, func(q Quote) bool { return q.SupplierID == supplierID && q.Status == QuoteSubmitted })
	if i < 0 {
		return nil, apperr.Conflict("competition.no_quote")
	}
	in := orders.CompetitionOrder{CompetitionID: c.ID, AuthorityID: c.AuthorityID, OfficerID: c.CreatedBy, TenderID: c.TenderID,
		SupplierID: supplierID, DeliveryAddress: c.DeliveryAddress, RequestedDate: c.RequestedDate, Notes: c.Notes}
	if c.BudgetLineID != nil {
		in.BudgetLineID = *c.BudgetLineID
	}
	for _, l := range quotes[i].Lines {
		in.Lines = append(in.Lines, orders.QuotedLine{ItemID: l.ItemID, Quantity: l.Quantity, UnitPrice: l.UnitPrice.Decimal})
	}
	return st.s.orders.CreateFromCompetition(ctx, st.tx, in)
}

// PassToNext passes a decided request's order to the next winner in the
// ranking (officer) when the chosen winner did not confirm it within the
// tender's window: the order was rejected, or it is sent and past its
// confirmation day (it is then cancelled, for supplier_unavailable), or it
// was cancelled while so. The next winner's order is made at its quoted
// prices and the pass recorded with the note; with no next winner it is a
// conflict. It is one transaction: the If-Match, the order's state and the
// next winner are checked first, and a refusal cancels nothing.
func (s *Service) PassToNext(ctx context.Context, p *auth.Principal, id int64, ifMatch string, in TextInput) (c *Competition, err error) {
	defer apperr.Wrap(&err, "competitions.Service.PassToNext(%d)", id)
	in.Text = strings.TrimSpace(in.Text)
	if len([]rune(in.Text)) > MaxReason {
		return nil, apperr.Invalid("competition.pass_invalid", apperr.Field("text", "msg.max_len", MaxReason))
	}
	err = s.run(ctx, p, id, ifMatch, actPass, func(st *step) error {
		c := st.c
		next, os, err := st.passable(ctx)
		if err != nil {
			return err
		}
		from := *c.ChosenSupplierID
		fromStatus := os.Status
		if os.Overdue {
			if _, err := st.s.orders.CancelUnconfirmed(ctx, st.tx, st.p, *c.OrderID, in.Text); err != nil {
				return err
			}
			fromStatus = orderstatus.Cancelled
		}
		o, err := st.order(ctx, next.SupplierID)
		if err != nil {
			return err
		}
		if err := st.store.passTo(ctx, c, next.SupplierID, o.ID); err != nil {
			return err
		}
		data := map[string]any{"from_supplier_id": from, "from_order_id": *c.OrderID, "from_order_status": fromStatus,
			"to_supplier_id": next.SupplierID, "to_order_id": o.ID, "to_order_number": o.Number, "rank": *next.Rank}
		if err := st.record(ctx, "pass", c.Status, in.Text, data); err != nil {
			return err
		}
		return st.notifySupplier(ctx, next.SupplierID, mailChosen)
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, p, id)
}

// passable returns the winner the step's decided request would pass to
// and the state of its order, or why it may not pass: the order was
// answered in time or is not yet overdue (409 order_answered), or no valid
// quote ranks after the chosen one (409 no_next).
func (st *step) passable(ctx context.Context) (*Invitation, *orderState, error) {
	c := st.c
	if c.OrderID == nil || c.ChosenSupplierID == nil {
		return nil, nil, apperr.Conflict("competition.no_next")
	}
	os, err := st.store.orderStateOf(ctx, *c.OrderID)
	if err != nil {
		return nil, nil, err
	}
	if os.Status != orderstatus.Rejected && !os.CancelledUnconfirmed && !os.Overdue {
		err := apperr.Conflict("competition.order_answered", apperr.K("order_status."+os.Status))
		err.Extra = map[string]any{"order_status": os.Status}
		return nil, nil, err
	}
	from, err := st.store.invitation(ctx, c, *c.ChosenSupplierID)
	if err != nil || from.Rank == nil {
		return nil, nil, apperr.Conflict("competition.no_next")
	}
	var next *Invitation
	for i := range c.Invitations {
		inv := &c.Invitations[i]
		if inv.Round == c.Round && inv.Rank != nil && *inv.Rank > *from.Rank && (next == nil || *inv.Rank < *next.Rank) {
			next = inv
		}
	}
	if next == nil {
		return nil, nil, apperr.Conflict("competition.no_next")
	}
	return next, os, nil
}

// CanPass reports whether p may pass competition c's order to the next
// winner now (see PassToNext): the officer of c's authority, c decided,
// its order unanswered past the tender's window and a next winner ranked.
func (s *Service) CanPass(ctx context.Context, p *auth.Principal, c *Competition) (bool, error) {
	if c.Status != StatusDecided || !inScope(p, c) || allowed(p, actPass) != nil {
		return false, nil
	}
	st := &step{s: s, store: s.store, p: p, c: c}
	_, _, err := st.passable(ctx)
	switch {
	case err == nil:
		return true, nil
	case apperr.Is(err, apperr.KindConflict):
		return false, nil
	}
	return false, err
}
