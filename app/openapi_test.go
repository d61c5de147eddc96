package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/dbtest"
	"madaf/internal/webtest"
	"madaf/workplan"
)

// docURL is where the compiler finds openapi.json; schemas are compiled
// as fragments of it.
const docURL = "https://madaf.example/api/openapi.json"

// apiDoc is openapi.json, parsed, with a compiler over it.
type apiDoc struct {
	raw      map[string]any
	compiler *jsonschema.Compiler
	schemas  map[string]*jsonschema.Schema
	// validated counts the responses checked; covered the operations they
	// belong to.
	validated int
	covered   map[string]bool
	// disagreed records the known disagreements seen.
	disagreed map[string]bool
}

// knownDisagreements are answers that break a promise of DESIGN.md (or the
// shape the document gives) and are to be fixed in the handler, not in the
// document: "METHOD /path/{param} status" → what is wrong, and the pieces
// of text that every failing part of the answer's validation shows. Such
// an answer is logged instead of failing the test; the test fails once it
// matches the document, so that the entry is removed.
var knownDisagreements = map[string]struct {
	why  string
	only []string
}{}

// tolerated reports whether every leaf of err is one of the known
// disagreement's.
func tolerated(err error, only []string) bool {
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return false
	}
	var leaves func(e *jsonschema.ValidationError) bool
	leaves = func(e *jsonschema.ValidationError) bool {
		if len(e.Causes) == 0 {
			msg := e.Error()
			return slices.ContainsFunc(only, func(s string) bool { return strings.Contains(msg, s) })
		}
		for _, c := range e.Causes {
			if !leaves(c) {
				return false
			}
		}
		return true
	}
	return leaves(ve)
}

func loadAPIDoc(t *testing.T) *apiDoc {
	t.Helper()
	data, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, OpenAPI) {
		t.Fatal("the embedded document differs from openapi.json")
	}
	d := &apiDoc{schemas: map[string]*jsonschema.Schema{}, covered: map[string]bool{}, disagreed: map[string]bool{}}
	if err := json.Unmarshal(data, &d.raw); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	res, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	d.compiler = jsonschema.NewCompiler()
	d.compiler.DefaultDraft(jsonschema.Draft2020)
	d.compiler.AssertFormat()
	if err := d.compiler.AddResource(docURL, res); err != nil {
		t.Fatal(err)
	}
	return d
}

// schema compiles the schema at the JSON pointer ptr of the document.
func (d *apiDoc) schema(ptr string) (*jsonschema.Schema, error) {
	if s, ok := d.schemas[ptr]; ok {
		return s, nil
	}
	loc := docURL + "#" + (&url.URL{Fragment: ptr}).EscapedFragment()
	s, err := d.compiler.Compile(loc)
	if err != nil {
		return nil, err
	}
	d.schemas[ptr] = s
	return s, nil
}

// pointerToken escapes one JSON pointer token.
func pointerToken(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// operations lists the documented operations as "METHOD /path/{param}".
func (d *apiDoc) operations() map[string]map[string]any {
	ops := map[string]map[string]any{}
	for path, item := range d.raw["paths"].(map[string]any) {
		for method, op := range item.(map[string]any) {
			switch method {
			case "get", "put", "post", "delete", "patch", "head", "options":
				ops[strings.ToUpper(method)+" "+path] = op.(map[string]any)
			}
		}
	}
	return ops
}

// template finds the documented path that target matches, preferring
// literal segments over parameters (as the router does).
func (d *apiDoc) template(target string) (string, bool) {
	segs := strings.Split(target, "/")
	best, bestLiterals := "", -1
	for path := range d.raw["paths"].(map[string]any) {
		ts := strings.Split(path, "/")
		if len(ts) != len(segs) {
			continue
		}
		literals, ok := 0, true
		for i, s := range ts {
			switch {
			case strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}"):
			case s == segs[i]:
				literals++
			default:
				ok = false
			}
		}
		if ok && literals > bestLiterals {
			best, bestLiterals = path, literals
		}
	}
	return best, bestLiterals >= 0
}

// deref follows a local $ref of a response object, returning the object
// and its JSON pointer.
func (d *apiDoc) deref(v map[string]any, ptr string) (map[string]any, string) {
	ref, ok := v["$ref"].(string)
	if !ok {
		return v, ptr
	}
	ptr = strings.TrimPrefix(ref, "#")
	var cur any = d.raw
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		cur = cur.(map[string]any)[tok]
	}
	return cur.(map[string]any), ptr
}

