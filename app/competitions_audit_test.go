package app

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"madaf/competitions"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/fixture"
	"madaf/internal/money"
	"madaf/orders"
)

// The competitions' writes, each with the entry of the trail it must
// leave (see auditWrites). Quoted prices are secrets of the trail ("***").
func init() {
	for route, w := range map[string]auditWrite{
		"POST /api/v1/competitions": {as: "officer", path: "/api/v1/competitions",
			body: `{"tender_id": {order_tender}, "budget_line_id": {order_line}, "delivery_address": "בניין המועצה",
				"requested_date": "{in30}", "lines": [{"item_id": {order_item}, "quantity": "4"}]}`,
			object: "competitions", action: "insert",
			after: map[string]string{"status": `"draft"`, "tender_id": "{order_tender}", "authority_id": "{zichron}"}},
		"PUT /api/v1/competitions/:id": {as: "officer", path: "/api/v1/competitions/{competition}",
			body: `{"tender_id": {order_tender}, "budget_line_id": {order_line}, "delivery_address": "בניין המועצה",
				"requested_date": "{in30}", "notes": "כולל הדרכה", "lines": [{"item_id": {order_item}, "quantity": "4"}]}`,
			prepare: func(t *testing.T, w *auditWorld) map[string]string { return w.competitionIn(t, "draft") },
			object:  "competitions", action: "update", objectID: "{competition}",
			before: map[string]string{"notes": `""`}, after: map[string]string{"notes": `"כולל הדרכה"`}},
		"POST /api/v1/competitions/:id/publish": {as: "officer", path: "/api/v1/competitions/{competition}/publish",
			prepare: func(t *testing.T, w *auditWorld) map[string]string { return w.competitionIn(t, "draft") },
			object:  "competitions", action: "update", objectID: "{competition}",
			before: map[string]string{"status": `"draft"`, "round": "0"}, after: map[string]string{"status": `"published"`, "round": "1"}},
		"POST /api/v1/competitions/:id/cancel": {as: "officer", path: "/api/v1/competitions/{competition}/cancel",
			body:    `{"reason": "duplicate"}`,
			prepare: func(t *testing.T, w *auditWorld) map[string]string { return w.competitionIn(t, "published") },
			object:  "competitions", action: "update", objectID: "{competition}",
			before: map[string]string{"status": `"published"`}, after: map[string]string{"status": `"cancelled"`, "cancel_reason": `"duplicate"`}},
		"POST /api/v1/competitions/:id/questions": {as: "supplier", path: "/api/v1/competitions/{competition}/questions",
			body:    `{"text": "האם נדרשת התקנה?"}`,
			prepare: func(t *testing.T, w *auditWorld) map[string]string { return w.competitionIn(t, "published") },
			object:  "competition_questions", action: "insert",
			after: map[string]string{"question": `"האם נדרשת התקנה?"`, "supplier_id": "{medical}", "answer": `""`}},
		"POST /api/v1/competitions/:id/questions/:question_id/answer": {as: "officer",
			path: "/api/v1/competitions/{competition}/questions/{question}/answer", body: `{"text": "כן, בכל בית ספר"}`,
			prepare: func(t *testing.T, w *auditWorld) map[string]string { return w.competitionIn(t, "asked") },
			object:  "competition_questions", action: "update", objectID: "{question}",
			before: map[string]string{"answer": `""`}, after: map[string]string{"answer": `"כן, בכל בית ספר"`}},
		"PUT /api/v1/competitions/:id/quote": {as: "supplier", path: "/api/v1/competitions/{competition}/quote",
			body:    `{"lines": [{"item_id": {order_item}, "unit_price": "150.00"}]}`,
			prepare: func(t *testing.T, w *auditWorld) map[string]string { return w.competitionIn(t, "published") },
			object:  "competition_quote_revisions", action: "insert", objectID: "*",
			after: map[string]string{"revision": "1", "quoted_total": `"***"`}},
		"POST /api/v1/competitions/:id/quote/withdraw": {as: "supplier", path: "/api/v1/competitions/{competition}/quote/withdraw",
			prepare: func(t *testing.T, w *auditWorld) map[string]string { return w.competitionIn(t, "quoted") },
			object:  "competition_quotes", action: "update", objectID: "*",
			before: map[string]string{"status": `"submitted"`}, after: map[string]string{"status": `"withdrawn"`}},
		"POST /api/v1/competitions/:id/decline": {as: "supplier", path: "/api/v1/competitions/{competition}/decline",
			body:    `{"text": "אין לנו מלאי"}`,
			prepare: func(t *testing.T, w *auditWorld) map[string]string { return w.competitionIn(t, "published") },
			object:  "competition_invitations", action: "update", objectID: "*",
			before: map[string]string{"declined_at": "null"}, after: map[string]string{"decline_reason": `"אין לנו מלאי"`, "declined_at": "?"}},
		"POST /api/v1/competitions/:id/proposal": {as: "treasurer", path: "/api/v1/competitions/{competition}/proposal",
			body:    `{"supplier_id": {second}, "reason": "הזול ביותר איחר באספקות קודמות"}`,
			prepare: func(t *testing.T, w *auditWorld) map[string]string { return w.competitionIn(t, "closed") },
			object:  "competitions", action: "update", objectID: "{competition}",
			before: map[string]string{"proposal_supplier_id": "{medical}", "committee_round": "1"},
			after:  map[string]string{"proposal_supplier_id": "{second}", "proposal_reason": `"הזול ביותר איחר באספקות קודמות"`, "committee_round": "2"}},
		"POST /api/v1/competitions/:id/votes": {as: "treasurer", path: "/api/v1/competitions/{competition}/votes",
			body:    `{"vote": "approve", "supplier_id": {medical}}`,
			prepare: func(t *testing.T, w *auditWorld) map[string]string { return w.competitionIn(t, "closed") },
			object:  "competition_votes", action: "insert", objectID: "*",
			after: map[string]string{"slot": `"treasurer"`, "vote": `"approve"`, "user_id": "{treasurer}"}},
		"POST /api/v1/competitions/:id/pass": {as: "officer", path: "/api/v1/competitions/{competition}/pass",
			body:    `{"text": "הספק דחה את ההזמנה"}`,
			prepare: func(t *testing.T, w *auditWorld) map[string]string { return w.competitionIn(t, "rejected") },
			object:  "competitions", action: "update", objectID: "{competition}",
			before: map[string]string{"chosen_supplier_id": "{medical}"}, after: map[string]string{"chosen_supplier_id": "{second}"}},
		"PUT /api/v1/tenders/:id/competition": {as: "lead", path: "/api/v1/tenders/{tender}/competition",
			body:    `{"competition_from": "50000.00", "competition_min_days": 5}`,
			prepare: func(t *testing.T, w *auditWorld) map[string]string { return w.tender(t, "active") },
			object:  "tenders", action: "update", objectID: "{tender}",
			before: map[string]string{"competition_from": "null", "competition_min_days": "3"},
			after:  map[string]string{"competition_from": "50000.00", "competition_min_days": "5"}},
	} {
		auditWrites[route] = w
	}
}

