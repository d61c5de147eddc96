package authorities_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"madaf/accounts"
	"madaf/authorities"
	"madaf/internal/auth"
	"madaf/internal/page"
	"madaf/internal/webtest"
	"madaf/templates"
)

// settingsRow is what the authorities table holds of a's settings.
func settingsRow(t *testing.T, f *fixture, a int64) string {
	t.Helper()
	var s string
	if err := f.db.Get(&s, `SELECT requires_allocation_number::text || ' ' || invoice_price_tolerance::text || ' ' || settings_version::text
		FROM authorities WHERE id = $1`, a); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestInvoiceSettings: everyone of the authority and of the cluster reads
// them; its treasurer and the cluster admin set them, with the ETag they
// read; bad values, stale writes and other callers change nothing; the
// audit trail names who changed them.
func TestInvoiceSettings(t *testing.T) {
	f := newFixture(t)
	a := strconv.FormatInt(f.a, 10)
	path := "/api/v1/authorities/" + a + "/settings"
	mk := func(email, role string) string {
		u := webtest.MustUser(t, f.db, accounts.NewUser{Email: email, OrgKind: auth.OrgAuthority, AuthorityID: f.a, Roles: []string{role}})
		return webtest.MustToken(t, f.db, u.ID)
	}
	head, receiver := mk("head@a.example", auth.RoleHead), mk("receiver@a.example", auth.RoleReceiver)

	r := f.do("GET", path, f.officerA, nil)
	if r.Code != http.StatusOK {
		t.Fatalf("officer reads: %d %s", r.Code, r.Body)
	}
	got := r.Map(t)
	if got["requires_allocation_number"] != true || got["invoice_price_tolerance"] != "0.00" || got["can_edit"] != false ||
		r.Header().Get("ETag") != `"s1"` {
		t.Fatalf("the defaults: %s %v", r.Body, r.Header())
	}
	for _, who := range []string{f.treasB, f.supplier} {
		if r := f.do("GET", path, who, nil); r.Code != http.StatusNotFound {
			t.Errorf("another authority's or a supplier's read: %d", r.Code)
		}
	}

	body := map[string]any{"requires_allocation_number": false, "invoice_price_tolerance": "0.50"}
	// Only the treasurer of the authority and the cluster admin write.
	for _, c := range []struct {
		who  string
		want int
	}{{f.officerA, http.StatusForbidden}, {head, http.StatusForbidden}, {receiver, http.StatusForbidden},
		{f.treasB, http.StatusNotFound}, {f.supplier, http.StatusNotFound}} {
		if r := f.do("PUT", path, c.who, body); r.Code != c.want {
			t.Errorf("write: %d, want %d: %s", r.Code, c.want, r.Body)
		}
	}
	// A caller who may not write learns nothing of the body's rules.
	if r := f.do("PUT", path, f.officerA, "{"); r.Code != http.StatusForbidden {
		t.Errorf("officer with a malformed body: %d", r.Code)
	}

	// Bad values, each with its own error.
	for _, c := range []struct {
		body  any
		field string
		code  string
	}{
		{map[string]any{"requires_allocation_number": true, "invoice_price_tolerance": "-0.01"}, "invoice_price_tolerance", "msg.not_negative"},
		{map[string]any{"requires_allocation_number": true, "invoice_price_tolerance": "1000.01"}, "invoice_price_tolerance", "authority.settings.tolerance_cap"},
		{map[string]any{"requires_allocation_number": true, "invoice_price_tolerance": "0.005"}, "invoice_price_tolerance", "msg.agorot"},
		{map[string]any{"requires_allocation_number": true}, "invoice_price_tolerance", "msg.required"},
		{map[string]any{"invoice_price_tolerance": "1"}, "requires_allocation_number", "msg.required"},
		{map[string]any{"requires_allocation_number": "yes", "invoice_price_tolerance": "1"}, "requires_allocation_number", "msg.json_bool"},
		{map[string]any{"requires_allocation_number": true, "invoice_price_tolerance": "abc"}, "invoice_price_tolerance", "msg.number"},
	} {
		r := f.do("PUT", path, f.treasA, c.body)
		if r.Code != http.StatusUnprocessableEntity {
			t.Errorf("%v: %d %s", c.body, r.Code, r.Body)
			continue
		}
		fe := fieldError(t, r, c.field)
		if fe["code"] != c.code {
			t.Errorf("%v: %v, want %s on %s", c.body, r.Body, c.code, c.field)
		}
	}
	if s := settingsRow(t, f, f.a); s != "true 0.00 1" {
		t.Fatalf("after the refusals: %s", s)
	}

	// The treasurer writes with the ETag read; a write on the old one is
	// stale and changes nothing.
	r = webtest.Do(f.base.Engine, "PUT", path, f.treasA, body, "If-Match", `"s1"`)
	if r.Code != http.StatusOK || r.Header().Get("ETag") != `"s2"` {
		t.Fatalf("treasurer's write: %d %s", r.Code, r.Body)
	}
	if got := r.Map(t); got["requires_allocation_number"] != false || got["invoice_price_tolerance"] != "0.50" || got["version"] != float64(2) {
		t.Fatalf("written: %s", r.Body)
	}
	r = webtest.Do(f.base.Engine, "PUT", path, f.admin, map[string]any{"requires_allocation_number": true, "invoice_price_tolerance": "9"}, "If-Match", `"s1"`)
	if r.Code != http.StatusPreconditionFailed || !strings.Contains(r.Body.String(), "authority.settings.stale") {
		t.Fatalf("stale write: %d %s", r.Code, r.Body)
	}
	if s := settingsRow(t, f, f.a); s != "false 0.50 2" {
		t.Fatalf("after the stale write: %s", s)
	}
	// The cluster admin may too, up to the cap.
	r = webtest.Do(f.base.Engine, "PUT", path, f.admin, map[string]any{"requires_allocation_number": true, "invoice_price_tolerance": "1000"}, "If-Match", `"s2"`)
	if r.Code != http.StatusOK {
		t.Fatalf("admin's write: %d %s", r.Code, r.Body)
	}
	// The other authority's settings stay as they were.
	if s := settingsRow(t, f, f.b); s != "true 0.00 1" {
		t.Fatalf("the other authority: %s", s)
	}

	var trail []string
	if err := f.db.Select(&trail, `SELECT actor || ':' || (after ->> 'invoice_price_tolerance') FROM audit_log
		WHERE object = 'authorities' AND object_id = $1 AND action = 'update' AND after ? 'invoice_price_tolerance' ORDER BY id`, a); err != nil {
		t.Fatal(err)
	}
	if len(trail) != 2 || trail[0] != "treasurer@a.example:0.50" || trail[1] != "admin@example.com:1000.00" {
		t.Fatalf("audit trail %v", trail)
	}
}

// TestInvoiceSettingsPage: the treasurer sets them on the settings page,
// in Hebrew; a bad value stands beside its field and a stale form is drawn
// again with the settings as they stand (409); the officer reads them with
// no form.
func TestInvoiceSettingsPage(t *testing.T) {
	f := newFixture(t)
	eng := page.MustNew(templates.FS)
	eng.Mount(f.base.Engine)
	authorities.MountPages(f.base.Engine, eng, authorities.NewStore(f.db))
	post := func(token string, form url.Values) webtest.Response {
		return webtest.Do(f.base.Engine, "POST", "/authority/settings", token, form.Encode(),
			"Content-Type", "application/x-www-form-urlencoded", "Sec-Fetch-Site", "same-origin")
	}
	expect := func(r webtest.Response, status int, texts ...string) {
		t.Helper()
		if r.Code != status {
			t.Fatalf("status %d, want %d\n%s", r.Code, status, r.Body)
		}
		for _, text := range texts {
			if !strings.Contains(r.Body.String(), text) {
				t.Errorf("the page lacks %q\n%s", text, r.Body)
			}
		}
	}

	r := webtest.Do(f.base.Engine, "GET", "/authority/settings", f.officerA, nil)
	expect(r, http.StatusOK, "הגדרות חשבוניות", "₪ 0.00", "נדרש בחשבונית מס מעל הסף", "גזבר/ית הרשות קובע/ת הגדרות אלה.")
	if strings.Contains(r.Body.String(), `id="settings-form"`) {
		t.Fatal("the officer has the settings form")
	}
	expect(post(f.officerA, url.Values{"etag": {`"s1"`}, "invoice_price_tolerance": {"1"}}), http.StatusForbidden)

	expect(webtest.Do(f.base.Engine, "GET", "/authority/settings", f.treasA, nil), http.StatusOK, `id="settings-form"`, `value="0.00"`)
	expect(post(f.treasA, url.Values{"etag": {`"s1"`}, "invoice_price_tolerance": {"-1"}}), http.StatusUnprocessableEntity, `value="-1"`)
	expect(post(f.treasA, url.Values{"etag": {`"s1"`}, "invoice_price_tolerance": {"5000"}}), http.StatusUnprocessableEntity, "לכל היותר ₪1,000.00 ליחידה")
	expect(post(f.treasA, url.Values{"etag": {`"s1"`}, "invoice_price_tolerance": {"שקל"}}), http.StatusUnprocessableEntity)
	if s := settingsRow(t, f, f.a); s != "true 0.00 1" {
		t.Fatalf("after the refusals: %s", s)
	}
	r = post(f.treasA, url.Values{"etag": {`"s1"`}, "invoice_price_tolerance": {"1.50"}})
	if r.Code != http.StatusSeeOther {
		t.Fatalf("save: %d %s", r.Code, r.Body)
	}
	if s := settingsRow(t, f, f.a); s != "false 1.50 2" {
		t.Fatalf("saved: %s", s)
	}
	var actor string
	if err := f.db.Get(&actor, `SELECT actor FROM audit_log WHERE object = 'authorities' AND object_id = $1 ORDER BY id DESC LIMIT 1`, strconv.FormatInt(f.a, 10)); err != nil {
		t.Fatal(err)
	}
	if actor != "treasurer@a.example" {
		t.Fatalf("the page's write is in the trail as %q", actor)
	}
	expect(post(f.treasA, url.Values{"etag": {`"s1"`}, "invoice_price_tolerance": {"2"}, "requires_allocation_number": {"on"}}),
		http.StatusConflict, "הגדרות החשבוניות שונו בינתיים", "₪ 1.50", `value="2"`, `value="&#34;s2&#34;"`)
	if s := settingsRow(t, f, f.a); s != "false 1.50 2" {
		t.Fatalf("after the stale form: %s", s)
	}
	// A form drawn at version 1 and refused for its value keeps version 1:
	// corrected and sent again, it is stale, never a silent overwrite of
	// the change made meanwhile.
	expect(post(f.treasA, url.Values{"etag": {`"s1"`}, "invoice_price_tolerance": {"-3"}}),
		http.StatusUnprocessableEntity, `value="&#34;s1&#34;"`)
	// The cluster admin's page of the authority.
	expect(webtest.Do(f.base.Engine, "GET", "/admin/authorities/"+strconv.FormatInt(f.b, 10)+"/settings", f.admin, nil),
		http.StatusOK, `id="settings-form"`, `action="/admin/authorities/`+strconv.FormatInt(f.b, 10)+`/settings"`)
}

// A user who is only the authority's receiver signs nothing, so is no
// delegate: refused over the API and not offered on the page.
func TestReceiverIsNoDelegate(t *testing.T) {
	s := newSigners(t)
	u := webtest.MustUser(t, s.db, accounts.NewUser{Email: "machsan@a.example", Name: "מחסנאי", OrgKind: auth.OrgAuthority,
		AuthorityID: s.a, Roles: []string{auth.RoleReceiver}})
	r := webtest.Do(s.base.Engine, "POST", s.delegationsPath(s.a), s.treasurer.Token, grant("treasurer", u.ID, "1000"))
	if r.Code != http.StatusUnprocessableEntity {
		t.Fatalf("grant to the receiver: %d %s", r.Code, r.Body)
	}
	if fe := fieldError(t, r, "delegate_id"); fe["code"] != "authority.delegation.msg.delegate_receiver" {
		t.Fatalf("grant to the receiver: %s", r.Body)
	}
	eng := page.MustNew(templates.FS)
	eng.Mount(s.base.Engine)
	authorities.MountPages(s.base.Engine, eng, authorities.NewStore(s.db))
	r = webtest.Do(s.base.Engine, "GET", "/authority", s.treasurer.Token, nil)
	if r.Code != http.StatusOK || !strings.Contains(r.Body.String(), "deputy@a.example") || strings.Contains(r.Body.String(), "machsan@a.example") {
		t.Fatalf("the delegates offered: %d\n%s", r.Code, r.Body)
	}
}
