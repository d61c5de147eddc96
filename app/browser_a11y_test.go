package app

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/jmoiron/sqlx"

	"madaf/internal/dbtest"
	"madaf/internal/page/pagetest"
)

// axePath is where `npm ci --prefix app/testdata/axe` (run by .ci/run)
// installs axe-core, at the version pinned in app/testdata/axe.
const axePath = "testdata/axe/node_modules/axe-core/axe.min.js"

// browserLangs are the languages in which the browser tests load each
// demo user's pages: every user's in Hebrew, the economic lead's and the
// supplier's also in Arabic, the officer's also in English.
var browserLangs = map[string][]string{"": {"he"},
	"lead@madaf.example": {"he", "ar"}, "supplier@medical.example": {"he", "ar"}, "officer@zichron.example": {"he", "en"}}

// pagesPerSet bounds the pages one user's set holds in one language.
const pagesPerSet = 80

// browserPage is one page of a set: its path and the status it answers.
type browserPage struct {
	path string
	code int
}

// pageSet is the pages one user (or an anonymous visitor) sees in one
// language, one per page pattern, as the browser tests load them.
type pageSet struct {
	email string // "" for an anonymous visitor
	who   string // the user's role, for reports: officer, officer2, …
	lang  string
	pages []browserPage
}

// browserPageSets seeds the demo into db and lists, for each demo user
// and an anonymous visitor, the pages the user reaches from the home page
// (one per page pattern), the order page in each status the user sees,
// the 404 page and a page of another role (403 for most). Each user's set
// is listed in every language of langs[user's role] or, for users not
// named, in langs[""]. The sets are found through the HTTP handler h,
// which the browser then loads through a server over the same database.
func browserPageSets(t *testing.T, db *sqlx.DB, langs map[string][]string) (http.Handler, []pageSet) {
	t.Helper()
	h := mustDemo(t, db)
	ids := mustWalkSetup(t, h, db)
	langsOf := func(email string) []string {
		if l, ok := langs[email]; ok {
			return l
		}
		return langs[""]
	}
	var sets []pageSet
	named := map[string]int{}
	for _, l := range DemoLogins {
		who, _, _ := strings.Cut(l.Email, "@")
		if named[who]++; named[who] > 1 {
			who += fmt.Sprint(named[who])
		}
		c := demoLogin(t, h, l.Email)
		var extra []string
		for _, st := range slices.Sorted(maps.Keys(ids.byStatus[l.Email])) {
			extra = append(extra, "/orders/"+idStr(ids.byStatus[l.Email][st]))
		}
		extra = append(extra, "/no-such-page")
		for _, p := range forbiddenPaths {
			if r := c.Get(p); r.Code == http.StatusForbidden {
				extra = append(extra, p)
				break
			}
		}
		pages := listPages(c, "/", extra)
		for _, lang := range langsOf(l.Email) {
			sets = append(sets, pageSet{email: l.Email, who: who, lang: lang, pages: pages})
		}
	}
	anon := listPages(pagetest.New(t, h), "/login", []string{"/no-such-page"})
	for _, lang := range langsOf("") {
		sets = append(sets, pageSet{who: "anonymous", lang: lang, pages: anon})
	}
	return h, sets
}

