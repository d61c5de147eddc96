package page

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"sort"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"

	"madaf/internal/assets"
	"madaf/internal/auth"
	"madaf/internal/i18n"
	"madaf/internal/web"
	"madaf/templates"
)

// Engine holds every page's parsed templates (one set per page and
// language) and the message catalogs. It is built once at start and is
// safe for concurrent use.
type Engine struct {
	fsys     fs.FS
	assets   *assets.Files
	catalogs map[string]i18n.Catalog
	// shared holds the layouts and partials every page uses, parsed once:
	// a page's set is a copy of it with the page's own file added.
	shared *template.Template
	// sets[name][lang] is the page's template set with lang's functions,
	// made on its first render.
	sets map[string]map[string]func() (*template.Template, error)

	mu  sync.RWMutex
	nav []NavItem
}

// Page is a page looked up at mount time; handlers render it.
type Page struct{ name string }

// NavItem is an entry of the header navigation, shown to users holding
// one of Roles (to every signed-in user when Roles is empty).
type NavItem struct {
	// Key is the message key of the label.
	Key  string
	Path string
	// Roles that see the item.
	Roles []string
	// Order sorts the items; the first item a user sees is their home page.
	Order int
}

// New reads the pages of fsys (templates.FS): for each pages/<name>.html
// a set of layouts/*.html, partials/*.html and that page, one per language
// with that language's functions, made on the page's first render in the
// language from the shared templates, parsed once. It parses the shared
// templates and each page's file to fail when one does not parse, and
// fails when a catalog cannot be read (the service's own catalogs, when
// fsys is templates.FS, are the ones i18n reads once for every package).
func New(fsys fs.FS) (*Engine, error) {
	e := &Engine{fsys: fsys, sets: map[string]map[string]func() (*template.Template, error){}}
	var err error
	if fsys == fs.FS(templates.FS) {
		e.catalogs, err = i18n.Catalogs() // the service's, read once
	} else {
		e.catalogs, err = i18n.Load(fsys)
	}
	if err != nil {
		return nil, err
	}
	static, err := fs.Sub(fsys, "static")
	if err != nil {
		return nil, err
	}
	if e.assets, err = assets.New(static); err != nil {
		return nil, err
	}
	shared, err := fs.Glob(fsys, "layouts/*.html")
	if err != nil {
		return nil, err
	}
	partials, err := fs.Glob(fsys, "partials/*.html")
	if err != nil {
		return nil, err
	}
	shared = append(shared, partials...)
	pages, err := fs.Glob(fsys, "pages/*.html")
	if err != nil {
		return nil, err
	}
	if len(pages) == 0 {
		return nil, fmt.Errorf("page: no pages in templates/pages")
	}
	if e.shared, err = e.parseDefault("", shared...); err != nil {
		return nil, fmt.Errorf("page: %w", err)
	}
	if err := defines(e.shared, "layout"); err != nil {
		return nil, fmt.Errorf("page: %w", err)
	}
	for _, file := range pages {
		name := strings.TrimSuffix(path.Base(file), ".html")
		// The page's file alone is parsed here, only to fail at start; its
		// set in a language is made on its first render in that language,
		// so that a service keeps only the pages and languages it serves.
		t, err := e.parseDefault(name, file)
		if err == nil {
			err = defines(t, "title", "content")
		}
		if err != nil {
			return nil, fmt.Errorf("page %s: %w", name, err)
		}
		e.sets[name] = map[string]func() (*template.Template, error){}
		for _, lang := range i18n.Langs {
			e.sets[name][lang] = sync.OnceValues(func() (*template.Template, error) { return e.parse(name, file, lang) })
		}
	}
	for _, must := range []string{"error", "login", "home"} {
		if _, ok := e.sets[must]; !ok {
			return nil, fmt.Errorf("page: the %q page is missing", must)
		}
	}
	return e, nil
}

// MustNew is New that panics: for app start, where a broken template must
// stop the service.
func MustNew(fsys fs.FS) *Engine {
	e, err := New(fsys)
	if err != nil {
		panic(err)
	}
	return e
}

// Lookup returns the page called name (its file pages/<name>.html).
func (e *Engine) Lookup(name string) (*Page, error) {
	if _, ok := e.sets[name]; !ok {
		return nil, fmt.Errorf("page: templates/pages/%s.html is missing", name)
	}
	return &Page{name: name}, nil
}

// MustPage is Lookup for mount time: a missing page panics, so that the
// service does not start without it.
func (e *Engine) MustPage(name string) *Page {
	p, err := e.Lookup(name)
	if err != nil {
		panic(err)
	}
	return p
}

// AddNav adds entries to the header navigation.
func (e *Engine) AddNav(items ...NavItem) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.nav = append(e.nav, items...)
	sort.SliceStable(e.nav, func(i, j int) bool { return e.nav[i].Order < e.nav[j].Order })
}

