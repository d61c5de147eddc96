package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"

	"madaf/accounts"
	"madaf/catalog"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/dbtest"
	"madaf/internal/fixture"
	"madaf/internal/money"
	"madaf/internal/webtest"
)

// authzCaller is one caller of the matrix: its name in authzTable and its
// user (none for nobody).
type authzCaller struct {
	name   string
	userID int64 // 0: anonymous
}

// authzWorld is the demo cluster with what the matrix calls every route
// with: a user of every role of the in-scope authority (זכרון יעקב) and
// supplier (the medical supplier), users of an out-of-scope authority
// (כפר קרע) and supplier, and an id for every route parameter, each a row
// of the in-scope organisations in the state its route acts on.
type authzWorld struct {
	db      *sqlx.DB
	engine  *gin.Engine
	h       http.Handler
	sess    *auth.Store
	callers []authzCaller
	// params fills a route parameter, keyed as "<segment before>/<param>".
	params map[string]string
	// fill writes the world's values into a body of authzBodies.
	fill    *strings.Replacer
	order   authzOrders
	zichron int64
	tokens  map[string]string // by caller, for making the world's rows
	officer int64             // the user whose spare sessions and tokens routes end
}

// authzCallerNames are the matrix's callers; on each route those the table
// refuses call first.
var authzCallerNames = []string{"anonymous", "admin", "lead", "officer", "treasurer", "head", "deputy", "receiver", "supplier",
	"xofficer", "xtreasurer", "xhead", "xsupplier"}

