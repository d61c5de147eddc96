package volumes

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/lib/pq"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/money"
)

// Export formats.
const (
	FormatCSV  = "csv"
	FormatXLSX = "xlsx"
)

// ContentType is the media type of an export format.
func ContentType(format string) string {
	if format == FormatXLSX {
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "text/csv; charset=utf-8"
}

func newTableWriter(format string, w io.Writer) (tableWriter, error) {
	switch format {
	case FormatCSV:
		return newCSVWriter(w)
	case FormatXLSX:
		return newXLSXWriter(w)
	}
	return nil, apperr.NotFound("not_found.export_format")
}

// StatusLabels are the order statuses as exports show them.
var StatusLabels = map[string]string{
	"draft": "טיוטה", "pending_approval": "ממתינה לאישור", "sent": "נשלחה לספק", "confirmed": "אושרה על ידי הספק",
	"partially_delivered": "סופקה חלקית", "delivered": "סופקה", "closed": "סגורה", "rejected": "נדחתה", "cancelled": "בוטלה",
}

// OrderStatuses reads the status parameter of the orders export: empty
// (every status), "committed", or a comma-separated list of statuses.
func OrderStatuses(s string) ([]string, error) {
	switch s = strings.TrimSpace(s); s {
	case "":
		return nil, nil
	case "committed":
		return committedList(), nil
	}
	var out []string
	for _, st := range strings.Split(s, ",") {
		st = strings.TrimSpace(st)
		if !statuses[st] {
			return nil, apperr.Invalid("unknown status", apperr.Field("status", "%q is not an order status", st))
		}
		out = append(out, st)
	}
	return out, nil
}

// ExportOrders writes, in format, the orders p may see with the given
// statuses (all when none), narrowed by f (months by submission date), in
// order of submission. It checks the scope before writing anything.
func (s *Store) ExportOrders(ctx context.Context, p *auth.Principal, f Filter, statuses []string, format string, w io.Writer) error {
	f, err := scope(p, f)
	if err != nil {
		return err
	}
	tw, err := newTableWriter(format, w)
	if err != nil {
		return err
	}
	var args []any
	where := f.whereSubmitted(&args)
	if len(statuses) > 0 {
		args = append(args, pq.Array(statuses))
		where += fmt.Sprintf(" AND o.status = ANY($%d)", len(args))
	}
	q := `SELECT o.number, o.status, o.submitted_on, a.name_he AS authority, t.number AS tender_number,
			t.title AS tender_title, t.category, s.legal_name AS supplier, o.subtotal, o.vat, o.total, o.fee
		FROM orders o
		JOIN authorities a ON a.id = o.authority_id
		JOIN tenders t ON t.id = o.tender_id
		JOIN suppliers s ON s.id = o.supplier_id
		WHERE ` + where + ` ORDER BY o.submitted_on NULLS LAST, o.id`
	rows, err := s.db.QueryxContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	spec := tableSpec{sheet: "הזמנות", cols: []column{
		{header: "מספר הזמנה"}, {header: "סטטוס"}, {header: "תאריך הגשה", kind: colDate}, {header: "רשות"},
		{header: "מכרז"}, {header: "שם המכרז"}, {header: "קטגוריה"}, {header: "ספק"},
		{header: `סכום לפני מע"מ`, kind: colMoney, sum: true}, {header: `מע"מ`, kind: colMoney, sum: true},
		{header: `סה"כ כולל מע"מ`, kind: colMoney, sum: true}, {header: "עמלה", kind: colMoney, sum: true},
	}}
	if err := tw.begin(spec); err != nil {
		return err
	}
	for rows.Next() {
		var o struct {
			Number       string        `db:"number"`
			Status       string        `db:"status"`
			SubmittedOn  calendar.Date `db:"submitted_on"`
			Authority    string        `db:"authority"`
			TenderNumber string        `db:"tender_number"`
			TenderTitle  string        `db:"tender_title"`
			Category     string        `db:"category"`
			Supplier     string        `db:"supplier"`
			Subtotal     money.Amount  `db:"subtotal"`
			VAT          money.Amount  `db:"vat"`
			Total        money.Amount  `db:"total"`
			Fee          money.Amount  `db:"fee"`
		}
		if err := rows.StructScan(&o); err != nil {
			return err
		}
		if err := tw.row(o.Number, StatusLabels[o.Status], o.SubmittedOn, o.Authority, o.TenderNumber, o.TenderTitle,
			o.Category, o.Supplier, o.Subtotal, o.VAT, o.Total, o.Fee); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if err := tw.end(); err != nil {
		return err
	}
	return tw.finish()
}

// groupSheets names the sheet and the first column of each grouping.
var groupSheets = map[string][2]string{
	GroupTender:    {"לפי מכרז", "מכרז"},
	GroupAuthority: {"לפי רשות", "רשות"},
	GroupSupplier:  {"לפי ספק", "ספק"},
	GroupCategory:  {"לפי קטגוריה", "קטגוריה"},
	GroupMonth:     {"לפי חודש", "חודש"},
}

// ExportVolumes writes the volume figures p may see, narrowed by f: as CSV
// the one grouping group; as XLSX every grouping, one sheet each. Ceiling
// and allocation columns are the cluster's only.
func (s *Store) ExportVolumes(ctx context.Context, p *auth.Principal, group string, f Filter, format string, w io.Writer) error {
	groups := []string{group}
	if format == FormatXLSX {
		groups = Groups
	}
	var reports []*Report
	for _, g := range groups {
		rep, err := s.Volumes(ctx, p, g, f)
		if err != nil {
			return err
		}
		reports = append(reports, rep)
	}
	tw, err := newTableWriter(format, w)
	if err != nil {
		return err
	}
	for _, rep := range reports {
		names := groupSheets[rep.Group]
		cols := []column{{header: names[1]}, {header: "מס' הזמנות", kind: colCount, sum: true},
			{header: `סכום לפני מע"מ`, kind: colMoney, sum: true}, {header: `מע"מ`, kind: colMoney, sum: true},
			{header: `סה"כ כולל מע"מ`, kind: colMoney, sum: true}, {header: "עמלה", kind: colMoney, sum: true}}
		// Allocations belong to one tender and one authority: a tender's
		// row for an authority, an authority's row for a tender. Only the
		// cluster sees how much of a ceiling is used; an authority also
		// sees its own allocations.
		withCeiling := p.IsCluster() && rep.Group == GroupTender
		withAllocation := p.OrgKind != auth.OrgSupplier &&
			(rep.Group == GroupTender && rep.Filter.AuthorityID != 0 || rep.Group == GroupAuthority && rep.Filter.TenderID != 0)
		if withCeiling {
			cols = append(cols, column{header: "תקרה", kind: colMoney}, column{header: "ניצול התקרה (%)", kind: colPercent})
		}
		if withAllocation {
			cols = append(cols, column{header: "הקצאה", kind: colMoney}, column{header: "ניצול ההקצאה (%)", kind: colPercent})
		}
		if err := tw.begin(tableSpec{sheet: names[0], cols: cols}); err != nil {
			return err
		}
		for _, it := range rep.Items {
			cells := []any{it.Label, it.OrderCount, it.Subtotal, it.VAT, it.Total, it.Fee}
			if withCeiling {
				cells = append(cells, limitOf(it.Ceiling), percentOf(it.Ceiling))
			}
			if withAllocation {
				cells = append(cells, limitOf(it.Allocation), percentOf(it.Allocation))
			}
			if err := tw.row(cells...); err != nil {
				return err
			}
		}
		if err := tw.end(); err != nil {
			return err
		}
	}
	return tw.finish()
}

func limitOf(u *Utilisation) *money.Amount {
	if u == nil {
		return nil
	}
	return &u.Limit
}

func percentOf(u *Utilisation) *string {
	if u == nil {
		return nil
	}
	return &u.Percent
}

// ExportFees writes the fee accrual p may see, narrowed by f, by month,
// supplier and tender.
func (s *Store) ExportFees(ctx context.Context, p *auth.Principal, f Filter, format string, w io.Writer) error {
	fees, err := s.Fees(ctx, p, f)
	if err != nil {
		return err
	}
	tw, err := newTableWriter(format, w)
	if err != nil {
		return err
	}
	spec := tableSpec{sheet: "עמלות", cols: []column{
		{header: "חודש"}, {header: "ספק"}, {header: "מכרז"}, {header: "שם המכרז"},
		{header: "מס' הזמנות", kind: colCount, sum: true}, {header: `סכום לפני מע"מ`, kind: colMoney, sum: true},
		{header: "עמלה", kind: colMoney, sum: true},
	}}
	if err := tw.begin(spec); err != nil {
		return err
	}
	for _, r := range fees.Items {
		if err := tw.row(r.Month, r.SupplierName, r.TenderNumber, r.TenderTitle, r.OrderCount, r.Subtotal, r.Fee); err != nil {
			return err
		}
	}
	if err := tw.end(); err != nil {
		return err
	}
	return tw.finish()
}

// ExportStatement writes supplierID's fee statement for month.
func (s *Store) ExportStatement(ctx context.Context, p *auth.Principal, supplierID int64, month calendar.Date, format string, w io.Writer) error {
	st, err := s.FeeStatement(ctx, p, supplierID, month)
	if err != nil {
		return err
	}
	tw, err := newTableWriter(format, w)
	if err != nil {
		return err
	}
	spec := tableSpec{sheet: "דף עמלות " + st.Month, cols: []column{
		{header: "מספר הזמנה"}, {header: "תאריך הגשה", kind: colDate}, {header: "רשות"}, {header: "מכרז"},
		{header: "סטטוס"}, {header: `סכום לפני מע"מ`, kind: colMoney, sum: true}, {header: "אחוז עמלה", kind: colPercent},
		{header: "עמלה", kind: colMoney, sum: true},
	}}
	if err := tw.begin(spec); err != nil {
		return err
	}
	for _, l := range st.Lines {
		if err := tw.row(l.OrderNumber, l.SubmittedOn, l.AuthorityName, l.TenderNumber, StatusLabels[l.Status],
			l.Subtotal, l.FeePercent.StringFixed(2), l.Fee); err != nil {
			return err
		}
	}
	if err := tw.end(); err != nil {
		return err
	}
	return tw.finish()
}
