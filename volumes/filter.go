package volumes

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"

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
	if s := q.Get("from"); s != "" {
		m, err := parseMonth(s, false)
		if err != nil {
			fields = append(fields, apperr.Field("from", "%s", err.Error()))
		}
		f.From = m
	}
	if s := q.Get("to"); s != "" {
		m, err := parseMonth(s, true)
		if err != nil {
			fields = append(fields, apperr.Field("to", "%s", err.Error()))
		}
		f.To = m
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From) {
		fields = append(fields, apperr.Field("to", "is before from"))
	}
	for _, p := range []struct {
		name string
		dst  *int64
	}{{"tender", &f.TenderID}, {"authority", &f.AuthorityID}, {"supplier", &f.SupplierID}} {
		if s := q.Get(p.name); s != "" {
			id, err := strconv.ParseInt(s, 10, 64)
			if err != nil || id <= 0 {
				fields = append(fields, apperr.Field(p.name, "must be an id"))
			}
			*p.dst = id
		}
	}
	if len(fields) > 0 {
		return Filter{}, apperr.Invalid("the figures' filter is invalid", fields...)
	}
	return f, nil
}

// ParseMonth reads a month as YYYY-MM (or the first day of a month).
func ParseMonth(s string) (calendar.Date, error) { return parseMonth(s, false) }

// parseMonth reads YYYY-MM, or a date that is the first (or, when end, the
// last) day of a month, and returns the first day of that month.
func parseMonth(s string, end bool) (calendar.Date, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse("2006-01", s); err == nil {
		return calendar.NewDate(t.Year(), t.Month(), 1), nil
	}
	d, err := calendar.Parse(s)
	if err != nil || d.Year() < 2000 || d.Year() > 2100 {
		return calendar.Date{}, fmt.Errorf("must be a month, YYYY-MM")
	}
	m := Month(d)
	if end && d.AddDays(1) != Month(d.AddDays(1)) || !end && d != m {
		what := "first"
		if end {
			what = "last"
		}
		return calendar.Date{}, fmt.Errorf("figures are kept by month: give YYYY-MM or the %s day of a month", what)
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
	return f, apperr.Forbidden("no organisation")
}

// where is the SQL condition of f over a table with tender_id,
// authority_id, supplier_id and month columns (alias a, may be ""), with
// its arguments appended to args.
func (f Filter) where(alias string, args *[]any) string {
	if alias != "" {
		alias += "."
	}
	conds := []string{"true"}
	add := func(cond string, v any) {
		*args = append(*args, v)
		conds = append(conds, fmt.Sprintf(cond, alias, len(*args)))
	}
	if !f.From.IsZero() {
		add("%smonth >= $%d", f.From)
	}
	if !f.To.IsZero() {
		add("%smonth <= $%d", f.To)
	}
	f.ids(alias, add)
	return strings.Join(conds, " AND ")
}

// whereIDs is where without the months.
func (f Filter) whereIDs(alias string, args *[]any) string {
	if alias != "" {
		alias += "."
	}
	conds := []string{"true"}
	f.ids(alias, func(cond string, v any) {
		*args = append(*args, v)
		conds = append(conds, fmt.Sprintf(cond, alias, len(*args)))
	})
	return strings.Join(conds, " AND ")
}

// whereSubmitted is whereIDs with the months applied to the day the
// orders (alias o) were submitted, and for a supplier user only the orders
// sent to it.
func (f Filter) whereSubmitted(args *[]any) string {
	where := f.whereIDs("o", args)
	if f.sentOnly {
		where += " AND o.sent_at IS NOT NULL"
	}
	if !f.From.IsZero() {
		*args = append(*args, f.From)
		where += fmt.Sprintf(" AND o.submitted_on >= $%d", len(*args))
	}
	if !f.To.IsZero() {
		*args = append(*args, f.To.Time().AddDate(0, 1, 0).Format(time.DateOnly))
		where += fmt.Sprintf(" AND o.submitted_on < $%d", len(*args))
	}
	return where
}

func (f Filter) ids(alias string, add func(cond string, v any)) {
	if f.TenderID != 0 {
		add("%stender_id = $%d", f.TenderID)
	}
	if f.AuthorityID != 0 {
		add("%sauthority_id = $%d", f.AuthorityID)
	}
	if f.SupplierID != 0 {
		add("%ssupplier_id = $%d", f.SupplierID)
	}
}

// committedSource is the table committed orders' amounts are summed from,
// with the columns of volume_rollups' key and amounts: the rollups, or for
// a supplier user the ledger of its committed orders that were sent to it
// (the rollups also count those still pending approval). It appends its
// argument to args.
func (f Filter) committedSource(args *[]any) string {
	if !f.sentOnly {
		return "volume_rollups"
	}
	*args = append(*args, pq.Array(committedList()))
	return fmt.Sprintf(`(SELECT tender_id, authority_id, supplier_id, category, month, 1 AS order_count,
			subtotal, vat, total, fee
		FROM volume_orders WHERE status = ANY($%d) AND sent_at IS NOT NULL) AS sent_orders`, len(*args))
}

// YearFilter is the months of year.
func YearFilter(year int) Filter {
	return Filter{From: calendar.NewDate(year, time.January, 1), To: calendar.NewDate(year, time.December, 1)}
}
