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
)

// Required marks a form value that must not be empty.
const Required = true

// Form is a submitted form: its values, to draw them again, and the
// errors beside its fields. Errors hold message keys or English messages;
// they are translated when the page is drawn.
type Form struct {
	Values url.Values
	Errors map[string]string
	// Message is an error about the form as a whole.
	Message string
}

// NewForm returns a form holding values (nil for an empty form).
func NewForm(values url.Values) *Form {
	if values == nil {
		values = url.Values{}
	}
	return &Form{Values: values, Errors: map[string]string{}}
}

// ReadForm parses the posted form (body and query) of the request. A body
// that cannot be parsed leaves the form empty with a form-level error.
func ReadForm(c *gin.Context) *Form {
	if err := c.Request.ParseForm(); err != nil {
		f := NewForm(nil)
		f.Message = "form.unreadable"
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

// Error is the error message beside field name ("" when none).
func (f *Form) Error(name string) string { return f.Errors[name] }

// HasErrors reports whether any field or the form has an error.
func (f *Form) HasErrors() bool { return len(f.Errors) > 0 || f.Message != "" }

// Valid reports whether no error has been recorded.
func (f *Form) Valid() bool { return !f.HasErrors() }

// Fail records msg (a message key or message) beside field name; the
// first error of a field wins.
func (f *Form) Fail(name, msg string) {
	if _, ok := f.Errors[name]; !ok {
		f.Errors[name] = msg
	}
}

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
		fields = append(fields, apperr.FieldError{Field: k, Message: v})
	}
	return apperr.Invalid("the form has invalid fields", fields...)
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
		f.Message = ae.Message
		return true
	}
	for _, fe := range ae.Fields {
		name := fe.Field
		if r, ok := rename[name]; ok {
			name = r
		}
		if name == "" {
			if f.Message == "" {
				f.Message = fe.Message
			}
			continue
		}
		f.Fail(name, fe.Message)
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
	f.Message = ae.Message
	return true
}

// translated returns a copy whose messages are in cat's language.
func (f *Form) translated(cat Catalog) *Form {
	out := &Form{Values: f.Values, Errors: make(map[string]string, len(f.Errors))}
	for k, v := range f.Errors {
		out.Errors[k] = cat.Message(v)
	}
	if f.Message != "" {
		out.Message = cat.Message(f.Message)
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
