package page

import (
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/shopspring/decimal"

	"madaf/internal/apperr"
	"madaf/internal/calendar"
	"madaf/internal/i18n"
)

// Required marks a form value that must not be empty.
const Required = true

// Form is a submitted form: its values, to draw them again, and the
// errors beside its fields. Errors are message keys with their arguments,
// translated when the page is drawn.
type Form struct {
	Values url.Values
	Errors map[string]apperr.Msg
	// Message is an error about the form as a whole.
	Message apperr.Msg
}

// NewForm returns a form holding values (nil for an empty form).
func NewForm(values url.Values) *Form {
	if values == nil {
		values = url.Values{}
	}
	return &Form{Values: values, Errors: map[string]apperr.Msg{}}
}

// ReadForm parses the posted form (body and query) of the request. A body
// that cannot be parsed leaves the form empty with a form-level error.
func ReadForm(c *gin.Context) *Form {
	if err := c.Request.ParseForm(); err != nil {
		f := NewForm(nil)
		f.Message = apperr.M("form.unreadable")
		return f
	}
	return NewForm(c.Request.PostForm)
}

// Value is the submitted value of name, trimmed.
func (f *Form) Value(name string) string { return strings.TrimSpace(f.Values.Get(name)) }

// Checked reports whether the checkbox name was submitted with value.
func (f *Form) Checked(name, value string) bool {
	for _, v := range f.Values[name] {
		if v == value {
			return true
		}
	}
	return false
}

// Error is the error beside field name (zero when none).
func (f *Form) Error(name string) apperr.Msg { return f.Errors[name] }

// HasErrors reports whether any field or the form has an error.
func (f *Form) HasErrors() bool { return len(f.Errors) > 0 || !f.Message.IsZero() }

// Valid reports whether no error has been recorded.
func (f *Form) Valid() bool { return !f.HasErrors() }

// Fail records the message key with its arguments beside field name; the
// first error of a field wins.
func (f *Form) Fail(name, key string, args ...any) { f.FailMsg(name, apperr.M(key, args...)) }

// FailMsg records m beside field name; the first error of a field wins.
func (f *Form) FailMsg(name string, m apperr.Msg) {
	if _, ok := f.Errors[name]; !ok {
		f.Errors[name] = m
	}
}

// Refuse records the message key with its arguments as the form's message.
func (f *Form) Refuse(key string, args ...any) { f.Message = apperr.M(key, args...) }

// Text returns the trimmed value of name; a required empty value records
// an error.
func (f *Form) Text(name string, required bool) string {
	v := f.Value(name)
	if required && v == "" {
		f.Fail(name, "msg.required")
	}
	return v
}

// Int64 reads a whole number (0 when empty).
func (f *Form) Int64(name string, required bool) int64 {
	v := f.Text(name, required)
	if v == "" {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		f.Fail(name, "msg.whole_number")
	}
	return n
}

// Decimal reads a number such as "12.5" or "1,250.50" (zero when empty).
func (f *Form) Decimal(name string, required bool) decimal.Decimal {
	v := strings.ReplaceAll(f.Text(name, required), ",", "")
	if v == "" {
		return decimal.Zero
	}
	d, err := decimal.NewFromString(v)
	if err != nil {
		f.Fail(name, "msg.number")
	}
	return d
}

// Date reads YYYY-MM-DD (what <input type="date"> sends) or dd/mm/yyyy.
func (f *Form) Date(name string, required bool) calendar.Date {
	v := f.Text(name, required)
	if v == "" {
		return calendar.Date{}
	}
	if d, err := calendar.Parse(v); err == nil {
		return d
	}
	parts := strings.Split(v, "/")
	if len(parts) == 3 {
		if d, err := calendar.Parse(parts[2] + "-" + pad2(parts[1]) + "-" + pad2(parts[0])); err == nil {
			return d
		}
	}
	f.Fail(name, "msg.date")
	return calendar.Date{}
}

func pad2(s string) string {
	if len(s) == 1 {
		return "0" + s
	}
	return s
}

// Err is the form's errors as an apperr invalid error, or nil.
func (f *Form) Err() error {
	if f.Valid() {
		return nil
	}
	fields := make([]apperr.FieldError, 0, len(f.Errors))
	for k, v := range f.Errors {
		fields = append(fields, apperr.FieldError{Field: k, Msg: v})
	}
	e := apperr.Invalid("error.invalid_fields", fields...)
	if !f.Message.IsZero() {
		e.Msg = f.Message
	}
	return e
}

// Absorb puts the field errors of err (an apperr invalid error from a store
// or service) beside the form's fields and reports whether it did, in which
// case the handler draws the form again with status 422. rename maps the
// service's field names (e.g. "lines[0].quantity") to the form's; a field
// the form does not name becomes the form-level message. An error of any
// other kind is left to the error page (false).
func (f *Form) Absorb(err error, rename map[string]string) bool {
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Kind != apperr.KindInvalid {
		return false
	}
	if len(ae.Fields) == 0 {
		f.Message = ae.Msg
		return true
	}
	for _, fe := range ae.Fields {
		name := fe.Field
		if r, ok := rename[name]; ok {
			name = r
		}
		if name == "" {
			if f.Message.IsZero() {
				f.Message = fe.Msg
			}
			continue
		}
		f.FailMsg(name, fe.Msg)
	}
	return true
}

// AbsorbConflict shows a conflict (wrong state, no room under a ceiling)
// as the form's message and reports whether err was one.
func (f *Form) AbsorbConflict(err error) bool {
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Kind != apperr.KindConflict {
		return false
	}
	f.Message = ae.Msg
	return true
}

// FormView is a form as a page draws it: its values and its messages in
// the page's language.
type FormView struct {
	Values  url.Values
	Errors  map[string]string
	Message string
}

// Value is the submitted value of name, trimmed.
func (v *FormView) Value(name string) string { return strings.TrimSpace(v.Values.Get(name)) }

// Checked reports whether the checkbox name was submitted with value.
func (v *FormView) Checked(name, value string) bool {
	for _, x := range v.Values[name] {
		if x == value {
			return true
		}
	}
	return false
}

// Error is the translated error beside field name ("" when none).
func (v *FormView) Error(name string) string { return v.Errors[name] }

// translated is f with its messages in cat's language.
func (f *Form) translated(cat i18n.Catalog) *FormView {
	out := &FormView{Values: f.Values, Errors: make(map[string]string, len(f.Errors)), Message: cat.Msg(f.Message)}
	for k, v := range f.Errors {
		out.Errors[k] = cat.Msg(v)
	}
	return out
}

// QueryYear is the request's ?year= when it is a year from 2000 to 2100,
// else this year: the year a page of yearly figures shows.
func QueryYear(c *gin.Context) int {
	if y, err := strconv.Atoi(c.Query("year")); err == nil && y >= 2000 && y <= 2100 {
		return y
	}
	return calendar.Today().Year()
}
