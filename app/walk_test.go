package app

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jmoiron/sqlx"

	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/dbtest"
	"madaf/internal/i18n"
	"madaf/internal/orderstatus"
	"madaf/internal/page/pagetest"
)

// The walk's bounds: how often one page pattern (ids as N) is drawn and
// how many pages one user walks in one language.
const (
	visitsPerPattern = 3
	pagesPerWalk     = 120
)

// TestEveryPageInEveryLanguage signs in as every demo user and, in each
// language, walks the pages the user reaches from the home page (links and
// filter forms, bounded per page pattern); visits on purpose a missing
// page, another organisation's order, an order in each status and other
// roles' pages; submits each of the user's forms empty and with bad values;
// and makes refused submissions (an action in the wrong state, files with
// faults, an officer's order beyond its budget line). An anonymous visitor
// does the same with the login form. No page may show a message key or a
// fmt artefact, nor, in Hebrew and Arabic, a sentence in English; every
// problem is listed.
func TestEveryPageInEveryLanguage(t *testing.T) {
	db := dbtest.New(t)
	h := mustDemo(t, db)
	ck := newPageChecker(t)
	rep := newReport()
	ids := mustWalkSetup(t, h, db)
	var trailStart int64
	if err := db.Get(&trailStart, `SELECT coalesce(max(id), 0) FROM audit_log`); err != nil {
		t.Fatal(err)
	}

	named := map[string]int{}
	for _, l := range DemoLogins {
		who, _, _ := strings.Cut(l.Email, "@") // officer, and officer2 for the second authority's
		if named[who]++; named[who] > 1 {
			who += strconv.Itoa(named[who])
		}
		c := demoLogin(t, h, l.Email)
		for _, lang := range i18n.Langs {
			w := newWalker(c, ck, rep, lang, who)
			w.setLang()
			w.crawl("/")
			w.deliberate(ids.visitsFor(l))
			w.postForms()
			for _, a := range ids.attemptsFor(l) {
				w.attempt(a)
			}
			if d, ok := ids.drafts[l.Email]; ok {
				w.refusals(d, ids.competitionItem, ids.otherBudgetLine[l.Email])
			}
			w.expectErrorPages()
			t.Logf("%s %-9s %3d pages, %2d form posts", lang, who, w.pages, w.posts)
		}
	}
	for _, lang := range i18n.Langs {
		w := newWalker(pagetest.New(t, h), ck, rep, lang, "anonymous")
		w.setLang()
		w.crawl("/")
		w.deliberate([]visit{{"/no-such-page", http.StatusNotFound, "a missing page"}})
		w.postForms()
		w.submit(htmlForm{Action: "/login"}, url.Values{"email": {"nobody@madaf.example"}, "password": {"wrong password"}}, "wrong password")
		t.Logf("%s %-9s %3d pages, %2d form posts", lang, "anonymous", w.pages, w.posts)
	}

	if lines := rep.lines(); len(lines) > 0 {
		t.Errorf("%d problems on the pages:\n%s", len(lines), strings.Join(lines, "\n"))
	}

	// Every change the walk made through the pages is in the audit trail
	// under its author: the user, or an anonymous caller at an address (a
	// forgotten password, a sign-in's second step).
	var trail struct {
		All        int `db:"all"`
		Unassigned int `db:"unassigned"`
	}
	const q = `SELECT count(*) AS all, count(*) FILTER (WHERE actor LIKE 'db:%' OR actor = 'anonymous' AND address = '') AS unassigned FROM audit_log WHERE id > $1`
	if err := db.Get(&trail, q, trailStart); err != nil {
		t.Fatal(err)
	}
	if trail.All == 0 || trail.Unassigned > 0 {
		var who []string
		db.Select(&who, `SELECT DISTINCT object || ' ' || action || ' by ' || actor FROM audit_log WHERE id > $1 AND (actor LIKE 'db:%' OR actor = 'anonymous' AND address = '')`, trailStart)
		t.Errorf("the walk's changes left %d audit entries, %d without their author: %v", trail.All, trail.Unassigned, who)
	}
}

