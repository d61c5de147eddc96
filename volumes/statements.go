package volumes

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/money"
	"madaf/internal/paging"
	"madaf/internal/web"
)

// IssuedStatement is a supplier's monthly fee statement as the cluster
// issued it: numbered YYYY-MM/NNNN (the month and its running sequence),
// its supplier's names, figures and lines frozen at issue, and its payment
// once recorded. A month's first statement is its original; a later one is
// a supplement to it (SupplementsID, SupplementsNumber), billing what the
// month's live statement came to differ by since, order by order: its
// lines and total may be negative, a credit.
type IssuedStatement struct {
	ID            int64  `db:"id" json:"id"`
	Number        string `db:"number" json:"number"`
	SupplierID    int64  `db:"supplier_id" json:"supplier_id"`
	SupplierName  string `db:"supplier_name" json:"supplier_name"`
	CompanyNumber string `db:"company_number" json:"company_number"`
	Month         string `db:"month" json:"month"`
	// SupplementsID and SupplementsNumber name the month's original
	// statement this one supplements; both null on an original.
	SupplementsID     *int64          `db:"supplements_id" json:"supplements_id"`
	SupplementsNumber *string         `db:"supplements_number" json:"supplements_number"`
	OrderCount        int             `db:"order_count" json:"order_count"`
	Subtotal          money.Amount    `db:"subtotal" json:"subtotal"`
	Fee               money.Amount    `db:"fee" json:"fee"`
	Lines             []StatementLine `db:"-" json:"lines,omitempty"`
	IssuedBy          int64           `db:"issued_by" json:"issued_by"`
	IssuedAt          time.Time       `db:"issued_at" json:"issued_at"`
	// PaidOn is the day the supplier paid, or a credit was settled (null
	// while open), with the payment's reference, who recorded it and when.
	PaidOn           calendar.Date `db:"paid_on" json:"paid_on"`
	PaymentReference *string       `db:"payment_reference" json:"payment_reference"`
	PaidBy           *int64        `db:"paid_by" json:"paid_by"`
	PaidAt           *time.Time    `db:"paid_at" json:"paid_at"`
	Version          int           `db:"version" json:"version"`
}

// Paid reports whether the statement's payment (or settlement) is recorded.
func (s *IssuedStatement) Paid() bool { return !s.PaidOn.IsZero() }

// Supplement reports whether the statement supplements its month's
// original.
func (s *IssuedStatement) Supplement() bool { return s.SupplementsID != nil }

// OriginalID is the id of the original a supplement supplements, 0 on an
// original.
func (s *IssuedStatement) OriginalID() int64 {
	if s.SupplementsID == nil {
		return 0
	}
	return *s.SupplementsID
}

// OriginalNumber is the number of the original a supplement supplements,
// "" on an original.
func (s *IssuedStatement) OriginalNumber() string {
	if s.SupplementsNumber == nil {
		return ""
	}
	return *s.SupplementsNumber
}

// Credit reports whether the statement's fee is negative: the cluster owes
// the supplier, whose settlement is recorded as its payment.
func (s *IssuedStatement) Credit() bool { return s.Fee.IsNegative() }

// ETag is the statement's entity tag: it changes with every change.
func (s *IssuedStatement) ETag() string { return fmt.Sprintf(`"fs%d-%d"`, s.ID, s.Version) }

// LiveStatement is a supplier's live fee statement for a month beside what
// the month's issued statements billed: their numbers (the original first;
// none when nothing was issued), their sums (null then), and whether the
// live statement differs from what they billed of some order, so that a
// supplement is due.
type LiveStatement struct {
	*Statement
	IssuedNumbers  []string      `json:"issued_numbers"`
	IssuedSubtotal *money.Amount `json:"issued_subtotal"`
	IssuedFee      *money.Amount `json:"issued_fee"`
	SupplementDue  bool          `json:"supplement_due"`
}

// StatementFilter narrows the issued statements: a month (its first day),
// a supplier, paid or not (nil for both), and the page.
type StatementFilter struct {
	Month      calendar.Date
	SupplierID int64
	Paid       *bool
	Page       paging.Page
}

