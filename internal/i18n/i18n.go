// Package i18n holds the message catalogs (templates/i18n/<lang>/*.json) and
// translates message keys with their arguments. Pages, mails, exports and
// the API's English detail all read from here.
package i18n

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"

	"madaf/internal/apperr"
	"madaf/templates"
)

// Langs are the languages the service speaks; the first is the default.
var Langs = []string{"he", "ar", "en"}

// DefaultLang is the language of anonymous visitors without a choice.
const DefaultLang = "he"

// Dir is the writing direction of lang: "rtl" for Hebrew and Arabic.
func Dir(lang string) string {
	if lang == "en" {
		return "ltr"
	}
	return "rtl"
}

// Supported reports whether lang is one of Langs.
func Supported(lang string) bool {
	for _, l := range Langs {
		if l == lang {
			return true
		}
	}
	return false
}

// NameIn is the name of a thing named in Hebrew (he) and, where given,
// in Arabic (ar) and English (en), in lang: lang's name when given, the
// Hebrew otherwise. It is the Go twin of the SQL function name_in
// (migrations/00205_vocabulary.sql).
func NameIn(lang, he string, ar, en *string) string {
	switch {
	case lang == "ar" && ar != nil && *ar != "":
		return *ar
	case lang == "en" && en != nil && *en != "":
		return *en
	}
	return he
}

// Catalog maps message keys to text in one language. A text takes its
// arguments with fmt verbs (%s, or %[2]s to reorder them).
type Catalog map[string]string

// T returns the text of key, formatted with args; an unknown key returns
// the key itself, so that it shows and a test catches it.
func (c Catalog) T(key string, args ...any) string {
	s, ok := c[key]
	if !ok {
		s = key
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Has reports whether the catalog holds key.
func (c Catalog) Has(key string) bool {
	_, ok := c[key]
	return ok
}

// Keys lists the catalog's keys, sorted.
func (c Catalog) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Msg translates m: its key with its arguments, an argument that is a key
// translated too. An unknown key shows as itself.
func (c Catalog) Msg(m apperr.Msg) string {
	if m.Key == "" {
		return ""
	}
	args := make([]any, len(m.Args))
	for i, a := range m.Args {
		if a.Key != "" {
			args[i] = c.T(a.Key)
		} else {
			args[i] = a.Text
		}
	}
	s := c.T(m.Key)
	if len(args) == 0 {
		return s
	}
	if !strings.Contains(s, "%") {
		return s
	}
	return fmt.Sprintf(s, args...)
}

// Enum translates a persisted value of a vocabulary: prefix.value (e.g.
// "order.status.sent").
func (c Catalog) Enum(prefix string, value any) string {
	return c.T(prefix + "." + fmt.Sprint(value))
}

// Load reads i18n/<lang>/*.json (flat objects of key → text) for every
// language. A key defined in two files of one language is an error.
func Load(fsys fs.FS) (map[string]Catalog, error) {
	out := map[string]Catalog{}
	for _, lang := range Langs {
		files, err := fs.Glob(fsys, "i18n/"+lang+"/*.json")
		if err != nil {
			return nil, err
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("i18n: no message catalog for %s", lang)
		}
		cat := Catalog{}
		from := map[string]string{}
		for _, f := range files {
			b, err := fs.ReadFile(fsys, f)
			if err != nil {
				return nil, err
			}
			var m map[string]string
			if err := json.Unmarshal(b, &m); err != nil {
				return nil, fmt.Errorf("i18n: %s: %w", f, err)
			}
			for k, v := range m {
				if prev, dup := from[k]; dup {
					return nil, fmt.Errorf("i18n: key %q is in both %s and %s", k, prev, path.Base(f))
				}
				from[k] = path.Base(f)
				cat[k] = v
			}
		}
		out[lang] = cat
	}
	return out, nil
}

var (
	once     sync.Once
	catalogs map[string]Catalog
	loadErr  error
)

// Catalogs are the service's own catalogs, read once from the embedded
// templates.
func Catalogs() (map[string]Catalog, error) {
	once.Do(func() { catalogs, loadErr = Load(templates.FS) })
	return catalogs, loadErr
}

// For is the catalog of lang (the default language's for an unknown one).
// The embedded catalogs are checked by the tests, so a failure to read them
// is a broken build and panics.
func For(lang string) Catalog {
	cats, err := Catalogs()
	if err != nil {
		panic(err)
	}
	if c, ok := cats[lang]; ok {
		return c
	}
	return cats[DefaultLang]
}
