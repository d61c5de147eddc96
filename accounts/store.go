package accounts

import (
	"context"
	"math"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/database"
	"madaf/internal/i18n"
	"madaf/internal/paging"
)

// Login throttling. Failures are counted over throttleWindow in three
// scopes: one account from one address, one account from any address, and
// one address against any account. Past a scope's limit every further
// attempt waits, whatever the password, for a delay that doubles with each
// failure beyond the limit (from throttleBase up to throttleCap), counted
// from the scope's latest failure. An address from which the account has
// signed in within knownFor is spared the two wide scopes, so a storm of
// guesses from elsewhere slows the guesser, not the user at their desk.
const (
	throttleWindow     = 24 * time.Hour
	throttleBase       = 30 * time.Second
	throttleCap        = 15 * time.Minute
	knownFor           = 90 * 24 * time.Hour
	maxFailsPerPair    = 5
	maxFailsPerEmail   = 5
	maxFailsPerAddress = 20
)

// Store keeps users and their failed logins.
type Store struct {
	db database.Handle
	// baseURL is the service's public address, for the links in mails.
	baseURL string
	// key seals the TOTP secrets (users.totp_secret).
	key *auth.SecretKey
	// now is the clock of links, sign-in steps and codes.
	now func() time.Time
}

// NewStore returns a Store over the pool db, sealing secrets under the
// development key (see WithSecretKey) on the system clock.
func NewStore(db *sqlx.DB) *Store {
	return &Store{db: database.Audited(db), key: auth.DevelopmentKey(), now: time.Now}
}

// InTx returns the Store running its statements in tx.
func (s *Store) InTx(tx *sqlx.Tx) *Store {
	c := *s
	c.db = tx
	return &c
}

// WithSecretKey returns the Store sealing the second factors' secrets
// under key (MADAF_SECRET_KEY); nil keeps the development key. It opens
// what the development key sealed, and secrets stored before they were
// sealed, and seals them again under key when it reads them.
func (s *Store) WithSecretKey(key *auth.SecretKey) *Store {
	c := *s
	if key != nil {
		c.key = key
	}
	return &c
}

// WithClock returns the Store reading the time from now: when a link or a
// sign-in step expires, and which TOTP code is current.
func (s *Store) WithClock(now func() time.Time) *Store {
	c := *s
	c.now = now
	return &c
}

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

const userColumns = `u.id, u.email, u.name, u.password_hash, u.org_kind, u.authority_id, u.supplier_id, u.roles, u.lang, u.active, u.created_at,
	u.totp_enabled_at IS NOT NULL AS second_factor, u.password_hash <> '' AS has_password`

// CreateUser validates nu, hashes its password and stores it. An invalid
// nu is apperr invalid with every field at fault; a duplicate e-mail is a
// conflict (user.email_taken).
func (s *Store) CreateUser(ctx context.Context, nu NewUser) (_ *User, err error) {
	defer apperr.Wrap(&err, "accounts.Store.CreateUser(%q)", nu.Email)
	return s.createUser(ctx, nu, true)
}

// createUser is CreateUser; without withPassword the user is stored with
// no password (one that no password matches).
func (s *Store) createUser(ctx context.Context, nu NewUser, withPassword bool) (*User, error) {
	if err := nu.validate(withPassword); err != nil {
		return nil, err
	}
	nu.Email = strings.TrimSpace(nu.Email)
	if nu.Lang == "" {
		nu.Lang = i18n.DefaultLang
	}
	hash := ""
	if withPassword {
		var err error
		if hash, err = auth.HashPassword(nu.Password); err != nil {
			return nil, err
		}
	}
	const q = `
		INSERT INTO users (email, name, password_hash, org_kind, authority_id, supplier_id, roles, lang)
		VALUES ($1, $2, $3, $4, NULLIF($5, 0), NULLIF($6, 0), $7, $8)
		RETURNING id`
	var id int64
	err := s.db.GetContext(ctx, &id, q, nu.Email, nu.Name, hash, nu.OrgKind, nu.AuthorityID, nu.SupplierID, pq.StringArray(nu.Roles), nu.Lang)
	if database.IsUniqueViolation(err) {
		return nil, apperr.Conflict("user.email_taken", nu.Email)
	}
	if err != nil {
		if apperr.Is(database.MapError(err), apperr.KindInvalid) {
			return nil, apperr.Invalid("user.invalid", apperr.Field("org", "user.org_unknown"))
		}
		return nil, err
	}
	return s.User(ctx, id)
}

// User returns the user with id, or apperr.ErrNotFound.
func (s *Store) User(ctx context.Context, id int64) (_ *User, err error) {
	defer apperr.Wrap(&err, "accounts.Store.User(%d)", id)
	const q = `SELECT ` + userColumns + ` FROM users u WHERE u.id = $1`
	var r userRow
	if err := s.db.GetContext(ctx, &r, q, id); err != nil {
		return nil, database.MapError(err)
	}
	return r.user(), nil
}

