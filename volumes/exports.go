package volumes

import (
	"context"
	"io"
	"strings"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/i18n"
	"madaf/internal/money"
	"madaf/internal/orderstatus"
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

// newTableWriter writes tables in format to w, their headers and labels in
// lang (Hebrew when lang is not one of the service's languages); a
// workbook's properties name it as doc.
func newTableWriter(format string, w io.Writer, lang string, doc document) (tableWriter, error) {
	switch format {
	case FormatCSV:
		return newCSVWriter(w, i18n.For(lang))
	case FormatXLSX:
		return newXLSXWriter(w, lang, doc)
	}
	return nil, apperr.NotFound("not_found.export_format")
}

// The exports' documents.
var (
	ordersDocument    = document{title: "volumes.workbook.orders", subject: "volumes.workbook.orders_subject"}
	volumesDocument   = document{title: "volumes.workbook.volumes", subject: "volumes.workbook.volumes_subject"}
	feesDocument      = document{title: "volumes.workbook.fees", subject: "volumes.workbook.fees_subject"}
	statementDocument = document{title: "volumes.workbook.statement", subject: "volumes.workbook.statement_subject"}
)

// statusLabel is an order status as the pages name it, in cat's language.
func statusLabel(cat i18n.Catalog, status string) string { return cat.Enum("order_status", status) }

// OrderStatuses reads the status parameter of the orders export: empty
// (every status), "committed", or a comma-separated list of statuses.
func OrderStatuses(s string) ([]string, error) {
	switch s = strings.TrimSpace(s); s {
	case "":
		return nil, nil
	case "committed":
		return orderstatus.CommittedList(), nil
	}
	var out []string
	for _, st := range strings.Split(s, ",") {
		st = strings.TrimSpace(st)
		if !orderstatus.Valid(st) {
			return nil, apperr.Invalid("volumes.unknown_status", apperr.Field("status", "volumes.not_order_status", st))
		}
		out = append(out, st)
	}
	return out, nil
}

// ordersTable is the orders export's table.
var ordersTable = tableSpec{sheet: "volumes.sheet.orders", cols: []column{
	{key: "volumes.column.order_number"}, {key: "volumes.column.status"},
	{key: "volumes.column.submitted_on", kind: colDate}, {key: "volumes.column.authority"},
	{key: "volumes.column.tender"}, {key: "volumes.column.tender_title"}, {key: "volumes.column.category"},
	{key: "volumes.column.supplier"},
	{key: "volumes.column.subtotal", kind: colMoney, sum: true}, {key: "volumes.column.vat", kind: colMoney, sum: true},
	{key: "volumes.column.total", kind: colMoney, sum: true}, {key: "volumes.column.fee_expected", kind: colMoney, sum: true},
}}

// ExportOrders writes, in format, the orders p may see with the given
// statuses (all when none), narrowed by f (months by submission date), in
// order of submission, in p's language. It checks the scope before writing
// anything.
func (s *Store) ExportOrders(ctx context.Context, p *auth.Principal, f Filter, statuses []string, format string, w io.Writer) (err error) {
	defer apperr.Wrap(&err, "volumes.Store.ExportOrders(%v, %v, %s)", f, statuses, format)
	f, err = scope(p, f)
	if err != nil {
		return err
	}
	tw, err := newTableWriter(format, w, p.Lang, ordersDocument)
	if err != nil {
		return err
	}
	if err := tw.begin(ordersTable); err != nil {
		return err
	}
	cat := i18n.For(p.Lang)
	err = s.eachExportedOrder(ctx, f, statuses, p.Lang, func(o *exportedOrder) error {
		return tw.row(o.Number, statusLabel(cat, o.Status), o.SubmittedOn, o.Authority, o.TenderNumber, o.TenderTitle,
			o.Category, o.Supplier, o.Subtotal, o.VAT, o.Total, o.Fee)
	})
	if err != nil {
		return err
	}
	if err := tw.end(); err != nil {
		return err
	}
	return tw.finish()
}

// ExportVolumes writes the volume figures p may see, narrowed by f, in p's
// language: as CSV the one grouping group; as XLSX every grouping, one
// sheet each. Ceiling and allocation columns are the cluster's only.
func (s *Store) ExportVolumes(ctx context.Context, p *auth.Principal, group string, f Filter, format string, w io.Writer) (err error) {
	defer apperr.Wrap(&err, "volumes.Store.ExportVolumes(%s, %v, %s)", group, f, format)
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
	tw, err := newTableWriter(format, w, p.Lang, volumesDocument)
	if err != nil {
		return err
	}
	for _, rep := range reports {
		cols := []column{{key: "volumes.column." + rep.Group}, {key: "volumes.column.order_count", kind: colCount, sum: true},
			{key: "volumes.column.subtotal", kind: colMoney, sum: true}, {key: "volumes.column.vat", kind: colMoney, sum: true},
			{key: "volumes.column.total", kind: colMoney, sum: true}, {key: "volumes.column.fee_expected", kind: colMoney, sum: true}}
		// Allocations belong to one tender and one authority: a tender's
		// row for an authority, an authority's row for a tender. Only the
		// cluster sees how much of a ceiling is used; an authority also
		// sees its own allocations.
		withCeiling := p.IsCluster() && rep.Group == GroupTender
		withAllocation := p.OrgKind != auth.OrgSupplier &&
			(rep.Group == GroupTender && rep.Filter.AuthorityID != 0 || rep.Group == GroupAuthority && rep.Filter.TenderID != 0)
		if withCeiling {
			cols = append(cols, column{key: "volumes.column.ceiling", kind: colMoney},
				column{key: "volumes.column.ceiling_percent", kind: colPercent})
		}
		if withAllocation {
			cols = append(cols, column{key: "volumes.column.allocation", kind: colMoney},
				column{key: "volumes.column.allocation_percent", kind: colPercent})
		}
		if err := tw.begin(tableSpec{sheet: "volumes.sheet.by_" + rep.Group, cols: cols}); err != nil {
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

// feesTable is the fee accrual export's table.
var feesTable = tableSpec{sheet: "volumes.sheet.fees", cols: []column{
	{key: "volumes.column.month"}, {key: "volumes.column.supplier"}, {key: "volumes.column.tender"},
	{key: "volumes.column.tender_title"},
	{key: "volumes.column.order_count", kind: colCount, sum: true}, {key: "volumes.column.subtotal", kind: colMoney, sum: true},
	{key: "volumes.column.fee", kind: colMoney, sum: true},
}}

// ExportFees writes the fee accrual p may see, narrowed by f, by month,
// supplier and tender, in p's language.
func (s *Store) ExportFees(ctx context.Context, p *auth.Principal, f Filter, format string, w io.Writer) (err error) {
	defer apperr.Wrap(&err, "volumes.Store.ExportFees(%v, %s)", f, format)
	fees, err := s.Fees(ctx, p, f)
	if err != nil {
		return err
	}
	tw, err := newTableWriter(format, w, p.Lang, feesDocument)
	if err != nil {
		return err
	}
	if err := tw.begin(feesTable); err != nil {
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

// statementTable is a fee statement's table; its sheet is named with the
// month.
var statementTable = tableSpec{sheet: "volumes.sheet.statement", cols: []column{
	{key: "volumes.column.order_number"}, {key: "volumes.column.submitted_on", kind: colDate},
	{key: "volumes.column.authority"}, {key: "volumes.column.tender"}, {key: "volumes.column.status"},
	{key: "volumes.column.subtotal", kind: colMoney, sum: true}, {key: "volumes.column.fee_percent", kind: colPercent},
	{key: "volumes.column.fee", kind: colMoney, sum: true},
}}

// ExportStatement writes supplierID's fee statement for month, in p's
// language.
func (s *Store) ExportStatement(ctx context.Context, p *auth.Principal, supplierID int64, month calendar.Date, format string, w io.Writer) (err error) {
	defer apperr.Wrap(&err, "volumes.Store.ExportStatement(%d, %s, %s)", supplierID, month, format)
	st, err := s.FeeStatement(ctx, p, supplierID, month)
	if err != nil {
		return err
	}
	tw, err := newTableWriter(format, w, p.Lang, statementDocument)
	if err != nil {
		return err
	}
	spec := statementTable
	spec.sheetArgs = []any{st.Month}
	if err := tw.begin(spec); err != nil {
		return err
	}
	cat := i18n.For(p.Lang)
	for _, l := range st.Lines {
		if err := tw.row(l.OrderNumber, l.SubmittedOn, l.AuthorityName, l.TenderNumber, statusLabel(cat, l.Status),
			l.Subtotal, l.FeePercent, l.Fee); err != nil {
			return err
		}
	}
	if err := tw.end(); err != nil {
		return err
	}
	return tw.finish()
}
