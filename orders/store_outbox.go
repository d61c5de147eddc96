package orders

import (
	"context"
	"time"

	"madaf/internal/database"
)

// recipient is someone an order mail goes to, with the language it is
// written in.
type recipient struct {
	UserID int64  `db:"id"`
	Email  string `db:"email"`
	Lang   string `db:"lang"`
}

// authorityUsers returns the active users of an authority holding role.
func (s *Store) authorityUsers(ctx context.Context, authorityID int64, role string) ([]recipient, error) {
	const q = `SELECT id, email, lang FROM users WHERE authority_id = $1 AND active AND $2 = ANY(roles) ORDER BY id`
	var out []recipient
	err := s.db.SelectContext(ctx, &out, q, authorityID, role)
	return out, err
}

// userRecipient returns user id as a mail recipient.
func (s *Store) userRecipient(ctx context.Context, id int64) (recipient, error) {
	const q = `SELECT id, email, lang FROM users WHERE id = $1`
	var r recipient
	err := s.db.GetContext(ctx, &r, q, id)
	return r, err
}

// supplierRecipient returns the supplier's contact address (empty when it
// has none) in the language most of its active users read, Hebrew when it
// has none.
func (s *Store) supplierRecipient(ctx context.Context, supplierID int64) (recipient, error) {
	const q = `SELECT s.email,
			coalesce((SELECT u.lang FROM users u WHERE u.supplier_id = s.id AND u.active
				GROUP BY u.lang ORDER BY count(*) DESC, min(u.id) LIMIT 1), 'he') AS lang
		FROM suppliers s WHERE s.id = $1`
	var r recipient
	err := s.db.GetContext(ctx, &r, q, supplierID)
	return r, err
}

// queueMail adds a rendered mail about order orderID to the outbox.
func (s *Store) queueMail(ctx context.Context, orderID int64, kind, to, lang, subject, body string) error {
	const q = `INSERT INTO mail_outbox (order_id, kind, recipient, lang, subject, body) VALUES ($1, $2, $3, $4, $5, $6)`
	_, err := s.db.ExecContext(ctx, q, orderID, kind, to, lang, subject, body)
	return err
}

// outboxRow is a mail claimed for sending.
type outboxRow struct {
	ID        int64  `db:"id"`
	Recipient string `db:"recipient"`
	Subject   string `db:"subject"`
	Body      string `db:"body"`
	Attempts  int    `db:"attempts"`
}

// claimMails locks up to limit pending mails that are due, skipping those
// another sender holds, oldest due first.
func (s *Store) claimMails(ctx context.Context, limit int) ([]outboxRow, error) {
	const q = `SELECT id, recipient, subject, body, attempts FROM mail_outbox
		WHERE status = 'pending' AND next_attempt_at <= now()
		ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED`
	var rows []outboxRow
	err := s.db.SelectContext(ctx, &rows, q, limit)
	return rows, err
}

// mailSent records that mail id was sent.
func (s *Store) mailSent(ctx context.Context, id int64) error {
	const q = `UPDATE mail_outbox SET status = 'sent', attempts = attempts + 1, sent_at = now(), last_error = '' WHERE id = $1`
	_, err := s.db.ExecContext(ctx, q, id)
	return database.MapError(err)
}

// mailFailed records a failed attempt of mail id: its status (pending or
// dead), the attempts so far, the error and the wait before the next
// attempt.
func (s *Store) mailFailed(ctx context.Context, id int64, status string, attempts int, msg string, wait time.Duration) error {
	const q = `UPDATE mail_outbox SET status = $2, attempts = $3, last_error = $4,
		next_attempt_at = now() + make_interval(secs => $5) WHERE id = $1`
	_, err := s.db.ExecContext(ctx, q, id, status, attempts, msg, wait.Seconds())
	return database.MapError(err)
}