// check validates a recorded answer to method target against the
// document: the operation, the status, the media type and, for JSON, the
// body against the schema given for them.
func (d *apiDoc) check(t *testing.T, method, target string, r webtest.Response) {
	t.Helper()
	path, _, _ := strings.Cut(target, "?")
	tpl, ok := d.template(path)
	if !ok {
		t.Errorf("%s %s: no documented path matches", method, target)
		return
	}
	op, ok := d.raw["paths"].(map[string]any)[tpl].(map[string]any)[strings.ToLower(method)].(map[string]any)
	if !ok {
		t.Errorf("%s %s: %s %s is not documented", method, target, method, tpl)
		return
	}
	d.covered[method+" "+tpl] = true
	status := strconv.Itoa(r.Code)
	resp, ok := op["responses"].(map[string]any)[status].(map[string]any)
	if !ok {
		t.Errorf("%s %s answered %d, a status the document does not list for %s %s: %s", method, target, r.Code, method, tpl, r.Body)
		return
	}
	resp, ptr := d.deref(resp, "/paths/"+pointerToken(tpl)+"/"+strings.ToLower(method)+"/responses/"+status)
	d.validated++
	content, _ := resp["content"].(map[string]any)
	if len(content) == 0 {
		if r.Body.Len() > 0 {
			t.Errorf("%s %s → %d: the document says no body, got %s", method, target, r.Code, r.Body)
		}
		return
	}
	got, _, err := mime.ParseMediaType(r.Header().Get("Content-Type"))
	if err != nil {
		t.Errorf("%s %s → %d: Content-Type %q: %v", method, target, r.Code, r.Header().Get("Content-Type"), err)
		return
	}
	var mediaKey string
	for key := range content {
		if mt, _, err := mime.ParseMediaType(key); err == nil && mt == got {
			mediaKey = key
		}
	}
	if mediaKey == "" {
		t.Errorf("%s %s → %d: Content-Type %s is not one the document gives (%v)", method, target, r.Code, got, keys(content))
		return
	}
	if got != "application/json" && got != "application/problem+json" {
		if r.Body.Len() == 0 {
			t.Errorf("%s %s → %d: empty %s file", method, target, r.Code, got)
		}
		return
	}
	sch, err := d.schema(ptr + "/content/" + pointerToken(mediaKey) + "/schema")
	if err != nil {
		t.Errorf("%s %s → %d: compile the documented schema: %v", method, target, r.Code, err)
		return
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(r.Body.Bytes()))
	if err != nil {
		t.Errorf("%s %s → %d: body is not JSON: %v", method, target, r.Code, err)
		return
	}
	if r.Code >= 400 {
		// DESIGN.md: validation failures name their fields; every
		// problem carries the request id the log has.
		var p struct {
			RequestID string            `json:"request_id"`
			Errors    []json.RawMessage `json:"errors"`
		}
		json.Unmarshal(r.Body.Bytes(), &p)
		if p.RequestID == "" || p.RequestID != r.Header().Get("X-Request-ID") {
			t.Errorf("%s %s → %d: request_id %q, X-Request-ID %q", method, target, r.Code, p.RequestID, r.Header().Get("X-Request-ID"))
		}
		if r.Code == http.StatusUnprocessableEntity && len(p.Errors) == 0 {
			t.Errorf("%s %s → 422 names no field: %s", method, target, r.Body)
		}
	}
	if err := sch.Validate(inst); err != nil {
		key := method + " " + tpl + " " + status
		if k, known := knownDisagreements[key]; known && tolerated(err, k.only) {
			d.disagreed[key] = true
			t.Logf("known disagreement, %s: %s %s → %d:\n%v", k.why, method, target, r.Code, err)
			return
		}
		t.Errorf("%s %s → %d does not match the document (%s %s):\n%v", method, target, r.Code, method, tpl, err)
	}
}

func keys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// ginPath writes an OpenAPI path the way gin spells it: {id} → :id.
func ginPath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
			segs[i] = ":" + s[1:len(s)-1]
		}
	}
	return strings.Join(segs, "/")
}

func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	doc := loadAPIDoc(t)
	base := New(dbtest.New(t), quiet)

	engine := map[string]bool{}
	for _, r := range base.Engine.Routes() {
		if strings.HasPrefix(r.Path, "/api/") {
			engine[r.Method+" "+r.Path] = true
		}
	}
	documented := map[string]bool{}
	ops := doc.operations()
	for key := range ops {
		method, path, _ := strings.Cut(key, " ")
		documented[method+" "+ginPath(path)] = true
	}
	for route := range engine {
		if !documented[route] {
			t.Errorf("route %s is not documented", route)
		}
	}
	for route := range documented {
		if !engine[route] {
			t.Errorf("documented operation %s is not a route", route)
		}
	}
	t.Logf("%d routes under /api, %d documented operations", len(engine), len(ops))

	// Every operation says what it is, declares its path parameters, and
	// every schema it names compiles.
	ids := map[string]string{}
	for key, op := range ops {
		method, path, _ := strings.Cut(key, " ")
		if s, _ := op["summary"].(string); s == "" {
			t.Errorf("%s has no summary", key)
		}
		if tags, _ := op["tags"].([]any); len(tags) != 1 {
			t.Errorf("%s has tags %v, want one", key, op["tags"])
		}
		id, _ := op["operationId"].(string)
		if other, dup := ids[id]; id == "" || dup {
			t.Errorf("%s: operationId %q (also %s)", key, id, other)
		}
		ids[id] = key
		var declared []string
		params, _ := op["parameters"].([]any)
		for _, p := range params {
			pm, _ := doc.deref(p.(map[string]any), "")
			if pm["in"] == "path" {
				declared = append(declared, pm["name"].(string))
			}
		}
		var want []string
		for _, s := range strings.Split(path, "/") {
			if strings.HasPrefix(s, "{") {
				want = append(want, strings.Trim(s, "{}"))
			}
		}
		if !slices.Equal(declared, want) {
			t.Errorf("%s declares path parameters %v, want %v", key, declared, want)
		}
		opPtr := "/paths/" + pointerToken(path) + "/" + strings.ToLower(method)
		for status, r := range op["responses"].(map[string]any) {
			resp, ptr := doc.deref(r.(map[string]any), opPtr+"/responses/"+status)
			content, _ := resp["content"].(map[string]any)
			for mt := range content {
				if _, err := doc.schema(ptr + "/content/" + pointerToken(mt) + "/schema"); err != nil {
					t.Errorf("%s %s %s: %v", key, status, mt, err)
				}
			}
			if code, _ := strconv.Atoi(status); code >= 400 {
				if _, ok := content["application/problem+json"]; !ok {
					t.Errorf("%s %s is not a problem document", key, status)
				}
			}
		}
		if body, ok := op["requestBody"].(map[string]any); ok {
			for mt := range body["content"].(map[string]any) {
				if _, err := doc.schema(opPtr + "/requestBody/content/" + pointerToken(mt) + "/schema"); err != nil {
					t.Errorf("%s request %s: %v", key, mt, err)
				}
			}
		}
	}
}