// walkIDs are the demo rows the walk visits on purpose.
type walkIDs struct {
	// drafts[email] is the officer's draft on tender 02/2024.
	drafts map[string]int64
	// otherBudgetLine[email] is a budget line of another authority than
	// the officer's.
	otherBudgetLine map[string]int64
	// outOfScope[email] is an order the user may not see.
	outOfScope map[string]int64
	// byStatus[email][status] is an order in that status the user sees:
	// each status draws the order page with other forms.
	byStatus        map[string]map[string]int64
	competitionItem int64 // an item of the competition tender 03/2024
	// tender and award are an active tender and one of its active awards.
	tender, award int64
	medical       int64 // the supplier with a login
}

// visit is a page visited on purpose and the status it must answer (0:
// any).
type visit struct {
	path string
	want int
	why  string
}

// forbiddenPaths are pages kept for some roles; every user visits them,
// and each role meets the 403 page on some.
var forbiddenPaths = []string{"/admin/users", "/admin/authorities", "/admin/suppliers", "/budget-lines", "/cart",
	"/inbox", "/supplier/orders", "/supplier/volumes", "/dashboard", "/tenders/new", "/workplan"}

// visitsFor are the pages l visits on purpose.
func (ids walkIDs) visitsFor(l DemoLogin) []visit {
	year := strconv.Itoa(calendar.Today().Year())
	vs := []visit{
		{"/no-such-page", http.StatusNotFound, "a missing page"},
		{"/orders/999999999", http.StatusNotFound, "a missing order"},
		{"/orders/abc", 0, "an order id that is no number"},
		{"/tenders/999999999", http.StatusNotFound, "a missing tender"},
		{"/catalog?q=" + url.QueryEscape("אין פריט כזה"), 0, "a search that finds nothing"},
		{"/admin/suppliers/999999999", 0, "a missing supplier"},
		{"/admin/authorities/999999999", 0, "a missing authority"},
		{"/workplan/" + year + "/tasks/999999999", 0, "a missing task"},
	}
	statuses := slices.Sorted(maps.Keys(ids.byStatus[l.Email]))
	for _, st := range statuses {
		vs = append(vs, visit{"/orders/" + idStr(ids.byStatus[l.Email][st]), http.StatusOK, "an order in each status"})
	}
	if id, ok := ids.outOfScope[l.Email]; ok {
		vs = append(vs, visit{"/orders/" + idStr(id), http.StatusNotFound, "another organisation's order"})
	}
	for _, p := range forbiddenPaths {
		vs = append(vs, visit{p, 0, "a page of another role"})
	}
	return vs
}

// attempt is a submission the service refuses.
type attempt struct {
	action string
	values url.Values
	file   *upload // sent as multipart/form-data when set
	why    string
}

// attemptsFor are the refused submissions l makes on purpose: an action in
// the wrong state, a price list and a work plan with faults.
func (ids walkIDs) attemptsFor(l DemoLogin) []attempt {
	var as []attempt
	tender := "/tenders/" + idStr(ids.tender)
	award := tender + "/awards/" + idStr(ids.award)
	orders := ids.byStatus[l.Email]
	order := func(status, action string, v url.Values, why string) {
		if id, ok := orders[status]; ok {
			as = append(as, attempt{"/orders/" + idStr(id) + "/" + action, v, nil, why})
		}
	}
	checked := url.Values{"legal": {"on"}, "budget_line": {"on"}, "no_deficit": {"on"}}
	switch l.Role {
	case auth.RoleClusterAdmin, auth.RoleEconomicLead:
		as = append(as,
			attempt{tender + "/status/publish", url.Values{}, nil, "publish an active tender"},
			attempt{award + "/resume", url.Values{}, nil, "resume an active award"},
			attempt{award + "/prices", url.Values{}, &upload{"file", "prices.csv", "sku,price,valid_from\nXX-9,abc,\nXX-8,12,2024-02-30\n"}, "a price list with bad rows"},
			attempt{"/workplan/import", url.Values{"year": {strconv.Itoa(calendar.Today().Year() + 1)}}, &upload{"file", "plan.txt", "not a work plan\n"}, "a work plan that is no report"},
		)
		if l.Role == auth.RoleClusterAdmin {
			as = append(as, attempt{"/admin/suppliers/" + idStr(ids.medical) + "/resume", url.Values{}, nil, "resume an active supplier"})
		}
	case auth.RoleOfficer:
		order(orderstatus.Closed, "cancel", url.Values{"cancel_reason": {"no_longer_needed"}}, "cancel a closed order")
		order(orderstatus.Closed, "close", url.Values{"invoice_ref": {"INV-1"}}, "close a closed order")
	case auth.RoleTreasurer, auth.RoleHead:
		v := url.Values{"role": {l.Role}}
		maps.Copy(v, checked)
		order(orderstatus.Sent, "sign", v, "sign a sent order")
		order(orderstatus.Sent, "return", url.Values{"return_note": {"לבדיקה"}}, "return a sent order")
	case auth.RoleReceiver:
		order(orderstatus.Confirmed, "receipts", url.Values{"delivery_note": {"DN-1"}}, "a goods received note of nothing")
		v := url.Values{"role": {auth.RoleTreasurer}}
		maps.Copy(v, checked)
		order(orderstatus.Sent, "sign", v, "sign a sent order, the head's and the treasurer's step")
		order(orderstatus.Delivered, "close", url.Values{"invoice_ref": {"INV-1"}}, "close an order, the officer's step")
	case auth.RoleSupplier:
		order(orderstatus.Delivered, "confirm", url.Values{"promised_date": {calendar.Today().AddDays(5).String()}}, "confirm a delivered order")
		order(orderstatus.Delivered, "reject", url.Values{"reason": {"אין מלאי"}}, "reject a delivered order")
	}
	return as
}