// IssueInput is the supplier and month (YYYY-MM) of a statement to issue.
type IssueInput struct {
	SupplierID int64  `json:"supplier_id"`
	Month      string `json:"month"`
}

// parse checks in: a supplier id and a month.
func (in IssueInput) parse() (int64, calendar.Date, error) {
	var fields []apperr.FieldError
	if in.SupplierID <= 0 {
		fields = append(fields, apperr.Field("supplier_id", "volumes.must_be_id"))
	}
	var month calendar.Date
	if in.Month == "" {
		fields = append(fields, apperr.Field("month", "msg.required"))
	} else if m, fe := parseMonth("month", in.Month, false); fe != nil {
		fields = append(fields, *fe)
	} else {
		month = m
	}
	if len(fields) > 0 {
		return 0, month, apperr.Invalid("volumes.statement.bad_issue", fields...)
	}
	return in.SupplierID, month, nil
}

// PaymentInput records a statement's payment: the day and the reference.
type PaymentInput struct {
	PaidOn    calendar.Date `json:"paid_on"`
	Reference string        `json:"payment_reference"`
}

// statementFilter reads ?month=, ?supplier= and ?paid= (true or false).
func statementFilter(c *gin.Context) (StatementFilter, error) {
	var f StatementFilter
	var fields []apperr.FieldError
	if s := c.Query("month"); s != "" {
		if m, fe := parseMonth("month", s, false); fe != nil {
			fields = append(fields, *fe)
		} else {
			f.Month = m
		}
	}
	if s := c.Query("supplier"); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			fields = append(fields, apperr.Field("supplier", "volumes.must_be_id"))
		}
		f.SupplierID = id
	}
	if s := c.Query("paid"); s != "" {
		paid, err := strconv.ParseBool(s)
		if err != nil {
			fields = append(fields, apperr.Field("paid", "msg.oneof", "true, false"))
		}
		f.Paid = &paid
	}
	if len(fields) > 0 {
		return f, apperr.Invalid("volumes.statement.bad_filter", fields...)
	}
	return f, nil
}

func statementID(c *gin.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, apperr.NotFound("not_found.fee_statement")
	}
	return id, nil
}

func (h *Handlers) issuedStatements(c *gin.Context) (int, any, error) {
	f, err := statementFilter(c)
	if err != nil {
		return 0, nil, err
	}
	if f.Page, err = web.ParsePage(c); err != nil {
		return 0, nil, err
	}
	items, err := h.Store.IssuedStatements(c.Request.Context(), auth.Caller(c), f)
	return http.StatusOK, paging.Of(f.Page, items, func(s IssuedStatement) int64 { return s.ID }), err
}

func (h *Handlers) issuedStatement(c *gin.Context) (int, any, error) {
	id, err := statementID(c)
	if err != nil {
		return 0, nil, err
	}
	st, err := h.Store.IssuedStatement(c.Request.Context(), auth.Caller(c), id)
	if err != nil {
		return 0, nil, err
	}
	c.Header("ETag", st.ETag())
	return http.StatusOK, st, nil
}

func (h *Handlers) issueStatement(c *gin.Context) (int, any, error) {
	var in IssueInput
	if err := web.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	supplierID, month, err := in.parse()
	if err != nil {
		return 0, nil, err
	}
	st, err := h.Store.IssueStatement(c.Request.Context(), auth.Caller(c), supplierID, month, h.now())
	if err != nil {
		return 0, nil, err
	}
	c.Header("ETag", st.ETag())
	c.Header("Location", fmt.Sprintf("/api/v1/volumes/fees/statements/%d", st.ID))
	return http.StatusCreated, st, nil
}

func (h *Handlers) payStatement(c *gin.Context) (int, any, error) {
	id, err := statementID(c)
	if err != nil {
		return 0, nil, err
	}
	var in PaymentInput
	if err := web.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	st, err := h.Store.MarkPaid(c.Request.Context(), auth.Caller(c), id, c.GetHeader("If-Match"), in, h.now())
	if err != nil {
		return 0, nil, err
	}
	c.Header("ETag", st.ETag())
	return http.StatusOK, st, nil
}
