package app

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"madaf/internal/i18n"
	"madaf/internal/page/pagetest"
)

// A finding is one thing wrong with what a page shows.
type finding struct {
	Problem, Snippet string
}

// pageChecker finds, in an HTML page, what a reader should never see: a
// message key instead of its text, a fmt artefact and, on a Hebrew or
// Arabic page, a sentence left in English.
type pageChecker struct {
	keys     map[string]bool
	prefixes map[string]bool
}

// keyPrefixes are the features' key prefixes; the catalogs' own first
// segments are added to them.
var keyPrefixes = []string{"order", "msg", "error", "not_found", "tender", "workplan", "volumes", "supplier",
	"authority", "user", "auth", "nav", "form", "capacity", "catalog", "certificate", "login"}

// latinWords are the names that the Hebrew and Arabic catalogs write in
// Latin letters on purpose. They neither count toward an English run nor
// break one.
var latinWords = map[string]bool{
	"OCDS": true, // the Open Contracting Data Standard of the export
	"CSV":  true, // the file formats of price lists, plans and exports
	"XLSX": true,
	"JSON": true, // the API's request bodies
	"API":  true, // the API tokens
}

// newPageChecker knows every key of the service's catalogs.
func newPageChecker(t testing.TB) *pageChecker {
	t.Helper()
	cats, err := i18n.Catalogs()
	if err != nil {
		t.Fatalf("catalogs: %v", err)
	}
	ck := &pageChecker{keys: map[string]bool{}, prefixes: map[string]bool{}}
	for _, p := range keyPrefixes {
		ck.prefixes[p] = true
	}
	for _, cat := range cats {
		for k := range cat {
			ck.keys[k] = true
			if first, _, ok := strings.Cut(k, "."); ok {
				ck.prefixes[first] = true
			}
		}
	}
	return ck
}

// check returns what is wrong with page, an answer in lang.
func (ck *pageChecker) check(lang, page string) []finding {
	var out []finding
	if m := htmlLang.FindStringSubmatch(page); m == nil || m[1] != lang {
		got := "none"
		if m != nil {
			got = m[1]
		}
		out = append(out, finding{"page language", "lang=" + got})
	}
	for _, text := range visibleTexts(page) {
		out = append(out, ck.rawKeys(text.text)...)
		out = append(out, artefacts(text.text)...)
		if lang != "en" && !text.english {
			out = append(out, englishRuns(text.text)...)
		}
	}
	return out
}

var htmlLang = regexp.MustCompile(`<html lang="([a-z]+)"`)

// keyShape is a message key: lower_snake segments joined by dots.
var keyShape = regexp.MustCompile(`[a-z_]+(?:\.[a-z0-9_]+)+`)

// rawKeys finds tokens shaped like a message key that are a catalog key or
// start with a feature's prefix. A dotted name inside an e-mail address,
// a host name or a path is not one.
func (ck *pageChecker) rawKeys(text string) []finding {
	var out []finding
	for _, m := range keyShape.FindAllStringIndex(text, -1) {
		s, e := m[0], m[1]
		if s > 0 && strings.ContainsRune("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789@/-.", rune(text[s-1])) {
			continue
		}
		if e < len(text) && strings.ContainsRune("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_@/-", rune(text[e])) {
			continue
		}
		tok := text[s:e]
		first, _, _ := strings.Cut(tok, ".")
		if ck.keys[tok] || ck.prefixes[first] {
			out = append(out, finding{"raw key", tok})
		}
	}
	return out
}

// fmtVerb is a fmt verb left unformatted ("%s", "%[2]d").
var fmtVerb = regexp.MustCompile(`%(?:\[\d+\])?[sdvq]`)

// artefacts finds what fmt and text/template print for a mistake.
func artefacts(text string) []finding {
	var out []finding
	for _, marker := range []string{"%!", "<no value>"} {
		if i := strings.Index(text, marker); i >= 0 {
			out = append(out, finding{"fmt artefact", around(text, i)})
		}
	}
	if loc := fmtVerb.FindStringIndex(text); loc != nil {
		out = append(out, finding{"fmt artefact", around(text, loc[0])})
	}
	return out
}

// around is the text near byte i, for a report.
func around(text string, i int) string {
	r := []rune(text)
	pos := len([]rune(text[:i]))
	from, to := max(pos-30, 0), min(pos+40, len(r))
	return string(r[from:to])
}

