package volumes

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
)

// Groupings of the volume figures.
const (
	GroupTender    = "tender"
	GroupAuthority = "authority"
	GroupSupplier  = "supplier"
	GroupCategory  = "category"
	GroupMonth     = "month"
)

// Groups lists the groupings in the order reports show them.
var Groups = []string{GroupTender, GroupAuthority, GroupSupplier, GroupCategory, GroupMonth}

// Filter narrows the figures. Figures are kept by month: From and To are
// the first days of the first and last months counted (zero: unbounded).
// Zero ids do not filter.
type Filter struct {
	From        calendar.Date
	To          calendar.Date
	TenderID    int64
	AuthorityID int64
	SupplierID  int64
	// sentOnly counts only the orders sent to their supplier: what a
	// supplier user may see of its orders (set by scope).
	sentOnly bool
}

// ParseFilter reads from, to, tender, authority and supplier from a query
// string. from and to are months (YYYY-MM) or dates that begin (from) or
// end (to) a month; every failing parameter is reported at once.
func ParseFilter(q url.Values) (Filter, error) {
	var f Filter
	var fields []apperr.FieldError
	for _, m := range []struct {
		name string
		end  bool
		dst  *calendar.Date
	}{{"from", false, &f.From}, {"to", true, &f.To}} {
		if s := q.Get(m.name); s != "" {
			d, fe := parseMonth(m.name, s, m.end)
			if fe != nil {
				fields = append(fields, *fe)
			}
			*m.dst = d
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From) {
		fields = append(fields, apperr.Field("to", "volumes.to_before_from"))
	}
	for _, p := range []struct {
		name string
		dst  *int64
	}{{"tender", &f.TenderID}, {"authority", &f.AuthorityID}, {"supplier", &f.SupplierID}} {
		if s := q.Get(p.name); s != "" {
			id, err := strconv.ParseInt(s, 10, 64)
			if err != nil || id <= 0 {
				fields = append(fields, apperr.Field(p.name, "volumes.must_be_id"))
			}
			*p.dst = id
		}
	}
	if len(fields) > 0 {
		return Filter{}, apperr.Invalid("volumes.bad_filter", fields...)
	}
	return f, nil
}

// parseMonth reads the parameter field, s: YYYY-MM, or a date that is the
// first (or, when end, the last) day of a month, and returns the first day
// of that month; or what is wrong with s, as field's error.
func parseMonth(field, s string, end bool) (calendar.Date, *apperr.FieldError) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse("2006-01", s); err == nil {
		return calendar.NewDate(t.Year(), t.Month(), 1), nil
	}
	d, err := calendar.Parse(s)
	if err != nil || d.Year() < 2000 || d.Year() > 2100 {
		fe := apperr.Field(field, "volumes.month_format")
		return calendar.Date{}, &fe
	}
	m := Month(d)
	switch {
	case end && d.AddDays(1) != Month(d.AddDays(1)):
		fe := apperr.Field(field, "volumes.month_last_day")
		return calendar.Date{}, &fe
	case !end && d != m:
		fe := apperr.Field(field, "volumes.month_first_day")
		return calendar.Date{}, &fe
	}
	return m, nil
}

// scope narrows f to what p may see: an authority user its own authority,
// a supplier user itself and only the orders that were sent to it (as the
// orders themselves are scoped). Asking for another authority or supplier
// answers not found, as an id out of scope does everywhere.
func scope(p *auth.Principal, f Filter) (Filter, error) {
	switch p.OrgKind {
	case auth.OrgCluster:
		return f, nil
	case auth.OrgAuthority:
		if f.AuthorityID != 0 && f.AuthorityID != p.AuthorityID {
			return f, apperr.NotFound("not_found.authority")
		}
		f.AuthorityID = p.AuthorityID
		return f, nil
	case auth.OrgSupplier:
		if f.SupplierID != 0 && f.SupplierID != p.SupplierID {
			return f, apperr.NotFound("not_found.supplier")
		}
		f.SupplierID, f.sentOnly = p.SupplierID, true
		return f, nil
	}
	return f, apperr.Forbidden("volumes.no_organisation")
}

// YearFilter is the months of year.
func YearFilter(year int) Filter {
	return Filter{From: calendar.NewDate(year, time.January, 1), To: calendar.NewDate(year, time.December, 1)}
}
