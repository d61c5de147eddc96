package accounts

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/database"
)

// SecondFactor is where a user stands with their second factor.
type SecondFactor struct {
	// Enabled since EnabledAt, once a code of the enrolled secret was
	// confirmed.
	Enabled   bool       `db:"enabled"`
	EnabledAt *time.Time `db:"enabled_at"`
	// Required for the roles that sign or decide and for holders of a
	// signature delegation (second_factor_required).
	Required bool `db:"required"`
	// Pending is true while an enrolment has begun and awaits its code.
	Pending bool `db:"pending"`
	// CodesLeft counts the unused recovery codes.
	CodesLeft int `db:"codes_left"`
}

// SecondFactorOf returns where user userID stands with their second factor.
func (s *Store) SecondFactorOf(ctx context.Context, userID int64) (_ *SecondFactor, err error) {
	defer apperr.Wrap(&err, "accounts.Store.SecondFactorOf(%d)", userID)
	const q = `SELECT u.totp_enabled_at IS NOT NULL AS enabled, u.totp_enabled_at AS enabled_at,
			second_factor_required(u.id, u.roles) AS required,
			u.totp_enabled_at IS NULL AND u.totp_secret IS NOT NULL AS pending,
			(SELECT count(*) FROM recovery_codes r WHERE r.user_id = u.id AND r.used_at IS NULL) AS codes_left
		FROM users u WHERE u.id = $1`
	var f SecondFactor
	if err := s.db.GetContext(ctx, &f, q, userID); err != nil {
		return nil, database.MapError(err)
	}
	return &f, nil
}

// BeginEnrolment gives user userID a new TOTP secret that counts once a
// code of it is confirmed (ConfirmEnrolment); a secret of an earlier
// enrolment that was not confirmed is replaced. A user whose second factor
// is enabled is a conflict (account.second_factor_enabled).
func (s *Store) BeginEnrolment(ctx context.Context, userID int64) (err error) {
	defer apperr.Wrap(&err, "accounts.Store.BeginEnrolment(%d)", userID)
	secret, err := auth.NewTOTPSecret()
	if err != nil {
		return err
	}
	sealed, err := s.key.Seal(secret, totpRecord(userID))
	if err != nil {
		return err
	}
	const q = `UPDATE users SET totp_secret = $2 WHERE id = $1 AND totp_enabled_at IS NULL`
	res, err := s.db.ExecContext(ctx, q, userID, sealed)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return apperr.Conflict("account.second_factor_enabled")
	}
	return nil
}

// PendingSecret returns the secret of user userID's enrolment that awaits
// its code, for the enrolment page alone: once enabled, a secret is never
// shown again. No pending enrolment is not found
// (account.enrolment_not_begun).
func (s *Store) PendingSecret(ctx context.Context, userID int64) (_ string, err error) {
	defer apperr.Wrap(&err, "accounts.Store.PendingSecret(%d)", userID)
	const q = `SELECT totp_secret FROM users WHERE id = $1 AND totp_enabled_at IS NULL AND totp_secret IS NOT NULL`
	var stored string
	if err := s.db.GetContext(ctx, &stored, q, userID); err != nil {
		if apperr.Is(database.MapError(err), apperr.KindNotFound) {
			return "", apperr.NotFound("account.enrolment_not_begun")
		}
		return "", err
	}
	secret, _, err := s.openSecret(userID, stored)
	return secret, err
}

// ConfirmEnrolment enables user userID's pending second factor when code,
// sent from address, is its current code, and returns the user's
// recoveryCodeCount new recovery codes, shown this once; the user is mailed
// that it was enabled. A wrong code is invalid (account.code_invalid, field
// code), recorded and throttled as a wrong code at sign-in is (see
// VerifySecondFactor): while throttled it answers too-many-requests
// (login.throttled), whatever the code. No pending enrolment is not found
// (account.enrolment_not_begun).
func (s *Store) ConfirmEnrolment(ctx context.Context, userID int64, code, address string) (_ []string, err error) {
	defer apperr.Wrap(&err, "accounts.Store.ConfirmEnrolment(%d, %s)", userID, address)
	var codes []string
	var outcome error
	err = database.Transact(ctx, s.db, func(tx *sqlx.Tx) error {
		codes, outcome = nil, nil
		st := s.InTx(tx)
		u, err := st.User(ctx, userID)
		if err != nil {
			return err
		}
		marked := secondFactorMarker + u.Email
		wait, err := lockAndThrottle(ctx, tx, u.Email, marked, address)
		if err != nil {
			return err
		}
		if wait > 0 {
			outcome = throttledRefusal(wait)
			return nil
		}
		const q = `SELECT totp_secret FROM users WHERE id = $1 AND totp_enabled_at IS NULL AND totp_secret IS NOT NULL FOR UPDATE`
		var stored string
		if err := tx.GetContext(ctx, &stored, q, userID); err != nil {
			if apperr.Is(database.MapError(err), apperr.KindNotFound) {
				return apperr.NotFound("account.enrolment_not_begun")
			}
			return err
		}
		secret, keep, err := s.openSecret(userID, stored)
		if err != nil {
			return err
		}
		step, ok := auth.MatchTOTP(secret, code, s.now())
		if !ok {
			outcome = apperr.Invalid("account.code_invalid", apperr.Field("code", "account.code_wrong"))
			return recordFailure(ctx, tx, marked, address)
		}
		if err := st.forgetFailures(ctx, marked, address); err != nil {
			return err
		}
		const enable = `UPDATE users SET totp_enabled_at = now(), totp_secret = $2 WHERE id = $1`
		if _, err := tx.ExecContext(ctx, enable, userID, keep); err != nil {
			return err
		}
		if err := st.noteStep(ctx, userID, step); err != nil {
			return err
		}
		if codes, err = st.replaceRecoveryCodes(ctx, userID); err != nil {
			return err
		}
		return st.queueMail(ctx, u, mailSecondFactorEnabled, s.link("/account/2fa"), when(s.now()))
	})
	if err != nil {
		return nil, err
	}
	return codes, outcome
}

