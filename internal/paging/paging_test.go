package paging

import (
	"testing"

	"madaf/internal/apperr"
)

func TestOf(t *testing.T) {
	id := func(n int64) int64 { return n }
	p := Page{Limit: 2}
	if l := Of(p, []int64{4, 9}, id); l.NextCursor != p.Cursor(2, 9) || l.NextCursor == "" {
		t.Errorf("full page: cursor %q, want %q", l.NextCursor, p.Cursor(2, 9))
	}
	if l := Of(p, []int64{4}, id); l.NextCursor != "" {
		t.Errorf("short page: cursor %q, want none", l.NextCursor)
	}
	if l := Of(p, nil, id); l.NextCursor != "" || l.Items != nil {
		t.Errorf("empty page: %+v", l)
	}
}

func TestParse(t *testing.T) {
	p, err := Parse("", "")
	if err != nil || p.Limit != 50 || p.After != 0 {
		t.Fatalf("defaults: %+v %v", p, err)
	}
	next, err := Parse("7", Page{Limit: 1}.Cursor(1, 42))
	if err != nil || next.Limit != 7 || next.After != 42 {
		t.Fatalf("cursor: %+v %v", next, err)
	}
	for _, tc := range []struct{ limit, cursor, field string }{
		{"0", "", "limit"}, {"201", "", "limit"}, {"x", "", "limit"}, {"", "!!", "cursor"}, {"", "LTE", "cursor"},
	} {
		_, err := Parse(tc.limit, tc.cursor)
		var ae *apperr.Error
		if !apperr.Is(err, apperr.KindInvalid) {
			t.Errorf("%q %q: err %v, want invalid", tc.limit, tc.cursor, err)
			continue
		}
		ae = err.(*apperr.Error)
		if len(ae.Fields) != 1 || ae.Fields[0].Field != tc.field {
			t.Errorf("%q %q: fields %+v, want %s", tc.limit, tc.cursor, ae.Fields, tc.field)
		}
	}
}
