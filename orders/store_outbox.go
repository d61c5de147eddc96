package orders

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"madaf/internal/calendar"
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

// slotRecipient is a user to mail that a slot awaits their signature.
type slotRecipient struct {
	Slot string `db:"slot"`
	recipient
}

// slotRecipients returns, for each of slots (each named after its role) of order
// orderID of authority authorityID, the active users who may fill it on
// day: the role's holders and the delegates of the slot whose delegation
// is in force that day and covers total; never who prepared the order in
// its current round (as preparers reads it). By slot, then user.
func (s *Store) slotRecipients(ctx context.Context, orderID, authorityID int64, slots []string, total decimal.Decimal, day calendar.Date) ([]slotRecipient, error) {
	const q = `
		WITH preparers AS (` + preparersQuery + `),
		candidates AS (
			SELECT s.slot, u.id FROM unnest($3::text[]) AS s(slot)
				JOIN users u ON u.authority_id = $2 AND s.slot = ANY(u.roles)
			UNION
			SELECT d.slot, d.delegate_id FROM signature_delegations d
			WHERE d.authority_id = $2 AND d.slot = ANY($3::text[])
				AND delegation_status(d.revoked_at, d.valid_from, d.valid_until, $5) = 'in_force' AND $4 <= d.max_total)
		SELECT c.slot, u.id, u.email, u.lang FROM candidates c JOIN users u ON u.id = c.id AND u.active
		WHERE u.id NOT IN (SELECT actor_id FROM preparers)
		ORDER BY c.slot, u.id`
	var out []slotRecipient
	err := s.db.SelectContext(ctx, &out, q, orderID, authorityID, pq.Array(slots), total, day)
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

// queuedMail is a rendered mail for the outbox.
type queuedMail struct{ kind, to, lang, subject, body string }

// queueMails adds rendered mails about order orderID to the outbox in one
// statement, each with the Message-ID every copy of it will carry: its
// row's id and the time it was queued at domain (queue_mail).
func (s *Store) queueMails(ctx context.Context, orderID int64, domain string, mails []queuedMail) error {
	const q = `SELECT queue_mail($1, m.kind, m.recipient, m.lang, m.subject, m.body, $2)
		FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[]) WITH ORDINALITY AS m(kind, recipient, lang, subject, body, n)
		ORDER BY m.n`
	var kinds, tos, langs, subjects, bodies []string
	for _, m := range mails {
		kinds, tos, langs = append(kinds, m.kind), append(tos, m.to), append(langs, m.lang)
		subjects, bodies = append(subjects, m.subject), append(bodies, m.body)
	}
	_, err := s.db.ExecContext(ctx, q, orderID, domain, pq.Array(kinds), pq.Array(tos), pq.Array(langs), pq.Array(subjects), pq.Array(bodies))
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
