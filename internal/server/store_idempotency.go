package server

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/jmoiron/sqlx"

	"madaf/internal/database"
)

// The statements on request_keys of the idempotency middleware
// (idempotency.go).
//
// The claim of a key commits without waiting for its write-ahead log to
// reach the disk (asyncCommit, set in the statement's own transaction): the
// request's own transaction, which marks the key applied, commits
// synchronously and so writes the log up to itself, the claim included,
// and a claim lost before that commit is a key a retry claims again. The
// answer kept after the change waits for the disk, since a client that was
// given it may send its retry after a crash of the database.
const asyncCommit = `set_config('synchronous_commit', 'off', true) = 'off'`

// claim inserts the key's row for this request, or reads the row another
// request with the key left.
func (k *keyed) claim(ctx context.Context) (*keptKey, bool, error) {
	inserted, err := k.insert(ctx, k.db)
	if err != nil {
		return nil, false, database.MapError(err)
	}
	if inserted {
		return nil, true, nil
	}
	const read = `SELECT method, path, request_hash, state, lease, lease_until < now() AS expired, status, headers, body
		FROM request_keys WHERE user_id = $1 AND key = $2`
	var row keptKey
	err = k.db.GetContext(ctx, &row, read, k.userID, k.key)
	if errors.Is(err, sql.ErrNoRows) {
		// Released meanwhile: claim it again.
		return k.claim(ctx)
	}
	if err != nil {
		return nil, false, database.MapError(err)
	}
	return &row, false, nil
}

// insert inserts the key's row for this request in q, and reports whether
// the key was free.
func (k *keyed) insert(ctx context.Context, q sqlx.QueryerContext) (bool, error) {
	const insert = `INSERT INTO request_keys (user_id, key, method, path, request_hash, lease, lease_until)
		VALUES ($1, $2, $3, $4, $5, $6, now() + $7 * interval '1 millisecond')
		ON CONFLICT (user_id, key) DO NOTHING RETURNING ` + asyncCommit
	var inserted bool
	err := sqlx.GetContext(ctx, q, &inserted, insert, k.userID, k.key, k.method, k.path, k.hash, k.lease, keyLease.Milliseconds())
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// takeOver makes the key, whose holder's lease has ended, this request's,
// unless another retry took it first.
func (k *keyed) takeOver(ctx context.Context, row *keptKey) (bool, error) {
	const q = `UPDATE request_keys SET lease = $3, lease_until = now() + $4 * interval '1 millisecond'
		WHERE user_id = $1 AND key = $2 AND lease = $5 AND state = $6 AND lease_until < now()`
	res, err := k.db.ExecContext(ctx, q, k.userID, k.key, k.lease, keyLease.Milliseconds(), row.Lease, row.State)
	if err != nil {
		return false, database.MapError(err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// keep stores the answer as the key's, if the key is still this
// request's.
func (k *keyed) keep(ctx context.Context, status int, h http.Header, body []byte) error {
	headers := map[string]string{}
	for _, name := range keptHeaders {
		if v := h.Get(name); v != "" {
			headers[name] = v
		}
	}
	raw, _ := json.Marshal(headers)
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	const q = `UPDATE request_keys SET state = 'answered', status = $4, headers = $5, body = $6, answered_at = now(),
			applied_at = coalesce(applied_at, now()), lease = '', lease_until = now()
		WHERE user_id = $1 AND key = $2 AND lease = $3`
	_, err := k.db.ExecContext(ctx, q, k.userID, k.key, k.lease, status, string(raw), body)
	return err
}

// release gives the key up after an answer that is not kept: a key whose
// request changed nothing is removed, so that a retry runs the request
// again; an applied one keeps its state, its lease ended.
func (k *keyed) release(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	const q = `WITH gone AS (
			DELETE FROM request_keys WHERE user_id = $1 AND key = $2 AND lease = $3 AND state = 'running')
		UPDATE request_keys SET lease = '', lease_until = now()
		WHERE user_id = $1 AND key = $2 AND lease = $3 AND state = 'applied'`
	k.db.ExecContext(ctx, q, k.userID, k.key, k.lease)
}

// markApplied marks the key applied in tx, the transaction of the
// request's change, and reports whether the key was still this request's.
func (k *keyed) markApplied(ctx context.Context, tx *sqlx.Tx) (bool, error) {
	const q = `UPDATE request_keys SET state = 'applied', applied_at = coalesce(applied_at, now())
		WHERE user_id = $1 AND key = $2 AND lease = $3 AND state IN ('running', 'applied')`
	res, err := tx.ExecContext(ctx, q, k.userID, k.key, k.lease)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// extend renews the request's lease on its key.
func (k *keyed) extend(ctx context.Context) {
	const q = `UPDATE request_keys SET lease_until = now() + $4 * interval '1 millisecond'
		WHERE user_id = $1 AND key = $2 AND lease = $3 AND state <> 'answered'`
	k.db.ExecContext(ctx, q, k.userID, k.key, k.lease, keyLease.Milliseconds())
}