// mustWalkSetup gives the walk, through the pages, what the demo lacks: a
// draft on tender 02/2024 for each officer (to refuse its submission), an
// order awaiting the treasurer's signature and one sent to the supplier
// with a login (so that their forms show); and it finds the rows visited on
// purpose.
func mustWalkSetup(t *testing.T, h http.Handler, db *sqlx.DB) walkIDs {
	t.Helper()
	ids := walkIDs{drafts: map[string]int64{}, otherBudgetLine: map[string]int64{}, outOfScope: map[string]int64{},
		byStatus: map[string]map[string]int64{}}
	item := func(tender, sku string) int64 {
		t.Helper()
		var id int64
		const q = `SELECT i.id FROM tender_items i JOIN tenders t ON t.id = i.tender_id WHERE t.number = $1 AND i.sku = $2`
		if err := db.Get(&id, q, tender, sku); err != nil {
			t.Fatalf("item %s of tender %s: %v", sku, tender, err)
		}
		return id
	}
	draft := func(email, tender string) int64 {
		t.Helper()
		var id int64
		const q = `SELECT o.id FROM orders o JOIN tenders t ON t.id = o.tender_id JOIN users u ON u.id = o.created_by
			WHERE o.status = 'draft' AND t.number = $1 AND lower(u.email) = $2 ORDER BY o.id LIMIT 1`
		if err := db.Get(&id, q, tender, email); err != nil {
			t.Fatalf("draft of %s on tender %s: %v", email, tender, err)
		}
		return id
	}
	ids.competitionItem = item("03/2024", "SEC-001")

	supplier := func(number string) int64 {
		t.Helper()
		var id int64
		if err := db.Get(&id, `SELECT id FROM suppliers WHERE company_number = $1`, number); err != nil {
			t.Fatalf("supplier %s: %v", number, err)
		}
		return id
	}
	medical := supplier("510000011")
	ids.medical = medical
	const qAward = `SELECT t.id, a.id FROM tenders t JOIN awards a ON a.tender_id = t.id AND a.status = 'active'
		WHERE t.status = 'active' ORDER BY t.number, a.id LIMIT 1`
	if err := db.QueryRow(qAward).Scan(&ids.tender, &ids.award); err != nil {
		t.Fatalf("an active award: %v", err)
	}

	// Two of the three winners of tender 02/2024 may not receive orders:
	// one suspended through its page, one with an expired certificate. The
	// officers' order forms give the reasons.
	admin := demoLogin(t, h, "admin@madaf.example")
	suspended := "/admin/suppliers/" + idStr(supplier("515000206"))
	sf, ok := formByID(admin.Get(suspended).Body, "suspend-form")
	if !ok {
		t.Fatalf("no suspend form on %s", suspended)
	}
	sv := sf.values()
	sv.Set("reason", "ביקורת איכות")
	pagetest.Expect(t, admin.Post(sf.Action, sv), http.StatusSeeOther)
	if _, err := db.Exec(`UPDATE supplier_certificates SET valid_until = current_date - 1 WHERE kind = 'books' AND supplier_id = $1`,
		supplier("510000086")); err != nil {
		t.Fatalf("expire a certificate: %v", err)
	}

	zichron := demoLogin(t, h, "officer@zichron.example")
	submit := func(sku string) int64 {
		t.Helper()
		pagetest.Expect(t, zichron.Post("/cart/items", url.Values{"item_id": {idStr(item("01/2024", sku))}, "quantity": {"2"}}), http.StatusSeeOther)
		id := draft("officer@zichron.example", "01/2024")
		form := zichron.Get("/orders/" + idStr(id) + "/edit")
		f, ok := formByID(form.Body, "order-form")
		if !ok {
			t.Fatalf("no order form on the draft\n%s", form.Body)
		}
		v := f.values()
		v.Set("supplier_id", idStr(medical))
		v.Set("requested_date", calendar.Today().AddDays(14).String())
		v.Set("delivery_address", "בניין המועצה, רחוב המייסדים 40")
		v.Set("action", "submit")
		pagetest.Expect(t, zichron.Post(f.Action, v), http.StatusSeeOther)
		return id
	}
	submit("MED-003") // stays pending: the treasurer's sign form
	sent := submit("MED-004")
	treasurer := demoLogin(t, h, "treasurer@zichron.example")
	page := treasurer.Get("/orders/" + idStr(sent))
	sign, ok := formByID(page.Body, "sign-form")
	if !ok {
		t.Fatalf("no sign form for the treasurer\n%s", page.Body)
	}
	v := sign.values()
	for _, check := range []string{"legal", "budget_line", "no_deficit"} {
		v.Set(check, "on")
	}
	pagetest.Expect(t, treasurer.Post(sign.Action, v), http.StatusSeeOther) // sent: the supplier's confirm and reject forms

	kafrqara := demoLogin(t, h, "officer@kafrqara.example")
	pagetest.Expect(t, kafrqara.Post("/cart/items", url.Values{"item_id": {idStr(item("02/2024", "IT-001"))}, "quantity": {"1"}}), http.StatusSeeOther)

	year := calendar.Today().Year()
	for _, o := range []struct{ email, other string }{ // other: another authority's code
		{"officer@zichron.example", "654"}, {"treasurer@zichron.example", "654"},
		{"head@zichron.example", "654"}, {"receiver@zichron.example", "654"}, {"officer@kafrqara.example", "9300"},
	} {
		var order, line int64
		const qOrder = `SELECT o.id FROM orders o JOIN authorities a ON a.id = o.authority_id WHERE a.code = $1 ORDER BY o.id LIMIT 1`
		if err := db.Get(&order, qOrder, o.other); err != nil {
			t.Fatalf("an order of authority %s: %v", o.other, err)
		}
		ids.outOfScope[o.email] = order
		if strings.HasPrefix(o.email, "officer@") {
			ids.drafts[o.email] = draft(o.email, "02/2024")
			const qLine = `SELECT b.id FROM budget_lines b JOIN authorities a ON a.id = b.authority_id
				WHERE a.code = $1 AND b.fiscal_year = $2 ORDER BY b.id LIMIT 1`
			if err := db.Get(&line, qLine, o.other, year); err != nil {
				t.Fatalf("a budget line of authority %s: %v", o.other, err)
			}
			ids.otherBudgetLine[o.email] = line
		}
	}
	mustWalkCompetition(t, db, zichron, demoLogin(t, h, "supplier@medical.example"), item("01/2024", "MED-001"))

	var other int64
	const qSupplier = `SELECT o.id FROM orders o JOIN suppliers s ON s.id = o.supplier_id
		WHERE s.company_number <> '510000011' AND o.status <> 'draft' ORDER BY o.id LIMIT 1`
	if err := db.Get(&other, qSupplier); err != nil {
		t.Fatalf("an order of another supplier: %v", err)
	}
	ids.outOfScope["supplier@medical.example"] = other

	// One order per status in each user's scope: the cluster's, the
	// authority's, the supplier's (from the order's sending on).
	const qStatuses = `SELECT DISTINCT ON (o.status) o.id, o.status FROM orders o
		JOIN authorities a ON a.id = o.authority_id JOIN suppliers s ON s.id = o.supplier_id
		WHERE ($1 = '' OR a.code = $1) AND ($2 = '' OR (s.company_number = $2 AND o.sent_at IS NOT NULL))
		ORDER BY o.status, o.id`
	for _, l := range DemoLogins {
		var authority, supplier string // the code and the company number in l.Org
		kind, ref, _ := strings.Cut(l.Org, ":")
		switch kind {
		case "authority":
			authority = ref
		case "supplier":
			supplier = ref
		}
		var os []struct {
			ID     int64  `db:"id"`
			Status string `db:"status"`
		}
		if err := db.Select(&os, qStatuses, authority, supplier); err != nil {
			t.Fatalf("orders by status for %s: %v", l.Email, err)
		}
		ids.byStatus[l.Email] = map[string]int64{}
		for _, o := range os {
			ids.byStatus[l.Email][o.Status] = o.ID
		}
	}
	return ids
}

