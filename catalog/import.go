package catalog

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"

	"madaf/internal/apperr"
	"madaf/internal/calendar"
)

// ImportPriceList adds the prices of a supplier's price list, a CSV or XLSX
// file (told apart by content, then by name), to award awardID of tender
// tenderID. Each row holds a SKU, a unit price and the date the price starts,
// optionally a reason; a first row of column names is recognised (sku/מק"ט,
// price/מחיר, valid_from/from/מתאריך, reason/סיבה) and may order the columns.
// Either every row is good and all are added, or nothing is: the error then
// names every bad row (field rows[<row>].<column>, row numbers as the
// spreadsheet shows them) and why. A file holds at most 20,000 rows; of a
// workbook only the first sheet's columns A to Z are read, and a workbook
// that unpacks to more than 16 MiB is refused.
func (s *Store) ImportPriceList(ctx context.Context, tenderID, awardID int64, filename string, data []byte) (_ []Price, err error) {
	defer apperr.Wrap(&err, "catalog.Store.ImportPriceList(%d, %d, %q)", tenderID, awardID, filename)
	table, xlsx, err := readTable(filename, data)
	if err != nil {
		return nil, err
	}
	items, err := s.Items(ctx, tenderID)
	if err != nil {
		return nil, err
	}
	bySKU := make(map[string]int64, len(items))
	for _, it := range items {
		bySKU[strings.ToUpper(it.SKU)] = it.ID
	}
	rows, err := priceRows(table, xlsx, bySKU)
	if err != nil {
		return nil, err
	}
	return s.addPrices(ctx, tenderID, awardID, rows)
}

// tableRow is a row of a file with its number as the spreadsheet shows it.
type tableRow struct {
	line  int
	cells []string
}

// readTable reads the first sheet of an XLSX file or a CSV file (UTF-8, or
// Windows-1255 as Hebrew Excel saves it; comma, semicolon or tab separated).
func readTable(filename string, data []byte) ([]tableRow, bool, error) {
	if bytes.HasPrefix(data, []byte("PK\x03\x04")) || strings.HasSuffix(strings.ToLower(filename), ".xlsx") {
		rows, err := readXLSX(data)
		return rows, true, err
	}
	rows, err := readCSV(data)
	return rows, false, err
}

// Limits of a price-list file: the rows it may hold, the columns read (those
// beyond are ignored), and the cells the reader may materialise in all. The
// reader fills every blank cell up to a row's last filled one, so a row with
// one value at column XFD costs 16,384 cells; the cell budget refuses such a
// sheet early instead of reading it row after row.
const (
	maxPriceListRows  = 20000
	maxPriceListCols  = 26 // A–Z
	maxPriceListCells = 1 << 20
	maxUnzippedXLSX   = 16 << 20
)

// tooManyRows is the error for a price list over maxPriceListRows rows.
func tooManyRows() error {
	return &apperr.Error{Kind: apperr.KindInvalid, Msg: apperr.M("tender.import.too_many_rows", maxPriceListRows),
		Fields: []apperr.FieldError{apperr.Field("file", "tender.msg.file_too_many_rows", maxPriceListRows)}}
}

// readXLSX reads the first sheet of a workbook, row by row, within the
// limits above.
func readXLSX(data []byte) ([]tableRow, error) {
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: maxUnzippedXLSX, UnzipXMLSizeLimit: maxUnzippedXLSX})
	if err != nil {
		return nil, apperr.Invalid("tender.import.bad_xlsx", apperr.Field("file", "tender.msg.file_bad_xlsx"))
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, apperr.Invalid("tender.import.no_sheet", apperr.Field("file", "tender.msg.file_no_sheet"))
	}
	unreadable := apperr.Invalid("tender.import.unreadable", apperr.Field("file", "tender.msg.file_unreadable"))
	rows, err := f.Rows(sheets[0])
	if err != nil {
		return nil, unreadable
	}
	defer rows.Close()
	var out []tableRow
	line, cells := 0, 0
	for rows.Next() {
		line++
		row, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, unreadable
		}
		if cells += len(row); cells > maxPriceListCells {
			col, _ := excelize.ColumnNumberToName(len(row))
			return nil, &apperr.Error{Kind: apperr.KindInvalid, Msg: apperr.M("tender.import.too_wide", line, col),
				Fields: []apperr.FieldError{apperr.Field("file", "tender.msg.file_too_wide")}}
		}
		if blank(row) {
			continue
		}
		if len(out) == maxPriceListRows {
			return nil, tooManyRows()
		}
		if len(row) > maxPriceListCols {
			row = slices.Clone(row[:maxPriceListCols]) // and let the wide row go
		}
		out = append(out, tableRow{line: line, cells: row})
	}
	if rows.Error() != nil {
		return nil, unreadable
	}
	return out, nil
}

func readCSV(data []byte) ([]tableRow, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		decoded, err := charmap.Windows1255.NewDecoder().Bytes(data)
		if err != nil {
			return nil, apperr.Invalid("tender.import.bad_encoding", apperr.Field("file", "tender.msg.file_not_text"))
		}
		data = decoded
	}
	first, _, _ := bytes.Cut(data, []byte("\n"))
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	r.LazyQuotes = true
	switch {
	case bytes.Count(first, []byte("\t")) > bytes.Count(first, []byte(",")):
		r.Comma = '\t'
	case bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")):
		r.Comma = ';'
	}
	var out []tableRow
	for {
		cells, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			line := 0
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			return nil, apperr.Invalid("tender.import.bad_csv", apperr.Field(fmt.Sprintf("rows[%d]", line), "tender.msg.row_bad_csv"))
		}
		if blank(cells) {
			continue
		}
		if len(out) == maxPriceListRows {
			return nil, tooManyRows()
		}
		line, _ := r.FieldPos(0)
		out = append(out, tableRow{line: line, cells: cells})
	}
	return out, nil
}

