package app

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"madaf/accounts"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/fixture"
	"madaf/internal/webtest"
	"madaf/workplan"
)

// auditWrite is how TestEveryWriteIsAudited performs one write route of
// the API, and what the audit trail must hold afterwards.
//
// Placeholders {name} in path, body and the expected values are filled
// with the world's values (auditWorld.values), then with those prepare
// returns.
type auditWrite struct {
	// as is the caller, a caller of the authorization matrix (admin,
	// lead, officer, treasurer, head, deputy, supplier, anonymous), or
	// "{as}" for the user whose id prepare returns as "as".
	as string
	// session sends the request with a session cookie instead of a
	// personal API token.
	session bool
	path    string
	// body is the JSON body (none when empty); text and file send a
	// text/plain body or a multipart form with one file instead, called
	// fileName (prices.csv when empty).
	body, text, file, fileName string
	// prepare makes, before the write, what it acts on (through the API
	// or the stores) and returns the values of its placeholders.
	prepare func(t *testing.T, w *auditWorld) map[string]string

	// object and action name the entry of the change set that is the
	// write itself, on the record objectID (the answer's id when empty);
	// before and after are some of its fields, each as the trail records
	// it in JSON (10000.00, "2027-06-30", null; "?" for any value but
	// null).
	object, action, objectID string
	before, after            map[string]string
	// none says why the write leaves no audit entry: it changes only what
	// the trail does not keep. Nothing audited may then change.
	none string
	// event is, for an order, the order event the write appends to the
	// order's own history: action, from and to.
	event *[3]string
}