// mustWalkCompetition has the officer request quotes on tender 01/2024 and
// publish the request through the pages, and the medical supplier, one of
// its winners, ask a question: the request page, its questions and the
// forms of the officer and of the winner show.
func mustWalkCompetition(t *testing.T, db *sqlx.DB, officer, supplier *pagetest.Client, itemID int64) {
	t.Helper()
	var tender, line int64
	if err := db.Get(&tender, `SELECT tender_id FROM tender_items WHERE id = $1`, itemID); err != nil {
		t.Fatal(err)
	}
	const qLine = `SELECT b.id FROM budget_lines b JOIN authorities a ON a.id = b.authority_id
		WHERE a.code = '9300' AND b.fiscal_year = $1 ORDER BY b.id LIMIT 1`
	if err := db.Get(&line, qLine, calendar.Today().Year()); err != nil {
		t.Fatalf("a budget line of זכרון יעקב: %v", err)
	}
	r := officer.Post("/competitions", url.Values{"tender_id": {idStr(tender)}, qtyName(itemID): {"3"},
		"budget_line_id": {idStr(line)}, "delivery_address": {"בניין המועצה, רחוב המייסדים 40"},
		"requested_date": {calendar.Today().AddDays(45).String()}})
	pagetest.Expect(t, r, http.StatusSeeOther)
	show := r.Location
	f, ok := formByID(officer.Get(show).Body, "publish-form")
	if !ok {
		t.Fatalf("no publish form on %s", show)
	}
	pagetest.Expect(t, officer.Post(f.Action, f.values()), http.StatusSeeOther)
	f, ok = formByID(supplier.Get(show).Body, "ask-form")
	if !ok {
		t.Fatalf("no question form for the winner on %s", show)
	}
	v := f.values()
	v.Set("question", "האם נדרשת התקנה באתר?")
	pagetest.Expect(t, supplier.Post(f.Action, v), http.StatusSeeOther)
}