func mustAuthzWorld(t testing.TB) *authzWorld {
	t.Helper()
	ctx := context.Background()
	db := dbtest.New(t)
	if _, err := SeedDemo(ctx, db, io.Discard); err != nil {
		t.Fatalf("seed demo: %v", err)
	}
	engine := New(db, quiet).Engine
	w := &authzWorld{db: db, engine: engine, h: engine, sess: auth.NewStore(db), params: map[string]string{}}
	get := func(dst any, q string, args ...any) {
		t.Helper()
		mustGet(t, db, dst, q, args...)
	}
	user := func(email string) int64 {
		t.Helper()
		var id int64
		get(&id, `SELECT id FROM users WHERE email = $1`, email)
		return id
	}
	var zichron, kafrqara, medical, techno int64
	get(&zichron, `SELECT id FROM authorities WHERE code = '9300'`)
	get(&kafrqara, `SELECT id FROM authorities WHERE code = '654'`)
	get(&medical, `SELECT id FROM suppliers WHERE company_number = '510000011'`)
	get(&techno, `SELECT id FROM suppliers WHERE company_number = '510000029'`)

	ids := map[string]int64{
		"anonymous": 0, "admin": user("admin@madaf.example"), "lead": user("lead@madaf.example"),
		"officer": user("officer@zichron.example"), "treasurer": user("treasurer@zichron.example"),
		"head": user("head@zichron.example"), "deputy": user("deputy@zichron.example"), "receiver": user("receiver@zichron.example"),
		"supplier": user("supplier@medical.example"), "xofficer": user("officer@kafrqara.example"),
		"xtreasurer": fixture.MustUser(t, db, auth.OrgAuthority, kafrqara, auth.RoleTreasurer).ID,
		"xhead":      fixture.MustUser(t, db, auth.OrgAuthority, kafrqara, auth.RoleHead).ID,
		"xsupplier":  fixture.MustUser(t, db, auth.OrgSupplier, techno, auth.RoleSupplier).ID,
	}
	for _, name := range authzCallerNames {
		w.callers = append(w.callers, authzCaller{name: name, userID: ids[name]})
	}
	// Every caller has enrolled a second factor, which signing roles
	// must have before they may do anything else.
	if _, err := db.ExecContext(ctx, `UPDATE users SET totp_secret = 'matrix', totp_enabled_at = now()`); err != nil {
		t.Fatalf("second factors: %v", err)
	}

	// The medical supplier's tender 01/2024, on which each route that acts
	// on an order gets an order of its own in the state it acts on; the
	// catalog's routes act on a tender of their own (mustAuthzTender).
	get(&w.order.tender, `SELECT id FROM tenders WHERE number = '01/2024'`)
	get(&w.order.item, `SELECT i.id FROM tender_items i WHERE i.tender_id = $1 AND i.sku = 'MED-003'`, w.order.tender)
	get(&w.order.budgetLine, `SELECT id FROM budget_lines WHERE authority_id = $1 AND fiscal_year = $2 ORDER BY id LIMIT 1`,
		zichron, calendar.Today().Year())
	w.order.supplier = medical
	w.tokens = map[string]string{}
	for _, name := range []string{"officer", "treasurer", "head", "supplier"} {
		w.tokens[name] = webtest.MustToken(t, db, ids[name])
	}
	var delegation, year, task, goal, engineID int64
	tender, award := mustAuthzTender(t, db, medical)
	var confirmed string
	get(&confirmed, `SELECT id::text FROM orders WHERE authority_id = $1 AND supplier_id = $2 AND status = 'confirmed' ORDER BY id LIMIT 1`, zichron, medical)
	w.params["orders/:id"] = confirmed
	w.params["documents/:id"] = mustAuthzDocument(t, engine, w.tokens["officer"], confirmed)

	// A spare user and delegation of זכרון יעקב, which the routes that
	// deactivate users and revoke delegations act on (each revoking route
	// its own delegation); the routes that end a session, revoke a token or
	// open a password link get a spare one made just before (spareRows),
	// since a route before them may end them all.
	spare := fixture.MustUser(t, db, auth.OrgAuthority, zichron, auth.RoleOfficer)
	w.officer = ids["officer"]
	get(&delegation, `SELECT id FROM signature_delegations WHERE authority_id = $1 ORDER BY id LIMIT 1`, zichron)
	w.zichron = zichron
	get(&year, `SELECT max(year) FROM workplan_plans`)
	get(&task, `SELECT t.id FROM workplan_tasks t JOIN workplan_plans p ON p.id = t.plan_id WHERE p.year = $1 ORDER BY t.id LIMIT 1`, year)
	get(&goal, `SELECT g.id FROM workplan_goals g JOIN workplan_plans p ON p.id = g.plan_id WHERE p.year = $1 ORDER BY g.id LIMIT 1`, year)
	get(&engineID, `SELECT id FROM strategic_engines ORDER BY id LIMIT 1`)
	var line struct {
		ID     int64  `db:"id"`
		Year   int    `db:"fiscal_year"`
		Code   string `db:"code"`
		Name   string `db:"name"`
		Amount string `db:"amount"`
	}
	get(&line, `SELECT id, fiscal_year, code, name, amount::text FROM budget_lines WHERE id = $1`, w.order.budgetLine)
	n := func(id int64) string { return strconv.FormatInt(id, 10) }
	for k, v := range map[string]string{
		"authorities/:id": n(zichron), "budget-lines/:id": n(line.ID), "budget-lines/:line_id": n(line.ID),
		"delegations/:delegation_id": n(delegation), "suppliers/:id": n(medical), "users/:id": n(spare.ID),
		"tokens/:id": "{token}", "sessions/:id": "{session}", "reset/:token": "{reset}", "tenders/:id": n(tender), "awards/:award_id": n(award), "awards/:award": n(award),
		":award/:action": "suspend", "status/:action": "suspend", "workplan/:year": n(year),
		"tasks/:id": n(task), "goals/:id": n(goal), "engines/:id": n(engineID), "static/*file": "madaf.css",
	} {
		w.params[k] = v
	}
	competition, question := mustAuthzCompetition(t, db, w.order, ids["officer"], ids["supplier"])
	w.params["competitions/:id"], w.params["questions/:question_id"] = n(competition), n(question)
	for k, q := range authzParamQueries {
		var v string
		get(&v, q)
		w.params[k] = v
	}
	w.fill = strings.NewReplacer("{date}", calendar.Today().AddDays(5).String(), "{later}", calendar.Today().AddDays(14).String(),
		"{tender}", n(w.order.tender), "{supplier}", n(medical),
		"{item}", n(w.order.item), "{budget_line}", n(line.ID), "{line_year}", strconv.Itoa(line.Year),
		"{line_code}", line.Code, "{line_name}", line.Name, "{line_amount}", line.Amount)
	return w
}

