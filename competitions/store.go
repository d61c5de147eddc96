package competitions

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"madaf/catalog"
	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/database"
)

// Store runs the SQL of competitions, on the pool or inside a caller's
// transaction (InTx). Its files are by topic: requests, lines and
// invitations here, quotes in store_quotes.go, the committee in
// store_committee.go, questions, mail and the lead's report beside.
//
// Every statement that reads the time reads the database's clock, unless
// the store was given one (WithClock); a store in a transaction reads the
// time its transaction began, as now() does.
type Store struct {
	db    database.Handle
	clock func() time.Time
	fixed *time.Time
}

// NewStore returns a Store over the pool db, on the database's clock.
func NewStore(db *sqlx.DB) *Store { return &Store{db: database.Audited(db)} }

// WithClock returns the store reading the time from now instead of the
// database (nil: the database's clock).
func (s *Store) WithClock(now func() time.Time) *Store { return &Store{db: s.db, clock: now} }

// InTx returns the store running on tx: its reads see tx's writes and its
// writes join tx, which the caller commits or rolls back. Its time is the
// time now, for the whole transaction.
func (s *Store) InTx(tx *sqlx.Tx) *Store {
	out := &Store{db: tx, clock: s.clock, fixed: s.fixed}
	if out.fixed == nil && s.clock != nil {
		t := s.clock()
		out.fixed = &t
	}
	return out
}

// at is the time the store's statements pass to competition_clock: nil
// for the database's clock.
func (s *Store) at() any {
	switch {
	case s.fixed != nil:
		return *s.fixed
	case s.clock != nil:
		return s.clock()
	}
	return nil
}

// Now is the store's time: the database's clock (the start of the
// transaction, in one), or its own.
func (s *Store) Now(ctx context.Context) (now time.Time, err error) {
	defer apperr.Wrap(&err, "competitions.Store.Now")
	err = s.db.GetContext(ctx, &now, `SELECT competition_clock($1)`, s.at())
	return now, err
}

// notFound maps a missing row to apperr not-found with the message key.
func notFound(err error, key string) error {
	if err = database.MapError(err); apperr.Is(err, apperr.KindNotFound) {
		return apperr.NotFound(key)
	}
	return err
}

// competitionColumns are a competition's columns; $1 is the clock.
const competitionColumns = `c.id, c.status, c.round, c.version, c.authority_id, a.name_he AS authority_name,
	c.tender_id, t.number AS tender_number, t.title AS tender_title, t.award_rule, c.budget_line_id,
	c.delivery_address, c.requested_date, c.notes, c.deadline, c.questions_until, c.published_at, c.opened_at,
	c.not_invited, c.committee_round, c.proposal_supplier_id, c.proposal_reason, c.decided_at, c.chosen_supplier_id,
	c.not_cheapest, c.decision_reason, c.order_id, c.cancel_reason, c.cancel_note, c.cancelled_at,
	c.created_by, c.created_at, c.updated_at, NOT competition_quotes_open(c.deadline, $1) AS sealed`

const competitionFrom = ` FROM competitions c
	JOIN authorities a ON a.id = c.authority_id
	JOIN tenders t ON t.id = c.tender_id`

// scopeSQL limits competitions (alias c) to what p may see: the cluster
// every one, an authority's users their authority's, a supplier those it
// was invited to. It appends its argument to args.
func scopeSQL(p *auth.Principal, args *[]any) string {
	switch {
	case p == nil:
		return "FALSE"
	case p.OrgKind == auth.OrgCluster:
		return "TRUE"
	case p.OrgKind == auth.OrgAuthority:
		*args = append(*args, p.AuthorityID)
		return fmt.Sprintf("c.authority_id = $%d", len(*args))
	case p.OrgKind == auth.OrgSupplier:
		*args = append(*args, p.SupplierID)
		return fmt.Sprintf("EXISTS (SELECT 1 FROM competition_invitations si WHERE si.competition_id = c.id AND si.supplier_id = $%d)", len(*args))
	}
	return "FALSE"
}