// qtyName is the request form's quantity field of an item.
func qtyName(itemID int64) string { return "qty_" + idStr(itemID) }

// walker is one user's walk through the pages in one language.
type walker struct {
	c         *pagetest.Client
	ck        *pageChecker
	rep       *report
	lang, who string

	seen     map[string]bool
	patterns map[string]int
	forms    []htmlForm
	formKeys map[string]bool
	// answered counts the statuses of the pages visited on purpose.
	answered     map[int]int
	pages, posts int
}

func newWalker(c *pagetest.Client, ck *pageChecker, rep *report, lang, who string) *walker {
	return &walker{c: c, ck: ck, rep: rep, lang: lang, who: who,
		seen: map[string]bool{}, patterns: map[string]int{}, formKeys: map[string]bool{}, answered: map[int]int{}}
}

func (w *walker) fail(path, problem, snippet string) {
	w.rep.add(w.lang, w.who, path, problem, snippet)
}

// setLang chooses the walk's language with the language switch.
func (w *walker) setLang() {
	r := w.c.Post("/lang", url.Values{"lang": {w.lang}, "next": {"/"}})
	if r.Code != http.StatusSeeOther {
		w.fail("POST /lang", "status", fmt.Sprintf("the language switch answers %d", r.Code))
	}
}

