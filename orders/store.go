package orders

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/database"
)

// The SQL of orders. Every function takes the querier first so that it
// runs on the pool or inside the caller's transaction.

const orderColumns = `o.id, o.number, o.status, o.version, o.authority_id, a.name_he AS authority_name,
	o.tender_id, t.number AS tender_number, t.title AS tender_title, t.award_rule,
	o.supplier_id, s.legal_name AS supplier_name, o.budget_line_id, b.code AS budget_line_code,
	o.delivery_address, o.requested_date, o.notes, o.proposed_supplier_id, o.justification,
	o.subtotal, o.vat_rate, o.vat, o.total, o.fee_percent, o.fee, o.submission, o.submitted_on, o.submitted_at,
	o.signatures_required, o.sent_at, o.confirm_by, o.confirmed_at, o.promised_on, o.delivered_at, o.closed_at,
	o.invoice_ref, o.reject_reason, o.cancel_reason, o.cancel_note, o.return_note, o.created_by, o.created_at, o.updated_at,
	(o.status = 'sent' AND o.confirm_by < $1) AS overdue`

const orderFrom = ` FROM orders o
	JOIN authorities a ON a.id = o.authority_id
	JOIN tenders t ON t.id = o.tender_id
	JOIN suppliers s ON s.id = o.supplier_id
	JOIN budget_lines b ON b.id = o.budget_line_id`

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

// inScope reports whether p may see o.
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

// getOrder returns order id with its lines and signatures, without
// scoping; forUpdate locks the order row until the transaction ends.
func getOrder(ctx context.Context, q sqlx.QueryerContext, id int64, today calendar.Date, forUpdate bool) (*Order, error) {
	query := `SELECT ` + orderColumns + orderFrom + ` WHERE o.id = $2`
	if forUpdate {
		query += ` FOR UPDATE OF o`
	}
	var o Order
	if err := sqlx.GetContext(ctx, q, &o, query, today, id); err != nil {
		if err = database.MapError(err); apperr.Is(err, apperr.KindNotFound) {
			return nil, apperr.NotFound("not_found.order")
		}
		return nil, err
	}
	if err := loadDetails(ctx, q, &o); err != nil {
		return nil, err
	}
	return &o, nil
}

