package app

import (
	"testing"
)

// The writes after delivery, each with the entry of the trail it must
// leave (see auditWrites): receipts, disputes and invoices are audited
// rows; closing short changes the order, which keeps its own history.
func init() {
	delivered := func(t *testing.T, w *auditWorld) map[string]string { return w.orderIn(t, "delivered") }
	withDispute := func(t *testing.T, w *auditWorld) map[string]string {
		v := w.orderIn(t, "delivered")
		for k, x := range authzOrderParams["POST /api/v1/orders/:id/disputes/:dispute/answer"](t, w.authzWorld, v["order"], v["order_line_id"]) {
			v[map[string]string{"disputes/:dispute": "dispute"}[k]] = x
		}
		return v
	}
	withInvoice := func(t *testing.T, w *auditWorld) map[string]string {
		v := w.orderIn(t, "delivered")
		for k, x := range authzOrderParams["POST /api/v1/orders/:id/invoices/:invoice/approve"](t, w.authzWorld, v["order"], v["order_line_id"]) {
			v[map[string]string{"invoices/:invoice": "invoice"}[k]] = x
		}
		return v
	}
	for route, w := range map[string]auditWrite{
		"POST /api/v1/orders/:id/receipts": {as: "officer", path: "/api/v1/orders/{order}/receipts",
			body:    `{"delivery_note": "DN-77", "lines": [{"line_id": {order_line_id}, "quantity": "1", "condition": "good"}]}`,
			prepare: delivered, object: "order_receipts", action: "insert",
			after: map[string]string{"delivery_note": `"DN-77"`, "order_id": "{order}", "recorded_by": "{officer}"}},
		"POST /api/v1/orders/:id/disputes/:dispute/answer": {as: "supplier", path: "/api/v1/orders/{order}/disputes/{dispute}/answer",
			body:    `{"answer": "contest", "note": "נמסר במלואו"}`,
			prepare: withDispute, object: "order_disputes", action: "update", objectID: "{dispute}",
			before: map[string]string{"status": `"open"`, "answered_at": "null"},
			after:  map[string]string{"status": `"contested"`, "answer_note": `"נמסר במלואו"`, "answered_by": "{supplier}"}},
		"POST /api/v1/orders/:id/close-short": {as: "officer", path: "/api/v1/orders/{order}/close-short",
			body:    `{"reason": "supplier_cannot_deliver", "note": "אין מלאי"}`,
			prepare: func(t *testing.T, w *auditWorld) map[string]string { return w.orderIn(t, "confirmed") },
			none:    "orders keep their own history, the order events", event: &[3]string{"close_short", "confirmed", "closed"}},
		"POST /api/v1/orders/:id/invoices": {as: "supplier", path: "/api/v1/orders/{order}/invoices",
			body: `{"number": "AUD-{order}", "issued_on": "{today}", "subtotal": "1.00", "vat": "0.18", "total": "1.18",
				"lines": [{"line_id": {order_line_id}, "quantity": "1", "unit_price": "1.00"}]}`,
			prepare: delivered, object: "invoices", action: "insert",
			after: map[string]string{"number": `"AUD-{order}"`, "status": `"in_dispute"`, "total": "1.18", "submitted_by": "{supplier}"}},
		"POST /api/v1/orders/:id/invoices/:invoice/approve": {as: "officer", path: "/api/v1/orders/{order}/invoices/{invoice}/approve",
			prepare: withInvoice, object: "invoices", action: "update", objectID: "{invoice}",
			before: map[string]string{"status": `"matched"`, "approved_at": "null"},
			after:  map[string]string{"status": `"approved"`, "approved_by": "{officer}"}},
	} {
		auditWrites[route] = w
	}
}
