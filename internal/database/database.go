// Package database opens PostgreSQL, runs transactions and maps PostgreSQL
// errors to application errors in one place.
package database

import (
	"cmp"
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"maps"
	"net"
	neturl "net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"madaf/internal/apperr"
	"madaf/internal/money"
)

// Options are the pool's limits and the session settings of its
// connections. The zero value keeps the defaults named on each field.
type Options struct {
	// MaxConns caps the open connections (default 20).
	MaxConns int
	// MaxIdleConns caps the idle connections kept for reuse (default 10,
	// and never more than MaxConns).
	MaxIdleConns int
	// ConnMaxLifetime closes a connection this long after it was opened
	// (default: never), so that connections move to a failed-over or
	// restarted server in time.
	ConnMaxLifetime time.Duration
	// StatementTimeout is PostgreSQL's statement_timeout for every
	// statement (default: none).
	StatementTimeout time.Duration
	// MaxWait is the longest any caller of the pool waits for a statement
	// (the service's request timeout; default: no limit).
	//
	// With StatementTimeout or MaxWait set, a connection whose server has
	// sent nothing for the shorter of the two plus serverGrace is given up:
	// by then the server would have cancelled the statement (for its
	// timeout or for the caller's cancelled context), so it is frozen or
	// unreachable, and the caller gets an error (a 503) instead of waiting
	// for as long as the server stays frozen.
	MaxWait time.Duration
	// StatementCache is how many statements each connection keeps prepared
	// (see statements.go; default 256, negative: none).
	StatementCache int
}

// statementCache is the default size of a connection's statement cache.
const statementCache = 256

// serverGrace is how much longer than the statement's limit a read waits
// for the server's answer before the connection is given up: a server that
// cancels a statement answers at once, so this only has to cover a busy
// machine's delay.
const serverGrace = 2 * time.Second

// readWait is how long a read waits for the server under o (0: no limit).
func (o Options) readWait() time.Duration {
	var limits []time.Duration
	for _, d := range []time.Duration{o.StatementTimeout, o.MaxWait} {
		if d > 0 {
			limits = append(limits, d)
		}
	}
	if len(limits) == 0 {
		return 0
	}
	return slices.Min(limits) + serverGrace
}

// Open connects to url with opts (at most one; none keeps every default)
// and checks the connection within ten seconds.
func Open(ctx context.Context, url string, opts ...Options) (*sqlx.DB, error) {
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	withSettings, err := sessionSettings(url, o)
	if err != nil {
		return nil, err
	}
	connector, err := pq.NewConnector(DSN(withSettings))
	if err != nil {
		return nil, err
	}
	var c driver.Connector = connector
	if wait := o.readWait(); wait > 0 {
		connector.Dialer(patientDialer{wait: wait})
		c = sessionConnector{connector}
	}
	db := sqlx.NewDb(sql.OpenDB(Cached(c, o.StatementCache)), "postgres")
	maxConns := cmp.Or(o.MaxConns, 20)
	db.SetMaxOpenConns(maxConns)
	db.SetMaxIdleConns(min(cmp.Or(o.MaxIdleConns, 10), maxConns))
	db.SetConnMaxIdleTime(5 * time.Minute)
	db.SetConnMaxLifetime(o.ConnMaxLifetime)
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Cached is connector with each connection's statements kept prepared, up
// to size of them (0: the default, negative: none).
func Cached(connector driver.Connector, size int) driver.Connector {
	if size == 0 {
		size = statementCache
	}
	if size < 0 {
		return connector
	}
	return cachingConnector{Connector: connector, size: size}
}

// sessionSettings is url (a postgres:// URL or key=value pairs) with the
// session settings of opts added; DSN then finalises it for the driver.
func sessionSettings(url string, opts Options) (string, error) {
	if err := CheckURL(url); err != nil {
		return "", err
	}
	settings := map[string]string{}
	if opts.StatementTimeout > 0 {
		settings["statement_timeout"] = strconv.FormatInt(opts.StatementTimeout.Milliseconds(), 10)
	}
	if !isURL(url) {
		for _, k := range slices.Sorted(maps.Keys(settings)) {
			url += " " + k + "=" + settings[k]
		}
		return strings.TrimSpace(url), nil
	}
	u, _ := neturl.Parse(url) // CheckURL parsed it
	q := u.Query()
	for k, v := range settings {
		q.Set(k, v)
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// CheckURL reports whether url is a connection string the driver reads: a
// postgres:// (or postgresql://) URL or key=value pairs. Its error never
// repeats the string, which may hold a password.
func CheckURL(url string) error {
	if strings.TrimSpace(url) == "" {
		return errors.New("the connection string is empty")
	}
	if isURL(url) {
		if _, err := neturl.Parse(url); err != nil {
			return errors.New("not a valid URL (postgres://user:password@host:port/database?options)")
		}
	} else if strings.Contains(url, "://") {
		return errors.New("the URL must start with postgres:// or postgresql://")
	} else if !strings.Contains(url, "=") {
		return errors.New("neither a postgres:// URL nor key=value pairs")
	}
	if _, err := pq.NewConnector(url); err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), "pq: "))
	}
	return nil
}

func isURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// patientDialer dials as net.Dialer does and gives each read of the
// connection at most wait (see Options.MaxWait).
type patientDialer struct {
	d    net.Dialer
	wait time.Duration
}

func (p patientDialer) Dial(network, address string) (net.Conn, error) {
	return p.DialContext(context.Background(), network, address)
}

func (p patientDialer) DialTimeout(network, address string, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return p.DialContext(ctx, network, address)
}

// cancelWait is how long a cancel request waits for the server to close
// its connection, which a live server does at once. lib/pq waits for it
// before it returns a prepared statement's error, so a frozen server must
// not hold it for longer than the statement itself would wait.
const cancelWait = time.Second

// sessionDial marks the dials of sessions (sessionConnector); lib/pq's
// other dials are cancel requests.
type sessionDial struct{}

// sessionConnector connects as its lib/pq connector does, marking the dial
// as a session's.
type sessionConnector struct{ *pq.Connector }

func (c sessionConnector) Connect(ctx context.Context) (driver.Conn, error) {
	return c.Connector.Connect(context.WithValue(ctx, sessionDial{}, true))
}

func (p patientDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	c, err := p.d.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	wait := p.wait
	if ctx.Value(sessionDial{}) == nil {
		wait = min(wait, cancelWait)
	}
	return &patientConn{Conn: c, wait: wait}, nil
}

// patientConn is a connection whose every read ends after wait, or at the
// read deadline the driver set, whichever comes first.
type patientConn struct {
	net.Conn
	wait     time.Duration
	deadline time.Time
}

func (c *patientConn) Read(b []byte) (int, error) {
	d := time.Now().Add(c.wait)
	if !c.deadline.IsZero() && c.deadline.Before(d) {
		d = c.deadline
	}
	if err := c.Conn.SetReadDeadline(d); err != nil {
		return 0, err
	}
	return c.Conn.Read(b)
}

func (c *patientConn) SetDeadline(t time.Time) error {
	c.deadline = t
	return c.Conn.SetDeadline(t)
}

func (c *patientConn) SetReadDeadline(t time.Time) error {
	c.deadline = t
	return c.Conn.SetReadDeadline(t)
}

// Handle is what a store runs its statements on: the pool or a
// transaction (*sqlx.DB and *sqlx.Tx both are), so that one store method
// serves a caller with or without a transaction.
type Handle interface {
	sqlx.ExtContext
	GetContext(ctx context.Context, dest any, query string, args ...any) error
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
}