// navFor lists the entries p may see.
func (e *Engine) navFor(p *auth.Principal) []NavItem {
	if p == nil {
		return nil
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	var out []NavItem
	for _, n := range e.nav {
		if len(n.Roles) == 0 || p.HasAny(n.Roles...) {
			out = append(out, n)
		}
	}
	return out
}

// View is what every template receives.
type View struct {
	Lang string
	Dir  string
	// User is the caller, nil when anonymous.
	User *auth.Principal
	// OrgName is the caller's organisation in Lang ("" for the cluster).
	OrgName string
	// Path is the current path with its query, for the language switch.
	Path string
	// Section is the path of the navigation entry the page belongs to.
	Section string
	Nav     []NavItem
	// Flash is a translated one-time message from the previous redirect.
	Flash string
	// Form is the submitted form with its errors (never nil).
	Form *FormView
	// Data is what the handler passed.
	Data any
	// Status is the HTTP status of the answer.
	Status int
}

// Render draws page into a buffer and sends it with status; a template
// error sends the 500 page instead of half a page. form may be nil.
func (e *Engine) Render(c *gin.Context, status int, p *Page, data any, form *Form) {
	e.render(c, status, p.name, data, form)
}

func (e *Engine) render(c *gin.Context, status int, name string, data any, form *Form) {
	lang := LangOf(c)
	v := e.view(c, lang, status, data, form)
	var buf bytes.Buffer
	t, err := e.sets[name][lang]()
	if err == nil {
		err = t.ExecuteTemplate(&buf, "layout", v)
	}
	if err != nil {
		c.Error(fmt.Errorf("render page %s: %w", name, err))
		if name == "error" {
			c.Data(http.StatusInternalServerError, "text/plain; charset=utf-8", []byte("500 internal error"))
			c.Abort()
			return
		}
		e.render(c, http.StatusInternalServerError, "error", errorData{Status: http.StatusInternalServerError, RequestID: web.RequestID(c)}, nil)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

func (e *Engine) view(c *gin.Context, lang string, status int, data any, form *Form) *View {
	if form == nil {
		form = NewForm(nil)
	}
	p := auth.Caller(c)
	v := &View{
		Lang: lang, Dir: i18n.Dir(lang), User: p, Path: c.Request.URL.RequestURI(), Nav: e.navFor(p),
		Form: form.translated(e.catalogs[lang]), Data: data, Status: status,
	}
	for _, n := range v.Nav {
		if (c.Request.URL.Path == n.Path || strings.HasPrefix(c.Request.URL.Path, n.Path+"/")) && len(n.Path) > len(v.Section) {
			v.Section = n.Path
		}
	}
	if key := takeFlash(c); key != "" {
		v.Flash = e.catalogs[lang].T(key)
	}
	if p != nil {
		v.OrgName = p.OrgName(lang)
	}
	return v
}

// T translates key into the request's language, for handlers that build
// text outside templates (e.g. export file names).
func (e *Engine) T(c *gin.Context, key string, args ...any) string {
	return e.catalogs[LangOf(c)].T(key, args...)
}

// Catalog returns the message catalog of lang.
func (e *Engine) Catalog(lang string) i18n.Catalog { return e.catalogs[lang] }

// LangOf is the request's language: the signed-in user's choice, else the
// language cookie of an anonymous visitor, else Hebrew.
func LangOf(c *gin.Context) string {
	if p := auth.Caller(c); p != nil && validLang(p.Lang) {
		return p.Lang
	}
	if l := CookieLang(c); l != "" {
		return l
	}
	return i18n.DefaultLang
}

func validLang(l string) bool { return i18n.Supported(l) }

// parseDefault parses files with the default language's functions.
func (e *Engine) parseDefault(name string, files ...string) (*template.Template, error) {
	return template.New(name).Funcs(funcs(e.catalogs[i18n.DefaultLang], i18n.DefaultLang)).
		Funcs(template.FuncMap{"asset": e.assets.Path}).ParseFS(e.fsys, files...)
}

// defines reports the first of names that t does not define.
func defines(t *template.Template, names ...string) error {
	for _, n := range names {
		if t.Lookup(n) == nil {
			return fmt.Errorf("template %q is not defined", n)
		}
	}
	return nil
}

// parse makes a page's set in lang: a copy of the shared templates with
// lang's functions and the page's file.
func (e *Engine) parse(name, file, lang string) (*template.Template, error) {
	t, err := e.shared.Clone()
	if err == nil {
		t, err = t.Funcs(funcs(e.catalogs[lang], lang)).ParseFS(e.fsys, file)
	}
	if err != nil {
		return nil, fmt.Errorf("page %s: %w", name, err)
	}
	return t, nil
}