// listPages visits, breadth-first from start, the pages of this site c
// reaches through links and search and filter forms sent as drawn (one
// per path pattern, queries aside: a filtered list is drawn by the same
// template as the list; at most pagesPerSet), following redirects; then
// each of extra, whatever its pattern. It returns the HTML pages that
// answered, by their final path.
func listPages(c *pagetest.Client, start string, extra []string) []browserPage {
	var out []browserPage
	seen, patterns := map[string]bool{}, map[string]bool{}
	pattern := func(path string) string {
		p, _, _ := strings.Cut(path, "?")
		return pathPattern(p)
	}
	visit := func(path string) *pagetest.Response {
		r := c.Get(path)
		for hops := 0; r.Code >= 300 && r.Code < 400 && strings.HasPrefix(r.Location, "/") && hops < 5; hops++ {
			path = r.Location
			r = c.Get(path)
		}
		if seen[path] || !isHTML(r) {
			return nil
		}
		seen[path] = true
		patterns[pattern(path)] = true
		out = append(out, browserPage{path, r.Code})
		return r
	}
	queue := []string{start}
	for len(queue) > 0 && len(out) < pagesPerSet {
		path := queue[0]
		queue = queue[1:]
		if seen[path] || patterns[pattern(path)] {
			continue
		}
		r := visit(path)
		if r == nil || r.Code != http.StatusOK {
			continue
		}
		for _, href := range pageLinks(r.Body) {
			href, _, _ = strings.Cut(href, "#")
			if walkable(href) {
				queue = append(queue, href)
			}
		}
		for _, f := range pageForms(r.Body) {
			if f.Method == "get" && walkable(f.Action) {
				if q := f.values().Encode(); q != "" {
					queue = append(queue, f.Action+"?"+q)
				}
			}
		}
	}
	for _, p := range extra {
		if !seen[p] {
			visit(p)
		}
	}
	return out
}

// signIn signs the browser in as the set's user (signing out whoever is
// signed in) and switches to the set's language.
func (b *browser) signIn(set pageSet, current *string) {
	b.t.Helper()
	if *current != set.email {
		if *current != "" {
			b.logout()
		}
		if set.email != "" {
			b.login(set.email)
		}
		*current = set.email
	}
	if set.email == "" {
		b.do("open the login page", chromedp.Navigate(b.base+"/login"), chromedp.WaitVisible(chromedp.ID("login-submit")))
	}
	if b.eval(`document.documentElement.lang`) != set.lang {
		b.submit("switch to "+set.lang, `.lang-switch button[value="`+set.lang+`"]`,
			chromedp.WaitReady(chromedp.CSS(`html[lang="`+set.lang+`"]`)))
	}
}

// open loads path and waits until its document is complete.
func (b *browser) open(path string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.base+path), chromedp.WaitReady(chromedp.CSS("body")))
}

// axeSource is axe-core's script, or the test is skipped where it is not
// installed (and fails under CI, which installs it).
func axeSource(t *testing.T) string {
	t.Helper()
	src, err := os.ReadFile(axePath)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("axe-core is not installed at app/%s (.ci/run installs it): %v", axePath, err)
		}
		t.Skip("axe-core is not installed at app/" + axePath + "; run `npm ci --prefix app/testdata/axe` to run the accessibility test")
	}
	return string(src)
}

// axeViolation is one rule a page breaks, as axe-core reports it, with the
// nodes that break it.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target  []any  `json:"target"`
		HTML    string `json:"html"`
		Summary string `json:"failureSummary"`
	} `json:"nodes"`
}

// axeRun injects axe-core into the page (once per document) and runs every
// rule axe-core runs by default (WCAG 2.0–2.2 A and AA and its best
// practices); it returns every violation of a WCAG 2.x A or AA rule,
// whatever its impact, and the serious or critical ones of the rest.
func (b *browser) axeRun(src string) []axeViolation {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](`if (!window.axe) {`+src+`}`)); err != nil {
		b.t.Fatalf("inject axe-core: %v", err)
	}
	const run = `axe.run(document, {resultTypes: ["violations"]}).then(r => {
		const wcag = new Set(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]);
		return JSON.stringify(r.violations.filter(v =>
			v.tags.some(t => wcag.has(t)) || v.impact === "serious" || v.impact === "critical"));
	})`
	out, err := chromedp.Run(ctx, chromedp.Evaluate[string](run, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("run axe-core: %v", err)
	}
	var vs []axeViolation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		b.t.Fatalf("axe-core's answer: %v", err)
	}
	return vs
}

// violationReport collects violations merged by page pattern, rule and
// node, with the languages and roles that met them.
type violationReport struct {
	entries map[string]*violationEntry
}

type violationEntry struct {
	pattern, path, rule, impact, help, node, html, summary string
	langs, roles                                           []string
}

