package calendar_test

import (
	"encoding/json"
	"testing"

	"madaf/internal/calendar"
)

func TestAddBusinessDays(t *testing.T) {
	d := calendar.MustParse
	tests := []struct {
		name     string
		from     string
		n        int
		holidays []calendar.Date
		want     string
	}{
		{"WithinTheWeek", "2026-11-22", 3, nil, "2026-11-25"},                           // Sunday → Wednesday
		{"OverTheWeekend", "2026-11-26", 1, nil, "2026-11-29"},                          // Thursday → Sunday
		{"FromFriday", "2026-11-27", 1, nil, "2026-11-29"},                              // Friday → Sunday
		{"OverPesach", "2026-03-31", 3, []calendar.Date{d("2026-04-02")}, "2026-04-06"}, // Tuesday; Thursday is a holiday
		{"HolidayOnSaturdayChangesNothing", "2026-09-24", 1, []calendar.Date{d("2026-09-26")}, "2026-09-27"},
		{"Zero", "2026-11-22", 0, nil, "2026-11-22"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := calendar.AddBusinessDays(d(tt.from), tt.n, tt.holidays...); got.String() != tt.want {
				t.Fatalf("AddBusinessDays(%s, %d) = %s, want %s", tt.from, tt.n, got, tt.want)
			}
		})
	}
}

func TestDateJSON(t *testing.T) {
	var v struct {
		D calendar.Date `json:"d"`
		E calendar.Date `json:"e"`
	}
	if err := json.Unmarshal([]byte(`{"d":"2026-02-28","e":null}`), &v); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(v)
	if string(b) != `{"d":"2026-02-28","e":null}` {
		t.Fatalf("round trip %s", b)
	}
	for _, bad := range []string{`{"d":"2026-02-30"}`, `{"d":"28/02/2026"}`, `{"d":20260228}`} {
		if err := json.Unmarshal([]byte(bad), &v); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}