func loadDetails(ctx context.Context, q sqlx.QueryerContext, o *Order) error {
	o.Lines = []Line{}
	const ql = `SELECT id, line_no, item_id, sku, name, unit, quantity, unit_price, line_total, delivered
		FROM order_lines WHERE order_id = $1 ORDER BY line_no`
	if err := sqlx.SelectContext(ctx, q, &o.Lines, ql, o.ID); err != nil {
		return err
	}
	o.Signatures = []Signature{}
	const qs = `SELECT g.role, g.user_id, u.name AS user_name, g.signed_at, g.check_legal, g.check_budget_line, g.check_no_deficit
		FROM order_signatures g JOIN users u ON u.id = g.user_id
		WHERE g.order_id = $1 AND g.submission = $2 ORDER BY g.id`
	if err := sqlx.SelectContext(ctx, q, &o.Signatures, qs, o.ID, o.Submission); err != nil {
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

// listOrders returns one page of the orders p may see, newest first.
func listOrders(ctx context.Context, q sqlx.QueryerContext, p *auth.Principal, f Filter, today calendar.Date) ([]Order, error) {
	args := []any{today}
	where := []string{scopeSQL(p, &args)}
	if len(f.Statuses) > 0 {
		args = append(args, pq.Array(f.Statuses))
		where = append(where, fmt.Sprintf("o.status = ANY($%d)", len(args)))
	}
	if f.TenderID > 0 {
		args = append(args, f.TenderID)
		where = append(where, fmt.Sprintf("o.tender_id = $%d", len(args)))
	}
	if f.SupplierID > 0 {
		args = append(args, f.SupplierID)
		where = append(where, fmt.Sprintf("o.supplier_id = $%d", len(args)))
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
	query := `SELECT ` + orderColumns + orderFrom + ` WHERE ` + strings.Join(where, " AND ") +
		fmt.Sprintf(" ORDER BY o.id DESC LIMIT $%d", len(args))
	out := []Order{}
	if err := sqlx.SelectContext(ctx, q, &out, query, args...); err != nil {
		return nil, err
	}
	for i := range out {
		out[i].derive()
	}
	return out, nil
}

// listEvents returns the events of order id, oldest first.
func listEvents(ctx context.Context, q sqlx.QueryerContext, orderID int64) ([]Event, error) {
	const query = `SELECT e.id, e.at, e.actor_id, coalesce(u.name, '') AS actor_name, e.action, e.from_status, e.to_status, e.note, e.data
		FROM order_events e LEFT JOIN users u ON u.id = e.actor_id
		WHERE e.order_id = $1 ORDER BY e.id`
	out := []Event{}
	err := sqlx.SelectContext(ctx, q, &out, query, orderID)
	return out, err
}

// addEvent appends an event; data may be nil.
func addEvent(ctx context.Context, q sqlx.ExtContext, orderID int64, actor *auth.Principal, action, from, to, note string, data map[string]any, at time.Time) error {
	if data == nil {
		data = map[string]any{}
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return err
	}
	var actorID *int64
	if actor != nil && actor.UserID != 0 {
		actorID = &actor.UserID
	}
	const query = `INSERT INTO order_events (order_id, at, actor_id, action, from_status, to_status, note, data)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`
	_, err = q.ExecContext(ctx, query, orderID, at, actorID, action, from, to, note, raw)
	return err
}

// nextNumber takes the next order number of authority in year. The
// counter row stays locked until the transaction ends, so numbers are
// handed out in commit order without gaps.
func nextNumber(ctx context.Context, q sqlx.ExtContext, authorityID int64, year int) (int, string, error) {
	const query = `INSERT INTO order_counters (authority_id, year, last) VALUES ($1, $2, 1)
		ON CONFLICT (authority_id, year) DO UPDATE SET last = order_counters.last + 1
		RETURNING last`
	var seq int
	if err := sqlx.GetContext(ctx, q, &seq, query, authorityID, year); err != nil {
		return 0, "", err
	}
	return seq, fmt.Sprintf("%d-%04d", year, seq), nil
}

// tenderRow is what orders read of a tender.
type tenderRow struct {
	ID               int64            `db:"id"`
	Number           string           `db:"number"`
	Title            string           `db:"title"`
	Category         string           `db:"category"`
	Status           string           `db:"status"`
	ValidFrom        calendar.Date    `db:"valid_from"`
	ValidUntil       calendar.Date    `db:"valid_until"`
	ExtendedUntil    calendar.Date    `db:"extended_until"`
	Ceiling          *decimal.Decimal `db:"ceiling"`
	FeePercent       decimal.Decimal  `db:"fee_percent"`
	AwardRule        string           `db:"award_rule"`
	ConfirmationDays int              `db:"confirmation_days"`
}

// openOn reports whether the tender takes orders on day on: active and
// within its validity (with the extension).
func (t *tenderRow) openOn(on calendar.Date) bool {
	until := t.ValidUntil
	if !t.ExtendedUntil.IsZero() {
		until = t.ExtendedUntil
	}
	return t.Status == "active" && !on.Before(t.ValidFrom) && !on.After(until)
}

func getTender(ctx context.Context, q sqlx.QueryerContext, id int64, forUpdate bool) (*tenderRow, error) {
	query := `SELECT id, number, title, category, status, valid_from, valid_until, extended_until, ceiling,
		fee_percent, award_rule, confirmation_days FROM tenders WHERE id = $1`
	if forUpdate {
		query += ` FOR UPDATE`
	}
	var t tenderRow
	if err := sqlx.GetContext(ctx, q, &t, query, id); err != nil {
		if err = database.MapError(err); apperr.Is(err, apperr.KindNotFound) {
			return nil, apperr.NotFound("not_found.tender")
		}
		return nil, err
	}
	return &t, nil
}

// participation reads the authority's row of the tender (locked when
// forUpdate): whether it may order and its allocation (nil = none).
func participation(ctx context.Context, q sqlx.QueryerContext, tenderID, authorityID int64, forUpdate bool) (open bool, allocation *decimal.Decimal, err error) {
	query := `SELECT allocation FROM tender_authorities WHERE tender_id = $1 AND authority_id = $2`
	if forUpdate {
		query += ` FOR UPDATE`
	}
	err = sqlx.GetContext(ctx, q, &allocation, query, tenderID, authorityID)
	if err = database.MapError(err); apperr.Is(err, apperr.KindNotFound) {
		return false, nil, nil
	}
	return err == nil, allocation, err
}

type budgetLineRow struct {
	ID          int64           `db:"id"`
	AuthorityID int64           `db:"authority_id"`
	FiscalYear  int             `db:"fiscal_year"`
	Code        string          `db:"code"`
	Amount      decimal.Decimal `db:"amount"`
}

func getBudgetLine(ctx context.Context, q sqlx.QueryerContext, id int64, forUpdate bool) (*budgetLineRow, error) {
	query := `SELECT id, authority_id, fiscal_year, code, amount FROM budget_lines WHERE id = $1`
	if forUpdate {
		query += ` FOR UPDATE`
	}
	var b budgetLineRow
	if err := sqlx.GetContext(ctx, q, &b, query, id); err != nil {
		if err = database.MapError(err); apperr.Is(err, apperr.KindNotFound) {
			return nil, apperr.NotFound("not_found.budget_line")
		}
		return nil, err
	}
	return &b, nil
}

// awardRow is one winner of a tender.
type awardRow struct {
	SupplierID   int64  `db:"supplier_id"`
	SupplierName string `db:"supplier_name"`
	Status       string `db:"status"`
}

func tenderAwards(ctx context.Context, q sqlx.QueryerContext, tenderID int64) ([]awardRow, error) {
	const query = `SELECT a.supplier_id, s.legal_name AS supplier_name, a.status
		FROM awards a JOIN suppliers s ON s.id = a.supplier_id WHERE a.tender_id = $1 ORDER BY a.id`
	var out []awardRow
	err := sqlx.SelectContext(ctx, q, &out, query, tenderID)
	return out, err
}

// itemRow is a tender item as an order line snapshots it.
type itemRow struct {
	ID       int64  `db:"id"`
	TenderID int64  `db:"tender_id"`
	SKU      string `db:"sku"`
	Name     string `db:"name"`
	Unit     string `db:"unit"`
}

func tenderItems(ctx context.Context, q sqlx.QueryerContext, ids []int64) (map[int64]itemRow, error) {
	const query = `SELECT id, tender_id, sku, name, unit FROM tender_items WHERE id = ANY($1)`
	var rows []itemRow
	if err := sqlx.SelectContext(ctx, q, &rows, query, pq.Array(ids)); err != nil {
		return nil, err
	}
	out := make(map[int64]itemRow, len(rows))
	for _, r := range rows {
		out[r.ID] = r
	}
	return out, nil
}

// reserved returns what the reserving orders hold: the subtotals on the
// tender, the subtotals of the authority on the tender, and the totals on
// the budget line.
func reserved(ctx context.Context, q sqlx.QueryerContext, tenderID, authorityID, budgetLineID int64) (tender, allocation, budget decimal.Decimal, err error) {
	const query = `SELECT
		coalesce((SELECT sum(subtotal) FROM orders WHERE tender_id = $1 AND status IN ` + reservingSQL + `), 0) AS tender,
		coalesce((SELECT sum(subtotal) FROM orders WHERE tender_id = $1 AND authority_id = $2 AND status IN ` + reservingSQL + `), 0) AS allocation,
		coalesce((SELECT sum(total) FROM orders WHERE budget_line_id = $3 AND status IN ` + reservingSQL + `), 0) AS budget`
	var r struct {
		Tender     decimal.Decimal `db:"tender"`
		Allocation decimal.Decimal `db:"allocation"`
		Budget     decimal.Decimal `db:"budget"`
	}
	err = sqlx.GetContext(ctx, q, &r, query, tenderID, authorityID, budgetLineID)
	return r.Tender, r.Allocation, r.Budget, err
}

// committedThisYear returns each supplier's committed volume (subtotals of
// reserving orders submitted in year) on the tender.
func committedThisYear(ctx context.Context, q sqlx.QueryerContext, tenderID int64, year int) (map[int64]decimal.Decimal, error) {
	const query = `SELECT supplier_id, sum(subtotal) AS volume FROM orders
		WHERE tender_id = $1 AND status IN ` + reservingSQL + ` AND extract(year FROM submitted_on) = $2
		GROUP BY supplier_id`
	var rows []struct {
		SupplierID int64           `db:"supplier_id"`
		Volume     decimal.Decimal `db:"volume"`
	}
	if err := sqlx.SelectContext(ctx, q, &rows, query, tenderID, year); err != nil {
		return nil, err
	}
	out := make(map[int64]decimal.Decimal, len(rows))
	for _, r := range rows {
		out[r.SupplierID] = r.Volume
	}
	return out, nil
}

// signatory is a user to be notified.
type recipient struct {
	UserID int64  `db:"id"`
	Email  string `db:"email"`
	Lang   string `db:"lang"`
}

// authorityUsers returns the active users of an authority holding role.
func authorityUsers(ctx context.Context, q sqlx.QueryerContext, authorityID int64, role string) ([]recipient, error) {
	const query = `SELECT id, email, lang FROM users WHERE authority_id = $1 AND active AND $2 = ANY(roles) ORDER BY id`
	var out []recipient
	err := sqlx.SelectContext(ctx, q, &out, query, authorityID, role)
	return out, err
}

// userRecipient returns user id as a mail recipient.
func userRecipient(ctx context.Context, q sqlx.QueryerContext, id int64) (*recipient, error) {
	var r recipient
	err := sqlx.GetContext(ctx, q, &r, `SELECT id, email, lang FROM users WHERE id = $1`, id)
	return &r, err
}

// supplierEmail returns the supplier's contact e-mail.
func supplierEmail(ctx context.Context, q sqlx.QueryerContext, id int64) (string, error) {
	var email string
	err := sqlx.GetContext(ctx, q, &email, `SELECT email FROM suppliers WHERE id = $1`, id)
	return email, err
}

// authorityNames returns the authority's names for mails.
func authorityNames(ctx context.Context, q sqlx.QueryerContext, id int64) (map[string]string, error) {
	var r struct {
		He string `db:"name_he"`
		Ar string `db:"name_ar"`
		En string `db:"name_en"`
	}
	if err := sqlx.GetContext(ctx, q, &r, `SELECT name_he, name_ar, name_en FROM authorities WHERE id = $1`, id); err != nil {
		return nil, err
	}
	return map[string]string{"he": r.He, "ar": r.Ar, "en": r.En}, nil
}

// bumpVersion checks the order is still at version and status, and moves
// it to the new status with the columns in set (column → value). It answers
// a conflict when another transaction got there first.
func bumpVersion(ctx context.Context, q sqlx.ExtContext, o *Order, to string, set map[string]any, at time.Time) error {
	args := []any{o.ID, o.Version, o.Status, to, at}
	cols := []string{"status = $4", "version = version + 1", "updated_at = $5"}
	for _, k := range slices.Sorted(maps.Keys(set)) {
		args = append(args, set[k])
		cols = append(cols, fmt.Sprintf("%s = $%d", k, len(args)))
	}
	query := `UPDATE orders SET ` + strings.Join(cols, ", ") + ` WHERE id = $1 AND version = $2 AND status = $3`
	res, err := q.ExecContext(ctx, query, args...)
	if err != nil {
		return database.MapError(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return apperr.Conflict("the order was changed meanwhile; reload it")
	}
	return nil
}