// Transact runs fn in a transaction on h: in h itself when h is already a
// transaction (fn joins the caller's, which commits or rolls back), else in
// a new one as WithTx runs it.
func Transact(ctx context.Context, h Handle, fn func(tx *sqlx.Tx) error) error {
	switch x := h.(type) {
	case *sqlx.Tx:
		return MapError(fn(x))
	case *sqlx.DB:
		return WithTx(ctx, x, fn)
	case *Pool:
		return WithTx(ctx, x.DB, fn)
	}
	return fmt.Errorf("database: cannot begin a transaction on %T", h)
}

// WithTx runs fn in a transaction: it commits when fn returns nil, rolls back
// on an error or a panic, and runs fn again (up to five times) when
// PostgreSQL reports a serialization failure or a deadlock.
func WithTx(ctx context.Context, db *sqlx.DB, fn func(tx *sqlx.Tx) error) error {
	const attempts = 5
	var err error
	for i := 0; i < attempts; i++ {
		err = runTx(ctx, db, fn)
		if !retryable(err) {
			return err
		}
		time.Sleep(time.Duration(i+1) * 10 * time.Millisecond)
	}
	return err
}

func runTx(ctx context.Context, db *sqlx.DB, fn func(tx *sqlx.Tx) error) (err error) {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return MapError(err)
	}
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback()
			panic(p)
		}
		if err != nil {
			tx.Rollback()
		}
	}()
	if err = attribute(ctx, tx); err != nil {
		return MapError(err)
	}
	if err = fn(tx); err != nil {
		return MapError(err)
	}
	if hook, ok := ctx.Value(beforeCommitKey{}).(BeforeCommitFunc); ok {
		if err = hook(ctx, tx); err != nil {
			return MapError(err)
		}
	}
	// Deferred constraints report at commit; their errors are the
	// caller's, like any other constraint's.
	return MapError(tx.Commit())
}

// BeforeCommitFunc is run by WithTx on a transaction it is about to
// commit; an error rolls the transaction back and is WithTx's error.
type BeforeCommitFunc func(ctx context.Context, tx *sqlx.Tx) error

type beforeCommitKey struct{}

// BeforeCommit returns ctx carrying fn: every transaction that WithTx (and
// so Transact and a Pool's writes) runs on ctx runs fn last, in the
// transaction, so that what fn writes commits with the transaction's own
// writes or not at all. The idempotency keys of requests use it to mark a
// key applied in the same transaction as the request's change.
func BeforeCommit(ctx context.Context, fn BeforeCommitFunc) context.Context {
	return context.WithValue(ctx, beforeCommitKey{}, fn)
}

func retryable(err error) bool {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		return pqErr.Code == "40001" || pqErr.Code == "40P01" || replanned(err)
	}
	return false
}

// KindUnavailable is the kind of error for a database that cannot be
// reached or does not answer in time: 503 with Retry-After, to try again
// shortly.
const KindUnavailable apperr.Kind = "unavailable"

// RetryAfter is the seconds an Unavailable answer asks the caller to wait.
const RetryAfter = 5

// Unavailable is the error of a database that cannot serve the request
// now: an *apperr.Error of KindUnavailable (error.unavailable, with
// RetryAfter) to errors.As, which unwraps to cause for the log.
func Unavailable(cause error) error {
	e := apperr.New(KindUnavailable, "error.unavailable")
	e.RetryAfter = RetryAfter
	return &mapped{answer: e, cause: cause}
}

// mapped is the application error MapError answers with and the database
// error behind it: errors.As finds the *apperr.Error, errors.Is and
// errors.As the cause (so IsUniqueViolation still sees a mapped violation).
type mapped struct {
	answer *apperr.Error
	cause  error
}

func (m *mapped) Error() string {
	if m.cause == nil {
		return m.answer.Error()
	}
	return m.answer.Error() + ": " + m.cause.Error()
}

func (m *mapped) Unwrap() error { return m.cause }

// As hands errors.As the application error.
func (m *mapped) As(target any) bool {
	if p, ok := target.(**apperr.Error); ok {
		*p = m.answer
		return true
	}
	return false
}