// auditWrites has an entry for every write of the API. A route without
// one fails TestEveryWriteIsAudited.
var auditWrites = map[string]auditWrite{
	// Accounts.
	"POST /api/v1/auth/login": {as: "anonymous", path: "/api/v1/auth/login",
		body: `{"email": "{email}", "password": "` + webtest.Password + `"}`,
		prepare: func(t *testing.T, w *auditWorld) map[string]string {
			id := w.passwordUser(t)
			return map[string]string{"email": w.emails[mustID(t, id)]}
		},
		none: "a sign-in opens a session and notes the address, which are security events in the log, not records"},
	"POST /api/v1/auth/logout": {as: "lead", session: true, path: "/api/v1/auth/logout",
		none: "a sign-out ends a session, a security event in the log"},
	"DELETE /api/v1/me/sessions/:id": {as: "officer", path: "/api/v1/me/sessions/{session}",
		prepare: func(t *testing.T, w *auditWorld) map[string]string {
			return map[string]string{"session": w.session(t, w.id("officer"))}
		},
		none: "ending a session is a security event in the log"},
	"POST /api/v1/auth/forgot": {as: "anonymous", path: "/api/v1/auth/forgot", body: `{"email": "officer@zichron.example"}`,
		object: "account_tokens", action: "insert", objectID: "*",
		after: map[string]string{"user_id": "{officer}", "purpose": `"reset"`, "token_hash": `"***"`, "used_at": "null"}},
	"PATCH /api/v1/me": {as: "lead", path: "/api/v1/me", body: `{"lang": "ar"}`,
		object: "users", action: "update", objectID: "{lead}",
		before: map[string]string{"lang": `"he"`}, after: map[string]string{"lang": `"ar"`}},
	"POST /api/v1/auth/tokens": {as: "lead", path: "/api/v1/auth/tokens", body: `{"name": "ERP"}`,
		object: "api_tokens", action: "insert",
		after: map[string]string{"user_id": "{lead}", "name": `"ERP"`, "token_hash": `"***"`, "revoked_at": "null"}},
	"DELETE /api/v1/auth/tokens/:id": {as: "officer", path: "/api/v1/auth/tokens/{token}",
		prepare: func(t *testing.T, w *auditWorld) map[string]string {
			return map[string]string{"token": w.tokenID(t, w.id("officer"))}
		},
		object: "api_tokens", action: "update", objectID: "{token}",
		before: map[string]string{"revoked_at": "null"}, after: map[string]string{"revoked_at": "?"}},
	"POST /api/v1/me/password": {as: "{as}", path: "/api/v1/me/password",
		body: `{"current": "` + webtest.Password + `", "new": "גשם ראשון בכרמל הירוק"}`,
		prepare: func(t *testing.T, w *auditWorld) map[string]string {
			u := w.passwordUser(t)
			return map[string]string{"as": u}
		},
		object: "users", action: "update", objectID: "{as}",
		before: map[string]string{"password_hash": `"***"`}, after: map[string]string{"password_hash": `"***"`}},
	"POST /api/v1/users": {as: "admin", path: "/api/v1/users",
		body:   `{"email": "gizbarit@zichron.example", "name": "רונית לוי", "org_kind": "authority", "authority_id": {zichron}, "roles": ["officer"], "lang": "ar"}`,
		object: "users", action: "insert",
		after: map[string]string{"email": `"gizbarit@zichron.example"`, "name": `"רונית לוי"`, "authority_id": "{zichron}",
			"roles": `["officer"]`, "lang": `"ar"`, "password_hash": `"***"`, "active": "true"}},
	"POST /api/v1/users/:id/deactivate": {as: "admin", path: "/api/v1/users/{user}/deactivate",
		prepare: func(t *testing.T, w *auditWorld) map[string]string {
			return map[string]string{"user": w.officerUser(t, true)}
		},
		object: "users", action: "update", objectID: "{user}",
		before: map[string]string{"active": "true"}, after: map[string]string{"active": "false"}},
	"POST /api/v1/users/:id/activate": {as: "admin", path: "/api/v1/users/{user}/activate",
		prepare: func(t *testing.T, w *auditWorld) map[string]string {
			return map[string]string{"user": w.officerUser(t, false)}
		},
		object: "users", action: "update", objectID: "{user}",
		before: map[string]string{"active": "false"}, after: map[string]string{"active": "true"}},
	"POST /api/v1/users/:id/password-link": {as: "admin", path: "/api/v1/users/{user}/password-link",
		prepare: func(t *testing.T, w *auditWorld) map[string]string {
			return map[string]string{"user": w.officerUser(t, true)}
		},
		object: "account_tokens", action: "insert", objectID: "*",
		after: map[string]string{"user_id": "{user}", "purpose": `"reset"`, "created_by": "{admin}", "token_hash": `"***"`}},

	// Authorities, their profiles, delegations and budget lines.
	"POST /api/v1/authorities": {as: "admin", path: "/api/v1/authorities",
		body:   `{"code": "7788", "name_he": "מועצה מקומית בדיקה", "name_en": "Test Council", "kind": "local_council", "population": 12500}`,
		object: "authorities", action: "insert",
		after: map[string]string{"code": `"7788"`, "name_he": `"מועצה מקומית בדיקה"`, "name_en": `"Test Council"`, "kind": `"local_council"`}},
	"PUT /api/v1/authorities/:id": {as: "admin", path: "/api/v1/authorities/{authority}",
		body: `{"code": "7789", "name_he": "מועצה אזורית בדיקה", "name_en": "Test Regional Council", "kind": "local_council", "population": 12500}`,
		prepare: func(t *testing.T, w *auditWorld) map[string]string {
			a := w.call(t, "admin", "POST", "/api/v1/authorities",
				`{"code": "7789", "name_he": "מועצה אזורית בדיקה", "kind": "local_council", "population": 12500}`)
			return map[string]string{"authority": a["id"]}
		},
		object: "authorities", action: "update", objectID: "{authority}",
		before: map[string]string{"name_en": `""`}, after: map[string]string{"name_en": `"Test Regional Council"`}},
	"POST /api/v1/authorities/:id/profiles": {as: "admin", path: "/api/v1/authorities/{zichron}/profiles",
		body:   `{"effective_from": "{in10}", "kind": "local_council", "population": 26000, "delegation_band": "97250.40"}`,
		object: "authority_profiles", action: "insert", objectID: "{zichron}/{in10}",
		after: map[string]string{"effective_from": `"{in10}"`, "population": "26000", "delegation_band": "97250.40"}},
	"POST /api/v1/authorities/:id/delegations": {as: "treasurer", path: "/api/v1/authorities/{zichron}/delegations",
		body: `{"slot": "treasurer", "delegate_id": {delegate}, "max_total": "12345.67", "valid_from": "{today}", "valid_until": "{in30}", "note": "בחופשה"}`,
		prepare: func(t *testing.T, w *auditWorld) map[string]string {
			return map[string]string{"delegate": w.officerUser(t, true)}
		},
		object: "signature_delegations", action: "insert",
		after: map[string]string{"slot": `"treasurer"`, "holder_id": "{treasurer}", "delegate_id": "{delegate}", "max_total": "12345.67",
			"valid_from": `"{today}"`, "valid_until": `"{in30}"`, "revoked_at": "null"}},
	"POST /api/v1/authorities/:id/delegations/:delegation_id/revoke": {as: "treasurer",
		path: "/api/v1/authorities/{zichron}/delegations/{delegation}/revoke",
		prepare: func(t *testing.T, w *auditWorld) map[string]string {
			return map[string]string{"delegation": w.mustDelegation(t)}
		},
		object: "signature_delegations", action: "update", objectID: "{delegation}",
		before: map[string]string{"revoked_at": "null"}, after: map[string]string{"revoked_at": "?", "revoked_by": "{treasurer}"}},
	"POST /api/v1/authorities/:id/budget-lines": {as: "treasurer", path: "/api/v1/authorities/{zichron}/budget-lines",
		body:   `{"fiscal_year": {year}, "code": "1-611-750", "name": "מחשוב", "amount": "48250.75"}`,
		object: "budget_lines", action: "insert",
		after: map[string]string{"authority_id": "{zichron}", "fiscal_year": "{year}", "code": `"1-611-750"`, "amount": "48250.75"}},
	"PUT /api/v1/authorities/:id/budget-lines/:line_id": {as: "treasurer", path: "/api/v1/authorities/{zichron}/budget-lines/{line}",
		body: `{"fiscal_year": {year}, "code": "1-611-751", "name": "מחשוב", "amount": "2500.50"}`,
		prepare: func(t *testing.T, w *auditWorld) map[string]string {
			l := w.call(t, "treasurer", "POST", fmt.Sprintf("/api/v1/authorities/%s/budget-lines", w.values["zichron"]),
				fmt.Sprintf(`{"fiscal_year": %s, "code": "1-611-751", "name": "מחשוב", "amount": "1000"}`, w.values["year"]))
			return map[string]string{"line": l["id"]}
		},
		object: "budget_lines", action: "update", objectID: "{line}",
		before: map[string]string{"amount": "1000.00"}, after: map[string]string{"amount": "2500.50"}},

	// Suppliers and their certificates.
	"POST /api/v1/suppliers": {as: "admin", path: "/api/v1/suppliers",
		body:   `{"company_number": "510000102", "legal_name": "ציוד משרדי השרון בע״מ", "email": "office@sharon.example", "phone": "04-6300000"}`,
		object: "suppliers", action: "insert",
		after: map[string]string{"company_number": `"510000102"`, "legal_name": `"ציוד משרדי השרון בע״מ"`, "status": `"active"`}},
	"PUT /api/v1/suppliers/:id": {as: "admin", path: "/api/v1/suppliers/{supplier}",
		body: `{"company_number": "510000110", "legal_name": "גינון וחול בע״מ", "email": "sand@gan.example", "phone": "04-6391111"}`,
		prepare: func(t *testing.T, w *auditWorld) map[string]string {
			return map[string]string{"supplier": w.supplier(t, "510000110")}
		},
		object: "suppliers", action: "update", objectID: "{supplier}",
		before: map[string]string{"phone": `""`}, after: map[string]string{"phone": `"04-6391111"`}},
	"POST /api/v1/suppliers/:id/suspend": {as: "admin", path: "/api/v1/suppliers/{supplier}/suspend",
		body: `{"reason": "אישור ניהול ספרים פג", "until": "{in30}"}`,
		prepare: func(t *testing.T, w *auditWorld) map[string]string {
			return map[string]string{"supplier": w.supplier(t, "510000128")}
		},
		object: "suppliers", action: "update", objectID: "{supplier}",
		before: map[string]string{"status": `"active"`, "suspended_reason": `""`},
		after:  map[string]string{"status": `"suspended"`, "suspended_reason": `"אישור ניהול ספרים פג"`, "suspended_until": `"{in30}"`}},
	"POST /api/v1/suppliers/:id/resume": {as: "admin", path: "/api/v1/suppliers/{supplier}/resume",
		prepare: func(t *testing.T, w *auditWorld) map[string]string {
			id := w.supplier(t, "510000136")
			w.call(t, "admin", "POST", "/api/v1/suppliers/"+id+"/suspend", `{"reason": "ביטוח פג"}`)
			return map[string]string{"supplier": id}
		},
		object: "suppliers", action: "update", objectID: "{supplier}",
		before: map[string]string{"status": `"suspended"`, "suspended_reason": `"ביטוח פג"`},
		after:  map[string]string{"status": `"active"`, "suspended_reason": `""`}},
	"POST /api/v1/suppliers/:id/certificates": {as: "admin", path: "/api/v1/suppliers/{medical}/certificates",
		body:   `{"kind": "insurance", "number": "P-2027-77", "valid_until": "2027-06-30"}`,
		object: "supplier_certificates", action: "insert",
		after: map[string]string{"supplier_id": "{medical}", "kind": `"insurance"`, "number": `"P-2027-77"`, "valid_until": `"2027-06-30"`}},

	// Shelf tenders, their items, awards and prices.
	"POST /api/v1/tenders": {as: "lead", path: "/api/v1/tenders",
		body:   auditTenderBody("77/2026", "10000", "2.5"),
		object: "tenders", action: "insert",
		after: map[string]string{"number": `"77/2026"`, "ceiling": "10000.00", "fee_percent": "2.50", "valid_from": `"2026-01-01"`,
			"valid_until": `"2027-12-31"`, "status": `"draft"`}},
	"PUT /api/v1/tenders/:id": {as: "lead", path: "/api/v1/tenders/{tender}",
		body: auditTenderBody("78/2026", "20000", "3"),
		prepare: func(t *testing.T, w *auditWorld) map[string]string {
			return map[string]string{"tender": w.call(t, "lead", "POST", "/api/v1/tenders", auditTenderBody("78/2026", "10000", "2.5"))["id"]}
		},
		object: "tenders", action: "update", objectID: "{tender}",
		before: map[string]string{"ceiling": "10000.00", "fee_percent": "2.50"},
		after:  map[string]string{"ceiling": "20000.00", "fee_percent": "3.00"}},
	"PUT /api/v1/tenders/:id/competition": {as: "lead", path: "/api/v1/tenders/{tender}/competition",
		body:    `{"competition_from": "50000.50", "competition_min_days": 5}`,
		prepare: func(t *testing.T, w *auditWorld) map[string]string { return w.tender(t, "active") },
		object:  "tenders", action: "update", objectID: "{tender}",
		before: map[string]string{"competition_from": "null", "competition_min_days": "3"},
		after:  map[string]string{"competition_from": "50000.50", "competition_min_days": "5"}},
	"POST /api/v1/tenders/:id/publish": {as: "lead", path: "/api/v1/tenders/{tender}/publish",
		prepare: func(t *testing.T, w *auditWorld) map[string]string {
			return w.tender(t, "draft")
		},
		object: "tenders", action: "update", objectID: "{tender}",
		before: map[string]string{"status": `"draft"`}, after: map[string]string{"status": `"active"`}},
	"POST /api/v1/tenders/:id/suspend": {as: "lead", path: "/api/v1/tenders/{tender}/suspend",
		prepare: func(t *testing.T, w *auditWorld) map[string]string { return w.tender(t, "active") },
		object:  "tenders", action: "update", objectID: "{tender}",
		before: map[string]string{"status": `"active"`}, after: map[string]string{"status": `"suspended"`}},
	"POST /api/v1/tenders/:id/resume": {as: "lead", path: "/api/v1/tenders/{tender}/resume",
		prepare: func(t *testing.T, w *auditWorld) map[string]string { return w.tender(t, "suspended") },
		object:  "tenders", action: "update", objectID: "{tender}",
		before: map[string]string{"status": `"suspended"`}, after: map[string]string{"status": `"active"`}},
	"POST /api/v1/tenders/:id/close": {as: "admin", path: "/api/v1/tenders/{tender}/close",
		prepare: func(t *testing.T, w *auditWorld) map[string]string { return w.tender(t, "active") },
		object:  "tenders", action: "update", objectID: "{tender}",
		before: map[string]string{"status": `"active"`}, after: map[string]string{"status": `"closed"`}},
	"POST /api/v1/tenders/:id/items": {as: "lead", path: "/api/v1/tenders/{tender}/items",
		body:    `[{"sku": "SAND-1", "name": "חול ים מסונן לארגז חול", "unit": "מ\"ק", "max_price": "320.40"}]`,
		prepare: func(t *testing.T, w *auditWorld) map[string]string { return w.tender(t, "draft") },
		object:  "tender_items", action: "insert", objectID: "*",
		after: map[string]string{"tender_id": "{tender}", "sku": `"SAND-1"`, "unit": `"מ\"ק"`, "max_price": "320.40"}},
	"POST /api/v1/tenders/:id/awards": {as: "lead", path: "/api/v1/tenders/{tender}/awards",
		body:    `{"supplier_id": {techno}}`,
		prepare: func(t *testing.T, w *auditWorld) map[string]string { return w.tender(t, "active") },
		object:  "awards", action: "insert",
		after: map[string]string{"tender_id": "{tender}", "supplier_id": "{techno}", "status": `"active"`}},
	"POST /api/v1/tenders/:id/awards/:award_id/suspend": {as: "lead", path: "/api/v1/tenders/{tender}/awards/{award}/suspend",
		prepare: func(t *testing.T, w *auditWorld) map[string]string { return w.tender(t, "active") },
		object:  "awards", action: "update", objectID: "{award}",
		before: map[string]string{"status": `"active"`}, after: map[string]string{"status": `"suspended"`}},
	"POST /api/v1/tenders/:id/awards/:award_id/resume": {as: "lead", path: "/api/v1/tenders/{tender}/awards/{award}/resume",
		prepare: func(t *testing.T, w *auditWorld) map[string]string {
			v := w.tender(t, "active")
			w.call(t, "lead", "POST", "/api/v1/tenders/"+v["tender"]+"/awards/"+v["award"]+"/suspend", "")
			return v
		},
		object: "awards", action: "update", objectID: "{award}",
		before: map[string]string{"status": `"suspended"`}, after: map[string]string{"status": `"active"`}},
	"POST /api/v1/tenders/:id/awards/:award_id/terminate": {as: "admin", path: "/api/v1/tenders/{tender}/awards/{award}/terminate",
		prepare: func(t *testing.T, w *auditWorld) map[string]string { return w.tender(t, "active") },
		object:  "awards", action: "update", objectID: "{award}",
		before: map[string]string{"status": `"active"`}, after: map[string]string{"status": `"terminated"`}},
	"POST /api/v1/tenders/:id/awards/:award_id/prices": {as: "lead", path: "/api/v1/tenders/{tender}/awards/{award}/prices",
		body:    `{"item_id": {item}, "price": "199.90", "valid_from": "{in10}", "reason": "index_linkage"}`,
		prepare: func(t *testing.T, w *auditWorld) map[string]string { return w.tender(t, "active") },
		object:  "award_prices", action: "insert",
		after: map[string]string{"award_id": "{award}", "item_id": "{item}", "price": "199.90", "valid_from": `"{in10}"`, "reason": `"index_linkage"`}},
	"POST /api/v1/tenders/:id/awards/:award_id/price-list": {as: "lead", path: "/api/v1/tenders/{tender}/awards/{award}/price-list",
		file:    "sku,price,valid_from,reason\nFA-1,210.35,{in30},vat_change\n",
		prepare: func(t *testing.T, w *auditWorld) map[string]string { return w.tender(t, "active") },
		object:  "award_prices", action: "insert", objectID: "*",
		after: map[string]string{"award_id": "{award}", "item_id": "{item}", "price": "210.35", "valid_from": `"{in30}"`, "reason": `"vat_change"`}},

	// Orders keep their own append-only history: each write appends one
	// order event, by whom, from which address and request, and the
	// states before and after.
	"POST /api/v1/orders": {as: "officer", path: "/api/v1/orders",
		body: `{"tender_id": {order_tender}, "supplier_id": {medical}, "budget_line_id": {order_line}, "delivery_address": "בניין המועצה",
			"requested_date": "{in30}", "lines": [{"item_id": {order_item}, "quantity": "3"}]}`,
		none: "orders keep their own history, the order events", event: &[3]string{"create", "", "draft"}},
	"PUT /api/v1/orders/:id": {as: "officer", path: "/api/v1/orders/{order}",
		body: `{"tender_id": {order_tender}, "supplier_id": {medical}, "budget_line_id": {order_line}, "delivery_address": "המחסן העירוני",
			"requested_date": "{in30}", "lines": [{"item_id": {order_item}, "quantity": "2"}]}`,
		prepare: func(t *testing.T, w *auditWorld) map[string]string { return w.orderIn(t, "draft") },
		none:    "orders keep their own history, the order events", event: &[3]string{"update", "draft", "draft"}},
	"POST /api/v1/orders/:id/submit": {as: "officer", path: "/api/v1/orders/{order}/submit",
		prepare: func(t *testing.T, w *auditWorld) map[string]string { return w.orderIn(t, "draft") },
		none:    "orders keep their own history, the order events", event: &[3]string{"submit", "draft", "pending_approval"}},
	"POST /api/v1/orders/:id/sign": {as: "treasurer", path: "/api/v1/orders/{order}/sign",
		body:    `{"slot": "treasurer", "legal": true, "budget_line": true, "no_deficit": true}`,
		prepare: func(t *testing.T, w *auditWorld) map[string]string { return w.orderIn(t, "pending_approval") },
		none:    "orders keep their own history, the order events", event: &[3]string{"sign", "pending_approval", "pending_approval"}},
	"POST /api/v1/orders/:id/return": {as: "head", path: "/api/v1/orders/{order}/return", body: `{"note": "חסר מספר סעיף"}`,
		prepare: func(t *testing.T, w *auditWorld) map[string]string { return w.orderIn(t, "pending_approval") },
		none:    "orders keep their own history, the order events", event: &[3]string{"return", "pending_approval", "draft"}},
	"POST /api/v1/orders/:id/cancel": {as: "officer", path: "/api/v1/orders/{order}/cancel", body: `{"reason": "duplicate"}`,
		prepare: func(t *testing.T, w *auditWorld) map[string]string { return w.orderIn(t, "pending_approval") },
		none:    "orders keep their own history, the order events", event: &[3]string{"cancel", "pending_approval", "cancelled"}},
	"POST /api/v1/orders/:id/confirm": {as: "supplier", path: "/api/v1/orders/{order}/confirm", body: `{"promised_date": "{in10}"}`,
		prepare: func(t *testing.T, w *auditWorld) map[string]string { return w.orderIn(t, "sent") },
		none:    "orders keep their own history, the order events", event: &[3]string{"confirm", "sent", "confirmed"}},
	"POST /api/v1/orders/:id/reject": {as: "supplier", path: "/api/v1/orders/{order}/reject", body: `{"reason": "אין מלאי"}`,
		prepare: func(t *testing.T, w *auditWorld) map[string]string { return w.orderIn(t, "sent") },
		none:    "orders keep their own history, the order events", event: &[3]string{"reject", "sent", "rejected"}},
	"POST /api/v1/orders/:id/deliver": {as: "supplier", path: "/api/v1/orders/{order}/deliver",
		body:    `{"lines": [{"line_id": {order_line_id}, "quantity": "1"}]}`,
		prepare: func(t *testing.T, w *auditWorld) map[string]string { return w.orderIn(t, "confirmed") },
		none:    "orders keep their own history, the order events", event: &[3]string{"deliver", "confirmed", "delivered"}},
	"POST /api/v1/orders/:id/close": {as: "officer", path: "/api/v1/orders/{order}/close", body: `{"invoice_ref": "INV-2026-118"}`,
		prepare: func(t *testing.T, w *auditWorld) map[string]string { return w.orderIn(t, "delivered") },
		none:    "orders keep their own history, the order events", event: &[3]string{"close", "delivered", "closed"}},

	// The work plan.
	"POST /api/v1/workplan/engines/import": {as: "lead", path: "/api/v1/workplan/engines/import?strategy=" + url.QueryEscape("תוכנית בדיקה"),
		text:   string(workplan.StrategyText),
		object: "strategic_engines", action: "insert", objectID: "*",
		after: map[string]string{"strategy": `"תוכנית בדיקה"`}},
	"POST /api/v1/workplan/:year/import": {as: "lead", path: "/api/v1/workplan/{import_year}/import?filename=report-2023.txt",
		text:   string(workplan.Report2024),
		object: "workplan_plans", action: "insert", objectID: "*",
		after: map[string]string{"year": "2023"}},
	"POST /api/v1/workplan/:year/carry-over": {as: "lead", path: "/api/v1/workplan/{plan_year}/carry-over",
		object: "workplan_plans", action: "insert", objectID: "*",
		after: map[string]string{"year": "{next_plan_year}"}},
	"POST /api/v1/workplan/:year/tasks/:id/status": {as: "lead", path: "/api/v1/workplan/{plan_year}/tasks/{task}/status",
		body:    `{"status": "postponed", "note": "אין תקציב"}`,
		prepare: func(t *testing.T, w *auditWorld) map[string]string { return w.task(t, "status") },
		object:  "workplan_tasks", action: "update", objectID: "{task}",
		before: map[string]string{"status": "{task_status}"}, after: map[string]string{"status": `"postponed"`}},
	"PATCH /api/v1/workplan/:year/tasks/:id": {as: "admin", path: "/api/v1/workplan/{plan_year}/tasks/{task}",
		body:    `{"owner": "מיכל כהן", "due_quarter": 3}`,
		prepare: func(t *testing.T, w *auditWorld) map[string]string { return w.task(t, "patch") },
		object:  "workplan_tasks", action: "update", objectID: "{task}",
		after: map[string]string{"owner": `"מיכל כהן"`, "due_quarter": "3"}},
	"PUT /api/v1/workplan/:year/goals/:id/engine": {as: "lead", path: "/api/v1/workplan/{plan_year}/goals/{goal}/engine",
		body:   `{"engine_id": {engine}}`,
		object: "workplan_goals", action: "update", objectID: "{goal}",
		after: map[string]string{"engine_id": "{engine}"}},
}