// crawl visits the pages reachable from start breadth-first, in the order
// their links appear, within the walk's bounds: the links, and the search
// and filter forms sent as drawn. It keeps the forms that post.
func (w *walker) crawl(start string) {
	queue := []string{start}
	for len(queue) > 0 && w.pages < pagesPerWalk {
		path := queue[0]
		queue = queue[1:]
		pat := pathPattern(path)
		if w.seen[path] || w.patterns[pat] >= visitsPerPattern {
			continue
		}
		w.patterns[pat]++
		w.seen[path] = true
		r, final := w.get(path)
		w.checkAnswer(final, r)
		if r.Code != http.StatusOK {
			w.fail(final, "status", fmt.Sprintf("a link answers %d", r.Code))
		}
		if !isHTML(r) {
			continue
		}
		for _, href := range pageLinks(r.Body) {
			href, _, _ = strings.Cut(href, "#")
			if walkable(href) && !w.seen[href] {
				queue = append(queue, href)
			}
		}
		for _, f := range pageForms(r.Body) {
			if f.Method == "get" && walkable(f.Action) {
				if q := f.values().Encode(); q != "" && !w.seen[f.Action+"?"+q] {
					queue = append(queue, f.Action+"?"+q)
				}
				continue
			}
			w.keepForm(f)
		}
	}
}

// get requests path and follows its redirects; it returns the last answer
// and its path.
func (w *walker) get(path string) (*pagetest.Response, string) {
	r := w.c.Get(path)
	w.pages++
	for hops := 0; r.Code >= 300 && r.Code < 400 && strings.HasPrefix(r.Location, "/") && hops < 5; hops++ {
		path = r.Location
		if w.who != "anonymous" && strings.HasPrefix(path, "/login") {
			w.fail(path, "status", "signed out by a redirect to the login page")
		}
		w.seen[path] = true
		r = w.c.Get(path)
		w.pages++
	}
	return r, path
}

func isHTML(r *pagetest.Response) bool {
	return strings.HasPrefix(r.Header.Get("Content-Type"), "text/html")
}

// checkAnswer records what is wrong with the answer drawn at path.
func (w *walker) checkAnswer(path string, r *pagetest.Response) {
	if r.Code >= 500 {
		w.fail(path, "status", fmt.Sprintf("answers %d", r.Code))
	}
	if !isHTML(r) {
		return
	}
	for _, f := range w.ck.check(w.lang, r.Body) {
		w.fail(path, f.Problem, f.Snippet)
	}
}

var anyNumber = regexp.MustCompile(`\d+`)

// keepForm notes a form the user can fill in, once per action and fields
// pattern. The language switch, the logout and forms of buttons only are
// left alone.
func (w *walker) keepForm(f htmlForm) {
	if f.Method != "post" || f.Action == "/lang" || f.Action == "/logout" || !f.hasInputs() {
		return
	}
	var names []string
	for _, fl := range f.Fields {
		names = append(names, anyNumber.ReplaceAllString(fl.Name, "N"))
	}
	key := pathPattern(f.Action) + " " + strings.Join(names, ",")
	if w.formKeys[key] {
		return
	}
	w.formKeys[key] = true
	w.forms = append(w.forms, f)
}

// postForms submits each kept form empty and, when it has fields with a
// shape, with bad values.
func (w *walker) postForms() {
	for _, f := range w.forms {
		w.submit(f, f.empty(), "empty")
		if v, ok := f.bad(); ok {
			w.submit(f, v, "bad values")
		}
	}
}

// submit posts v to the form and checks the answer, or the page a
// redirect leads to (where a flash message shows).
func (w *walker) submit(f htmlForm, v url.Values, how string) *pagetest.Response {
	r := postForm(w.c, f, v)
	w.posts++
	label := "POST " + f.Action + " (" + how + ")"
	if r.Code >= 300 && r.Code < 400 && strings.HasPrefix(r.Location, "/") {
		next, final := w.get(r.Location)
		w.checkAnswer(label+" → "+final, next)
		return r
	}
	w.checkAnswer(label, r)
	return r
}

// attempt makes a and checks that it is refused.
func (w *walker) attempt(a attempt) *pagetest.Response {
	var r *pagetest.Response
	if a.file != nil {
		r = postMultipart(w.c, a.action, a.values, a.file)
		w.posts++
		w.checkAnswer("POST "+a.action+" ("+a.why+")", r)
	} else {
		r = w.submit(htmlForm{Action: a.action}, a.values, a.why)
	}
	if r.Code < 400 {
		w.fail(a.action, "refusal", fmt.Sprintf("%s answers %d", a.why, r.Code))
	}
	return r
}

// deliberate visits each page of vs, checks its status and keeps its
// forms.
func (w *walker) deliberate(vs []visit) {
	for _, v := range vs {
		r, final := w.get(v.path)
		w.checkAnswer(final, r)
		w.answered[r.Code]++
		if v.want != 0 && r.Code != v.want {
			w.fail(v.path, "status", fmt.Sprintf("%s answers %d, want %d", v.why, r.Code, v.want))
		}
		if isHTML(r) {
			for _, f := range pageForms(r.Body) {
				w.keepForm(f)
			}
		}
	}
}

