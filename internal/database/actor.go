package database

import (
	"context"
	"database/sql"
	"regexp"
	"strconv"

	"github.com/jmoiron/sqlx"
)

// Actor is who a change is made for: the audit trail records it beside
// every change a transaction makes.
type Actor struct {
	// UserID is the signed-in user, 0 for a caller who is not signed in
	// and for the service's own work.
	UserID int64
	// Label names the actor in the trail: the user's e-mail, "anonymous",
	// or the command or worker that made the change ("madaf demo").
	Label string
	// Address is the client's address, "" for work of the service itself.
	Address string
	// RequestID is the id of the request the change is made for (its
	// X-Request-ID), "" outside a request.
	RequestID string
}

type actorKey struct{}

// WithActor returns ctx carrying a; every transaction begun with it names
// a in the audit trail.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor ctx carries, if any.
func ActorFrom(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(Actor)
	return a, ok
}

// attribute names ctx's actor and request for the rest of tx; without an
// actor, the trail names the database role.
func attribute(ctx context.Context, tx *sqlx.Tx) error {
	a, ok := ActorFrom(ctx)
	if !ok {
		return nil
	}
	id := ""
	if a.UserID != 0 {
		id = strconv.FormatInt(a.UserID, 10)
	}
	const q = `SELECT set_config('madaf.actor_id', $1, true), set_config('madaf.actor', $2, true),
		set_config('madaf.address', $3, true), set_config('madaf.request_id', $4, true)`
	_, err := tx.ExecContext(ctx, q, id, a.Label, a.Address, a.RequestID)
	return err
}

// Pool is the pool as a store of audited records holds it. A statement
// that changes rows, run on it outside a transaction for a context that
// carries an actor, runs in a transaction of its own that names the actor,
// so that no change reaches the audit trail without its author. (Writes
// through QueryContext, QueryxContext and QueryRowxContext are not
// wrapped: stores write with ExecContext, GetContext or SelectContext.)
type Pool struct {
	*sqlx.DB
}

// Audited returns db as a Pool.
func Audited(db *sqlx.DB) *Pool { return &Pool{DB: db} }

// ExecContext runs query, in a transaction naming ctx's actor when it
// writes.
func (p *Pool) ExecContext(ctx context.Context, query string, args ...any) (res sql.Result, err error) {
	if !p.attributed(ctx, query) {
		return p.DB.ExecContext(ctx, query, args...)
	}
	err = WithTx(ctx, p.DB, func(tx *sqlx.Tx) error {
		res, err = tx.ExecContext(ctx, query, args...)
		return err
	})
	return res, err
}

// GetContext runs query into dest, in a transaction naming ctx's actor
// when it writes.
func (p *Pool) GetContext(ctx context.Context, dest any, query string, args ...any) error {
	if !p.attributed(ctx, query) {
		return p.DB.GetContext(ctx, dest, query, args...)
	}
	return WithTx(ctx, p.DB, func(tx *sqlx.Tx) error { return tx.GetContext(ctx, dest, query, args...) })
}

// SelectContext runs query into dest, in a transaction naming ctx's
// actor when it writes.
func (p *Pool) SelectContext(ctx context.Context, dest any, query string, args ...any) error {
	if !p.attributed(ctx, query) {
		return p.DB.SelectContext(ctx, dest, query, args...)
	}
	return WithTx(ctx, p.DB, func(tx *sqlx.Tx) error { return tx.SelectContext(ctx, dest, query, args...) })
}

func (p *Pool) attributed(ctx context.Context, query string) bool {
	_, ok := ActorFrom(ctx)
	return ok && writes(query)
}

// writeVerb finds a data-changing clause: INSERT INTO, UPDATE [ONLY] t
// [[AS] alias] SET, DELETE FROM, MERGE INTO (a SELECT … FOR UPDATE is not
// one).
var writeVerb = regexp.MustCompile(`(?i)\b(INSERT\s+INTO|UPDATE\s+(ONLY\s+)?[\w."]+(\s+(AS\s+)?\w+)?\s+SET|DELETE\s+FROM|MERGE\s+INTO)\b`)

// writes reports whether query may change rows.
func writes(query string) bool { return writeVerb.MatchString(query) }
