package catalog

import (
	"context"
	"slices"

	"github.com/jmoiron/sqlx"

	"madaf/internal/apperr"
	"madaf/internal/calendar"
	"madaf/internal/database"
)

// Tender actions and the statuses they move a tender between.
const (
	ActionPublish = "publish"
	ActionSuspend = "suspend"
	ActionResume  = "resume"
	ActionClose   = "close"
)

var tenderTransitions = map[string]struct {
	from []string
	to   string
}{
	ActionPublish: {[]string{StatusDraft}, StatusActive},
	ActionSuspend: {[]string{StatusActive}, StatusSuspended},
	ActionResume:  {[]string{StatusSuspended}, StatusActive},
	ActionClose:   {[]string{StatusActive, StatusSuspended}, StatusClosed},
}

// Transition moves tender id by action (publish, suspend, resume, close).
// A tender in a status the action does not start from is a conflict naming
// its status; publishing also needs at least one item and one active award.
// The status changes only if it is still the one read (UPDATE … WHERE
// status), so two concurrent transitions never both apply.
func (s *Store) Transition(ctx context.Context, id int64, action string) (_ *Tender, err error) {
	defer apperr.Wrap(&err, "catalog.Store.Transition(%d, %s)", id, action)
	tr, ok := tenderTransitions[action]
	if !ok {
		return nil, apperr.NotFound("not_found.action")
	}
	err = database.Transact(ctx, s.db, func(tx *sqlx.Tx) error {
		ts := s.InTx(tx)
		status, err := ts.lockTender(ctx, id)
		if err != nil {
			return err
		}
		if !slices.Contains(tr.from, status) {
			return stateConflict(status, action)
		}
		if action == ActionPublish {
			if err := ts.readyToPublish(ctx, id); err != nil {
				return err
			}
		}
		changed, err := ts.setTenderStatus(ctx, id, status, tr.to)
		if err != nil {
			return err
		}
		if !changed {
			return apperr.Conflict("tender.changed_meanwhile")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Tender(ctx, id)
}

// readyToPublish reports what a tender lacks to be published: items and an
// active award.
func (s *Store) readyToPublish(ctx context.Context, id int64) error {
	items, awards, err := s.publishCounts(ctx, id)
	if err != nil {
		return err
	}
	var fs []apperr.FieldError
	if items == 0 {
		fs = append(fs, apperr.Field("items", "tender.msg.no_items"))
	}
	if awards == 0 {
		fs = append(fs, apperr.Field("awards", "tender.msg.no_active_award"))
	}
	if len(fs) == 0 {
		return nil
	}
	return &apperr.Error{Kind: apperr.KindConflict, Fields: fs, Extra: map[string]any{"tender_status": StatusDraft},
		Msg: apperr.M("tender.not_ready")}
}

// stateConflict is the 409 for an action (a tender action, or update,
// add_items, award, change_prices) that a tender in status does not allow.
func stateConflict(status, action string) error {
	return &apperr.Error{
		Kind:   apperr.KindConflict,
		Msg:    apperr.M("tender.wrong_state."+action, apperr.K("tender_status."+status)),
		Fields: []apperr.FieldError{apperr.Field("status", "tender.msg.status_is", apperr.K("tender_status."+status))},
		Extra:  map[string]any{"tender_status": status},
	}
}

// AwardSupplier makes supplierID a winner of tender tenderID. The supplier
// must exist (invalid) and not be suspended (conflict); a closed tender
// takes no awards, a supplier is awarded once per tender, and a "single"
// tender has at most one active award (conflicts).
func (s *Store) AwardSupplier(ctx context.Context, tenderID, supplierID int64) (_ *Award, err error) {
	defer apperr.Wrap(&err, "catalog.Store.AwardSupplier(%d, %d)", tenderID, supplierID)
	if supplierID <= 0 {
		return nil, apperr.Invalid("tender.award_invalid", apperr.Field("supplier_id", "msg.required"))
	}
	var id int64
	err = database.Transact(ctx, s.db, func(tx *sqlx.Tx) error {
		ts := s.InTx(tx)
		status, err := ts.lockTender(ctx, tenderID)
		if err != nil {
			return err
		}
		if status == StatusClosed {
			return stateConflict(status, "award")
		}
		if err := ts.awardable(ctx, supplierID); err != nil {
			return err
		}
		if err := ts.singleRoom(ctx, tenderID); err != nil {
			return err
		}
		id, err = ts.insertAward(ctx, tenderID, supplierID)
		if database.IsUniqueViolation(err) {
			return &apperr.Error{Kind: apperr.KindConflict, Msg: apperr.M("tender.already_awarded"),
				Fields: []apperr.FieldError{apperr.Field("supplier_id", "tender.msg.already_awarded")}}
		}
		return database.MapError(err)
	})
	if err != nil {
		return nil, err
	}
	return s.Award(ctx, tenderID, id)
}

// awardable checks that supplierID exists and is not suspended today.
func (s *Store) awardable(ctx context.Context, supplierID int64) error {
	status, until, err := s.supplierStanding(ctx, supplierID)
	if err = database.MapError(err); apperr.Is(err, apperr.KindNotFound) {
		return apperr.Invalid("tender.award_invalid", apperr.Field("supplier_id", "tender.msg.unknown_supplier", supplierID))
	}
	if err != nil {
		return err
	}
	if status != "suspended" || !until.IsZero() && until.Before(calendar.Today()) {
		return nil
	}
	e := &apperr.Error{Kind: apperr.KindConflict, Msg: apperr.M("tender.supplier_suspended"),
		Fields: []apperr.FieldError{apperr.Field("supplier_id", "tender.msg.supplier_suspended")},
		Extra:  map[string]any{"supplier_status": "suspended"}}
	if !until.IsZero() {
		e.Msg = apperr.M("tender.supplier_suspended_until", until)
		e.Fields = []apperr.FieldError{apperr.Field("supplier_id", "tender.msg.supplier_suspended_until", until)}
	}
	return e
}

// singleRoom refuses a second active award in a "single" tender (locked by
// the caller).
func (s *Store) singleRoom(ctx context.Context, tenderID int64) error {
	rule, active, err := s.ruleAndActiveAwards(ctx, tenderID)
	if err != nil {
		return err
	}
	if rule == RuleSingle && active >= 1 {
		return &apperr.Error{Kind: apperr.KindConflict, Msg: apperr.M("tender.single_taken"),
			Fields: []apperr.FieldError{apperr.Field("award_rule", "tender.msg.single_taken")}}
	}
	return nil
}

// Award actions.
const (
	AwardActionSuspend   = "suspend"
	AwardActionResume    = "resume"
	AwardActionTerminate = "terminate"
)

var awardTransitions = map[string]struct {
	from []string
	to   string
}{
	AwardActionSuspend:   {[]string{AwardActive}, AwardSuspended},
	AwardActionResume:    {[]string{AwardSuspended}, AwardActive},
	AwardActionTerminate: {[]string{AwardActive, AwardSuspended}, AwardTerminated},
}

// TransitionAward suspends, resumes or terminates award awardID of tender
// tenderID. Terminated is final; resuming needs the supplier not to be
// suspended and, in a "single" tender, no other active award.
func (s *Store) TransitionAward(ctx context.Context, tenderID, awardID int64, action string) (_ *Award, err error) {
	defer apperr.Wrap(&err, "catalog.Store.TransitionAward(%d, %d, %s)", tenderID, awardID, action)
	tr, ok := awardTransitions[action]
	if !ok {
		return nil, apperr.NotFound("not_found.action")
	}
	err = database.Transact(ctx, s.db, func(tx *sqlx.Tx) error {
		ts := s.InTx(tx)
		if _, err := ts.lockTender(ctx, tenderID); err != nil {
			return err
		}
		status, supplierID, err := ts.lockAward(ctx, tenderID, awardID)
		if err != nil {
			return err
		}
		if !slices.Contains(tr.from, status) {
			return &apperr.Error{Kind: apperr.KindConflict,
				Msg:    apperr.M("tender.award_wrong_state."+action, apperr.K("award_status."+status)),
				Fields: []apperr.FieldError{apperr.Field("status", "tender.msg.status_is", apperr.K("award_status."+status))},
				Extra:  map[string]any{"award_status": status}}
		}
		if tr.to == AwardActive {
			if err := ts.awardable(ctx, supplierID); err != nil {
				return err
			}
			if err := ts.singleRoom(ctx, tenderID); err != nil {
				return err
			}
		}
		changed, err := ts.setAwardStatus(ctx, awardID, status, tr.to)
		if err != nil {
			return err
		}
		if !changed {
			return apperr.Conflict("tender.award_changed_meanwhile")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Award(ctx, tenderID, awardID)
}
