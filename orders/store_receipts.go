package orders

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/lib/pq"

	"madaf/internal/apperr"
	"madaf/internal/database"
)

// received returns what has arrived of each line of order orderID over
// all its receipts, by line id (a line nothing arrived of is absent).
func (s *Store) received(ctx context.Context, orderID int64) (map[int64]Received, error) {
	const q = `SELECT rl.line_id, sum(rl.quantity) AS arrived,
			coalesce(sum(rl.quantity) FILTER (WHERE rl.condition <> 'damaged'), 0) AS accepted
		FROM order_receipt_lines rl JOIN order_receipts r ON r.id = rl.receipt_id
		WHERE r.order_id = $1 GROUP BY rl.line_id`
	var rows []Received
	if err := s.db.SelectContext(ctx, &rows, q, orderID); err != nil {
		return nil, database.MapError(err)
	}
	out := make(map[int64]Received, len(rows))
	for _, r := range rows {
		out[r.LineID] = r
	}
	return out, nil
}

// recordedLines are the lines of order orderID a receipt or an invoice
// names: they stay on the order whatever changes.
func (s *Store) recordedLines(ctx context.Context, orderID int64) (map[int64]bool, error) {
	const q = `SELECT rl.line_id FROM order_receipt_lines rl JOIN order_receipts r ON r.id = rl.receipt_id WHERE r.order_id = $1
		UNION SELECT il.line_id FROM invoice_lines il JOIN invoices i ON i.id = il.invoice_id WHERE i.order_id = $1`
	var ids []int64
	if err := s.db.SelectContext(ctx, &ids, q, orderID); err != nil {
		return nil, database.MapError(err)
	}
	out := make(map[int64]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// addReceipt inserts r and its lines, setting r.ID.
func (s *Store) addReceipt(ctx context.Context, r *Receipt) error {
	const q = `INSERT INTO order_receipts (order_id, delivery_note, received_on, note, recorded_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`
	if err := s.db.GetContext(ctx, &r.ID, q, r.OrderID, r.DeliveryNote, r.ReceivedOn, r.Note, r.RecordedBy, r.CreatedAt); err != nil {
		return database.MapError(err)
	}
	const ql = `INSERT INTO order_receipt_lines (receipt_id, line_id, quantity, condition, delivered, disputed, note)
		SELECT $1, * FROM unnest($2::bigint[], $3::numeric[], $4::text[], $5::numeric[], $6::boolean[], $7::text[])`
	n := len(r.Lines)
	ids, qty, cond, del, disp, notes := make([]int64, n), make([]string, n), make([]string, n), make([]string, n), make([]bool, n), make([]string, n)
	for i, l := range r.Lines {
		ids[i], qty[i], cond[i], del[i], disp[i], notes[i] = l.LineID, l.Quantity.String(), l.Condition, l.Delivered.String(), l.Disputed, l.Note
	}
	_, err := s.db.ExecContext(ctx, ql, r.ID, pq.Array(ids), pq.Array(qty), pq.Array(cond), pq.Array(del), pq.Array(disp), pq.Array(notes))
	return database.MapError(err)
}

// openDispute opens the dispute of receipt r with supplierID.
func (s *Store) openDispute(ctx context.Context, r *Receipt, supplierID int64, at time.Time) (*Dispute, error) {
	const q = `INSERT INTO order_disputes (order_id, receipt_id, supplier_id, created_at) VALUES ($1, $2, $3, $4)
		RETURNING ` + disputeColumns
	d := &Dispute{}
	err := s.db.GetContext(ctx, d, q, r.OrderID, r.ID, supplierID, at)
	return d, database.MapError(err)
}

const disputeColumns = `id, order_id, receipt_id, supplier_id, status, answer_note, answered_by, answered_at, created_at`

// answerDispute records the answer (status accepted or contested) to open
// dispute disputeID of order orderID: not-found when the order has no such
// dispute, a conflict ("dispute.answered") when it was answered.
func (s *Store) answerDispute(ctx context.Context, orderID, disputeID int64, status, note string, by int64, at time.Time) (*Dispute, error) {
	const q = `UPDATE order_disputes SET status = $3, answer_note = $4, answered_by = $5, answered_at = $6
		WHERE id = $1 AND order_id = $2 AND status = 'open' RETURNING ` + disputeColumns
	d := &Dispute{}
	err := s.db.GetContext(ctx, d, q, disputeID, orderID, status, note, by, at)
	if errors.Is(err, sql.ErrNoRows) {
		if _, err := s.dispute(ctx, orderID, disputeID); err != nil {
			return nil, err
		}
		return nil, apperr.Conflict("dispute.answered")
	}
	return d, database.MapError(err)
}

// dispute returns dispute disputeID of order orderID, or not-found
// ("not_found.dispute").
func (s *Store) dispute(ctx context.Context, orderID, disputeID int64) (*Dispute, error) {
	const q = `SELECT ` + disputeColumns + ` FROM order_disputes WHERE id = $1 AND order_id = $2`
	d := &Dispute{}
	if err := s.db.GetContext(ctx, d, q, disputeID, orderID); err != nil {
		return nil, notFound(err, "not_found.dispute")
	}
	return d, nil
}

// touch bumps order o's version for a change that leaves its status (a
// receipt, an answer, an invoice).
func (s *Store) touch(ctx context.Context, o *Order, at time.Time) error {
	const q = `UPDATE orders SET version = version + 1, updated_at = $3 WHERE id = $1 AND status = $2`
	return moved(s.db.ExecContext(ctx, q, o.ID, o.Status, at))
}

// closeShort closes order o short with reason and note: each line records
// what was not delivered as closed, and the order's amounts become f.
func (s *Store) closeShort(ctx context.Context, o *Order, f Figures, reason, note string, at time.Time) error {
	const ql = `UPDATE order_lines SET closed_quantity = quantity - delivered WHERE order_id = $1`
	if _, err := s.db.ExecContext(ctx, ql, o.ID); err != nil {
		return database.MapError(err)
	}
	const q = `UPDATE orders SET status = 'closed', subtotal = $3, vat = $4, total = $5, fee = $6,
			close_reason = $7, close_note = $8, closed_at = $9, version = version + 1, updated_at = $9
		WHERE id = $1 AND status = $2`
	return moved(s.db.ExecContext(ctx, q, o.ID, o.Status, f.Subtotal, f.VAT, f.Total, f.Fee, reason, note, at))
}

// Receipts returns the receipts of order orderID, oldest first, with their
// lines and disputes.
func (s *Store) Receipts(ctx context.Context, orderID int64) (out []Receipt, err error) {
	defer apperr.Wrap(&err, "orders.Store.Receipts(%d)", orderID)
	return s.receipts(ctx, orderID, 0)
}

// receipts returns the receipts of order orderID (only receipt id when id
// is not 0), oldest first, with their lines and disputes.
func (s *Store) receipts(ctx context.Context, orderID, id int64) ([]Receipt, error) {
	const q = `SELECT r.id, r.order_id, r.delivery_note, r.received_on, r.note, r.recorded_by, u.name AS recorder_name, r.created_at
		FROM order_receipts r JOIN users u ON u.id = r.recorded_by
		WHERE r.order_id = $1 AND ($2::bigint = 0 OR r.id = $2) ORDER BY r.id`
	out := []Receipt{}
	if err := s.db.SelectContext(ctx, &out, q, orderID, id); err != nil {
		return nil, database.MapError(err)
	}
	const ql = `SELECT rl.receipt_id, rl.line_id, l.line_no, l.name, rl.quantity, rl.condition, rl.delivered, rl.disputed, rl.note
		FROM order_receipt_lines rl JOIN order_lines l ON l.id = rl.line_id JOIN order_receipts r ON r.id = rl.receipt_id
		WHERE r.order_id = $1 ORDER BY rl.receipt_id, l.line_no`
	var lines []ReceiptLine
	if err := s.db.SelectContext(ctx, &lines, ql, orderID); err != nil {
		return nil, database.MapError(err)
	}
	const qd = `SELECT ` + disputeColumns + ` FROM order_disputes WHERE order_id = $1`
	var disputes []Dispute
	if err := s.db.SelectContext(ctx, &disputes, qd, orderID); err != nil {
		return nil, database.MapError(err)
	}
	for i := range out {
		r := &out[i]
		r.Lines = []ReceiptLine{}
		for _, l := range lines {
			if l.ReceiptID == r.ID {
				r.Lines = append(r.Lines, l)
			}
		}
		for j := range disputes {
			if disputes[j].ReceiptID == r.ID {
				r.Dispute = &disputes[j]
			}
		}
	}
	return out, nil
}

// receipt returns receipt id of order orderID, or its latest when id is 0
// or was not recorded.
func (s *Store) receipt(ctx context.Context, orderID, id int64) (*Receipt, error) {
	rs, err := s.receipts(ctx, orderID, id)
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 && id != 0 {
		return s.receipt(ctx, orderID, 0)
	}
	if len(rs) == 0 {
		return nil, apperr.NotFound("not_found.receipt")
	}
	return &rs[len(rs)-1], nil
}

// openDisputes counts the open disputes of order orderID.
func (s *Store) openDisputes(ctx context.Context, orderID int64) (int, error) {
	const q = `SELECT count(*) FROM order_disputes WHERE order_id = $1 AND status = 'open'`
	var n int
	err := s.db.GetContext(ctx, &n, q, orderID)
	return n, database.MapError(err)
}

// creditedLines returns the lines of order orderID disputed in a receipt
// whose dispute the supplier accepted (what is missing of them is
// credited).
func (s *Store) creditedLines(ctx context.Context, orderID int64) (map[int64]bool, error) {
	const q = `SELECT DISTINCT rl.line_id FROM order_receipt_lines rl JOIN order_disputes d ON d.receipt_id = rl.receipt_id
		WHERE d.order_id = $1 AND d.status = 'accepted' AND rl.disputed`
	var ids []int64
	if err := s.db.SelectContext(ctx, &ids, q, orderID); err != nil {
		return nil, database.MapError(err)
	}
	out := make(map[int64]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}
