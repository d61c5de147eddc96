package page

import (
	"fmt"
	"html/template"
	"reflect"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"madaf/internal/apperr"
	"madaf/internal/calendar"
	"madaf/internal/i18n"
	"madaf/internal/money"
)

// funcs are the template functions bound to one language's catalog.
func funcs(cat i18n.Catalog, lang string) template.FuncMap {
	return template.FuncMap{
		"t":        func(key string, args ...any) string { return cat.T(key, args...) },
		"enum":     cat.Enum,
		"msg":      func(v any) string { return message(cat, v) },
		"money":    Money,
		"amount":   Amount,
		"num":      Number,
		"percent":  Percent,
		"date":     FormatDate,
		"datetime": FormatDateTime,
		"isodate":  ISODate,
		"dict":     dict,
		"list":     func(xs ...any) []any { return xs },
		"seq": func(n int) []int {
			s := make([]int, n)
			for i := range s {
				s[i] = i
			}
			return s
		},
		"add":  func(a, b int) int { return a + b },
		"lang": func() string { return lang },
	}
}

// Money formats an amount in shekels: "₪ 1,250.50" (always two decimals).
// It takes decimal.Decimal, *decimal.Decimal, a decimal string or an
// integer; nil is "—".
func Money(v any) string {
	d, ok := toDecimal(v)
	if !ok {
		return "—"
	}
	return money.Format(d)
}

// Amount formats an amount without the currency sign: "1,250.50".
func Amount(v any) string {
	d, ok := toDecimal(v)
	if !ok {
		return "—"
	}
	return money.FormatAmount(d)
}

// Number formats a number with thousands separators, keeping its
// significant decimals: 1250 → "1,250", 2.50 → "2.5".
func Number(v any) string {
	d, ok := toDecimal(v)
	if !ok {
		return "—"
	}
	return money.Group(d.String())
}

// Percent formats a percentage: 17 → "17%", 1.5 → "1.5%".
func Percent(v any) string {
	d, ok := toDecimal(v)
	if !ok {
		return "—"
	}
	return d.String() + "%"
}

func toDecimal(v any) (decimal.Decimal, bool) {
	switch x := v.(type) {
	case decimal.Decimal:
		return x, true
	case *decimal.Decimal:
		if x == nil {
			return decimal.Zero, false
		}
		return *x, true
	case decimal.NullDecimal:
		return x.Decimal, x.Valid
	case string:
		d, err := decimal.NewFromString(x)
		return d, err == nil
	case int:
		return decimal.NewFromInt(int64(x)), true
	case int32:
		return decimal.NewFromInt(int64(x)), true
	case int64:
		return decimal.NewFromInt(x), true
	case *int64:
		if x == nil {
			return decimal.Zero, false
		}
		return decimal.NewFromInt(*x), true
	case float64:
		return decimal.NewFromFloat(x), true
	case nil:
		return decimal.Zero, false
	}
	// Types that embed decimal.Decimal (money.Amount, catalog.Money,
	// orders.Quantity) and pointers to them.
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return decimal.Zero, false
		}
		v = rv.Elem().Interface()
	}
	if d, ok := v.(interface {
		Add(decimal.Decimal) decimal.Decimal
	}); ok {
		return d.Add(decimal.Zero), true
	}
	return decimal.Zero, false
}

// FormatDate writes dd/mm/yyyy; it takes calendar.Date, time.Time (read in
// Israel) or their pointers; no date is "—".
func FormatDate(v any) string {
	switch x := v.(type) {
	case calendar.Date:
		if x.IsZero() {
			return "—"
		}
		return x.Time().Format("02/01/2006")
	case *calendar.Date:
		if x == nil {
			return "—"
		}
		return FormatDate(*x)
	case time.Time:
		if x.IsZero() {
			return "—"
		}
		return x.In(calendar.Israel).Format("02/01/2006")
	case *time.Time:
		if x == nil {
			return "—"
		}
		return FormatDate(*x)
	case string:
		if d, err := calendar.Parse(x); err == nil {
			return FormatDate(d)
		}
		return x
	}
	return "—"
}

// FormatDateTime writes dd/mm/yyyy HH:MM in Israel time.
func FormatDateTime(v any) string {
	switch x := v.(type) {
	case time.Time:
		if x.IsZero() {
			return "—"
		}
		return x.In(calendar.Israel).Format("02/01/2006 15:04")
	case *time.Time:
		if x == nil {
			return "—"
		}
		return FormatDateTime(*x)
	}
	return FormatDate(v)
}

// ISODate writes YYYY-MM-DD for <input type="date"> values; "" for none.
func ISODate(v any) string {
	switch x := v.(type) {
	case calendar.Date:
		return x.String()
	case *calendar.Date:
		if x != nil {
			return x.String()
		}
	case time.Time:
		if !x.IsZero() {
			return calendar.DateOf(x).String()
		}
	case string:
		return x
	}
	return ""
}

// dict builds a map from key/value pairs, for passing several values to a
// partial: {{template "x" (dict "Form" .Form "Name" "email")}}.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, fmt.Errorf("dict: odd number of arguments")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
		}
		m[k] = kv[i+1]
	}
	return m, nil
}

// Itoa is strconv.Itoa for int64, for building paths in handlers.
func Itoa(n int64) string { return strconv.FormatInt(n, 10) }

// message translates what a template shows as a message: an apperr.Msg, or
// a message key.
func message(cat i18n.Catalog, v any) string {
	switch m := v.(type) {
	case apperr.Msg:
		return cat.Msg(m)
	case *apperr.Msg:
		if m == nil {
			return ""
		}
		return cat.Msg(*m)
	case string:
		return cat.T(m)
	case interface{ Msg() apperr.Msg }:
		return cat.Msg(m.Msg())
	}
	return fmt.Sprint(v)
}
