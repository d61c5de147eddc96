package workplan

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

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
// of its own has its status's label in the status column; the year a task
// was carried from and its target are numbers. Both sheets are set up as
// planWorkbook sets them.
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
	b, err := newPlanWorkbook(lang)
	if err != nil {
		return err
	}
	defer b.f.Close()
	header := make([]string, len(planColumns))
	for i, c := range planColumns {
		header[i] = cat.T("workplan.column." + c)
	}
	widths := []float64{18, 12, 40, 48, 16, 40, 18, 16, 16, 12, 12, 18, 10}
	sh, err := b.sheet(cat.T("workplan.sheet.plan"), header, widths)
	if err != nil {
		return err
	}
	for _, d := range domains {
		for _, g := range d.Goals {
			heading := g.Heading(lang)
			for _, t := range g.Tasks {
				wording := t.StatusPhrase
				if wording == "" {
					wording = cat.Enum("workplan.status", t.Status)
				}
				vals := []any{d.Name, g.Part, heading, t.Title, wording, t.Notes, t.Owner,
					cat.Enum("workplan.status", t.Status), t.Qualifier, nil, nil, nil, nil}
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
					vals[12] = excelize.Cell{StyleID: b.styles.number, Value: t.FigureTarget.InexactFloat64()}
				}
				if err := sh.row(vals); err != nil {
					return err
				}
			}
		}
	}
	if err := sh.end(); err != nil {
		return err
	}
	if err := summarySheet(b, sum, lang); err != nil {
		return err
	}
	return b.write(w, document{title: "workplan.workbook.plan", subject: "workplan.workbook.plan_subject"}, year)
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
	b, err := newPlanWorkbook(lang)
	if err != nil {
		return err
	}
	defer b.f.Close()
	if err := summarySheet(b, sum, lang); err != nil {
		return err
	}
	return b.write(w, document{title: "workplan.workbook.summary", subject: "workplan.workbook.summary_subject"}, year)
}

