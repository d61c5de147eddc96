package app

import (
	"strconv"
	"testing"

	"github.com/jmoiron/sqlx"

	"madaf/internal/calendar"
	"madaf/volumes"
)

// Issuing a fee statement inserts it, recording who issued it and the
// supplier's names as they were; recording its payment updates it,
// recording who recorded the payment.
func init() {
	today := calendar.Today().String()
	for route, w := range map[string]auditWrite{
		"POST /api/v1/volumes/fees/statements": {as: "lead", path: "/api/v1/volumes/fees/statements",
			body: `{"supplier_id": {medical}, "month": "{month}"}`,
			prepare: func(t *testing.T, w *auditWorld) map[string]string {
				return w.unbilledMonth(t, w.values["medical"])
			},
			object: "fee_statements", action: "insert",
			after: map[string]string{"number": `"{number}"`, "supplier_id": "{medical}", "month": `"{month}-01"`,
				"supplier_name": "{supplier_name}", "company_number": `"510000011"`, "supplements_id": "null",
				"order_count": "{order_count}", "subtotal": "{subtotal}", "fee": "{fee}", "issued_by": "{lead}", "paid_on": "null"}},
		"POST /api/v1/volumes/fees/statements/:id/paid": {as: "lead", path: "/api/v1/volumes/fees/statements/{statement}/paid",
			body: `{"paid_on": "` + today + `", "payment_reference": "העברה 4410"}`,
			prepare: func(t *testing.T, w *auditWorld) map[string]string {
				m := w.unbilledMonth(t, w.values["medical"])
				return map[string]string{"statement": w.call(t, "lead", "POST", "/api/v1/volumes/fees/statements",
					`{"supplier_id": {medical}, "month": "`+m["month"]+`"}`)["id"]}
			},
			object: "fee_statements", action: "update", objectID: "{statement}",
			before: map[string]string{"paid_on": "null", "payment_reference": "null", "paid_by": "null", "version": "1"},
			after: map[string]string{"paid_on": `"` + today + `"`, "payment_reference": `"העברה 4410"`, "paid_by": "{lead}",
				"version": "2"}},
	} {
		auditWrites[route] = w
	}
}

// sentUnbilled is an order of authority 9300's (זכרון יעקב) sent, not yet
// confirmed, in the latest ended month for whose supplier no statement
// was issued: its id, supplier, month (YYYY-MM), and its subtotal and fee.
type sentUnbilled struct {
	Order    int64  `db:"order_id"`
	Supplier int64  `db:"supplier_id"`
	Month    string `db:"month"`
	Subtotal string `db:"subtotal"`
	Fee      string `db:"fee"`
}

func mustSentUnbilled(t *testing.T, db *sqlx.DB) sentUnbilled {
	t.Helper()
	var o sentUnbilled
	mustGet(t, db, &o, `SELECT f.order_id, f.supplier_id, to_char(f.month, 'YYYY-MM') AS month,
			f.subtotal::text AS subtotal, f.fee::text AS fee
		FROM fee_orders f JOIN authorities a ON a.id = f.authority_id
		WHERE f.status = 'sent' AND a.code = '9300' AND f.month < $1
			AND NOT EXISTS (SELECT 1 FROM fee_statements s WHERE s.supplier_id = f.supplier_id AND s.month = f.month)
		ORDER BY f.month DESC, f.order_id LIMIT 1`, volumes.Month(calendar.Today()))
	return o
}

// latestUnbilled is the latest ended month (YYYY-MM) in which supplier had
// orders sent and has no statement.
func latestUnbilled(t *testing.T, db *sqlx.DB, supplier int64) string {
	t.Helper()
	var month string
	mustGet(t, db, &month, `SELECT to_char(max(month), 'YYYY-MM') FROM fee_orders WHERE supplier_id = $1 AND month < $2
		AND month NOT IN (SELECT month FROM fee_statements WHERE supplier_id = $1)`, supplier, volumes.Month(calendar.Today()))
	return month
}