// viewer is the supplier whose own quotes p may read whatever the clock: p's
// supplier, 0 for anyone else.
func viewer(p *auth.Principal) int64 {
	if p != nil && p.OrgKind == auth.OrgSupplier {
		return p.SupplierID
	}
	return 0
}

// Competition returns competition id with its lines and invitations when p
// may see it, else apperr not-found ("not_found.competition"). The
// invitations' quote statuses are read only by their own winner until the
// deadline.
func (s *Store) Competition(ctx context.Context, p *auth.Principal, id int64) (c *Competition, err error) {
	defer apperr.Wrap(&err, "competitions.Store.Competition(%d)", id)
	args := []any{s.at(), id}
	q := `SELECT ` + competitionColumns + competitionFrom + ` WHERE c.id = $2 AND ` + scopeSQL(p, &args)
	c = &Competition{}
	if err := s.db.GetContext(ctx, c, q, args...); err != nil {
		return nil, notFound(err, "not_found.competition")
	}
	if err := s.details(ctx, c, viewer(p)); err != nil {
		return nil, err
	}
	return c, nil
}

// lock returns competition id with its lines and invitations, its row
// locked until the transaction ends (FOR UPDATE, or FOR SHARE when shared),
// without scoping (the service scopes), or apperr not-found.
func (s *Store) lock(ctx context.Context, id int64, shared bool) (*Competition, error) {
	mode := "UPDATE"
	if shared {
		mode = "SHARE"
	}
	q := `SELECT ` + competitionColumns + competitionFrom + ` WHERE c.id = $2 FOR ` + mode + ` OF c`
	c := &Competition{}
	if err := s.db.GetContext(ctx, c, q, s.at(), id); err != nil {
		return nil, notFound(err, "not_found.competition")
	}
	if err := s.details(ctx, c, 0); err != nil {
		return nil, err
	}
	return c, nil
}

// details reads c's lines and invitations, as supplierID (0: anyone else)
// may read the quotes' statuses.
func (s *Store) details(ctx context.Context, c *Competition, supplierID int64) error {
	c.Lines = []Line{}
	const ql = `SELECT l.id, l.line_no, l.item_id, i.sku, i.name, i.unit, l.quantity
		FROM competition_lines l JOIN tender_items i ON i.id = l.item_id
		WHERE l.competition_id = $1 ORDER BY l.line_no`
	if err := s.db.SelectContext(ctx, &c.Lines, ql, c.ID); err != nil {
		return err
	}
	c.Invitations = []Invitation{}
	const qi = `SELECT i.id, i.round, i.supplier_id, s.legal_name AS supplier_name, i.invited_at, i.declined_at,
			i.decline_reason, i.set_aside_reasons, i.rank, i.award_id,
			CASE WHEN v.visible THEN coalesce(q.status, '') ELSE '' END AS quote_status,
			CASE WHEN v.visible THEN coalesce(q.revisions, 0) ELSE 0 END AS revisions,
			CASE WHEN v.visible THEN q.last_revision_at END AS last_revision_at
		FROM competition_invitations i
		JOIN competitions c ON c.id = i.competition_id
		JOIN suppliers s ON s.id = i.supplier_id
		LEFT JOIN competition_quotes q ON q.invitation_id = i.id
		CROSS JOIN LATERAL (SELECT i.supplier_id = $2 OR ($2 = 0 AND competition_quotes_open(c.deadline, $3)) AS visible) v
		WHERE i.competition_id = $1
		ORDER BY i.round, s.legal_name, i.id`
	return s.db.SelectContext(ctx, &c.Invitations, qi, c.ID, supplierID, s.at())
}

// Competitions returns one page of the competitions p may see that f
// selects, newest first, without their lines and invitations.
func (s *Store) Competitions(ctx context.Context, p *auth.Principal, f Filter) (out []Competition, err error) {
	defer apperr.Wrap(&err, "competitions.Store.Competitions(%+v)", f)
	args := []any{s.at()}
	where := []string{scopeSQL(p, &args)}
	cond := func(sql string, arg any) {
		args = append(args, arg)
		where = append(where, fmt.Sprintf(sql, len(args)))
	}
	if f.Status != "" {
		cond("c.status = $%d", f.Status)
	}
	if f.TenderID > 0 {
		cond("c.tender_id = $%d", f.TenderID)
	}
	if f.AuthorityID > 0 {
		cond("c.authority_id = $%d", f.AuthorityID)
	}
	if f.After > 0 {
		cond("c.id < $%d", f.After)
	}
	limit := f.Limit
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	args = append(args, limit)
	q := `SELECT ` + competitionColumns + competitionFrom + ` WHERE ` + strings.Join(where, " AND ") +
		fmt.Sprintf(` ORDER BY c.id DESC LIMIT $%d`, len(args))
	out = []Competition{}
	if err := s.db.SelectContext(ctx, &out, q, args...); err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Lines, out[i].Invitations = []Line{}, []Invitation{}
	}
	return out, nil
}

// requestContext is what a request's terms are checked against: its
// tender, whether the authority takes part in it, how many active awards it
// has, the authority of the budget line named (0: none or unknown) and the
// requested items as the tender lists them (zero ID: not the tender's).
type requestContext struct {
	tender        catalog.Tender
	participates  bool
	activeAwards  int
	lineAuthority int64
	items         []catalog.Item
}

// tenderColumns are a tender's columns as catalog.Tender scans them.
const tenderColumns = `t.id, t.number, t.title, t.title_ar, t.title_en, t.category, t.category_ar, t.category_en,
	t.description, t.valid_from, t.valid_until, t.extended_until, t.status, t.ceiling, t.fee_percent, t.award_rule,
	t.confirmation_days, t.competition_from, t.competition_min_days, t.created_at, t.updated_at`

// requestContext reads, in one statement, what in is checked against for
// authorityID (see requestContext); a missing tender is apperr not-found.
func (s *Store) requestContext(ctx context.Context, authorityID int64, in *Input) (*requestContext, error) {
	const q = `SELECT ` + tenderColumns + `,
			EXISTS (SELECT 1 FROM tender_authorities ta WHERE ta.tender_id = t.id AND ta.authority_id = $2) AS participates,
			(SELECT count(*) FROM awards aw WHERE aw.tender_id = t.id AND aw.status = 'active') AS active_awards,
			coalesce((SELECT b.authority_id FROM budget_lines b WHERE b.id = $3), 0) AS line_authority,
			coalesce(i.id, 0) AS item_id, coalesce(i.sku, '') AS item_sku, coalesce(i.name, '') AS item_name,
			coalesce(i.unit, '') AS item_unit
		FROM tenders t
		CROSS JOIN unnest($4::bigint[]) WITH ORDINALITY AS r(item_id, ord)
		LEFT JOIN tender_items i ON i.id = r.item_id AND i.tender_id = t.id
		WHERE t.id = $1
		ORDER BY r.ord`
	ids := make([]int64, len(in.Lines))
	for i, l := range in.Lines {
		ids[i] = l.ItemID
	}
	var rows []struct {
		catalog.Tender
		Participates  bool   `db:"participates"`
		ActiveAwards  int    `db:"active_awards"`
		LineAuthority int64  `db:"line_authority"`
		ItemID        int64  `db:"item_id"`
		ItemSKU       string `db:"item_sku"`
		ItemName      string `db:"item_name"`
		ItemUnit      string `db:"item_unit"`
	}
	if err := s.db.SelectContext(ctx, &rows, q, in.TenderID, authorityID, in.BudgetLineID, pq.Array(ids)); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, apperr.NotFound("not_found.tender")
	}
	r := rows[0]
	c := &requestContext{tender: r.Tender, participates: r.Participates, activeAwards: r.ActiveAwards, lineAuthority: r.LineAuthority}
	for _, r := range rows {
		c.items = append(c.items, catalog.Item{ID: r.ItemID, TenderID: r.Tender.ID, SKU: r.ItemSKU, Name: r.ItemName, Unit: r.ItemUnit})
	}
	return c, nil
}

// holidays returns the public holidays from 60 days before day to 200
// days after it, which business days skip.
func (s *Store) holidays(ctx context.Context, day calendar.Date) ([]calendar.Date, error) {
	const q = `SELECT day FROM holidays WHERE day BETWEEN $1::date - 60 AND $1::date + 200 ORDER BY day`
	var out []calendar.Date
	err := s.db.SelectContext(ctx, &out, q, day)
	return out, err
}

// insertCompetition adds a draft of p's authority with its lines, and its
// creation event, and returns its id.
func (s *Store) insertCompetition(ctx context.Context, p *auth.Principal, in *Input) (int64, error) {
	const q = `WITH c AS (
			INSERT INTO competitions (authority_id, tender_id, budget_line_id, delivery_address, requested_date, notes,
				deadline, created_by, created_at, updated_at)
			VALUES ($1, $2, NULLIF($3::bigint, 0), $4, $5, $6, $7, $8, competition_clock($9), competition_clock($9))
			RETURNING id),
		lines AS (
			INSERT INTO competition_lines (competition_id, line_no, item_id, quantity)
			SELECT c.id, l.ord, l.item_id, l.quantity FROM c, unnest($10::bigint[], $11::numeric[]) WITH ORDINALITY AS l(item_id, quantity, ord)),
		event AS (
			INSERT INTO competition_events (competition_id, at, actor_id, action, from_status, to_status)
			SELECT c.id, competition_clock($9), NULLIF($8::bigint, 0), 'create', '', 'draft' FROM c)
		SELECT id FROM c`
	items, qty := lineArrays(in.Lines)
	var deadline *time.Time
	if !in.Deadline.IsZero() {
		d := DeadlineAt(in.Deadline)
		deadline = &d
	}
	var id int64
	err := s.db.GetContext(ctx, &id, q, p.AuthorityID, in.TenderID, in.BudgetLineID, in.DeliveryAddress, in.RequestedDate,
		in.Notes, deadline, p.UserID, s.at(), items, qty)
	return id, database.MapError(err)
}

// lineArrays are lines as the arrays of item ids and quantities the
// statements unnest.
func lineArrays(lines []LineInput) (any, any) {
	items, qty := make([]int64, len(lines)), make([]string, len(lines))
	for i, l := range lines {
		items[i], qty[i] = l.ItemID, l.Quantity.String()
	}
	return pq.Array(items), pq.Array(qty)
}

// updateTerms replaces c's terms by in (its deadline by deadline and
// questionsUntil, nil for none) and, when replaceLines, its lines.
func (s *Store) updateTerms(ctx context.Context, c *Competition, in *Input, deadline, questionsUntil *time.Time, replaceLines bool) error {
	const q = `UPDATE competitions SET budget_line_id = NULLIF($3::bigint, 0), delivery_address = $4, requested_date = $5,
			notes = $6, deadline = $7, questions_until = $8, version = version + 1, updated_at = competition_clock($9)
		WHERE id = $1 AND status = $2`
	if err := moved(s.db.ExecContext(ctx, q, c.ID, c.Status, in.BudgetLineID, in.DeliveryAddress, in.RequestedDate,
		in.Notes, deadline, questionsUntil, s.at())); err != nil {
		return err
	}
	if !replaceLines {
		return nil
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM competition_lines WHERE competition_id = $1`, c.ID); err != nil {
		return err
	}
	const qi = `INSERT INTO competition_lines (competition_id, line_no, item_id, quantity)
		SELECT $1, l.ord, l.item_id, l.quantity FROM unnest($2::bigint[], $3::numeric[]) WITH ORDINALITY AS l(item_id, quantity, ord)`
	items, qty := lineArrays(in.Lines)
	_, err := s.db.ExecContext(ctx, qi, c.ID, items, qty)
	return database.MapError(err)
}

// quotesToDraft sets every submitted quote of c's round back to draft,
// and returns how many it set back.
func (s *Store) quotesToDraft(ctx context.Context, c *Competition) (int64, error) {
	const q = `UPDATE competition_quotes q SET status = 'draft', updated_at = competition_clock($3)
		FROM competition_invitations i
		WHERE q.invitation_id = i.id AND i.competition_id = $1 AND i.round = $2 AND q.status = 'submitted'`
	res, err := s.db.ExecContext(ctx, q, c.ID, c.Round, s.at())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// moved checks that an UPDATE naming the status it leaves changed the
// competition.
func moved(res sql.Result, err error) error {
	if err != nil {
		return database.MapError(err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return apperr.Conflict("competition.changed")
	}
	return nil
}

// addEvent appends an event of c's history by actor (0: the service
// itself) from c's status to to; data may be nil.
func (s *Store) addEvent(ctx context.Context, c *Competition, actor int64, action, to, note string, data map[string]any) error {
	if data == nil {
		data = map[string]any{}
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return err
	}
	const q = `INSERT INTO competition_events (competition_id, at, actor_id, action, from_status, to_status, note, data)
		VALUES ($1, competition_clock($2), NULLIF($3::bigint, 0), $4, $5, $6, $7, $8)`
	_, err = s.db.ExecContext(ctx, q, c.ID, s.at(), actor, action, c.Status, to, note, string(raw))
	return err
}

// Events returns competition id's history, oldest first, without scoping.
func (s *Store) Events(ctx context.Context, id int64) (out []Event, err error) {
	defer apperr.Wrap(&err, "competitions.Store.Events(%d)", id)
	const q = `SELECT e.id, e.at, e.actor_id, coalesce(u.name, '') AS actor_name, e.action, e.from_status, e.to_status, e.note, e.data
		FROM competition_events e LEFT JOIN users u ON u.id = e.actor_id
		WHERE e.competition_id = $1 ORDER BY e.id`
	out = []Event{}
	err = s.db.SelectContext(ctx, &out, q, id)
	return out, err
}

// publishRound publishes c's next round with deadline and questionsUntil,
// inviting invited (awards by supplier) and recording notInvited; it
// returns the round.
func (s *Store) publishRound(ctx context.Context, c *Competition, deadline, questionsUntil time.Time,
	invited map[int64]int64, notInvited []NotInvitedWinner) (int, error) {
	raw, err := json.Marshal(notInvited)
	if err != nil {
		return 0, err
	}
	const q = `UPDATE competitions SET status = 'published', round = round + 1, deadline = $3, questions_until = $4,
			published_at = competition_clock($5), not_invited = $6, opened_at = NULL, proposal_supplier_id = NULL,
			proposal_reason = '', version = version + 1, updated_at = competition_clock($5)
		WHERE id = $1 AND status = $2
		RETURNING round`
	var round int
	if err := s.db.GetContext(ctx, &round, q, c.ID, c.Status, deadline, questionsUntil, s.at(), string(raw)); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return 0, apperr.Conflict("competition.changed")
		}
		return 0, database.MapError(err)
	}
	suppliers, awards := make([]int64, 0, len(invited)), make([]int64, 0, len(invited))
	for sid, aid := range invited {
		suppliers, awards = append(suppliers, sid), append(awards, aid)
	}
	const qi = `INSERT INTO competition_invitations (competition_id, round, supplier_id, award_id, invited_at)
		SELECT $1, $2, w.supplier_id, w.award_id, competition_clock($5)
		FROM unnest($3::bigint[], $4::bigint[]) AS w(supplier_id, award_id)`
	_, err = s.db.ExecContext(ctx, qi, c.ID, round, pq.Array(suppliers), pq.Array(awards), s.at())
	return round, database.MapError(err)
}

// cancel withdraws c with a reason code and a note.
func (s *Store) cancel(ctx context.Context, c *Competition, reason, note string) error {
	const q = `UPDATE competitions SET status = 'cancelled', cancel_reason = $3, cancel_note = $4,
			cancelled_at = competition_clock($5), version = version + 1, updated_at = competition_clock($5)
		WHERE id = $1 AND status = $2`
	return moved(s.db.ExecContext(ctx, q, c.ID, c.Status, reason, note, s.at()))
}
