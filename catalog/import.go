package catalog

import (
	"archive/zip"
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
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"madaf/internal/apperr"
	"madaf/internal/calendar"
	"madaf/internal/i18n"
)

// ImportPriceList adds the prices of a supplier's price list, a CSV or XLSX
// file told apart by its content (sniffFile: anything else is refused as
// not a spreadsheet), to award awardID of tender tenderID. Each row holds a
// SKU, a unit price and the date the price starts, optionally a reason (its
// code or its name in Hebrew, Arabic or English: readReason); a first row of
// column names in any of the three languages (as the template writes them,
// or sku/price/valid_from/reason) may order the columns, and then must name
// the SKU, price and date columns. A row with a SKU but no price, date or
// reason (a template row left blank) is skipped. Either every row is good
// and all are added, or nothing is: the error then names every bad row
// (field rows[<row>].<column>, row numbers as the spreadsheet shows them)
// and why. A file holds at most 20,000 rows; of a workbook only the first
// sheet's columns A to Z are read, and a workbook that unpacks to more than
// 16 MiB is refused.
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

// readTable reads the first sheet of an XLSX file or a CSV file (comma,
// semicolon or tab separated), whatever the file's name says.
func readTable(_ string, data []byte) ([]tableRow, bool, error) {
	kind, text := sniffFile(data)
	switch kind {
	case fileXLSX:
		rows, err := readXLSX(data)
		return rows, true, err
	case fileText:
		rows, err := readCSV(text)
		return rows, false, err
	}
	return nil, false, notASpreadsheet(kind)
}

// What a file's content is.
const (
	fileText     = "text"     // CSV text, read as UTF-8
	fileXLSX     = "xlsx"     // an Office Open XML workbook
	fileBadZip   = "bad_zip"  // starts as a ZIP archive but does not open as one
	fileZip      = "zip"      // a ZIP archive that is no workbook (a .docx, an .ods, a .zip)
	fileXLS      = "xls"      // an Excel 97–2003 workbook
	fileBinary   = "binary"   // neither: a PDF, an image, a program
	textControls = "\t\n\r\f" // the control characters a text file may hold
)

// sniffFile tells what data is by its content: an XLSX workbook (a ZIP
// archive holding [Content_Types].xml and xl/workbook.xml), or text (UTF-8
// with or without a byte-order mark, UTF-16 with one, or Windows-1255 as
// Hebrew Excel saves CSV) holding no control character but tab, line
// breaks and form feed; for text it returns the UTF-8.
func sniffFile(data []byte) (kind string, text []byte) {
	switch {
	case bytes.HasPrefix(data, []byte("PK\x03\x04")), bytes.HasPrefix(data, []byte("PK\x05\x06")):
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return fileBadZip, nil
		}
		parts := map[string]bool{}
		for _, f := range zr.File {
			parts[strings.ToLower(f.Name)] = true
		}
		if parts["[content_types].xml"] && parts["xl/workbook.xml"] {
			return fileXLSX, nil
		}
		return fileZip, nil
	case bytes.HasPrefix(data, []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")):
		return fileXLS, nil
	case bytes.HasPrefix(data, []byte("\xff\xfe")), bytes.HasPrefix(data, []byte("\xfe\xff")):
		decoded, _, err := transform.Bytes(unicode.BOMOverride(unicode.UTF8.NewDecoder()), data)
		if err != nil || !utf8.Valid(decoded) {
			return fileBinary, nil
		}
		data = decoded
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		decoded, err := charmap.Windows1255.NewDecoder().Bytes(data)
		if err != nil || bytes.ContainsRune(decoded, utf8.RuneError) {
			return fileBinary, nil
		}
		data = decoded
	}
	for _, r := range string(data) {
		if r < 0x20 && !strings.ContainsRune(textControls, r) || r == 0x7f || r == utf8.RuneError {
			return fileBinary, nil
		}
	}
	return fileText, data
}

