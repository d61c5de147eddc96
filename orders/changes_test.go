package orders_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"madaf/internal/calendar"
	"madaf/internal/webtest"
	"madaf/orders"
	"madaf/volumes"
)

// mustSentOn creates an order on budget line line, submits it and has it
// signed, so that it is sent.
func (e *env) mustSentOn(tn *tender, line int64, qty ...string) *orders.Order {
	e.t.Helper()
	o := e.mustCreate(tn, 0, line, qty...)
	if _, err := e.svc.Submit(ctx, e.officer.P, o.ID, ""); err != nil {
		e.t.Fatalf("submit: %v", err)
	}
	return e.mustSign(o, e.treasurer, e.head)
}

// held is what capacity_holds keeps on a capacity, as text.
func (e *env) held(kind string, id, authority int64) (subtotal, total string) {
	e.t.Helper()
	var r struct {
		Subtotal string `db:"subtotal"`
		Total    string `db:"total"`
	}
	if err := e.db.Get(&r, `SELECT subtotal::text, total::text FROM capacity_holds WHERE kind = $1 AND id = $2 AND authority_id = $3`,
		kind, id, authority); err != nil {
		e.t.Fatalf("held: %v", err)
	}
	return r.Subtotal, r.Total
}

// changeFieldKey is the key of r's field error on field, "" when none.
func changeFieldKey(t *testing.T, r webtest.Response, field string) string {
	t.Helper()
	errs, _ := r.Map(t)["errors"].([]any)
	for _, fe := range errs {
		if m := fe.(map[string]any); m["field"] == field {
			s, _ := m["code"].(string)
			return s
		}
	}
	return ""
}

// verifyVolumes fails unless the volumes and holds recomputed from the
// orders equal what the transitions kept.
func verifyVolumes(t *testing.T, e *env) {
	t.Helper()
	var report strings.Builder
	if diffs, err := volumes.Verify(ctx, e.db, &report); err != nil || diffs != 0 {
		t.Fatalf("volumes verify: %d differences, %v\n%s", diffs, err, report.String())
	}
}

func changeBody(reason string, lines ...map[string]any) map[string]any {
	return map[string]any{"reason": reason, "lines": lines}
}

func TestChangeAboveTheBudgetLineIsRefusedWithWhatIsLeft(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	line := e.mustBudgetLine(e.authority, 2026, "500.00")
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00"}}})
	// 2 × 100.00 + 18% VAT: the order holds 236.00 of the line's 500.00.
	o := e.mustSentOn(tn, line, "2")
	path := fmt.Sprintf("/api/v1/orders/%d/changes", o.ID)

	// 5 × 100.00 is 590.00: 354.00 more than the order holds, with 264.00 left.
	r := e.do("POST", path, e.officer, changeBody("more pupils", map[string]any{"line_id": o.Lines[0].ID, "quantity": "5"}),
		"If-Match", o.ETag())
	wantStatus(t, r, http.StatusConflict)
	m := r.Map(t)
	checks, _ := m["failed_checks"].([]any)
	if m["code"] != "order.change.cannot_reserve" || len(checks) != 1 {
		t.Fatalf("refusal: %s", r.Body)
	}
	c := checks[0].(map[string]any)
	if c["check"] != "budget_line_balance" || c["remaining"] != "264.00" || c["required"] != "354.00" ||
		!strings.Contains(c["message"].(string), "264.00") {
		t.Fatalf("refusal: %s", r.Body)
	}
	if sub, tot := e.held("budget_line", line, 0); tot != "236.00" || sub != "200.00" {
		t.Fatalf("after the refusal the line holds %s / %s", sub, tot)
	}
	if n := e.count(`SELECT count(*) FROM order_changes WHERE order_id = $1`, o.ID); n != 0 {
		t.Fatalf("%d changes after a refusal", n)
	}

	// 4 × 100.00 fits: the increase of 236.00 is held from the proposal.
	r = e.do("POST", path, e.officer, changeBody("more pupils", map[string]any{"line_id": o.Lines[0].ID, "quantity": "4"}),
		"If-Match", o.ETag())
	wantStatus(t, r, http.StatusCreated)
	m = r.Map(t)
	if m["status"] != "pending_signature" || m["total"] != "472.00" || m["held_total"] != "236.00" || m["revision"] != float64(2) {
		t.Fatalf("change: %s", r.Body)
	}
	if sub, tot := e.held("budget_line", line, 0); tot != "472.00" || sub != "400.00" {
		t.Fatalf("the line holds %s / %s with the change open", sub, tot)
	}
	got, _ := e.svc.Get(ctx, e.officer.P, o.ID)
	if !got.Total.Equal(dec("236.00")) || got.Revision != 1 {
		t.Fatalf("the order changed before acceptance: %s rev %d", got.Total, got.Revision)
	}
	// A second change of the order while one is open.
	r = e.do("POST", path, e.officer, changeBody("again", map[string]any{"line_id": o.Lines[0].ID, "quantity": "3"}))
	wantStatus(t, r, http.StatusConflict)
	verifyVolumes(t, e)
}

