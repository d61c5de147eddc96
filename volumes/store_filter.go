package volumes

import (
	"fmt"
	"strings"
	"time"

	"github.com/lib/pq"

	"madaf/internal/orderstatus"
)

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
	f.ids(add)
	return strings.Join(conds, " AND ")
}

// whereIDs is where without the months.
func (f Filter) whereIDs(alias string, args *[]any) string {
	if alias != "" {
		alias += "."
	}
	conds := []string{"true"}
	f.ids(func(cond string, v any) {
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
	from, to := f.monthBounds(args)
	return where + monthsOf("o.submitted_on", from, to)
}

// monthBounds appends f's months to args as the first day of the first
// month and the day after the last, and returns their placeholders ("" for
// an open end).
func (f Filter) monthBounds(args *[]any) (from, to string) {
	if !f.From.IsZero() {
		*args = append(*args, f.From)
		from = fmt.Sprintf("$%d::date", len(*args))
	}
	if !f.To.IsZero() {
		*args = append(*args, f.To.Time().AddDate(0, 1, 0).Format(time.DateOnly))
		to = fmt.Sprintf("$%d::date", len(*args))
	}
	return from, to
}

// monthsOf is the condition, " AND ..." or "", that col lies within the
// bounds monthBounds returned.
func monthsOf(col, from, to string) string {
	var where string
	if from != "" {
		where += " AND " + col + " >= " + from
	}
	if to != "" {
		where += " AND " + col + " < " + to
	}
	return where
}

func (f Filter) ids(add func(cond string, v any)) {
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
// argument, the committed states, to args.
func (f Filter) committedSource(args *[]any) string {
	if !f.sentOnly {
		return "volume_rollups"
	}
	*args = append(*args, pq.Array(orderstatus.CommittedList()))
	return fmt.Sprintf(`(SELECT tender_id, authority_id, supplier_id, category, month, 1 AS order_count,
			subtotal, vat, total, fee
		FROM volume_orders WHERE status = ANY($%d) AND sent_at IS NOT NULL) AS sent_orders`, len(*args))
}