// notASpreadsheet is the refusal of a file of kind that is neither a
// workbook nor text.
func notASpreadsheet(kind string) error {
	switch kind {
	case fileBadZip:
		return apperr.Invalid("tender.import.bad_xlsx", apperr.Field("file", "tender.msg.file_bad_xlsx"))
	case fileZip:
		return apperr.Invalid("tender.import.not_a_workbook", apperr.Field("file", "tender.msg.file_not_workbook"))
	case fileXLS:
		return apperr.Invalid("tender.import.old_xls", apperr.Field("file", "tender.msg.file_old_xls"))
	}
	return apperr.Invalid("tender.import.not_a_spreadsheet", apperr.Field("file", "tender.msg.file_not_spreadsheet"))
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

// readCSV reads CSV text (UTF-8, see sniffFile).
func readCSV(data []byte) ([]tableRow, error) {
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

// priceColumns are the columns of a price list's template; "name" and
// "unit" are the item's, which the template shows and the import ignores.
var priceColumns = []string{"sku", "name", "unit", "price", "valid_from", "reason"}

// defaultColumns is where a file without a header row holds each column.
var defaultColumns = map[string]int{"sku": 0, "price": 1, "valid_from": 2, "reason": 3}

// requiredColumns are the columns a header row must name.
var requiredColumns = []string{"sku", "price", "valid_from"}

// columnAliases are names a header row may give a column besides its name
// in each language (tender.price_column.<column>), compared as search keys.
var columnAliases = map[string][]string{
	"sku":        {"sku", "מקט", "item", "code", "item code", "קוד", "קוד פריט"},
	"name":       {"name", "שם", "שם פריט", "item name", "description", "תיאור"},
	"unit":       {"unit", "יחידה", "unit of measure"},
	"price":      {"price", "unit price", "unit_price", "מחיר", "מחיר ליחידה"},
	"valid_from": {"valid_from", "from", "from_date", "date", "מתאריך", "בתוקף מ", "תאריך", "בתוקף מתאריך"},
	"reason":     {"reason", "סיבה", "סיבת השינוי"},
}

// columnNames maps the search key of each name a header row may give a
// column to the column.
var columnNames = func() map[string]string {
	out := map[string]string{}
	for _, col := range priceColumns {
		for _, lang := range i18n.Langs {
			out[SearchKey(i18n.For(lang).T("tender.price_column."+col))] = col
		}
		for _, alias := range columnAliases[col] {
			out[SearchKey(alias)] = col
		}
	}
	return out
}()

// reasonAliases are words people write for a price reason besides its code
// and its name in each language (price_reason.<code>), compared as search
// keys.
var reasonAliases = map[string][]string{
	ReasonInitial:      {"מחיר התחלתי", "מחיר מכרז", "first", "first price", "سعر أولي"},
	ReasonPriceUpdate:  {"עדכון", "שינוי מחיר", "update", "تحديث"},
	ReasonIndexLinkage: {"עדכון הצמדה", "הצמדה", "עדכון מדד", "הצמדה למדד המחירים לצרכן", "indexation", "index", "ربط", "ربط بمؤشر"},
	ReasonVATChange:    {"מעמ", "שינוי מעמ", "עדכון מעמ", "vat", "ضريبة القيمة المضافة"},
	ReasonCorrection:   {"תיקון טעות", "fix", "تصحيح خطأ"},
}

// reasonNames maps the search key of each way to write a price reason to
// its code.
var reasonNames = func() map[string]string {
	out := map[string]string{}
	for _, code := range Reasons {
		out[SearchKey(code)] = code
		for _, lang := range i18n.Langs {
			out[SearchKey(i18n.For(lang).T("price_reason."+code))] = code
		}
		for _, alias := range reasonAliases[code] {
			out[SearchKey(alias)] = code
		}
	}
	return out
}()

// readReason is the reason code a price list's cell gives: the code
// itself (index_linkage) or its name in Hebrew, Arabic or English (הצמדה
// למדד, ربط بالمؤشر, Index linkage), in any case and spelling that the
// search key does not tell apart; "" and false for an unknown reason.
func readReason(cell string) (string, bool) {
	code, ok := reasonNames[SearchKey(cell)]
	return code, ok
}

// priceRows turns the file's rows into price rows, reporting a SKU that is
// not in the tender and a price, date or reason that cannot be read. A
// header row that lacks a required column refuses the file.
func priceRows(table []tableRow, xlsx bool, bySKU map[string]int64) ([]*priceRow, error) {
	cols := defaultColumns
	var rows []*priceRow
	headerSeen := false
	for _, tr := range table {
		if blank(tr.cells) {
			continue
		}
		if !headerSeen {
			headerSeen = true
			if named, ok := header(tr.cells); ok {
				if err := missingColumns(named); err != nil {
					return nil, err
				}
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
		if cell("price") == "" && cell("valid_from") == "" && cell("reason") == "" {
			continue // a template row the supplier did not fill
		}
		r := &priceRow{line: tr.line, sku: cell("sku")}
		if raw := cell("reason"); raw != "" {
			if code, ok := readReason(raw); ok {
				r.Reason = code
			} else {
				r.Fail("reason", "tender.msg.unknown_reason", raw)
			}
		}
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
// one (a data row, whose price cell reads as a number). A row of names none
// of which is known is a header in the default column order.
func header(cells []string) (map[string]int, bool) {
	cols := map[string]int{}
	for i, c := range cells {
		if col, ok := columnNames[SearchKey(c)]; ok {
			if _, dup := cols[col]; !dup {
				cols[col] = i
			}
		}
	}
	if len(cols) == 0 {
		if len(cells) > 1 {
			if _, err := parsePrice(cells[1], false); err != nil {
				return defaultColumns, true
			}
		}
		return nil, false
	}
	return cols, true
}

// missingColumns refuses a header row without a required column, naming
// each missing one.
func missingColumns(cols map[string]int) error {
	var fs []apperr.FieldError
	for _, col := range requiredColumns {
		if _, ok := cols[col]; !ok {
			fs = append(fs, apperr.Field("file", "tender.msg.missing_column", apperr.K("tender.price_column."+col)))
		}
	}
	if len(fs) == 0 {
		return nil
	}
	return apperr.Invalid("tender.import.missing_columns", fs...)
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