// spareRows writes into path the rows a route may use up, made just
// before it runs: for {session} a new session of the officer, for {token}
// a new token of the officer, for {reset} the secret of a reset link of a
// new user, as the mail sending it carries it.
func (w *authzWorld) spareRows(t testing.TB, path string) string {
	t.Helper()
	ctx := context.Background()
	last := func(q string, args ...any) string {
		t.Helper()
		var v string
		if err := w.db.GetContext(ctx, &v, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return v
	}
	if strings.Contains(path, "{session}") {
		if _, _, err := w.sess.NewSession(ctx, w.officer); err != nil {
			t.Fatalf("session: %v", err)
		}
		path = strings.ReplaceAll(path, "{session}", last(`SELECT max(id)::text FROM sessions WHERE user_id = $1`, w.officer))
	}
	if strings.Contains(path, "{token}") {
		if _, err := w.sess.NewToken(ctx, w.officer, "spare"); err != nil {
			t.Fatalf("token: %v", err)
		}
		path = strings.ReplaceAll(path, "{token}", last(`SELECT max(id)::text FROM api_tokens WHERE user_id = $1`, w.officer))
	}
	if strings.Contains(path, "{reset}") {
		u := fixture.MustUser(t, w.db, auth.OrgAuthority, w.zichron, auth.RoleOfficer)
		if _, err := accounts.NewStore(w.db).SendPasswordLink(ctx, u.ID, 0); err != nil {
			t.Fatalf("password link: %v", err)
		}
		m := resetLink.FindStringSubmatch(last(`SELECT body FROM mail_outbox ORDER BY id DESC LIMIT 1`))
		if m == nil {
			t.Fatal("the password link's mail has no /reset/ link")
		}
		path = strings.ReplaceAll(path, "{reset}", m[1])
	}
	return path
}

var resetLink = regexp.MustCompile(`/reset/([A-Za-z0-9_-]+)`)

// mustAuthzTender adds a published tender open to every authority, with
// one item and an award of supplier that prices it: the tender the
// catalog's routes act on (and may suspend or close), apart from the one
// the world's orders are placed on.
func mustAuthzTender(t testing.TB, db *sqlx.DB, supplier int64) (tender, award int64) {
	t.Helper()
	ctx := context.Background()
	cs := catalog.NewStore(db)
	fee := money.MustParse("1.5").Decimal
	in := catalog.TenderInput{Number: "41/2026", Title: "ציוד עזרה ראשונה למוסדות חינוך", Category: "ציוד רפואי",
		Description: "ערכות עזרה ראשונה ומדי חום לבתי הספר.",
		ValidFrom:   calendar.Today().AddDays(-30), ValidUntil: calendar.Today().AddDays(700), FeePercent: &fee,
		AwardRule: catalog.RuleChoice, ConfirmationDays: 3}
	var all []int64
	if err := db.SelectContext(ctx, &all, `SELECT id FROM authorities ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	for _, id := range all {
		in.Authorities = append(in.Authorities, catalog.AuthorityInput{AuthorityID: id})
	}
	tn, err := cs.CreateTender(ctx, in)
	if err != nil {
		t.Fatalf("tender: %v", err)
	}
	items, err := cs.AddItems(ctx, tn.ID, []catalog.ItemInput{{SKU: "FA-1", Name: "ערכת עזרה ראשונה לכיתה", Unit: "ערכה"}})
	if err != nil {
		t.Fatalf("items: %v", err)
	}
	a, err := cs.AwardSupplier(ctx, tn.ID, supplier)
	if err != nil {
		t.Fatalf("award: %v", err)
	}
	if _, err := cs.AddPrices(ctx, tn.ID, a.ID, []catalog.PriceInput{{ItemID: items[0].ID, Price: money.MustParse("180"), ValidFrom: in.ValidFrom}}); err != nil {
		t.Fatalf("price: %v", err)
	}
	if _, err := cs.Transition(ctx, tn.ID, catalog.ActionPublish); err != nil {
		t.Fatalf("publish: %v", err)
	}
	return tn.ID, a.ID
}

// authzOrders is what the world makes orders of: one line of an item of
// the medical supplier's tender, on a budget line of זכרון יעקב.
type authzOrders struct {
	tender, item, budgetLine, supplier int64
}

// authzOrderState is the state each order action starts from.
var authzOrderState = map[string]string{
	"edit": "draft", "update": "draft", "submit": "draft",
	"sign": "pending_approval", "return": "pending_approval", "cancel": "pending_approval",
	"confirm": "sent", "reject": "sent", "deliver": "confirmed", "close": "delivered",
}

// mustOrder makes a new order of זכרון יעקב from the medical supplier and
// takes it, through the API, to status; it returns its id and the id of
// its line.
func (w *authzWorld) mustOrder(t testing.TB, status string) (id, line string) {
	t.Helper()
	call := func(who, method, path string, body any) map[string]any {
		t.Helper()
		r := webtest.Do(w.h, method, path, w.tokens[who], body)
		if r.Code >= 300 {
			t.Fatalf("%s %s as %s: %d %s", method, path, who, r.Code, r.Body)
		}
		return r.Map(t)
	}
	o := call("officer", http.MethodPost, "/api/v1/orders", map[string]any{"tender_id": w.order.tender, "supplier_id": w.order.supplier,
		"budget_line_id": w.order.budgetLine, "delivery_address": "בניין המועצה, רחוב המייסדים 40",
		"requested_date": calendar.Today().AddDays(14).String(), "lines": []map[string]any{{"item_id": w.order.item, "quantity": "1"}}})
	id = fmt.Sprint(o["id"])
	lines, _ := o["lines"].([]any)
	if len(lines) != 1 {
		t.Fatalf("order %s: lines %v", id, o["lines"])
	}
	line = fmt.Sprint(lines[0].(map[string]any)["id"])
	steps := []struct {
		who, action string
		body        map[string]any
		reaches     string
	}{
		{"officer", "submit", map[string]any{}, "pending_approval"},
		{"treasurer", "sign", map[string]any{"slot": "treasurer", "legal": true, "budget_line": true, "no_deficit": true}, ""},
		{"head", "sign", map[string]any{"slot": "head"}, "sent"},
		{"supplier", "confirm", map[string]any{"promised_date": calendar.Today().AddDays(5).String()}, "confirmed"},
		{"supplier", "deliver", map[string]any{"lines": []map[string]any{{"line_id": lines[0].(map[string]any)["id"], "quantity": "1"}}}, "delivered"},
	}
	at := "draft"
	for _, s := range steps {
		if at == status {
			break
		}
		o = call(s.who, http.MethodPost, "/api/v1/orders/"+id+"/"+s.action, s.body)
		at = fmt.Sprint(o["status"])
	}
	if at != status {
		t.Fatalf("order %s is %s, want %s", id, at, status)
	}
	return id, line
}

// mustDelegation grants a delegation of the treasurer's slot of זכרון
// יעקב to a new officer, for a route that revokes it.
func (w *authzWorld) mustDelegation(t testing.TB) string {
	t.Helper()
	delegate := fixture.MustUser(t, w.db, auth.OrgAuthority, w.zichron, auth.RoleOfficer)
	r := webtest.Do(w.h, http.MethodPost, fmt.Sprintf("/api/v1/authorities/%d/delegations", w.zichron), w.tokens["treasurer"],
		map[string]any{"slot": "treasurer", "delegate_id": delegate.ID, "max_total": "1000.00",
			"valid_from": calendar.Today().String(), "valid_until": calendar.Today().AddDays(30).String()})
	if r.Code != http.StatusCreated {
		t.Fatalf("grant a delegation: %d %s", r.Code, r.Body)
	}
	return fmt.Sprint(r.Map(t)["id"])
}

// path writes a route's pattern with the world's ids for its parameters,
// and the body (when authzBodies has one) with the world's values: a route
// that acts on an order gets an order of its own in the state the action
// starts from, one that revokes a delegation a delegation of its own.
func (w *authzWorld) path(t testing.TB, method, pattern string) (path string, body []byte) {
	t.Helper()
	segs := strings.Split(pattern, "/")
	out := slices.Clone(segs)
	orderLine := ""
	// of are the ids of what a route's own order holds (authzOrderParams).
	of := map[string]string{}
	for i, s := range segs {
		if !strings.HasPrefix(s, ":") && !strings.HasPrefix(s, "*") {
			continue
		}
		key := segs[i-1] + "/" + s
		action := ""
		if i+1 < len(segs) {
			action = segs[i+1]
		} else if method == http.MethodPut {
			action = "update"
		}
		v, ok := w.params[key]
		switch {
		case key == "orders/:id" && authzOrderState[action] != "":
			v, orderLine = w.mustOrder(t, authzOrderState[action])
			ok = true
			if prepare := authzOrderParams[method+" "+pattern]; prepare != nil {
				of = prepare(t, w, v, orderLine)
			}
		case of[key] != "":
			v, ok = of[key], true
		case key == "delegations/:delegation_id" && action == "revoke":
			v = w.mustDelegation(t)
		}
		if !ok {
			t.Errorf("%s %s: no id for %s in authzWorld.params", method, pattern, key)
			v = "1"
		}
		out[i] = v
	}
	if b, ok := authzBodies[method+" "+pattern]; ok {
		body = []byte(strings.NewReplacer("{order_line}", orderLine).Replace(w.fill.Replace(b)))
	}
	return strings.Join(out, "/"), body
}

// do sends method path as c: an API route with a fresh personal token, a
// page with a fresh session (so that a route that signs out or revokes
// does not disarm the caller), from this site. A body-carrying method
// sends an empty body: {} to the API, an empty form to a page.
func (w *authzWorld) do(t testing.TB, c authzCaller, method, path string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	api := strings.HasPrefix(path, "/api/")
	req := httptest.NewRequest(method, path, nil)
	if method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch {
		if api {
			if body == nil {
				body = []byte("{}")
			}
			req = httptest.NewRequest(method, path, strings.NewReader(string(body)))
			req.Header.Set("Content-Type", "application/json")
		} else {
			req = httptest.NewRequest(method, path, strings.NewReader(string(body)))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	}
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if c.userID != 0 {
		ctx := context.Background()
		if api {
			tok, err := w.sess.NewToken(ctx, c.userID, "authz")
			if err != nil {
				t.Fatalf("token: %v", err)
			}
			req.Header.Set("Authorization", "Bearer "+tok.Token)
		} else {
			secret, _, err := w.sess.NewSession(ctx, c.userID)
			if err != nil {
				t.Fatalf("session: %v", err)
			}
			req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: secret})
		}
	}
	rec := httptest.NewRecorder()
	w.h.ServeHTTP(rec, req)
	return rec
}

// authzVerdict is what an answer means for the matrix.
type authzVerdict int

const (
	authzRefused authzVerdict = iota // 401, 403, 404, the login page, the enrolment page
	authzAllowed                     // done, or an answer about the request or the row's state
	authzBroken                      // a 5xx or a status the matrix cannot read
)

// authzVerdictOf reads an answer: success and redirects other than to the
// login page (which comes back with ?next=, or is where a page sends
// nobody) or to the second factor's enrolment are allowed; so are the answers about the request or the row's
// state (400, 409, 412, 413, 415, 422, 428), since only a caller who may
// act gets that far. 401, 403, 404 and the login page are refusals.
func authzVerdictOf(method string, rec *httptest.ResponseRecorder) authzVerdict {
	switch code := rec.Code; {
	case code >= 500:
		return authzBroken
	case code >= 300 && code < 400:
		loc := rec.Header().Get("Location")
		if strings.HasPrefix(loc, "/login?next=") || loc == auth.EnrolmentPath || method == http.MethodGet && loc == "/login" {
			return authzRefused
		}
		return authzAllowed
	case code >= 200 && code < 300:
		return authzAllowed
	case code == 401 || code == 403 || code == 404:
		return authzRefused
	case code == 400 || code == 409 || code == 412 || code == 413 || code == 415 || code == 422 || code == 428:
		return authzAllowed
	}
	return authzBroken
}

// TestAuthorizationMatrix calls every route of the engine (every method of
// every API and page route) as every caller: each role of the in-scope
// authority and supplier, the cluster's admin and lead, the roles of an
// out-of-scope authority and supplier, and nobody, with ids of the
// in-scope organisations. A route that takes a body is called with an
// empty one ({} or an empty form) and, where authzBodies has one, again
// with a valid one. Each answer must be what authzTable says: an allow for
// the callers it lists and a refusal for every other, and never a 5xx. A
// route without an entry fails the test, as does an entry without a route.
//
// A caller the table refuses is refused before the body is looked at: its
// empty body answers 401, 403 or 404 (or the login page) too, never 400 or
// 422, so that a caller who may not act learns nothing of the body's rules.
// A route of authzBodies is held to the table again with a valid body.
//
// The routes that only read are called first, those that change something
// after, each by the callers the table refuses before those it allows.
func TestAuthorizationMatrix(t *testing.T) {
	w := mustAuthzWorld(t)
	table, err := parseAuthzTable()
	if err != nil {
		t.Fatal(err)
	}
	routes := w.routes()
	// Every route's rows are made before any route is called.
	paths, bodies := make([]string, len(routes)), make([][]byte, len(routes))
	for i, r := range routes {
		paths[i], bodies[i] = w.path(t, r.Method, r.Path)
	}
	seen := map[string]bool{}
	calls := 0
	var problems, bodyFirst []string
	for i, r := range routes {
		key := r.Method + " " + r.Path
		seen[key] = true
		allowed, ok := table[key]
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: new route without an entry in authzTable", key))
			continue
		}
		path, body := w.spareRows(t, paths[i]), bodies[i]
		callers := slices.Clone(w.callers)
		sort.SliceStable(callers, func(i, j int) bool { return !allowed[callers[i].name] && allowed[callers[j].name] })
		for _, c := range callers {
			rec := w.do(t, c, r.Method, path, nil)
			calls++
			v := authzVerdictOf(r.Method, rec)
			if body != nil {
				switch {
				case v == authzBroken:
					problems = append(problems, fmt.Sprintf("%s %s (empty) as %s: %d %s", r.Method, path, c.name, rec.Code, authzSnippet(rec)))
				case v == authzAllowed && !allowed[c.name] && (rec.Code < 400 || rec.Code == http.StatusConflict):
					problems = append(problems, fmt.Sprintf("%s %s (empty) as %s: ALLOWED (%d %s), the table refuses", r.Method, path, c.name, rec.Code, authzSnippet(rec)))
				case v == authzAllowed && !allowed[c.name]:
					bodyFirst = append(bodyFirst, fmt.Sprintf("%s %s (empty) as %s: %d %s, the body was checked before the caller", r.Method, path, c.name, rec.Code, authzSnippet(rec)))
				}
				rec = w.do(t, c, r.Method, path, body)
				calls++
				v = authzVerdictOf(r.Method, rec)
			}
			switch {
			case v == authzBroken:
				problems = append(problems, fmt.Sprintf("%s %s as %s: %d %s", r.Method, path, c.name, rec.Code, authzSnippet(rec)))
			case v == authzAllowed && !allowed[c.name]:
				problems = append(problems, fmt.Sprintf("%s %s as %s: ALLOWED (%d %s), the table refuses", r.Method, path, c.name, rec.Code, authzSnippet(rec)))
			case v == authzRefused && allowed[c.name]:
				problems = append(problems, fmt.Sprintf("%s %s as %s: refused (%d %s), the table allows", r.Method, path, c.name, rec.Code, authzSnippet(rec)))
			}
		}
	}
	for key := range table {
		if !seen[key] {
			problems = append(problems, fmt.Sprintf("%s: an entry in authzTable without a route", key))
		}
	}
	for key := range authzBodies {
		if !seen[key] {
			problems = append(problems, fmt.Sprintf("%s: an entry in authzBodies without a route", key))
		}
	}
	t.Logf("%d routes × %d callers: %d calls", len(routes), len(w.callers), calls)
	problems = append(problems, bodyFirst...)
	if len(problems) > 0 {
		sort.Strings(problems)
		t.Errorf("%d answers differ from the table:\n%s", len(problems), strings.Join(problems, "\n"))
	}
}

// routes are the engine's routes, those that read (GET) first, each part
// in path order.
func (w *authzWorld) routes() []struct{ Method, Path string } {
	var out []struct{ Method, Path string }
	for _, r := range w.engine.Routes() {
		out = append(out, struct{ Method, Path string }{r.Method, r.Path})
	}
	sort.SliceStable(out, func(i, j int) bool {
		ri, rj := out[i].Method == http.MethodGet, out[j].Method == http.MethodGet
		if ri != rj {
			return ri
		}
		if out[i].Path != out[j].Path {
			return out[i].Path < out[j].Path
		}
		return out[i].Method < out[j].Method
	})
	return out
}

// authzSnippet is the start of an answer's problem code or location, for a
// report.
func authzSnippet(rec *httptest.ResponseRecorder) string {
	if loc := rec.Header().Get("Location"); loc != "" {
		return "→ " + loc
	}
	b := rec.Body.String()
	if i := strings.Index(b, `"code":`); i >= 0 {
		b = b[i:]
	} else if i := strings.Index(b, "<title>"); i >= 0 {
		b = b[i:]
	}
	if len(b) > 90 {
		b = b[:90]
	}
	return strings.ReplaceAll(b, "\n", " ")
}

// The change requests of an order and the documents of the service's
// objects.
//
// A change is proposed by the order's authority's officer on a sent,
// confirmed or partly delivered order; one that raises the total is signed
// again by the treasurer and the head (or their delegate) before it goes to
// the supplier, who accepts or declines it; the officer withdraws an open
// one. A change is seen by whoever sees its order, except that the
// supplier sees only the changes sent to it: each route on a change gets a
// sent order of its own with a change in the state it acts on
// (authzChangeState), and the one read by GET is still awaiting its
// signatures, so the supplier must not find it. The order page's forms
// post the same steps.
//
// A document is seen by whoever sees the object it belongs to (an officer
// of another authority, or another supplier, finds nothing), and added by
// those the owner's feature lets add (documents/owners): an order's by its
// authority's officers and its supplier, a tender's and a work-plan task's
// by the cluster's lead and admin, a supplier's by the cluster and the
// supplier itself, a competition's by its authority's officers. A
// supplier's documents (its certificates) are not the authorities' to see.
// The world's document (documents/:id) is attached to the world's
// confirmed order.
func init() {
	for route, who := range map[string]string{
		"GET /api/v1/orders/:id/changes":                      "cluster zichron supplier",
		"POST /api/v1/orders/:id/changes":                     "officer deputy",
		"GET /api/v1/orders/:id/changes/:change_id":           "cluster zichron", // not yet sent: not the supplier's
		"POST /api/v1/orders/:id/changes/:change_id/sign":     "treasurer head deputy",
		"POST /api/v1/orders/:id/changes/:change_id/accept":   "supplier",
		"POST /api/v1/orders/:id/changes/:change_id/decline":  "supplier",
		"POST /api/v1/orders/:id/changes/:change_id/withdraw": "officer deputy",
		"POST /orders/:id/changes":                            "officer deputy",
		"POST /orders/:id/changes/:change_id/sign":            "treasurer head deputy",
		"POST /orders/:id/changes/:change_id/accept":          "supplier",
		"POST /orders/:id/changes/:change_id/decline":         "supplier",
		"POST /orders/:id/changes/:change_id/withdraw":        "officer deputy",
		"GET /api/v1/orders/:id/documents":                    "cluster zichron supplier",
		"POST /api/v1/orders/:id/documents":                   "officer deputy supplier",
		"GET /api/v1/tenders/:id/documents":                   "cluster zichron kafrqara supplier",
		"POST /api/v1/tenders/:id/documents":                  "cluster",
		"GET /api/v1/suppliers/:id/documents":                 "cluster supplier",
		"POST /api/v1/suppliers/:id/documents":                "cluster supplier",
		"GET /api/v1/competitions/:id/documents":              "cluster zichron supplier",
		"POST /api/v1/competitions/:id/documents":             "officer deputy",
		"GET /api/v1/workplan/tasks/:id/documents":            "cluster",
		"POST /api/v1/workplan/tasks/:id/documents":           "cluster",
		"GET /api/v1/documents/:id":                           "cluster zichron supplier", // the order's document
		"POST /orders/:id/documents":                          "officer deputy supplier",
		"POST /tenders/:id/documents":                         "cluster",
		"POST /admin/suppliers/:id/documents":                 "cluster supplier", // the supplier adds its own, as on the API
		"POST /competitions/:id/documents":                    "officer deputy",
		"GET /competitions/:id/edit":                          "officer deputy", // the page of PUT /api/v1/competitions/:id
		"POST /competitions/:id/edit":                         "officer deputy",
		"POST /competitions/:id/pass":                         "officer deputy",
	} {
		authzTable[route] = who
	}
	for route, body := range map[string]string{
		"POST /api/v1/orders/:id/changes":                    `{"reason": "שינוי כתובת המסירה", "delivery_address": "מרכז הספורט, רחוב הנדיב 5"}`,
		"POST /api/v1/orders/:id/changes/:change_id/decline": `{"reason": "אין מלאי"}`,
		"POST /orders/:id/changes":                           "chg_reason=%D7%A9%D7%99%D7%A0%D7%95%D7%99&chg_address=%D7%9E%D7%A8%D7%9B%D7%96+%D7%94%D7%A1%D7%A4%D7%95%D7%A8%D7%98",
		"POST /orders/:id/changes/:change_id/decline":        "decline_reason=%D7%90%D7%99%D7%9F+%D7%9E%D7%9C%D7%90%D7%99",
	} {
		authzBodies[route] = body
	}
	authzOrderState["changes"] = "sent"
	for route, status := range authzChangeState {
		authzOrderParams[route] = func(t testing.TB, w *authzWorld, order, line string) map[string]string {
			t.Helper()
			return map[string]string{"changes/:change_id": w.mustChange(t, order, line, status)}
		}
	}
}

// authzChangeState is the state of the change each route on a change acts
// on; the list gets one too.
var authzChangeState = map[string]string{
	"GET /api/v1/orders/:id/changes":                      "pending_signature",
	"GET /api/v1/orders/:id/changes/:change_id":           "pending_signature",
	"POST /api/v1/orders/:id/changes/:change_id/sign":     "pending_signature",
	"POST /api/v1/orders/:id/changes/:change_id/accept":   "pending_supplier",
	"POST /api/v1/orders/:id/changes/:change_id/decline":  "pending_supplier",
	"POST /api/v1/orders/:id/changes/:change_id/withdraw": "pending_supplier",
	"POST /orders/:id/changes/:change_id/sign":            "pending_signature",
	"POST /orders/:id/changes/:change_id/accept":          "pending_supplier",
	"POST /orders/:id/changes/:change_id/decline":         "pending_supplier",
	"POST /orders/:id/changes/:change_id/withdraw":        "pending_supplier",
}

// mustChange proposes, as the officer through the API, a change of sent
// order order (whose one line is line) in status: one that raises the
// line's quantity awaits the signatures, one that only moves the delivery
// goes to the supplier at once. It returns the change's id.
func (w *authzWorld) mustChange(t testing.TB, order, line, status string) string {
	t.Helper()
	body := map[string]any{"reason": "תוספת לבקשת בית הספר", "lines": []any{map[string]any{"line_id": json.Number(line), "quantity": "2"}}}
	if status == "pending_supplier" {
		body = map[string]any{"reason": "שינוי כתובת המסירה", "delivery_address": "מרכז הספורט, רחוב הנדיב 5"}
	}
	ch := authzCall(t, w, "officer", "/api/v1/orders/"+order+"/changes", body)
	if ch["status"] != status {
		t.Fatalf("change of order %s is %v, want %s", order, ch["status"], status)
	}
	return fmt.Sprint(ch["id"])
}

// authzPDF is the smallest PDF the documents accept.
const authzPDF = "%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

// mustAuthzDocument attaches, through the API with token (the officer's),
// a PDF to order order and returns the document's id.
func mustAuthzDocument(t testing.TB, h http.Handler, token, order string) string {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("file", "אישור תקציבי.pdf")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(fw, authzPDF); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	r := webtest.Do(h, http.MethodPost, "/api/v1/orders/"+order+"/documents", token, buf.Bytes(), "Content-Type", mw.FormDataContentType())
	if r.Code != http.StatusCreated {
		t.Fatalf("attach a document to order %s: %d %s", order, r.Code, r.Body)
	}
	return fmt.Sprint(r.Map(t)["id"])
}
