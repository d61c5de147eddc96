package accounts

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/database"
	"madaf/internal/i18n"
)

// Purposes of a one-time token (account_tokens.purpose).
const (
	purposeReset      = "reset"
	purposeInvitation = "invitation"
	purposeSignIn     = "sign_in"
)

// How long a link lasts: a reset link an hour, an invitation a week. At
// most resetsPerHour reset links are sent to one user in an hour.
const (
	resetTTL      = 60 * time.Minute
	invitationTTL = 7 * 24 * time.Hour
	resetsPerHour = 3
)

// PasswordLink is a link that sets a password, as its sender sees it:
// never the link itself.
type PasswordLink struct {
	// Purpose is "reset" or "invitation" (for a user who has no password
	// yet).
	Purpose   string    `db:"purpose" json:"purpose"`
	ExpiresAt time.Time `db:"expires_at" json:"expires_at"`
}

// LinkHolder is who a valid link sets the password of, as its page shows it.
type LinkHolder struct {
	Purpose string `db:"purpose"`
	Name    string `db:"name"`
	Email   string `db:"email"`
}

// issueToken stores a one-time token of purpose for userID, good for ttl,
// made by user by (0: by the user themselves), and returns its secret.
func (s *Store) issueToken(ctx context.Context, userID int64, purpose string, ttl time.Duration, by int64) (string, time.Time, error) {
	secret, hash := auth.NewOneTimeSecret()
	const q = `INSERT INTO account_tokens (user_id, purpose, token_hash, created_by, created_at, expires_at)
		VALUES ($1, $2, $3, NULLIF($4, 0), $5, $6) RETURNING expires_at`
	now := s.now()
	var expires time.Time
	if err := s.db.GetContext(ctx, &expires, q, userID, purpose, hash, by, now, now.Add(ttl)); err != nil {
		return "", time.Time{}, err
	}
	return secret, expires, nil
}

// sendLink issues a link of purpose to u and mails it in u's language.
func (s *Store) sendLink(ctx context.Context, u *User, purpose string, by int64) (*PasswordLink, error) {
	ttl, kind := resetTTL, mailResetLink
	if purpose == purposeInvitation {
		ttl, kind = invitationTTL, mailInvitation
	}
	secret, expires, err := s.issueToken(ctx, u.ID, purpose, ttl, by)
	if err != nil {
		return nil, err
	}
	if err := s.queueMail(ctx, u, kind, s.link("/reset/"+secret), validUntil(expires)); err != nil {
		return nil, err
	}
	return &PasswordLink{Purpose: purpose, ExpiresAt: expires}, nil
}

