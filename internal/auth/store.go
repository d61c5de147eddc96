package auth

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"madaf/internal/apperr"
	"madaf/internal/database"
	"madaf/internal/paging"
)

// Session and throttling settings.
const (
	SessionTTL         = 12 * time.Hour
	throttleWindow     = 15 * time.Minute
	maxFailsPerEmail   = 5
	maxFailsPerAddress = 20
)

// Store keeps users, sessions, API tokens and failed logins.
type Store struct {
	db *sqlx.DB
}

// NewStore returns a Store over db.
func NewStore(db *sqlx.DB) *Store { return &Store{db: db} }

type userRow struct {
	User
	PasswordHash string         `db:"password_hash"`
	RoleList     pq.StringArray `db:"roles"`
}

func (r *userRow) user() *User {
	u := r.User
	u.Roles = []string(r.RoleList)
	return &u
}

const userColumns = `u.id, u.email, u.name, u.password_hash, u.org_kind, u.authority_id, u.supplier_id, u.roles, u.lang, u.active, u.created_at`

// CreateUser validates nu, hashes its password and stores it. A duplicate
// e-mail is a conflict.
func (s *Store) CreateUser(ctx context.Context, nu NewUser) (*User, error) {
	var fields []apperr.FieldError
	nu.Email = strings.TrimSpace(nu.Email)
	if !strings.Contains(nu.Email, "@") || len(nu.Email) > 254 {
		fields = append(fields, apperr.Field("email", "must be an e-mail address"))
	}
	if strings.TrimSpace(nu.Name) == "" {
		fields = append(fields, apperr.Field("name", "is required"))
	}
	if len(nu.Password) < 10 {
		fields = append(fields, apperr.Field("password", "must have at least 10 characters"))
	}
	allowed, ok := rolesOf[nu.OrgKind]
	if !ok {
		fields = append(fields, apperr.Field("org", "must be cluster, authority or supplier"))
	}
	if len(nu.Roles) == 0 {
		fields = append(fields, apperr.Field("roles", "at least one role is required"))
	}
	for _, r := range nu.Roles {
		if ok && !slices.Contains(allowed, r) {
			fields = append(fields, apperr.Field("roles", "role %q does not belong to a %s user", r, nu.OrgKind))
		}
	}
	if nu.Lang == "" {
		nu.Lang = "he"
	}
	if len(fields) > 0 {
		return nil, apperr.Invalid("the user is invalid", fields...)
	}
	hash, err := HashPassword(nu.Password)
	if err != nil {
		return nil, err
	}
	const q = `
		INSERT INTO users (email, name, password_hash, org_kind, authority_id, supplier_id, roles, lang)
		VALUES ($1, $2, $3, $4, NULLIF($5, 0), NULLIF($6, 0), $7, $8)
		RETURNING id`
	var id int64
	err = s.db.GetContext(ctx, &id, q, nu.Email, nu.Name, hash, nu.OrgKind, nu.AuthorityID, nu.SupplierID, pq.StringArray(nu.Roles), nu.Lang)
	if database.IsUniqueViolation(err) {
		return nil, apperr.Conflict("a user with e-mail %s already exists", nu.Email)
	}
	if err != nil {
		if apperr.Is(database.MapError(err), apperr.KindInvalid) {
			return nil, apperr.Invalid("the user is invalid", apperr.Field("org", "the authority or supplier does not exist, or does not fit the organisation kind"))
		}
		return nil, err
	}
	return s.User(ctx, id)
}

// User returns the user with id, or apperr.ErrNotFound.
func (s *Store) User(ctx context.Context, id int64) (*User, error) {
	var r userRow
	err := s.db.GetContext(ctx, &r, `SELECT `+userColumns+` FROM users u WHERE u.id = $1`, id)
	if err != nil {
		return nil, database.MapError(err)
	}
	return r.user(), nil
}

