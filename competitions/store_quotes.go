package competitions

import (
	"context"

	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"madaf/internal/apperr"
	"madaf/internal/calendar"
	"madaf/internal/database"
	"madaf/internal/money"
)

// Quotes are sealed in SQL: each statement below that reads quote prices
// reads only the rows of the supplier asking (supplierID) or, for anyone
// else (supplierID 0), only once competition_quotes_open says the
// deadline has passed by the store's clock. No caller can read prices
// around it, whatever it asks.

// sealedSQL keeps the quotes (alias q) of competition c that supplier $2
// may read: its own, or for anyone else ($2 = 0) every one once the
// deadline has passed by the clock $3.
const sealedSQL = `(q.supplier_id = $2 OR ($2 = 0 AND competition_quotes_open(c.deadline, $3)))`

// Quotes returns the quotes of competition competitionID's current round
// that have a revision, each as its last revision stands with its lines,
// cheapest first (then by the time of the last revision): for supplier
// supplierID its own only, whatever the time; for anyone else (0) none
// before the deadline by the store's clock, and every one after it.
func (s *Store) Quotes(ctx context.Context, competitionID, supplierID int64) (out []Quote, err error) {
	defer apperr.Wrap(&err, "competitions.Store.Quotes(%d, %d)", competitionID, supplierID)
	const q = `SELECT q.supplier_id, sp.legal_name AS supplier_name, q.status, r.revision, r.submitted_at AS last_revision_at,
			r.quoted_total, r.id AS revision_id,
			(SELECT coalesce(sum(round(l.quantity * l.framework_price, 2)), 0) FROM competition_quote_lines l
				WHERE l.revision_id = r.id) AS framework_total
		FROM competitions c
		JOIN competition_invitations i ON i.competition_id = c.id AND i.round = c.round
		JOIN competition_quotes q ON q.invitation_id = i.id
		JOIN competition_quote_revisions r ON r.id = q.last_revision_id
		JOIN suppliers sp ON sp.id = q.supplier_id
		WHERE c.id = $1 AND ` + sealedSQL + `
		ORDER BY r.quoted_total, r.submitted_at, i.id`
	out = []Quote{}
	if err := s.db.SelectContext(ctx, &out, q, competitionID, supplierID, s.at()); err != nil {
		return nil, err
	}
	const ql = `SELECT l.revision_id, l.line_no, l.item_id, ti.sku, ti.name, ti.unit, l.quantity, l.quoted_price,
			l.quoted_total, l.framework_price
		FROM competitions c
		JOIN competition_invitations i ON i.competition_id = c.id AND i.round = c.round
		JOIN competition_quotes q ON q.invitation_id = i.id
		JOIN competition_quote_lines l ON l.revision_id = q.last_revision_id
		JOIN tender_items ti ON ti.id = l.item_id
		WHERE c.id = $1 AND ` + sealedSQL + `
		ORDER BY l.revision_id, l.line_no`
	var lines []QuoteLine
	if err := s.db.SelectContext(ctx, &lines, ql, competitionID, supplierID, s.at()); err != nil {
		return nil, err
	}
	byRevision := map[int64][]QuoteLine{}
	for _, l := range lines {
		byRevision[l.RevisionID] = append(byRevision[l.RevisionID], l)
	}
	for i := range out {
		out[i].Lines = byRevision[out[i].RevisionID]
		if out[i].Lines == nil {
			out[i].Lines = []QuoteLine{}
		}
	}
	return out, nil
}

// revisions returns every revision of supplierID's quote on invitation
// invitationID, oldest first: the supplier's own only.
func (s *Store) revisions(ctx context.Context, invitationID, supplierID int64) ([]RevisionRef, error) {
	const q = `SELECT r.revision, r.submitted_at, r.quoted_total
		FROM competition_quotes q JOIN competition_quote_revisions r ON r.quote_id = q.id
		WHERE q.invitation_id = $1 AND q.supplier_id = $2 ORDER BY r.revision`
	out := []RevisionRef{}
	err := s.db.SelectContext(ctx, &out, q, invitationID, supplierID)
	return out, err
}

