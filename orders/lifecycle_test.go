package orders_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"madaf/internal/webtest"
)

// lifecycle drives an order from creation to closed through the HTTP API
// and returns its id. Whatever its total, the head and the treasurer both
// sign it, here the head first.
func lifecycle(t *testing.T, e *env, supplier user, body map[string]any) int64 {
	t.Helper()
	r := e.do("POST", "/api/v1/orders", e.officer, body)
	wantStatus(t, r, http.StatusCreated)
	o := r.Map(t)
	id := int64(o["id"].(float64))
	path := fmt.Sprintf("/api/v1/orders/%d", id)
	if o["status"] != "draft" || r.Header().Get("ETag") != `"v1"` {
		t.Fatalf("created %v with ETag %s", o["status"], r.Header().Get("ETag"))
	}
	// The supplier does not see a draft.
	wantStatus(t, e.do("GET", path, supplier, nil), http.StatusNotFound)

	r = e.do("GET", path, e.officer, nil)
	wantStatus(t, r, http.StatusOK)
	r = e.do("POST", path+"/submit", e.officer, nil, "If-Match", r.Header().Get("ETag"))
	wantStatus(t, r, http.StatusOK)
	o = r.Map(t)
	if o["status"] != "pending_approval" {
		t.Fatalf("submitted: %v", o["status"])
	}
	wantRequired := []any{"treasurer", "head"}
	// Either order: the head first.
	r = e.do("POST", path+"/sign", e.head, map[string]any{"note": "מאושר"})
	wantStatus(t, r, http.StatusOK)
	if s := r.Map(t)["status"]; s != "pending_approval" {
		t.Fatalf("after the head's signature: %v", s)
	}
	if got := o["signatures_required"].([]any); !slices.Equal(got, wantRequired) {
		t.Fatalf("signatures required %v, want %v", got, wantRequired)
	}
	r = e.do("POST", path+"/sign", e.treasurer, map[string]any{"legal": true, "budget_line": true, "no_deficit": true})
	wantStatus(t, r, http.StatusOK)
	o = r.Map(t)
	// Sent on Tuesday 2026-03-10 with a three business day window:
	// Wednesday, Thursday, (Friday, Saturday), Sunday.
	if o["status"] != "sent" || o["confirm_by"] != "2026-03-15" {
		t.Fatalf("after signatures: %v, confirm by %v", o["status"], o["confirm_by"])
	}
	sigs := o["signatures"].([]any)
	treasurerSig := sigs[len(sigs)-1].(map[string]any)
	if treasurerSig["role"] != "treasurer" || treasurerSig["check_legal"] != true || treasurerSig["check_budget_line"] != true || treasurerSig["check_no_deficit"] != true {
		t.Fatalf("treasurer's signature: %v", treasurerSig)
	}

	r = e.do("GET", path, supplier, nil)
	wantStatus(t, r, http.StatusOK)
	r = e.do("POST", path+"/confirm", supplier, map[string]any{"promised_date": "2026-03-20"}, "If-Match", r.Header().Get("ETag"))
	wantStatus(t, r, http.StatusOK)
	o = r.Map(t)
	if o["status"] != "confirmed" || o["promised_on"] != "2026-03-20" {
		t.Fatalf("confirmed: %v %v", o["status"], o["promised_on"])
	}
	lines := o["lines"].([]any)
	first := lines[0].(map[string]any)
	qty := first["quantity"].(string)
	// Deliver one unit of the first line, then everything left.
	r = e.do("POST", path+"/deliver", supplier, map[string]any{"lines": []any{map[string]any{"line_id": first["id"], "quantity": "1"}}})
	wantStatus(t, r, http.StatusOK)
	if s := r.Map(t)["status"]; s != "partially_delivered" {
		t.Fatalf("after a partial delivery: %v", s)
	}
	rest := []any{map[string]any{"line_id": first["id"], "quantity": dec(qty).Sub(dec("1")).String()}}
	for _, l := range lines[1:] {
		m := l.(map[string]any)
		rest = append(rest, map[string]any{"line_id": m["id"], "quantity": m["quantity"]})
	}
	r = e.do("POST", path+"/deliver", supplier, map[string]any{"lines": rest, "delivered_on": "2026-03-10"})
	wantStatus(t, r, http.StatusOK)
	if s := r.Map(t)["status"]; s != "delivered" {
		t.Fatalf("after the full delivery: %v", s)
	}
	r = e.do("POST", path+"/close", e.officer, map[string]any{"invoice_ref": "INV-2026-118"})
	wantStatus(t, r, http.StatusOK)
	if o = r.Map(t); o["status"] != "closed" || o["invoice_ref"] != "INV-2026-118" {
		t.Fatalf("closed: %v %v", o["status"], o["invoice_ref"])
	}

	r = e.do("GET", path+"/events", e.officer, nil)
	wantStatus(t, r, http.StatusOK)
	var events struct {
		Items []struct {
			Action     string `json:"action"`
			FromStatus string `json:"from_status"`
			ToStatus   string `json:"to_status"`
		}
	}
	r.JSON(t, &events)
	var got []string
	for _, ev := range events.Items {
		got = append(got, ev.Action+":"+ev.FromStatus+">"+ev.ToStatus)
	}
	want := []string{"create:>draft", "submit:draft>pending_approval", "sign:pending_approval>pending_approval",
		"sign:pending_approval>sent", "confirm:sent>confirmed",
		"deliver:confirmed>partially_delivered", "deliver:partially_delivered>delivered", "close:delivered>closed"}
	if !slices.Equal(got, want) {
		t.Fatalf("events\n got %v\nwant %v", got, want)
	}
	// The supplier reads the same history of its own order.
	wantStatus(t, e.do("GET", path+"/events", supplier, nil), http.StatusOK)
	return id
}

