package app

import (
	"context"
	"io"
	"testing"

	"madaf/competitions"
	"madaf/internal/dbtest"
)

// TestDemoHasCompetitions: the demo's tender 03/2024 holds one decided
// mini-competition in the past (every winner quoted, the protocol closed,
// three approvals, the order at the chosen quote's prices signed and sent)
// and one open today (its deadline ahead, one sealed quote that nobody
// but its winner reads).
func TestDemoHasCompetitions(t *testing.T) {
	db := dbtest.New(t)
	ctx := context.Background()
	if _, err := SeedDemo(ctx, db, io.Discard); err != nil {
		t.Fatalf("seed demo: %v", err)
	}
	var decided struct {
		ID, Quotes, Invited, Approvals int
		Opened, Past, Sent, Priced     bool
	}
	const q = `SELECT c.id,
			(SELECT count(*) FROM competition_quotes q WHERE q.competition_id = c.id AND q.status = 'submitted') AS quotes,
			(SELECT count(*) FROM competition_invitations i WHERE i.competition_id = c.id) AS invited,
			(SELECT count(*) FROM competition_votes v WHERE v.competition_id = c.id AND v.vote = 'approve') AS approvals,
			c.opened_at IS NOT NULL AS opened, c.decided_at < date_trunc('month', now()) AS past,
			o.sent_at IS NOT NULL AND o.competition_id = c.id AS sent,
			NOT EXISTS (SELECT 1 FROM order_lines ol
				JOIN competition_invitations i ON i.competition_id = c.id AND i.supplier_id = o.supplier_id
				JOIN competition_quotes q ON q.invitation_id = i.id
				LEFT JOIN competition_quote_lines l ON l.revision_id = q.last_revision_id AND l.item_id = ol.item_id
				WHERE ol.order_id = o.id AND ol.unit_price IS DISTINCT FROM l.quoted_price) AS priced
		FROM competitions c JOIN tenders t ON t.id = c.tender_id JOIN orders o ON o.id = c.order_id
		WHERE t.number = '03/2024' AND c.status = 'decided'`
	if err := db.Get(&decided, q); err != nil {
		t.Fatalf("no decided competition on 03/2024: %v", err)
	}
	if decided.Quotes != 3 || decided.Invited != 3 || decided.Approvals != 3 || !decided.Opened || !decided.Past || !decided.Sent || !decided.Priced {
		t.Errorf("the decided competition: %+v", decided)
	}
	var open struct {
		ID, Quotes int
		Ahead      bool
	}
	if err := db.Get(&open, `SELECT c.id, c.deadline > now() AS ahead,
			(SELECT count(*) FROM competition_quotes q WHERE q.competition_id = c.id AND q.status = 'submitted') AS quotes
		FROM competitions c JOIN tenders t ON t.id = c.tender_id WHERE t.number = '03/2024' AND c.status = 'published'`); err != nil {
		t.Fatalf("no open competition on 03/2024: %v", err)
	}
	if !open.Ahead || open.Quotes != 1 {
		t.Errorf("the open competition: %+v", open)
	}
	if qs, err := competitions.NewStore(db).Quotes(ctx, int64(open.ID), 0); err != nil || len(qs) != 0 {
		t.Errorf("the open competition's quote is read before its deadline: %d quotes, %v", len(qs), err)
	}
}
