package volumes

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/page"
	"madaf/internal/paging"
	"madaf/internal/web"
)

// statementPages serve the cluster's issued fee statements (the list, the
// issue form and the payment form), one statement to print, and a
// supplier's own statements.
type statementPages struct {
	eng      *page.Engine
	store    *Store
	now      func() time.Time // never nil
	list     *page.Page
	show     *page.Page
	supplier *page.Page
}

func mountStatementPages(r gin.IRouter, eng *page.Engine, s *Store, now func() time.Time) {
	p := &statementPages{eng: eng, store: s, now: now, list: eng.MustPage("volumes_statements"),
		show: eng.MustPage("volumes_statement"), supplier: eng.MustPage("volumes_supplier_statements")}
	cluster := eng.RequireRole(auth.RoleEconomicLead, auth.RoleClusterAdmin)
	r.GET("/fees/statements", cluster, eng.Serve(p.listPage))
	r.POST("/fees/statements", cluster, eng.Serve(p.issue))
	r.GET("/fees/statements/:id", eng.RequireRole(auth.RoleEconomicLead, auth.RoleClusterAdmin, auth.RoleSupplier), eng.Serve(p.showPage))
	r.POST("/fees/statements/:id/paid", cluster, eng.Serve(p.pay))
	r.GET("/supplier/statements", eng.RequireRole(auth.RoleSupplier), eng.Serve(p.supplierPage))
}

func (p *statementPages) today() calendar.Date { return calendar.DateOf(p.now()) }

// SupplierChoice is a supplier the issue form offers.
type SupplierChoice struct {
	ID   int64  `db:"id"`
	Name string `db:"legal_name"`
}

// statementsData is the cluster's list of issued statements, one page at
// a time (NextURL leads to the next), with the form that issues one: the
// suppliers and the last twelve ended months.
type statementsData struct {
	Statements []IssuedStatement
	NextURL    string
	Month      string
	Months     []string
	Suppliers  []SupplierChoice
}

// nextURL links the page of statements after items, one page (pg) of a
// list at path; "" after the last.
func nextURL(c *gin.Context, path string, pg paging.Page, items []IssuedStatement) string {
	return page.NextURL(c, path, paging.Of(pg, items, func(s IssuedStatement) int64 { return s.ID }).NextCursor)
}

func (p *statementPages) listPage(c *gin.Context) error { return p.renderList(c, http.StatusOK, nil) }

func (p *statementPages) renderList(c *gin.Context, status int, f *page.Form) error {
	pg, err := web.ParsePage(c)
	if err != nil {
		return err
	}
	d := statementsData{}
	filter := StatementFilter{Page: pg}
	if m, fe := parseMonth("month", c.Query("month"), false); fe == nil {
		filter.Month, d.Month = m, c.Query("month")
	}
	if d.Statements, err = p.store.IssuedStatements(c, auth.Caller(c), filter); err != nil {
		return err
	}
	d.NextURL = nextURL(c, "/fees/statements", filter.Page, d.Statements)
	first := Month(p.today()).Time()
	for i := 1; i <= 12; i++ {
		d.Months = append(d.Months, first.AddDate(0, -i, 0).Format("2006-01"))
	}
	if d.Suppliers, err = p.store.SupplierChoices(c); err != nil {
		return err
	}
	if f == nil {
		f = page.NewForm(url.Values{"month": {d.Months[0]}})
	}
	p.eng.Render(c, status, p.list, d, f)
	return nil
}

// issue reads supplier_id and month (YYYY-MM) and issues that statement.
func (p *statementPages) issue(c *gin.Context) error {
	f := page.ReadForm(c)
	supplierID := f.Int64("supplier_id", page.Required)
	month := f.Text("month", page.Required)
	if f.Valid() {
		sid, m, err := IssueInput{SupplierID: supplierID, Month: month}.parse()
		if err == nil {
			var st *IssuedStatement
			st, err = p.store.IssueStatement(c, auth.Caller(c), sid, m, p.now())
			if err == nil {
				p.eng.Redirect(c, fmt.Sprintf("/fees/statements/%d", st.ID), "volumes.statement.issued_flash")
				return nil
			}
		}
		if !f.Absorb(err, map[string]string{"supplier": "supplier_id"}) && !f.AbsorbConflict(err) {
			return err
		}
	}
	return p.renderList(c, http.StatusUnprocessableEntity, f)
}

// statementData is one issued statement and, for the cluster, the
// payment form while it is unpaid and its month's live statement beside
// what was issued for it (Live), which says when a supplement is due.
type statementData struct {
	Statement *IssuedStatement
	Live      *LiveStatement
	CanPay    bool
	Today     string
}

func (p *statementPages) showPage(c *gin.Context) error { return p.renderShow(c, http.StatusOK, nil) }

func (p *statementPages) renderShow(c *gin.Context, status int, f *page.Form) error {
	id, err := statementID(c)
	if err != nil {
		return err
	}
	caller := auth.Caller(c)
	st, err := p.store.IssuedStatement(c, caller, id)
	if err != nil {
		return err
	}
	cluster := caller.HasAny(auth.RoleEconomicLead, auth.RoleClusterAdmin)
	d := statementData{Statement: st, Today: p.today().String(), CanPay: !st.Paid() && cluster}
	if cluster {
		month, fe := parseMonth("month", st.Month, false)
		if fe != nil {
			return fmt.Errorf("statement %d: month %q", st.ID, st.Month)
		}
		if d.Live, err = p.store.LiveStatement(c, caller, st.SupplierID, month); err != nil {
			return err
		}
	}
	if f == nil {
		f = page.NewForm(url.Values{"paid_on": {d.Today}})
	}
	// A form drawn again answers the statement as it stands now.
	f.Values.Set("etag", st.ETag())
	p.eng.Render(c, status, p.show, d, f)
	return nil
}

// pay reads paid_on, payment_reference and the etag the form was drawn
// with, and records the payment.
func (p *statementPages) pay(c *gin.Context) error {
	id, err := statementID(c)
	if err != nil {
		return err
	}
	f := page.ReadForm(c)
	in := PaymentInput{PaidOn: f.Date("paid_on", page.Required), Reference: f.Text("payment_reference", page.Required)}
	status := http.StatusUnprocessableEntity
	if f.Valid() {
		_, err := p.store.MarkPaid(c, auth.Caller(c), id, f.Value("etag"), in, p.now())
		switch {
		case err == nil:
			p.eng.Redirect(c, "/fees/statements/"+strconv.FormatInt(id, 10), "volumes.statement.paid_flash")
			return nil
		case apperr.Is(err, apperr.KindPrecondition):
			f.Refuse("volumes.statement.stale_form")
			status = http.StatusConflict
		case f.AbsorbConflict(err):
			status = http.StatusConflict
		case !f.Absorb(err, nil):
			return err
		}
	}
	return p.renderShow(c, status, f)
}

// supplierStatementsData is one page of a supplier's own statements.
type supplierStatementsData struct {
	Statements []IssuedStatement
	NextURL    string
}

// supplierPage lists the calling supplier's own statements, one page at a
// time.
func (p *statementPages) supplierPage(c *gin.Context) error {
	pg, err := web.ParsePage(c)
	if err != nil {
		return err
	}
	items, err := p.store.IssuedStatements(c, auth.Caller(c), StatementFilter{Page: pg})
	if err != nil {
		return err
	}
	d := supplierStatementsData{Statements: items, NextURL: nextURL(c, "/supplier/statements", pg, items)}
	p.eng.Render(c, http.StatusOK, p.supplier, d, nil)
	return nil
}
