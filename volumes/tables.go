package volumes

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"

	"madaf/internal/calendar"
	"madaf/internal/i18n"
	"madaf/internal/money"
)

// Column kinds of an exported table.
const (
	colText = iota
	colCount
	colMoney
	colDate
	colPercent
)

// Number formats of the workbooks' cells: amounts in shekels with agorot,
// counts as whole numbers, percentages as percentages, dates day first as
// Israeli readers write them.
const (
	fmtMoney   = `[$₪-40D] #,##0.00`
	fmtDate    = "dd/mm/yyyy"
	fmtCount   = 3  // #,##0
	fmtPercent = 10 // 0.00%
)

// column is one column of an exported table: the catalog key of its
// header and the kind of its cells; sum columns are added up in the totals
// row.
type column struct {
	key  string
	kind int
	sum  bool
}

// tableSpec is an exported table: a sheet of an XLSX workbook or a CSV
// file. sheet is the catalog key of the sheet's name, with sheetArgs.
type tableSpec struct {
	sheet     string
	sheetArgs []any
	cols      []column
}

// document names an export in its workbook's properties: the catalog keys
// of its title and subject.
type document struct {
	title, subject string
}

// tableWriter writes tables row by row, so that a large export streams,
// and ends each table with a totals row (common.total and the sum of each
// sum column). Headers, sheet names and the totals label are in the
// writer's language. A cell is read by its column's kind: amounts (money,
// decimals), counts (int), dates (calendar.Date) and percentages in points
// ("81.25", decimals, money). CSV files are UTF-8 with a byte-order mark
// (so that Excel shows Hebrew and Arabic), CRLF line ends (RFC 4180) and
// one table; workbooks hold one sheet per table, right to left for Hebrew
// and Arabic, with typed cells, printed landscape one page wide with the
// header on every page.
type tableWriter interface {
	begin(t tableSpec) error
	row(cells ...any) error
	end() error
	finish() error
}

// totals sums the sum columns of the current table.
type totals struct {
	spec tableSpec
	sums []decimal.Decimal
	rows int
}

func (t *totals) reset(spec tableSpec) {
	t.spec, t.sums, t.rows = spec, make([]decimal.Decimal, len(spec.cols)), 0
}

func (t *totals) add(cells []any) {
	t.rows++
	for i, c := range t.spec.cols {
		if !c.sum || i >= len(cells) {
			continue
		}
		if d, ok := decimalOf(cells[i]); ok {
			t.sums[i] = t.sums[i].Add(d)
		}
	}
}

// kindOf is the kind of column i of the current table.
func (t *totals) kindOf(i int) int {
	if i < len(t.spec.cols) {
		return t.spec.cols[i].kind
	}
	return colText
}

// decimalOf is the number v holds, false when v holds none.
func decimalOf(v any) (decimal.Decimal, bool) {
	switch v := v.(type) {
	case int:
		return decimal.NewFromInt(int64(v)), true
	case int64:
		return decimal.NewFromInt(v), true
	case decimal.Decimal:
		return v, true
	case money.Amount:
		return v.Decimal, true
	case *money.Amount:
		if v != nil {
			return v.Decimal, true
		}
	case string:
		if d, err := decimal.NewFromString(v); err == nil {
			return d, true
		}
	case *string:
		if v != nil {
			return decimalOf(*v)
		}
	}
	return decimal.Decimal{}, false
}

// headers are t's column headers in cat's language.
func headers(cat i18n.Catalog, t tableSpec) []string {
	out := make([]string, len(t.cols))
	for i, col := range t.cols {
		out[i] = cat.T(col.key)
	}
	return out
}

// csvWriter writes one table as CSV.
type csvWriter struct {
	w   *csv.Writer
	cat i18n.Catalog
	totals
}

func newCSVWriter(w io.Writer, cat i18n.Catalog) (*csvWriter, error) {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return nil, err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	return &csvWriter{w: cw, cat: cat}, nil
}

func (c *csvWriter) begin(t tableSpec) error {
	c.reset(t)
	return c.w.Write(headers(c.cat, t))
}

func (c *csvWriter) row(cells ...any) error {
	c.add(cells)
	rec := make([]string, len(cells))
	for i, v := range cells {
		kind := c.kindOf(i)
		rec[i] = textOf(kind, v)
		if kind == colText {
			rec[i] = inertText(rec[i])
		}
	}
	return c.w.Write(rec)
}