func TestChangeLoweringTheTotalReleasesTheDifferenceWhenAccepted(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	line := e.mustBudgetLine(e.authority, 2026, "5000.00")
	tn := e.mustTender(tenderSpec{rule: "single", ceiling: "10000.00", winners: 1, prices: [][]string{{"100.00", "10.00"}}})
	supplier := tn.Users[0]
	o := e.mustSentOn(tn, line, "5", "3") // 530.00 + 95.40 = 625.40
	path := fmt.Sprintf("/api/v1/orders/%d", o.ID)

	r := e.do("POST", path+"/changes", e.officer, map[string]any{"reason": "fewer rooms", "delivery_address": "רחוב הבנים 4",
		"lines": []map[string]any{{"line_id": o.Lines[0].ID, "quantity": "2"}, {"line_id": o.Lines[1].ID, "quantity": "0"}}},
		"If-Match", o.ETag())
	wantStatus(t, r, http.StatusCreated)
	m := r.Map(t)
	// A change that lowers the total needs no signature: it goes to the
	// supplier at once, with the tender's window to answer in.
	if m["status"] != "pending_supplier" || m["total"] != "236.00" || m["held_total"] != "0.00" || m["respond_by"] != "2026-03-15" {
		t.Fatalf("change: %s", r.Body)
	}
	cid := int64(m["id"].(float64))
	if n := e.count(`SELECT count(*) FROM mail_outbox WHERE order_id = $1 AND kind = 'change_proposed'`, o.ID); n != 1 {
		t.Fatalf("%d mails to the supplier", n)
	}
	// Nothing is released before the change is final.
	if _, tot := e.held("budget_line", line, 0); tot != "625.40" {
		t.Fatalf("the line holds %s before acceptance", tot)
	}
	// The supplier sees the change and accepts it.
	r = e.do("GET", path+"/changes", supplier, nil)
	wantStatus(t, r, http.StatusOK)
	if items := r.Map(t)["items"].([]any); len(items) != 1 || items[0].(map[string]any)["held_total"] != "0.00" {
		t.Fatalf("supplier's changes: %s", r.Body)
	}
	etag := e.do("GET", path, supplier, nil).Header().Get("ETag")
	r = e.do("POST", fmt.Sprintf("%s/changes/%d/accept", path, cid), supplier, map[string]any{"note": "בסדר"}, "If-Match", etag)
	wantStatus(t, r, http.StatusOK)
	if r.Map(t)["status"] != "accepted" {
		t.Fatalf("accept: %s", r.Body)
	}
	if sub, tot := e.held("budget_line", line, 0); tot != "236.00" || sub != "200.00" {
		t.Fatalf("after acceptance the line holds %s / %s, want the difference released", sub, tot)
	}
	if sub, _ := e.held("tender", tn.ID, 0); sub != "200.00" {
		t.Fatalf("the ceiling holds %s", sub)
	}
	got, err := e.svc.Get(ctx, e.officer.P, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Revision != 2 || got.NumberRevision() != o.Number+"/2" || !got.Total.Equal(dec("236.00")) ||
		len(got.Lines) != 1 || !got.Lines[0].Quantity.Equal(dec("2")) || got.DeliveryAddress != "רחוב הבנים 4" {
		t.Fatalf("accepted order: rev %d total %s lines %d address %q", got.Revision, got.Total, len(got.Lines), got.DeliveryAddress)
	}
	// The volumes follow the accepted revision.
	var vol string
	e.db.Get(&vol, `SELECT total::text FROM volume_orders WHERE order_id = $1`, o.ID)
	if vol != "236.00" {
		t.Fatalf("volume_orders total %s", vol)
	}
	if n := e.count(`SELECT count(*) FROM mail_outbox WHERE order_id = $1 AND kind = 'change_accepted'`, o.ID); n != 1 {
		t.Fatalf("%d mails to the officer", n)
	}
	verifyVolumes(t, e)

	// A declined change changes nothing and releases what it held.
	got, _ = e.svc.Get(ctx, e.officer.P, o.ID)
	r = e.do("POST", path+"/changes", e.officer, changeBody("add", map[string]any{"line_id": got.Lines[0].ID, "quantity": "3"}),
		"If-Match", got.ETag())
	wantStatus(t, r, http.StatusCreated)
	cid = int64(r.Map(t)["id"].(float64))
	if _, tot := e.held("budget_line", line, 0); tot != "354.00" {
		t.Fatalf("held %s with a raising change open", tot)
	}
	// Awaiting signatures, the supplier does not see it.
	wantStatus(t, e.do("GET", fmt.Sprintf("%s/changes/%d", path, cid), supplier, nil), http.StatusNotFound)
	if _, _, err := e.svc.SignChange(ctx, e.treasurer.P, o.ID, cid, "", treasurerChecks); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.SignChange(ctx, e.head.P, o.ID, cid, "", orders.SignInput{}); err != nil {
		t.Fatal(err)
	}
	r = e.do("POST", fmt.Sprintf("%s/changes/%d/decline", path, cid), supplier, map[string]any{})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if changeFieldKey(t, r, "reason") == "" {
		t.Fatalf("decline without a reason: %s", r.Body)
	}
	r = e.do("POST", fmt.Sprintf("%s/changes/%d/decline", path, cid), supplier, map[string]any{"reason": "אין במלאי"})
	wantStatus(t, r, http.StatusOK)
	if _, tot := e.held("budget_line", line, 0); tot != "236.00" {
		t.Fatalf("held %s after the decline", tot)
	}
	after, _ := e.svc.Get(ctx, e.officer.P, o.ID)
	if after.Revision != 2 || !after.Total.Equal(dec("236.00")) {
		t.Fatalf("declined change changed the order: rev %d total %s", after.Revision, after.Total)
	}
	verifyVolumes(t, e)
}

func TestChangeRaisingTheTotalNeedsBothSignaturesAgain(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00", "20.00"}}})
	supplier := tn.Users[0]
	o := e.mustSentOn(tn, e.budgetLine, "1")
	path := fmt.Sprintf("/api/v1/orders/%d", o.ID)
	// An added item is priced at the price in force on the submission
	// date, even after a later price change.
	e.setClock(defaultNow.Add(24 * time.Hour))
	if _, err := e.db.Exec(`INSERT INTO award_prices (award_id, item_id, price, valid_from, reason) VALUES ($1, $2, 25.00, '2026-03-11', 'price_update')`,
		tn.awards[0], tn.Items[1]); err != nil {
		t.Fatal(err)
	}
	r := e.do("POST", path+"/changes", e.officer, changeBody("add cables", map[string]any{"item_id": tn.Items[1], "quantity": "2"}))
	wantStatus(t, r, http.StatusCreated)
	m := r.Map(t)
	lines := m["lines"].([]any)
	added := lines[1].(map[string]any)
	if m["status"] != "pending_signature" || added["unit_price"] != "20.00" || added["line_id"] != nil || m["subtotal"] != "140.00" {
		t.Fatalf("change: %s", r.Body)
	}
	cid := int64(m["id"].(float64))
	cpath := fmt.Sprintf("%s/changes/%d", path, cid)
	if n := e.count(`SELECT count(*) FROM mail_outbox WHERE order_id = $1 AND kind = 'change_signature_awaited'`, o.ID); n < 2 {
		t.Fatalf("%d mails to the signatories", n)
	}
	// Not before the signatures: the supplier cannot accept it.
	wantStatus(t, e.do("POST", cpath+"/accept", supplier, nil), http.StatusNotFound)
	// The officer may not sign; the treasurer needs the checks.
	wantStatus(t, e.do("POST", cpath+"/sign", e.officer, map[string]any{}), http.StatusForbidden)
	r = e.do("POST", cpath+"/sign", e.treasurer, map[string]any{"slot": "treasurer"})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	r = e.do("POST", cpath+"/sign", e.treasurer, map[string]any{"legal": true, "budget_line": true, "no_deficit": true})
	wantStatus(t, r, http.StatusOK)
	if r.Map(t)["status"] != "pending_signature" {
		t.Fatalf("after one signature: %s", r.Body)
	}
	// The treasurer signed seeing the budget line, the change's increase
	// between what was left before and after it.
	// 140.00 − 100.00 = 40.00 more, 47.20 with VAT: the line held 118.00
	// for the order and now 165.20.
	var seen string
	e.db.Get(&seen, `SELECT concat_ws('/', budget_held, budget_left_before, budget_left_after, budget_amount - budget_left_after)
		FROM order_change_signatures WHERE change_id = $1 AND slot = 'treasurer'`, cid)
	_, held := e.held("budget_line", e.budgetLine, 0)
	left := dec("1000000").Sub(dec(held))
	want := fmt.Sprintf("%s/%s/%s/%s", held, left.Add(dec("47.20")).StringFixed(2), left.StringFixed(2), held)
	if held != "165.20" || seen != want {
		t.Fatalf("the treasurer's figures: %q, want %q (held %s)", seen, want, held)
	}
	// The same person does not fill both slots.
	wantStatus(t, e.do("POST", cpath+"/sign", e.treasurer, map[string]any{"slot": "head"}), http.StatusConflict)
	r = e.do("POST", cpath+"/sign", e.head, map[string]any{})
	wantStatus(t, r, http.StatusOK)
	if m := r.Map(t); m["status"] != "pending_supplier" || len(m["signatures"].([]any)) != 2 || m["respond_by"] != "2026-03-16" {
		t.Fatalf("after both signatures: %s", r.Body)
	}
	if n := e.count(`SELECT count(*) FROM mail_outbox WHERE order_id = $1 AND kind = 'change_proposed'`, o.ID); n != 1 {
		t.Fatalf("%d mails to the supplier", n)
	}
	// The supplier sees the day to answer by, not the authority's day to
	// sign by.
	if m := e.do("GET", cpath, supplier, nil).Map(t); m["respond_by"] != "2026-03-16" || m["sign_by"] != nil {
		t.Fatalf("the change as its supplier reads it: %v", m)
	}
	// A stale If-Match is refused; the current one accepted.
	wantStatus(t, e.do("POST", cpath+"/accept", supplier, nil, "If-Match", o.ETag()), http.StatusPreconditionFailed)
	// Past the window, it cannot be accepted.
	e.setClock(time.Date(2026, 3, 17, 10, 0, 0, 0, calendar.Israel))
	r = e.do("POST", cpath+"/accept", supplier, nil)
	wantStatus(t, r, http.StatusConflict)
	e.setClock(time.Date(2026, 3, 16, 10, 0, 0, 0, calendar.Israel))
	r = e.do("POST", cpath+"/accept", supplier, nil)
	wantStatus(t, r, http.StatusOK)
	got, _ := e.svc.Get(ctx, e.officer.P, o.ID)
	if got.Revision != 2 || len(got.Lines) != 2 || !got.Subtotal.Equal(dec("140.00")) || !got.Fee.Equal(dec("2.80")) {
		t.Fatalf("accepted: rev %d, %d lines, subtotal %s fee %s", got.Revision, len(got.Lines), got.Subtotal, got.Fee)
	}
	// Every mail of the change reads in its recipient's language, with no
	// key left untranslated.
	if n := e.count(`SELECT count(*) FROM mail_outbox WHERE order_id = $1 AND kind LIKE 'change%' AND (subject || body) LIKE '%order.mail.%'`, o.ID); n != 0 {
		t.Fatalf("%d change mails hold a message key", n)
	}
	// The supplier's history shows the acceptance, not the signatures.
	evs, err := e.svc.Events(ctx, supplier.P, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, ev := range evs {
		actions = append(actions, ev.Action)
	}
	if s := strings.Join(actions, ","); strings.Contains(s, "change_sign") || !strings.Contains(s, "change_accept") {
		t.Fatalf("supplier's events: %s", s)
	}
	verifyVolumes(t, e)
}

func TestChangeValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00", "20.00"}}})
	other := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"5.00"}}})
	supplier := tn.Users[0]
	o := e.mustSentOn(tn, e.budgetLine, "10", "4")
	if _, err := e.svc.Confirm(ctx, supplier.P, o.ID, "", orders.ConfirmInput{PromisedDate: calendar.NewDate(2026, 3, 20)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Deliver(ctx, supplier.P, o.ID, "", orders.DeliverInput{Lines: []orders.DeliveryLine{
		{LineID: o.Lines[0].ID, Quantity: orders.Qty("6")}}}); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/api/v1/orders/%d/changes", o.ID)
	r := e.do("POST", path, e.officer, map[string]any{"lines": []map[string]any{
		{"line_id": o.Lines[0].ID, "quantity": "5"},
		{"line_id": 999999, "quantity": "1"},
		{"item_id": other.Items[0], "quantity": "1"},
		{"item_id": tn.Items[1], "quantity": "1"},
	}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if k := changeFieldKey(t, r, "reason"); k != "msg.required" {
		t.Fatalf("reason: %q in %s", k, r.Body)
	}
	r = e.do("POST", path, e.officer, changeBody("fix", map[string]any{"line_id": o.Lines[0].ID, "quantity": "5"},
		map[string]any{"line_id": 999999, "quantity": "1"},
		map[string]any{"item_id": other.Items[0], "quantity": "1"},
		map[string]any{"item_id": tn.Items[1], "quantity": "1"}))
	wantStatus(t, r, http.StatusUnprocessableEntity)
	for field, key := range map[string]string{
		"lines[0].quantity": "order.change.below_delivered",
		"lines[1].line_id":  "order.change.not_a_line",
		"lines[2].item_id":  "order.not_tender_item",
		"lines[3].item_id":  "order.change.item_on_order",
	} {
		if k := changeFieldKey(t, r, field); k != key {
			t.Errorf("%s: %q, want %s", field, k, key)
		}
	}
	r = e.do("POST", path, e.officer, changeBody("drop", map[string]any{"line_id": o.Lines[0].ID, "quantity": "0"}))
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if k := changeFieldKey(t, r, "lines[0].quantity"); k != "order.change.remove_delivered" {
		t.Fatalf("removing a delivered line: %q", k)
	}
	r = e.do("POST", path, e.officer, changeBody("same", map[string]any{"line_id": o.Lines[0].ID, "quantity": "10"}))
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if k := changeFieldKey(t, r, "lines"); k != "order.change.nothing" {
		t.Fatalf("a change of nothing: %q", k)
	}
	// Who may not: the supplier, another authority's officer.
	wantStatus(t, e.do("POST", path, supplier, changeBody("x", map[string]any{"line_id": o.Lines[0].ID, "quantity": "7"})), http.StatusForbidden)
	wantStatus(t, e.do("POST", path, e.otherOfficer, changeBody("x", map[string]any{"line_id": o.Lines[0].ID, "quantity": "7"})), http.StatusNotFound)
	// Down to what was delivered on the first line, the second removed:
	// accepted, the order is delivered in full.
	r = e.do("POST", path, e.officer, changeBody("short", map[string]any{"line_id": o.Lines[0].ID, "quantity": "6"},
		map[string]any{"line_id": o.Lines[1].ID, "quantity": "0"}))
	wantStatus(t, r, http.StatusCreated)
	cid := int64(r.Map(t)["id"].(float64))
	r = e.do("POST", fmt.Sprintf("%s/%d/accept", path, cid), supplier, nil)
	wantStatus(t, r, http.StatusOK)
	got, _ := e.svc.Get(ctx, e.officer.P, o.ID)
	if got.Status != "delivered" || !got.Total.Equal(dec("708.00")) {
		t.Fatalf("after the change: %s %s", got.Status, got.Total)
	}
	verifyVolumes(t, e)
}

func TestOpenChangeLapsesWithItsOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.mustTender(tenderSpec{rule: "single", ceiling: "5000.00", winners: 1, prices: [][]string{{"100.00"}}})
	o := e.mustSentOn(tn, e.budgetLine, "2")
	c, _, err := e.svc.ProposeChange(ctx, e.officer.P, o.ID, "", orders.ChangeInput{Reason: "more",
		Lines: []orders.ChangeLineInput{{LineID: o.Lines[0].ID, Quantity: new(orders.Qty("9"))}}})
	if err != nil {
		t.Fatal(err)
	}
	if sub, _ := e.held("tender", tn.ID, 0); sub != "900.00" {
		t.Fatalf("held %s", sub)
	}
	if _, err := e.svc.Cancel(ctx, e.officer.P, o.ID, "", orders.CancelInput{Reason: "no_longer_needed"}); err != nil {
		t.Fatal(err)
	}
	if sub, _ := e.held("tender", tn.ID, 0); sub != "0.00" {
		t.Fatalf("held %s after the order was cancelled", sub)
	}
	got, err := e.svc.GetChange(ctx, e.officer.P, o.ID, c.ID)
	if err != nil || got.Status != orders.ChangeLapsed {
		t.Fatalf("change %v %v", got, err)
	}
	verifyVolumes(t, e)
}

func TestConcurrentChangesAndSubmitsNeverExceedTheCeiling(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00"}}})
	// 25 sent orders of 100.00 and 25 drafts of 100.00; the ceiling leaves
	// room for ten more 100.00, which 25 changes (1 → 2) and 25
	// submissions race for.
	sent := make([]*orders.Order, 25)
	drafts := make([]*orders.Order, 25)
	var wg sync.WaitGroup
	for w := 0; w < 5; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < 25; i += 5 {
				sent[i] = e.mustSentOn(tn, e.budgetLine, "1")
				drafts[i] = e.mustCreate(tn, 0, e.budgetLine, "1")
			}
		}()
	}
	wg.Wait()
	if _, err := e.db.Exec(`UPDATE tenders SET ceiling = 3500.00 WHERE id = $1`, tn.ID); err != nil {
		t.Fatal(err)
	}
	var reqs []func() webtest.Response
	for i := range 25 {
		s, d := sent[i], drafts[i]
		reqs = append(reqs, func() webtest.Response {
			return e.do("POST", fmt.Sprintf("/api/v1/orders/%d/changes", s.ID), e.officer,
				changeBody("more", map[string]any{"line_id": s.Lines[0].ID, "quantity": "2"}))
		}, func() webtest.Response {
			return e.do("POST", fmt.Sprintf("/api/v1/orders/%d/submit", d.ID), e.officer, nil)
		})
	}
	ok, refused := 0, 0
	for _, r := range race(e, reqs...) {
		switch r.Code {
		case http.StatusOK, http.StatusCreated:
			ok++
		case http.StatusConflict:
			refused++
		default:
			t.Errorf("unexpected answer %d: %s", r.Code, r.Body)
		}
	}
	if ok != 10 || refused != 40 {
		t.Fatalf("%d accepted and %d refused, want 10 and 40", ok, refused)
	}
	if sub, _ := e.held("tender", tn.ID, 0); sub != "3500.00" {
		t.Fatalf("the ceiling of 3500.00 holds %s", sub)
	}
	var orderSum, changeSum string
	e.db.Get(&orderSum, `SELECT sum(subtotal)::text FROM orders WHERE tender_id = $1 AND order_status_reserves(status)`, tn.ID)
	e.db.Get(&changeSum, `SELECT coalesce(sum(held_subtotal), 0)::text FROM order_changes WHERE tender_id = $1 AND order_change_open(status)`, tn.ID)
	if dec(orderSum).Add(dec(changeSum)).String() != "3500" {
		t.Fatalf("orders hold %s and changes %s", orderSum, changeSum)
	}
	verifyVolumes(t, e)
}

