package orders

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/database"
	"madaf/volumes"
)

// Store runs the SQL of orders, on the pool or inside a caller's
// transaction (InTx). Its files are by topic: orders and their history
// here, the transitions in store_transitions.go, the capacities in
// store_capacity.go, the outbox, the idempotency keys and the demo beside.
type Store struct {
	db database.Handle
}

// NewStore returns a Store over the pool db.
func NewStore(db *sqlx.DB) *Store { return &Store{db: db} }

// InTx returns the store running on tx: its reads see tx's writes and its
// writes join tx, which the caller commits or rolls back.
func (s *Store) InTx(tx *sqlx.Tx) *Store { return &Store{db: tx} }

// orderColumns are an order's columns; $1 is today, for overdue. A draft
// without a budget line reads budget line 0 with no code.
const orderColumns = `o.id, o.number, o.revision, o.status, o.version, o.authority_id, a.name_he AS authority_name,
	a.name_ar AS authority_name_ar, a.name_en AS authority_name_en,
	o.tender_id, t.number AS tender_number, t.title AS tender_title, t.title_ar AS tender_title_ar, t.title_en AS tender_title_en, t.award_rule,
	o.supplier_id, s.legal_name AS supplier_name, coalesce(o.budget_line_id, 0) AS budget_line_id, coalesce(b.code, '') AS budget_line_code,
	o.delivery_address, o.requested_date, o.notes, o.proposed_supplier_id, o.justification, o.competition_id,
	o.subtotal, o.vat_rate, o.vat, o.total, o.fee_percent, o.fee, o.submission, o.submitted_on, o.submitted_at,
	o.signatures_required, o.sent_at, o.confirm_by, o.confirmed_at, o.promised_on, o.delivered_at, o.closed_at,
	o.invoice_ref, o.reject_reason, o.cancel_reason, o.cancel_note, o.close_reason, o.close_note, o.return_note, o.created_by,
	cu.name AS contact_name, cu.email AS contact_email, o.created_at, o.updated_at,
	(o.status = 'sent' AND o.confirm_by < $1) AS overdue, (o.status = 'draft' AND o.submission > 0) AS returned`

const orderFrom = ` FROM orders o
	JOIN authorities a ON a.id = o.authority_id
	JOIN tenders t ON t.id = o.tender_id
	JOIN suppliers s ON s.id = o.supplier_id
	JOIN users cu ON cu.id = o.created_by
	LEFT JOIN budget_lines b ON b.id = o.budget_line_id`

// scopeSQL limits orders to what p may see: the cluster sees every order,
// an authority user its authority's, a supplier its own once they were
// sent. It appends its argument to args.
func scopeSQL(p *auth.Principal, args *[]any) string {
	switch p.OrgKind {
	case auth.OrgCluster:
		return "TRUE"
	case auth.OrgAuthority:
		*args = append(*args, p.AuthorityID)
		return fmt.Sprintf("o.authority_id = $%d", len(*args))
	case auth.OrgSupplier:
		*args = append(*args, p.SupplierID)
		return fmt.Sprintf("(o.supplier_id = $%d AND o.sent_at IS NOT NULL)", len(*args))
	}
	return "FALSE"
}

// inScope reports whether p may see o, as scopeSQL does.
func inScope(p *auth.Principal, o *Order) bool {
	switch p.OrgKind {
	case auth.OrgCluster:
		return true
	case auth.OrgAuthority:
		return o.AuthorityID == p.AuthorityID
	case auth.OrgSupplier:
		return o.SupplierID == p.SupplierID && o.SentAt != nil
	}
	return false
}

// Order returns order id with its lines and this submission's signatures,
// without scoping (the service scopes), or apperr not-found
// ("not_found.order"). today decides whether it is overdue.
func (s *Store) Order(ctx context.Context, id int64, today calendar.Date) (o *Order, err error) {
	defer apperr.Wrap(&err, "orders.Store.Order(%d)", id)
	const q = `SELECT ` + orderColumns + orderFrom + ` WHERE o.id = $2`
	o = &Order{}
	if err := s.db.GetContext(ctx, o, q, today, id); err != nil {
		return nil, notFound(err, "not_found.order")
	}
	if err := s.details(ctx, o); err != nil {
		return nil, err
	}
	return o, nil
}