// expectErrorPages fails the walk unless it drew the 404 and the 403 page.
func (w *walker) expectErrorPages() {
	for _, code := range []int{http.StatusNotFound, http.StatusForbidden} {
		if w.answered[code] == 0 {
			w.fail("(walk)", "coverage", fmt.Sprintf("no page answered %d", code))
		}
	}
}

// refusals has the officer submit draft for signature with a total beyond
// what its budget line has left (refused with the failed checks on the
// order form), then on another authority's budget line; save the draft
// (the flash message), then save it over a stale version; and put an item
// of a tender awarded by mini-competition into the cart (refused).
func (w *walker) refusals(draft, competitionItem, otherLine int64) {
	edit := "/orders/" + idStr(draft) + "/edit"
	orderForm := func() (htmlForm, bool) {
		r, final := w.get(edit)
		w.checkAnswer(final, r)
		f, ok := formByID(r.Body, "order-form")
		if !ok {
			w.fail(edit, "refusal", fmt.Sprintf("no order form (status %d)", r.Code))
		}
		return f, ok
	}
	if f, ok := orderForm(); ok {
		v := f.values()
		for name := range v {
			if strings.HasPrefix(name, "qty_") {
				v.Set(name, "999999")
			}
		}
		v.Set("action", "submit")
		r := w.submit(f, v, "beyond the budget line")
		if r.Code != http.StatusConflict || !r.Contains(`id="failed-checks"`) {
			w.fail(edit, "refusal", fmt.Sprintf("a submission beyond the budget line answers %d without the failed checks", r.Code))
		}
	}
	if f, ok := orderForm(); ok {
		v := f.values()
		v.Set("budget_line_id", idStr(otherLine))
		v.Set("action", "submit")
		if r := w.submit(f, v, "another authority's budget line"); r.Code < 400 {
			w.fail(edit, "refusal", fmt.Sprintf("a submission on another authority's budget line answers %d", r.Code))
		}
	}
	if f, ok := orderForm(); ok {
		v := f.values()
		v.Set("action", "save")
		if r := w.submit(f, v, "saved"); r.Code != http.StatusSeeOther {
			w.fail(edit, "refusal", fmt.Sprintf("saving the draft answers %d", r.Code))
		}
		v.Set("etag", `"0"`)
		if r := w.submit(f, v, "stale"); r.Code < 400 {
			w.fail(edit, "refusal", fmt.Sprintf("saving the draft over a stale version answers %d", r.Code))
		}
	}
	// An item of a tender awarded by mini-competition leads from the cart
	// to the request for quotes.
	r := w.submit(htmlForm{Action: "/cart/items"}, url.Values{"item_id": {idStr(competitionItem)}, "quantity": {"1"}, "next": {"/cart"}},
		"an item of a mini-competition tender into the cart")
	if r.Code != http.StatusSeeOther || !strings.HasPrefix(r.Location, "/competitions/new?") {
		w.fail("/cart/items", "refusal", fmt.Sprintf("an item of a mini-competition tender answers %d → %q, not the request for quotes", r.Code, r.Location))
	}
}

