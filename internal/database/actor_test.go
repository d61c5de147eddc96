package database

import "testing"

// TestWrites: the statements a Pool runs in a transaction naming the actor
// are the ones that change rows.
func TestWrites(t *testing.T) {
	for q, want := range map[string]bool{
		`INSERT INTO suppliers (legal_name) VALUES ($1)`:                         true,
		`UPDATE suppliers SET status = 'active' WHERE id = $1`:                   true,
		`UPDATE workplan_goals g SET engine_id = $2 WHERE g.id = $1 RETURNING *`: true,
		`update ONLY tenders AS t set ceiling = $2`:                              true,
		`WITH gone AS (DELETE FROM api_tokens WHERE id = $1) SELECT 1`:           true,
		`SELECT * FROM tenders WHERE id = $1 FOR UPDATE`:                         false,
		`SELECT status FROM orders o WHERE o.id = $1 FOR NO KEY UPDATE OF o`:     false,
		`SELECT name FROM suppliers WHERE legal_name = 'UPDATE'`:                 false,
	} {
		if got := writes(q); got != want {
			t.Errorf("writes(%q) = %t, want %t", q, got, want)
		}
	}
}
