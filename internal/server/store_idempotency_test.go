package server

import (
	"context"
	"net/http"
	"testing"

	"madaf/internal/dbtest"
)

// TestKeyClaimCommitsAsynchronously: the claim of a key sets
// synchronous_commit off in its own transaction, where its commit reads
// it, and the connection's next transaction waits for the disk again.
func TestKeyClaimCommitsAsynchronously(t *testing.T) {
	db := dbtest.New(t)
	db.SetMaxOpenConns(1) // every statement below on one connection
	ctx := context.Background()
	var user int64
	if err := db.GetContext(ctx, &user, `INSERT INTO users (email, name, password_hash, org_kind, roles)
		VALUES ('keys@example.test', 'keys', '!', 'cluster', ARRAY['cluster_admin']) RETURNING id`); err != nil {
		t.Fatal(err)
	}
	k := &keyed{db: db, userID: user, key: "k-1", method: http.MethodPost, path: "/api/v1/orders", hash: []byte{1}, lease: "lease-1"}
	tx := db.MustBeginTx(ctx, nil)
	defer tx.Rollback()
	if inserted, err := k.insert(ctx, tx); err != nil || !inserted {
		t.Fatalf("insert: inserted %v, %v", inserted, err)
	}
	var s string
	if err := tx.GetContext(ctx, &s, `SHOW synchronous_commit`); err != nil || s != "off" {
		t.Fatalf("in the claim's transaction synchronous_commit = %q, %v, want off", s, err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := db.GetContext(ctx, &s, `SHOW synchronous_commit`); err != nil || s != "on" {
		t.Fatalf("after the claim synchronous_commit = %q, %v, want on", s, err)
	}
	// A second claim of the key finds it taken and reads what the first left.
	if row, claimed, err := k.claim(ctx); err != nil || claimed || row == nil || row.State != keyRunning {
		t.Fatalf("second claim: claimed %v, row %+v, %v", claimed, row, err)
	}
}
