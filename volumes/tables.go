package volumes

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

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

// column is one column of an exported table: the catalog key of its
// header; sum columns are added up in the totals row.
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

// tableWriter writes tables row by row, so that a large export streams,
// and ends each table with a totals row (common.total and the sum of each
// sum column). Headers, sheet names and the totals label are in the
// writer's language. CSV files are UTF-8 with a byte-order mark (so that
// Excel shows Hebrew and Arabic) and hold one table; workbooks hold one
// sheet per table, right to left for Hebrew and Arabic.
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
		switch v := cells[i].(type) {
		case int:
			t.sums[i] = t.sums[i].Add(decimal.NewFromInt(int64(v)))
		case decimal.Decimal:
			t.sums[i] = t.sums[i].Add(v)
		case money.Amount:
			t.sums[i] = t.sums[i].Add(v.Decimal)
		}
	}
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
	return &csvWriter{w: csv.NewWriter(w), cat: cat}, nil
}

func (c *csvWriter) begin(t tableSpec) error {
	c.reset(t)
	return c.w.Write(headers(c.cat, t))
}

func (c *csvWriter) row(cells ...any) error {
	c.add(cells)
	rec := make([]string, len(cells))
	for i, v := range cells {
		rec[i] = textOf(v)
		if i < len(c.spec.cols) && c.spec.cols[i].kind == colText {
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
			rec[i] = sumText(col, c.sums[i])
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

func sumText(col column, d decimal.Decimal) string {
	if col.kind == colMoney {
		return d.StringFixed(2)
	}
	return d.String()
}

// textOf is a cell as CSV text: money with two decimals, dates YYYY-MM-DD.
func textOf(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case decimal.Decimal:
		return v.StringFixed(2)
	case money.Amount:
		return v.StringFixed(2)
	case *money.Amount:
		if v == nil {
			return ""
		}
		return v.StringFixed(2)
	case calendar.Date:
		return v.String()
	case *string:
		if v == nil {
			return ""
		}
		return *v
	}
	return fmt.Sprint(v)
}

// xlsxWriter writes tables as sheets of one workbook.
type xlsxWriter struct {
	out    io.Writer
	cat    i18n.Catalog
	rtl    bool
	f      *excelize.File
	sw     *excelize.StreamWriter
	sheets int
	styles struct{ header, money, date, total, totalMoney int }
	totals
}

func newXLSXWriter(w io.Writer, cat i18n.Catalog, rtl bool) (*xlsxWriter, error) {
	x := &xlsxWriter{out: w, cat: cat, rtl: rtl, f: excelize.NewFile()}
	var err error
	moneyFmt := "#,##0.00"
	if x.styles.header, err = x.f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}}); err != nil {
		return nil, err
	}
	if x.styles.money, err = x.f.NewStyle(&excelize.Style{CustomNumFmt: &moneyFmt}); err != nil {
		return nil, err
	}
	if x.styles.date, err = x.f.NewStyle(&excelize.Style{NumFmt: 14}); err != nil {
		return nil, err
	}
	if x.styles.total, err = x.f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}}); err != nil {
		return nil, err
	}
	if x.styles.totalMoney, err = x.f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, CustomNumFmt: &moneyFmt}); err != nil {
		return nil, err
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
	if err := x.f.SetSheetView(sheet, 0, &excelize.ViewOptions{RightToLeft: &x.rtl}); err != nil {
		return err
	}
	sw, err := x.f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	x.sw = sw
	for i, c := range t.cols {
		width := 14.0
		if c.kind == colText {
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

func (x *xlsxWriter) row(cells ...any) error {
	x.add(cells)
	vals := make([]any, len(cells))
	for i, v := range cells {
		vals[i] = x.cell(v)
	}
	cell, _ := excelize.CoordinatesToCellName(1, x.rows+1)
	return x.sw.SetRow(cell, vals)
}

// cell is v as a workbook cell: money and counts as numbers, dates as
// dates.
func (x *xlsxWriter) cell(v any) any {
	switch v := v.(type) {
	case nil:
		return nil
	case decimal.Decimal:
		return excelize.Cell{StyleID: x.styles.money, Value: v.InexactFloat64()}
	case money.Amount:
		return excelize.Cell{StyleID: x.styles.money, Value: v.InexactFloat64()}
	case *money.Amount:
		if v == nil {
			return nil
		}
		return excelize.Cell{StyleID: x.styles.money, Value: v.InexactFloat64()}
	case calendar.Date:
		if v.IsZero() {
			return nil
		}
		return excelize.Cell{StyleID: x.styles.date, Value: v.Time()}
	case int, int64, string:
		return v
	}
	return textOf(v)
}

func (x *xlsxWriter) end() error {
	row := x.rows + 2
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
			vals[i] = excelize.Cell{StyleID: x.styles.total, Formula: formula, Value: x.sums[i].IntPart()}
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
	_, err := x.f.WriteTo(x.out)
	return err
}
