package page

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
)

// Catalog maps message keys to text in one language.
type Catalog map[string]string

// T returns the text of key, formatted with args (fmt verbs); an unknown
// key returns the key itself, so that it shows and a test catches it.
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

// LoadCatalogs reads i18n/<lang>/*.json (flat objects of key → text) for
// every language. A key defined in two files of one language is an error.
func LoadCatalogs(fsys fs.FS) (map[string]Catalog, error) {
	out := map[string]Catalog{}
	for _, lang := range Langs {
		files, err := fs.Glob(fsys, "i18n/"+lang+"/*.json")
		if err != nil {
			return nil, err
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("page: no message catalog for %s", lang)
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
				return nil, fmt.Errorf("page: %s: %w", f, err)
			}
			for k, v := range m {
				if prev, dup := from[k]; dup {
					return nil, fmt.Errorf("page: key %q is in both %s and %s", k, prev, path.Base(f))
				}
				from[k] = path.Base(f)
				cat[k] = v
			}
		}
		out[lang] = cat
	}
	return out, nil
}

// messagePatterns turn the English field messages of validators and stores
// into catalog keys with their arguments, so that a form shows them in the
// user's language.
var messagePatterns = []struct {
	re  *regexp.Regexp
	key string
}{
	{regexp.MustCompile(`^(is required|at least one .* is required)$`), "msg.required"},
	{regexp.MustCompile(`^must be an e-mail address$`), "msg.email"},
	{regexp.MustCompile(`^must be greater than zero$`), "msg.positive"},
	{regexp.MustCompile(`^must be confirmed by the treasurer's signature$`), "msg.treasurer_check"},
	{regexp.MustCompile(`^must be at least (\S+)$`), "msg.min"},
	{regexp.MustCompile(`^must be at most (\S+)$`), "msg.max"},
	{regexp.MustCompile(`^must be greater than (\S+)$`), "msg.gt"},
	{regexp.MustCompile(`^must be less than (\S+)$`), "msg.lt"},
	{regexp.MustCompile(`^must have at least (\S+) items or characters$`), "msg.min_len"},
	{regexp.MustCompile(`^must have at most (\S+) items or characters$`), "msg.max_len"},
	{regexp.MustCompile(`^must be one of: (.+)$`), "msg.oneof"},
	{regexp.MustCompile(`^must be a (?:whole )?number.*$`), "msg.number"},
	{regexp.MustCompile(`^must be a date.*$`), "msg.date"},
	{regexp.MustCompile(`^must be a valid Israeli company number.*$`), "msg.company_number"},
	{regexp.MustCompile(`^must have at least 10 characters$`), "msg.password_len"},
	// The conflicts an order's actions meet most.
	{regexp.MustCompile(`^an order that is \S+ cannot take the action \S+$`), "msg.order_state"},
	{regexp.MustCompile(`^the order was changed meanwhile; reload it$`), "msg.order_changed"},
	{regexp.MustCompile(`^you drafted this order: another signatory must sign it$`), "msg.own_order"},
	{regexp.MustCompile(`^(?:you have already signed this order|this signature was already given)`), "msg.signed_already"},
	{regexp.MustCompile(`^no signature you may give is awaited on this order$`), "msg.no_signature_due"},
	{regexp.MustCompile(`^the \S+ has already signed this order$`), "msg.role_signed"},
	{regexp.MustCompile(`^the order needs no \S+ signature`), "msg.signature_not_needed"},
	{regexp.MustCompile(`^only the .+ may \S+ an order$`), "msg.not_your_action"},
	{regexp.MustCompile(`^the order cannot be sent to the supplier: (.+)$`), "msg.cannot_send"},
	{regexp.MustCompile(`^the supplier is suspended: (.*)$`), "msg.supplier_suspended"},
	{regexp.MustCompile(`^no .*\((.+)\) certificate on file$`), "msg.certificate_missing"},
	{regexp.MustCompile(`^the .*\((.+)\) certificate expired on (\S+)$`), "msg.certificate_expired"},
}

// Message translates a field or error message: a catalog key is looked up,
// a known English validator message is translated, anything else is shown
// as it is.
func (c Catalog) Message(msg string) string {
	if c.Has(msg) {
		return c[msg]
	}
	for _, p := range messagePatterns {
		m := p.re.FindStringSubmatch(msg)
		if m == nil || !c.Has(p.key) {
			continue
		}
		args := make([]any, 0, len(m)-1)
		for _, a := range m[1:] {
			args = append(args, a)
		}
		if strings.Count(c[p.key], "%") == 0 {
			return c[p.key]
		}
		return c.T(p.key, args...)
	}
	return msg
}
