package orders_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"madaf/internal/page/pagetest"
)

// TestSupplierSeesTheOrderAsSent: an order is created with an internal
// note, edited, returned with a note, corrected and submitted again, and
// signed in both slots with notes of the signers. Its supplier then sees,
// on the order page, on its inbox and in every JSON answer it may read
// (the order, the list, the history), the lines, prices, totals, the
// delivery address and date and the contact — and none of the
// authority's notes, the return note, the signers' notes, the budget
// line's code or what the treasurer saw of it.
func TestSupplierSeesTheOrderAsSent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mountPages()
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"1234.50", "77.25"}}})
	var line int64
	e.db.Get(&line, `INSERT INTO budget_lines (authority_id, fiscal_year, code, name, amount) VALUES ($1, 2026, '9-777-123', 'ציוד ייעודי לבדיקה', 987654.00) RETURNING id`, e.authority)

	const (
		note       = "הערה פנימית: לבדוק מול המחסן העירוני"
		editedNote = "עריכה פנימית: הוספנו יחידה אחרי שיחה עם הגזברות"
		returnNote = "החזרה לתיקון: חסרה השוואת מחירים"
		fixedNote  = "תוקן לפי הערת הגזברית"
		signNote   = "הערת חתימה פנימית של הגזברית"
		headNote   = "הערת ראש הרשות לתיק"
		address    = "מחסן המועצה, רחוב הנדיב 7, זכרון יעקב"
	)
	body := map[string]any{"tender_id": tn.ID, "supplier_id": tn.Winners[0], "budget_line_id": line,
		"delivery_address": address, "requested_date": "2026-04-20", "notes": note,
		"lines": []map[string]any{{"item_id": tn.Items[0], "quantity": "2"}, {"item_id": tn.Items[1], "quantity": "4"}}}
	r := e.do("POST", "/api/v1/orders", e.officer, body)
	wantStatus(t, r, http.StatusCreated)
	var o struct {
		ID int64 `json:"id"`
	}
	r.JSON(t, &o)
	path := fmt.Sprintf("/api/v1/orders/%d", o.ID)

	body["notes"] = editedNote
	body["lines"] = []map[string]any{{"item_id": tn.Items[0], "quantity": "3"}, {"item_id": tn.Items[1], "quantity": "4"}}
	wantStatus(t, e.do("PUT", path, e.officer, body), http.StatusOK)
	wantStatus(t, e.do("POST", path+"/submit", e.officer, nil), http.StatusOK)
	wantStatus(t, e.do("POST", path+"/return", e.treasurer, map[string]any{"note": returnNote}), http.StatusOK)
	body["notes"] = fixedNote
	wantStatus(t, e.do("PUT", path, e.officer, body), http.StatusOK)
	wantStatus(t, e.do("POST", path+"/submit", e.officer, nil), http.StatusOK)
	signed := e.do("POST", path+"/sign", e.treasurer, map[string]any{"slot": "treasurer", "legal": true, "budget_line": true, "no_deficit": true, "note": signNote})
	wantStatus(t, signed, http.StatusOK)
	// What the treasurer saw of the line, which the supplier must not.
	var seen struct {
		Signatures []struct {
			Budget struct {
				Held      *string `json:"held"`
				LeftAfter *string `json:"left_after"`
			} `json:"budget"`
		} `json:"signatures"`
	}
	signed.JSON(t, &seen)
	if len(seen.Signatures) != 1 || seen.Signatures[0].Budget.LeftAfter == nil {
		t.Fatalf("the treasurer's signature recorded no budget figures: %s", signed.Body)
	}
	leftAfter := *seen.Signatures[0].Budget.LeftAfter
	wantStatus(t, e.do("POST", path+"/sign", e.head, map[string]any{"slot": "head", "note": headNote}), http.StatusOK)

	supplier := tn.Users[0]
	internal := []string{note, editedNote, returnNote, fixedNote, signNote, headNote, "9-777-123", "ציוד ייעודי לבדיקה",
		"987654", "987,654", leftAfter, `"budget_line_id":` + fmt.Sprint(line)}
	// 3 × 1234.50 + 4 × 77.25 = 4012.50; VAT 18% (2026) 722.25; total 4734.75.
	answers := map[string]string{}
	for _, p := range []string{path, path + "/events", "/api/v1/orders", fmt.Sprintf("/api/v1/orders?number=%d", 2026)} {
		r := e.do("GET", p, supplier, nil)
		wantStatus(t, r, http.StatusOK)
		answers["GET "+p] = r.Body.String()
	}
	for _, p := range []string{fmt.Sprintf("/orders/%d", o.ID), "/supplier/orders"} {
		r := e.getPage(p, supplier)
		pagetest.Expect(t, r, http.StatusOK)
		answers["page "+p] = r.Body
	}
	for where, text := range answers {
		for _, s := range internal {
			if strings.Contains(text, s) {
				t.Errorf("%s shows the supplier %q", where, s)
			}
		}
	}

	var got map[string]any
	if err := json.Unmarshal([]byte(answers["GET "+path]), &got); err != nil {
		t.Fatal(err)
	}
	for field, want := range map[string]any{"delivery_address": address, "requested_date": "2026-04-20", "subtotal": "4012.50",
		"vat": "722.25", "total": "4734.75", "notes": "", "return_note": "", "budget_line_code": "", "budget_line_id": nil,
		"justification": "", "contact_name": e.officer.P.Name, "contact_email": e.officer.P.Email, "status": "sent"} {
		if got[field] != want {
			t.Errorf("the supplier's order has %s = %v, want %v", field, got[field], want)
		}
	}
	lines, _ := got["lines"].([]any)
	if len(lines) != 2 {
		t.Fatalf("the supplier's order has %d lines", len(lines))
	}
	if l := lines[0].(map[string]any); l["quantity"] != "3" || l["unit_price"] != "1234.50" || l["line_total"] != "3703.50" {
		t.Errorf("first line %v", l)
	}
	events := answers["GET "+path+"/events"]
	for _, s := range []string{`"to_status":"sent"`, `"confirm_by"`} {
		if !strings.Contains(events, s) {
			t.Errorf("the supplier's history lacks %s: %s", s, events)
		}
	}
	for _, s := range []string{`"action":"create"`, `"action":"update"`, `"action":"submit"`, `"action":"return"`} {
		if strings.Contains(events, s) {
			t.Errorf("the supplier's history shows %s: %s", s, events)
		}
	}
	pagetest.Expect(t, e.getPage(fmt.Sprintf("/orders/%d", o.ID), supplier), http.StatusOK,
		address, "20/04/2026", "₪ 1,234.50", "₪ 3,703.50", "₪ 4,012.50", "₪ 4,734.75", e.officer.P.Name, e.officer.P.Email)

	// The authority itself still sees all of it.
	officerView := e.getPage(fmt.Sprintf("/orders/%d", o.ID), e.officer)
	pagetest.Expect(t, officerView, http.StatusOK, fixedNote, "9-777-123", returnNote, signNote)
}
