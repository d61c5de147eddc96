package workplan

import (
	"context"
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"

	"madaf/internal/apperr"
	"madaf/internal/i18n"
)

// planColumns are the columns of the plan sheet, in order; each one's
// header is the catalog's workplan.column.<name>. The first seven are the
// import format (see importColumns).
var planColumns = []string{"domain", "part", "goal", "task", "status", "notes", "owner",
	"canonical_status", "qualifier", "due_quarter", "carried_from_year", "figure", "figure_target"}

// WritePlanXLSX writes year's plan as a workbook in lang (headers, status
// and figure labels, goal headings): a sheet of one row per task in the
// import format (domain, part, goal, task, status, notes, owner, then the
// status, qualifier and planning fields), which imports back unchanged, and
// a sheet of the summary (see WriteSummaryXLSX). A task without a wording
// of its own has its status's label in the status column.
func (s *Store) WritePlanXLSX(ctx context.Context, year int, lang string, w io.Writer) (err error) {
	defer apperr.Wrap(&err, "workplan.Store.WritePlanXLSX(%d, %s)", year, lang)
	_, domains, err := s.Tree(ctx, year, Filter{})
	if err != nil {
		return err
	}
	sum, err := s.Summary(ctx, year)
	if err != nil {
		return err
	}
	cat := i18n.For(lang)
	f := excelize.NewFile()
	defer f.Close()
	sheet := cat.T("workplan.sheet.plan")
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	rtl(f, sheet, lang)
	header := make([]any, len(planColumns))
	for i, c := range planColumns {
		header[i] = cat.T("workplan.column." + c)
	}
	if err := f.SetSheetRow(sheet, "A1", &header); err != nil {
		return err
	}
	row := 2
	for _, d := range domains {
		for _, g := range d.Goals {
			heading := g.Heading(lang)
			for _, t := range g.Tasks {
				wording := t.StatusPhrase
				if wording == "" {
					wording = cat.Enum("workplan.status", t.Status)
				}
				vals := []any{d.Name, g.Part, heading, t.Title, wording, t.Notes, t.Owner,
					cat.Enum("workplan.status", t.Status), t.Qualifier, "", "", "", ""}
				if t.DueQuarter != nil {
					vals[9] = fmt.Sprintf("Q%d", *t.DueQuarter)
				}
				if t.CarriedFrom != nil {
					vals[10] = t.CarriedFrom.Year
				}
				if t.Figure != nil {
					vals[11] = cat.Enum("workplan.figure", *t.Figure)
				}
				if t.FigureTarget != nil {
					vals[12] = t.FigureTarget.String()
				}
				if err := f.SetSheetRow(sheet, fmt.Sprintf("A%d", row), &vals); err != nil {
					return err
				}
				row++
			}
		}
	}
	if _, err := f.NewSheet(cat.T("workplan.sheet.summary")); err != nil {
		return err
	}
	if err := summarySheet(f, cat.T("workplan.sheet.summary"), sum, lang); err != nil {
		return err
	}
	return f.Write(w)
}

// WriteSummaryXLSX writes year's summary as a workbook in lang: per domain
// (and part) the report's three columns with the goals behind each, then
// the number of tasks in each canonical status, and a total row.
func (s *Store) WriteSummaryXLSX(ctx context.Context, year int, lang string, w io.Writer) (err error) {
	defer apperr.Wrap(&err, "workplan.Store.WriteSummaryXLSX(%d, %s)", year, lang)
	sum, err := s.Summary(ctx, year)
	if err != nil {
		return err
	}
	f := excelize.NewFile()
	defer f.Close()
	sheet := i18n.For(lang).T("workplan.sheet.summary")
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	if err := summarySheet(f, sheet, sum, lang); err != nil {
		return err
	}
	return f.Write(w)
}

// summarySheet writes sum on sheet, in lang.
func summarySheet(f *excelize.File, sheet string, sum *Summary, lang string) error {
	cat := i18n.For(lang)
	rtl(f, sheet, lang)
	header := []any{cat.T("workplan.column.domain")}
	for _, b := range Buckets {
		header = append(header, cat.Enum("workplan.bucket", b))
	}
	for _, s := range Statuses {
		header = append(header, cat.Enum("workplan.status", s))
	}
	header = append(header, cat.T("common.total"))
	if err := f.SetSheetRow(sheet, "A1", &header); err != nil {
		return err
	}
	n := 2
	write := func(name string, r *Row) error {
		vals := []any{name}
		for _, b := range Buckets {
			vals = append(vals, r.Buckets[b].CellText(lang))
		}
		for _, s := range Statuses {
			vals = append(vals, r.ByStatus[s])
		}
		vals = append(vals, r.Total)
		err := f.SetSheetRow(sheet, fmt.Sprintf("A%d", n), &vals)
		n++
		return err
	}
	for _, d := range sum.Domains {
		if err := write(d.Name, d); err != nil {
			return err
		}
		for _, p := range d.Parts {
			if err := write(d.Name+" – "+p.Name, p); err != nil {
				return err
			}
		}
	}
	total := []any{cat.T("common.total")}
	for range Buckets {
		total = append(total, "")
	}
	for _, s := range Statuses {
		total = append(total, sum.Total.ByStatus[s])
	}
	total = append(total, sum.Total.Total)
	return f.SetSheetRow(sheet, fmt.Sprintf("A%d", n), &total)
}

// rtl shows sheet right to left for the languages written so.
func rtl(f *excelize.File, sheet, lang string) {
	yes := i18n.Dir(lang) == "rtl"
	f.SetSheetView(sheet, 0, &excelize.ViewOptions{RightToLeft: &yes})
}
