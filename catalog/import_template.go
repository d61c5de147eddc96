package catalog

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strings"

	"github.com/xuri/excelize/v2"

	"madaf/internal/i18n"
)

// Price-list template formats.
const (
	TemplateCSV  = "csv"
	TemplateXLSX = "xlsx"
)

// PriceListTemplate is a price list ready to fill for tender t with items:
// a header row naming the columns in lang (SKU, item name, unit, price,
// valid from, reason), then one row per item with its SKU, its name in lang
// and its unit, the rest left blank. The CSV is UTF-8 with a byte-order mark, so that
// Excel shows Hebrew and Arabic; the workbook runs right to left in Hebrew
// and Arabic and offers the price reasons, named in lang, as a list. Both
// import as they are (ImportPriceList skips the rows left blank).
func PriceListTemplate(format, lang string, items []Item) ([]byte, error) {
	cat := i18n.For(lang)
	head := make([]string, len(priceColumns))
	for i, col := range priceColumns {
		head[i] = cat.T("tender.price_column." + col)
	}
	rows := [][]string{head}
	for _, it := range items {
		rows = append(rows, []string{it.SKU, it.NameIn(lang), it.Unit, "", "", ""})
	}
	if format == TemplateCSV {
		var buf bytes.Buffer
		buf.WriteString("\ufeff")
		w := csv.NewWriter(&buf)
		w.UseCRLF = true
		if err := w.WriteAll(rows); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	return templateWorkbook(cat, lang, rows)
}

// templateWorkbook writes rows as the first sheet of a workbook.
func templateWorkbook(cat i18n.Catalog, lang string, rows [][]string) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	sheet := cat.T("tender.template_sheet")
	if err := f.SetSheetName(f.GetSheetName(0), sheet); err != nil {
		return nil, err
	}
	rtl := i18n.Dir(lang) == "rtl"
	if err := f.SetSheetView(sheet, 0, &excelize.ViewOptions{RightToLeft: &rtl}); err != nil {
		return nil, err
	}
	for i, r := range rows {
		cells := make([]any, len(r))
		for j, v := range r {
			cells[j] = v
		}
		if err := f.SetSheetRow(sheet, fmt.Sprintf("A%d", i+1), &cells); err != nil {
			return nil, err
		}
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return nil, err
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49}) // "@": the SKU stays text
	if err != nil {
		return nil, err
	}
	last := fmt.Sprint(max(len(rows), 2))
	if err := f.SetCellStyle(sheet, "A1", "F1", bold); err != nil {
		return nil, err
	}
	if err := f.SetCellStyle(sheet, "A2", "A"+last, text); err != nil {
		return nil, err
	}
	for col, width := range map[string]float64{"A": 16, "B": 48, "C": 12, "D": 12, "E": 16, "F": 22} {
		if err := f.SetColWidth(sheet, col, col, width); err != nil {
			return nil, err
		}
	}
	if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	reasons := make([]string, len(Reasons))
	for i, code := range Reasons {
		reasons[i] = cat.T("price_reason." + code)
	}
	dv := excelize.NewDataValidation(true)
	dv.SetSqref("F2:F" + fmt.Sprint(maxPriceListRows))
	if err := dv.SetDropList(reasons); err != nil {
		return nil, err
	}
	dv.SetInput(cat.T("tender.price_column.reason"), strings.Join(reasons, ", "))
	if err := f.AddDataValidation(sheet, dv); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
