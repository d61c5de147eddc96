package volumes

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/paging"
	"madaf/internal/web"
)

// Handlers serves the volume figures and the exports.
type Handlers struct {
	Store *Store
	// OCDS configures the release package; its URI defaults to the
	// address the package is served from under OCDS.BaseURL.
	OCDS OCDS
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

func (h *Handlers) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Handlers) volumes(c *gin.Context) (int, any, error) {
	f, err := ParseFilter(c.Request.URL.Query())
	if err != nil {
		return 0, nil, err
	}
	group := c.DefaultQuery("group", GroupTender)
	rep, err := h.Store.Volumes(c.Request.Context(), auth.Caller(c), group, f)
	return http.StatusOK, rep, err
}

func (h *Handlers) headline(c *gin.Context) (int, any, error) {
	today := calendar.DateOf(h.now())
	year := today.Year()
	if s := c.Query("year"); s != "" {
		y, err := strconv.Atoi(s)
		if err != nil || y < 2000 || y > 2100 {
			return 0, nil, apperr.Invalid("volumes.bad_year", apperr.Field("year", "volumes.year_range", 2000, 2100))
		}
		year = y
	}
	hl, err := h.Store.Headline(c.Request.Context(), auth.Caller(c), year, today)
	return http.StatusOK, hl, err
}

func (h *Handlers) fees(c *gin.Context) (int, any, error) {
	f, err := ParseFilter(c.Request.URL.Query())
	if err != nil {
		return 0, nil, err
	}
	fees, err := h.Store.Fees(c.Request.Context(), auth.Caller(c), f)
	return http.StatusOK, fees, err
}

// statementParams reads ?supplier= (the caller's own for a supplier user)
// and ?month=.
func statementParams(c *gin.Context) (int64, calendar.Date, error) {
	var fields []apperr.FieldError
	supplierID := auth.Caller(c).SupplierID
	if s := c.Query("supplier"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			fields = append(fields, apperr.Field("supplier", "volumes.must_be_id"))
		}
		supplierID = id
	} else if supplierID == 0 {
		fields = append(fields, apperr.Field("supplier", "msg.required"))
	}
	var month calendar.Date
	if s := c.Query("month"); s == "" {
		fields = append(fields, apperr.Field("month", "msg.required"))
	} else if m, fe := parseMonth("month", s, false); fe != nil {
		fields = append(fields, *fe)
	} else {
		month = m
	}
	if len(fields) > 0 {
		return 0, month, apperr.Invalid("volumes.statement_params", fields...)
	}
	return supplierID, month, nil
}

func (h *Handlers) statement(c *gin.Context) (int, any, error) {
	supplierID, month, err := statementParams(c)
	if err != nil {
		return 0, nil, err
	}
	st, err := h.Store.LiveStatement(c.Request.Context(), auth.Caller(c), supplierID, month)
	return http.StatusOK, st, err
}

func (h *Handlers) performance(c *gin.Context) (int, any, error) {
	f, err := ParseFilter(c.Request.URL.Query())
	if err != nil {
		return 0, nil, err
	}
	items, err := h.Store.Performance(c.Request.Context(), auth.Caller(c), f, calendar.DateOf(h.now()))
	return http.StatusOK, paging.List[Performance]{Items: items}, err
}

func (h *Handlers) alerts(c *gin.Context) (int, any, error) {
	a, err := h.Store.Alerts(c.Request.Context(), auth.Caller(c), calendar.DateOf(h.now()))
	return http.StatusOK, a, err
}

// sendFile answers a download named name.format whose body write streams.
// Nothing is sent before write's first byte, so that a refusal (scope, a
// bad parameter) still answers a problem document; a failure after that
// can only cut the download short, and is logged.
func (h *Handlers) sendFile(c *gin.Context, name, format string, write func(w io.Writer) error) {
	lw := &lazyWriter{c: c, start: func() {
		c.Header("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.%s"`, name, format))
		c.Header("Content-Type", ContentType(format))
		c.Status(http.StatusOK)
	}}
	if err := write(lw); err != nil {
		if !lw.started {
			web.Error(c, err)
			return
		}
		c.Error(err)
		c.Abort()
	}
}

// lazyWriter starts the response at the first write.
type lazyWriter struct {
	c       *gin.Context
	start   func()
	started bool
}

func (l *lazyWriter) Write(p []byte) (int, error) {
	if !l.started {
		l.start()
		l.started = true
	}
	return l.c.Writer.Write(p)
}

// The exports read their parameters inside write: a refusal comes before
// the download's first byte, so sendFile still answers it as a problem.

func (h *Handlers) exportOrders(format string) gin.HandlerFunc {
	return func(c *gin.Context) {
		h.sendFile(c, "orders", format, func(w io.Writer) error {
			f, err := ParseFilter(c.Request.URL.Query())
			if err != nil {
				return err
			}
			sts, err := OrderStatuses(c.Query("status"))
			if err != nil {
				return err
			}
			return h.Store.ExportOrders(c.Request.Context(), auth.Caller(c), f, sts, format, w)
		})
	}
}

func (h *Handlers) exportVolumes(format string) gin.HandlerFunc {
	return func(c *gin.Context) {
		h.sendFile(c, "volumes", format, func(w io.Writer) error {
			f, err := ParseFilter(c.Request.URL.Query())
			if err != nil {
				return err
			}
			return h.Store.ExportVolumes(c.Request.Context(), auth.Caller(c), c.DefaultQuery("group", GroupTender), f, format, w)
		})
	}
}

// exportFees answers the fee accrual, or with ?month= a supplier's monthly
// fee statement.
func (h *Handlers) exportFees(format string) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Query("month") != "" {
			supplierID, month, err := statementParams(c)
			if err != nil {
				web.Error(c, err)
				return
			}
			name := fmt.Sprintf("fee-statement-%d-%s", supplierID, month.Time().Format("2006-01"))
			h.sendFile(c, name, format, func(w io.Writer) error {
				return h.Store.ExportStatement(c.Request.Context(), auth.Caller(c), supplierID, month, format, w)
			})
			return
		}
		h.sendFile(c, "fees", format, func(w io.Writer) error {
			f, err := ParseFilter(c.Request.URL.Query())
			if err != nil {
				return err
			}
			return h.Store.ExportFees(c.Request.Context(), auth.Caller(c), f, format, w)
		})
	}
}

func (h *Handlers) exportOCDS(c *gin.Context) (int, any, error) {
	f, err := ParseFilter(c.Request.URL.Query())
	if err != nil {
		return 0, nil, err
	}
	pkg, err := h.Store.ReleasePackage(c.Request.Context(), auth.Caller(c), f, h.OCDS, h.now())
	if err != nil {
		return 0, nil, err
	}
	c.Header("Content-Disposition", `inline; filename="ocds-release-package.json"`)
	return http.StatusOK, pkg, nil
}