// auditTenderBody is a tender open to זכרון יעקב, numbered number, with a
// ceiling and fee percent.
func auditTenderBody(number, ceiling, fee string) string {
	return `{"number": "` + number + `", "title": "החלפת חול בגני ילדים", "category": "תשתיות", "valid_from": "2026-01-01",
		"valid_until": "2027-12-31", "ceiling": "` + ceiling + `", "fee_percent": "` + fee + `", "award_rule": "rotation",
		"confirmation_days": 5, "authorities": [{"authority_id": {zichron}}]}`
}

// auditWorld is the authorization matrix's world (the demo cluster with a
// user of every role) with the values the writes' placeholders take.
type auditWorld struct {
	*authzWorld
	t      *testing.T
	values map[string]string
	emails map[int64]string
	seq    int
}

// id is the user id of a caller of the matrix.
func (w *auditWorld) id(name string) int64 {
	for _, c := range w.callers {
		if c.name == name {
			return c.userID
		}
	}
	w.t.Fatalf("no caller %q", name)
	return 0
}

// expand writes vals and the world's values into s's placeholders.
func (w *auditWorld) expand(s string, vals map[string]string) string {
	var pairs []string
	for _, m := range []map[string]string{vals, w.values} {
		for k, v := range m {
			pairs = append(pairs, "{"+k+"}", v)
		}
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

// call makes a write as the caller name while preparing one (it must
// succeed) and returns the answer's fields as text.
func (w *auditWorld) call(t *testing.T, name, method, path, body string) map[string]string {
	t.Helper()
	var b any
	if body != "" {
		b = w.expand(body, nil)
	}
	r := webtest.Do(w.h, method, path, w.token(t, w.id(name)), b)
	if r.Code >= 300 {
		t.Fatalf("prepare: %s %s as %s: %d %s", method, path, name, r.Code, r.Body)
	}
	out := map[string]string{}
	var m map[string]any
	if json.Unmarshal(r.Body.Bytes(), &m) == nil {
		for k, v := range m {
			out[k] = fmt.Sprint(v)
		}
	}
	return out
}

// token makes a personal API token of user userID and returns its secret:
// tokens are made fresh for every request, so that a write that revokes
// tokens disarms no other.
func (w *auditWorld) token(t *testing.T, userID int64) string {
	t.Helper()
	tok, err := w.sess.NewToken(context.Background(), userID, "audit")
	if err != nil {
		t.Fatal(err)
	}
	return tok.Token
}

// tokenID makes a personal API token of user userID and returns its id.
func (w *auditWorld) tokenID(t *testing.T, userID int64) string {
	t.Helper()
	tok, err := w.sess.NewToken(context.Background(), userID, "spare")
	if err != nil {
		t.Fatal(err)
	}
	return strconv.FormatInt(tok.ID, 10)
}

// session opens a session of user userID and returns its id.
func (w *auditWorld) session(t *testing.T, userID int64) string {
	t.Helper()
	if _, _, err := w.sess.NewSession(context.Background(), userID); err != nil {
		t.Fatal(err)
	}
	var id string
	w.db.Get(&id, `SELECT max(id)::text FROM sessions WHERE user_id = $1`, userID)
	return id
}

// officerUser adds an officer of זכרון יעקב, active or not, and returns
// its id.
func (w *auditWorld) officerUser(t *testing.T, active bool) string {
	t.Helper()
	u := fixture.MustUser(t, w.db, auth.OrgAuthority, w.zichron, auth.RoleOfficer)
	if !active {
		w.db.MustExec(`UPDATE users SET active = false WHERE id = $1`, u.ID)
	}
	return strconv.FormatInt(u.ID, 10)
}

// passwordUser adds an economic lead whose password is webtest.Password.
func (w *auditWorld) passwordUser(t *testing.T) string {
	t.Helper()
	w.seq++
	u := webtest.MustUser(t, w.db, accounts.NewUser{Email: fmt.Sprintf("lead%d@madaf.example", w.seq),
		OrgKind: auth.OrgCluster, Roles: []string{auth.RoleEconomicLead}})
	w.emails[u.ID] = u.Email
	return strconv.FormatInt(u.ID, 10)
}

// supplier adds an active supplier with the company number and returns
// its id.
func (w *auditWorld) supplier(t *testing.T, number string) string {
	t.Helper()
	return w.call(t, "admin", "POST", "/api/v1/suppliers",
		`{"company_number": "`+number+`", "legal_name": "גינון וחול בע״מ", "email": "sand@gan.example"}`)["id"]
}

// tender adds a tender of one item, FA-1, with an award of the medical
// supplier that prices it, in status (draft, active or suspended); its
// values are tender, item and award.
func (w *auditWorld) tender(t *testing.T, status string) map[string]string {
	t.Helper()
	w.seq++
	tn := w.call(t, "lead", "POST", "/api/v1/tenders", auditTenderBody(fmt.Sprintf("%d/2027", 50+w.seq), "100000", "1.5"))["id"]
	items := webtest.Do(w.h, "POST", "/api/v1/tenders/"+tn+"/items", w.token(t, w.id("lead")),
		`[{"sku": "FA-1", "name": "ערכת עזרה ראשונה לכיתה", "unit": "ערכה"}]`)
	var it struct{ Items []map[string]any }
	items.JSON(t, &it)
	if items.Code != http.StatusCreated || len(it.Items) != 1 {
		t.Fatalf("prepare items: %d %s", items.Code, items.Body)
	}
	item := fmt.Sprint(it.Items[0]["id"])
	award := w.call(t, "lead", "POST", "/api/v1/tenders/"+tn+"/awards", `{"supplier_id": {medical}}`)["id"]
	w.call(t, "lead", "POST", "/api/v1/tenders/"+tn+"/awards/"+award+"/prices",
		`{"item_id": `+item+`, "price": "180", "valid_from": "2026-01-01", "reason": "initial"}`)
	if status != "draft" {
		w.call(t, "lead", "POST", "/api/v1/tenders/"+tn+"/publish", "")
	}
	if status == "suspended" {
		w.call(t, "lead", "POST", "/api/v1/tenders/"+tn+"/suspend", "")
	}
	return map[string]string{"tender": tn, "item": item, "award": award}
}

// orderIn makes an order of זכרון יעקב in status; its values are order and
// order_line_id.
func (w *auditWorld) orderIn(t *testing.T, status string) map[string]string {
	t.Helper()
	id, line := w.mustOrder(t, status)
	return map[string]string{"order": id, "order_line_id": line}
}

// task picks a task of the work plan that no other write changes, and
// its status as the trail records it.
func (w *auditWorld) task(t *testing.T, which string) map[string]string {
	t.Helper()
	offset := map[string]int{"status": 1, "patch": 2}[which]
	var r struct {
		ID     string `db:"id"`
		Status string `db:"status"`
	}
	if err := w.db.Get(&r, `SELECT t.id::text, to_jsonb(t.status)::text AS status FROM workplan_tasks t JOIN workplan_plans p ON p.id = t.plan_id
		WHERE p.year = $1 AND t.status <> 'postponed' ORDER BY t.id OFFSET $2 LIMIT 1`, w.values["plan_year"], offset); err != nil {
		t.Fatal(err)
	}
	return map[string]string{"task": r.ID, "task_status": r.Status}
}

func mustAuditWorld(t *testing.T) *auditWorld {
	t.Helper()
	w := &auditWorld{authzWorld: mustAuthzWorld(t), t: t, emails: map[int64]string{}}
	ctx := context.Background()
	get := func(q string, args ...any) string {
		t.Helper()
		var v string
		if err := w.db.GetContext(ctx, &v, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return v
	}
	n := func(id int64) string { return strconv.FormatInt(id, 10) }
	today := calendar.Today()
	w.values = map[string]string{
		"zichron": n(w.zichron), "medical": n(w.order.supplier),
		"techno":       get(`SELECT id::text FROM suppliers WHERE company_number = '510000029'`),
		"order_tender": n(w.order.tender), "order_item": n(w.order.item), "order_line": n(w.order.budgetLine),
		"today": today.String(), "in10": today.AddDays(10).String(), "in30": today.AddDays(30).String(),
		"year":        strconv.Itoa(today.Year() + 1),
		"import_year": "2023",
		"plan_year":   get(`SELECT max(year)::text FROM workplan_plans`),
		"goal":        get(`SELECT g.id::text FROM workplan_goals g JOIN workplan_plans p ON p.id = g.plan_id WHERE p.year = (SELECT max(year) FROM workplan_plans) AND g.engine_id IS NULL ORDER BY g.id LIMIT 1`),
		"engine":      get(`SELECT id::text FROM strategic_engines ORDER BY id LIMIT 1`),
	}
	py, _ := strconv.Atoi(w.values["plan_year"])
	w.values["next_plan_year"] = strconv.Itoa(py + 1)
	for _, c := range w.callers {
		w.values[c.name] = n(c.userID)
		if c.userID != 0 {
			w.emails[c.userID] = get(`SELECT email FROM users WHERE id = $1`, c.userID)
		}
	}
	return w
}

// auditedTable is a table the audit trigger records, with the columns of
// its records' keys (the trigger's arguments).
type auditedTable struct {
	name string
	keys []string
}

// auditedTables lists the tables with the audit trigger.
func auditedTables(t *testing.T, db *sqlx.DB) []auditedTable {
	t.Helper()
	var rows []struct {
		Name string `db:"name"`
		Args []byte `db:"args"`
	}
	const q = `SELECT c.relname::text AS name, g.tgargs AS args FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
		WHERE g.tgname = 'audit' AND NOT g.tgisinternal ORDER BY 1`
	if err := db.Select(&rows, q); err != nil {
		t.Fatal(err)
	}
	out := make([]auditedTable, len(rows))
	for i, r := range rows {
		out[i].name = r.Name
		for _, k := range strings.Split(string(r.Args), "\x00") {
			if k != "" {
				out[i].keys = append(out[i].keys, k)
			}
		}
		if len(out[i].keys) == 0 {
			out[i].keys = []string{"id"}
		}
	}
	return out
}

// auditSnapshot is every audited record, as "object/object_id" (the
// trail's names) → its fields.
type auditSnapshot map[string]map[string]json.RawMessage

// snapshotQuery selects every audited record with its name in the trail.
func snapshotQuery(tables []auditedTable) string {
	parts := make([]string, len(tables))
	for i, tb := range tables {
		key := make([]string, len(tb.keys))
		for j, k := range tb.keys {
			key[j] = "(j ->> '" + k + "')"
		}
		parts[i] = fmt.Sprintf(`SELECT '%s/' || %s AS name, j::text AS row FROM (SELECT to_jsonb(x) AS j FROM %q x) r`,
			tb.name, strings.Join(key, " || '/' || "), tb.name)
	}
	return strings.Join(parts, " UNION ALL ")
}

func snapshot(t *testing.T, db *sqlx.DB, query string) auditSnapshot {
	t.Helper()
	var rows []struct {
		Name string `db:"name"`
		Row  string `db:"row"`
	}
	if err := db.Select(&rows, query); err != nil {
		t.Fatal(err)
	}
	out := make(auditSnapshot, len(rows))
	for _, r := range rows {
		out[r.Name] = jsonFields(t, r.Row)
	}
	return out
}

// jsonFields reads a JSON object's fields, each compacted.
func jsonFields(t *testing.T, s string) map[string]json.RawMessage {
	t.Helper()
	var m map[string]json.RawMessage
	if s == "" || s == "null" {
		return nil
	}
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	for k, v := range m {
		var b bytes.Buffer
		json.Compact(&b, v)
		m[k] = b.Bytes()
	}
	return m
}

// unrecorded are the columns whose changes the trail leaves out (see
// audit_row): bookkeeping of use.
var unrecorded = []string{"last_used_at"}

// auditRow is an entry of the trail as the test reads it.
type auditRow struct {
	ID        int64   `db:"id"`
	ActorID   *int64  `db:"actor_id"`
	Actor     string  `db:"actor"`
	Address   string  `db:"address"`
	Object    string  `db:"object"`
	ObjectID  string  `db:"object_id"`
	Action    string  `db:"action"`
	Before    *string `db:"before"`
	After     *string `db:"after"`
	ChangeSet *int64  `db:"change_set"`
	RequestID string  `db:"request_id"`
}

// TestEveryWriteIsAudited performs every write of the API (every POST,
// PUT, PATCH and DELETE route under /api/v1 of the engine), each as a role
// that may, over the demo cluster, from an address and with a request id
// of its own, and reads what the audit trail gained:
//
//   - exactly one change set: every entry the request wrote has the one
//     transaction's change_set and the request's id, and no entry appeared
//     that the request did not write;
//   - every entry names the caller (user id and e-mail, or anonymous) and
//     the address;
//   - the change set covers exactly the audited records that changed, each
//     with its fields before as they were and after as they are (every
//     changed field recorded, secrets as ***), compared with snapshots of
//     every audited table taken before and after;
//   - the entry of the write itself (object, action, record) holds the
//     values the request set, money and dates exactly.
//
// A write that changes only what the trail does not keep (a session) must
// say why and leave nothing; an order's write appends exactly one order
// event, the orders' own history, with its caller, address and request.
//
// A write route without an entry in auditWrites fails the test, saying
// what to add.
func TestEveryWriteIsAudited(t *testing.T) {
	w := mustAuditWorld(t)
	tables := auditedTables(t, w.db)
	query := snapshotQuery(tables)

	var routes []string
	for _, r := range w.engine.Routes() {
		switch r.Method {
		case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
			if strings.HasPrefix(r.Path, "/api/v1/") {
				routes = append(routes, r.Method+" "+r.Path)
			}
		}
	}
	sort.Strings(routes)
	for _, route := range routes {
		if _, ok := auditWrites[route]; !ok {
			t.Errorf("%s: a write of the API without an entry in auditWrites (app/audit_writes_test.go): add one with the caller "+
				"that may make it (as), its path and body, what it acts on (prepare), and the audit entry it must leave (object, "+
				"action, objectID and some fields before and after, money and dates exactly), or, if it changes nothing the trail "+
				"keeps, why (none)", route)
		}
	}
	for route := range auditWrites {
		if !slices.Contains(routes, route) {
			t.Errorf("%s: an entry of auditWrites without a route", route)
		}
	}

	for i, route := range routes {
		want, ok := auditWrites[route]
		if !ok {
			continue
		}
		t.Run(strings.NewReplacer("/", "_", " ", "_", ":", "").Replace(route), func(t *testing.T) {
			w.check(t, i, route, want, query)
		})
	}

	// What the writes left can be neither changed nor removed, not even
	// by the database's owner.
	t.Run("AppendOnly", func(t *testing.T) {
		var n int
		w.db.Get(&n, `SELECT count(*) FROM audit_log WHERE request_id LIKE 'audit-write-%'`)
		if n == 0 {
			t.Fatal("no entries of the writes to try to change (run the writes first)")
		}
		for _, q := range []string{
			`UPDATE audit_log SET after = '{}' WHERE request_id LIKE 'audit-write-%'`,
			`UPDATE audit_log SET actor = 'someone else', actor_id = NULL WHERE request_id LIKE 'audit-write-%'`,
			`DELETE FROM audit_log WHERE request_id LIKE 'audit-write-%'`,
			`TRUNCATE audit_log`,
			`UPDATE order_events SET to_status = 'draft' WHERE request_id LIKE 'audit-write-%'`,
			`DELETE FROM order_events WHERE request_id LIKE 'audit-write-%'`,
		} {
			if _, err := w.db.Exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: %v, want a refusal", q, err)
			}
		}
		var left int
		w.db.Get(&left, `SELECT count(*) FROM audit_log WHERE request_id LIKE 'audit-write-%'`)
		if left != n {
			t.Errorf("%d of the writes' %d entries are left", left, n)
		}
	})
}

// check performs the write want of route, the n-th, and holds the trail to
// it (see TestEveryWriteIsAudited).
func (w *auditWorld) check(t *testing.T, n int, route string, want auditWrite, query string) {
	var vals map[string]string
	if want.prepare != nil {
		vals = want.prepare(t, w)
	}
	expand := func(s string) string { return w.expand(s, vals) }
	path := expand(want.path)
	method, pattern, _ := strings.Cut(route, " ")
	if p, _, _ := strings.Cut(want.path, "?"); !auditPathFits(p, pattern) {
		t.Fatalf("the entry's path %s is not of the route %s", want.path, pattern)
	}
	as := want.as
	var userID int64
	if as == "{as}" {
		userID, _ = strconv.ParseInt(vals["as"], 10, 64)
	} else {
		userID = w.id(as)
	}

	// The request, from an address and with an id of its own.
	var body []byte
	contentType := ""
	switch {
	case want.file != "":
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		fw, _ := mw.CreateFormFile("file", cmp.Or(want.fileName, "prices.csv"))
		fw.Write([]byte(expand(want.file)))
		mw.Close()
		body, contentType = b.Bytes(), mw.FormDataContentType()
	case want.text != "":
		body, contentType = []byte(want.text), "text/plain; charset=utf-8"
	case want.body != "":
		body, contentType = []byte(expand(want.body)), "application/json"
	}
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	address := fmt.Sprintf("198.51.100.%d", 10+n)
	requestID := fmt.Sprintf("audit-write-%03d", n)
	req.RemoteAddr = address + ":41000"
	req.Header.Set("X-Request-ID", requestID)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if userID != 0 {
		if want.session {
			secret, _, err := w.sess.NewSession(context.Background(), userID)
			if err != nil {
				t.Fatal(err)
			}
			req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: secret})
		} else {
			req.Header.Set("Authorization", "Bearer "+w.token(t, userID))
		}
	}
	var lastEntry, lastEvent int64
	w.db.Get(&lastEntry, `SELECT coalesce(max(id), 0) FROM audit_log`)
	w.db.Get(&lastEvent, `SELECT coalesce(max(id), 0) FROM order_events`)
	before := snapshot(t, w.db, query)
	rec := httptest.NewRecorder()
	w.h.ServeHTTP(rec, req)
	if rec.Code < 200 || rec.Code >= 300 {
		t.Fatalf("%s as %s: %d %s", path, as, rec.Code, rec.Body)
	}
	after := snapshot(t, w.db, query)
	var answer map[string]any
	json.Unmarshal(rec.Body.Bytes(), &answer)

	var entries []auditRow
	const q = `SELECT id, actor_id, actor, address, object, object_id, action, before::text AS before, after::text AS after,
			change_set, request_id FROM audit_log WHERE id > $1 ORDER BY id`
	if err := w.db.Select(&entries, q, lastEntry); err != nil {
		t.Fatal(err)
	}

	// Who, from where, in one change set of this request.
	email := "anonymous"
	if userID != 0 {
		email = w.emails[userID]
	}
	sets := map[int64]bool{}
	for _, e := range entries {
		switch {
		case e.RequestID != requestID:
			t.Errorf("entry %d (%s %s/%s) is of request %q, not of this one", e.ID, e.Action, e.Object, e.ObjectID, e.RequestID)
		case userID == 0 && e.ActorID != nil, userID != 0 && (e.ActorID == nil || *e.ActorID != userID):
			t.Errorf("entry %d (%s %s/%s) names user %v, want %d", e.ID, e.Action, e.Object, e.ObjectID, e.ActorID, userID)
		case e.Actor != email || e.Address != address:
			t.Errorf("entry %d (%s %s/%s) names %q at %q, want %q at %q", e.ID, e.Action, e.Object, e.ObjectID, e.Actor, e.Address, email, address)
		case e.ChangeSet == nil:
			t.Errorf("entry %d (%s %s/%s) has no change set", e.ID, e.Action, e.Object, e.ObjectID)
		default:
			sets[*e.ChangeSet] = true
		}
	}
	if len(sets) > 1 {
		t.Errorf("%d change sets (transactions) for one write, want one", len(sets))
	}

	// The change set covers exactly what changed, before and after.
	changed := map[string]bool{}
	for name, row := range after {
		if !sameRecord(before[name], row) {
			changed[name] = true
		}
	}
	for name := range before {
		if _, ok := after[name]; !ok {
			changed[name] = true
		}
	}
	byRecord := map[string][]auditRow{}
	for _, e := range entries {
		name := e.Object + "/" + e.ObjectID
		byRecord[name] = append(byRecord[name], e)
	}
	for name := range changed {
		if byRecord[name] == nil {
			t.Errorf("%s changed without an entry in the trail:\n before %s\n after  %s", name, fields(before[name]), fields(after[name]))
		}
	}
	for name, es := range byRecord {
		first, last := es[0], es[len(es)-1]
		// A record that did not change may have been written and removed,
		// or removed and written again as it was, by the request.
		if !changed[name] && !(first.Action == "insert" && last.Action == "delete") && !(first.Action == "delete" && last.Action == "insert") {
			t.Errorf("%s has %d entries but did not change", name, len(es))
		}
		// The record's fields before the request are the first values its
		// entries record as before; after it, the last recorded as after.
		b, a := map[string]json.RawMessage{}, map[string]json.RawMessage{}
		for _, e := range es {
			for k, v := range jsonFields(t, deref(e.Before)) {
				if _, seen := b[k]; !seen {
					b[k] = v
				}
			}
			for k, v := range jsonFields(t, deref(e.After)) {
				a[k] = v
			}
		}
		if first.Action != "insert" {
			holdsFields(t, name+" before", b, before[name])
		}
		if last.Action != "delete" {
			holdsFields(t, name+" after", a, after[name])
			// Every field that changed is recorded.
			for k, v := range after[name] {
				if old, ok := before[name][k]; (!ok || !bytes.Equal(old, v)) && !slices.Contains(unrecorded, k) && a[k] == nil {
					t.Errorf("%s: %s changed (%s → %s) but its entries do not say so", name, k, old, v)
				}
			}
		}
	}

	if want.none != "" {
		if len(entries) > 0 {
			t.Errorf("the write should leave no entry (%s) but left %d: %s %s/%s", want.none, len(entries),
				entries[0].Action, entries[0].Object, entries[0].ObjectID)
		}
	} else {
		// The write's own entry, with the values it set.
		objectID := expand(want.objectID)
		if objectID == "" {
			objectID = fmt.Sprint(answer["id"])
		}
		var own []auditRow
		for _, e := range entries {
			if e.Object == want.object && e.Action == want.action && (objectID == "*" || e.ObjectID == objectID) {
				own = append(own, e)
			}
		}
		if len(own) == 0 {
			var got []string
			for _, e := range entries {
				got = append(got, e.Action+" "+e.Object+"/"+e.ObjectID)
			}
			t.Fatalf("no entry %s %s/%s among %v", want.action, want.object, objectID, got)
		}
		e := own[0]
		for _, c := range []struct {
			side string
			raw  *string
			want map[string]string
		}{{"before", e.Before, want.before}, {"after", e.After, want.after}} {
			got := jsonFields(t, deref(c.raw))
			for k, v := range c.want {
				v = expand(v)
				switch g, ok := got[k]; {
				case !ok:
					t.Errorf("%s %s/%s %s: no %s (%s)", e.Action, e.Object, e.ObjectID, c.side, k, deref(c.raw))
				case v == "?" && string(g) == "null":
					t.Errorf("%s %s/%s %s: %s is null", e.Action, e.Object, e.ObjectID, c.side, k)
				case v != "?" && !sameJSON(g, v):
					t.Errorf("%s %s/%s %s: %s is %s, want %s", e.Action, e.Object, e.ObjectID, c.side, k, g, v)
				}
			}
		}
	}

	if want.event != nil {
		orderID := vals["order"]
		if orderID == "" {
			orderID = fmt.Sprint(answer["id"])
		}
		var events []struct {
			OrderID   string `db:"order_id"`
			ActorID   *int64 `db:"actor_id"`
			Action    string `db:"action"`
			From      string `db:"from_status"`
			To        string `db:"to_status"`
			Address   string `db:"address"`
			RequestID string `db:"request_id"`
		}
		const eq = `SELECT order_id::text, actor_id, action, from_status, to_status, address, request_id FROM order_events WHERE id > $1 ORDER BY id`
		if err := w.db.Select(&events, eq, lastEvent); err != nil {
			t.Fatal(err)
		}
		ev := want.event
		if len(events) != 1 {
			t.Fatalf("%d order events, want one: %+v", len(events), events)
		}
		e := events[0]
		if e.OrderID != orderID || e.Action != ev[0] || e.From != ev[1] || e.To != ev[2] || e.ActorID == nil || *e.ActorID != userID ||
			e.Address != address || e.RequestID != requestID {
			t.Errorf("order event %+v (actor %v), want order %s %s %s → %s by %d at %s in %s",
				e, e.ActorID, orderID, ev[0], ev[1], ev[2], userID, address, requestID)
		}
	}
}

