package competitions

import (
	"context"
	"encoding/json"

	"madaf/internal/calendar"
	"madaf/internal/database"
)

// votes returns the votes of competition competitionID's committee round,
// in slot order.
func (s *Store) votes(ctx context.Context, competitionID int64, round int) ([]Vote, error) {
	const q = `SELECT v.committee_round, v.slot, v.user_id, u.name AS user_name, v.vote, v.note, v.voted_at
		FROM competition_votes v JOIN users u ON u.id = v.user_id
		WHERE v.competition_id = $1 AND v.committee_round = $2
		ORDER BY array_position(ARRAY['ceo', 'treasurer', 'legal_adviser'], v.slot)`
	out := []Vote{}
	err := s.db.SelectContext(ctx, &out, q, competitionID, round)
	return out, err
}

// castVote records userID's vote in slot of c's committee round, or
// replaces the vote the same user gave in it.
func (s *Store) castVote(ctx context.Context, c *Competition, slot string, userID int64, vote, note string) error {
	const q = `INSERT INTO competition_votes (competition_id, committee_round, slot, user_id, vote, note, voted_at)
		VALUES ($1, $2, $3, $4, $5, $6, competition_clock($7))
		ON CONFLICT (competition_id, committee_round, slot) DO UPDATE SET vote = EXCLUDED.vote, note = EXCLUDED.note,
			voted_at = EXCLUDED.voted_at
		WHERE competition_votes.user_id = EXCLUDED.user_id`
	if _, err := s.db.ExecContext(ctx, q, c.ID, c.CommitteeRound, slot, userID, vote, note, s.at()); err != nil {
		return database.MapError(err)
	}
	const touch = `UPDATE competitions SET version = version + 1, updated_at = competition_clock($3) WHERE id = $1 AND status = $2`
	return moved(s.db.ExecContext(ctx, touch, c.ID, c.Status, s.at()))
}

// setProposal puts supplierID to the committee of c with reason (empty
// for the cheapest), starting a new committee round.
func (s *Store) setProposal(ctx context.Context, c *Competition, supplierID int64, reason string) error {
	const q = `UPDATE competitions SET proposal_supplier_id = $3, proposal_reason = $4, committee_round = committee_round + 1,
			version = version + 1, updated_at = competition_clock($5)
		WHERE id = $1 AND status = $2`
	return moved(s.db.ExecContext(ctx, q, c.ID, c.Status, supplierID, reason, s.at()))
}

// decide records the decision of c for supplierID (notCheapest with
// reason when it is not the cheapest valid quote) and its order orderID.
func (s *Store) decide(ctx context.Context, c *Competition, supplierID int64, notCheapest bool, reason string, orderID int64) error {
	const q = `UPDATE competitions SET status = 'decided', decided_at = competition_clock($7), chosen_supplier_id = $3,
			decided_supplier_id = $3,
			not_cheapest = $4, decision_reason = $5, order_id = $6, version = version + 1, updated_at = competition_clock($7)
		WHERE id = $1 AND status = $2`
	return moved(s.db.ExecContext(ctx, q, c.ID, c.Status, supplierID, notCheapest, reason, orderID, s.at()))
}

// passTo records that decided c's order passed to supplierID, whose order
// is orderID.
func (s *Store) passTo(ctx context.Context, c *Competition, supplierID, orderID int64) error {
	const q = `UPDATE competitions SET chosen_supplier_id = $3, order_id = $4, version = version + 1,
			updated_at = competition_clock($5)
		WHERE id = $1 AND status = $2`
	return moved(s.db.ExecContext(ctx, q, c.ID, c.Status, supplierID, orderID, s.at()))
}

// orderState is what passing a decision to the next winner reads of the
// decision's order: its status and confirmation deadline, whether it is
// sent and past that deadline on the store's day, and whether it was
// cancelled while sent and past it.
type orderState struct {
	Status               string        `db:"status"`
	ConfirmBy            calendar.Date `db:"confirm_by"`
	Overdue              bool          `db:"overdue"`
	CancelledUnconfirmed bool          `db:"cancelled_unconfirmed"`
	SupplierID           int64         `db:"supplier_id"`
	CompetitionID        *int64        `db:"competition_id"`
}

// orderStateOf reads order id's state (see orderState).
func (s *Store) orderStateOf(ctx context.Context, id int64) (*orderState, error) {
	const q = `SELECT o.status, o.confirm_by, o.supplier_id, o.competition_id,
			o.status = 'sent' AND o.confirm_by < (competition_clock($2) AT TIME ZONE 'Asia/Jerusalem')::date AS overdue,
			o.status = 'cancelled' AND EXISTS (SELECT 1 FROM order_events e
				WHERE e.order_id = o.id AND e.action = 'cancel' AND e.from_status = 'sent'
					AND (e.at AT TIME ZONE 'Asia/Jerusalem')::date > o.confirm_by) AS cancelled_unconfirmed
		FROM orders o WHERE o.id = $1`
	st := &orderState{}
	if err := s.db.GetContext(ctx, st, q, id, s.at()); err != nil {
		return nil, notFound(err, "not_found.order")
	}
	return st, nil
}

// jsonText is v as JSON text, for a jsonb parameter.
func jsonText(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}
