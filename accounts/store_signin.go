package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/database"
)

// secondFactorMarker stands before the e-mail of a failed second-factor
// code in login_failures: such failures are throttled as passwords are
// (see throttled), and counted apart from them.
const secondFactorMarker = "2fa:"

// signInTTL is how long the step between a sign-in's password and its code
// lasts.
const signInTTL = 5 * time.Minute

// forgetFailures forgets the failed sign-ins of email at address.
func (s *Store) forgetFailures(ctx context.Context, email, address string) error {
	const q = `DELETE FROM login_failures WHERE lower(email) = lower($1) AND address = $2`
	_, err := s.db.ExecContext(ctx, q, email, address)
	return err
}

// signedIn completes u's sign-in from address, after the failures counted
// under failures (the e-mail, or the marked e-mail of a second factor): it
// forgets those at this address and makes the address known. An address
// the user has never signed in from, when they have signed in from
// another before, is mailed to them.
func (s *Store) signedIn(ctx context.Context, u *User, failures, address string) error {
	if err := s.forgetFailures(ctx, failures, address); err != nil {
		return err
	}
	const q = `
		WITH prior AS (SELECT count(*) AS n, coalesce(bool_or(address = $2), false) AS seen
		               FROM login_known_addresses WHERE user_id = $1),
		     known AS (INSERT INTO login_known_addresses (user_id, address) VALUES ($1, $2)
		               ON CONFLICT (user_id, address) DO UPDATE SET last_at = now())
		SELECT n > 0 AND NOT seen FROM prior`
	var fresh bool
	if err := s.db.GetContext(ctx, &fresh, q, u.ID, address); err != nil {
		return err
	}
	if !fresh {
		return nil
	}
	return s.queueMail(ctx, u, mailNewAddress, s.link("/account"), when(s.now()), from(address))
}

// BeginSignIn stores the step between the password of user userID and
// their second factor, good for signInTTL, and returns its secret, which
// the code form carries. The user's steps that are over are forgotten.
func (s *Store) BeginSignIn(ctx context.Context, userID int64) (secret string, err error) {
	defer apperr.Wrap(&err, "accounts.Store.BeginSignIn(%d)", userID)
	const over = `DELETE FROM account_tokens WHERE user_id = $1 AND purpose = 'sign_in' AND (used_at IS NOT NULL OR expires_at <= $2)`
	if _, err := s.db.ExecContext(ctx, over, userID, s.now()); err != nil {
		return "", err
	}
	secret, _, err = s.issueToken(ctx, userID, purposeSignIn, signInTTL, 0)
	return secret, err
}