// LockOrder is Order with the order row locked until the transaction ends:
// the first lock every change of an order takes.
func (s *Store) LockOrder(ctx context.Context, id int64, today calendar.Date) (o *Order, err error) {
	defer apperr.Wrap(&err, "orders.Store.LockOrder(%d)", id)
	if o, err = s.lockOrderRow(ctx, id, today); err != nil {
		return nil, err
	}
	if err := s.details(ctx, o); err != nil {
		return nil, err
	}
	return o, nil
}

// lockOrderRow is LockOrder without the order's lines and signatures. The
// lock (FOR NO KEY UPDATE) leaves the key-share locks of the rows that
// refer to the order free.
func (s *Store) lockOrderRow(ctx context.Context, id int64, today calendar.Date) (*Order, error) {
	const q = `SELECT ` + orderColumns + orderFrom + ` WHERE o.id = $2 FOR NO KEY UPDATE OF o`
	o := &Order{}
	if err := s.db.GetContext(ctx, o, q, today, id); err != nil {
		return nil, notFound(err, "not_found.order")
	}
	return o, nil
}

// notFound maps a missing row to apperr not-found with the message key.
func notFound(err error, key string) error {
	if err = database.MapError(err); apperr.Is(err, apperr.KindNotFound) {
		return apperr.NotFound(key)
	}
	return err
}

// details reads o's lines and the signatures of its current submission.
func (s *Store) details(ctx context.Context, o *Order) error {
	o.Lines = []Line{}
	const ql = `SELECT id, line_no, item_id, sku, name, unit, quantity, unit_price, line_total, delivered, closed_quantity
		FROM order_lines WHERE order_id = $1 ORDER BY line_no`
	if err := s.db.SelectContext(ctx, &o.Lines, ql, o.ID); err != nil {
		return err
	}
	var err error
	if o.Signatures, err = s.signatures(ctx, o.ID, o.Submission); err != nil {
		return err
	}
	o.derive()
	return nil
}

// derive fills the fields computed from others.
func (o *Order) derive() {
	o.Overridden = o.AwardRule == "rotation" && o.ProposedSupplierID != nil && *o.ProposedSupplierID != o.SupplierID
	if o.SignaturesRequired == nil {
		o.SignaturesRequired = StringList{}
	}
}

// orderDateSQL is an order's date: its submission day, or its creation
// day in Israel while it was never submitted.
const orderDateSQL = `coalesce(o.submitted_on, (o.created_at AT TIME ZONE 'Asia/Jerusalem')::date)`

// likeArg is s as an ILIKE pattern matching any text containing it.
func likeArg(s string) string {
	return "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s) + "%"
}

// Orders returns one page of the orders p may see that f selects, newest
// first, without their lines.
func (s *Store) Orders(ctx context.Context, p *auth.Principal, f Filter, today calendar.Date) (out []Order, err error) {
	defer apperr.Wrap(&err, "orders.Store.Orders(%+v)", f)
	args := []any{today}
	where := []string{scopeSQL(p, &args)}
	cond := func(sql string, arg any) {
		args = append(args, arg)
		where = append(where, fmt.Sprintf(sql, len(args)))
	}
	if len(f.Statuses) > 0 {
		cond("o.status = ANY($%d)", pq.Array(f.Statuses))
	}
	if f.Returned {
		where = append(where, "o.status = 'draft' AND o.submission > 0")
	}
	if f.AuthorityID > 0 {
		cond("o.authority_id = $%d", f.AuthorityID)
	}
	if f.Number != "" {
		cond("o.number ILIKE $%d", likeArg(f.Number))
	}
	if f.Supplier != "" {
		cond("s.legal_name ILIKE $%d", likeArg(f.Supplier))
	}
	if f.Tender != "" {
		cond("(t.number ILIKE $%[1]d OR t.title ILIKE $%[1]d)", likeArg(f.Tender))
	}
	if !f.From.IsZero() {
		cond(orderDateSQL+" >= $%d", f.From)
	}
	if !f.To.IsZero() {
		cond(orderDateSQL+" <= $%d", f.To)
	}
	if f.MinTotal != nil {
		cond("o.total >= $%d", *f.MinTotal)
	}
	if f.MaxTotal != nil {
		cond("o.total <= $%d", *f.MaxTotal)
	}
	if f.TenderID > 0 {
		args = append(args, f.TenderID)
		where = append(where, fmt.Sprintf("o.tender_id = $%d", len(args)))
	}
	if f.SupplierID > 0 {
		args = append(args, f.SupplierID)
		where = append(where, fmt.Sprintf("o.supplier_id = $%d", len(args)))
	}
	if f.BudgetLineID > 0 {
		args = append(args, f.BudgetLineID)
		where = append(where, fmt.Sprintf("o.budget_line_id = $%d", len(args)))
	}
	if f.Overdue {
		where = append(where, "o.status = 'sent' AND o.confirm_by < $1")
	}
	if f.Overridden {
		where = append(where, "t.award_rule = 'rotation' AND o.proposed_supplier_id IS NOT NULL AND o.proposed_supplier_id <> o.supplier_id")
	}
	if f.After > 0 {
		args = append(args, f.After)
		where = append(where, fmt.Sprintf("o.id < $%d", len(args)))
	}
	limit := f.Limit
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	args = append(args, limit)
	q := `SELECT ` + orderColumns + orderFrom + ` WHERE ` + strings.Join(where, " AND ") +
		fmt.Sprintf(" ORDER BY o.id DESC LIMIT $%d", len(args))
	out = []Order{}
	if err := s.db.SelectContext(ctx, &out, q, args...); err != nil {
		return nil, err
	}
	for i := range out {
		out[i].derive()
	}
	return out, nil
}

// AuthorityNames returns the names, in lang, of the authorities ids.
func (s *Store) AuthorityNames(ctx context.Context, lang string, ids []int64) (names map[int64]string, err error) {
	defer apperr.Wrap(&err, "orders.Store.AuthorityNames(%s)", lang)
	const q = `SELECT id, name_in($1, name_he, name_ar, name_en) AS name FROM authorities WHERE id = ANY($2)`
	var rows []struct {
		ID   int64  `db:"id"`
		Name string `db:"name"`
	}
	if err := s.db.SelectContext(ctx, &rows, q, lang, pq.Array(ids)); err != nil {
		return nil, err
	}
	names = make(map[int64]string, len(rows))
	for _, r := range rows {
		names[r.ID] = r.Name
	}
	return names, nil
}

// Events returns the history of order orderID, oldest first.
func (s *Store) Events(ctx context.Context, orderID int64) (out []Event, err error) {
	defer apperr.Wrap(&err, "orders.Store.Events(%d)", orderID)
	const q = `SELECT e.id, e.at, e.actor_id, coalesce(u.name, '') AS actor_name, e.action, e.from_status, e.to_status, e.note, e.data
		FROM order_events e LEFT JOIN users u ON u.id = e.actor_id
		WHERE e.order_id = $1 ORDER BY e.id`
	out = []Event{}
	err = s.db.SelectContext(ctx, &out, q, orderID)
	return out, err
}

// addEvent appends an event; data may be nil, input (the request's
// inputHash) is nil for an event no request of an action made.
func (s *Store) addEvent(ctx context.Context, orderID int64, actor *auth.Principal, action, from, to, note string, data map[string]any, input []byte, at time.Time) error {
	if data == nil {
		data = map[string]any{}
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return err
	}
	actorID := principalActor(actor)
	const q = `INSERT INTO order_events (order_id, at, actor_id, action, from_status, to_status, note, data, input_hash)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`
	_, err = s.db.ExecContext(ctx, q, orderID, at, actorID, action, from, to, note, string(raw), input)
	return err
}

// createOrder adds draft d of p's authority, in one statement: the next
// order number of today's year (the counter row stays locked until the
// transaction ends, so numbers are handed out in commit order without
// gaps), the order, its lines and its creation event. It returns the order
// as stored, with its lines; a new draft has no signatures.
func (s *Store) createOrder(ctx context.Context, p *auth.Principal, in *NewOrder, d *draft, today calendar.Date, at time.Time) (*Order, error) {
	// The CTE is named orders so that orderFrom reads the row it inserted.
	const q = `WITH counter AS (
			INSERT INTO order_counters (authority_id, year, last) VALUES ($2, $3, 1)
			ON CONFLICT (authority_id, year) DO UPDATE SET last = order_counters.last + 1
			RETURNING last),
		orders AS (
			INSERT INTO orders (authority_id, year, seq, number, tender_id, supplier_id, budget_line_id,
				delivery_address, requested_date, notes, proposed_supplier_id, justification,
				subtotal, vat_rate, vat, total, fee_percent, fee, created_by, created_at, updated_at, competition_id)
			SELECT $2, $3, last, format('%s-%s', $3, lpad(last::text, greatest(4, length(last::text)), '0')),
				$4, $5, NULLIF($6::bigint, 0), $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19, $28
			FROM counter
			RETURNING *),
		lines AS (` + insertLinesSQL + `
			FROM orders o, unnest($20::int[], $21::bigint[], $22::text[], $23::text[], $24::text[], $25::numeric[], $26::numeric[], $27::numeric[])
				AS l(line_no, item_id, sku, name, unit, quantity, unit_price, line_total)
			RETURNING id, line_no),
		event AS (
			INSERT INTO order_events (order_id, at, actor_id, action, from_status, to_status, note, data)
			SELECT id, $19, NULLIF($18::bigint, 0), 'create', '', status, '',
				jsonb_strip_nulls(jsonb_build_object('number', number, 'competition_id', competition_id)) FROM orders)
		SELECT ` + orderColumns + `, (SELECT array_agg(id ORDER BY line_no) FROM lines) AS line_ids` + orderFrom
	f := d.figures
	cols := lineArrays(d.lines)
	var row struct {
		Order
		LineIDs pq.Int64Array `db:"line_ids"`
	}
	args := append([]any{today, p.AuthorityID, today.Year(), in.TenderID, in.SupplierID, in.BudgetLineID,
		in.DeliveryAddress, in.RequestedDate, in.Notes, d.proposal, in.Justification,
		f.Subtotal, f.VATRate, f.VAT, f.Total, f.FeePercent, f.Fee, p.UserID, at}, cols...)
	args = append(args, d.competition)
	if err := s.db.GetContext(ctx, &row, q, args...); err != nil {
		return nil, database.MapError(err)
	}
	o := &row.Order
	o.Lines, o.Signatures = make([]Line, len(d.lines)), []Signature{}
	for i, l := range d.lines {
		o.Lines[i] = l
		o.Lines[i].ID = row.LineIDs[i]
	}
	o.derive()
	return o, nil
}

// insertLinesSQL inserts the rows of l (line_no, item_id, sku, name, unit,
// quantity, unit_price, line_total) as lines of order o; the caller gives
// the FROM clause.
const insertLinesSQL = `
	INSERT INTO order_lines (order_id, line_no, item_id, sku, name, unit, quantity, unit_price, line_total)
	SELECT o.id, l.line_no, l.item_id, l.sku, l.name, l.unit, l.quantity, l.unit_price, l.line_total`

// lineArrays are lines as the arrays insertLinesSQL unnests, in its
// order.
func lineArrays(lines []Line) []any {
	n := len(lines)
	nos, items := make([]int64, n), make([]int64, n)
	skus, names, units := make([]string, n), make([]string, n), make([]string, n)
	qty, prices, totals := make([]string, n), make([]string, n), make([]string, n)
	for i, l := range lines {
		nos[i], items[i], skus[i], names[i], units[i] = int64(l.LineNo), l.ItemID, l.SKU, l.Name, l.Unit
		qty[i], prices[i], totals[i] = l.Quantity.String(), l.UnitPrice.Decimal.String(), l.LineTotal.Decimal.String()
	}
	return []any{pq.Array(nos), pq.Array(items), pq.Array(skus), pq.Array(names), pq.Array(units),
		pq.Array(qty), pq.Array(prices), pq.Array(totals)}
}

// insertLines adds lines to order orderID, in one statement.
func (s *Store) insertLines(ctx context.Context, orderID int64, lines []Line) error {
	const q = insertLinesSQL + `
		FROM (SELECT $1::bigint AS id) o,
			unnest($2::int[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::numeric[], $8::numeric[], $9::numeric[])
			AS l(line_no, item_id, sku, name, unit, quantity, unit_price, line_total)`
	_, err := s.db.ExecContext(ctx, q, append([]any{orderID}, lineArrays(lines)...)...)
	return database.MapError(err)
}

// deleteLines removes the lines of draft orderID, which its update
// replaces.
func (s *Store) deleteLines(ctx context.Context, orderID int64) error {
	const q = `DELETE FROM order_lines WHERE order_id = $1`
	_, err := s.db.ExecContext(ctx, q, orderID)
	return err
}

// figures reads what order id contributes to the volumes.
func (s *Store) figures(ctx context.Context, id int64) (volumes.OrderFigures, error) {
	const q = `SELECT o.id, o.tender_id, o.authority_id, o.supplier_id, t.category, o.submitted_on,
		o.subtotal, o.vat, o.total, o.fee, o.sent_at, o.confirm_by, o.promised_on
		FROM orders o JOIN tenders t ON t.id = o.tender_id WHERE o.id = $1`
	var r struct {
		ID          int64           `db:"id"`
		TenderID    int64           `db:"tender_id"`
		AuthorityID int64           `db:"authority_id"`
		SupplierID  int64           `db:"supplier_id"`
		Category    string          `db:"category"`
		SubmittedOn calendar.Date   `db:"submitted_on"`
		Subtotal    decimal.Decimal `db:"subtotal"`
		VAT         decimal.Decimal `db:"vat"`
		Total       decimal.Decimal `db:"total"`
		Fee         decimal.Decimal `db:"fee"`
		SentAt      *time.Time      `db:"sent_at"`
		ConfirmBy   calendar.Date   `db:"confirm_by"`
		PromisedOn  calendar.Date   `db:"promised_on"`
	}
	if err := s.db.GetContext(ctx, &r, q, id); err != nil {
		return volumes.OrderFigures{}, err
	}
	f := volumes.OrderFigures{OrderID: r.ID, TenderID: r.TenderID, AuthorityID: r.AuthorityID, SupplierID: r.SupplierID,
		Category: r.Category, SubmittedOn: r.SubmittedOn, Subtotal: r.Subtotal, VAT: r.VAT, Total: r.Total, Fee: r.Fee,
		ConfirmBy: r.ConfirmBy, PromisedOn: r.PromisedOn}
	if r.SentAt != nil {
		f.SentAt = *r.SentAt
	}
	return f, nil
}

// volumeFigures is what order o, of a tender of category, contributes to
// the volumes, as figures reads it.
func volumeFigures(o *Order, category string) volumes.OrderFigures {
	f := volumes.OrderFigures{OrderID: o.ID, TenderID: o.TenderID, AuthorityID: o.AuthorityID, SupplierID: o.SupplierID,
		Category: category, SubmittedOn: o.SubmittedOn, Subtotal: o.Subtotal.Decimal, VAT: o.VAT.Decimal,
		Total: o.Total.Decimal, Fee: o.Fee.Decimal, ConfirmBy: o.ConfirmBy, PromisedOn: o.PromisedOn}
	if o.SentAt != nil {
		f.SentAt = *o.SentAt
	}
	return f
}

// holidays returns the public holidays after from and up to 120 days on,
// which confirmation deadlines skip.
func (s *Store) holidays(ctx context.Context, from calendar.Date) ([]calendar.Date, error) {
	const q = `SELECT day FROM holidays WHERE day > $1 AND day <= $1 + 120 ORDER BY day`
	var out []calendar.Date
	err := s.db.SelectContext(ctx, &out, q, from)
	return out, err
}