// competitionIn makes a request for quotes of זכרון יעקב on the world's
// tender (the world's item, four of them) in state: "draft"; "published"
// on the database's clock (days before its deadline), the medical supplier
// invited; "asked", with the medical supplier's question; "quoted", with
// its quote; "closed" a month ago, with the medical supplier's quote
// cheapest and a second winner's ranked next; "rejected", decided for the
// medical supplier, whose order was sent and which rejected it. Its values
// are competition, question and second (the second winner).
func (w *auditWorld) competitionIn(t *testing.T, state string) map[string]string {
	t.Helper()
	ctx := context.Background()
	principal := func(id int64) *auth.Principal {
		t.Helper()
		p, err := w.sess.Principal(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	officer, supplier := principal(w.id("officer")), principal(w.id("supplier"))
	now := time.Now()
	if state == "closed" || state == "rejected" {
		now = now.AddDate(0, -1, 0)
	}
	svc := competitions.NewService(w.db, competitions.Options{Now: func() time.Time { return now }})
	in := competitions.Input{TenderID: w.order.tender, BudgetLineID: w.order.budgetLine, DeliveryAddress: "בניין המועצה",
		RequestedDate: calendar.Today().AddDays(30), Lines: []competitions.LineInput{{ItemID: w.order.item, Quantity: decimal.NewFromInt(4)}}}
	c, err := svc.Create(ctx, officer, in)
	if err != nil {
		t.Fatalf("prepare a competition: %v", err)
	}
	out := map[string]string{"competition": strconv.FormatInt(c.ID, 10)}
	if state == "draft" {
		return out
	}
	if c, err = svc.Publish(ctx, officer, c.ID, "", competitions.PublishInput{}); err != nil {
		t.Fatalf("prepare: publish: %v", err)
	}
	quote := func(p *auth.Principal, price string) {
		t.Helper()
		in := competitions.QuoteInput{Lines: []competitions.QuoteLineInput{{ItemID: w.order.item, UnitPrice: money.MustParse(price)}}}
		if _, err := svc.SubmitQuote(ctx, p, c.ID, in); err != nil {
			t.Fatalf("prepare: quote: %v", err)
		}
	}
	switch state {
	case "asked":
		q, err := svc.Ask(ctx, supplier, c.ID, competitions.TextInput{Text: "האם נדרשת התקנה?"})
		if err != nil {
			t.Fatalf("prepare: ask: %v", err)
		}
		out["question"] = strconv.FormatInt(q.ID, 10)
	case "quoted":
		quote(supplier, "150.00")
	case "closed", "rejected":
		var second int64
		for _, inv := range c.Invitations {
			if inv.SupplierID != w.order.supplier {
				second = inv.SupplierID
			}
		}
		if second == 0 {
			t.Fatal("prepare: no second winner invited")
		}
		out["second"] = strconv.FormatInt(second, 10)
		quote(supplier, "150.00")
		quote(principal(fixture.MustUser(t, w.db, auth.OrgSupplier, second, auth.RoleSupplier).ID), "160.00")
		now = c.Deadline.Add(time.Minute)
		if n, err := svc.CloseDue(ctx); err != nil || n == 0 {
			t.Fatalf("prepare: close: %d %v", n, err)
		}
	}
	if state != "rejected" {
		return out
	}
	live := competitions.NewService(w.db, competitions.Options{})
	var p *competitions.Protocol
	for _, role := range []string{auth.RoleCEO, auth.RoleTreasurer, auth.RoleLegalAdviser} {
		member := fixture.MustUser(t, w.db, auth.OrgAuthority, w.zichron, role)
		closed, err := live.Get(ctx, member.P, c.ID)
		if err != nil || closed.ProposalSupplierID == nil {
			t.Fatalf("prepare: the proposal: %+v %v", closed, err)
		}
		vote := competitions.VoteInput{Vote: competitions.VoteApprove, SupplierID: *closed.ProposalSupplierID}
		if p, err = live.Vote(ctx, member.P, c.ID, "", vote); err != nil {
			t.Fatalf("prepare: vote: %v", err)
		}
	}
	os := orders.NewService(w.db, orders.Options{})
	id := *p.Competition.OrderID
	if _, err := os.Submit(ctx, officer, id, ""); err != nil {
		t.Fatalf("prepare: submit: %v", err)
	}
	for _, signer := range []string{"treasurer", "head"} {
		if _, err := os.Sign(ctx, principal(w.id(signer)), id, "", orders.SignInput{Legal: true, BudgetLine: true, NoDeficit: true}); err != nil {
			t.Fatalf("prepare: sign: %v", err)
		}
	}
	if _, err := os.Reject(ctx, supplier, id, "", orders.RejectInput{Reason: "אין מלאי"}); err != nil {
		t.Fatalf("prepare: reject: %v", err)
	}
	return out
}
