package catalog

import "testing"

// TestPluralForm holds the count line's plural forms to CLDR's rules for
// Hebrew, Arabic and English.
func TestPluralForm(t *testing.T) {
	for _, c := range []struct {
		lang string
		n    int
		want string
	}{
		{"he", 1, "one"}, {"he", 2, "two"}, {"he", 3, "other"}, {"he", 10, "other"}, {"he", 20, "other"}, {"he", 102, "other"},
		{"ar", 0, "zero"}, {"ar", 1, "one"}, {"ar", 2, "two"}, {"ar", 3, "few"}, {"ar", 10, "few"}, {"ar", 11, "many"},
		{"ar", 99, "many"}, {"ar", 100, "other"}, {"ar", 101, "other"}, {"ar", 102, "other"}, {"ar", 103, "few"},
		{"ar", 111, "many"}, {"ar", 1000, "other"},
		{"en", 1, "one"}, {"en", 0, "other"}, {"en", 2, "other"}, {"en", 21, "other"},
	} {
		if got := pluralForm(c.lang, c.n); got != c.want {
			t.Errorf("pluralForm(%q, %d) = %q, want %q", c.lang, c.n, got, c.want)
		}
	}
}
