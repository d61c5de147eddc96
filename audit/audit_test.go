package audit_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"madaf/accounts"
	"madaf/audit"
	"madaf/authorities"
	"madaf/catalog"
	"madaf/internal/auth"
	"madaf/internal/dbtest"
	"madaf/internal/i18n"
	"madaf/internal/page"
	"madaf/internal/server"
	"madaf/internal/webtest"
	"madaf/suppliers"
	"madaf/templates"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

type world struct {
	db                     *sqlx.DB
	h                      http.Handler
	a, b                   int64
	admin, lead            string
	adminID, leadID        int64
	treasA, treasB, offcrA string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	db := dbtest.New(t)
	base := webtest.NewBase(t, db)
	r := server.Router{API: base.API}
	for _, f := range []server.Feature{
		authorities.Routes{Store: authorities.NewStore(db)},
		suppliers.Routes{Store: suppliers.NewStore(db)},
		catalog.Routes{Store: catalog.NewStore(db)},
		audit.Routes{Store: audit.NewStore(db)},
	} {
		f.Mount(r)
	}
	w := &world{db: db, h: base.Engine}
	db.Get(&w.a, `INSERT INTO authorities (code, name_he, kind) VALUES ('9300', 'זכרון יעקב', 'local_council') RETURNING id`)
	db.Get(&w.b, `INSERT INTO authorities (code, name_he, kind) VALUES ('654', 'כפר קרע', 'local_council') RETURNING id`)
	user := func(email, org string, authorityID int64, role string) (string, int64) {
		u := webtest.MustUser(t, db, accounts.NewUser{Email: email, OrgKind: org, AuthorityID: authorityID, Roles: []string{role}})
		return webtest.MustToken(t, db, u.ID), u.ID
	}
	w.admin, w.adminID = user("admin@example.com", auth.OrgCluster, 0, auth.RoleClusterAdmin)
	w.lead, w.leadID = user("lead@example.com", auth.OrgCluster, 0, auth.RoleEconomicLead)
	w.treasA, _ = user("treasurer@a.example", auth.OrgAuthority, w.a, auth.RoleTreasurer)
	w.treasB, _ = user("treasurer@b.example", auth.OrgAuthority, w.b, auth.RoleTreasurer)
	w.offcrA, _ = user("officer@a.example", auth.OrgAuthority, w.a, auth.RoleOfficer)
	return w
}

func (w *world) do(t *testing.T, method, path, token string, body any, want int) map[string]any {
	t.Helper()
	r := webtest.Do(w.h, method, path, token, body)
	if r.Code != want {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, r.Code, want, r.Body)
	}
	if r.Body.Len() == 0 || !strings.HasPrefix(r.Header().Get("Content-Type"), "application/json") {
		return nil
	}
	return r.Map(t)
}

// trail reads the entries of one object as token sees them, oldest first.
func (w *world) trail(t *testing.T, token, object string, id any) []audit.Entry {
	t.Helper()
	r := webtest.Do(w.h, "GET", fmt.Sprintf("/api/v1/audit?object=%s&object_id=%v", object, id), token, nil)
	if r.Code != http.StatusOK {
		t.Fatalf("audit: %d %s", r.Code, r.Body)
	}
	var l struct{ Items []audit.Entry }
	r.JSON(t, &l)
	for i, j := 0, len(l.Items)-1; i < j; i, j = i+1, j-1 {
		l.Items[i], l.Items[j] = l.Items[j], l.Items[i]
	}
	return l.Items
}

func field(t *testing.T, raw json.RawMessage, name string) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s: %v", raw, err)
	}
	return fmt.Sprint(m[name])
}

