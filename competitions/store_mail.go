package competitions

import (
	"context"

	"github.com/lib/pq"
)

// recipient is someone a competition mail goes to, in the language it is
// written in.
type recipient struct {
	Email string `db:"email"`
	Lang  string `db:"lang"`
}

// supplierRecipient returns the supplier's contact address (empty when it
// has none) in the language most of its active users read, Hebrew when it
// has none.
func (s *Store) supplierRecipient(ctx context.Context, supplierID int64) (recipient, error) {
	const q = `SELECT sp.email,
			coalesce((SELECT u.lang FROM users u WHERE u.supplier_id = sp.id AND u.active
				GROUP BY u.lang ORDER BY count(*) DESC, min(u.id) LIMIT 1), 'he') AS lang
		FROM suppliers sp WHERE sp.id = $1`
	var r recipient
	err := s.db.GetContext(ctx, &r, q, supplierID)
	return r, err
}

// userRecipient returns user id, when active, as a mail recipient (none
// when inactive).
func (s *Store) userRecipient(ctx context.Context, id int64) ([]recipient, error) {
	const q = `SELECT email, lang FROM users WHERE id = $1 AND active`
	var out []recipient
	err := s.db.SelectContext(ctx, &out, q, id)
	return out, err
}

// authorityRecipients returns the active users of authority authorityID
// holding any of roles.
func (s *Store) authorityRecipients(ctx context.Context, authorityID int64, roles []string) ([]recipient, error) {
	const q = `SELECT email, lang FROM users WHERE authority_id = $1 AND active AND roles && $2::text[] ORDER BY id`
	var out []recipient
	err := s.db.SelectContext(ctx, &out, q, authorityID, pq.Array(roles))
	return out, err
}

// queueMail adds a rendered mail to the outbox with the Message-ID every
// copy of it will carry (queue_mail; it is about no order).
func (s *Store) queueMail(ctx context.Context, kind, to, lang, subject, body, domain string) error {
	const q = `SELECT queue_mail(NULL::bigint, $1, $2, $3, $4, $5, $6)`
	_, err := s.db.ExecContext(ctx, q, kind, to, lang, subject, body, domain)
	return err
}

// authorityNames returns authority id's name in each language (the Hebrew
// where it has none in one).
func (s *Store) authorityNames(ctx context.Context, id int64) (map[string]string, error) {
	const q = `SELECT name_in('he', name_he, name_ar, name_en) AS he, name_in('ar', name_he, name_ar, name_en) AS ar,
			name_in('en', name_he, name_ar, name_en) AS en
		FROM authorities WHERE id = $1`
	var r struct {
		He string `db:"he"`
		Ar string `db:"ar"`
		En string `db:"en"`
	}
	if err := s.db.GetContext(ctx, &r, q, id); err != nil {
		return nil, err
	}
	return map[string]string{"he": r.He, "ar": r.Ar, "en": r.En}, nil
}
