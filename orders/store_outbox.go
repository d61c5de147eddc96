package orders

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/lib/pq"

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

// roleHolders returns the ids of the active users of an authority holding
// role.
func (s *Store) roleHolders(ctx context.Context, authorityID int64, role string) ([]int64, error) {
	const q = `SELECT id FROM users WHERE authority_id = $1 AND active AND $2 = ANY(roles) ORDER BY id`
	var out []int64
	err := s.db.SelectContext(ctx, &out, q, authorityID, role)
	return out, err
}

// activeRecipients returns the active users among ids as mail
// recipients, each once, by id.
func (s *Store) activeRecipients(ctx context.Context, ids []int64) ([]recipient, error) {
	const q = `SELECT id, email, lang FROM users WHERE id = ANY($1) AND active ORDER BY id`
	var out []recipient
	err := s.db.SelectContext(ctx, &out, q, pq.Array(ids))
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

// queueMail adds a rendered mail about order orderID to the outbox, with
// the Message-ID every copy of it will carry: the row's id and the time it
// was queued at domain (queue_mail).
func (s *Store) queueMail(ctx context.Context, orderID int64, kind, to, lang, subject, body, domain string) error {
	const q = `SELECT queue_mail($1, $2, $3, $4, $5, $6, $7)`
	_, err := s.db.ExecContext(ctx, q, orderID, kind, to, lang, subject, body, domain)
	return err
}

// outboxRow is a mail claimed for sending; Attempts counts this one.
type outboxRow struct {
	ID        int64  `db:"id"`
	MessageID string `db:"message_id"`
	Recipient string `db:"recipient"`
	Subject   string `db:"subject"`
	Body      string `db:"body"`
	Attempts  int    `db:"attempts"`
}

// claimMail leases the pending mail due first (then oldest) to its caller
// for lease, in a statement of its own: its next attempt moves to the end
// of the lease and its attempts count this one. A mail another sender is
// claiming at the same moment is skipped. ok is false when none is due.
func (s *Store) claimMail(ctx context.Context, lease time.Duration) (r outboxRow, ok bool, err error) {
	const q = `UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = now() + make_interval(secs => $1)
		WHERE id = (SELECT id FROM mail_outbox WHERE status = 'pending' AND next_attempt_at <= now()
			ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
		RETURNING id, message_id, recipient, subject, body, attempts`
	err = s.db.GetContext(ctx, &r, q, lease.Seconds())
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	return r, err == nil, err
}

// mailSent records that pending mail id was sent, whichever sender's claim
// it was sent under.
func (s *Store) mailSent(ctx context.Context, id int64) error {
	const q = `UPDATE mail_outbox SET status = 'sent', sent_at = now(), last_error = '' WHERE id = $1 AND status = 'pending'`
	_, err := s.db.ExecContext(ctx, q, id)
	return database.MapError(err)
}

// mailFailed records the failure of attempt attempts of pending mail id:
// its status (pending or dead), the error and the wait before the next
// attempt. When the lease ran out and another sender claimed the mail
// since (the attempts moved on), the other sender's outcome stands.
func (s *Store) mailFailed(ctx context.Context, id int64, attempts int, status, msg string, wait time.Duration) error {
	const q = `UPDATE mail_outbox SET status = $2, last_error = $3, next_attempt_at = now() + make_interval(secs => $4)
		WHERE id = $1 AND status = 'pending' AND attempts = $5`
	_, err := s.db.ExecContext(ctx, q, id, status, msg, wait.Seconds(), attempts)
	return database.MapError(err)
}