func TestLifecycleSingle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"1000.00", "250.50"}}})
	// 45 × 1000 + 3 × 250.50 = 45,751.50; VAT 18% 8,235.27; total
	// 53,986.77.
	id := lifecycle(t, e, tn.Users[0], e.orderBody(tn, 0, "45", "3"))
	o, err := e.svc.Get(ctx, e.officer.P, id)
	if err != nil {
		t.Fatal(err)
	}
	if o.Number != "2026-0001" || o.Subtotal.String() != "45751.50" || o.VAT.String() != "8235.27" ||
		o.Total.String() != "53986.77" || o.Fee.String() != "915.03" {
		t.Fatalf("order %s: subtotal %s vat %s total %s fee %s", o.Number, o.Subtotal, o.VAT, o.Total, o.Fee)
	}
	var kinds []string
	e.db.Select(&kinds, `SELECT kind FROM mail_outbox WHERE order_id = $1 ORDER BY id`, id)
	want := []string{"signature_awaited", "signature_awaited", "signature_awaited", "order_sent", "order_confirmed", "order_delivered", "order_delivered"}
	if !slices.Equal(kinds, want) {
		t.Fatalf("mails %v, want %v", kinds, want)
	}
}

func TestLifecycleChoice(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.mustTender(tenderSpec{rule: "choice", winners: 2, prices: [][]string{{"100.00", "20.00"}, {"95.00", ""}}})

	// The cart's prices side by side.
	r := e.do("GET", fmt.Sprintf("/api/v1/orders/quote?tender_id=%d&lines=%d:3,%d:2", tn.ID, tn.Items[0], tn.Items[1]), e.officer, nil)
	wantStatus(t, r, http.StatusOK)
	var q struct {
		AwardRule string `json:"award_rule"`
		Offers    []struct {
			SupplierID int64  `json:"supplier_id"`
			Complete   bool   `json:"complete"`
			Subtotal   string `json:"subtotal"`
			Total      string `json:"total"`
			Lines      []struct {
				UnitPrice *string `json:"unit_price"`
			} `json:"lines"`
		} `json:"offers"`
	}
	r.JSON(t, &q)
	if q.AwardRule != "choice" || len(q.Offers) != 2 {
		t.Fatalf("quote: %s", r.Body)
	}
	a, b := q.Offers[0], q.Offers[1]
	if a.SupplierID != tn.Winners[0] || !a.Complete || a.Subtotal != "340.00" || a.Total != "401.20" ||
		b.SupplierID != tn.Winners[1] || b.Complete || *b.Lines[0].UnitPrice != "95.00" || b.Lines[1].UnitPrice != nil {
		t.Fatalf("offers side by side: %s", r.Body)
	}
	// Another authority does not see the tender at all.
	wantStatus(t, e.do("GET", fmt.Sprintf("/api/v1/orders/quote?tender_id=%d&lines=%d:1", tn.ID, tn.Items[0]), e.otherOfficer, nil), http.StatusNotFound)

	// The officer picks the second winner, for the item it prices.
	lifecycle(t, e, tn.Users[1], e.orderBody(tn, 1, "7"))
}

