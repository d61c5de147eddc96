package competitions

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jmoiron/sqlx"

	"madaf/catalog"
	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/database"
	"madaf/internal/worker"
)

// Closer closes the requests whose deadline has passed: every Interval it
// runs Service.CloseDue. Several closers (one per instance) share the work
// safely: each competition is closed under its row's lock by one of them.
type Closer struct {
	Service *Service
	Logger  *slog.Logger
	// Interval between polls (default 30s).
	Interval time.Duration
}

// Run closes what is due every Interval until ctx ends.
func (c *Closer) Run(ctx context.Context) {
	worker.Every(ctx, c.Interval, c.Logger, "competitions closed", c.Service.CloseDue)
}

// closer is who the closing's changes are attributed to.
var closer = database.Actor{Label: "madaf competitions closer"}

// CloseDue closes, one by one, every published request whose deadline has
// passed by the service's clock, and returns how many it closed. Each is
// closed in a transaction of its own by one closer, which claims it
// (skipping one another closer claimed: Store.claimDue) and then locks its
// row (FOR UPDATE): it waits for the quotes being revised to commit (they
// hold the row's lock, shared) and reads them all. At the closing the quotes are opened (the time recorded), each
// winner that quoted is checked again — its award active, not suspended,
// its certificates valid on the deadline's day — and set aside with why
// when it is not, and the valid quotes are ranked by total, ties by the
// time of their last revision. The cheapest is proposed to the committee;
// with no valid quote the request ends unsuccessful, to be published again.
func (s *Service) CloseDue(ctx context.Context) (closed int, err error) {
	defer apperr.Wrap(&err, "competitions.Service.CloseDue")
	if _, ok := database.ActorFrom(ctx); !ok {
		ctx = database.WithActor(ctx, closer)
	}
	var failed []int64
	var errs []error
	for ctx.Err() == nil {
		id, done, err := s.closeOne(ctx, failed)
		if err != nil && id != 0 {
			// This one is tried again at the next pass; the others go on.
			failed = append(failed, id)
			errs = append(errs, fmt.Errorf("competition %d: %w", id, err))
			continue
		}
		if err != nil || !done {
			return closed, errors.Join(append(errs, err)...)
		}
		closed++
	}
	return closed, errors.Join(append(errs, ctx.Err())...)
}

// closeOne closes the first due request not in skip, and reports which
// and whether there was one.
func (s *Service) closeOne(ctx context.Context, skip []int64) (id int64, done bool, err error) {
	err = database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		st, err := s.begin(ctx, tx, &auth.Principal{})
		if err != nil {
			return err
		}
		var ok bool
		id, ok, err = st.store.claimDue(ctx, skip)
		if err != nil || !ok {
			return err
		}
		if st.c, err = st.store.lock(ctx, id, false); err != nil {
			return err
		}
		done = true
		if err := st.close(ctx); err != nil {
			return err
		}
		return st.writeNotices(ctx)
	})
	return id, done, err
}

// close closes the step's locked competition (see CloseDue).
func (st *step) close(ctx context.Context) error {
	c := st.c
	quotes, err := st.store.Quotes(ctx, c.ID, 0)
	if err != nil {
		return err
	}
	bySupplier := map[int64]*Quote{}
	for i := range quotes {
		bySupplier[quotes[i].SupplierID] = &quotes[i]
	}
	awards, err := st.catalog.Awards(ctx, c.TenderID)
	if err != nil {
		return err
	}
	awardOf := map[int64]catalog.Award{}
	for _, a := range awards {
		awardOf[a.SupplierID] = a
	}
	day := calendar.DateOf(*c.Deadline)
	var valid []ranked
	aside := map[int64]AsideReasons{}
	for _, inv := range c.Invitations {
		if inv.Round != c.Round || inv.DeclinedAt != nil {
			continue
		}
		q := bySupplier[inv.SupplierID]
		if q == nil || q.Status != QuoteSubmitted {
			continue
		}
		a, ok := awardOf[inv.SupplierID]
		if !ok {
			a = catalog.Award{SupplierID: inv.SupplierID, Status: catalog.AwardTerminated}
		}
		reasons, err := st.aside(ctx, a, day)
		if err != nil {
			return err
		}
		if len(reasons) > 0 {
			aside[inv.ID] = reasons
			continue
		}
		valid = append(valid, ranked{supplierID: inv.SupplierID, invitationID: inv.ID, total: q.Total.Decimal, at: q.LastRevisionAt})
	}
	rank(valid)
	ranks := map[int64]int{}
	for i, v := range valid {
		ranks[v.invitationID] = i + 1
	}
	to, kind := StatusUnsuccessful, mailUnsuccessful
	var proposal *int64
	if len(valid) > 0 {
		to, kind = StatusClosed, mailClosed
		proposal = &valid[0].supplierID
	}
	if err := st.store.closeRound(ctx, c, to, proposal, ranks, aside); err != nil {
		return err
	}
	data := map[string]any{"round": c.Round, "valid": len(valid), "set_aside": len(aside), "quotes": len(quotes)}
	if proposal != nil {
		data["proposal_supplier_id"] = *proposal
	}
	if err := st.store.addEvent(ctx, c, 0, "close", to, "", data); err != nil {
		return err
	}
	if err := st.notifyOfficer(ctx, kind); err != nil {
		return err
	}
	if to == StatusClosed {
		return st.notifyCommittee(ctx, mailClosed)
	}
	return nil
}
