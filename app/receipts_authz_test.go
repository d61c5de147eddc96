package app

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/shopspring/decimal"

	"madaf/internal/calendar"
	"madaf/internal/webtest"
	"madaf/orders"
)

// authzOrderParams make, for a route on an order's part (a dispute, an
// invoice), that part of the route's own order (id, with its one line)
// and return its ids by route parameter ("disputes/:dispute").
var authzOrderParams = map[string]func(t testing.TB, w *authzWorld, order, line string) map[string]string{}

// The routes after delivery: the officer and the receiver receive, the
// officer closes short and approves invoices; the supplier answers
// disputes and invoices.
func init() {
	for route, who := range map[string]string{
		"GET /api/v1/orders/:id/receipts":                   "cluster zichron supplier",
		"POST /api/v1/orders/:id/receipts":                  "officer deputy receiver",
		"POST /api/v1/orders/:id/disputes/:dispute/answer":  "supplier",
		"POST /api/v1/orders/:id/close-short":               "officer deputy",
		"GET /api/v1/orders/:id/invoices":                   "cluster zichron supplier",
		"POST /api/v1/orders/:id/invoices":                  "supplier",
		"POST /api/v1/orders/:id/invoices/:invoice/approve": "officer deputy",
		"POST /orders/:id/receipts":                         "officer deputy receiver",
		"POST /orders/:id/disputes/:dispute/answer":         "supplier",
		"POST /orders/:id/close-short":                      "officer deputy",
		"POST /orders/:id/invoices":                         "supplier",
		"POST /orders/:id/invoices/:invoice/approve":        "officer deputy",
	} {
		authzTable[route] = who
	}
	for route, body := range map[string]string{
		"POST /api/v1/orders/:id/receipts":                 `{"delivery_note": "DN-1", "lines": [{"line_id": {order_line}, "quantity": "1", "condition": "good"}]}`,
		"POST /api/v1/orders/:id/disputes/:dispute/answer": `{"answer": "accept"}`,
		"POST /api/v1/orders/:id/close-short":              `{"reason": "no_longer_needed", "note": "בדיקה"}`,
		"POST /api/v1/orders/:id/invoices": `{"number": "AUTHZ-{order_line}", "issued_on": "` + calendar.Today().String() + `", "subtotal": "1.00", "vat": "0.18",
			"total": "1.18", "lines": [{"line_id": {order_line}, "quantity": "1", "unit_price": "1.00"}]}`,
		"POST /orders/:id/receipts":                 "delivery_note=DN-1&recv_{order_line}=1&cond_{order_line}=good",
		"POST /orders/:id/disputes/:dispute/answer": "answer=accept",
		"POST /orders/:id/close-short":              "close_short_reason=no_longer_needed&close_short_note=x",
		"POST /orders/:id/invoices": "inv_number=P-{order_line}&inv_issued_on=" + calendar.Today().String() + "&inv_subtotal=1.00&inv_vat=0.18&inv_total=1.18" +
			"&inv_qty_{order_line}=1&inv_price_{order_line}=1.00",
	} {
		authzBodies[route] = body
	}
	authzOrderState["receipts"], authzOrderState["disputes"] = "delivered", "delivered"
	authzOrderState["invoices"], authzOrderState["close-short"] = "delivered", "confirmed"

	dispute := func(t testing.TB, w *authzWorld, order, lineID string) map[string]string {
		t.Helper()
		line := json.Number(lineID)
		r := authzCall(t, w, "officer", "/api/v1/orders/"+order+"/receipts",
			map[string]any{"delivery_note": "DN-2", "lines": []any{map[string]any{"line_id": line, "quantity": "0", "condition": "short"}}})
		return map[string]string{"disputes/:dispute": fmt.Sprint(r["dispute"].(map[string]any)["id"])}
	}
	authzOrderParams["POST /api/v1/orders/:id/disputes/:dispute/answer"] = dispute
	authzOrderParams["POST /orders/:id/disputes/:dispute/answer"] = dispute
	invoice := func(t testing.TB, w *authzWorld, order, lineID string) map[string]string {
		t.Helper()
		line := json.Number(lineID)
		authzCall(t, w, "officer", "/api/v1/orders/"+order+"/receipts",
			map[string]any{"delivery_note": "DN-3", "lines": []any{map[string]any{"line_id": line, "quantity": "1", "condition": "good"}}})
		r := webtest.Do(w.h, http.MethodGet, "/api/v1/orders/"+order, w.tokens["officer"], nil)
		o := r.Map(t)
		price := decimal.RequireFromString(o["lines"].([]any)[0].(map[string]any)["unit_price"].(string))
		vat := orders.Percent(price, decimal.RequireFromString(o["vat_rate"].(string)))
		inv := authzCall(t, w, "supplier", "/api/v1/orders/"+order+"/invoices", map[string]any{"number": "AUTHZ-M-" + order,
			"issued_on": fmt.Sprint(o["submitted_on"]), "subtotal": price.StringFixed(2), "vat": vat.StringFixed(2),
			"total": price.Add(vat).StringFixed(2), "lines": []any{map[string]any{"line_id": line, "quantity": "1", "unit_price": price.StringFixed(2)}}})
		if inv["status"] != "matched" {
			t.Fatalf("authz invoice: %v", inv)
		}
		return map[string]string{"invoices/:invoice": fmt.Sprint(inv["id"])}
	}
	authzOrderParams["POST /api/v1/orders/:id/invoices/:invoice/approve"] = invoice
	authzOrderParams["POST /orders/:id/invoices/:invoice/approve"] = invoice
}

// authzCall posts body to path as the world's caller who, and answers the
// JSON it got.
func authzCall(t testing.TB, w *authzWorld, who, path string, body any) map[string]any {
	t.Helper()
	r := webtest.Do(w.h, http.MethodPost, path, w.tokens[who], body)
	if r.Code >= 300 {
		t.Fatalf("POST %s as %s: %d %s", path, who, r.Code, r.Body)
	}
	return r.Map(t)
}