// Column names a price list's header row may use, lower-cased.
var columnNames = map[string]string{
	"sku": "sku", "מק\"ט": "sku", "מקט": "sku", "מק״ט": "sku", "item": "sku", "code": "sku",
	"price": "price", "unit_price": "price", "מחיר": "price", "מחיר ליחידה": "price",
	"valid_from": "valid_from", "from": "valid_from", "from_date": "valid_from", "date": "valid_from",
	"מתאריך": "valid_from", "בתוקף מ": "valid_from", "בתוקף מ-": "valid_from", "תאריך": "valid_from",
	"reason": "reason", "סיבה": "reason",
}

// priceRows turns the file's rows into price rows, reporting a SKU that is
// not in the tender and a price or date that cannot be read.
func priceRows(table []tableRow, xlsx bool, bySKU map[string]int64) ([]*priceRow, error) {
	cols := map[string]int{"sku": 0, "price": 1, "valid_from": 2, "reason": 3}
	var rows []*priceRow
	headerSeen := false
	for _, tr := range table {
		if blank(tr.cells) {
			continue
		}
		if !headerSeen {
			headerSeen = true
			if named, ok := header(tr.cells); ok {
				cols = named
				continue
			}
		}
		cell := func(name string) string {
			i, ok := cols[name]
			if !ok || i >= len(tr.cells) {
				return ""
			}
			return strings.TrimSpace(tr.cells[i])
		}
		r := &priceRow{line: tr.line, sku: cell("sku")}
		r.Reason = cell("reason")
		switch id, ok := bySKU[strings.ToUpper(r.sku)]; {
		case r.sku == "":
			r.Fail("sku", "tender.msg.empty")
		case !ok:
			r.Fail("sku", "tender.msg.unknown_sku", r.sku)
		default:
			r.ItemID = id
		}
		if raw := cell("price"); raw == "" {
			r.Fail("price", "tender.msg.empty")
		} else if p, err := parsePrice(raw, xlsx); err != nil {
			r.Fail("price", "tender.msg.not_an_amount", raw)
		} else {
			r.Price = Money{Decimal: p}
		}
		if raw := cell("valid_from"); raw == "" {
			r.Fail("valid_from", "tender.msg.empty")
		} else if d, err := parseDay(raw, xlsx); err != nil {
			r.Fail("valid_from", "tender.msg.not_a_date", raw)
		} else {
			r.ValidFrom = d
		}
		rows = append(rows, r)
	}
	if len(rows) == 0 {
		return nil, apperr.Invalid("tender.import.no_rows", apperr.Field("file", "tender.msg.no_rows"))
	}
	return rows, nil
}

// header maps the columns of a header row; ok is false when cells are not
// one (a data row, whose price cell reads as a number).
func header(cells []string) (map[string]int, bool) {
	cols := map[string]int{}
	for i, c := range cells {
		name := strings.ToLower(strings.TrimSpace(c))
		if col, ok := columnNames[name]; ok {
			if _, dup := cols[col]; !dup {
				cols[col] = i
			}
		}
	}
	if len(cols) == 0 {
		if len(cells) > 1 {
			if _, err := parsePrice(cells[1], false); err != nil {
				// Unknown names: a header in the default column order.
				return map[string]int{"sku": 0, "price": 1, "valid_from": 2, "reason": 3}, true
			}
		}
		return nil, false
	}
	for _, need := range []string{"sku", "price", "valid_from"} {
		if _, ok := cols[need]; !ok {
			cols[need] = len(cells) + 100 // absent: every row reports it empty
		}
	}
	return cols, true
}

func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

var thousands = regexp.MustCompile(`^\d{1,3}(,\d{3})+(\.\d+)?$`)

// parsePrice reads an amount: "1250.50", "1,250.50", "₪ 1250.5". A
// workbook's binary floating-point noise (12.300000000000001) is rounded
// to agorot; a real third decimal is kept and later refused.
func parsePrice(s string, xlsx bool) (decimal.Decimal, error) {
	s = strings.TrimSpace(strings.NewReplacer("₪", "", "ש\"ח", "", "\u00a0", "", " ", "").Replace(s))
	if thousands.MatchString(s) {
		s = strings.ReplaceAll(s, ",", "")
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Zero, err
	}
	if xlsx && d.Sub(d.Round(2)).Abs().LessThan(decimal.New(1, -9)) {
		d = d.Round(2)
	}
	return d, nil
}

// parseDay reads YYYY-MM-DD, DD/MM/YYYY or DD.MM.YYYY, and in a workbook
// also a date cell (a serial day number).
func parseDay(s string, xlsx bool) (calendar.Date, error) {
	if xlsx {
		if serial, err := strconv.ParseFloat(s, 64); err == nil && serial >= 1 && serial < 200000 {
			t, err := excelize.ExcelDateToTime(serial, false)
			if err != nil {
				return calendar.Date{}, err
			}
			return calendar.NewDate(t.Year(), t.Month(), t.Day()), nil
		}
	}
	if len(s) > 10 && s[10] == ' ' || len(s) > 10 && s[10] == 'T' {
		s = s[:10] // a date with a midnight time
	}
	for _, layout := range []string{time.DateOnly, "2/1/2006", "2.1.2006", "2-1-2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return calendar.NewDate(t.Year(), t.Month(), t.Day()), nil
		}
	}
	return calendar.Date{}, fmt.Errorf("%q is not a date", s)
}