// capLines returns competition competitionID's lines with supplierID's
// framework price in force on day (nil where it has none): what the
// supplier may quote at most.
func (s *Store) capLines(ctx context.Context, competitionID, supplierID int64, day calendar.Date) ([]CapLine, error) {
	const q = `SELECT l.line_no, l.item_id, i.sku, i.name, i.unit, l.quantity, price_in_force(l.item_id, $2, $3) AS cap
		FROM competition_lines l JOIN tender_items i ON i.id = l.item_id
		WHERE l.competition_id = $1 ORDER BY l.line_no`
	var rows []struct {
		CapLine
		Price decimal.NullDecimal `db:"cap"`
	}
	if err := s.db.SelectContext(ctx, &rows, q, competitionID, supplierID, day); err != nil {
		return nil, err
	}
	out := make([]CapLine, len(rows))
	for i, r := range rows {
		out[i] = r.CapLine
		out[i].Cap = nil
		if r.Price.Valid {
			a := money.Of(r.Price.Decimal)
			out[i].Cap = &a
		}
	}
	return out, nil
}

// invitation returns supplierID's invitation to competition c's current
// round, or apperr not-found.
func (s *Store) invitation(ctx context.Context, c *Competition, supplierID int64) (*Invitation, error) {
	for i := range c.Invitations {
		if inv := &c.Invitations[i]; inv.Round == c.Round && inv.SupplierID == supplierID {
			return inv, nil
		}
	}
	return nil, apperr.NotFound("not_found.competition")
}

// pricedLine is one line of a revision: the item, its quantity, the price
// quoted and the line's total.
type pricedLine struct {
	lineNo   int
	itemID   int64
	quantity decimal.Decimal
	price    decimal.Decimal
	total    decimal.Decimal
}

// submitRevision adds a revision of supplierID's quote on invitation inv
// of competition c, by user userID, with lines totalling total, and makes
// it the one that counts; it returns the quote's revision number. Each
// line's framework price is the one in force on the store's day (Israel
// time), and the database refuses a price above it, as it refuses a
// revision at or after the deadline.
func (s *Store) submitRevision(ctx context.Context, c *Competition, inv *Invitation, userID int64, lines []pricedLine, total decimal.Decimal) (int, error) {
	const upsert = `INSERT INTO competition_quotes (invitation_id, competition_id, supplier_id, status, revisions, updated_at)
		VALUES ($1, $2, $3, 'submitted', 1, competition_clock($4))
		ON CONFLICT (invitation_id) DO UPDATE SET status = 'submitted', revisions = competition_quotes.revisions + 1,
			updated_at = EXCLUDED.updated_at
		RETURNING id, revisions`
	var quote struct {
		ID        int64 `db:"id"`
		Revisions int   `db:"revisions"`
	}
	if err := s.db.GetContext(ctx, &quote, upsert, inv.ID, c.ID, inv.SupplierID, s.at()); err != nil {
		return 0, database.MapError(err)
	}
	const insert = `WITH r AS (
			INSERT INTO competition_quote_revisions (quote_id, revision, submitted_at, submitted_by, quoted_total)
			VALUES ($1, $2, competition_clock($3), NULLIF($4::bigint, 0), $5)
			RETURNING id, submitted_at),
		l AS (
			INSERT INTO competition_quote_lines (revision_id, line_no, item_id, quantity, quoted_price, quoted_total, framework_price)
			SELECT r.id, x.line_no, x.item_id, x.quantity, x.price, x.total,
				price_in_force(x.item_id, $6, (r.submitted_at AT TIME ZONE 'Asia/Jerusalem')::date)
			FROM r, unnest($7::int[], $8::bigint[], $9::numeric[], $10::numeric[], $11::numeric[])
				AS x(line_no, item_id, quantity, price, total))
		UPDATE competition_quotes q SET last_revision_id = r.id, last_revision_at = r.submitted_at
		FROM r WHERE q.id = $1`
	n := len(lines)
	nos, items := make([]int64, n), make([]int64, n)
	qty, prices, totals := make([]string, n), make([]string, n), make([]string, n)
	for i, l := range lines {
		nos[i], items[i] = int64(l.lineNo), l.itemID
		qty[i], prices[i], totals[i] = l.quantity.String(), l.price.String(), l.total.String()
	}
	_, err := s.db.ExecContext(ctx, insert, quote.ID, quote.Revisions, s.at(), userID, total.String(), inv.SupplierID,
		pq.Array(nos), pq.Array(items), pq.Array(qty), pq.Array(prices), pq.Array(totals))
	if err != nil {
		return 0, database.MapError(err)
	}
	return quote.Revisions, nil
}