// totpRecord names user userID's TOTP secret, to which its sealed value
// is bound (see auth.SecretKey).
func totpRecord(userID int64) string { return "users.totp_secret/" + strconv.FormatInt(userID, 10) }

// openSecret returns the TOTP secret that stored, user userID's
// users.totp_secret, holds, and what to store in its place: stored itself,
// or the secret sealed under the Store's key when stored was plain or
// sealed under the development key. A secret sealed under another key is
// an error of the configuration (auth.ErrSealedElsewhere).
func (s *Store) openSecret(userID int64, stored string) (secret, keep string, err error) {
	secret, stale, err := s.key.Open(stored, totpRecord(userID))
	if err != nil {
		return "", "", fmt.Errorf("the second factor of user %d: %w", userID, err)
	}
	if !stale {
		return secret, stored, nil
	}
	keep, err = s.key.Seal(secret, totpRecord(userID))
	return secret, keep, err
}

// ResealSecondFactors seals under the Store's key every TOTP secret stored
// plain (from before secrets were sealed) or under the development key,
// and returns how many it sealed; the service runs it at start. A secret
// that the key cannot open (sealed under another MADAF_SECRET_KEY) is a
// *SealedElsewhereError naming its users, and nothing is sealed: the
// service must not start with a key that locks its signers out.
func (s *Store) ResealSecondFactors(ctx context.Context) (_ int, err error) {
	defer apperr.Wrap(&err, "accounts.Store.ResealSecondFactors")
	n := 0
	err = database.Transact(ctx, s.db, func(tx *sqlx.Tx) error {
		n = 0
		const q = `SELECT id, totp_secret FROM users WHERE totp_secret IS NOT NULL ORDER BY id FOR UPDATE`
		var rows []struct {
			ID     int64  `db:"id"`
			Secret string `db:"totp_secret"`
		}
		if err := tx.SelectContext(ctx, &rows, q); err != nil {
			return err
		}
		closed := &SealedElsewhereError{}
		for _, r := range rows {
			_, keep, err := s.openSecret(r.ID, r.Secret)
			switch {
			case errors.Is(err, auth.ErrSealedElsewhere):
				closed.Users = append(closed.Users, r.ID)
				continue
			case err != nil:
				return err
			case keep == r.Secret:
				continue
			}
			const reseal = `UPDATE users SET totp_secret = $2 WHERE id = $1`
			if _, err := tx.ExecContext(ctx, reseal, r.ID, keep); err != nil {
				return err
			}
			n++
		}
		if len(closed.Users) > 0 {
			return closed
		}
		return nil
	})
	return n, err
}

// SealedElsewhereError is ResealSecondFactors' answer when the Store's key
// does not open the second factors of Users (it wraps
// auth.ErrSealedElsewhere).
type SealedElsewhereError struct {
	Users []int64
}

func (e *SealedElsewhereError) Error() string {
	ids := make([]string, len(e.Users))
	for i, id := range e.Users {
		ids[i] = strconv.FormatInt(id, 10)
	}
	return "the second factors of users " + strings.Join(ids, ", ") + " are sealed under another key"
}

func (e *SealedElsewhereError) Unwrap() error { return auth.ErrSealedElsewhere }

