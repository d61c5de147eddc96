// Package calendar has the civil Date that JSON and PostgreSQL exchange as
// YYYY-MM-DD, and the Israeli work week (Sunday–Thursday) for deadlines.
package calendar

import (
	"database/sql/driver"
	"fmt"
	"strings"
	"time"
)

// Israel is the time zone dates are read in.
var Israel = mustZone("Asia/Jerusalem")

func mustZone(name string) *time.Location {
	if loc, err := time.LoadLocation(name); err == nil {
		return loc
	}
	return time.FixedZone("IST", 2*60*60)
}

// Date is a calendar day without a time or zone. The zero Date is "no
// date": it marshals to JSON null and to SQL NULL.
type Date struct{ t time.Time }

// NewDate returns the date y-m-d.
func NewDate(y int, m time.Month, d int) Date { return Date{time.Date(y, m, d, 0, 0, 0, 0, time.UTC)} }

// DateOf returns the day t falls on in Israel.
func DateOf(t time.Time) Date {
	t = t.In(Israel)
	return NewDate(t.Year(), t.Month(), t.Day())
}

// Today is the current day in Israel.
func Today() Date { return DateOf(time.Now()) }

// Parse reads YYYY-MM-DD.
func Parse(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("%q is not a date of the form YYYY-MM-DD", s)
	}
	return Date{t}, nil
}

// MustParse is Parse for constants; it panics on a bad date.
func MustParse(s string) Date {
	d, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return d
}

// IsZero reports whether d is "no date".
func (d Date) IsZero() bool { return d.t.IsZero() }

// Time is midnight UTC of d.
func (d Date) Time() time.Time { return d.t }

// Year of d.
func (d Date) Year() int { return d.t.Year() }

// Weekday of d.
func (d Date) Weekday() time.Weekday { return d.t.Weekday() }

// String is YYYY-MM-DD, or "" for no date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.t.Format(time.DateOnly)
}

// AddDays returns d plus n days.
func (d Date) AddDays(n int) Date { return Date{d.t.AddDate(0, 0, n)} }

// Before reports whether d is before o.
func (d Date) Before(o Date) bool { return d.t.Before(o.t) }

// After reports whether d is after o.
func (d Date) After(o Date) bool { return d.t.After(o.t) }

// MarshalJSON writes "YYYY-MM-DD" or null.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + d.String() + `"`), nil
}

// UnmarshalJSON reads "YYYY-MM-DD" or null.
func (d *Date) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		*d = Date{}
		return nil
	}
	if !strings.HasPrefix(s, `"`) || !strings.HasSuffix(s, `"`) || len(s) < 2 {
		return fmt.Errorf("a date must be a string of the form YYYY-MM-DD")
	}
	v, err := Parse(s[1 : len(s)-1])
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// MarshalText and UnmarshalText let forms and query strings carry dates.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads YYYY-MM-DD; an empty text is no date.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := Parse(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Value stores d as a SQL date (NULL when zero).
func (d Date) Value() (driver.Value, error) {
	if d.IsZero() {
		return nil, nil
	}
	return d.String(), nil
}

// Scan reads a SQL date.
func (d *Date) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d = Date{}
	case time.Time:
		*d = NewDate(v.Year(), v.Month(), v.Day())
	case string:
		return d.UnmarshalText([]byte(v[:min(len(v), 10)]))
	case []byte:
		return d.UnmarshalText(v[:min(len(v), 10)])
	default:
		return fmt.Errorf("calendar: cannot scan %T into a Date", src)
	}
	return nil
}

// IsBusinessDay reports whether d is in the Israeli work week (Sunday to
// Thursday).
func IsBusinessDay(d Date) bool {
	wd := d.Weekday()
	return wd != time.Friday && wd != time.Saturday
}

// AddBusinessDays returns the business day n business days after d:
// Fridays, Saturdays and the given holidays are skipped.
func AddBusinessDays(d Date, n int, holidays ...Date) Date {
	off := make(map[string]bool, len(holidays))
	for _, h := range holidays {
		off[h.String()] = true
	}
	for n > 0 {
		d = d.AddDays(1)
		if IsBusinessDay(d) && !off[d.String()] {
			n--
		}
	}
	return d
}