// unbilledMonth finds the latest ended month in which supplier (an id) had
// orders sent and has no statement yet, and gives what its statement will
// record: month (YYYY-MM), number, order_count, subtotal, fee and
// supplier_name (as JSON).
func (w *auditWorld) unbilledMonth(t *testing.T, supplier string) map[string]string {
	t.Helper()
	var m struct {
		Month      string `db:"month"`
		Number     string `db:"number"`
		OrderCount string `db:"order_count"`
		Subtotal   string `db:"subtotal"`
		Fee        string `db:"fee"`
		Name       string `db:"supplier_name"`
	}
	const q = `SELECT to_char(f.month, 'YYYY-MM') AS month,
			to_char(f.month, 'YYYY-MM') || '/' || lpad((coalesce(max(n.last), 0) + 1)::text, 4, '0') AS number,
			count(*)::text AS order_count, sum(f.subtotal)::numeric(20,2)::text AS subtotal, sum(f.fee)::numeric(20,2)::text AS fee,
			(SELECT to_jsonb(legal_name)::text FROM suppliers WHERE id = $1) AS supplier_name
		FROM fee_orders f LEFT JOIN fee_statement_numbers n ON n.month = f.month
		WHERE f.supplier_id = $1 AND f.month < $2
			AND NOT EXISTS (SELECT 1 FROM fee_statements s WHERE s.supplier_id = f.supplier_id AND s.month = f.month)
		GROUP BY f.month ORDER BY f.month DESC LIMIT 1`
	if err := w.db.Get(&m, q, supplier, volumes.Month(calendar.Today())); err != nil {
		t.Fatalf("a month of supplier %s with orders and no statement: %v", supplier, err)
	}
	return map[string]string{"month": m.Month, "number": m.Number, "order_count": m.OrderCount,
		"subtotal": m.Subtotal, "fee": m.Fee, "supplier_name": m.Name}
}

// creditDue issues the statement of a month in which an order of זכרון
// יעקב was sent and not yet confirmed, then has the officer cancel that
// order, so that a supplement crediting it is due. Its values are
// supplier, month (YYYY-MM), original (the statement's id), order, the
// order's subtotal and fee as credited (credit_subtotal, credit_fee) and
// the supplement's number.
func (w *auditWorld) creditDue(t *testing.T) map[string]string {
	t.Helper()
	o := mustSentUnbilled(t, w.db)
	supplier, order := strconv.FormatInt(o.Supplier, 10), strconv.FormatInt(o.Order, 10)
	original := w.call(t, "lead", "POST", "/api/v1/volumes/fees/statements",
		`{"supplier_id": `+supplier+`, "month": "`+o.Month+`"}`)["id"]
	w.call(t, "officer", "POST", "/api/v1/orders/"+order+"/cancel", `{"reason": "no_longer_needed"}`)
	var number string
	mustGet(t, w.db, &number, `SELECT to_char(month, 'YYYY-MM') || '/' || lpad((last + 1)::text, 4, '0') FROM fee_statement_numbers
		WHERE month = $1`, o.Month+"-01")
	return map[string]string{"supplier": supplier, "month": o.Month, "original": original, "order": order,
		"credit_subtotal": "-" + o.Subtotal, "credit_fee": "-" + o.Fee, "number": number}
}

// TestFeeStatementSupplementIsAudited: issuing a supplement (here a credit
// for an order cancelled after its month's statement) inserts it, naming
// the month's original, and its line, in the request's one change set;
// settling the credit is recorded as a payment is.
func TestFeeStatementSupplementIsAudited(t *testing.T) {
	w := mustAuditWorld(t)
	query := snapshotQuery(auditedTables(t, w.db))
	w.check(t, 1, "POST /api/v1/volumes/fees/statements", auditWrite{as: "lead", path: "/api/v1/volumes/fees/statements",
		body:    `{"supplier_id": {supplier}, "month": "{month}"}`,
		prepare: func(t *testing.T, w *auditWorld) map[string]string { return w.creditDue(t) },
		object:  "fee_statements", action: "insert",
		after: map[string]string{"number": `"{number}"`, "supplier_id": "{supplier}", "month": `"{month}-01"`,
			"supplements_id": "{original}", "order_count": "1", "subtotal": "{credit_subtotal}", "fee": "{credit_fee}",
			"issued_by": "{lead}", "paid_on": "null"}}, query)
	w.check(t, 2, "POST /api/v1/volumes/fees/statements/:id/paid", auditWrite{as: "lead", path: "/api/v1/volumes/fees/statements/{statement}/paid",
		body: `{"paid_on": "` + calendar.Today().String() + `", "payment_reference": "זיכוי 9"}`,
		prepare: func(t *testing.T, w *auditWorld) map[string]string {
			var id string
			mustGet(t, w.db, &id, `SELECT max(id)::text FROM fee_statements WHERE supplements_id IS NOT NULL`)
			return map[string]string{"statement": id}
		},
		object: "fee_statements", action: "update", objectID: "{statement}",
		before: map[string]string{"paid_on": "null", "version": "1"},
		after:  map[string]string{"payment_reference": `"זיכוי 9"`, "paid_by": "{lead}", "version": "2"}}, query)
}