// summarySheet adds sum's sheet to b, in lang.
func summarySheet(b *planWorkbook, sum *Summary, lang string) error {
	cat := i18n.For(lang)
	header := []string{cat.T("workplan.column.domain")}
	widths := []float64{28}
	for _, bk := range Buckets {
		header = append(header, cat.Enum("workplan.bucket", bk))
		widths = append(widths, 36)
	}
	for _, s := range Statuses {
		header = append(header, cat.Enum("workplan.status", s))
		widths = append(widths, 11)
	}
	header = append(header, cat.T("common.total"))
	widths = append(widths, 10)
	sh, err := b.sheet(cat.T("workplan.sheet.summary"), header, widths)
	if err != nil {
		return err
	}
	write := func(name string, r *Row) error {
		vals := []any{name}
		for _, bk := range Buckets {
			vals = append(vals, r.Buckets[bk].CellText(lang))
		}
		for _, s := range Statuses {
			vals = append(vals, b.count(r.ByStatus[s], false))
		}
		vals = append(vals, b.count(r.Total, false))
		return sh.row(vals)
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
	if err := sh.filter(); err != nil {
		return err
	}
	total := []any{excelize.Cell{StyleID: b.styles.total, Value: cat.T("common.total")}}
	for range Buckets {
		total = append(total, nil)
	}
	for _, s := range Statuses {
		total = append(total, b.count(sum.Total.ByStatus[s], true))
	}
	total = append(total, b.count(sum.Total.Total, true))
	if err := sh.row(total); err != nil {
		return err
	}
	return sh.flush()
}

// document names a workbook in its properties: the catalog keys of its
// title (with the plan's year) and subject.
type document struct {
	title, subject string
}

// planWorkbook is a work-plan workbook being written, sheet after sheet,
// in one language.
type planWorkbook struct {
	f      *excelize.File
	cat    i18n.Catalog
	lang   string
	rtl    bool
	sheets int
	styles struct{ header, number, count, total, totalCount int }
}

func newPlanWorkbook(lang string) (*planWorkbook, error) {
	b := &planWorkbook{f: excelize.NewFile(), cat: i18n.For(lang), lang: lang, rtl: i18n.Dir(lang) == "rtl"}
	bold := &excelize.Font{Bold: true}
	for _, s := range []struct {
		dst   *int
		style excelize.Style
	}{
		{&b.styles.header, excelize.Style{Font: bold, Alignment: &excelize.Alignment{WrapText: true, Vertical: "center"},
			Border: []excelize.Border{{Type: "bottom", Color: "000000", Style: 1}}}},
		{&b.styles.number, excelize.Style{NumFmt: 2}}, // 0.00
		{&b.styles.count, excelize.Style{NumFmt: 1}},  // 0
		{&b.styles.total, excelize.Style{Font: bold}},
		{&b.styles.totalCount, excelize.Style{Font: bold, NumFmt: 1}},
	} {
		id, err := b.f.NewStyle(&s.style)
		if err != nil {
			b.f.Close()
			return nil, err
		}
		*s.dst = id
	}
	return b, nil
}

// count is n as a whole-number cell, bold in a totals row.
func (b *planWorkbook) count(n int, total bool) excelize.Cell {
	if total {
		return excelize.Cell{StyleID: b.styles.totalCount, Value: n}
	}
	return excelize.Cell{StyleID: b.styles.count, Value: n}
}

// planSheet is a sheet of a work-plan workbook being written row by row.
type planSheet struct {
	b    *planWorkbook
	name string
	sw   *excelize.StreamWriter
	cols int
	rows int
}

// sheet adds a sheet named name with header as its first row and widths
// as its columns' widths: right to left for Hebrew and Arabic, the header
// frozen, printed landscape on A4 one page wide with the header on every
// page.
func (b *planWorkbook) sheet(name string, header []string, widths []float64) (*planSheet, error) {
	if b.sheets == 0 {
		if err := b.f.SetSheetName("Sheet1", name); err != nil {
			return nil, err
		}
	} else if _, err := b.f.NewSheet(name); err != nil {
		return nil, err
	}
	b.sheets++
	yes, landscape, a4, one, tall := true, "landscape", 9, 1, 0
	if err := b.f.SetSheetView(name, 0, &excelize.ViewOptions{RightToLeft: &b.rtl}); err != nil {
		return nil, err
	}
	if err := b.f.SetSheetProps(name, &excelize.SheetPropsOptions{FitToPage: &yes}); err != nil {
		return nil, err
	}
	if err := b.f.SetPageLayout(name, &excelize.PageLayoutOptions{Size: &a4, Orientation: &landscape,
		FitToWidth: &one, FitToHeight: &tall}); err != nil {
		return nil, err
	}
	ref := "'" + strings.ReplaceAll(name, "'", "''") + "'!$1:$1"
	if err := b.f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: ref, Scope: name}); err != nil {
		return nil, err
	}
	sw, err := b.f.NewStreamWriter(name)
	if err != nil {
		return nil, err
	}
	// Each width goes before the ones already set: set from the last
	// column, the columns come out in order, as spreadsheets require.
	for i := len(widths) - 1; i >= 0; i-- {
		if err := sw.SetColWidth(i+1, i+1, widths[i]); err != nil {
			return nil, err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	cells := make([]any, len(header))
	for i, h := range header {
		cells[i] = excelize.Cell{StyleID: b.styles.header, Value: h}
	}
	if err := sw.SetRow("A1", cells); err != nil {
		return nil, err
	}
	return &planSheet{b: b, name: name, sw: sw, cols: len(header)}, nil
}

// row writes the sheet's next row.
func (s *planSheet) row(vals []any) error {
	s.rows++
	cell, _ := excelize.CoordinatesToCellName(1, s.rows+1)
	return s.sw.SetRow(cell, vals)
}

// filter puts an autofilter on the header over the rows written so far.
func (s *planSheet) filter() error {
	last, _ := excelize.CoordinatesToCellName(s.cols, s.rows+1)
	return s.b.f.AutoFilter(s.name, "A1:"+last, nil)
}

// end filters the sheet's rows and ends it.
func (s *planSheet) end() error {
	if err := s.filter(); err != nil {
		return err
	}
	return s.flush()
}

func (s *planSheet) flush() error { return s.sw.Flush() }

// write names the workbook as doc in its properties (Madaf its author and
// application, doc's title with year and its subject in the workbook's
// language) and writes it to w.
func (b *planWorkbook) write(w io.Writer, doc document, year int) error {
	stamp := time.Now().UTC().Format(time.RFC3339)
	if err := b.f.SetDocProps(&excelize.DocProperties{Creator: productName, LastModifiedBy: productName,
		Title: b.cat.T(doc.title, year), Subject: b.cat.T(doc.subject), Language: b.lang,
		Created: stamp, Modified: stamp}); err != nil {
		return err
	}
	if err := b.f.SetAppProps(&excelize.AppProperties{Application: productName, Company: b.cat.T("cluster.name")}); err != nil {
		return err
	}
	_, err := b.f.WriteTo(w)
	return err
}

// productName is the service's name as files it writes name their
// author.
const productName = "Madaf"
