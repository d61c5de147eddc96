package auth

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"madaf/internal/apperr"
	"madaf/internal/database"
)

// SessionTTL is how long a session lasts from sign-in.
const SessionTTL = 12 * time.Hour

// Store keeps sessions and personal API tokens, and reads the principal
// they stand for.
type Store struct {
	db database.Handle
}

// NewStore returns a Store over the pool db.
func NewStore(db *sqlx.DB) *Store { return &Store{db: database.Audited(db)} }

// InTx returns the Store running its statements in tx.
func (s *Store) InTx(tx *sqlx.Tx) *Store { return &Store{db: tx} }

// principalRow is a principal as the lookups select it.
type principalRow struct {
	UserID      int64          `db:"id"`
	Email       string         `db:"email"`
	Name        string         `db:"name"`
	OrgKind     string         `db:"org_kind"`
	AuthorityID int64          `db:"authority_id"`
	SupplierID  int64          `db:"supplier_id"`
	Roles       pq.StringArray `db:"roles"`
	Lang        string         `db:"lang"`
	OrgNameHe   string         `db:"org_name_he"`
	OrgNameAr   string         `db:"org_name_ar"`
	OrgNameEn   string         `db:"org_name_en"`
	// SecondFactorDue: see Principal.
	SecondFactorDue bool `db:"second_factor_due"`
}

func (r *principalRow) principal() *Principal {
	return &Principal{UserID: r.UserID, Email: r.Email, Name: r.Name, OrgKind: r.OrgKind,
		AuthorityID: r.AuthorityID, SupplierID: r.SupplierID, Roles: []string(r.Roles), Lang: r.Lang,
		OrgNameHe: r.OrgNameHe, OrgNameAr: r.OrgNameAr, OrgNameEn: r.OrgNameEn, SecondFactorDue: r.SecondFactorDue}
}

// principalColumns and principalJoins select a principal from users u
// with its organisation's name in each language.
const (
	principalColumns = `u.id, u.email, u.name, u.org_kind,
		coalesce(u.authority_id, 0) AS authority_id, coalesce(u.supplier_id, 0) AS supplier_id, u.roles, u.lang,
		coalesce(name_in('he', a.name_he, a.name_ar, a.name_en), sp.legal_name, '') AS org_name_he,
		coalesce(name_in('ar', a.name_he, a.name_ar, a.name_en), sp.legal_name, '') AS org_name_ar,
		coalesce(name_in('en', a.name_he, a.name_ar, a.name_en), sp.legal_name, '') AS org_name_en,
		u.totp_enabled_at IS NULL AND second_factor_required(u.id, u.roles) AS second_factor_due`
	principalJoins = `
		LEFT JOIN authorities a ON a.id = u.authority_id
		LEFT JOIN suppliers sp ON sp.id = u.supplier_id`
)

// Principal returns the principal of user userID, active or not, or
// apperr.ErrNotFound.
func (s *Store) Principal(ctx context.Context, userID int64) (_ *Principal, err error) {
	defer apperr.Wrap(&err, "auth.Store.Principal(%d)", userID)
	const q = `SELECT ` + principalColumns + ` FROM users u` + principalJoins + ` WHERE u.id = $1`
	var r principalRow
	if err := s.db.GetContext(ctx, &r, q, userID); err != nil {
		return nil, database.MapError(err)
	}
	return r.principal(), nil
}

// PrincipalByEmail returns the principal of the user with e-mail address
// email (in any case), active or not, or apperr.ErrNotFound.
func (s *Store) PrincipalByEmail(ctx context.Context, email string) (_ *Principal, err error) {
	defer apperr.Wrap(&err, "auth.Store.PrincipalByEmail")
	const q = `SELECT ` + principalColumns + ` FROM users u` + principalJoins + ` WHERE lower(u.email) = lower($1)`
	var r principalRow
	if err := s.db.GetContext(ctx, &r, q, email); err != nil {
		return nil, database.MapError(err)
	}
	return r.principal(), nil
}

// NewSession stores a session for userID and returns its secret, which only
// the cookie holds, and when it expires.
func (s *Store) NewSession(ctx context.Context, userID int64) (secret string, expires time.Time, err error) {
	defer apperr.Wrap(&err, "auth.Store.NewSession(%d)", userID)
	return s.OpenSession(ctx, userID, "", "")
}