// Users lists a page of the users in id order: all of them, or those of
// one organisation when authorityID or supplierID is non-zero.
func (s *Store) Users(ctx context.Context, authorityID, supplierID int64, pg paging.Page) ([]*User, error) {
	const q = `SELECT ` + userColumns + ` FROM users u
		WHERE ($1 = 0 OR u.authority_id = $1) AND ($2 = 0 OR u.supplier_id = $2) AND u.id > $3
		ORDER BY u.id LIMIT $4`
	var rows []userRow
	if err := s.db.SelectContext(ctx, &rows, q, authorityID, supplierID, pg.After, pg.Limit); err != nil {
		return nil, err
	}
	out := make([]*User, len(rows))
	for i := range rows {
		out[i] = rows[i].user()
	}
	return out, nil
}

// SetLang stores the user's language (he, ar or en).
func (s *Store) SetLang(ctx context.Context, userID int64, lang string) error {
	if lang != "he" && lang != "ar" && lang != "en" {
		return apperr.Invalid("unknown language", apperr.Field("lang", "must be one of: he ar en"))
	}
	_, err := s.db.ExecContext(ctx, `UPDATE users SET lang = $2 WHERE id = $1`, userID, lang)
	return err
}

// ResolveOrg reads an organisation spec of the CLI: "cluster",
// "authority:<id or CBS code>" or "supplier:<company number>".
func (s *Store) ResolveOrg(ctx context.Context, spec string) (kind string, authorityID, supplierID int64, err error) {
	kind, ref, _ := strings.Cut(spec, ":")
	switch kind {
	case OrgCluster:
		return kind, 0, 0, nil
	case OrgAuthority:
		err = s.db.GetContext(ctx, &authorityID, `SELECT id FROM authorities WHERE code = $1 OR id::text = $1 ORDER BY (code = $1) DESC LIMIT 1`, ref)
	case OrgSupplier:
		err = s.db.GetContext(ctx, &supplierID, `SELECT id FROM suppliers WHERE company_number = $1`, ref)
	default:
		return "", 0, 0, fmt.Errorf("organisation %q: want cluster, authority:<id or code> or supplier:<company number>", spec)
	}
	if err != nil {
		return "", 0, 0, fmt.Errorf("organisation %q: %w", spec, database.MapError(err))
	}
	return kind, authorityID, supplierID, nil
}

// Authenticate checks an e-mail and password. Failures are recorded; once
// an account or an address has too many recent failures, it answers
// KindTooManyRequests with the seconds to wait, whatever the password.
//
// Attempts for one account (and for one address) are serialised by
// transaction-scoped advisory locks taken in a fixed order (account, then
// address), so that concurrent guesses cannot all pass the check before
// any failure is recorded.
func (s *Store) Authenticate(ctx context.Context, email, password, address string) (*User, error) {
	var (
		user    *User
		outcome error
	)
	err := database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		user, outcome = nil, nil
		const lock = `SELECT pg_advisory_xact_lock(1, hashtext(lower($1))), pg_advisory_xact_lock(2, hashtext($2))`
		if _, err := tx.ExecContext(ctx, lock, email, address); err != nil {
			return err
		}
		wait, err := throttled(ctx, tx, email, address)
		if err != nil {
			return err
		}
		if wait > 0 {
			outcome = &apperr.Error{Kind: apperr.KindTooManyRequests, Msg: apperr.M("too many failed logins; try again later"), RetryAfter: wait}
			return nil
		}
		var r userRow
		err = tx.GetContext(ctx, &r, `SELECT `+userColumns+` FROM users u WHERE lower(u.email) = lower($1)`, email)
		hash := dummyHash // an unknown e-mail takes as long as a known one
		if err == nil {
			hash = r.PasswordHash
		}
		// The hash is checked first, so that a deactivated account answers
		// as slowly as an active one.
		if CheckPassword(hash, password) && err == nil && r.Active {
			user = r.user()
			_, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE lower(email) = lower($1)`, email)
			return err
		}
		outcome = apperr.Unauthorized("wrong e-mail or password")
		_, err = tx.ExecContext(ctx, `INSERT INTO login_failures (email, address) VALUES ($1, $2)`, email, address)
		return err
	})
	if err != nil {
		return nil, err
	}
	return user, outcome
}

// throttled returns how many seconds the caller must wait, or 0.
func throttled(ctx context.Context, q sqlx.QueryerContext, email, address string) (int, error) {
	const query = `
		SELECT count(*) FILTER (WHERE lower(email) = lower($1)) AS by_email,
		       min(at) FILTER (WHERE lower(email) = lower($1)) AS email_oldest,
		       count(*) FILTER (WHERE address = $2) AS by_address,
		       min(at) FILTER (WHERE address = $2) AS address_oldest
		FROM login_failures
		WHERE at > now() - $3::interval AND (lower(email) = lower($1) OR address = $2)`
	var r struct {
		ByEmail       int        `db:"by_email"`
		EmailOldest   *time.Time `db:"email_oldest"`
		ByAddress     int        `db:"by_address"`
		AddressOldest *time.Time `db:"address_oldest"`
	}
	if err := sqlx.GetContext(ctx, q, &r, query, email, address, strconv.Itoa(int(throttleWindow.Seconds()))+" seconds"); err != nil {
		return 0, err
	}
	wait := func(oldest *time.Time) int {
		if oldest == nil {
			return 1
		}
		return max(1, int(time.Until(oldest.Add(throttleWindow)).Seconds())+1)
	}
	switch {
	case r.ByEmail >= maxFailsPerEmail:
		return wait(r.EmailOldest), nil
	case r.ByAddress >= maxFailsPerAddress:
		return wait(r.AddressOldest), nil
	}
	return 0, nil
}

// NewSession stores a session for userID and returns its secret, which only
// the cookie holds.
func (s *Store) NewSession(ctx context.Context, userID int64) (string, time.Time, error) {
	secret, hash := newSecret("")
	expires := time.Now().Add(SessionTTL)
	_, err := s.db.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ($1, $2, $3)`, hash, userID, expires)
	return secret, expires, err
}