// notProse are the Latin strings that are data, not words: e-mail
// addresses, URLs, ISO dates and times, and codes (MED-001, 01/2024,
// 2026-0007). Each becomes a break between runs.
var notProse = []*regexp.Regexp{
	regexp.MustCompile(`[\w.+-]+@[\w-]+(?:\.[\w-]+)+`),
	regexp.MustCompile(`(?:https?://|www\.)\S+`),
	regexp.MustCompile(`\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?`),
	regexp.MustCompile(`\b[A-Za-z]{1,8}-\d[\w-]*`),
	regexp.MustCompile(`\d+(?:/\d+)+`),
	regexp.MustCompile(`\d{4}-\d{3,}`),
}

// latinWord is an ASCII word of two letters or more, with inner
// apostrophes or hyphens (Giv'at, mini-competition).
var latinWord = regexp.MustCompile(`^[A-Za-z]{2,}(?:['’-][A-Za-z]+)*$`)

// wordEdges are the punctuation marks that may stick to a word in a
// sentence.
const wordEdges = `.,;:!?()[]{}"'«»“”„…`

// englishRuns finds runs of three or more consecutive ASCII words: on a
// Hebrew or Arabic page that is a sentence left in English. The runs of one
// text make one finding, joined by " … ".
func englishRuns(text string) []finding {
	for _, re := range notProse {
		text = re.ReplaceAllString(text, " · ")
	}
	var runs, run []string
	words := 0
	flush := func() {
		if words >= 3 {
			runs = append(runs, strings.Join(run, " "))
		}
		run, words = run[:0], 0
	}
	for _, tok := range strings.Fields(text) {
		w := strings.Trim(tok, wordEdges)
		switch {
		case latinWords[w]:
			run = append(run, tok)
		case latinWord.MatchString(w):
			run = append(run, tok)
			words++
		case len(w) == 1 && w[0] < 0x80 && (w[0]|0x20) >= 'a' && (w[0]|0x20) <= 'z':
			run = append(run, tok) // "a", "I": not a word, part of the sentence
		default:
			flush()
		}
	}
	flush()
	if len(runs) == 0 {
		return nil
	}
	return []finding{{"English text", strings.Join(runs, " … ")}}
}

// visibleTexts returns the page's text as a reader sees or hears it, one
// string per text node or attribute: text outside scripts and styles, the
// title, placeholder, aria-label and alt attributes, and the label (value)
// of input buttons. A <button>'s value is sent, not shown: its label is its
// text.
//
// A text inside an element marked lang="en" (an English value the page
// shows as data, such as a record's English name in the audit trail) is
// marked english: it is meant to be English.
func visibleTexts(page string) []shownText {
	z := html.NewTokenizer(strings.NewReader(page))
	var out []shownText
	hidden := 0
	// enTag is the element marked lang="en" the tokenizer is inside, and
	// enDepth how deep in elements of its name.
	enTag, enDepth := "", 0
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return out
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			if tok.Data == "script" || tok.Data == "style" {
				if tt == html.StartTagToken {
					hidden++
				}
				continue
			}
			if tt == html.StartTagToken {
				switch {
				case enTag == "" && attr(tok, "lang") == "en":
					enTag, enDepth = tok.Data, 1
				case tok.Data == enTag:
					enDepth++
				}
			}
			for _, a := range tok.Attr {
				switch a.Key {
				case "title", "placeholder", "aria-label", "alt":
					out = append(out, shownText{a.Val, enTag != ""})
				case "value":
					if tok.Data == "input" && slices.Contains([]string{"submit", "button", "reset"}, attr(tok, "type")) {
						out = append(out, shownText{a.Val, enTag != ""})
					}
				}
			}
		case html.EndTagToken:
			tok := z.Token()
			if (tok.Data == "script" || tok.Data == "style") && hidden > 0 {
				hidden--
			}
			if tok.Data == enTag {
				if enDepth--; enDepth == 0 {
					enTag = ""
				}
			}
		case html.TextToken:
			if hidden == 0 {
				if s := strings.TrimSpace(string(z.Text())); s != "" {
					out = append(out, shownText{s, enTag != ""})
				}
			}
		}
	}
}

// shownText is a text of a page; english when an element marks it so.
type shownText struct {
	text    string
	english bool
}

