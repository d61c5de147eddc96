package auth

import (
	"context"
	"time"

	"madaf/internal/apperr"
	"madaf/internal/database"
)

// maxUserAgent is the longest user agent a session keeps.
const maxUserAgent = 512

// Session is one of a user's live sessions as their account page lists it.
type Session struct {
	ID         int64     `db:"id" json:"id"`
	CreatedAt  time.Time `db:"created_at" json:"created_at"`
	LastUsedAt time.Time `db:"last_used_at" json:"last_used_at"`
	ExpiresAt  time.Time `db:"expires_at" json:"expires_at"`
	Address    string    `db:"address" json:"address"`
	UserAgent  string    `db:"user_agent" json:"user_agent"`
	// Current is true for the session the request came with.
	Current bool `db:"current" json:"current"`
}

// OpenSession stores a session for userID opened from address with the
// browser userAgent, and returns its secret, which only the cookie holds,
// and when it expires.
func (s *Store) OpenSession(ctx context.Context, userID int64, address, userAgent string) (secret string, expires time.Time, err error) {
	defer apperr.Wrap(&err, "auth.Store.OpenSession(%d, %s)", userID, address)
	secret, hash := newSecret("")
	expires = time.Now().Add(SessionTTL)
	if len(userAgent) > maxUserAgent {
		userAgent = userAgent[:maxUserAgent]
	}
	const q = `INSERT INTO sessions (token_hash, user_id, expires_at, address, user_agent) VALUES ($1, $2, $3, $4, $5)`
	if _, err := s.db.ExecContext(ctx, q, hash, userID, expires, address, userAgent); err != nil {
		return "", time.Time{}, database.MapError(err)
	}
	return secret, expires, nil
}

// Sessions lists userID's unexpired sessions, the one used last first;
// the one whose secret is current is marked Current.
func (s *Store) Sessions(ctx context.Context, userID int64, current string) (_ []Session, err error) {
	defer apperr.Wrap(&err, "auth.Store.Sessions(%d)", userID)
	const q = `SELECT id, created_at, last_used_at, expires_at, address, user_agent, token_hash = $2 AS current
		FROM sessions WHERE user_id = $1 AND expires_at > now() ORDER BY last_used_at DESC, id DESC`
	out := []Session{}
	if err := s.db.SelectContext(ctx, &out, q, userID, hashSecret(current)); err != nil {
		return nil, err
	}
	return out, nil
}

// EndUserSession ends userID's session with id; another user's session, or
// one that has ended, is not_found.session.
func (s *Store) EndUserSession(ctx context.Context, userID, id int64) (err error) {
	defer apperr.Wrap(&err, "auth.Store.EndUserSession(%d, %d)", userID, id)
	const q = `DELETE FROM sessions WHERE id = $1 AND user_id = $2`
	res, err := s.db.ExecContext(ctx, q, id, userID)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return apperr.NotFound("not_found.session")
	}
	return nil
}

// EndOtherSessions ends every session of userID but the one whose secret
// is keep (all of them when keep is empty) and returns how many ended.
func (s *Store) EndOtherSessions(ctx context.Context, userID int64, keep string) (n int64, err error) {
	defer apperr.Wrap(&err, "auth.Store.EndOtherSessions(%d)", userID)
	const q = `DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2`
	res, err := s.db.ExecContext(ctx, q, userID, hashSecret(keep))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