// DeleteSession ends the session with secret.
func (s *Store) DeleteSession(ctx context.Context, secret string) error {
	_, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = $1`, hashSecret(secret))
	return err
}

// SessionUser returns the active user of an unexpired session.
func (s *Store) SessionUser(ctx context.Context, secret string) (*User, error) {
	const q = `SELECT ` + userColumns + ` FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = $1 AND s.expires_at > now() AND u.active`
	var r userRow
	if err := s.db.GetContext(ctx, &r, q, hashSecret(secret)); err != nil {
		return nil, database.MapError(err)
	}
	return r.user(), nil
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

// NewToken creates a personal API token for userID.
func (s *Store) NewToken(ctx context.Context, userID int64, name string) (*APIToken, error) {
	secret, hash := newSecret("mdf_")
	var t APIToken
	err := s.db.GetContext(ctx, &t, `INSERT INTO api_tokens (user_id, name, token_hash) VALUES ($1, $2, $3)
		RETURNING id, name, created_at, last_used_at, revoked_at`, userID, name, hash)
	if err != nil {
		return nil, err
	}
	t.Token = secret
	return &t, nil
}

// Tokens lists userID's tokens.
func (s *Store) Tokens(ctx context.Context, userID int64) ([]APIToken, error) {
	ts := []APIToken{}
	err := s.db.SelectContext(ctx, &ts, `SELECT id, name, created_at, last_used_at, revoked_at FROM api_tokens WHERE user_id = $1 ORDER BY id`, userID)
	return ts, err
}

// RevokeToken revokes one of userID's tokens; another user's token is not
// found.
func (s *Store) RevokeToken(ctx context.Context, userID, tokenID int64) error {
	res, err := s.db.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL`, tokenID, userID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return apperr.NotFound("not_found.token")
	}
	return nil
}

// TokenUser returns the active user of an unrevoked token.
func (s *Store) TokenUser(ctx context.Context, secret string) (*User, error) {
	const q = `UPDATE api_tokens t SET last_used_at = now() FROM users u
		WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.id = t.user_id AND u.active
		RETURNING ` + userColumns
	var r userRow
	if err := s.db.GetContext(ctx, &r, q, hashSecret(secret)); err != nil {
		return nil, database.MapError(err)
	}
	return r.user(), nil
}

// SetActive activates or deactivates a user; a deactivated user's sessions
// end at once and its tokens stop working.
func (s *Store) SetActive(ctx context.Context, userID int64, active bool) error {
	res, err := s.db.ExecContext(ctx, `UPDATE users SET active = $2 WHERE id = $1`, userID, active)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return apperr.NotFound("not_found.user")
	}
	if !active {
		_, err = s.db.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID)
	}
	return err
}