func TestOpenAPIServed(t *testing.T) {
	base := New(dbtest.New(t), quiet)
	r := webtest.Do(base.Engine, "GET", "/api/openapi.json", "", nil)
	if r.Code != http.StatusOK || !strings.HasPrefix(r.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("GET /api/openapi.json: %d %s", r.Code, r.Header().Get("Content-Type"))
	}
	if !bytes.Equal(r.Body.Bytes(), OpenAPI) {
		t.Fatal("the served document is not openapi.json")
	}
	var doc struct {
		OpenAPI           string `json:"openapi"`
		JSONSchemaDialect string `json:"jsonSchemaDialect"`
		Components        struct {
			SecuritySchemes map[string]struct {
				Type, Scheme, In, Name string
			} `json:"securitySchemes"`
		} `json:"components"`
	}
	r.JSON(t, &doc)
	if doc.OpenAPI != "3.1.0" || doc.JSONSchemaDialect != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("openapi %q, dialect %q", doc.OpenAPI, doc.JSONSchemaDialect)
	}
	var bearer, cookie bool
	for _, s := range doc.Components.SecuritySchemes {
		bearer = bearer || s.Type == "http" && s.Scheme == "bearer"
		cookie = cookie || s.Type == "apiKey" && s.In == "cookie" && s.Name == auth.CookieName
	}
	if !bearer || !cookie {
		t.Errorf("security schemes %+v: want bearer and the %s cookie", doc.Components.SecuritySchemes, auth.CookieName)
	}
}

// quiet configures the app without an access log.
var quiet = Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}