// TestEveryChangeLeavesATrace: changes made over the API are recorded with
// their author, address and the fields before and after.
func TestEveryChangeLeavesATrace(t *testing.T) {
	w := newWorld(t)

	t.Run("TenderCeilingAndFee", func(t *testing.T) {
		body := map[string]any{
			"number": "11/2025", "title": "החלפת חול בגני ילדים", "category": "תשתיות",
			"valid_from": "2025-01-01", "valid_until": "2027-12-31", "ceiling": "10000", "fee_percent": "2.5",
			"award_rule": "rotation", "confirmation_days": 5, "authorities": []map[string]any{{"authority_id": w.a}},
		}
		tender := w.do(t, "POST", "/api/v1/tenders", w.lead, body, http.StatusCreated)
		body["ceiling"], body["fee_percent"] = "20000", "3"
		w.do(t, "PUT", fmt.Sprintf("/api/v1/tenders/%v", tender["id"]), w.lead, body, http.StatusOK)

		entries := w.trail(t, w.admin, "tenders", tender["id"])
		if len(entries) != 2 || entries[0].Action != "insert" || entries[1].Action != "update" {
			t.Fatalf("entries %+v", entries)
		}
		up := entries[1]
		if up.Actor != "lead@example.com" || up.ActorID == nil || *up.ActorID != w.leadID || up.Address != "192.0.2.1" {
			t.Fatalf("author %q (%v) at %q", up.Actor, up.ActorID, up.Address)
		}
		for _, c := range []struct{ name, before, after string }{{"ceiling", "10000", "20000"}, {"fee_percent", "2.5", "3"}} {
			b, _ := decimal.NewFromString(field(t, up.Before, c.name))
			a, _ := decimal.NewFromString(field(t, up.After, c.name))
			if !b.Equal(decimal.RequireFromString(c.before)) || !a.Equal(decimal.RequireFromString(c.after)) {
				t.Fatalf("%s: %s → %s, want %s → %s", c.name, b, a, c.before, c.after)
			}
		}
		if strings.Contains(string(up.After), "title") {
			t.Fatalf("an unchanged field is recorded: %s", up.After)
		}
		participation := w.trail(t, w.admin, "tender_authorities", fmt.Sprintf("%v/%d", tender["id"], w.a))
		if len(participation) == 0 || participation[0].Action != "insert" {
			t.Fatalf("the authority's participation left no trace: %+v", participation)
		}
	})

	t.Run("SuspensionKeepsItsReason", func(t *testing.T) {
		sp := w.do(t, "POST", "/api/v1/suppliers", w.admin, map[string]any{
			"company_number": "510000011", "legal_name": "אספקה רפואית בע״מ", "email": "s@example.com"}, http.StatusCreated)
		path := fmt.Sprintf("/api/v1/suppliers/%v", sp["id"])
		w.do(t, "POST", path+"/suspend", w.admin, map[string]any{"reason": "אישור ניהול ספרים פג"}, http.StatusOK)
		w.do(t, "POST", path+"/resume", w.admin, nil, http.StatusOK)
		entries := w.trail(t, w.lead, "suppliers", sp["id"])
		if len(entries) != 3 {
			t.Fatalf("%d entries: %+v", len(entries), entries)
		}
		resumed := entries[2]
		if field(t, resumed.Before, "suspended_reason") != "אישור ניהול ספרים פג" || field(t, resumed.After, "status") != "active" {
			t.Fatalf("the resumption forgot the reason: before %s after %s", resumed.Before, resumed.After)
		}
		for _, e := range entries {
			t.Logf("%s %s %s %s", e.Action, e.Actor, e.Before, e.After)
		}
		if resumed.Actor != "admin@example.com" {
			t.Fatalf("actor %q", resumed.Actor)
		}
	})

	t.Run("BudgetLineScopedToItsAuthority", func(t *testing.T) {
		line := w.do(t, "POST", fmt.Sprintf("/api/v1/authorities/%d/budget-lines", w.a), w.treasA,
			map[string]any{"fiscal_year": 2026, "code": "1-611-750", "name": "מחשוב", "amount": "1000"}, http.StatusCreated)
		w.do(t, "PUT", fmt.Sprintf("/api/v1/authorities/%d/budget-lines/%v", w.a, line["id"]), w.treasA,
			map[string]any{"fiscal_year": 2026, "code": "1-611-750", "name": "מחשוב", "amount": "2500"}, http.StatusOK)
		mine := w.trail(t, w.treasA, "budget_lines", line["id"])
		if len(mine) != 2 || field(t, mine[1].Before, "amount") != "1000" || field(t, mine[1].After, "amount") != "2500" {
			t.Fatalf("the treasurer's own trail: %+v", mine)
		}
		if other := w.trail(t, w.treasB, "budget_lines", line["id"]); len(other) != 0 {
			t.Fatalf("another authority's treasurer sees %d entries", len(other))
		}
		if r := webtest.Do(w.h, "GET", "/api/v1/audit", w.offcrA, nil); r.Code != http.StatusForbidden {
			t.Fatalf("an officer reads the trail: %d", r.Code)
		}
		if r := webtest.Do(w.h, "GET", "/api/v1/audit", "", nil); r.Code != http.StatusUnauthorized {
			t.Fatalf("anonymous reads the trail: %d", r.Code)
		}
	})

	t.Run("SecretsAreNotRecorded", func(t *testing.T) {
		var id int64
		w.db.Get(&id, `SELECT id FROM users WHERE email = 'treasurer@a.example'`)
		entries := w.trail(t, w.admin, "users", id)
		if len(entries) == 0 || field(t, entries[0].After, "password_hash") != "***" {
			t.Fatalf("the password hash in the trail: %+v", entries)
		}
	})

	t.Run("ChangesOutsideTheServiceNameTheDatabaseRole", func(t *testing.T) {
		if _, err := w.db.Exec(`UPDATE authorities SET name_en = 'Zichron Yaakov' WHERE id = $1`, w.a); err != nil {
			t.Fatal(err)
		}
		entries := w.trail(t, w.admin, "authorities", w.a)
		last := entries[len(entries)-1]
		if last.Actor != "db:postgres" || last.ActorID != nil || field(t, last.After, "name_en") != "Zichron Yaakov" {
			t.Fatalf("a direct change: %+v", last)
		}
	})

	t.Run("AppendOnly", func(t *testing.T) {
		for _, q := range []string{`UPDATE audit_log SET actor = 'someone else'`, `DELETE FROM audit_log`, `TRUNCATE audit_log`} {
			if _, err := w.db.Exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Fatalf("%s: %v", q, err)
			}
		}
	})

	t.Run("BadFilter", func(t *testing.T) {
		r := webtest.Do(w.h, "GET", "/api/v1/audit?object=passwords&from=yesterday&action=steal", w.admin, nil)
		if r.Code != http.StatusUnprocessableEntity {
			t.Fatalf("%d %s", r.Code, r.Body)
		}
		for _, f := range []string{`"object"`, `"from"`, `"action"`} {
			if !strings.Contains(r.Body.String(), f) {
				t.Fatalf("no error for %s: %s", f, r.Body)
			}
		}
	})

	t.Run("ExportCSV", func(t *testing.T) {
		r := webtest.Do(w.h, "GET", "/api/v1/audit/export?object=suppliers", w.lead, nil)
		body := r.Body.String()
		if r.Code != http.StatusOK || !strings.HasPrefix(r.Header().Get("Content-Type"), "text/csv") {
			t.Fatalf("%d %s", r.Code, r.Header())
		}
		if !strings.HasPrefix(body, "\ufeff") || !strings.Contains(body, "\r\n") || !strings.Contains(body, "מועד") ||
			!strings.Contains(body, "אישור ניהול ספרים פג") || strings.Contains(body, "tenders") {
			t.Fatalf("export:\n%s", body)
		}
	})
}