// inertText is s as a spreadsheet takes it for text, never for a formula:
// text a user entered (a tender's title, a supplier's name) that starts
// with =, +, -, @, a tab or a carriage return gets a leading apostrophe.
// Amounts, counts and dates are written by the service and never need it.
// Workbooks need no such care: their text cells are typed as strings.
func inertText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func (c *csvWriter) end() error {
	rec := make([]string, len(c.spec.cols))
	rec[0] = c.cat.T("common.total")
	for i, col := range c.spec.cols {
		if col.sum {
			rec[i] = textOf(col.kind, c.sums[i])
		}
	}
	if err := c.w.Write(rec); err != nil {
		return err
	}
	c.w.Flush()
	return c.w.Error()
}

func (c *csvWriter) finish() error {
	c.w.Flush()
	return c.w.Error()
}

// textOf is a cell of a column of kind as CSV text: amounts and
// percentages (in points) with two decimals, counts whole, dates
// YYYY-MM-DD.
func textOf(kind int, v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case calendar.Date:
		if v.IsZero() {
			return ""
		}
		return v.String()
	}
	if kind != colText {
		if d, ok := decimalOf(v); ok {
			if kind == colCount {
				return d.String()
			}
			return d.StringFixed(2)
		}
	}
	switch v := v.(type) {
	case string:
		return v
	case *string:
		if v == nil {
			return ""
		}
		return *v
	case *money.Amount:
		if v == nil {
			return ""
		}
	}
	return fmt.Sprint(v)
}

// xlsxWriter writes tables as sheets of one workbook.
type xlsxWriter struct {
	out    io.Writer
	cat    i18n.Catalog
	lang   string
	doc    document
	rtl    bool
	f      *excelize.File
	sw     *excelize.StreamWriter
	sheet  string
	sheets int
	styles struct{ header, money, date, count, percent, total, totalMoney, totalCount int }
	totals
}

func newXLSXWriter(w io.Writer, lang string, doc document) (*xlsxWriter, error) {
	x := &xlsxWriter{out: w, cat: i18n.For(lang), lang: lang, doc: doc, rtl: i18n.Dir(lang) == "rtl", f: excelize.NewFile()}
	moneyFmt, dateFmt := fmtMoney, fmtDate
	bold := &excelize.Font{Bold: true}
	for _, s := range []struct {
		dst   *int
		style excelize.Style
	}{
		{&x.styles.header, excelize.Style{Font: bold, Alignment: &excelize.Alignment{WrapText: true, Vertical: "center"},
			Border: []excelize.Border{{Type: "bottom", Color: "000000", Style: 1}}}},
		{&x.styles.money, excelize.Style{CustomNumFmt: &moneyFmt}},
		{&x.styles.date, excelize.Style{CustomNumFmt: &dateFmt}},
		{&x.styles.count, excelize.Style{NumFmt: fmtCount}},
		{&x.styles.percent, excelize.Style{NumFmt: fmtPercent}},
		{&x.styles.total, excelize.Style{Font: bold}},
		{&x.styles.totalMoney, excelize.Style{Font: bold, CustomNumFmt: &moneyFmt}},
		{&x.styles.totalCount, excelize.Style{Font: bold, NumFmt: fmtCount}},
	} {
		id, err := x.f.NewStyle(&s.style)
		if err != nil {
			x.f.Close()
			return nil, err
		}
		*s.dst = id
	}
	return x, nil
}

func (x *xlsxWriter) begin(t tableSpec) error {
	x.reset(t)
	sheet := x.cat.T(t.sheet, t.sheetArgs...)
	if x.sheets == 0 {
		if err := x.f.SetSheetName("Sheet1", sheet); err != nil {
			return err
		}
	} else if _, err := x.f.NewSheet(sheet); err != nil {
		return err
	}
	x.sheets++
	x.sheet = sheet
	if err := setUpSheet(x.f, sheet, x.rtl); err != nil {
		return err
	}
	sw, err := x.f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	x.sw = sw
	// Each width goes before the ones already set: set from the last
	// column, the columns come out in order, as spreadsheets require.
	for i := len(t.cols) - 1; i >= 0; i-- {
		width := 14.0
		if t.cols[i].kind == colText {
			width = 28
		}
		if err := sw.SetColWidth(i+1, i+1, width); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	cells := make([]any, len(t.cols))
	for i, h := range headers(x.cat, t) {
		cells[i] = excelize.Cell{StyleID: x.styles.header, Value: h}
	}
	return sw.SetRow("A1", cells)
}

// setUpSheet makes sheet read right to left when rtl and print landscape
// on A4, one page wide and as many long as it takes, its first row (the
// header) repeated on every page. It is called before the sheet's rows
// are written.
func setUpSheet(f *excelize.File, sheet string, rtl bool) error {
	yes, landscape, a4, one, tall := true, "landscape", 9, 1, 0
	if err := f.SetSheetView(sheet, 0, &excelize.ViewOptions{RightToLeft: &rtl}); err != nil {
		return err
	}
	if err := f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &yes}); err != nil {
		return err
	}
	if err := f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Size: &a4, Orientation: &landscape,
		FitToWidth: &one, FitToHeight: &tall}); err != nil {
		return err
	}
	return f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: quoteSheet(sheet) + "!$1:$1", Scope: sheet})
}