func TestLifecycleRotation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.mustTender(tenderSpec{rule: "rotation", winners: 2, prices: [][]string{{"100.00"}, {"110.00"}}})
	quote := func() int64 {
		r := e.do("GET", fmt.Sprintf("/api/v1/orders/quote?tender_id=%d&lines=%d:1", tn.ID, tn.Items[0]), e.officer, nil)
		wantStatus(t, r, http.StatusOK)
		return int64(r.Map(t)["proposed_supplier_id"].(float64))
	}
	// Nobody has volume yet: the first award is proposed, and ordering
	// from it needs no justification.
	if p := quote(); p != tn.Winners[0] {
		t.Fatalf("first proposal %d, want %d", p, tn.Winners[0])
	}
	lifecycle(t, e, tn.Users[0], e.orderBody(tn, 0, "5"))

	// Now the second winner has the least volume this year.
	if p := quote(); p != tn.Winners[1] {
		t.Fatalf("second proposal %d, want %d", p, tn.Winners[1])
	}
	body := e.orderBody(tn, 0, "4")
	r := e.do("POST", "/api/v1/orders", e.officer, body)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if !strings.Contains(r.Body.String(), `"field":"justification"`) {
		t.Fatalf("override without justification: %s", r.Body)
	}
	body["justification"] = "הספק המוצע אינו יכול לספק עד מועד הפתיחה"
	id := lifecycle(t, e, tn.Users[0], body)

	// The override is stored and reported.
	r = e.do("GET", "/api/v1/orders?overridden=true", e.lead, nil)
	wantStatus(t, r, http.StatusOK)
	var list struct {
		Items []struct {
			ID                 int64  `json:"id"`
			Overridden         bool   `json:"overridden"`
			Justification      string `json:"justification"`
			ProposedSupplierID int64  `json:"proposed_supplier_id"`
		}
	}
	r.JSON(t, &list)
	if len(list.Items) != 1 || list.Items[0].ID != id || !list.Items[0].Overridden ||
		list.Items[0].Justification != body["justification"] || list.Items[0].ProposedSupplierID != tn.Winners[1] {
		t.Fatalf("overridden orders: %s", r.Body)
	}
}

func TestCompetitionRefusesDirectOrders(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.mustTender(tenderSpec{rule: "competition", winners: 2, prices: [][]string{{"100.00"}, {"90.00"}}})
	r := e.do("POST", "/api/v1/orders", e.officer, e.orderBody(tn, 0, "1"))
	wantStatus(t, r, http.StatusConflict)
	if m := r.Map(t); !strings.Contains(m["detail"].(string), "mini-competition") || m["award_rule"] != "competition" {
		t.Fatalf("409 body: %s", r.Body)
	}
	var n int
	e.db.Get(&n, `SELECT count(*) FROM orders`)
	if n != 0 {
		t.Fatalf("%d orders created", n)
	}
}

