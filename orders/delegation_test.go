package orders_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"madaf/authorities"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/page/pagetest"
)

// mustDelegation lets delegate sign slot for holder, for orders up to
// maxTotal, from from until until, and returns the delegation's id.
func (e *env) mustDelegation(holder, delegate user, slot, maxTotal, from, until string) int64 {
	e.t.Helper()
	var id int64
	err := e.db.Get(&id, `INSERT INTO signature_delegations (authority_id, slot, holder_id, delegate_id, max_total, valid_from, valid_until, granted_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $3) RETURNING id`, e.authority, slot, holder.ID, delegate.ID, maxTotal, from, until)
	if err != nil {
		e.t.Fatalf("delegation: %v", err)
	}
	return id
}

// revoke revokes delegation id as holder, through the authorities' API.
func (e *env) revoke(id int64, holder user) {
	e.t.Helper()
	wantStatus(e.t, e.do("POST", fmt.Sprintf("/api/v1/authorities/%d/delegations/%d/revoke", e.authority, id), holder, nil), http.StatusOK)
}

// TestDelegateSigns: a delegate of the head, who holds no signing role,
// signs the head's slot within the delegation's maximum and validity; above
// the maximum, after the validity or once revoked the signature is refused
// and nothing changes. The signature and its event name the holder signed
// for.
func TestDelegateSigns(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mountPages()
	deputy := e.mustUser(auth.OrgAuthority, e.authority, auth.RoleOfficer)
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00"}}})
	delegation := e.mustDelegation(e.head, deputy, "head", "1000.00", "2026-03-01", "2026-03-31")

	small := e.submitted(tn, "1") // 118.00
	// The delegate, who holds no signing role, finds it in the inbox and
	// is offered the head's slot on the order's page.
	pagetest.Expect(t, e.getPage("/inbox", deputy), http.StatusOK, fmt.Sprintf(`id="order-%d"`, small),
		"מכוח האצלת סמכות מאת "+e.head.P.Name+", עד ₪ 1,000.00")
	pagetest.Expect(t, e.getPage(fmt.Sprintf("/orders/%d", small), deputy), http.StatusOK,
		`id="sign-form"`, `<input type="hidden" name="slot" value="head">`)
	code, o := e.sign(small, deputy, nil)
	if code != http.StatusOK || o["status"] != "pending_approval" {
		t.Fatalf("the delegate signs: %d %v", code, o)
	}
	g := o["signatures"].([]any)[0].(map[string]any)
	if g["slot"] != "head" || g["as"] != "delegate" || g["user_id"] != float64(deputy.ID) ||
		g["on_behalf_of"] != float64(e.head.ID) || g["on_behalf_of_name"] != e.head.P.Name || g["delegation_id"] != float64(delegation) {
		t.Fatalf("the delegate's signature: %v", g)
	}
	ev := e.signEvents(small)[0]
	behalf, _ := ev["on_behalf_of"].(map[string]any)
	if ev["slot"] != "head" || ev["as"] != "delegate" || ev["actor_id"] != deputy.ID || ev["delegation_id"] != float64(delegation) ||
		behalf["id"] != float64(e.head.ID) || behalf["name"] != e.head.P.Name {
		t.Fatalf("the delegate's event: %v", ev)
	}
	if code, o := e.sign(small, e.treasurer, checksBody); code != http.StatusOK || o["status"] != "sent" {
		t.Fatalf("the treasurer completes it: %d %v", code, o)
	}

	refused := func(id int64, u user, body map[string]any, key string) {
		t.Helper()
		before := e.snapshot(id)
		if code, p := e.sign(id, u, body); code != http.StatusForbidden || p["code"] != key {
			t.Fatalf("want 403 %s: %d %v", key, code, p)
		}
		if after := e.snapshot(id); after != before {
			t.Fatalf("a refused signature changed the order: %s → %s", before, after)
		}
	}
	big := e.submitted(tn, "9") // 1,062.00, above the maximum
	if r := e.getPage("/inbox", deputy); r.Contains(fmt.Sprintf(`id="order-%d"`, big)) {
		t.Fatalf("an order above the delegation's maximum is in the delegate's inbox")
	}
	refused(big, deputy, map[string]any{"slot": "head"}, "order.delegation_max")
	if code, _ := e.sign(big, e.head, nil); code != http.StatusOK {
		t.Fatalf("the holder signs what the delegate may not: %d", code)
	}

	// After the delegation's last day.
	e.setClock(time.Date(2026, 4, 1, 9, 0, 0, 0, calendar.Israel))
	late := e.submitted(tn, "1")
	refused(late, deputy, map[string]any{"slot": "head"}, "order.delegation_expired")
	refused(late, deputy, nil, "order.delegation_expired")
}

// TestRevokedDelegationStopsTheNextSignature: a delegate of the treasurer
// signs (with the three checks and the budget line in view) until the
// delegation is revoked; the next signature is refused.
func TestRevokedDelegationStopsTheNextSignature(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	deputy := e.mustUser(auth.OrgAuthority, e.authority, auth.RoleOfficer)
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00"}}})
	delegation := e.mustDelegation(e.treasurer, deputy, "treasurer", "5000.00", "2026-01-01", "2026-12-31")

	first := e.submitted(tn, "1")
	code, o := e.sign(first, deputy, map[string]any{"slot": "treasurer"})
	if code != http.StatusUnprocessableEntity {
		t.Fatalf("the treasurer's delegate without the checks: %d %v", code, o)
	}
	code, o = e.sign(first, deputy, map[string]any{"slot": "treasurer", "legal": true, "budget_line": true, "no_deficit": true})
	if code != http.StatusOK {
		t.Fatalf("the treasurer's delegate signs: %d %v", code, o)
	}
	g := o["signatures"].([]any)[0].(map[string]any)
	if g["as"] != "delegate" || g["on_behalf_of"] != float64(e.treasurer.ID) || g["budget"].(map[string]any)["held"] != "118.00" {
		t.Fatalf("the delegate's signature: %v", g)
	}

	authorities.Mount(e.base.API, authorities.NewStore(e.db))
	e.revoke(delegation, e.treasurer)
	second := e.submitted(tn, "1")
	before := e.snapshot(second)
	code, p := e.sign(second, deputy, map[string]any{"slot": "treasurer", "legal": true, "budget_line": true, "no_deficit": true})
	if code != http.StatusForbidden || p["code"] != "order.delegation_revoked" {
		t.Fatalf("after the revocation: %d %v", code, p)
	}
	if after := e.snapshot(second); after != before {
		t.Fatalf("a refused signature changed the order: %s → %s", before, after)
	}
	// The holder still signs.
	if code, _ := e.sign(second, e.treasurer, checksBody); code != http.StatusOK {
		t.Fatalf("the treasurer signs: %d", code)
	}
}