func (r *violationReport) add(set pageSet, path string, v axeViolation) {
	for _, n := range v.Nodes {
		target := fmt.Sprint(n.Target...)
		key := pathPattern(path) + "\x00" + v.ID + "\x00" + target
		e, ok := r.entries[key]
		if !ok {
			e = &violationEntry{pattern: pathPattern(path), path: path, rule: v.ID, impact: v.Impact, help: v.Help,
				node: target, html: n.HTML, summary: n.Summary}
			r.entries[key] = e
		}
		if !slices.Contains(e.langs, set.lang) {
			e.langs = append(e.langs, set.lang)
		}
		if !slices.Contains(e.roles, set.who) {
			e.roles = append(e.roles, set.who)
		}
	}
}

// lines are the violations, by page, rule and node: the page, the rule and
// its impact, the node's selector and markup, and what axe-core says to
// fix.
func (r *violationReport) lines() []string {
	es := slices.Collect(maps.Values(r.entries))
	sort.Slice(es, func(i, j int) bool {
		a, b := es[i], es[j]
		if a.pattern != b.pattern {
			return a.pattern < b.pattern
		}
		if a.rule != b.rule {
			return a.rule < b.rule
		}
		return a.node < b.node
	})
	out := make([]string, len(es))
	for i, e := range es {
		html := e.html
		if r := []rune(html); len(r) > 160 {
			html = string(r[:160]) + "…"
		}
		summary := strings.Join(strings.Fields(e.summary), " ")
		if r := []rune(summary); len(r) > 240 {
			summary = string(r[:240]) + "…"
		}
		out[i] = fmt.Sprintf("%s [%s; %s] rule %s (%s: %s)\n    node %s: %s\n    %s",
			e.path, strings.Join(e.langs, ","), strings.Join(e.roles, ","), e.rule, e.impact, e.help, e.node, html, summary)
	}
	return out
}

// TestBrowserA11y loads in Chromium every page each demo user reaches (one
// per page pattern, the order page in every status the user sees, the 404
// and 403 pages; the sign-in pages for an anonymous visitor), in the
// languages of browserLangs. axe-core runs inside each page;
// any violation of a WCAG 2.x A or AA rule, or a serious or critical one
// of its other rules, fails the test, listed by
// page, rule and node.
func TestBrowserA11y(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		t.Skip("no Chromium at " + chromium + "; install the chromium package to run the browser tests")
	}
	src := axeSource(t)
	db := dbtest.New(t)
	h, sets := browserPageSets(t, db, browserLangs)
	srv := httptest.NewServer(h)
	defer srv.Close()
	b := startChromium(t, srv.URL, db)
	start := time.Now()

	rep := &violationReport{entries: map[string]*violationEntry{}}
	var current string
	pages, failing := 0, 0
	for _, set := range sets {
		b.signIn(set, &current)
		for _, p := range set.pages {
			b.open(p.path)
			vs := b.axeRun(src)
			for _, v := range vs {
				rep.add(set, p.path, v)
			}
			if len(vs) > 0 {
				failing++
			}
			pages++
		}
		t.Logf("%s %-10s %3d pages", set.lang, set.who, len(set.pages))
	}
	t.Logf("axe-core %s checked %d pages in %s", b.eval(`axe.version`), pages, time.Since(start).Round(time.Millisecond))
	if pages < 100 {
		t.Errorf("only %d pages were checked", pages)
	}
	if lines := rep.lines(); len(lines) > 0 {
		t.Errorf("%d of %d pages break axe-core's rules (WCAG A/AA, or serious), %d distinct findings:\n%s",
			failing, pages, len(lines), strings.Join(lines, "\n"))
	}
}

// screenshotSubdir is screenshots/name, emptied, for the screenshots of one test,
// kept after the test so that a reader can look at them.
func screenshotSubdir(t *testing.T, name string) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join(screenshotDir, name))
	if err != nil {
		t.Fatal(err)
	}
	// A run replaces the previous run's screenshots rather than adding to them.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// screenshotName is a file name for a page's screenshot.
func screenshotName(set pageSet, path string) string {
	clean := strings.NewReplacer("/", "_", "?", "_", "&", "_", "=", "-", "%", "").Replace(strings.Trim(path, "/"))
	if clean == "" {
		clean = "home"
	}
	if len(clean) > 80 {
		clean = clean[:80]
	}
	return filepath.Join(set.lang+"-"+set.who, clean+".png")
}
