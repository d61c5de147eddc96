package orderstatus_test

import (
	"testing"

	"madaf/internal/dbtest"
	"madaf/internal/orderstatus"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// TestSQLAgrees checks that the SQL functions every query and guard calls
// hold the same sets as Go.
func TestSQLAgrees(t *testing.T) {
	db := dbtest.New(t)
	for _, st := range append(orderstatus.All, "unknown") {
		var reserves, committed, handling bool
		err := db.QueryRow(`SELECT order_status_reserves($1), order_status_committed($1), order_status_in_handling($1)`, st).
			Scan(&reserves, &committed, &handling)
		if err != nil {
			t.Fatal(err)
		}
		if reserves != orderstatus.Reserves(st) || committed != orderstatus.Committed(st) || handling != orderstatus.InHandling(st) {
			t.Errorf("%s: SQL reserves %v committed %v in handling %v; Go %v %v %v", st, reserves, committed, handling,
				orderstatus.Reserves(st), orderstatus.Committed(st), orderstatus.InHandling(st))
		}
	}
}
