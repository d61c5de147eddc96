package server

import (
	"context"
	"net/http"
	"testing"

	"madaf/internal/dbtest"
)

// TestKeyWritesCommitAsynchronously: the claim of a key and the keeping of
// its answer each set synchronous_commit off for their own statement's
// transaction (the setting is read at its commit), and the connection's
// next statement waits for the disk again.
func TestKeyWritesCommitAsynchronously(t *testing.T) {
	db := dbtest.New(t)
	db.SetMaxOpenConns(1) // every statement below on one connection
	ctx := context.Background()
	var user int64
	if err := db.GetContext(ctx, &user, `INSERT INTO users (email, name, password_hash, org_kind, roles)
		VALUES ('keys@example.test', 'keys', '!', 'cluster', ARRAY['cluster_admin']) RETURNING id`); err != nil {
		t.Fatal(err)
	}
	k := &keyed{db: db, userID: user, key: "k-1", method: http.MethodPost, path: "/api/v1/orders", hash: []byte{1}, lease: "lease-1"}
	syncCommit := func() string {
		var s string
		if err := db.GetContext(ctx, &s, `SHOW synchronous_commit`); err != nil {
			t.Fatal(err)
		}
		return s
	}
	if _, claimed, err := k.claim(ctx); err != nil || !claimed {
		t.Fatalf("claim: claimed %v, %v", claimed, err)
	}
	if s := syncCommit(); s != "on" {
		t.Fatalf("after the claim, synchronous_commit = %s, want on", s)
	}
	if err := k.keep(ctx, http.StatusCreated, http.Header{}, []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if s := syncCommit(); s != "on" {
		t.Fatalf("after keeping the answer, synchronous_commit = %s, want on", s)
	}
	// In one transaction the same statements leave the setting off until it
	// ends: it is theirs, set where their commit reads it.
	tx := db.MustBeginTx(ctx, nil)
	defer tx.Rollback()
	var off bool
	if err := tx.GetContext(ctx, &off, `UPDATE request_keys SET status = status WHERE user_id = $1 AND key = $2 RETURNING `+asyncCommit, user, k.key); err != nil {
		t.Fatal(err)
	}
	var s string
	if err := tx.GetContext(ctx, &s, `SHOW synchronous_commit`); err != nil {
		t.Fatal(err)
	}
	if !off || s != "off" {
		t.Fatalf("inside the statement's transaction: returned %v, synchronous_commit = %s, want true and off", off, s)
	}
	var state string
	if err := tx.GetContext(ctx, &state, `SELECT state FROM request_keys WHERE user_id = $1 AND key = $2`, user, k.key); err != nil || state != "answered" {
		t.Fatalf("state %q, %v, want answered", state, err)
	}
}
