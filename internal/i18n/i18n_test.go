package i18n

import (
	"testing"

	"madaf/internal/apperr"
)

func TestMsg(t *testing.T) {
	c := Catalog{
		"order.state":       "an order that is %s cannot take the action %s",
		"order.status.sent": "sent",
		"plain":             "no arguments",
		"reordered":         "%[2]s before %[1]s",
	}
	for _, tt := range []struct {
		m    apperr.Msg
		want string
	}{
		{apperr.M("order.state", apperr.K("order.status.sent"), "submit"), "an order that is sent cannot take the action submit"},
		{apperr.M("plain"), "no arguments"},
		{apperr.M("plain", "ignored"), "no arguments"},
		{apperr.M("reordered", "a", "b"), "b before a"},
		{apperr.M("missing.key"), "missing.key"},
		{apperr.Msg{}, ""},
	} {
		if got := c.Msg(tt.m); got != tt.want {
			t.Errorf("Msg(%v) = %q, want %q", tt.m, got, tt.want)
		}
	}
}

// TestCatalogsAgree checks that he, ar and en hold the same keys and take
// the same number of arguments for each.
func TestCatalogsAgree(t *testing.T) {
	cats, err := Catalogs()
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range cats["he"].Keys() {
		want := verbs(cats["he"][key])
		for _, lang := range []string{"ar", "en"} {
			text, ok := cats[lang][key]
			if !ok {
				t.Errorf("%s lacks %q", lang, key)
				continue
			}
			if got := verbs(text); got != want {
				t.Errorf("%s %q takes %d arguments, he takes %d", lang, key, got, want)
			}
		}
	}
	for _, lang := range []string{"ar", "en"} {
		for _, key := range cats[lang].Keys() {
			if !cats["he"].Has(key) {
				t.Errorf("%s has %q, he does not", lang, key)
			}
		}
	}
}

// verbs counts the distinct arguments a catalog text takes.
func verbs(s string) int {
	n, pos := 0, 0
	for i := 0; i < len(s)-1; i++ {
		if s[i] != '%' {
			continue
		}
		if s[i+1] == '%' {
			i++
			continue
		}
		if s[i+1] == '[' && i+3 < len(s) {
			if k := int(s[i+2] - '0'); k > n {
				n = k
			}
			continue
		}
		pos++
		if pos > n {
			n = pos
		}
	}
	return n
}