// quoteSheet is sheet's name as a reference writes it.
func quoteSheet(sheet string) string { return "'" + strings.ReplaceAll(sheet, "'", "''") + "'" }

func (x *xlsxWriter) row(cells ...any) error {
	x.add(cells)
	vals := make([]any, len(cells))
	for i, v := range cells {
		vals[i] = x.cell(x.kindOf(i), v)
	}
	cell, _ := excelize.CoordinatesToCellName(1, x.rows+1)
	return x.sw.SetRow(cell, vals)
}

// cell is v as a workbook cell of a column of kind: amounts, counts and
// percentages as numbers in their formats (a percentage as the fraction
// it is, 81.25 points as 0.8125), dates as dates, anything else as text.
func (x *xlsxWriter) cell(kind int, v any) any {
	if v == nil {
		return nil
	}
	if d, ok := v.(calendar.Date); ok {
		if d.IsZero() {
			return nil
		}
		return excelize.Cell{StyleID: x.styles.date, Value: d.Time()}
	}
	if kind != colText && kind != colDate {
		d, ok := decimalOf(v)
		if !ok {
			return nil
		}
		switch kind {
		case colCount:
			return excelize.Cell{StyleID: x.styles.count, Value: d.IntPart()}
		case colPercent:
			return excelize.Cell{StyleID: x.styles.percent, Value: d.Shift(-2).InexactFloat64()}
		}
		return excelize.Cell{StyleID: x.styles.money, Value: d.InexactFloat64()}
	}
	return textOf(colText, v)
}

func (x *xlsxWriter) end() error {
	row := x.rows + 2
	last, _ := excelize.CoordinatesToCellName(len(x.spec.cols), row-1)
	if err := x.f.AutoFilter(x.sheet, "A1:"+last, nil); err != nil {
		return err
	}
	vals := make([]any, len(x.spec.cols))
	vals[0] = excelize.Cell{StyleID: x.styles.total, Value: x.cat.T("common.total")}
	for i, c := range x.spec.cols {
		if !c.sum {
			continue
		}
		col, _ := excelize.ColumnNumberToName(i + 1)
		formula := fmt.Sprintf("SUM(%s2:%s%d)", col, col, row-1)
		if x.rows == 0 {
			formula = ""
		}
		if c.kind == colMoney {
			vals[i] = excelize.Cell{StyleID: x.styles.totalMoney, Formula: formula, Value: x.sums[i].InexactFloat64()}
		} else {
			vals[i] = excelize.Cell{StyleID: x.styles.totalCount, Formula: formula, Value: x.sums[i].IntPart()}
		}
	}
	cell, _ := excelize.CoordinatesToCellName(1, row)
	if err := x.sw.SetRow(cell, vals); err != nil {
		return err
	}
	return x.sw.Flush()
}

func (x *xlsxWriter) finish() error {
	defer x.f.Close()
	if err := describeWorkbook(x.f, x.cat, x.lang, x.doc, time.Now()); err != nil {
		return err
	}
	_, err := x.f.WriteTo(x.out)
	return err
}

// describeWorkbook sets f's properties: Madaf as its author and
// application, doc's title and subject in cat's language (lang), the
// cluster as the company, and now as its creation time.
func describeWorkbook(f *excelize.File, cat i18n.Catalog, lang string, doc document, now time.Time) error {
	stamp := now.UTC().Format(time.RFC3339)
	if err := f.SetDocProps(&excelize.DocProperties{Creator: productName, LastModifiedBy: productName,
		Title: cat.T(doc.title), Subject: cat.T(doc.subject), Language: lang, Created: stamp, Modified: stamp}); err != nil {
		return err
	}
	return f.SetAppProps(&excelize.AppProperties{Application: productName, Company: cat.T("cluster.name")})
}

// productName is the service's name as files it writes name their
// author.
const productName = "Madaf"