// replaceRecoveryCodes stores new recovery codes for userID in place of
// any earlier ones and returns them.
func (s *Store) replaceRecoveryCodes(ctx context.Context, userID int64) ([]string, error) {
	codes := newRecoveryCodes()
	hashes := make([][]byte, len(codes))
	for i, c := range codes {
		hashes[i] = recoveryHash(c)
	}
	const q = `WITH gone AS (DELETE FROM recovery_codes WHERE user_id = $1)
		INSERT INTO recovery_codes (user_id, code_hash) SELECT $1, h FROM unnest($2::bytea[]) AS h`
	if _, err := s.db.ExecContext(ctx, q, userID, pq.ByteaArray(hashes)); err != nil {
		return nil, err
	}
	return codes, nil
}

// NewRecoveryCodes gives user userID, who confirms it with their password
// from address, new recovery codes in place of the old ones (shown this
// once). The password's refusals are DisableSecondFactor's; a user without
// a second factor is a conflict (account.second_factor_off).
func (s *Store) NewRecoveryCodes(ctx context.Context, userID int64, password, address string) (_ []string, err error) {
	defer apperr.Wrap(&err, "accounts.Store.NewRecoveryCodes(%d, %s)", userID, address)
	var codes []string
	var outcome error
	err = database.Transact(ctx, s.db, func(tx *sqlx.Tx) error {
		st := s.InTx(tx)
		u, refusal, err := st.checkPassword(ctx, tx, userID, password, address)
		if err != nil {
			return err
		}
		switch {
		case refusal != nil:
			outcome = passwordRefusal(refusal)
			return nil
		case !u.SecondFactor:
			return apperr.Conflict("account.second_factor_off")
		}
		codes, err = st.replaceRecoveryCodes(ctx, userID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return codes, outcome
}

// DisableSecondFactor removes user userID's second factor and recovery
// codes, confirmed with their password from address, and mails them that
// it was disabled. A user who must have one is a conflict
// (account.second_factor_mandatory); a wrong password is invalid
// (account.password_invalid, field password), recorded and throttled as a
// failed sign-in (too-many-requests, login.throttled).
func (s *Store) DisableSecondFactor(ctx context.Context, userID int64, password, address string) (err error) {
	defer apperr.Wrap(&err, "accounts.Store.DisableSecondFactor(%d, %s)", userID, address)
	var outcome error
	err = database.Transact(ctx, s.db, func(tx *sqlx.Tx) error {
		st := s.InTx(tx)
		u, refusal, err := st.checkPassword(ctx, tx, userID, password, address)
		if err != nil {
			return err
		}
		if refusal != nil {
			outcome = passwordRefusal(refusal)
			return nil
		}
		const q = `
			WITH codes AS (DELETE FROM recovery_codes WHERE user_id = $1),
			     steps AS (DELETE FROM totp_last_steps WHERE user_id = $1)
			UPDATE users SET totp_secret = NULL, totp_enabled_at = NULL
			WHERE id = $1 AND totp_enabled_at IS NOT NULL AND NOT second_factor_required(id, roles)
			RETURNING id`
		var id int64
		if err := tx.GetContext(ctx, &id, q, userID); err != nil {
			if !apperr.Is(database.MapError(err), apperr.KindNotFound) {
				return err
			}
			if u.SecondFactor {
				return apperr.Conflict("account.second_factor_mandatory")
			}
			return apperr.Conflict("account.second_factor_off")
		}
		return st.queueMail(ctx, u, mailSecondFactorOff, s.link("/account/2fa"), when(s.now()), from(address))
	})
	if err != nil {
		return err
	}
	return outcome
}

// passwordRefusal is a refusal of checkPassword as a form answers it: a
// wrong password is a field error of password, throttling stays itself.
func passwordRefusal(refusal error) error {
	if apperr.Is(refusal, apperr.KindTooManyRequests) {
		return refusal
	}
	return apperr.Invalid("account.password_invalid", apperr.Field("password", "account.password_wrong"))
}

// EnrolSecondFactor makes secret (base32, see auth.NewTOTPSecret) user
// userID's second factor at once, without a confirming code and without
// recovery codes: for loading the demo cluster, whose signers' secret is
// published beside their password. Users enrol through BeginEnrolment and
// ConfirmEnrolment.
func (s *Store) EnrolSecondFactor(ctx context.Context, userID int64, secret string) (err error) {
	defer apperr.Wrap(&err, "accounts.Store.EnrolSecondFactor(%d)", userID)
	if _, err := auth.TOTPKey(secret, "check"); err != nil {
		return err
	}
	sealed, err := s.key.Seal(secret, totpRecord(userID))
	if err != nil {
		return err
	}
	const q = `UPDATE users SET totp_secret = $2, totp_enabled_at = now() WHERE id = $1`
	res, err := s.db.ExecContext(ctx, q, userID, sealed)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return apperr.NotFound("not_found.user")
	}
	return nil
}