// TestEveryTableIsAuditedOrSaysWhyNot: a table the service writes is either
// audited or listed here with the reason; an audited table's bytes columns
// (hashes of secrets) are all recorded as "***".
func TestEveryTableIsAuditedOrSaysWhyNot(t *testing.T) {
	db := dbtest.New(t)
	notAudited := map[string]string{
		"audit_log":                      "the trail itself",
		"goose_db_version":               "the migrations' own bookkeeping",
		"orders":                         "orders keep their own append-only history (order_events)",
		"order_lines":                    "orders keep their own append-only history (order_events)",
		"order_signatures":               "orders keep their own append-only history (order_events)",
		"order_deliveries":               "orders keep their own append-only history (order_events)",
		"order_events":                   "append-only itself",
		"order_counters":                 "numbering, derived",
		"request_keys":                   "replayed answers, not records",
		"mail_outbox":                    "outgoing mail, not records",
		"capacity_holds":                 "derived from orders by triggers",
		"workplan_task_events":           "append-only itself",
		"sessions":                       "sign-ins are security events in the log",
		"login_failures":                 "throttling state",
		"login_known_addresses":          "throttling state",
		"totp_last_steps":                "replay guard state",
		"volume_orders":                  "rollup, derived from orders",
		"volume_rollups":                 "rollup, derived from orders",
		"volume_status_counts":           "rollup, derived from orders",
		"volume_confirmations":           "rollup, derived from orders",
		"volume_confirmation_hours":      "rollup, derived from orders",
		"volume_totals":                  "rollup, derived from orders",
		"volume_confirmation_year_hours": "rollup, derived from orders",
		"document_contents":              "a file's bytes, written once; its audited document row records their SHA-256",
		"fee_ledger":                     "derived from orders and invoices by triggers",
		"fee_rollups":                    "rollup, derived from orders and invoices",
		"fee_statement_numbers":          "numbering, derived; the audited statements carry their numbers",
	}
	var tables []struct {
		Name    string `db:"name"`
		Audited bool   `db:"audited"`
	}
	const q = `SELECT c.relname::text AS name,
			EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = c.oid AND g.tgname = 'audit') AS audited
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY 1`
	if err := db.Select(&tables, q); err != nil {
		t.Fatal(err)
	}
	cats, err := i18n.Catalogs()
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range tables {
		_, excused := notAudited[tb.Name]
		if tb.Audited {
			for lang, cat := range cats {
				if !cat.Has("audit.object." + tb.Name) {
					t.Errorf("%s is audited but the %s catalog does not name it: add audit.object.%s", tb.Name, lang, tb.Name)
				}
			}
		}
		switch {
		case tb.Audited && excused:
			t.Errorf("%s is audited and also listed as not audited", tb.Name)
		case !tb.Audited && !excused:
			t.Errorf("%s has no audit trigger: add it to migrations' audited tables, or say here why not", tb.Name)
		}
	}
	var source string
	if err := db.Get(&source, `SELECT prosrc FROM pg_proc WHERE proname = 'audit_masked'`); err != nil {
		t.Fatal(err)
	}
	var secretLine string
	for _, l := range strings.Split(source, "\n") {
		if strings.Contains(l, "col IN (") {
			secretLine = l
		}
	}
	var bytesColumns []string
	const cols = `SELECT c.relname || '.' || a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
		JOIN pg_trigger g ON g.tgrelid = c.oid AND g.tgname = 'audit'
		WHERE a.atttypid = 'bytea'::regtype AND a.attnum > 0 AND NOT a.attisdropped`
	if err := db.Select(&bytesColumns, cols); err != nil {
		t.Fatal(err)
	}
	for _, c := range bytesColumns {
		_, column, _ := strings.Cut(c, ".")
		if !strings.Contains(secretLine, "'"+column+"'") {
			t.Errorf("%s holds bytes the trail would record as they are: add %q to audit_masked", c, column)
		}
	}
}

