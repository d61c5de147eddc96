package page

import (
	"strconv"

	"github.com/shopspring/decimal"
)

// Chart is a horizontal bar chart laid out for the "bar_chart" partial, an
// inline SVG (no script, no style attribute). Bars grow from the side the
// text starts on: the right in Hebrew and Arabic, the left in English.
type Chart struct {
	Title  string
	Width  int
	Height int
	Bars   []ChartBar
}

// ChartBar is one laid-out bar.
type ChartBar struct {
	Label, Short, Text string
	X, Y, W, H         string
	LabelX, ValueX     string
	TextY              string
	ValueAnchor        string
}

// BarPoint is one value to chart.
type BarPoint struct {
	Label string
	Value decimal.Decimal
}

const (
	chartWidth  = 720
	labelWidth  = 230
	valueWidth  = 120
	barHeight   = 22
	barGap      = 8
	labelRunes  = 30
	chartMargin = 4
)

// BarChart lays out points for dir ("rtl" or "ltr"); format writes each
// value's text (Money for amounts). Negative values draw as empty bars.
func BarChart(title, dir string, points []BarPoint, format func(any) string) Chart {
	ch := Chart{Title: title, Width: chartWidth, Height: len(points)*(barHeight+barGap) + barGap}
	maxV := decimal.Zero
	for _, p := range points {
		if p.Value.GreaterThan(maxV) {
			maxV = p.Value
		}
	}
	area := float64(chartWidth - labelWidth - valueWidth - 2*chartMargin)
	for i, p := range points {
		w := 0.0
		if maxV.IsPositive() && p.Value.IsPositive() {
			w, _ = p.Value.Div(maxV).Float64()
			w *= area
		}
		y := barGap + i*(barHeight+barGap)
		b := ChartBar{
			Label: p.Label, Short: shorten(p.Label), Text: format(p.Value),
			Y: itoa(y), H: itoa(barHeight), W: ftoa(w), TextY: itoa(y + barHeight*3/4),
		}
		if dir == "rtl" {
			b.LabelX = itoa(chartWidth - chartMargin)
			b.X = ftoa(float64(chartWidth-labelWidth) - w)
			b.ValueX = ftoa(float64(chartWidth-labelWidth) - w - 6)
			b.ValueAnchor = "end"
		} else {
			b.LabelX = itoa(labelWidth - 8)
			b.X = itoa(labelWidth)
			b.ValueX = ftoa(float64(labelWidth) + w + 6)
			b.ValueAnchor = "start"
		}
		ch.Bars = append(ch.Bars, b)
	}
	return ch
}

// shorten cuts a label to fit its column.
func shorten(s string) string {
	r := []rune(s)
	if len(r) <= labelRunes {
		return s
	}
	return string(r[:labelRunes-1]) + "…"
}

func itoa(n int) string { return strconv.Itoa(n) }

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }
