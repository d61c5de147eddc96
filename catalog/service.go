package catalog

import (
	"context"
	"slices"
	"strings"

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
func (s *Store) Transition(ctx context.Context, id int64, action string) (*Tender, error) {
	tr, ok := tenderTransitions[action]
	if !ok {
		return nil, apperr.NotFound("action " + action)
	}
	err := database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		status, err := lockTender(ctx, tx, id)
		if err != nil {
			return err
		}
		if !slices.Contains(tr.from, status) {
			return stateConflict(status, action, tr.from...)
		}
		if action == ActionPublish {
			if err := readyToPublish(ctx, tx, id); err != nil {
				return err
			}
		}
		const q = `UPDATE tenders SET status = $3, updated_at = now() WHERE id = $1 AND status = $2`
		res, err := tx.ExecContext(ctx, q, id, status, tr.to)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return stateConflict("no longer "+status, action, tr.from...)
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
func readyToPublish(ctx context.Context, tx *sqlx.Tx, id int64) error {
	var n struct {
		Items  int `db:"items"`
		Awards int `db:"awards"`
	}
	const q = `
		SELECT (SELECT count(*) FROM tender_items WHERE tender_id = $1) AS items,
		       (SELECT count(*) FROM awards WHERE tender_id = $1 AND status = 'active') AS awards`
	if err := tx.GetContext(ctx, &n, q, id); err != nil {
		return err
	}
	var fs []apperr.FieldError
	if n.Items == 0 {
		fs = append(fs, apperr.Field("items", "the tender has no items"))
	}
	if n.Awards == 0 {
		fs = append(fs, apperr.Field("awards", "the tender has no active award"))
	}
	if len(fs) == 0 {
		return nil
	}
	return &apperr.Error{Kind: apperr.KindConflict, Fields: fs, Extra: map[string]any{"tender_status": StatusDraft},
		Msg: apperr.M("the tender cannot be published without at least one item and one active award")}
}

const awardColumns = `a.id, a.tender_id, a.supplier_id, s.legal_name, a.status, a.created_at, a.updated_at`

// Awards returns the awards of tender tenderID, by supplier name.
func (s *Store) Awards(ctx context.Context, tenderID int64) ([]Award, error) {
	const q = `SELECT ` + awardColumns + ` FROM awards a JOIN suppliers s ON s.id = a.supplier_id
		WHERE a.tender_id = $1 ORDER BY s.legal_name, a.id`
	awards := []Award{}
	if err := s.db.SelectContext(ctx, &awards, q, tenderID); err != nil {
		return nil, err
	}
	return awards, nil
}

// Award returns award awardID of tender tenderID, or apperr not-found.
func (s *Store) Award(ctx context.Context, tenderID, awardID int64) (*Award, error) {
	return loadAward(ctx, s.db, tenderID, awardID)
}

func loadAward(ctx context.Context, q sqlx.QueryerContext, tenderID, awardID int64) (*Award, error) {
	const query = `SELECT ` + awardColumns + ` FROM awards a JOIN suppliers s ON s.id = a.supplier_id
		WHERE a.tender_id = $1 AND a.id = $2`
	var a Award
	if err := sqlx.GetContext(ctx, q, &a, query, tenderID, awardID); err != nil {
		return nil, notFound(err, "award")
	}
	return &a, nil
}

// AwardSupplier makes supplierID a winner of tender tenderID. The supplier
// must exist (invalid) and not be suspended (conflict); a closed tender
// takes no awards, a supplier is awarded once per tender, and a "single"
// tender has at most one active award (conflicts).
func (s *Store) AwardSupplier(ctx context.Context, tenderID, supplierID int64) (*Award, error) {
	if supplierID <= 0 {
		return nil, apperr.Invalid("the award has invalid fields", apperr.Field("supplier_id", "is required"))
	}
	var id int64
	err := database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		status, err := lockTender(ctx, tx, tenderID)
		if err != nil {
			return err
		}
		if status == StatusClosed {
			return stateConflict(status, "awarding", StatusDraft, StatusActive, StatusSuspended)
		}
		if err := awardable(ctx, tx, supplierID); err != nil {
			return err
		}
		if err := singleRoom(ctx, tx, tenderID); err != nil {
			return err
		}
		const q = `INSERT INTO awards (tender_id, supplier_id) VALUES ($1, $2) RETURNING id`
		err = tx.GetContext(ctx, &id, q, tenderID, supplierID)
		if database.IsUniqueViolation(err) {
			return &apperr.Error{Kind: apperr.KindConflict, Msg: apperr.M("the supplier is already awarded this tender"),
				Fields: []apperr.FieldError{apperr.Field("supplier_id", "already has an award in this tender")}}
		}
		return database.MapError(err)
	})
	if err != nil {
		return nil, err
	}
	return s.Award(ctx, tenderID, id)
}

