package orders_test

import (
	"io"
	"slices"
	"testing"

	"madaf/app"
	"madaf/internal/dbtest"
)

func TestSeedDemo(t *testing.T) {
	db := dbtest.New(t)
	if ok, err := app.SeedDemo(ctx, db, io.Discard); err != nil || !ok {
		t.Fatalf("demo: %v %v", ok, err)
	}
	var statuses []string
	db.Select(&statuses, `SELECT status FROM orders ORDER BY id`)
	want := []string{"closed", "delivered", "partially_delivered", "confirmed", "sent", "pending_approval", "draft", "pending_approval"}
	if !slices.Equal(statuses, want) {
		t.Fatalf("demo orders %v, want %v", statuses, want)
	}
	var summary []string
	db.Select(&summary, `SELECT o.number || ' ' || t.number || ' ' || s.legal_name || ' ' || o.status || ' ' || o.total || ' ' || array_to_string(o.signatures_required, '+')
		FROM orders o JOIN tenders t ON t.id = o.tender_id JOIN suppliers s ON s.id = o.supplier_id ORDER BY o.id`)
	for _, l := range summary {
		t.Log(l)
	}
	var signatures, events int
	db.Get(&signatures, `SELECT count(*) FROM order_signatures WHERE order_id = (SELECT id FROM orders WHERE status = 'pending_approval' ORDER BY id LIMIT 1)`)
	db.Get(&events, `SELECT count(*) FROM order_events`)
	if signatures != 1 || events < 20 {
		t.Fatalf("the large pending order has %d signatures; %d events in all", signatures, events)
	}
}