// Users lists a page of the users in id order: all of them, or those of
// one organisation when authorityID or supplierID is non-zero.
func (s *Store) Users(ctx context.Context, authorityID, supplierID int64, pg paging.Page) (_ []*User, err error) {
	defer apperr.Wrap(&err, "accounts.Store.Users(%d, %d)", authorityID, supplierID)
	const q = `SELECT ` + userColumns + ` FROM users u
		WHERE ($1::bigint = 0 OR u.authority_id = $1) AND ($2::bigint = 0 OR u.supplier_id = $2) AND u.id > $3
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

// SetLang stores the user's language (he, ar or en); another is invalid
// (msg.lang).
func (s *Store) SetLang(ctx context.Context, userID int64, lang string) (err error) {
	defer apperr.Wrap(&err, "accounts.Store.SetLang(%d, %q)", userID, lang)
	if !i18n.Supported(lang) {
		return apperr.Invalid("msg.lang", apperr.Field("lang", "msg.oneof", strings.Join(i18n.Langs, " ")))
	}
	const q = `UPDATE users SET lang = $2 WHERE id = $1`
	_, err = s.db.ExecContext(ctx, q, userID, lang)
	return err
}

// SetActive activates or deactivates a user; a deactivated user's sessions
// end at once and its tokens are revoked for good (reactivating the user
// does not bring them back). An unknown user is
// not_found.user.
func (s *Store) SetActive(ctx context.Context, userID int64, active bool) (err error) {
	defer apperr.Wrap(&err, "accounts.Store.SetActive(%d, %t)", userID, active)
	return database.Transact(ctx, s.db, func(tx *sqlx.Tx) error {
		const q = `UPDATE users SET active = $2 WHERE id = $1`
		res, err := tx.ExecContext(ctx, q, userID, active)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return apperr.NotFound("not_found.user")
		}
		if active {
			return nil
		}
		const end = `
			WITH revoked AS (UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL)
			DELETE FROM sessions WHERE user_id = $1`
		_, err = tx.ExecContext(ctx, end, userID)
		return err
	})
}

// ResolveOrg reads an organisation spec of the command line: "cluster",
// "authority:<id or CBS code>" or "supplier:<company number>". A spec of
// another form is invalid (user.org_spec); an organisation that does not
// exist is not_found.authority or not_found.supplier.
func (s *Store) ResolveOrg(ctx context.Context, spec string) (kind string, authorityID, supplierID int64, err error) {
	defer apperr.Wrap(&err, "accounts.Store.ResolveOrg(%q)", spec)
	kind, ref, _ := strings.Cut(spec, ":")
	switch kind {
	case auth.OrgCluster:
		return kind, 0, 0, nil
	case auth.OrgAuthority:
		const q = `SELECT id FROM authorities WHERE code = $1 OR id::text = $1 ORDER BY (code = $1) DESC LIMIT 1`
		err = s.db.GetContext(ctx, &authorityID, q, ref)
		if apperr.Is(database.MapError(err), apperr.KindNotFound) {
			err = apperr.NotFound("not_found.authority")
		}
	case auth.OrgSupplier:
		const q = `SELECT id FROM suppliers WHERE company_number = $1`
		err = s.db.GetContext(ctx, &supplierID, q, ref)
		if apperr.Is(database.MapError(err), apperr.KindNotFound) {
			err = apperr.NotFound("not_found.supplier")
		}
	default:
		return "", 0, 0, apperr.Invalid("user.invalid", apperr.Field("org", "user.org_spec", spec))
	}
	if err != nil {
		return "", 0, 0, err
	}
	return kind, authorityID, supplierID, nil
}

// OrgOption is an organisation a user may belong to, as the users page
// offers it: Value is "cluster", "authority:<id>" or "supplier:<id>".
type OrgOption struct {
	Value string `db:"value"`
	Name  string `db:"name"`
}

// Orgs lists the authorities (named in lang, by their Hebrew names) and
// then the suppliers (by legal name), the cluster aside.
func (s *Store) Orgs(ctx context.Context, lang string) (_ []OrgOption, err error) {
	defer apperr.Wrap(&err, "accounts.Store.Orgs(%q)", lang)
	const q = `
		(SELECT 'authority:' || id AS value, name_in($1, name_he, name_ar, name_en) AS name FROM authorities ORDER BY name_he)
		UNION ALL
		(SELECT 'supplier:' || id, legal_name FROM suppliers ORDER BY legal_name)`
	var orgs []OrgOption
	if err := s.db.SelectContext(ctx, &orgs, q, lang); err != nil {
		return nil, err
	}
	return orgs, nil
}

// Authenticate checks an e-mail and password and returns the active user
// they belong to. A wrong pair, an unknown e-mail and a deactivated
// account all answer unauthorized (login.wrong), and the failure is
// recorded; while a throttling scope of the attempt (see throttleWindow)
// has a delay running, it answers too-many-requests (login.throttled) with
// the seconds to wait, whatever the password. A success forgets the
// failures of this account at this address only, and makes the address
// known for the account (mailing the user when it is an address they have
// never signed in from). For a user with a second factor it only checks
// the password: the caller asks for the code (VerifySecondFactor), which
// completes the sign-in.
//
// Attempts for one account (and for one address) are serialised by
// transaction-scoped advisory locks taken in a fixed order (account, then
// address), so that concurrent guesses cannot all pass the check before
// any failure is recorded.
func (s *Store) Authenticate(ctx context.Context, email, password, address string) (_ *User, err error) {
	defer apperr.Wrap(&err, "accounts.Store.Authenticate(%q, %s)", email, address)
	var (
		user    *User
		outcome error
	)
	err = database.Transact(ctx, s.db, func(tx *sqlx.Tx) error {
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
			refusal := apperr.New(apperr.KindTooManyRequests, "login.throttled")
			refusal.RetryAfter = wait
			outcome = refusal
			return nil
		}
		const q = `SELECT ` + userColumns + ` FROM users u WHERE lower(u.email) = lower($1)`
		var r userRow
		err = tx.GetContext(ctx, &r, q, email)
		if err != nil && !apperr.Is(database.MapError(err), apperr.KindNotFound) {
			return err
		}
		// The hash is checked first, so that an unknown or deactivated
		// account answers as slowly as an active one.
		if auth.CheckPassword(r.PasswordHash, password) && err == nil && r.Active {
			user = r.user()
			if user.SecondFactor {
				return s.InTx(tx).forgetFailures(ctx, email, address)
			}
			return s.InTx(tx).signedIn(ctx, user, email, address)
		}
		outcome = apperr.Unauthorized("login.wrong")
		const record = `INSERT INTO login_failures (email, address) VALUES ($1, $2)`
		_, err = tx.ExecContext(ctx, record, email, address)
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
		SELECT count(*) FILTER (WHERE lower(email) = lower($1) AND address = $2) AS pair_n,
		       coalesce(extract(epoch FROM now() - max(at) FILTER (WHERE lower(email) = lower($1) AND address = $2)), 0) AS pair_ago,
		       count(*) FILTER (WHERE lower(email) = lower($1)) AS email_n,
		       coalesce(extract(epoch FROM now() - max(at) FILTER (WHERE lower(email) = lower($1))), 0) AS email_ago,
		       count(*) FILTER (WHERE address = $2) AS address_n,
		       coalesce(extract(epoch FROM now() - max(at) FILTER (WHERE address = $2)), 0) AS address_ago,
		       EXISTS (SELECT 1 FROM login_known_addresses k JOIN users u ON u.id = k.user_id
		               WHERE lower(u.email) = lower($1) AND k.address = $2
		                 AND k.last_at > now() - make_interval(secs => $4)) AS known
		FROM login_failures
		WHERE at > now() - make_interval(secs => $3) AND (lower(email) = lower($1) OR address = $2)`
	var r struct {
		PairN      int     `db:"pair_n"`
		PairAgo    float64 `db:"pair_ago"`
		EmailN     int     `db:"email_n"`
		EmailAgo   float64 `db:"email_ago"`
		AddressN   int     `db:"address_n"`
		AddressAgo float64 `db:"address_ago"`
		Known      bool    `db:"known"`
	}
	if err := sqlx.GetContext(ctx, q, &r, query, email, address, throttleWindow.Seconds(), knownFor.Seconds()); err != nil {
		return 0, err
	}
	wait := throttleWait(r.PairN, maxFailsPerPair, r.PairAgo)
	if !r.Known {
		wait = max(wait, throttleWait(r.EmailN, maxFailsPerEmail, r.EmailAgo), throttleWait(r.AddressN, maxFailsPerAddress, r.AddressAgo))
	}
	return wait, nil
}

// throttleWait returns the seconds still to wait in a scope with n failures,
// the latest ago seconds back, whose limit is limit: none below the limit,
// then throttleBase doubled for each failure beyond it, at most throttleCap.
func throttleWait(n, limit int, ago float64) int {
	if n < limit {
		return 0
	}
	delay := throttleCap
	if shift := n - limit; shift < 10 {
		delay = min(throttleBase<<shift, throttleCap)
	}
	left := delay.Seconds() - ago
	if left <= 0 {
		return 0
	}
	return int(math.Ceil(left))
}