// TestChangeSets: the entries one request wrote (a tender with its
// participants) share the transaction's change set and the request's id,
// by which the trail filters, on the API and on the page.
func TestChangeSets(t *testing.T) {
	w := newWorld(t)
	eng, err := page.New(templates.FS)
	if err != nil {
		t.Fatal(err)
	}
	base := webtest.NewBase(t, w.db)
	eng.Mount(base.Engine)
	r := server.Router{API: base.API, Site: base.Engine, Pages: eng}
	catalog.Routes{Store: catalog.NewStore(w.db)}.Mount(server.Router{API: base.API})
	audit.Routes{Store: audit.NewStore(w.db)}.Mount(r)
	h := base.Engine

	body := map[string]any{
		"number": "12/2025", "title": "ציוד משחקים", "category": "תשתיות", "valid_from": "2025-01-01", "valid_until": "2027-12-31",
		"fee_percent": "2", "award_rule": "single", "confirmation_days": 5,
		"authorities": []map[string]any{{"authority_id": w.a}, {"authority_id": w.b}},
	}
	created := webtest.Do(h, "POST", "/api/v1/tenders", w.lead, body, "X-Request-ID", "tender-12-2025-create")
	if created.Code != http.StatusCreated {
		t.Fatalf("%d %s", created.Code, created.Body)
	}
	list := func(query string) []audit.Entry {
		t.Helper()
		r := webtest.Do(h, "GET", "/api/v1/audit?"+query, w.admin, nil)
		if r.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", query, r.Code, r.Body)
		}
		var l struct{ Items []audit.Entry }
		r.JSON(t, &l)
		return l.Items
	}
	byRequest := list("request=tender-12-2025-create")
	if len(byRequest) != 3 {
		t.Fatalf("%d entries of the request, want the tender and its two participants: %+v", len(byRequest), byRequest)
	}
	set := byRequest[0].ChangeSet
	for _, e := range byRequest {
		if e.ChangeSet == nil || *e.ChangeSet != *set || e.RequestID != "tender-12-2025-create" {
			t.Fatalf("entry %d: change set %v, request %q", e.ID, e.ChangeSet, e.RequestID)
		}
	}
	bySet := list(fmt.Sprintf("change_set=%d", *set))
	if len(bySet) != 3 {
		t.Fatalf("%d entries of the change set, want 3", len(bySet))
	}
	if r := webtest.Do(h, "GET", "/api/v1/audit?change_set=last", w.admin, nil); r.Code != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Body.String(), `"change_set"`) {
		t.Fatalf("a change set that is no number: %d %s", r.Code, r.Body)
	}

	var adminID int64
	w.db.Get(&adminID, `SELECT id FROM users WHERE email = 'admin@example.com'`)
	secret, _, err := auth.NewStore(w.db).NewSession(t.Context(), adminID)
	if err != nil {
		t.Fatal(err)
	}
	p := webtest.Do(h, "GET", fmt.Sprintf("/audit?change_set=%d", *set), "", nil, "Cookie", auth.CookieName+"="+secret)
	link := fmt.Sprintf(`href="/audit?change_set=%d"`, *set)
	if p.Code != http.StatusOK || strings.Count(p.Body.String(), link) != 3 || !strings.Contains(p.Body.String(), "12/2025") {
		t.Fatalf("the page of the change set: %d, %d links %s\n%s", p.Code, strings.Count(p.Body.String(), link), link, p.Body)
	}
}

// TestEmptyTrailIsAnEmptyList: a filter that selects nothing answers an
// empty list, not null.
func TestEmptyTrailIsAnEmptyList(t *testing.T) {
	w := newWorld(t)
	r := webtest.Do(w.h, "GET", "/api/v1/audit?object=holidays&action=delete", w.admin, nil)
	if r.Code != http.StatusOK || !strings.Contains(r.Body.String(), `"items":[]`) {
		t.Fatalf("%d %s", r.Code, r.Body)
	}
}