// IsUnavailable reports whether err says that the database cannot be
// reached or did not answer in time, rather than refusing the statement: a
// broken or refused connection, a network error, a server shutting down or
// starting up, a database that does not exist (dropped or renamed), no
// connection slot, a statement cancelled or timed out, a deadline passed.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	if pqErr, ok := errors.AsType[*pq.Error](err); ok {
		code := string(pqErr.Code)
		switch {
		case strings.HasPrefix(code, "08"), strings.HasPrefix(code, "53"): // connection exception, insufficient resources
			return true
		case code == "57P01", code == "57P02", code == "57P03", code == "57014", code == "3D000":
			// admin or crash shutdown, cannot connect now, statement
			// cancelled (statement_timeout), no such database
			return true
		}
		return false
	}
	_, isNet := errors.AsType[net.Error](err)
	return isNet
}

// MapError turns the PostgreSQL errors a caller may cause into application
// errors: no rows → not found, unique violation → conflict, foreign key →
// invalid reference, check violation → invalid, and a database that cannot
// be reached → Unavailable. A violated constraint is named to the caller
// only by the request field it stands for (see constraintFields), never by
// its own name. Anything else is returned unchanged (and will be reported
// as an internal error).
func MapError(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := errors.AsType[*apperr.Error](err); ok {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.ErrNotFound
	}
	if IsUnavailable(err) {
		return Unavailable(err)
	}
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) {
		return err
	}
	field, known := fieldOf(pqErr)
	var answer *apperr.Error
	switch pqErr.Code {
	case "MDR01": // a guard: the message is a catalog key, the detail its argument
		if amount, err := decimal.NewFromString(pqErr.Detail); err == nil && strings.Contains(pqErr.Detail, ".") {
			answer = apperr.Conflict(pqErr.Message, money.Format(amount))
		} else {
			answer = apperr.Conflict(pqErr.Message, pqErr.Detail)
		}
	case "23505":
		answer = apperr.Conflict("error.duplicate")
		if known {
			answer.Fields = []apperr.FieldError{apperr.Field(field, "msg.duplicate_value")}
		}
	case "23503":
		answer = apperr.Invalid("error.bad_reference")
		if known {
			answer.Fields = []apperr.FieldError{apperr.Field(field, "msg.bad_reference")}
		}
	case "23514", "23502", "22P02", "22003", "22007", "22008":
		answer = apperr.Invalid("error.out_of_range")
		if known {
			answer.Fields = []apperr.FieldError{apperr.Field(field, "msg.out_of_range")}
		}
	default:
		return err
	}
	return &mapped{answer: answer, cause: err}
}

// fieldOf is the request field a violated constraint (or, for a missing
// value, the table's column) stands for, when it is one a caller's input
// can break.
func fieldOf(e *pq.Error) (string, bool) {
	if e.Constraint != "" {
		f, ok := constraintFields[e.Constraint]
		return f, ok
	}
	if e.Table != "" && e.Column != "" {
		f, ok := constraintFields[e.Table+"."+e.Column]
		return f, ok
	}
	return "", false
}