func attr(tok html.Token, key string) string {
	for _, a := range tok.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasAttr(tok html.Token, key string) bool {
	for _, a := range tok.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

// pageLinks are the hrefs of the page's anchors, in document order.
func pageLinks(page string) []string {
	z := html.NewTokenizer(strings.NewReader(page))
	var out []string
	for {
		switch z.Next() {
		case html.ErrorToken:
			return out
		case html.StartTagToken:
			if tok := z.Token(); tok.Data == "a" {
				if href := attr(tok, "href"); href != "" {
					out = append(out, href)
				}
			}
		}
	}
}

// formField is one control of a form as the page draws it.
type formField struct {
	Name string
	// Type is the input's type, or "select", "textarea", "button".
	Type    string
	Value   string
	Numeric bool // inputmode decimal or numeric
	Checked bool
	Options []string
}

// htmlForm is a form of a page.
type htmlForm struct {
	Action, Method, Enctype, ID string
	Fields                      []formField
}

// pageForms are the page's forms with their controls, in document order.
func pageForms(page string) []htmlForm {
	z := html.NewTokenizer(strings.NewReader(page))
	var out []htmlForm
	var cur *htmlForm
	var open *formField // the select or textarea being read
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return out
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			if tok.Data == "form" {
				cur = &htmlForm{Action: attr(tok, "action"), Method: strings.ToLower(attr(tok, "method")),
					Enctype: attr(tok, "enctype"), ID: attr(tok, "id")}
				continue
			}
			if cur == nil {
				continue
			}
			switch tok.Data {
			case "input":
				if hasAttr(tok, "disabled") {
					continue
				}
				typ := strings.ToLower(attr(tok, "type"))
				if typ == "" {
					typ = "text"
				}
				im := attr(tok, "inputmode")
				cur.Fields = append(cur.Fields, formField{Name: attr(tok, "name"), Type: typ, Value: attr(tok, "value"),
					Numeric: im == "decimal" || im == "numeric", Checked: hasAttr(tok, "checked")})
			case "button":
				cur.Fields = append(cur.Fields, formField{Name: attr(tok, "name"), Type: "button", Value: attr(tok, "value")})
			case "select":
				open = &formField{Name: attr(tok, "name"), Type: "select"}
			case "textarea":
				open = &formField{Name: attr(tok, "name"), Type: "textarea"}
			case "option":
				if open != nil {
					v := attr(tok, "value")
					open.Options = append(open.Options, v)
					if hasAttr(tok, "selected") || len(open.Options) == 1 {
						open.Value = v
					}
				}
			}
		case html.TextToken:
			if open != nil && open.Type == "textarea" {
				open.Value = string(z.Text())
			}
		case html.EndTagToken:
			tok := z.Token()
			switch {
			case tok.Data == "form" && cur != nil:
				out = append(out, *cur)
				cur = nil
			case (tok.Data == "select" || tok.Data == "textarea") && open != nil && cur != nil:
				cur.Fields = append(cur.Fields, *open)
				open = nil
			}
		}
	}
}

// hasInputs reports whether the form asks for something: a control other
// than hidden inputs and buttons. A form of buttons only is an action
// (publish, suspend, carry over) and is not submitted empty.
func (f htmlForm) hasInputs() bool {
	for _, fl := range f.Fields {
		if fl.Name != "" && !slices.Contains([]string{"hidden", "button", "submit", "reset", "image"}, fl.Type) {
			return true
		}
	}
	return false
}

// values is what a browser sends for the form as drawn, pressing its last
// named button.
func (f htmlForm) values() url.Values {
	return f.fill(func(fl formField) (string, bool) {
		switch fl.Type {
		case "checkbox", "radio":
			if !fl.Checked {
				return "", false
			}
			if fl.Value == "" {
				return "on", true
			}
		case "file":
			return "", false
		}
		return fl.Value, true
	})
}

// empty is the form with every field left empty: hidden fields as drawn,
// no box ticked, no file.
func (f htmlForm) empty() url.Values {
	return f.fill(func(fl formField) (string, bool) {
		switch fl.Type {
		case "hidden":
			return fl.Value, true
		case "checkbox", "radio", "file":
			return "", false
		}
		return "", true
	})
}

// bad is the form with a wrong value in each field that has a shape (a
// date, a number, an e-mail address, a choice) and the others empty. ok
// is false when no field has a shape.
func (f htmlForm) bad() (v url.Values, ok bool) {
	v = f.fill(func(fl formField) (string, bool) {
		switch {
		case fl.Type == "hidden":
			return fl.Value, true
		case fl.Type == "checkbox" || fl.Type == "radio" || fl.Type == "file":
			return "", false
		case fl.Type == "date":
			ok = true
			return "2024-02-30", true
		case fl.Type == "number" || fl.Numeric:
			ok = true
			return "abc", true
		case fl.Type == "email":
			ok = true
			return "not-an-email", true
		case fl.Type == "select":
			ok = true
			return "999999999", true
		}
		return "", true
	})
	return v, ok
}