// mustID reads a user id of the world's values.
func mustID(t *testing.T, s string) int64 {
	t.Helper()
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// auditPathFits reports whether path, with {placeholders} for parameters,
// is of the route pattern.
func auditPathFits(path, pattern string) bool {
	ps, rs := strings.Split(path, "/"), strings.Split(pattern, "/")
	if len(ps) != len(rs) {
		return false
	}
	for i := range ps {
		param := strings.HasPrefix(rs[i], ":")
		if param != strings.HasPrefix(ps[i], "{") || !param && ps[i] != rs[i] {
			return false
		}
	}
	return true
}

// sameRecord reports whether two states of a record are the same but for
// the columns the trail leaves out.
func sameRecord(a, b map[string]json.RawMessage) bool {
	if (a == nil) != (b == nil) || len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Contains(unrecorded, k) && !bytes.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

// holdsFields checks that every field of recorded is the record's own
// (a secret recorded as *** aside).
func holdsFields(t *testing.T, what string, recorded, record map[string]json.RawMessage) {
	t.Helper()
	for k, v := range recorded {
		if string(v) == `"***"` {
			continue
		}
		if got, ok := record[k]; !ok || !bytes.Equal(got, v) {
			t.Errorf("%s: the trail has %s = %s, the record %s", what, k, v, got)
		}
	}
}

// sameJSON reports whether raw is the JSON text want.
func sameJSON(raw json.RawMessage, want string) bool {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(want)); err != nil {
		return false
	}
	return bytes.Equal(raw, b.Bytes())
}

func fields(m map[string]json.RawMessage) string {
	b, _ := json.Marshal(m)
	return string(b)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