// awardable checks that supplierID exists and is not suspended today.
func awardable(ctx context.Context, tx *sqlx.Tx, supplierID int64) error {
	var sup struct {
		Status         string        `db:"status"`
		SuspendedUntil calendar.Date `db:"suspended_until"`
	}
	err := tx.GetContext(ctx, &sup, `SELECT status, suspended_until FROM suppliers WHERE id = $1 FOR SHARE`, supplierID)
	if err = database.MapError(err); apperr.Is(err, apperr.KindNotFound) {
		return apperr.Invalid("the award has invalid fields", apperr.Field("supplier_id", "no supplier has the id %d", supplierID))
	}
	if err != nil {
		return err
	}
	if sup.Status == "suspended" && (sup.SuspendedUntil.IsZero() || !sup.SuspendedUntil.Before(calendar.Today())) {
		msg := "the supplier is suspended"
		if !sup.SuspendedUntil.IsZero() {
			msg += " until " + sup.SuspendedUntil.String()
		}
		return &apperr.Error{Kind: apperr.KindConflict, Msg: apperr.M(msg + " and cannot be awarded"),
			Fields: []apperr.FieldError{apperr.Field("supplier_id", "%s", msg)}, Extra: map[string]any{"supplier_status": "suspended"}}
	}
	return nil
}

// singleRoom refuses a second active award in a "single" tender (locked by
// the caller).
func singleRoom(ctx context.Context, tx *sqlx.Tx, tenderID int64) error {
	var n struct {
		Rule   string `db:"award_rule"`
		Active int    `db:"active"`
	}
	const q = `SELECT award_rule, (SELECT count(*) FROM awards WHERE tender_id = $1 AND status = 'active') AS active
		FROM tenders WHERE id = $1`
	if err := tx.GetContext(ctx, &n, q, tenderID); err != nil {
		return err
	}
	if n.Rule == RuleSingle && n.Active >= 1 {
		return &apperr.Error{Kind: apperr.KindConflict, Msg: apperr.M("a single-award tender already has its active award"),
			Fields: []apperr.FieldError{apperr.Field("award_rule", "is single and an award is already active")}}
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
func (s *Store) TransitionAward(ctx context.Context, tenderID, awardID int64, action string) (*Award, error) {
	tr, ok := awardTransitions[action]
	if !ok {
		return nil, apperr.NotFound("action " + action)
	}
	err := database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		if _, err := lockTender(ctx, tx, tenderID); err != nil {
			return err
		}
		var a struct {
			Status     string `db:"status"`
			SupplierID int64  `db:"supplier_id"`
		}
		const sel = `SELECT status, supplier_id FROM awards WHERE id = $1 AND tender_id = $2 FOR UPDATE`
		if err := tx.GetContext(ctx, &a, sel, awardID, tenderID); err != nil {
			return notFound(err, "award")
		}
		if !slices.Contains(tr.from, a.Status) {
			return &apperr.Error{Kind: apperr.KindConflict,
				Msg:    apperr.M("the award is %s; %s needs it to be %s", a.Status, action, strings.Join(tr.from, " or ")),
				Fields: []apperr.FieldError{apperr.Field("status", "is %s", a.Status)}, Extra: map[string]any{"award_status": a.Status}}
		}
		if tr.to == AwardActive {
			if err := awardable(ctx, tx, a.SupplierID); err != nil {
				return err
			}
			if err := singleRoom(ctx, tx, tenderID); err != nil {
				return err
			}
		}
		const q = `UPDATE awards SET status = $3, updated_at = now() WHERE id = $1 AND status = $2`
		res, err := tx.ExecContext(ctx, q, awardID, a.Status, tr.to)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.Conflict("the award changed meanwhile; try again")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Award(ctx, tenderID, awardID)
}