// InviteUser creates the user nu describes, without a password (nu's is
// ignored), and mails them an invitation link, good for a week, by which
// they set one; by is the administrator. The refusals are CreateUser's.
func (s *Store) InviteUser(ctx context.Context, nu NewUser, by int64) (_ *User, err error) {
	defer apperr.Wrap(&err, "accounts.Store.InviteUser(%q)", nu.Email)
	var u *User
	err = database.Transact(ctx, s.db, func(tx *sqlx.Tx) error {
		st := s.InTx(tx)
		var err error
		if u, err = st.createUser(ctx, nu, false); err != nil {
			return err
		}
		_, err = st.sendLink(ctx, u, purposeInvitation, by)
		return err
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// SendPasswordLink mails user userID a link that sets their password: an
// invitation (a week) when they have none yet, else a reset link (an
// hour); by is the administrator, who never sees the link. The user's
// password keeps working until the link is used. An unknown user is
// not_found.user, a deactivated one a conflict (account.link_inactive).
func (s *Store) SendPasswordLink(ctx context.Context, userID, by int64) (_ *PasswordLink, err error) {
	defer apperr.Wrap(&err, "accounts.Store.SendPasswordLink(%d)", userID)
	var link *PasswordLink
	err = database.Transact(ctx, s.db, func(tx *sqlx.Tx) error {
		st := s.InTx(tx)
		u, err := st.User(ctx, userID)
		if apperr.Is(err, apperr.KindNotFound) {
			return apperr.NotFound("not_found.user")
		}
		if err != nil {
			return err
		}
		if !u.Active {
			return apperr.Conflict("account.link_inactive")
		}
		purpose := purposeReset
		if !u.HasPassword {
			purpose = purposeInvitation
		}
		link, err = st.sendLink(ctx, u, purpose, by)
		return err
	})
	return link, err
}

// RequestPasswordReset mails a reset link, good for an hour, to the active
// user with e-mail email, unless resetsPerHour links were sent to them in
// the last hour. It answers the same, and does the same work, whether or
// not there is such a user: one lookup, one mail rendered, one statement
// that stores the link and queues the mail only when the user exists. Since
// storing takes a little longer than not, it returns no sooner than
// resetAnswerTime after it was called (unless ctx ends first), so that its
// time tells no more than its answer.
func (s *Store) RequestPasswordReset(ctx context.Context, email string) (err error) {
	defer apperr.Wrap(&err, "accounts.Store.RequestPasswordReset")
	start := time.Now()
	defer func() {
		if err == nil {
			waitUntil(ctx, start.Add(resetAnswerTime))
		}
	}()
	const find = `SELECT ` + userColumns + ` FROM users u WHERE lower(u.email) = lower($1) AND u.active`
	var r userRow
	if err := s.db.GetContext(ctx, &r, find, email); err != nil && !apperr.Is(database.MapError(err), apperr.KindNotFound) {
		return err
	}
	u := r.user()
	secret, hash := auth.NewOneTimeSecret()
	lang := mailLang(u.Lang)
	now := s.now()
	expires := now.Add(resetTTL)
	subject, body := renderMail(i18n.For(lang), mailResetLink, u.Name, s.link("/reset/"+secret), validUntil(expires))
	const q = `
		WITH u AS (
			SELECT id, email FROM users
			WHERE lower(email) = lower($1) AND active
			  AND (SELECT count(*) FROM account_tokens t
			       WHERE t.user_id = users.id AND t.purpose = 'reset' AND t.created_at > $10::timestamptz - interval '1 hour') < $8),
		link AS (
			INSERT INTO account_tokens (user_id, purpose, token_hash, created_at, expires_at)
			SELECT id, 'reset', $2, $10, $3 FROM u RETURNING user_id)
		SELECT queue_mail(NULL, $4, u.email, $5, $6, $7, $9) FROM link JOIN u ON u.id = link.user_id`
	_, err = s.db.ExecContext(ctx, q, email, hash, expires, mailResetLink, lang, subject, body, resetsPerHour, s.mailDomain(), now)
	return err
}

// resetAnswerTime is how long a request for a reset link takes at least:
// far more than storing the link and its mail takes, little for a person.
const resetAnswerTime = 100 * time.Millisecond

// waitUntil returns at t, or when ctx ends if that is sooner.
func waitUntil(ctx context.Context, t time.Time) {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-ctx.Done():
	}
}

// linkQuery selects the holder of a valid link with the hash $1 at the
// time $2: unused, unexpired, of an active user.
const linkQuery = `SELECT t.id, t.user_id, t.purpose, u.name, u.email FROM account_tokens t JOIN users u ON u.id = t.user_id
	WHERE t.token_hash = $1 AND t.purpose IN ('reset', 'invitation') AND t.used_at IS NULL AND t.expires_at > $2 AND u.active`

type linkRow struct {
	ID     int64 `db:"id"`
	UserID int64 `db:"user_id"`
	LinkHolder
}

// PasswordLinkHolder returns whose password the link with secret sets; a
// link that is unknown, used or past (or whose user was deactivated) is
// not found (account.link_invalid).
func (s *Store) PasswordLinkHolder(ctx context.Context, secret string) (_ *LinkHolder, err error) {
	defer apperr.Wrap(&err, "accounts.Store.PasswordLinkHolder")
	var r linkRow
	if err := s.db.GetContext(ctx, &r, linkQuery, auth.HashSecret(secret), s.now()); err != nil {
		if apperr.Is(database.MapError(err), apperr.KindNotFound) {
			return nil, apperr.NotFound("account.link_invalid")
		}
		return nil, err
	}
	return &r.LinkHolder, nil
}

// SetPasswordByLink sets password as the password of the holder of the
// link with secret and uses the link up, with every other link of theirs;
// it ends all their sessions and, after a reset, mails them that the
// password changed. A user without a second factor is then signed in from
// address (see Authenticate); one with a second factor still owes the code.
// The link's refusals are PasswordLinkHolder's; a password that breaks the
// rules is invalid (account.password_invalid) and leaves the link unused.
func (s *Store) SetPasswordByLink(ctx context.Context, secret, password, address string) (_ *User, err error) {
	defer apperr.Wrap(&err, "accounts.Store.SetPasswordByLink(%s)", address)
	var u *User
	err = database.Transact(ctx, s.db, func(tx *sqlx.Tx) error {
		var r linkRow
		if err := tx.GetContext(ctx, &r, linkQuery+` FOR UPDATE OF t`, auth.HashSecret(secret), s.now()); err != nil {
			if apperr.Is(database.MapError(err), apperr.KindNotFound) {
				return apperr.NotFound("account.link_invalid")
			}
			return err
		}
		if faults := passwordFaults("password", password, r.Email); len(faults) > 0 {
			return apperr.Invalid("account.password_invalid", faults...)
		}
		st := s.InTx(tx)
		if err := st.setPassword(ctx, tx, r.UserID, password, ""); err != nil {
			return err
		}
		const used = `UPDATE account_tokens SET used_at = now()
			WHERE user_id = $1 AND purpose IN ('reset', 'invitation') AND used_at IS NULL`
		if _, err := tx.ExecContext(ctx, used, r.UserID); err != nil {
			return err
		}
		var err error
		if u, err = st.User(ctx, r.UserID); err != nil {
			return err
		}
		if r.Purpose == purposeReset {
			if err := st.queueMail(ctx, u, mailPasswordChanged, s.link("/forgot"), when(s.now()), from(address)); err != nil {
				return err
			}
		}
		if u.SecondFactor {
			return nil
		}
		return st.signedIn(ctx, u, u.Email, address)
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// setPassword stores password's hash as user userID's, spends the sign-ins
// still waiting for their code, and ends every session of theirs but the
// one with secret keep, in tx. With keep "" (a password set by a link, as
// after a lost or stolen password) it ends all their sessions and revokes
// their API tokens too.
func (s *Store) setPassword(ctx context.Context, tx *sqlx.Tx, userID int64, password, keep string) error {
	hash, err := auth.HashPassword(password)
	if err != nil {
		return err
	}
	const q = `
		WITH waiting AS (UPDATE account_tokens SET used_at = now()
			WHERE user_id = $1 AND purpose = 'sign_in' AND used_at IS NULL),
		tokens AS (UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL AND $3)
		UPDATE users SET password_hash = $2 WHERE id = $1`
	if _, err := s.db.ExecContext(ctx, q, userID, hash, keep == ""); err != nil {
		return err
	}
	_, err = new(auth.Store).InTx(tx).EndOtherSessions(ctx, userID, keep)
	return err
}

// ChangePassword changes user userID's password from current to next,
// asked from address by the session with secret keep, which stays; every
// other session of theirs ends, and they are mailed that it changed. A
// wrong current password is recorded and throttled as a failed sign-in
// (see Authenticate), answering too-many-requests (login.throttled) while
// throttled; it and a new password that breaks the rules answer invalid
// (account.password_invalid) with the fields current and new.
func (s *Store) ChangePassword(ctx context.Context, userID int64, current, next, address, keep string) (err error) {
	defer apperr.Wrap(&err, "accounts.Store.ChangePassword(%d, %s)", userID, address)
	var outcome error
	err = database.Transact(ctx, s.db, func(tx *sqlx.Tx) error {
		st := s.InTx(tx)
		u, refusal, err := st.checkPassword(ctx, tx, userID, current, address)
		if err != nil {
			return err
		}
		var fields []apperr.FieldError
		switch {
		case apperr.Is(refusal, apperr.KindTooManyRequests):
			outcome = refusal
			return nil
		case refusal != nil:
			fields = append(fields, apperr.Field("current", "account.current_wrong"))
		}
		fields = append(fields, passwordFaults("new", next, u.Email)...)
		if len(fields) > 0 {
			outcome = apperr.Invalid("account.password_invalid", fields...)
			return nil
		}
		if err := st.setPassword(ctx, tx, userID, next, keep); err != nil {
			return err
		}
		return st.queueMail(ctx, u, mailPasswordChanged, s.link("/forgot"), when(s.now()), from(address))
	})
	if err != nil {
		return err
	}
	return outcome
}

// checkPassword checks password as user userID's own, from address, in tx:
// the refusal is unauthorized (login.wrong, the failure recorded as a
// failed sign-in) or too-many-requests (login.throttled), with the same
// locks and throttling as Authenticate.
func (s *Store) checkPassword(ctx context.Context, tx *sqlx.Tx, userID int64, password, address string) (_ *User, refusal, err error) {
	const q = `SELECT ` + userColumns + ` FROM users u WHERE u.id = $1`
	var r userRow
	if err := tx.GetContext(ctx, &r, q, userID); err != nil {
		return nil, nil, database.MapError(err)
	}
	const lock = `SELECT pg_advisory_xact_lock(1, hashtext(lower($1))), pg_advisory_xact_lock(2, hashtext($2))`
	if _, err := tx.ExecContext(ctx, lock, r.Email, address); err != nil {
		return nil, nil, err
	}
	wait, err := throttled(ctx, tx, r.Email, address)
	if err != nil {
		return nil, nil, err
	}
	if wait > 0 {
		refusal := apperr.New(apperr.KindTooManyRequests, "login.throttled")
		refusal.RetryAfter = wait
		return r.user(), refusal, nil
	}
	if !auth.CheckPassword(r.PasswordHash, password) {
		const record = `INSERT INTO login_failures (email, address) VALUES ($1, $2)`
		if _, err := tx.ExecContext(ctx, record, r.Email, address); err != nil {
			return nil, nil, err
		}
		return r.user(), apperr.Unauthorized("login.wrong"), nil
	}
	return r.user(), nil, nil
}
