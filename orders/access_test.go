package orders_test

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"

	"madaf/internal/calendar"
	"madaf/internal/orderstatus"
	"madaf/orders"
)

// mustInState builds an order of tn (winner 0, one unit of each of two
// items) in status.
func (e *env) mustInState(tn *tender, status string) *orders.Order {
	e.t.Helper()
	var o *orders.Order
	var err error
	step := func(f func() (*orders.Order, error)) {
		if err == nil {
			o, err = f()
		}
	}
	supplier := tn.Users[0].P
	switch status {
	case orderstatus.Draft:
		return e.mustCreate(tn, 0, e.budgetLine, "2", "1")
	case orderstatus.PendingApproval, orderstatus.Cancelled:
		o = e.mustCreate(tn, 0, e.budgetLine, "2", "1")
		if status == orderstatus.Cancelled {
			step(func() (*orders.Order, error) {
				return e.svc.Cancel(ctx, e.officer.P, o.ID, "", orders.CancelInput{Reason: "duplicate"})
			})
			break
		}
		step(func() (*orders.Order, error) { return e.svc.Submit(ctx, e.officer.P, o.ID, "") })
	default:
		o = e.mustSent(tn, 0, "2", "1")
		switch status {
		case orderstatus.Rejected:
			step(func() (*orders.Order, error) {
				return e.svc.Reject(ctx, supplier, o.ID, "", orders.RejectInput{Reason: "אין מלאי"})
			})
		case orderstatus.Confirmed, orderstatus.PartiallyDelivered, orderstatus.Delivered, orderstatus.Closed:
			step(func() (*orders.Order, error) {
				return e.svc.Confirm(ctx, supplier, o.ID, "", orders.ConfirmInput{PromisedDate: e.today().AddDays(7)})
			})
			if status == orderstatus.Confirmed {
				break
			}
			step(func() (*orders.Order, error) {
				in := orders.DeliverInput{Lines: []orders.DeliveryLine{{LineID: o.Lines[0].ID, Quantity: orders.Qty("2")}}}
				if status != orderstatus.PartiallyDelivered {
					in.Lines = append(in.Lines, orders.DeliveryLine{LineID: o.Lines[1].ID, Quantity: orders.Qty("1")})
				}
				return e.svc.Deliver(ctx, supplier, o.ID, "", in)
			})
			if status == orderstatus.Closed {
				step(func() (*orders.Order, error) {
					return e.svc.Close(ctx, e.officer.P, o.ID, "", orders.CloseInput{InvoiceRef: "INV-1"})
				})
			}
		}
	}
	if err != nil {
		e.t.Fatalf("build a %s order: %v", status, err)
	}
	if o.Status != status {
		e.t.Fatalf("built a %s order, not %s", o.Status, status)
	}
	return o
}

func TestForbiddenActionsChangeNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00", "10.00"}}})
	_, stranger := e.mustSupplier("ספק זר בע\"מ")
	supplier := tn.Users[0]

	type who struct {
		name  string
		u     user
		roles []string
	}
	people := []who{
		{"officer", e.officer, []string{"officer"}},
		{"treasurer", e.treasurer, []string{"treasurer"}},
		{"head", e.head, []string{"head"}},
		{"supplier", supplier, []string{"supplier"}},
		{"lead", e.lead, []string{"economic_lead"}},
		{"other_officer", e.otherOfficer, []string{"officer"}},
		{"other_supplier", stranger, []string{"supplier"}},
	}
	roles := map[string][]string{
		"update": {"officer"}, "submit": {"officer"}, "sign": {"treasurer", "head"}, "return": {"treasurer", "head"},
		"confirm": {"supplier"}, "reject": {"supplier"}, "deliver": {"supplier"}, "close": {"officer"}, "cancel": {"officer"},
	}
	from := map[string][]string{
		"update": {"draft"}, "submit": {"draft"}, "sign": {"pending_approval"}, "return": {"pending_approval"},
		"confirm": {"sent"}, "reject": {"sent"}, "deliver": {"confirmed", "partially_delivered"}, "close": {"delivered"},
		"cancel": {"draft", "pending_approval", "sent"},
	}
	sentStates := []string{"sent", "confirmed", "partially_delivered", "delivered", "closed", "rejected"}
	visible := func(w who, status string) bool {
		switch w.name {
		case "other_officer", "other_supplier":
			return false
		case "supplier":
			return slices.Contains(sentStates, status)
		}
		return true
	}

	built := map[string]*orders.Order{}
	for _, status := range orderstatus.All {
		built[status] = e.mustInState(tn, status)
	}
	var mu sync.Mutex
	checked := map[int]int{}
	t.Run("Matrix", func(t *testing.T) {
		for _, status := range orderstatus.All {
			o := built[status]
			t.Run(status, func(t *testing.T) {
				t.Parallel()
				path := fmt.Sprintf("/api/v1/orders/%d", o.ID)
				bodies := map[string]any{
					"update": e.orderBody(tn, 0, "5"),
					"submit": nil,
					// Not the bodies the orders were brought to their state with:
					// their signer's repeat of those answers the order (see
					// TestRepeatedTransitionAnswersTheOrder).
					"sign":    map[string]any{"legal": true, "budget_line": true, "no_deficit": true, "note": "נבדק"},
					"return":  map[string]any{"note": "חסר פירוט"},
					"confirm": map[string]any{"promised_date": "2026-03-25"},
					"reject":  map[string]any{"reason": "אין מלאי במחסן"},
					"deliver": map[string]any{"lines": []any{map[string]any{"line_id": o.Lines[0].ID, "quantity": "1"}}},
					"close":   map[string]any{"invoice_ref": "INV-9"},
					"cancel":  map[string]any{"reason": "other", "note": "טעות"},
				}
				for _, w := range people {
					// Reading: out of scope is 404, in scope 200.
					want := http.StatusOK
					if !visible(w, status) {
						want = http.StatusNotFound
					}
					if r := e.do("GET", path, w.u, nil); r.Code != want {
						t.Errorf("%s GET a %s order: %d, want %d", w.name, status, r.Code, want)
					}
					for action, body := range bodies {
						switch {
						case !visible(w, status):
							want = http.StatusNotFound
						case !slices.ContainsFunc(w.roles, func(r string) bool { return slices.Contains(roles[action], r) }):
							want = http.StatusForbidden
						case !slices.Contains(from[action], status):
							want = http.StatusConflict
						default:
							continue // allowed: not a forbidden action
						}
						mu.Lock()
						checked[want]++
						mu.Unlock()
						before := e.snapshot(o.ID)
						method, url := "POST", path+"/"+action
						if action == "update" {
							method, url = "PUT", path
						}
						// If-Match: * (which every order matches) makes each
						// request another than the one that brought the
						// order to its state.
						r := e.do(method, url, w.u, body, "If-Match", "*")
						if r.Code != want {
							t.Errorf("%s %s a %s order: %d, want %d: %s", w.name, action, status, r.Code, want, r.Body)
						}
						if after := e.snapshot(o.ID); after != before {
							t.Errorf("%s %s a %s order changed it: %s → %s", w.name, action, status, before, after)
						}
					}
				}
			})
		}
	})
	t.Logf("refusals checked by status: %v", checked)
	if checked[404] == 0 || checked[403] == 0 || checked[409] == 0 {
		t.Fatalf("the matrix lacks a kind of refusal: %v", checked)
	}

	// Only an officer creates orders.
	for _, w := range people[1:5] {
		if r := e.do("POST", "/api/v1/orders", w.u, e.orderBody(tn, 0, "1")); r.Code != http.StatusForbidden {
			t.Errorf("%s creates an order: %d, want 403", w.name, r.Code)
		}
	}
}

// snapshot is what a refused action must leave unchanged.
func (e *env) snapshot(orderID int64) string {
	var s string
	e.db.Get(&s, `SELECT o.status || '/v' || o.version || '/events ' || (SELECT count(*) FROM order_events WHERE order_id = o.id)
		|| '/signatures ' || (SELECT count(*) FROM order_signatures WHERE order_id = o.id)
		|| '/delivered ' || (SELECT coalesce(sum(delivered), 0) FROM order_lines WHERE order_id = o.id)
		|| '/mails ' || (SELECT count(*) FROM mail_outbox WHERE order_id = o.id)
		FROM orders o WHERE o.id = $1`, orderID)
	return s
}

func (e *env) today() calendar.Date { return calendar.DateOf(e.clock()) }
