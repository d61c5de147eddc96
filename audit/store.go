package audit

import (
	"context"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"

	"madaf/internal/apperr"
	"madaf/internal/database"
	"madaf/internal/paging"
)

// Store reads the audit trail.
type Store struct {
	db database.Handle
}

// NewStore returns a Store over the pool db.
func NewStore(db *sqlx.DB) *Store { return &Store{db: db} }

// InTx returns the Store running its statements in tx.
func (s *Store) InTx(tx *sqlx.Tx) *Store { return &Store{db: tx} }

// List returns one page of the entries f selects, newest first; the page's
// After is the id below which it starts.
func (s *Store) List(ctx context.Context, f Filter, p paging.Page) (_ []Entry, err error) {
	defer apperr.Wrap(&err, "audit.Store.List(%+v)", f)
	// A quote's entries wait for its competition's deadline (audit_sealed).
	where, args := "NOT audit_sealed(object, before, after)", []any{}
	// add narrows by cond, whose %s is the value's placeholder.
	add := func(cond string, v any) {
		args = append(args, v)
		where += " AND " + strings.ReplaceAll(cond, "%s", "$"+strconv.Itoa(len(args)))
	}
	if f.Object != "" {
		add("object = %s", f.Object)
	}
	if f.ObjectID != "" {
		add("object_id = %s", f.ObjectID)
	}
	if f.ActorID != 0 {
		add("actor_id = %s", f.ActorID)
	}
	if f.Action != "" {
		add("action = %s", f.Action)
	}
	if f.ChangeSet != 0 {
		add("change_set = %s", f.ChangeSet)
	}
	if f.RequestID != "" {
		add("request_id = %s", f.RequestID)
	}
	if !f.From.IsZero() {
		add("at >= (%s::date)::timestamp AT TIME ZONE 'Asia/Jerusalem'", f.From)
	}
	if !f.To.IsZero() {
		add("at < (%s::date + 1)::timestamp AT TIME ZONE 'Asia/Jerusalem'", f.To)
	}
	if f.AuthorityID != 0 {
		add("authority_id = %s", f.AuthorityID)
	}
	if p.After > 0 {
		add("id < %s", p.After)
	}
	args = append(args, p.Limit)
	q := `SELECT id, at, actor_id, actor, address, authority_id, object, object_id, action, coalesce(before, 'null') AS before, coalesce(after, 'null') AS after, change_set, request_id
		FROM audit_log WHERE ` + where + ` ORDER BY id DESC LIMIT $` + strconv.Itoa(len(args))
	out := []Entry{}
	if err := s.db.SelectContext(ctx, &out, q, args...); err != nil {
		return nil, err
	}
	return out, nil
}

// Objects lists the object kinds the trail holds entries of.
func (s *Store) Objects(ctx context.Context) (_ []string, err error) {
	defer apperr.Wrap(&err, "audit.Store.Objects")
	const q = `SELECT DISTINCT c.relname::text FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
		WHERE g.tgname = 'audit' AND NOT g.tgisinternal ORDER BY 1`
	var out []string
	if err := s.db.SelectContext(ctx, &out, q); err != nil {
		return nil, err
	}
	return out, nil
}
