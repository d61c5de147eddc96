package orders

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/lib/pq"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/database"
)

// Each transition of an order is one UPDATE of its own that names the
// status it leaves (WHERE id = $1 AND status = $2) and bumps the version.
// The order row is locked (LockOrder) before, so the row count is 1 unless
// the order left that status meanwhile, which moved reports as a conflict.

// moved checks that a transition's UPDATE changed the order.
func moved(res sql.Result, err error) error {
	if err != nil {
		return database.MapError(err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return apperr.Conflict("order.changed")
	}
	return nil
}

// updateDraft replaces draft o's fields by in, priced as d.
func (s *Store) updateDraft(ctx context.Context, o *Order, in *NewOrder, d *draft, at time.Time) error {
	const q = `UPDATE orders SET tender_id = $3, supplier_id = $4, budget_line_id = NULLIF($5::bigint, 0), delivery_address = $6,
			requested_date = $7, notes = $8, proposed_supplier_id = $9, justification = $10,
			subtotal = $11, vat_rate = $12, vat = $13, total = $14, fee_percent = $15, fee = $16,
			version = version + 1, updated_at = $17
		WHERE id = $1 AND status = $2`
	f := d.figures
	return moved(s.db.ExecContext(ctx, q, o.ID, o.Status, in.TenderID, in.SupplierID, in.BudgetLineID, in.DeliveryAddress,
		in.RequestedDate, in.Notes, d.proposal, in.Justification,
		f.Subtotal, f.VATRate, f.VAT, f.Total, f.FeePercent, f.Fee, at))
}

// submitOrder sends draft o for signature in one statement: its lines
// repriced as lines, its money fixed as f on day today, a new submission
// whose slots required are to be signed, and the submit event by actor with
// data and the request's input hash. It returns the order as the statement left it, without its lines
// and signatures; an order that left its status meanwhile is a conflict
// ("order.changed").
func (s *Store) submitOrder(ctx context.Context, o *Order, lines []Line, f Figures, required []string, proposal *int64,
	actor *auth.Principal, data map[string]any, input []byte, today calendar.Date, at time.Time) (*Order, error) {
	// The CTE is named orders so that orderFrom reads the row it updated.
	const q = `WITH orders AS (
			UPDATE orders SET status = 'pending_approval',
				subtotal = $4, vat_rate = $5, vat = $6, total = $7, fee_percent = $8, fee = $9,
				submission = submission + 1, submitted_on = $1, submitted_at = $10, signatures_required = $11,
				proposed_supplier_id = $12, return_note = '',
				version = version + 1, updated_at = $10
			WHERE id = $2 AND status = $3
			RETURNING *),
		repriced AS (
			UPDATE order_lines l SET unit_price = r.unit_price, line_total = r.line_total
			FROM orders o, unnest($13::bigint[], $14::numeric[], $15::numeric[]) AS r(id, unit_price, line_total)
			WHERE l.id = r.id AND l.order_id = o.id),
		event AS (
			INSERT INTO order_events (order_id, at, actor_id, action, from_status, to_status, note, data, input_hash)
			SELECT id, $10, $16, 'submit', $3, status, '', $17::jsonb, $18 FROM orders)
		SELECT ` + orderColumns + orderFrom
	ids := make([]int64, len(lines))
	prices, totals := make([]string, len(lines)), make([]string, len(lines))
	for i, l := range lines {
		ids[i], prices[i], totals[i] = l.ID, l.UnitPrice.String(), l.LineTotal.String()
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, err
	}
	out := &Order{}
	err = s.db.GetContext(ctx, out, q, today, o.ID, o.Status, f.Subtotal, f.VATRate, f.VAT, f.Total, f.FeePercent, f.Fee,
		at, pq.Array(required), proposal, pq.Array(ids), pq.Array(prices), pq.Array(totals), principalActor(actor), string(raw), input)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.Conflict("order.changed")
	}
	return out, database.MapError(err)
}

// signOrder records a signature that leaves pending order o awaiting
// another.
func (s *Store) signOrder(ctx context.Context, o *Order, at time.Time) error {
	const q = `UPDATE orders SET version = version + 1, updated_at = $3 WHERE id = $1 AND status = $2`
	return moved(s.db.ExecContext(ctx, q, o.ID, o.Status, at))
}