// constraintFields names, for each constraint a caller's input may break
// (and each column a caller must fill, as table.column), the field of the
// requests that carries the value. Constraints that only the service's own
// writes could break are left out: their violation is reported without a
// field.
var constraintFields = map[string]string{
	"authorities_code_key":                           "code",
	"authorities_code_check":                         "code",
	"authorities_kind_check":                         "kind",
	"authorities_name_he_check":                      "name_he",
	"authority_profiles_population_check":            "population",
	"authority_profiles_delegation_band_check":       "delegation_band",
	"authority_profiles_kind_check":                  "kind",
	"award_prices_price_check":                       "price",
	"award_prices_reason_check":                      "reason",
	"award_prices_item_id_fkey":                      "item_id",
	"awards_status_check":                            "status",
	"awards_supplier_id_fkey":                        "supplier_id",
	"awards_tender_id_supplier_id_key":               "supplier_id",
	"budget_lines_amount_check":                      "amount",
	"budget_lines_fiscal_year_check":                 "fiscal_year",
	"budget_lines_code_check":                        "code",
	"budget_lines_name_check":                        "name",
	"budget_lines_authority_id_fiscal_year_code_key": "code",
	"order_deliveries_quantity_check":                "quantity",
	"order_lines_quantity_check":                     "quantity",
	"order_lines_check":                              "quantity",
	"order_lines_item_id_fkey":                       "item_id",
	"order_lines_order_id_item_id_key":               "item_id",
	"orders_budget_line_id_fkey":                     "budget_line_id",
	"orders_supplier_id_fkey":                        "supplier_id",
	"orders_proposed_supplier_id_fkey":               "supplier_id",
	"orders_tender_id_fkey":                          "tender_id",
	"signature_delegations_max_total_check":          "max_total",
	"signature_delegations_not_self":                 "delegate_id",
	"signature_delegations_slot_check":               "slot",
	"signature_delegations_period":                   "valid_until",
	"signature_delegations_delegate_id_fkey":         "delegate_id",
	"strategic_engines_number_check":                 "number",
	"strategic_engines_name_check":                   "name",
	"strategic_engines_strategy_check":               "strategy",
	"strategic_engines_strategy_number_key":          "number",
	"supplier_certificates_kind_check":               "kind",
	"supplier_certificates_number_check":             "number",
	"suppliers_legal_name_check":                     "legal_name",
	"suppliers_company_number_check":                 "company_number",
	"suppliers_company_number_key":                   "company_number",
	"suppliers_status_check":                         "status",
	"tender_authorities_allocation_check":            "allocation",
	"tender_authorities_authority_id_fkey":           "authority_id",
	"tender_items_sku_check":                         "sku",
	"tender_items_max_price_check":                   "max_price",
	"tender_items_unit_check":                        "unit",
	"tender_items_name_check":                        "name",
	"tender_items_tender_id_sku_key":                 "sku",
	"tenders_status_check":                           "status",
	"tenders_ceiling_check":                          "ceiling",
	"tenders_fee_percent_check":                      "fee_percent",
	"tenders_award_rule_check":                       "award_rule",
	"tenders_confirmation_days_check":                "confirmation_days",
	"tenders_check":                                  "valid_until",
	"tenders_check1":                                 "extended_until",
	"tenders_number_check":                           "number",
	"tenders_number_key":                             "number",
	"tenders_title_check":                            "title",
	"tenders_category_check":                         "category",
	"users_email":                                    "email",
	"users_roles_check":                              "roles",
	"users_check":                                    "roles",
	"users_lang_check":                               "lang",
	"users_org_kind_check":                           "org_kind",
	"users_name_check":                               "name",
	"users_authority_id_fkey":                        "authority_id",
	"users_supplier_id_fkey":                         "supplier_id",
	"workplan_domains_name_check":                    "name",
	"workplan_goals_title_check":                     "title",
	"workplan_goals_number":                          "number",
	"workplan_plans_year_check":                      "year",
	"workplan_plans_year_key":                        "year",
	"workplan_tasks_figure_target_check":             "figure_target",
	"workplan_tasks_due_quarter_check":               "due_quarter",
	"workplan_tasks_figure_check":                    "figure",
	"workplan_tasks_status_check":                    "status",
	"workplan_tasks_check":                           "figure_target",
	"workplan_tasks_title_check":                     "title",
	"workplan_tasks_owner_user_id_fkey":              "owner_user_id",
	"tender_items.sku":                               "sku",
	"tender_items.name":                              "name",
	"tender_items.unit":                              "unit",
	"tenders.number":                                 "number",
	"tenders.title":                                  "title",
	"suppliers.company_number":                       "company_number",
	"suppliers.legal_name":                           "legal_name",
	"users.email":                                    "email",
	"users.name":                                     "name",
}

// IsUniqueViolation reports whether err is a unique-constraint violation.
func IsUniqueViolation(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == "23505"
}