// DeleteSession ends the session with secret; an unknown secret is no
// error.
func (s *Store) DeleteSession(ctx context.Context, secret string) (err error) {
	defer apperr.Wrap(&err, "auth.Store.DeleteSession")
	const q = `DELETE FROM sessions WHERE token_hash = $1`
	_, err = s.db.ExecContext(ctx, q, hashSecret(secret))
	return err
}

// SessionPrincipal returns the principal of an unexpired session of an
// active user, or apperr.ErrNotFound. Like TokenPrincipal it notes the
// session's use (last_used_at) at most once a minute.
func (s *Store) SessionPrincipal(ctx context.Context, secret string) (_ *Principal, err error) {
	defer apperr.Wrap(&err, "auth.Store.SessionPrincipal")
	const q = `WITH session AS (
			SELECT s.token_hash, s.user_id FROM sessions s JOIN users u ON u.id = s.user_id
			WHERE s.token_hash = $1 AND s.expires_at > now() AND u.active),
		used AS (
			UPDATE sessions s SET last_used_at = now() FROM session
			WHERE s.token_hash = session.token_hash AND s.last_used_at < now() - interval '1 minute')
		SELECT ` + principalColumns + ` FROM session JOIN users u ON u.id = session.user_id` + principalJoins
	var r principalRow
	if err := s.db.GetContext(ctx, &r, q, hashSecret(secret)); err != nil {
		return nil, database.MapError(err)
	}
	return r.principal(), nil
}

// APIToken is a personal API token as listed; the secret is shown once, at
// creation, and never stored.
type APIToken struct {
	ID         int64      `db:"id" json:"id"`
	Name       string     `db:"name" json:"name"`
	CreatedAt  time.Time  `db:"created_at" json:"created_at"`
	LastUsedAt *time.Time `db:"last_used_at" json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `db:"revoked_at" json:"revoked_at,omitempty"`
	Token      string     `db:"-" json:"token,omitempty"`
}

// NewToken creates a personal API token for userID; the result holds its
// secret.
func (s *Store) NewToken(ctx context.Context, userID int64, name string) (_ *APIToken, err error) {
	defer apperr.Wrap(&err, "auth.Store.NewToken(%d, %q)", userID, name)
	secret, hash := newSecret("mdf_")
	const q = `INSERT INTO api_tokens (user_id, name, token_hash) VALUES ($1, $2, $3)
		RETURNING id, name, created_at, last_used_at, revoked_at`
	var t APIToken
	if err := s.db.GetContext(ctx, &t, q, userID, name, hash); err != nil {
		return nil, database.MapError(err)
	}
	t.Token = secret
	return &t, nil
}

// Tokens lists userID's tokens in the order they were made, without their
// secrets.
func (s *Store) Tokens(ctx context.Context, userID int64) (_ []APIToken, err error) {
	defer apperr.Wrap(&err, "auth.Store.Tokens(%d)", userID)
	const q = `SELECT id, name, created_at, last_used_at, revoked_at FROM api_tokens WHERE user_id = $1 ORDER BY id`
	ts := []APIToken{}
	if err := s.db.SelectContext(ctx, &ts, q, userID); err != nil {
		return nil, err
	}
	return ts, nil
}

// RevokeToken revokes one of userID's tokens; another user's token, or one
// revoked already, is not found.
func (s *Store) RevokeToken(ctx context.Context, userID, tokenID int64) (err error) {
	defer apperr.Wrap(&err, "auth.Store.RevokeToken(%d, %d)", userID, tokenID)
	const q = `UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL`
	res, err := s.db.ExecContext(ctx, q, tokenID, userID)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return apperr.NotFound("not_found.token")
	}
	return nil
}

// TokenPrincipal returns the principal of an unrevoked token of an active
// user, or apperr.ErrNotFound, in one statement. It notes the token's use
// (last_used_at) at most once a minute: a lookup of a token used
// within the last minute writes nothing, so it costs no commit.
func (s *Store) TokenPrincipal(ctx context.Context, secret string) (_ *Principal, err error) {
	defer apperr.Wrap(&err, "auth.Store.TokenPrincipal")
	const q = `WITH token AS (
			SELECT t.id, t.user_id FROM api_tokens t JOIN users u ON u.id = t.user_id
			WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.active),
		used AS (
			UPDATE api_tokens t SET last_used_at = now() FROM token
			WHERE t.id = token.id AND (t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute'))
		SELECT ` + principalColumns + ` FROM token JOIN users u ON u.id = token.user_id` + principalJoins
	var r principalRow
	if err := s.db.GetContext(ctx, &r, q, hashSecret(secret)); err != nil {
		return nil, database.MapError(err)
	}
	return r.principal(), nil
}