// mustGet reads one row of q into dst, failing t on any error.
func mustGet(t testing.TB, db *sqlx.DB, dst any, q string, args ...any) {
	t.Helper()
	if err := db.GetContext(context.Background(), dst, q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

// callerAs is an apiCaller over h with a new token of the user whose
// e-mail is email.
func callerAs(t testing.TB, db *sqlx.DB, h http.Handler, doc *apiDoc, email string) *apiCaller {
	t.Helper()
	var id int64
	mustGet(t, db, &id, `SELECT id FROM users WHERE email = $1`, email)
	return &apiCaller{h: h, doc: doc, token: webtest.MustToken(t, db, id)}
}

// apiCaller sends requests as one user (session cookie or bearer token)
// and checks every answer against the document.
type apiCaller struct {
	h      http.Handler
	doc    *apiDoc
	cookie string
	token  string
}

// do sends the request, checks the answer against the document and
// fails unless its status is want.
func (c *apiCaller) do(t *testing.T, want int, method, target string, body any, headers ...string) webtest.Response {
	t.Helper()
	if c.cookie != "" {
		headers = append(headers, "Cookie", auth.CookieName+"="+c.cookie)
	}
	r := webtest.Do(c.h, method, target, c.token, body, headers...)
	c.doc.check(t, method, target, r)
	if r.Code != want {
		t.Fatalf("%s %s: %d, want %d: %s", method, target, r.Code, want, r.Body)
	}
	return r
}

// get is do for a GET answering 200, decoded into v (when not nil).
func (c *apiCaller) get(t *testing.T, target string, v any) {
	t.Helper()
	r := c.do(t, http.StatusOK, "GET", target, nil)
	if v != nil {
		r.JSON(t, v)
	}
}

// item is what the test reads of any resource.
type item struct {
	ID         int64  `json:"id"`
	Number     string `json:"number"`
	Code       string `json:"code"`
	SupplierID int64  `json:"supplier_id"`
	Lines      []struct {
		ID       int64  `json:"id"`
		Quantity string `json:"quantity"`
	} `json:"lines"`
}

type list struct {
	Items      []item `json:"items"`
	NextCursor string `json:"next_cursor"`
}

func TestOpenAPIMatchesResponses(t *testing.T) {
	doc := loadAPIDoc(t)
	db := dbtest.New(t)
	if _, err := SeedDemo(context.Background(), db, io.Discard); err != nil {
		t.Fatalf("seed demo: %v", err)
	}
	h := New(db, quiet).Engine
	anonymous := &apiCaller{h: h, doc: doc}
	login := func(email string) *apiCaller {
		t.Helper()
		body := map[string]string{"email": email, "password": DemoPassword}
		if demoEnrolled(t, db, email) {
			body["code"] = demoCode(t, db, email)
		}
		r := anonymous.do(t, http.StatusOK, "POST", "/api/v1/auth/login", body)
		for _, ck := range r.Result().Cookies() {
			if ck.Name == auth.CookieName {
				return &apiCaller{h: h, doc: doc, cookie: ck.Value}
			}
		}
		t.Fatalf("login %s set no session cookie", email)
		return nil
	}
	admin := login("admin@madaf.example")
	lead := login("lead@madaf.example")
	officer := login("officer@zichron.example")
	treasurer := login("treasurer@zichron.example")
	head := login("head@zichron.example")
	otherOfficer := login("officer@kafrqara.example")
	supplier := login("supplier@medical.example")
	today := calendar.Today()

	t.Run("Auth", func(t *testing.T) {
		lead.get(t, "/api/v1/me", nil)
		var tok struct{ Token string }
		lead.do(t, http.StatusCreated, "POST", "/api/v1/auth/tokens", map[string]string{"name": "ERP"}).JSON(t, &tok)
		bearer := &apiCaller{h: h, doc: doc, token: tok.Token}
		bearer.get(t, "/api/v1/me", nil)
		bearer.get(t, "/api/v1/auth/tokens", nil)
		admin.do(t, http.StatusOK, "PATCH", "/api/v1/me", map[string]string{"lang": "en"})
		admin.get(t, "/api/v1/users", nil)
		anonymous.do(t, http.StatusUnauthorized, "POST", "/api/v1/auth/login", map[string]string{"email": "lead@madaf.example", "password": "not the password"})
		anonymous.do(t, http.StatusUnauthorized, "GET", "/api/v1/orders", nil)
		anonymous.do(t, http.StatusUnauthorized, "GET", "/api/v1/me", nil, "Authorization", "Bearer mdf_not-a-token")
		anonymous.get(t, "/api/openapi.json", nil)
	})

	var zichron int64
	t.Run("AuthoritiesAndSuppliers", func(t *testing.T) {
		var me struct {
			AuthorityID int64 `json:"authority_id"`
		}
		officer.get(t, "/api/v1/me", &me)
		zichron = me.AuthorityID
		var as list
		admin.get(t, "/api/v1/authorities", &as)
		if len(as.Items) != 8 {
			t.Fatalf("%d authorities, want the demo's 8", len(as.Items))
		}
		admin.get(t, fmt.Sprintf("/api/v1/authorities/%d", zichron), nil)
		officer.get(t, fmt.Sprintf("/api/v1/authorities/%d/budget-lines?year=%d", zichron, today.Year()), nil)
		var ss list
		admin.get(t, "/api/v1/suppliers", &ss)
		for _, sp := range ss.Items[:2] {
			admin.get(t, fmt.Sprintf("/api/v1/suppliers/%d", sp.ID), nil)
			admin.get(t, fmt.Sprintf("/api/v1/suppliers/%d/certificates", sp.ID), nil)
			admin.get(t, fmt.Sprintf("/api/v1/suppliers/%d/eligibility?date=%s", sp.ID, today), nil)
		}
		supplier.get(t, "/api/v1/suppliers", nil)
	})

	// The demo's medical equipment tender, a choice tender the demo
	// supplier won.
	var tenderID, awardID, medicalID int64
	var itemIDs []int64
	t.Run("Tenders", func(t *testing.T) {
		var page list
		lead.get(t, "/api/v1/tenders?limit=5", &page)
		if page.NextCursor == "" {
			t.Fatal("no next_cursor after a full page of the demo's tenders")
		}
		var next list
		lead.get(t, "/api/v1/tenders?limit=5&cursor="+url.QueryEscape(page.NextCursor), &next)
		for _, tn := range append(page.Items, next.Items...) {
			if tn.Number == "01/2024" {
				tenderID = tn.ID
			}
		}
		if tenderID == 0 {
			t.Fatal("no demo tender 01/2024")
		}
		lead.get(t, "/api/v1/tenders?status=active&category="+url.QueryEscape("ציוד רפואי"), nil)
		lead.get(t, fmt.Sprintf("/api/v1/tenders/%d", tenderID), nil)
		var items list
		lead.get(t, fmt.Sprintf("/api/v1/tenders/%d/items?limit=3", tenderID), &items)
		for _, it := range items.Items {
			itemIDs = append(itemIDs, it.ID)
		}
		var awards list
		lead.get(t, fmt.Sprintf("/api/v1/tenders/%d/awards", tenderID), &awards)
		var me struct {
			SupplierID int64 `json:"supplier_id"`
		}
		supplier.get(t, "/api/v1/me", &me)
		medicalID = me.SupplierID
		for _, a := range awards.Items {
			if a.SupplierID == medicalID {
				awardID = a.ID
			}
		}
		supplier.get(t, fmt.Sprintf("/api/v1/tenders/%d/awards/%d", tenderID, awardID), nil)
		lead.get(t, fmt.Sprintf("/api/v1/tenders/%d/awards/%d/prices", tenderID, awardID), nil)
		lead.get(t, fmt.Sprintf("/api/v1/tenders/%d/awards/%d/prices?item_id=%d", tenderID, awardID, itemIDs[0]), nil)
		officer.get(t, fmt.Sprintf("/api/v1/tenders/%d", tenderID), nil)

		var hits list
		officer.get(t, "/api/v1/catalog/items?q="+url.QueryEscape("דפיברילטור"), &hits)
		if len(hits.Items) == 0 {
			t.Error("the Hebrew catalog search found nothing")
		}
		supplier.get(t, "/api/v1/catalog/items?q="+url.QueryEscape("ערכת עזרה")+"&limit=2", nil)
		lead.get(t, fmt.Sprintf("/api/v1/catalog/items?tender=%d&category=%s", tenderID, url.QueryEscape("ציוד רפואי")), nil)

		officer.do(t, http.StatusForbidden, "POST", "/api/v1/tenders", map[string]any{"number": "99/2026"})
		lead.do(t, http.StatusNotFound, "GET", "/api/v1/tenders/999999999", nil)
		lead.do(t, http.StatusConflict, "POST", fmt.Sprintf("/api/v1/tenders/%d/publish", tenderID), nil)
		lead.do(t, http.StatusUnprocessableEntity, "GET", "/api/v1/tenders?limit=0", nil)
		lead.do(t, http.StatusUnprocessableEntity, "POST", "/api/v1/tenders", map[string]any{"number": "", "award_rule": "lottery"})
	})

	t.Run("Orders", func(t *testing.T) {
		if tenderID == 0 || awardID == 0 || len(itemIDs) < 3 {
			t.Skip("needs the demo tender the Tenders step reads")
		}
		var all list
		lead.get(t, "/api/v1/orders", &all)
		if len(all.Items) < 8 {
			t.Fatalf("%d orders, want the demo's", len(all.Items))
		}
		for _, o := range all.Items[:4] {
			lead.get(t, fmt.Sprintf("/api/v1/orders/%d", o.ID), nil)
			lead.get(t, fmt.Sprintf("/api/v1/orders/%d/events", o.ID), nil)
		}
		officer.get(t, "/api/v1/orders?status=sent,confirmed&limit=2", nil)
		supplier.get(t, "/api/v1/orders", nil)
		lead.get(t, fmt.Sprintf("/api/v1/orders?tender_id=%d&overdue=false", tenderID), nil)
		var mine list
		officer.get(t, "/api/v1/orders", &mine)
		otherOfficer.do(t, http.StatusNotFound, "GET", fmt.Sprintf("/api/v1/orders/%d", mine.Items[0].ID), nil)

		officer.get(t, fmt.Sprintf("/api/v1/orders/quote?tender_id=%d&lines=%d:2,%d:1.5", tenderID, itemIDs[0], itemIDs[1]), nil)
		lead.get(t, fmt.Sprintf("/api/v1/orders/quote?tender_id=%d&lines=%d:1", tenderID, itemIDs[2]), nil)

		var lines list
		officer.get(t, fmt.Sprintf("/api/v1/authorities/%d/budget-lines?year=%d", zichron, today.Year()), &lines)
		officer.get(t, fmt.Sprintf("/api/v1/budget-lines?year=%d", today.Year()), nil)
		lead.get(t, fmt.Sprintf("/api/v1/budget-lines?authority_id=%d", zichron), nil)
		var budgetLine int64
		for _, l := range lines.Items {
			if l.Code == "1-613-740" {
				budgetLine = l.ID
			}
		}
		officer.get(t, fmt.Sprintf("/api/v1/budget-lines/%d", budgetLine), nil)
		newOrder := map[string]any{"tender_id": tenderID, "supplier_id": medicalID, "budget_line_id": budgetLine,
			"delivery_address": "רחוב הנדיב 1, זכרון יעקב", "requested_date": today.AddDays(14).String(), "notes": "בדיקת המסמך",
			"lines": []map[string]any{{"item_id": itemIDs[0], "quantity": "2"}, {"item_id": itemIDs[1], "quantity": 1}}}

		// The whole lifecycle: draft → … → closed.
		var o item
		officer.do(t, http.StatusCreated, "POST", "/api/v1/orders", newOrder, "Idempotency-Key", "openapi-1").JSON(t, &o)
		officer.do(t, http.StatusCreated, "POST", "/api/v1/orders", newOrder, "Idempotency-Key", "openapi-1")
		path := fmt.Sprintf("/api/v1/orders/%d", o.ID)
		newOrder["notes"] = "בדיקת המסמך, עודכן"
		officer.do(t, http.StatusOK, "PUT", path, newOrder, "If-Match", `"v1"`)
		// Another change on the stale version (the same one again would be
		// its repeat, answered with the order).
		stale := maps.Clone(newOrder)
		stale["notes"] = "בדיקת המסמך, שוב"
		officer.do(t, http.StatusPreconditionFailed, "PUT", path, stale, "If-Match", `"v1"`)
		officer.do(t, http.StatusOK, "POST", path+"/submit", nil)
		treasurer.do(t, http.StatusOK, "POST", path+"/sign", map[string]any{"legal": true, "budget_line": true, "no_deficit": true, "note": "תקין"})
		head.do(t, http.StatusOK, "POST", path+"/sign", map[string]any{"slot": "head"})
		supplier.do(t, http.StatusOK, "POST", path+"/confirm", map[string]any{"promised_date": today.AddDays(7).String()})
		supplier.do(t, http.StatusOK, "GET", path, nil).JSON(t, &o)
		var deliver []map[string]any
		for _, l := range o.Lines {
			deliver = append(deliver, map[string]any{"line_id": l.ID, "quantity": l.Quantity})
		}
		supplier.do(t, http.StatusOK, "POST", path+"/deliver", map[string]any{"lines": deliver, "note": "סופק"})
		officer.do(t, http.StatusOK, "POST", path+"/close", map[string]any{"invoice_ref": "INV-2026-0042"})
		officer.get(t, path, nil)
		officer.get(t, path+"/events", nil)

		// Returned, then rejected.
		var o2 item
		officer.do(t, http.StatusCreated, "POST", "/api/v1/orders", newOrder).JSON(t, &o2)
		path2 := fmt.Sprintf("/api/v1/orders/%d", o2.ID)
		officer.do(t, http.StatusOK, "POST", path2+"/submit", nil)
		treasurer.do(t, http.StatusOK, "POST", path2+"/return", map[string]any{"note": "חסרה הצעת מחיר"})
		officer.do(t, http.StatusOK, "POST", path2+"/submit", nil)
		treasurer.do(t, http.StatusOK, "POST", path2+"/sign", map[string]any{"role": "treasurer", "legal": true, "budget_line": true, "no_deficit": true})
		head.do(t, http.StatusOK, "POST", path2+"/sign", nil)
		supplier.do(t, http.StatusOK, "POST", path2+"/reject", map[string]any{"reason": "אין מלאי"})
		supplier.get(t, path2+"/events", nil)

		// Cancelled, and a conflict when cancelled again for another reason
		// (for the same one, it is the repeat of the first, answered with
		// the order).
		var o3 item
		officer.do(t, http.StatusCreated, "POST", "/api/v1/orders", newOrder).JSON(t, &o3)
		path3 := fmt.Sprintf("/api/v1/orders/%d", o3.ID)
		officer.do(t, http.StatusOK, "POST", path3+"/cancel", map[string]any{"reason": "duplicate"})
		officer.do(t, http.StatusOK, "POST", path3+"/cancel", map[string]any{"reason": "duplicate"})
		officer.do(t, http.StatusConflict, "POST", path3+"/cancel", map[string]any{"reason": "wrong_details"})

		// Errors.
		officer.do(t, http.StatusUnprocessableEntity, "POST", "/api/v1/orders", map[string]any{"tender_id": tenderID, "lines": []any{}})
		officer.do(t, http.StatusUnprocessableEntity, "POST", "/api/v1/orders", map[string]any{"tender_id": tenderID, "supplier_id": medicalID,
			"budget_line_id": budgetLine, "lines": []map[string]any{{"item_id": itemIDs[0], "quantity": "-1"}}})
		officer.do(t, http.StatusBadRequest, "POST", "/api/v1/orders", `{"tender_id":`)
		officer.do(t, http.StatusBadRequest, "POST", "/api/v1/orders", map[string]any{"tender_id": tenderID, "price": "1.00"})
		officer.do(t, http.StatusRequestEntityTooLarge, "POST", "/api/v1/orders", `{"notes":"`+strings.Repeat("x", 1<<20)+`"}`)
		officer.do(t, http.StatusNotFound, "GET", "/api/v1/orders/999999999/events", nil)
		supplier.do(t, http.StatusForbidden, "POST", "/api/v1/orders", newOrder)
		lead.do(t, http.StatusUnprocessableEntity, "GET", "/api/v1/orders?overdue=maybe", nil)
	})

	t.Run("Volumes", func(t *testing.T) {
		if tenderID == 0 || awardID == 0 || len(itemIDs) < 3 {
			t.Skip("needs the demo tender the Tenders step reads")
		}
		for _, g := range []string{"tender", "authority", "supplier", "category", "month"} {
			lead.get(t, "/api/v1/volumes?group="+g, nil)
		}
		lead.get(t, fmt.Sprintf("/api/v1/volumes?tender=%d&authority=%d", tenderID, zichron), nil)
		officer.get(t, "/api/v1/volumes", nil)
		lead.get(t, "/api/v1/volumes/headline", nil)
		officer.get(t, fmt.Sprintf("/api/v1/volumes/headline?year=%d", today.Year()), nil)
		supplier.get(t, "/api/v1/volumes/headline", nil)
		lead.get(t, "/api/v1/volumes/fees", nil)
		month := today.Time().Format("2006-01")
		lead.get(t, fmt.Sprintf("/api/v1/volumes/fees/statement?supplier=%d&month=%s", medicalID, month), nil)
		supplier.get(t, "/api/v1/volumes/fees/statement?month="+month, nil)
		lead.get(t, "/api/v1/volumes/performance", nil)
		supplier.get(t, "/api/v1/volumes/performance", nil)
		lead.get(t, "/api/v1/volumes/alerts", nil)
		officer.do(t, http.StatusForbidden, "GET", "/api/v1/volumes/alerts", nil)
		lead.do(t, http.StatusUnprocessableEntity, "GET", "/api/v1/volumes?from=2026-13", nil)
		officer.do(t, http.StatusNotFound, "GET", fmt.Sprintf("/api/v1/volumes?authority=%d", zichron+1), nil)

		lead.get(t, "/api/v1/exports/orders.csv?status=committed", nil)
		lead.get(t, "/api/v1/exports/volumes.xlsx", nil)
		supplier.get(t, "/api/v1/exports/fees.csv?month="+month, nil)
		lead.get(t, "/api/v1/exports/ocds", nil)
	})

	t.Run("WorkPlan", func(t *testing.T) {
		lead.get(t, "/api/v1/workplan", nil)
		var plan struct {
			Domains []struct {
				Goals []struct {
					ID     int64  `json:"id"`
					Number string `json:"number"`
					Tasks  []struct {
						ID     int64           `json:"id"`
						Figure json.RawMessage `json:"figure"`
					} `json:"tasks"`
				} `json:"goals"`
			} `json:"domains"`
		}
		lead.get(t, "/api/v1/workplan/2024", &plan)
		lead.get(t, "/api/v1/workplan/2024?status=done,partial", nil)
		lead.get(t, "/api/v1/workplan/2024/summary", nil)
		lead.get(t, "/api/v1/workplan/2024/summary.xlsx", nil)
		var task, figureTask, goal int64
		for _, d := range plan.Domains {
			for _, g := range d.Goals {
				if g.Number == "3.4" {
					goal = g.ID
				}
				for _, tk := range g.Tasks {
					if task == 0 {
						task = tk.ID
					}
					if string(tk.Figure) != "null" {
						figureTask = tk.ID
					}
				}
			}
		}
		if task == 0 || figureTask == 0 || goal == 0 {
			t.Fatalf("demo plan: task %d, task with a figure %d, goal 3.4 %d", task, figureTask, goal)
		}
		lead.get(t, fmt.Sprintf("/api/v1/workplan/2024/tasks/%d", figureTask), nil)
		lead.do(t, http.StatusOK, "POST", fmt.Sprintf("/api/v1/workplan/2024/tasks/%d/status", task), map[string]any{"phrase": "בוצע - אפסילון", "note": "עודכן"})
		lead.do(t, http.StatusOK, "PATCH", fmt.Sprintf("/api/v1/workplan/2024/tasks/%d", task), map[string]any{"owner": "מיכל לוי", "due_quarter": 2})
		lead.get(t, fmt.Sprintf("/api/v1/workplan/2024/tasks/%d/history", task), nil)
		lead.do(t, http.StatusUnprocessableEntity, "POST", fmt.Sprintf("/api/v1/workplan/2024/tasks/%d/status", task), map[string]any{"status": "finished"})
		var engines struct {
			Items []struct {
				ID int64 `json:"id"`
			} `json:"items"`
		}
		lead.get(t, "/api/v1/workplan/engines", &engines)
		lead.get(t, fmt.Sprintf("/api/v1/workplan/engines/%d", engines.Items[0].ID), nil)
		lead.do(t, http.StatusOK, "PUT", fmt.Sprintf("/api/v1/workplan/2024/goals/%d/engine", goal), map[string]any{"engine_id": engines.Items[0].ID})
		lead.do(t, http.StatusNotFound, "GET", "/api/v1/workplan/1999", nil)
		officer.do(t, http.StatusNotFound, "GET", "/api/v1/workplan/2024", nil)
	})

	t.Run("Changes", func(t *testing.T) {
		if tenderID == 0 || awardID == 0 || len(itemIDs) < 3 {
			t.Skip("needs the demo tender the Tenders step reads")
		}
		// A tender from draft to closed, with items, an award and prices.
		tender := map[string]any{"number": "90/2026", "title": "ציוד משרדי", "category": "ציוד משרדי",
			"description": "ציוד משרדי לרשויות האשכול.", "valid_from": today.AddDays(-1).String(), "valid_until": today.AddDays(365).String(),
			"ceiling": "500000.00", "fee_percent": "1.50", "award_rule": "choice", "confirmation_days": 3,
			"authorities": []map[string]any{{"authority_id": zichron, "allocation": "100000.00"}}}
		var tn item
		lead.do(t, http.StatusCreated, "POST", "/api/v1/tenders", tender).JSON(t, &tn)
		tp := fmt.Sprintf("/api/v1/tenders/%d", tn.ID)
		tender["title"] = "ציוד משרדי ומתכלים"
		lead.do(t, http.StatusOK, "PUT", tp, tender)
		var first item
		lead.do(t, http.StatusCreated, "POST", tp+"/items", map[string]any{"sku": "OFF-1", "name": "כיסא משרדי", "unit": "יחידה", "max_price": "900.00"}).JSON(t, &first)
		lead.do(t, http.StatusCreated, "POST", tp+"/items", []map[string]any{{"sku": "OFF-2", "name": "שולחן עבודה", "unit": "יחידה"},
			{"sku": "OFF-3", "name": "נייר A4 (קרטון)", "unit": "קרטון"}})
		var award item
		lead.do(t, http.StatusCreated, "POST", tp+"/awards", map[string]any{"supplier_id": medicalID}).JSON(t, &award)
		ap := fmt.Sprintf("%s/awards/%d", tp, award.ID)
		lead.do(t, http.StatusCreated, "POST", ap+"/prices", map[string]any{"item_id": first.ID, "price": "850.00", "valid_from": today.AddDays(-1).String()})
		csv, ctype := priceListUpload(t, fmt.Sprintf("sku,price,valid_from\nOFF-2,1200.00,%s\nOFF-3,145.90,%s\n", today.AddDays(-1), today.AddDays(-1)))
		lead.do(t, http.StatusCreated, "POST", ap+"/price-list", csv, "Content-Type", ctype)
		bad, ctype := priceListUpload(t, "sku,price,valid_from\nNO-SUCH,-5,yesterday\n")
		lead.do(t, http.StatusUnprocessableEntity, "POST", ap+"/price-list", bad, "Content-Type", ctype)
		for _, act := range []string{"publish", "suspend", "resume"} {
			lead.do(t, http.StatusOK, "POST", tp+"/"+act, nil)
		}
		for _, act := range []string{"suspend", "resume", "terminate"} {
			lead.do(t, http.StatusOK, "POST", ap+"/"+act, nil)
		}
		lead.do(t, http.StatusConflict, "POST", ap+"/resume", nil)
		lead.do(t, http.StatusOK, "POST", tp+"/close", nil)

		// Authorities, budget lines, suppliers, certificates, users.
		authority := map[string]any{"code": "999", "name_he": "רשות לדוגמה", "name_ar": "سلطة", "name_en": "Sample", "kind": "local_council", "population": 8000}
		var a item
		admin.do(t, http.StatusCreated, "POST", "/api/v1/authorities", authority).JSON(t, &a)
		authority["active"] = false
		authority["delegation_band"] = "98500.00"
		admin.do(t, http.StatusOK, "PUT", fmt.Sprintf("/api/v1/authorities/%d", a.ID), authority)
		admin.do(t, http.StatusUnprocessableEntity, "POST", "/api/v1/authorities", authority)
		// Profiles, signatories and delegations.
		zp := fmt.Sprintf("/api/v1/authorities/%d", zichron)
		admin.get(t, zp+"/profiles", nil)
		admin.do(t, http.StatusCreated, "POST", zp+"/profiles", map[string]any{"effective_from": today.AddDays(60).String(), "kind": "local_council", "population": 25000})
		treasurer.do(t, http.StatusForbidden, "POST", zp+"/profiles", map[string]any{"effective_from": today.String(), "kind": "local_council"})
		var deputy struct {
			Items []struct {
				DelegateID int64 `json:"delegate_id"`
			} `json:"items"`
		}
		officer.get(t, zp+"/delegations?slot=treasurer&status=in_force", &deputy)
		if len(deputy.Items) != 1 {
			t.Fatalf("the demo's delegations in force: %+v", deputy.Items)
		}
		grant := map[string]any{"slot": "head", "delegate_id": deputy.Items[0].DelegateID, "max_total": "250000.00",
			"valid_from": today.String(), "valid_until": today.AddDays(14).String(), "note": "בחופשת ראש המועצה"}
		var dg item
		head.do(t, http.StatusCreated, "POST", zp+"/delegations", grant).JSON(t, &dg)
		grant["slot"], grant["max_total"] = "treasurer", "100000.00"
		treasurer.do(t, http.StatusUnprocessableEntity, "POST", zp+"/delegations", grant)
		officer.do(t, http.StatusForbidden, "POST", zp+"/delegations", grant)
		head.do(t, http.StatusOK, "POST", fmt.Sprintf("%s/delegations/%d/revoke", zp, dg.ID), nil)
		admin.do(t, http.StatusConflict, "POST", fmt.Sprintf("%s/delegations/%d/revoke", zp, dg.ID), nil)
		otherOfficer.do(t, http.StatusNotFound, "GET", zp+"/delegations", nil)
		line := map[string]any{"fiscal_year": today.Year() + 1, "code": "1-999-999", "name": "ציוד משרדי", "amount": "25000.00"}
		var bl item
		treasurer.do(t, http.StatusCreated, "POST", fmt.Sprintf("/api/v1/authorities/%d/budget-lines", zichron), line).JSON(t, &bl)
		line["amount"] = "30000.00"
		treasurer.do(t, http.StatusOK, "PUT", fmt.Sprintf("/api/v1/authorities/%d/budget-lines/%d", zichron, bl.ID), line)
		sup := map[string]any{"company_number": "510000094", "legal_name": "משרדית בע\"מ", "email": "office@misradit.example", "phone": "04-6000000", "address": "חדרה"}
		var sp item
		admin.do(t, http.StatusCreated, "POST", "/api/v1/suppliers", sup).JSON(t, &sp)
		spp := fmt.Sprintf("/api/v1/suppliers/%d", sp.ID)
		sup["phone"] = "04-6000001"
		admin.do(t, http.StatusOK, "PUT", spp, sup)
		admin.do(t, http.StatusUnprocessableEntity, "POST", "/api/v1/suppliers", map[string]any{"company_number": "510000095", "legal_name": "", "email": "no"})
		admin.do(t, http.StatusOK, "POST", spp+"/suspend", map[string]any{"reason": "חוב לאשכול", "until": today.AddDays(30).String()})
		admin.get(t, spp+"/eligibility", nil)
		admin.do(t, http.StatusOK, "POST", spp+"/resume", nil)
		admin.do(t, http.StatusCreated, "POST", spp+"/certificates", map[string]any{"kind": "books", "number": "BK-1", "valid_until": today.AddDays(365).String()})
		var u item
		admin.do(t, http.StatusCreated, "POST", "/api/v1/users", map[string]any{"email": "new@zichron.example", "name": "משתמש חדש",
			"org_kind": "authority", "authority_id": zichron, "roles": []string{"officer"}, "lang": "ar"}).JSON(t, &u)
		admin.do(t, http.StatusOK, "POST", fmt.Sprintf("/api/v1/users/%d/deactivate", u.ID), nil)
		admin.do(t, http.StatusOK, "POST", fmt.Sprintf("/api/v1/users/%d/activate", u.ID), nil)
		lead.do(t, http.StatusForbidden, "GET", "/api/v1/users", nil)

		// Tokens and logout.
		admin.get(t, "/api/v1/auth/tokens", nil) // none yet
		var tok item
		admin.do(t, http.StatusCreated, "POST", "/api/v1/auth/tokens", map[string]string{"name": "ERP"}).JSON(t, &tok)
		admin.do(t, http.StatusNoContent, "DELETE", fmt.Sprintf("/api/v1/auth/tokens/%d", tok.ID), nil)
		admin.do(t, http.StatusNotFound, "DELETE", "/api/v1/auth/tokens/999999999", nil)
		admin.do(t, http.StatusForbidden, "POST", "/api/v1/auth/tokens", map[string]string{"name": "x"}, "Sec-Fetch-Site", "cross-site")
		login("admin@madaf.example").do(t, http.StatusNoContent, "POST", "/api/v1/auth/logout", nil)

		// Lists that come back empty are still lists.
		lead.get(t, "/api/v1/tenders?status=draft", nil)
		lead.get(t, "/api/v1/catalog/items?q="+url.QueryEscape("אין כזה פריט"), nil)
		lead.get(t, "/api/v1/orders?overridden=true", nil)
		lead.get(t, fmt.Sprintf("/api/v1/authorities/%d/budget-lines?year=1999", zichron), nil)
		lead.get(t, "/api/v1/volumes?from=2000-01&to=2000-12", nil)
		lead.get(t, "/api/v1/volumes/fees?from=2000-01&to=2000-12", nil)
		lead.get(t, "/api/v1/volumes/performance?from=2000-01&to=2000-12", nil)
		lead.get(t, fmt.Sprintf("/api/v1/tenders/%d/awards", tn.ID), nil)

		// The remaining exports.
		lead.get(t, "/api/v1/exports/orders.xlsx", nil)
		lead.get(t, "/api/v1/exports/volumes.csv?group=month", nil)
		lead.get(t, "/api/v1/exports/fees.xlsx", nil)
		lead.get(t, "/api/v1/exports/fees.csv", nil)
		lead.get(t, "/api/v1/exports/orders.csv", nil)
		lead.get(t, fmt.Sprintf("/api/v1/exports/volumes.xlsx?tender=%d", tenderID), nil)
		lead.do(t, http.StatusUnprocessableEntity, "GET", "/api/v1/exports/orders.csv?status=lost", nil)
	})

	t.Run("WorkPlanChanges", func(t *testing.T) {
		lead.get(t, "/api/v1/workplan/2024/plan.xlsx", nil)
		lead.do(t, http.StatusOK, "POST", "/api/v1/workplan/engines/import?strategy="+url.QueryEscape("תוכנית בדיקה"), workplan.StrategyText, "Content-Type", "text/plain; charset=utf-8")
		lead.do(t, http.StatusOK, "POST", "/api/v1/workplan/2023/import?filename=report-2023.txt", workplan.Report2024, "Content-Type", "text/plain; charset=utf-8")
		lead.do(t, http.StatusUnprocessableEntity, "POST", "/api/v1/workplan/2023/import", "", "Content-Type", "text/plain; charset=utf-8")
		lead.do(t, http.StatusOK, "POST", "/api/v1/workplan/2024/carry-over", nil)
		// A task bound to a money figure.
		var plan struct {
			Domains []struct {
				Goals []struct {
					Tasks []struct {
						ID int64 `json:"id"`
					} `json:"tasks"`
				} `json:"goals"`
			} `json:"domains"`
		}
		lead.get(t, "/api/v1/workplan/2024", &plan)
		task := plan.Domains[0].Goals[0].Tasks[0].ID
		lead.do(t, http.StatusOK, "PATCH", fmt.Sprintf("/api/v1/workplan/2024/tasks/%d", task),
			map[string]any{"figure": "committed_volume", "figure_target": "250000.00", "notes": nil})
		lead.get(t, fmt.Sprintf("/api/v1/workplan/2024/tasks/%d", task), nil)
		lead.get(t, "/api/v1/workplan/2024", nil)
	})

	t.Run("AuditTrail", func(t *testing.T) {
		var trail struct {
			Items []struct {
				ChangeSet *int64 `json:"change_set"`
			} `json:"items"`
		}
		lead.get(t, "/api/v1/audit?limit=50", &trail)
		if len(trail.Items) == 0 || trail.Items[0].ChangeSet == nil {
			t.Fatalf("the trail: %+v", trail.Items)
		}
		lead.get(t, fmt.Sprintf("/api/v1/audit?change_set=%d&object=tenders", *trail.Items[0].ChangeSet), nil)
		lead.get(t, "/api/v1/audit/export?object=tenders", nil)
		lead.do(t, http.StatusUnprocessableEntity, "GET", "/api/v1/audit?change_set=last", nil)
	})

	var ops []string
	for op := range doc.covered {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	t.Logf("validated %d live answers covering %d of %d documented operations", doc.validated, len(ops), len(doc.operations()))
	for key, k := range knownDisagreements {
		if !doc.disagreed[key] {
			t.Errorf("%s now matches the document (%s): remove it from knownDisagreements", key, k.why)
		}
	}
	for op := range doc.operations() {
		if !doc.covered[op] {
			t.Logf("not exercised: %s", op)
		}
	}
}

// priceListUpload is a multipart body with a CSV price list in the field
// "file", and its Content-Type.
func priceListUpload(t *testing.T, csv string) ([]byte, string) {
	t.Helper()
	return documentUpload(t, "prices.csv", []byte(csv))
}