// TestSupplierSeesOnlyChangesSentToIt: a change withdrawn while it awaited
// signatures never reaches the supplier, not even in the order's history;
// one withdrawn after it was sent does, and a line named without a
// quantity is refused rather than read as 0, which would remove it.
func TestSupplierSeesOnlyChangesSentToIt(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00"}}})
	supplier := tn.Users[0]
	o := e.mustSentOn(tn, e.budgetLine, "1")
	path := fmt.Sprintf("/api/v1/orders/%d/changes", o.ID)

	r := e.do("POST", path, e.officer, changeBody("no quantity", map[string]any{"line_id": o.Lines[0].ID}))
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if !strings.Contains(r.Body.String(), `"lines[0].quantity"`) {
		t.Fatalf("a line without a quantity: %s", r.Body)
	}

	withdrawn := func(body map[string]any) {
		t.Helper()
		r := e.do("POST", path, e.officer, body)
		wantStatus(t, r, http.StatusCreated)
		id := int64(r.Map(t)["id"].(float64))
		wantStatus(t, e.do("POST", fmt.Sprintf("%s/%d/withdraw", path, id), e.officer, nil), http.StatusOK)
	}
	supplierWithdrawals := func() int {
		t.Helper()
		evs, err := e.svc.Events(ctx, supplier.P, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, ev := range evs {
			if ev.Action == orders.ActionChangeWithdraw {
				n++
			}
		}
		return n
	}
	// Raising the total: it awaits signatures, unsent.
	withdrawn(changeBody("more", map[string]any{"line_id": o.Lines[0].ID, "quantity": "3"}))
	if n := supplierWithdrawals(); n != 0 {
		t.Fatalf("the supplier sees %d withdrawals of a change never sent to it", n)
	}
	// Only the address: sent to the supplier at once.
	withdrawn(map[string]any{"reason": "address", "delivery_address": "רחוב הנדיב 2"})
	if n := supplierWithdrawals(); n != 1 {
		t.Fatalf("the supplier sees %d withdrawals, want the one sent to it", n)
	}
}

// TestUnansweredChangeLapses: a change the supplier does not answer by its
// respond_by day lapses, releasing what it held, and the order takes
// another change; one still within its window stays.
func TestUnansweredChangeLapses(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	line := e.mustBudgetLine(e.authority, 2026, "5000.00")
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00"}}})
	o := e.mustSentOn(tn, line, "2") // 236.00 held
	path := fmt.Sprintf("/api/v1/orders/%d/changes", o.ID)
	r := e.do("POST", path, e.officer, changeBody("more", map[string]any{"line_id": o.Lines[0].ID, "quantity": "3"}))
	wantStatus(t, r, http.StatusCreated)
	cid := int64(r.Map(t)["id"].(float64))
	for _, u := range []user{e.treasurer, e.head} {
		wantStatus(t, e.do("POST", fmt.Sprintf("%s/%d/sign", path, cid), u, map[string]any{"legal": true, "budget_line": true, "no_deficit": true}), http.StatusOK)
	}
	if _, tot := e.held("budget_line", line, 0); tot != "354.00" {
		t.Fatalf("held while the change is open: %s", tot)
	}
	var respondBy string
	e.db.Get(&respondBy, `SELECT respond_by::text FROM order_changes WHERE id = $1`, cid)
	day, _ := time.ParseInLocation(time.DateOnly, respondBy, calendar.Israel)
	e.setClock(day.Add(20 * time.Hour)) // its last day: it stays
	if n, err := e.svc.LapseUnanswered(ctx); err != nil || n != 0 {
		t.Fatalf("on its last day: %d lapsed, %v", n, err)
	}
	e.setClock(day.Add(30 * time.Hour))
	if n, err := e.svc.LapseUnanswered(ctx); err != nil || n != 1 {
		t.Fatalf("the day after: %d lapsed, %v", n, err)
	}
	if _, tot := e.held("budget_line", line, 0); tot != "236.00" {
		t.Fatalf("held after the lapse: %s", tot)
	}
	var actor string
	e.db.Get(&actor, `SELECT actor FROM audit_log WHERE object = 'order_changes' AND object_id = $1 ORDER BY id DESC LIMIT 1`, fmt.Sprint(cid))
	if actor != "madaf changes lapser" {
		t.Fatalf("the lapse is attributed to %q", actor)
	}
	wantStatus(t, e.do("POST", path, e.officer, changeBody("again", map[string]any{"line_id": o.Lines[0].ID, "quantity": "1"})), http.StatusCreated)
	verifyVolumes(t, e)
}

// TestChangeKeepsRecordedLines: a line a receipt names stays on the order:
// a change that would remove it is refused beside the line.
func TestChangeKeepsRecordedLines(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00", "50.00"}}})
	o := e.mustDeliver(tn, e.mustConfirmed(tn, "10", "4"), "10", "0")
	path := fmt.Sprintf("/api/v1/orders/%d", o.ID)
	wantStatus(t, e.do("POST", path+"/receipts", e.officer, receiptBody(o, "10", "good", "0", "short")), http.StatusCreated)
	r := e.do("POST", path+"/changes", e.officer, changeBody("not needed", map[string]any{"line_id": o.Lines[1].ID, "quantity": "0"}))
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if code := fieldOf(t, r, "lines[0].quantity"); code != "order.change.remove_recorded" {
		t.Fatalf("removing a line a receipt names: %s", r.Body)
	}
}

// TestLapsersShareTheWork: two lapsers at once lapse each due change
// once: their counts add up to the changes due, none twice.
func TestLapsersShareTheWork(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	line := e.mustBudgetLine(e.authority, 2026, "5000.00")
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00"}}})
	for range 4 {
		o := e.mustSentOn(tn, line, "2")
		// Lowering: sent to the supplier at once, nothing held.
		wantStatus(t, e.do("POST", fmt.Sprintf("/api/v1/orders/%d/changes", o.ID), e.officer,
			changeBody("fewer", map[string]any{"line_id": o.Lines[0].ID, "quantity": "1"})), http.StatusCreated)
	}
	e.setClock(defaultNow.Add(30 * 24 * time.Hour))
	var wg sync.WaitGroup
	counts := make([]int, 2)
	for i := range counts {
		wg.Go(func() {
			n, err := e.svc.LapseUnanswered(ctx)
			if err != nil {
				t.Error(err)
			}
			counts[i] = n
		})
	}
	wg.Wait()
	if counts[0]+counts[1] != 4 {
		t.Fatalf("lapsed %v, want 4 in all", counts)
	}
	if n := e.count(`SELECT count(*) FROM order_changes WHERE status = 'lapsed'`); n != 4 {
		t.Fatalf("%d changes lapsed, want 4", n)
	}
	verifyVolumes(t, e)
}