// sendOrder sends signed order o to its supplier, who confirms by
// confirmBy.
func (s *Store) sendOrder(ctx context.Context, o *Order, confirmBy calendar.Date, at time.Time) error {
	const q = `UPDATE orders SET status = 'sent', sent_at = $3, confirm_by = $4, version = version + 1, updated_at = $3
		WHERE id = $1 AND status = $2`
	return moved(s.db.ExecContext(ctx, q, o.ID, o.Status, at, confirmBy))
}

// returnOrder sends pending order o back to draft with note; the next
// submission voids this one's signatures.
func (s *Store) returnOrder(ctx context.Context, o *Order, note string, at time.Time) error {
	const q = `UPDATE orders SET status = 'draft', return_note = $3, submission = submission + 1,
			version = version + 1, updated_at = $4
		WHERE id = $1 AND status = $2`
	return moved(s.db.ExecContext(ctx, q, o.ID, o.Status, note, at))
}

// confirmOrder records the supplier's confirmation of sent order o with
// the promised delivery date.
func (s *Store) confirmOrder(ctx context.Context, o *Order, promised calendar.Date, at time.Time) error {
	const q = `UPDATE orders SET status = 'confirmed', confirmed_at = $3, promised_on = $4,
			version = version + 1, updated_at = $3
		WHERE id = $1 AND status = $2`
	return moved(s.db.ExecContext(ctx, q, o.ID, o.Status, at, promised))
}

// rejectOrder records the supplier's rejection of sent order o.
func (s *Store) rejectOrder(ctx context.Context, o *Order, reason string, at time.Time) error {
	const q = `UPDATE orders SET status = 'rejected', reject_reason = $3, version = version + 1, updated_at = $4
		WHERE id = $1 AND status = $2`
	return moved(s.db.ExecContext(ctx, q, o.ID, o.Status, reason, at))
}

// addDelivery records quantity of line lineID of o delivered on day and
// adds it to the line.
func (s *Store) addDelivery(ctx context.Context, o *Order, lineID int64, quantity Quantity, on calendar.Date, by int64, at time.Time) error {
	const qIns = `INSERT INTO order_deliveries (order_id, line_id, quantity, delivered_on, reported_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)`
	if _, err := s.db.ExecContext(ctx, qIns, o.ID, lineID, quantity.Decimal, on, by, at); err != nil {
		return database.MapError(err)
	}
	const qUpd = `UPDATE order_lines SET delivered = delivered + $2 WHERE id = $1`
	_, err := s.db.ExecContext(ctx, qUpd, lineID, quantity.Decimal)
	return database.MapError(err)
}

// deliverPart records a delivery after which some of o is still to come.
func (s *Store) deliverPart(ctx context.Context, o *Order, at time.Time) error {
	const q = `UPDATE orders SET status = 'partially_delivered', version = version + 1, updated_at = $3
		WHERE id = $1 AND status = $2`
	return moved(s.db.ExecContext(ctx, q, o.ID, o.Status, at))
}

// deliverAll records the delivery that completes every line of o.
func (s *Store) deliverAll(ctx context.Context, o *Order, at time.Time) error {
	const q = `UPDATE orders SET status = 'delivered', delivered_at = $3, version = version + 1, updated_at = $3
		WHERE id = $1 AND status = $2`
	return moved(s.db.ExecContext(ctx, q, o.ID, o.Status, at))
}

// closeOrder ends delivered order o with the supplier's invoice reference.
func (s *Store) closeOrder(ctx context.Context, o *Order, invoiceRef string, at time.Time) error {
	const q = `UPDATE orders SET status = 'closed', invoice_ref = $3, closed_at = $4, version = version + 1, updated_at = $4
		WHERE id = $1 AND status = $2`
	return moved(s.db.ExecContext(ctx, q, o.ID, o.Status, invoiceRef, at))
}

// cancelOrder withdraws o with a reason code and a note.
func (s *Store) cancelOrder(ctx context.Context, o *Order, reason, note string, at time.Time) error {
	const q = `UPDATE orders SET status = 'cancelled', cancel_reason = $3, cancel_note = $4, version = version + 1, updated_at = $5
		WHERE id = $1 AND status = $2`
	return moved(s.db.ExecContext(ctx, q, o.ID, o.Status, reason, note, at))
}
