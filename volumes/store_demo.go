package volumes

import (
	"context"
	"time"

	"github.com/jmoiron/sqlx"

	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/database"
)

// demoActor is who the audit trail names for the demo's statement when
// the context names nobody: the demo's loading, as madaf demo names it.
var demoActor = database.Actor{Label: "madaf demo"}

// SeedDemo is SeedDemoAt on the wall clock.
func SeedDemo(ctx context.Context, db *sqlx.DB) error { return SeedDemoAt(ctx, db, time.Now) }

// SeedDemoAt issues at now(), as the cluster's economic lead, the demo
// medical supplier's fee statement for the latest month ended by then that
// it had orders sent in, unpaid (none when it had none). The audit trail
// names ctx's actor, or, when ctx carries none, the demo's loading.
func SeedDemoAt(ctx context.Context, db *sqlx.DB, now func() time.Time) error {
	if _, ok := database.ActorFrom(ctx); !ok {
		ctx = database.WithActor(ctx, demoActor)
	}
	p, err := auth.NewStore(db).PrincipalByEmail(ctx, "lead@madaf.example")
	if err != nil {
		return err
	}
	var supplierID int64
	if err := db.GetContext(ctx, &supplierID, `SELECT id FROM suppliers WHERE company_number = '510000011'`); err != nil {
		return err
	}
	at := now()
	last := Month(calendar.DateOf(at)).Time().AddDate(0, -1, 0)
	month := calendar.NewDate(last.Year(), last.Month(), 1)
	const qm = `SELECT max(month) FROM fee_orders WHERE supplier_id = $1 AND month <= $2`
	var latest calendar.Date
	if err := db.GetContext(ctx, &latest, qm, supplierID, month); err != nil {
		return err
	}
	if latest.IsZero() {
		return nil
	}
	_, err = NewStore(db).IssueStatement(ctx, p, supplierID, latest, at)
	return err
}
