package orders

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/lib/pq"

	"madaf/internal/apperr"
	"madaf/internal/calendar"
	"madaf/internal/database"
)

// The change requests of orders, their lines and signatures. What an open
// change holds of its order's capacities is kept on capacity_holds by the
// trigger on order_changes (migration 00930_order_changes), in the
// statement that opens or ends the change.

// changeColumns are a change's columns.
const changeColumns = `c.id, c.order_id, c.base_revision, c.revision, c.status, c.reason,
	c.old_delivery_address, c.delivery_address, c.old_requested_date, c.requested_date,
	c.old_subtotal, c.old_vat, c.old_total, c.old_fee, c.subtotal, c.vat_rate, c.vat, c.total, c.fee_percent, c.fee,
	c.held_subtotal, c.held_total, c.signatures_required, c.sign_by, c.respond_by, c.decline_reason, c.proposed_by,
	u.name AS proposed_by_name, c.created_at, c.sent_at, c.decided_at, c.tender_id, c.authority_id, c.budget_line_id
	FROM order_changes c JOIN users u ON u.id = c.proposed_by`

// changes returns the changes of order orderID with their lines and
// signatures, newest first.
func (s *Store) changes(ctx context.Context, orderID int64) ([]Change, error) {
	const q = `SELECT ` + changeColumns + ` WHERE c.order_id = $1 ORDER BY c.id DESC`
	out := []Change{}
	if err := s.db.SelectContext(ctx, &out, q, orderID); err != nil {
		return nil, err
	}
	for i := range out {
		if err := s.changeDetails(ctx, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// change returns change id of order orderID with its lines and
// signatures, its row locked until the transaction ends when lock is set,
// or apperr not-found ("not_found.change").
func (s *Store) change(ctx context.Context, orderID, id int64, lock bool) (*Change, error) {
	q := `SELECT ` + changeColumns + ` WHERE c.id = $1 AND c.order_id = $2`
	if lock {
		q += ` FOR NO KEY UPDATE OF c`
	}
	c := &Change{}
	if err := s.db.GetContext(ctx, c, q, id, orderID); err != nil {
		return nil, notFound(err, "not_found.change")
	}
	if err := s.changeDetails(ctx, c); err != nil {
		return nil, err
	}
	return c, nil
}

// changeDetails reads c's lines and signatures.
func (s *Store) changeDetails(ctx context.Context, c *Change) error {
	const ql = `SELECT line_no, line_id, item_id, sku, name, unit, old_quantity, quantity, delivered, unit_price,
			old_line_total, line_total
		FROM order_change_lines WHERE change_id = $1 ORDER BY line_no`
	c.Lines = []ChangeLine{}
	if err := s.db.SelectContext(ctx, &c.Lines, ql, c.ID); err != nil {
		return err
	}
	const qs = `SELECT g.slot AS role, g.slot, g.user_id, u.name AS user_name, g.capacity, g.delegation_id,
			g.on_behalf_of, coalesce(h.name, '') AS on_behalf_of_name, g.signed_at,
			g.check_legal, g.check_budget_line, g.check_no_deficit,
			g.budget_amount, g.budget_held, g.budget_left_before, g.budget_left_after
		FROM order_change_signatures g JOIN users u ON u.id = g.user_id LEFT JOIN users h ON h.id = g.on_behalf_of
		WHERE g.change_id = $1 ORDER BY g.id`
	c.Signatures = []Signature{}
	if err := s.db.SelectContext(ctx, &c.Signatures, qs, c.ID); err != nil {
		return err
	}
	if c.SignaturesRequired == nil {
		c.SignaturesRequired = StringList{}
	}
	return nil
}

// openChange returns the id of order orderID's open change, 0 when none.
func (s *Store) openChange(ctx context.Context, orderID int64) (int64, error) {
	const q = `SELECT id FROM order_changes WHERE order_id = $1 AND order_change_open(status)`
	var id int64
	err := s.db.GetContext(ctx, &id, q, orderID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

// changeItems returns each of ids as an item of tender tenderID with
// supplierID's price in force on day (a zero ID for an item the tender
// does not list, an invalid price when it has none), in the order of ids.
func (s *Store) changeItems(ctx context.Context, tenderID, supplierID int64, day calendar.Date, ids []int64) ([]draftItem, error) {
	const q = `SELECT coalesce(i.id, 0) AS item_id, coalesce(i.sku, '') AS item_sku, coalesce(i.name, '') AS item_name,
			coalesce(i.unit, '') AS item_unit, CASE WHEN i.id IS NULL THEN NULL ELSE price_in_force(i.id, $2, $3) END AS price
		FROM unnest($4::bigint[]) WITH ORDINALITY AS r(item_id, ord)
		LEFT JOIN tender_items i ON i.id = r.item_id AND i.tender_id = $1
		ORDER BY r.ord`
	var out []draftItem
	err := s.db.SelectContext(ctx, &out, q, tenderID, supplierID, day, pq.Array(ids))
	return out, err
}

// confirmationDays returns the confirmation window, in business days, of
// tender tenderID.
func (s *Store) confirmationDays(ctx context.Context, tenderID int64) (int, error) {
	const q = `SELECT confirmation_days FROM tenders WHERE id = $1`
	var n int
	err := s.db.GetContext(ctx, &n, q, tenderID)
	return n, err
}

// insertChange adds change c with its lines, made at at, and returns its
// id. Its trigger holds what c raises its order's amounts by. A second
// open change of the order is a conflict.
func (s *Store) insertChange(ctx context.Context, c *Change, at time.Time) (int64, error) {
	const q = `WITH change AS (
			INSERT INTO order_changes (order_id, authority_id, tender_id, budget_line_id, base_revision, revision, status, reason,
				old_delivery_address, delivery_address, old_requested_date, requested_date,
				old_subtotal, old_vat, old_total, old_fee, subtotal, vat_rate, vat, total, fee_percent, fee,
				held_subtotal, held_total, signatures_required, respond_by, proposed_by, created_at, sent_at, sign_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22,
				$23, $24, $25, $26, $27, $28, $29, $42)
			RETURNING id),
		lines AS (
			INSERT INTO order_change_lines (change_id, line_no, line_id, item_id, sku, name, unit, old_quantity, quantity,
				delivered, unit_price, old_line_total, line_total)
			SELECT change.id, l.* FROM change,
				unnest($30::int[], $31::bigint[], $32::bigint[], $33::text[], $34::text[], $35::text[], $36::numeric[],
					$37::numeric[], $38::numeric[], $39::numeric[], $40::numeric[], $41::numeric[])
				AS l(line_no, line_id, item_id, sku, name, unit, old_quantity, quantity, delivered, unit_price, old_line_total, line_total))
		SELECT id FROM change`
	n := len(c.Lines)
	nos, items := make([]int64, n), make([]int64, n)
	lineIDs := make([]sql.NullInt64, n)
	skus, names, units := make([]string, n), make([]string, n), make([]string, n)
	oldQty, qty, delivered := make([]sql.NullString, n), make([]string, n), make([]string, n)
	prices, oldTotals, totals := make([]string, n), make([]sql.NullString, n), make([]string, n)
	for i, l := range c.Lines {
		nos[i], items[i], skus[i], names[i], units[i] = int64(l.LineNo), l.ItemID, l.SKU, l.Name, l.Unit
		if l.LineID != nil {
			lineIDs[i] = sql.NullInt64{Int64: *l.LineID, Valid: true}
			oldQty[i] = sql.NullString{String: l.OldQuantity.String(), Valid: true}
			oldTotals[i] = sql.NullString{String: l.OldLineTotal.Decimal.String(), Valid: true}
		}
		qty[i], delivered[i] = l.Quantity.String(), l.Delivered.String()
		prices[i], totals[i] = l.UnitPrice.Decimal.String(), l.LineTotal.Decimal.String()
	}
	var id int64
	err := s.db.GetContext(ctx, &id, q, c.OrderID, c.AuthorityID, c.TenderID, c.BudgetLineID, c.BaseRevision, c.Revision,
		c.Status, c.Reason, c.OldDeliveryAddress, c.DeliveryAddress, c.OldRequestedDate, c.RequestedDate,
		c.OldSubtotal, c.OldVAT, c.OldTotal, c.OldFee, c.Subtotal, c.VATRate, c.VAT, c.Total, c.FeePercent, c.Fee,
		c.HeldSubtotal, c.HeldTotal, pq.Array([]string(c.SignaturesRequired)), c.RespondBy, c.ProposedBy, at, c.SentAt,
		pq.Array(nos), pq.Array(lineIDs), pq.Array(items), pq.Array(skus), pq.Array(names), pq.Array(units),
		pq.Array(oldQty), pq.Array(qty), pq.Array(delivered), pq.Array(prices), pq.Array(oldTotals), pq.Array(totals), c.SignBy)
	if database.IsUniqueViolation(err) {
		return 0, apperr.Conflict("order.change.open_exists")
	}
	return id, database.MapError(err)
}

// addChangeSignature records g, given at at, as a signature of change c.
// A slot signed already, or a second slot by the same user, is a conflict.
func (s *Store) addChangeSignature(ctx context.Context, c *Change, g *Signature, at time.Time) error {
	const q = `INSERT INTO order_change_signatures (change_id, authority_id, slot, user_id, capacity, delegation_id, on_behalf_of,
			check_legal, check_budget_line, check_no_deficit, budget_amount, budget_held, budget_left_before, budget_left_after, signed_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`
	b := g.BudgetSeen
	_, err := s.db.ExecContext(ctx, q, c.ID, c.AuthorityID, g.Slot, g.UserID, g.As, g.DelegationID, g.OnBehalfOf,
		g.CheckLegal, g.CheckBudgetLine, g.CheckNoDeficit, b.Amount, b.Held, b.LeftBefore, b.LeftAfter, at)
	if database.IsUniqueViolation(err) {
		var pe *pq.Error
		if errors.As(err, &pe) && pe.Constraint == "order_change_signatures_change_id_user_id_key" {
			return apperr.Conflict("order.one_slot_each")
		}
		return apperr.Conflict("order.role_signed", apperr.K("role."+g.Slot))
	}
	return database.MapError(err)
}

// changeSent records that change c, fully signed, went to the supplier at
// c.SentAt to answer by c.RespondBy.
func (s *Store) changeSent(ctx context.Context, c *Change) error {
	const q = `UPDATE order_changes SET status = 'pending_supplier', sent_at = $2, respond_by = $3
		WHERE id = $1 AND status = 'pending_signature'`
	return changed(s.db.ExecContext(ctx, q, c.ID, c.SentAt, c.RespondBy))
}

// endChange ends open change c with status (declined or withdrawn) and
// the supplier's reason, by user by at at; its trigger releases what c
// held.
func (s *Store) endChange(ctx context.Context, c *Change, status, reason string, by int64, at time.Time) error {
	const q = `UPDATE order_changes SET status = $2, decline_reason = $3, decided_by = $4, decided_at = $5
		WHERE id = $1 AND order_change_open(status)`
	return changed(s.db.ExecContext(ctx, q, c.ID, status, reason, by, at))
}

// acceptChange applies change c to order o in one statement: the change
// is accepted (its hold ends), the order's lines take the change's
// quantities (a line of quantity 0 is removed, an added line inserted),
// and the order its amounts, delivery address and date, revision and
// status to (delivered when the change completes it, with the time).
func (s *Store) acceptChange(ctx context.Context, o *Order, c *Change, to string, by int64, at time.Time) error {
	const q = `WITH accepted AS (
			UPDATE order_changes SET status = 'accepted', decided_by = $3, decided_at = $4
			WHERE id = $1 AND status = 'pending_supplier'
			RETURNING id),
		lines AS (SELECT l.* FROM order_change_lines l JOIN accepted a ON a.id = l.change_id),
		updated AS (
			UPDATE order_lines ol SET quantity = l.quantity, line_total = l.line_total
			FROM lines l WHERE ol.id = l.line_id AND ol.order_id = $2 AND l.quantity > 0
				AND (ol.quantity, ol.line_total) IS DISTINCT FROM (l.quantity, l.line_total)
			RETURNING ol.id),
		removed AS (
			DELETE FROM order_lines ol USING lines l
			WHERE ol.id = l.line_id AND ol.order_id = $2 AND l.quantity = 0
			RETURNING ol.id),
		added AS (
			INSERT INTO order_lines (order_id, line_no, item_id, sku, name, unit, quantity, unit_price, line_total)
			SELECT $2, l.line_no, l.item_id, l.sku, l.name, l.unit, l.quantity, l.unit_price, l.line_total
			FROM lines l WHERE l.line_id IS NULL AND l.quantity > 0
			RETURNING id)
		SELECT (SELECT count(*) FROM accepted) AS accepted`
	var n int
	if err := s.db.GetContext(ctx, &n, q, c.ID, o.ID, by, at); err != nil {
		return database.MapError(err)
	}
	if n != 1 {
		return apperr.Conflict("order.changed")
	}
	const qo = `UPDATE orders SET subtotal = $3, vat = $4, total = $5, fee = $6, delivery_address = $7, requested_date = $8,
			revision = $9, status = $10, delivered_at = CASE WHEN $10 = 'delivered' THEN $11 ELSE delivered_at END,
			version = version + 1, updated_at = $11
		WHERE id = $1 AND status = $2`
	return moved(s.db.ExecContext(ctx, qo, o.ID, o.Status, c.Subtotal, c.VAT, c.Total, c.Fee, c.DeliveryAddress,
		c.RequestedDate, c.Revision, to, at))
}

// changed checks that a change's UPDATE changed it.
func changed(res sql.Result, err error) error {
	if err != nil {
		return database.MapError(err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return apperr.Conflict("order.changed")
	}
	return nil
}

// lapsed is a change lapseOne lapsed: its id, its order and the status
// it lapsed from.
type lapsed struct {
	ID      int64  `db:"id"`
	OrderID int64  `db:"order_id"`
	From    string `db:"status"`
}

// lapseOne lapses, at at, one open change whose day is before today and
// whose id is not in skip (another lapser's is skipped too): one awaiting
// signatures past its sign_by day or one sent to its supplier past its
// respond_by day. Its trigger releases what it held. It returns the
// change, a zero ID when none is due.
func (s *Store) lapseOne(ctx context.Context, today calendar.Date, at time.Time, skip []int64) (lapsed, error) {
	const q = `WITH due AS (
			SELECT id, status FROM order_changes
			WHERE (status = 'pending_signature' AND sign_by < $1::date OR status = 'pending_supplier' AND respond_by < $1::date)
				AND id <> ALL(coalesce($3::bigint[], '{}'))
			ORDER BY id LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED)
		UPDATE order_changes c SET status = 'lapsed', decided_at = $2 FROM due WHERE c.id = due.id
		RETURNING c.id, c.order_id, due.status`
	var l lapsed
	err := s.db.GetContext(ctx, &l, q, today, at, pq.Array(skip))
	if errors.Is(err, sql.ErrNoRows) {
		return lapsed{}, nil
	}
	return l, err
}