func TestOrderNumbersPerAuthorityWithoutGaps(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"10.00"}}})
	if _, err := e.db.Exec(`INSERT INTO tender_authorities (tender_id, authority_id) VALUES ($1, $2)`, tn.ID, e.other); err != nil {
		t.Fatal(err)
	}
	// A refused creation takes no number.
	bad := e.orderBody(tn, 0, "1")
	bad["budget_line_id"] = e.otherBudgetLine
	wantStatus(t, e.do("POST", "/api/v1/orders", e.officer, bad), http.StatusUnprocessableEntity)

	var numbers []string
	for i := 0; i < 3; i++ {
		r := e.do("POST", "/api/v1/orders", e.officer, e.orderBody(tn, 0, "1"))
		wantStatus(t, r, http.StatusCreated)
		numbers = append(numbers, r.Map(t)["number"].(string))
	}
	other := e.orderBody(tn, 0, "1")
	other["budget_line_id"] = e.otherBudgetLine
	r := e.do("POST", "/api/v1/orders", e.otherOfficer, other)
	wantStatus(t, r, http.StatusCreated)
	numbers = append(numbers, r.Map(t)["number"].(string))
	if want := []string{"2026-0001", "2026-0002", "2026-0003", "2026-0001"}; !slices.Equal(numbers, want) {
		t.Fatalf("numbers %v, want %v", numbers, want)
	}
}

var _ = webtest.Do

func TestListFiltersScopeAndPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.mustTender(tenderSpec{rule: "choice", winners: 2, prices: [][]string{{"10.00", "1.00"}, {"11.00", "1.00"}}})
	drafts := []int64{e.mustCreate(tn, 0, e.budgetLine, "1").ID, e.mustCreate(tn, 1, e.budgetLine, "1").ID}
	sent := e.mustSent(tn, 0, "1")
	ids := func(u user, query string) []int64 {
		t.Helper()
		r := e.do("GET", "/api/v1/orders"+query, u, nil)
		wantStatus(t, r, http.StatusOK)
		var list struct {
			Items []struct {
				ID int64 `json:"id"`
			} `json:"items"`
			NextCursor string `json:"next_cursor"`
		}
		r.JSON(t, &list)
		var out []int64
		for _, o := range list.Items {
			out = append(out, o.ID)
		}
		if list.NextCursor != "" {
			out = append(out, -1) // marks "there is a next page"
		}
		return out
	}
	all := []int64{sent.ID, drafts[1], drafts[0]}
	if got := ids(e.treasurer, ""); !slices.Equal(got, all) {
		t.Fatalf("the authority's orders: %v, want %v", got, all)
	}
	if got := ids(e.otherOfficer, ""); len(got) != 0 {
		t.Fatalf("another authority sees %v", got)
	}
	if got := ids(tn.Users[0], ""); !slices.Equal(got, []int64{sent.ID}) {
		t.Fatalf("the supplier sees %v: only its sent orders", got)
	}
	if got := ids(tn.Users[1], ""); len(got) != 0 {
		t.Fatalf("the other winner sees %v: it has only a draft", got)
	}
	if got := ids(e.lead, "?status=draft"); !slices.Equal(got, []int64{drafts[1], drafts[0]}) {
		t.Fatalf("drafts: %v", got)
	}
	if got := ids(e.lead, fmt.Sprintf("?supplier_id=%d&tender_id=%d", tn.Winners[1], tn.ID)); !slices.Equal(got, []int64{drafts[1]}) {
		t.Fatalf("by supplier: %v", got)
	}
	r := e.do("GET", "/api/v1/orders?limit=2", e.officer, nil)
	cursor, _ := r.Map(t)["next_cursor"].(string)
	if got := ids(e.officer, "?limit=2"); !slices.Equal(got, []int64{sent.ID, drafts[1], -1}) {
		t.Fatalf("first page: %v", got)
	}
	if got := ids(e.officer, "?limit=2&cursor="+cursor); !slices.Equal(got, []int64{drafts[0]}) {
		t.Fatalf("second page: %v", got)
	}
	wantStatus(t, e.do("GET", "/api/v1/orders?status=lost", e.officer, nil), http.StatusUnprocessableEntity)
}