// TestPageChecker: the checks find an English sentence or a raw key on a
// Hebrew page and pass a clean one.
func TestPageChecker(t *testing.T) {
	ck := newPageChecker(t)
	page := func(lang, body string) string {
		return `<!doctype html><html lang="` + lang + `" dir="rtl"><head><title>הזמנות · מדף</title>` +
			`<script>var s = "this is not shown to anyone";</script><style>p.x { color: red }</style></head><body>` + body + `</body></html>`
	}
	problems := func(fs []finding) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.Problem+": "+f.Snippet)
		}
		return out
	}
	for _, tc := range []struct {
		name, lang, body string
		want             []string
	}{
		{"Clean", "he", `<h1>הזמנה <span class="num">2026-0007</span></h1>
			<p>ספק: מדיקל אספקה רפואית בע"מ · orders@medical.example · ₪ 1,250.50 · 01/2024 · MED-001 · 2026-03-01</p>
			<p>ייצוא OCDS · CSV · XLSX</p><p>מסך מחשב 27 אינץ' IPS (i5, 16GB, SSD 512GB)</p>
			<p>פורמטים: CSV XLSX JSON</p><a href="/orders?status=sent" title="הזמנות שנשלחו">נשלחו</a>
			<form><input type="submit" value="שליחה"><button name="lang" value="en" lang="en">English</button></form>`, nil},
		{"EnglishSentence", "he", `<p class="form-message">לא ניתן לשלוח: the order cannot be submitted</p>`,
			[]string{"English text: the order cannot be submitted"}},
		{"EnglishAroundData", "he", `<p>budget line 1-611-750 (incl. VAT) has 899,256.15 ₪ left; the order needs 8,945.42 ₪</p>`,
			[]string{"English text: (incl. VAT) has … left; the order needs"}},
		{"EnglishInAttribute", "ar", `<input name="q" placeholder="search the catalog here">`,
			[]string{"English text: search the catalog here"}},
		{"EnglishOnEnglishPage", "en", `<p>the order cannot be submitted</p>`, nil},
		{"RawCatalogKey", "he", `<p>סטטוס: order.status.sent</p>`, []string{"raw key: order.status.sent"}},
		{"RawKeyWithPrefix", "en", `<p class="field-error">msg.no_such_key_anywhere</p>`, []string{"raw key: msg.no_such_key_anywhere"}},
		{"RawKeyInTitle", "he", `<a href="/" title="nav.orders">הזמנות</a>`, []string{"raw key: nav.orders"}},
		{"FmtArtefact", "he", `<p>נותרו %!s(MISSING)</p>`, []string{"fmt artefact: נותרו %!s(MISSING)"}},
		{"WrongLanguage", "ar", ``, []string{"page language: lang=he"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lang := tc.lang
			if tc.name == "WrongLanguage" {
				lang = "he"
			}
			got := problems(ck.check(tc.lang, page(lang, tc.body)))
			if !slices.Equal(got, tc.want) {
				t.Errorf("findings %q, want %q", got, tc.want)
			}
		})
	}
}

// TestPageForms: a form reads as a browser would send it, empty and with
// bad values.
func TestPageForms(t *testing.T) {
	const body = `<form method="post" action="/orders/7/edit" id="order-form">
		<input type="hidden" name="etag" value="&#34;3&#34;"><input name="qty_12" inputmode="decimal" value="2">
		<input type="radio" name="supplier_id" value="4" checked><input type="radio" name="supplier_id" value="5">
		<select name="budget_line_id"><option value="8">a</option><option value="9" selected>b</option></select>
		<input name="requested_date" type="date" value="2026-05-01"><textarea name="notes">הערה</textarea>
		<input type="checkbox" name="remove" value="12">
		<button type="submit" name="action" value="save">שמירה</button><button type="submit" name="action" value="submit">שליחה</button>
	</form><form method="post" action="/tenders/3/status/publish"><button type="submit">פרסום</button></form>`
	fs := pageForms(body)
	if len(fs) != 2 || fs[0].ID != "order-form" || !fs[0].hasInputs() || fs[1].hasInputs() {
		t.Fatalf("forms %+v", fs)
	}
	f := fs[0]
	check := func(what string, got url.Values, want string) {
		t.Helper()
		if got.Encode() != want {
			t.Errorf("%s: %s, want %s", what, got.Encode(), want)
		}
	}
	check("values", f.values(), url.Values{"etag": {`"3"`}, "qty_12": {"2"}, "supplier_id": {"4"}, "budget_line_id": {"9"},
		"requested_date": {"2026-05-01"}, "notes": {"הערה"}, "action": {"submit"}}.Encode())
	check("empty", f.empty(), url.Values{"etag": {`"3"`}, "qty_12": {""}, "budget_line_id": {""},
		"requested_date": {""}, "notes": {""}, "action": {"submit"}}.Encode())
	bad, ok := f.bad()
	if !ok {
		t.Fatal("no field with a shape")
	}
	check("bad", bad, url.Values{"etag": {`"3"`}, "qty_12": {"abc"}, "budget_line_id": {"999999999"},
		"requested_date": {"2024-02-30"}, "notes": {""}, "action": {"submit"}}.Encode())
	if got := pathPattern("/workplan/2026/tasks/41?status=late&after=3"); got != "/workplan/N/tasks/N?after&status" {
		t.Errorf("pattern %s", got)
	}
}