// CompleteSignIn checks code, the second factor of the sign-in step with
// secret, from address, and returns its user once it is right; the step is
// then used up. A step that is unknown, used or past is not found
// (account.sign_in_expired); a wrong code is refused and throttled as
// VerifySecondFactor says, and the step's user is returned beside the
// refusal, for the record of the attempt.
func (s *Store) CompleteSignIn(ctx context.Context, secret, code, address string) (_ *User, err error) {
	defer apperr.Wrap(&err, "accounts.Store.CompleteSignIn(%s)", address)
	var (
		user    *User
		outcome error
	)
	err = database.Transact(ctx, s.db, func(tx *sqlx.Tx) error {
		user, outcome = nil, nil
		const q = `SELECT id, user_id FROM account_tokens
			WHERE token_hash = $1 AND purpose = 'sign_in' AND used_at IS NULL AND expires_at > $2 FOR UPDATE`
		var t struct {
			ID     int64 `db:"id"`
			UserID int64 `db:"user_id"`
		}
		if err := tx.GetContext(ctx, &t, q, auth.HashSecret(secret), s.now()); err != nil {
			if apperr.Is(database.MapError(err), apperr.KindNotFound) {
				outcome = apperr.NotFound("account.sign_in_expired")
				return nil
			}
			return err
		}
		st := s.InTx(tx)
		var err error
		if user, err = st.User(ctx, t.UserID); err != nil {
			return err
		}
		if outcome, err = st.verifyCode(ctx, tx, user, code, address); err != nil || outcome != nil {
			return err
		}
		const used = `UPDATE account_tokens SET used_at = now() WHERE id = $1`
		_, err = tx.ExecContext(ctx, used, t.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return user, outcome
}

// VerifySecondFactor checks code, a TOTP code or an unused recovery code of
// user userID, sent from address, and completes the sign-in (see
// Authenticate). A wrong code answers unauthorized (login.code_wrong) and
// is recorded under the marked e-mail (secondFactorMarker); while that
// scope is throttled it answers too-many-requests (login.throttled),
// whatever the code. A TOTP code is good once: a code of a time step at or
// before the last one used is wrong.
func (s *Store) VerifySecondFactor(ctx context.Context, userID int64, code, address string) (err error) {
	defer apperr.Wrap(&err, "accounts.Store.VerifySecondFactor(%d, %s)", userID, address)
	var outcome error
	err = database.Transact(ctx, s.db, func(tx *sqlx.Tx) error {
		st := s.InTx(tx)
		u, err := st.User(ctx, userID)
		if err != nil {
			return err
		}
		outcome, err = st.verifyCode(ctx, tx, u, code, address)
		return err
	})
	if err != nil {
		return err
	}
	return outcome
}

// verifyCode is VerifySecondFactor in tx: outcome is the refusal, err a
// failure of the database. The account and the address are locked as
// Authenticate locks them.
func (s *Store) verifyCode(ctx context.Context, tx *sqlx.Tx, u *User, code, address string) (outcome, err error) {
	marked := secondFactorMarker + u.Email
	wait, err := lockAndThrottle(ctx, tx, u.Email, marked, address)
	if err != nil {
		return nil, err
	}
	if wait > 0 {
		return throttledRefusal(wait), nil
	}
	ok, err := s.useCode(ctx, u.ID, code)
	if err != nil {
		return nil, err
	}
	if !ok || !u.Active {
		return apperr.Unauthorized("login.code_wrong"), recordFailure(ctx, tx, marked, address)
	}
	return nil, s.signedIn(ctx, u, marked, address)
}

// lockAndThrottle takes, in tx, the locks that serialise the attempts of
// account email from address (as Authenticate takes them: account, then
// address) and returns how many seconds the attempts counted under
// failures (the e-mail, or the marked e-mail of second-factor codes) must
// still wait, or 0.
func lockAndThrottle(ctx context.Context, tx *sqlx.Tx, email, failures, address string) (int, error) {
	const lock = `SELECT pg_advisory_xact_lock(1, hashtext(lower($1))), pg_advisory_xact_lock(2, hashtext($2))`
	if _, err := tx.ExecContext(ctx, lock, email, address); err != nil {
		return 0, err
	}
	return throttled(ctx, tx, failures, address)
}

// throttledRefusal is the answer to an attempt that must wait seconds.
func throttledRefusal(seconds int) error {
	refusal := apperr.New(apperr.KindTooManyRequests, "login.throttled")
	refusal.RetryAfter = seconds
	return refusal
}

// recordFailure records a failed attempt counted under failures from
// address, in tx.
func recordFailure(ctx context.Context, tx *sqlx.Tx, failures, address string) error {
	const record = `INSERT INTO login_failures (email, address) VALUES ($1, $2)`
	_, err := tx.ExecContext(ctx, record, failures, address)
	return err
}

// useCode reports whether code is the current TOTP code of user userID's
// enrolled secret, in a time step after the last one used (which it
// becomes), or one of their unused recovery codes (which it uses up).
func (s *Store) useCode(ctx context.Context, userID int64, code string) (bool, error) {
	const q = `SELECT coalesce(u.totp_secret, '') AS secret, coalesce(l.step, 0) AS step
		FROM users u LEFT JOIN totp_last_steps l ON l.user_id = u.id
		WHERE u.id = $1 AND u.totp_enabled_at IS NOT NULL`
	var r struct {
		Secret string `db:"secret"`
		Step   int64  `db:"step"`
	}
	if err := s.db.GetContext(ctx, &r, q, userID); err != nil {
		if apperr.Is(database.MapError(err), apperr.KindNotFound) {
			return false, nil
		}
		return false, err
	}
	secret, keep, err := s.openSecret(userID, r.Secret)
	if err != nil {
		return false, err
	}
	if keep != r.Secret {
		const reseal = `UPDATE users SET totp_secret = $2 WHERE id = $1 AND totp_secret = $3`
		if _, err := s.db.ExecContext(ctx, reseal, userID, keep, r.Secret); err != nil {
			return false, err
		}
	}
	if step, ok := auth.MatchTOTP(secret, code, s.now()); ok {
		if step <= r.Step {
			return false, nil
		}
		return true, s.noteStep(ctx, userID, step)
	}
	const use = `UPDATE recovery_codes SET used_at = now() WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL`
	res, err := s.db.ExecContext(ctx, use, userID, recoveryHash(code))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// noteStep records step as the last time step whose code user userID used.
func (s *Store) noteStep(ctx context.Context, userID, step int64) error {
	const q = `INSERT INTO totp_last_steps (user_id, step) VALUES ($1, $2)
		ON CONFLICT (user_id) DO UPDATE SET step = greatest(totp_last_steps.step, excluded.step)`
	_, err := s.db.ExecContext(ctx, q, userID, step)
	return err
}

// recoveryCodeCount is how many recovery codes an enrolment gives.
const recoveryCodeCount = 10

// newRecoveryCodes returns recoveryCodeCount random codes of ten base32
// letters and digits (50 bits each), written xxxxx-xxxxx.
func newRecoveryCodes() []string {
	enc := base32.StdEncoding.WithPadding(base32.NoPadding)
	codes := make([]string, recoveryCodeCount)
	for i := range codes {
		b := make([]byte, 7)
		rand.Read(b)
		c := strings.ToLower(enc.EncodeToString(b))[:10]
		codes[i] = c[:5] + "-" + c[5:]
	}
	return codes
}

// recoveryHash is the SHA-256 a recovery code is stored as, of the code
// lower-cased without its dash or spaces.
func recoveryHash(code string) []byte {
	c := strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToLower(strings.TrimSpace(code)))
	h := sha256.Sum256([]byte(c))
	return h[:]
}