// withdrawQuote takes back the quote on invitation invitationID, and
// reports whether it had one to take back.
func (s *Store) withdrawQuote(ctx context.Context, invitationID int64) (bool, error) {
	const q = `UPDATE competition_quotes SET status = 'withdrawn', updated_at = competition_clock($2)
		WHERE invitation_id = $1 AND status <> 'withdrawn'`
	res, err := s.db.ExecContext(ctx, q, invitationID, s.at())
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// decline records that the winner of invitation invitationID declines,
// with reason; a winner that declined already is a conflict.
func (s *Store) decline(ctx context.Context, invitationID int64, reason string) error {
	const q = `UPDATE competition_invitations SET declined_at = competition_clock($3), decline_reason = $2
		WHERE id = $1 AND declined_at IS NULL`
	res, err := s.db.ExecContext(ctx, q, invitationID, reason, s.at())
	if err != nil {
		return database.MapError(err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return apperr.Conflict("competition.declined_already")
	}
	return nil
}

// claimDue claims, among the published competitions whose deadline passed
// by the store's clock (the earliest first), the first that no other
// closer is closing, with a transaction-scoped advisory lock; it returns
// its id, ok false when none is left. The caller then locks the row,
// waiting for the revisions that hold it shared.
//
// The competitions of skip (whose closing failed in this pass) are passed
// over, so that one that cannot close holds back none of the others.
func (s *Store) claimDue(ctx context.Context, skip []int64) (id int64, ok bool, err error) {
	const q = `SELECT id FROM competitions WHERE status = 'published' AND deadline <= competition_clock($1)
			AND NOT (id = ANY(coalesce($2::bigint[], '{}')))
		ORDER BY deadline, id LIMIT 50`
	var ids []int64
	if err := s.db.SelectContext(ctx, &ids, q, s.at(), pq.Array(skip)); err != nil {
		return 0, false, err
	}
	const claim = `SELECT pg_try_advisory_xact_lock(600, ($1 % 2147483647)::int)
		AND EXISTS (SELECT 1 FROM competitions WHERE id = $1 AND status = 'published')`
	for _, id := range ids {
		var got bool
		if err := s.db.GetContext(ctx, &got, claim, id); err != nil {
			return 0, false, err
		}
		if got {
			return id, true, nil
		}
	}
	return 0, false, nil
}

// closeRound records the closing of competition c's round: the quotes
// opened now, status to (closed or unsuccessful), the proposal (nil: none),
// each invitation's rank and each set-aside one's reasons.
func (s *Store) closeRound(ctx context.Context, c *Competition, to string, proposal *int64, ranks map[int64]int, aside map[int64]AsideReasons) error {
	const q = `UPDATE competitions SET status = $3, opened_at = competition_clock($4), proposal_supplier_id = $5,
			proposal_reason = '', committee_round = committee_round + CASE WHEN $5::bigint IS NULL THEN 0 ELSE 1 END,
			version = version + 1, updated_at = competition_clock($4)
		WHERE id = $1 AND status = $2`
	if err := moved(s.db.ExecContext(ctx, q, c.ID, c.Status, to, s.at(), proposal)); err != nil {
		return err
	}
	for id, r := range ranks {
		if _, err := s.db.ExecContext(ctx, `UPDATE competition_invitations SET rank = $2 WHERE id = $1`, id, r); err != nil {
			return err
		}
	}
	for id, reasons := range aside {
		raw, err := jsonText(reasons)
		if err != nil {
			return err
		}
		if _, err := s.db.ExecContext(ctx, `UPDATE competition_invitations SET set_aside_reasons = $2 WHERE id = $1`, id, raw); err != nil {
			return err
		}
	}
	return nil
}