func (f htmlForm) fill(value func(formField) (string, bool)) url.Values {
	v := url.Values{}
	var button *formField
	for i, fl := range f.Fields {
		if fl.Name == "" {
			continue
		}
		if fl.Type == "button" || fl.Type == "submit" {
			button = &f.Fields[i]
			continue
		}
		if s, ok := value(fl); ok {
			v.Add(fl.Name, s)
		}
	}
	if button != nil {
		v.Set(button.Name, button.Value)
	}
	return v
}

// formByID is the page's form with that id (false when none).
func formByID(page, id string) (htmlForm, bool) {
	for _, f := range pageForms(page) {
		if f.ID == id {
			return f, true
		}
	}
	return htmlForm{}, false
}

// postForm sends v to the form's action as the browser would encode it.
func postForm(c *pagetest.Client, f htmlForm, v url.Values) *pagetest.Response {
	if f.Enctype != "multipart/form-data" {
		return c.Post(f.Action, v)
	}
	return postMultipart(c, f.Action, v, nil)
}

// upload is a file sent with a multipart form.
type upload struct {
	field, name, content string
}

// postMultipart sends v, and file when not nil, to action as a
// multipart/form-data form from this site.
func postMultipart(c *pagetest.Client, action string, v url.Values, file *upload) *pagetest.Response {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, s := range v[k] {
			mw.WriteField(k, s)
		}
	}
	if file != nil {
		fw, _ := mw.CreateFormFile(file.field, file.name)
		fw.Write([]byte(file.content))
	}
	mw.Close()
	req := httptest.NewRequest(http.MethodPost, action, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return c.Do(req)
}

var digits = regexp.MustCompile(`^\d+$`)

// pathPattern is path with its ids replaced by N and only the names of its
// query parameters: the pages a walk counts as one.
func pathPattern(path string) string {
	p, q, _ := strings.Cut(path, "?")
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if digits.MatchString(s) {
			segs[i] = "N"
		}
	}
	out := strings.Join(segs, "/")
	if vals, err := url.ParseQuery(q); err == nil && len(vals) > 0 {
		keys := make([]string, 0, len(vals))
		for k := range vals {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		out += "?" + strings.Join(keys, "&")
	}
	return out
}

// walkable reports whether the walk follows href: a page of this site,
// not the API, a static file, a download or the logout.
func walkable(href string) bool {
	if !strings.HasPrefix(href, "/") || strings.HasPrefix(href, "//") {
		return false
	}
	p, _, _ := strings.Cut(href, "?")
	for _, prefix := range []string{"/api/", "/static/", "/logout", "/lang"} {
		if strings.HasPrefix(p, prefix) {
			return false
		}
	}
	if strings.Contains(p, "/exports") {
		return false
	}
	for _, ext := range []string{".csv", ".xlsx", ".json", ".pdf", ".txt", ".xml"} {
		if strings.HasSuffix(p, ext) {
			return false
		}
	}
	return true
}

// report collects the findings of every walk, merged by page pattern,
// problem and snippet.
type report struct {
	entries map[string]*reportEntry
}

type reportEntry struct {
	pattern, problem, snippet, path string
	langs, roles                    []string
}

func newReport() *report { return &report{entries: map[string]*reportEntry{}} }

func (r *report) add(lang, role, path, problem, snippet string) {
	pat := pathPattern(strings.TrimSpace(path))
	key := pat + "\x00" + problem + "\x00" + snippet
	e, ok := r.entries[key]
	if !ok {
		e = &reportEntry{pattern: pat, problem: problem, snippet: snippet, path: path}
		r.entries[key] = e
	}
	if !slices.Contains(e.langs, lang) {
		e.langs = append(e.langs, lang)
	}
	if !slices.Contains(e.roles, role) {
		e.roles = append(e.roles, role)
	}
}

// lines are the findings as `lang role path: problem: "snippet"`, sorted
// by page, then problem and snippet.
func (r *report) lines() []string {
	es := make([]*reportEntry, 0, len(r.entries))
	for _, e := range r.entries {
		es = append(es, e)
	}
	sort.Slice(es, func(i, j int) bool {
		a, b := es[i], es[j]
		if a.pattern != b.pattern {
			return a.pattern < b.pattern
		}
		if a.problem != b.problem {
			return a.problem < b.problem
		}
		return a.snippet < b.snippet
	})
	out := make([]string, len(es))
	for i, e := range es {
		snippet := e.snippet
		if r := []rune(snippet); len(r) > 120 {
			snippet = string(r[:120]) + "…"
		}
		out[i] = fmt.Sprintf("%s %s %s: %s: %q", strings.Join(e.langs, ","), strings.Join(e.roles, ","), e.path, e.problem, snippet)
	}
	return out
}
