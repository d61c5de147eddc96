package orders_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"madaf/authorities"
	"madaf/internal/auth"
	"madaf/internal/database"
	"madaf/orders"
)

// TestCapacityCannotBeCutBelowReservations: once orders reserve part of a
// ceiling, an allocation or a budget line, lowering it below the reserved
// sum is a 409 that says what is reserved, and changes nothing.
func TestCapacityCannotBeCutBelowReservations(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.mustTender(tenderSpec{rule: "single", ceiling: "1000.00", allocation: "800.00", winners: 1, prices: [][]string{{"100.00"}}})
	line := e.mustBudgetLine(e.authority, 2026, "1180.00")
	o := e.mustCreate(tn, 0, line, "5") // 500.00 + 90.00 VAT
	if _, err := e.svc.Submit(ctx, e.officer.P, o.ID, ""); err != nil {
		t.Fatalf("submit: %v", err)
	}

	lines := authorities.NewStore(e.db)
	treasurer := &auth.Principal{OrgKind: auth.OrgAuthority, AuthorityID: e.authority, Roles: []string{auth.RoleTreasurer}}
	cut := func(amount string) error {
		_, err := lines.UpdateBudgetLine(ctx, treasurer, e.authority, line, authorities.BudgetLineInput{
			FiscalYear: 2026, Code: "1-guard", Name: "ציוד", Amount: dec(amount)})
		return err
	}
	if err := cut("589.99"); webStatus(err) != http.StatusConflict || !strings.Contains(err.Error(), "590.00") {
		t.Fatalf("cutting the budget line below its reservation: %v", err)
	}
	if err := cut("590.00"); err != nil {
		t.Fatalf("cutting it to exactly the reservation: %v", err)
	}

	sqlCut := func(q string, args ...any) error {
		_, err := e.db.Exec(q, args...)
		return database.MapError(err)
	}
	if err := sqlCut(`UPDATE tenders SET ceiling = 499.99 WHERE id = $1`, tn.ID); webStatus(err) != http.StatusConflict || !strings.Contains(err.Error(), "500.00") {
		t.Fatalf("cutting the ceiling: %v", err)
	}
	if err := sqlCut(`UPDATE tender_authorities SET allocation = 100 WHERE tender_id = $1`, tn.ID); webStatus(err) != http.StatusConflict {
		t.Fatalf("cutting the allocation: %v", err)
	}
	if err := sqlCut(`UPDATE tenders SET ceiling = NULL WHERE id = $1`, tn.ID); err != nil {
		t.Fatalf("removing the ceiling: %v", err)
	}
	var ceiling, allocation *string
	e.db.Get(&allocation, `SELECT allocation::text FROM tender_authorities WHERE tender_id = $1`, tn.ID)
	if allocation == nil || *allocation != "800.00" {
		t.Fatalf("allocation changed to %v", allocation)
	}

	// The authority cannot leave the tender while its order reserves; a
	// rewrite of the participation rows that keeps it is fine.
	leave := func(rejoin bool) error {
		return database.WithTx(ctx, e.db, func(tx *sqlx.Tx) error {
			if _, err := tx.Exec(`DELETE FROM tender_authorities WHERE tender_id = $1`, tn.ID); err != nil {
				return err
			}
			if rejoin {
				_, err := tx.Exec(`INSERT INTO tender_authorities (tender_id, authority_id, allocation) VALUES ($1, $2, 800)`, tn.ID, e.authority)
				return err
			}
			return nil
		})
	}
	if err := leave(false); webStatus(err) != http.StatusConflict || keyOf(err) != "capacity.participation_reserved" {
		t.Fatalf("the authority leaves the tender: %v", err)
	}
	if err := leave(true); err != nil {
		t.Fatalf("participation rewritten: %v", err)
	}

	// Once the order is cancelled, nothing is reserved and any cut is allowed.
	if _, err := e.svc.Cancel(ctx, e.officer.P, o.ID, "", orders.CancelInput{Reason: "budget_change"}); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	if err := sqlCut(`UPDATE tenders SET ceiling = 1 WHERE id = $1`, tn.ID); err != nil {
		t.Fatalf("cut after cancel: %v", err)
	}
	e.db.Get(&ceiling, `SELECT ceiling::text FROM tenders WHERE id = $1`, tn.ID)
	if ceiling == nil || *ceiling != "1.00" {
		t.Fatalf("ceiling %v", ceiling)
	}
}
