package paging

import (
	"strconv"
	"testing"

	"madaf/internal/apperr"
)

// FuzzParse sends any limit and cursor a client may put in a query string:
// Parse either refuses them as invalid, naming the field, or gives a page
// of 1 to 200 rows after a key that is not negative, whose cursor leads
// back to the same key.
func FuzzParse(f *testing.F) {
	for _, seed := range []struct{ limit, cursor string }{
		{"", ""}, {"50", ""}, {"1", "NDI"}, {"200", Page{Limit: 1}.Cursor(1, 9223372036854775807)},
		{"0", ""}, {"201", ""}, {"-1", ""}, {"1e3", ""}, {" 5", ""}, {"+7", ""}, {"0x10", ""},
		{"", "!!"}, {"", "LTE"}, {"", "MA"}, {"", "MDA"}, {"", "KzU"}, {"", "OTIyMzM3MjAzNjg1NDc3NTgwOA"},
		{"", "NDI="}, {"", "\x00"}, {"99999999999999999999", "NDI"},
	} {
		f.Add(seed.limit, seed.cursor)
	}
	f.Fuzz(func(t *testing.T, limit, cursor string) {
		p, err := Parse(limit, cursor)
		if err != nil {
			ae, ok := err.(*apperr.Error)
			if !ok || ae.Kind != apperr.KindInvalid || len(ae.Fields) != 1 {
				t.Fatalf("Parse(%q, %q): %#v, want one invalid field", limit, cursor, err)
			}
			if f := ae.Fields[0].Field; f != "limit" && f != "cursor" {
				t.Fatalf("Parse(%q, %q): field %q", limit, cursor, f)
			}
			return
		}
		if p.Limit < 1 || p.Limit > 200 {
			t.Fatalf("Parse(%q, %q): limit %d", limit, cursor, p.Limit)
		}
		if limit == "" && p.Limit != 50 {
			t.Fatalf("Parse(%q, %q): default limit %d", limit, cursor, p.Limit)
		}
		if n, err := strconv.Atoi(limit); limit != "" && (err != nil || n != p.Limit) {
			t.Fatalf("Parse(%q, %q): limit %d", limit, cursor, p.Limit)
		}
		if p.After < 0 || cursor == "" && p.After != 0 {
			t.Fatalf("Parse(%q, %q): after %d", limit, cursor, p.After)
		}
		next := p.Cursor(p.Limit, p.After)
		back, err := Parse(strconv.Itoa(p.Limit), next)
		if err != nil || back != p {
			t.Fatalf("the cursor %q of %+v parses to %+v, %v", next, p, back, err)
		}
	})
}
