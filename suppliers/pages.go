package suppliers

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"madaf/documents"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/page"
	"madaf/internal/paging"
	"madaf/internal/validate"
	"madaf/internal/web"
)

// pages serves the supplier registry's administration.
type pages struct {
	eng   *page.Engine
	store *Store
	list  *page.Page
	show  *page.Page
	docs  *documents.Service
}

// mountPages adds /admin/suppliers (the cluster) to r.
func mountPages(r gin.IRouter, eng *page.Engine, s *Store, docs *documents.Service) {
	p := &pages{eng: eng, store: s, docs: docs, list: eng.MustPage("suppliers_list"), show: eng.MustPage("suppliers_show")}
	admin := eng.RequireRole(auth.RoleClusterAdmin)
	g := r.Group("/admin/suppliers", eng.RequireRole(auth.RoleClusterAdmin, auth.RoleEconomicLead))
	g.GET("", eng.Serve(p.listPage))
	g.POST("", admin, eng.Serve(p.create))
	g.GET("/:id", eng.Serve(p.showPage))
	g.POST("/:id", admin, eng.Serve(p.update))
	g.POST("/:id/certificates", admin, eng.Serve(p.addCertificate))
	g.POST("/:id/suspend", admin, eng.Serve(p.suspend))
	g.POST("/:id/resume", admin, eng.Serve(p.resume))
}

// supplierRow is a supplier with whether it may receive orders today.
type supplierRow struct {
	Supplier
	Reasons []Reason
}

// listData is the registry with the new-supplier form.
type listData struct {
	Suppliers []supplierRow
	CanEdit   bool
}

func (p *pages) listPage(c *gin.Context) error { return p.renderList(c, http.StatusOK, nil) }

func (p *pages) renderList(c *gin.Context, status int, f *page.Form) error {
	caller := auth.Caller(c)
	ss, err := p.store.List(c, caller, paging.Page{Limit: 1000})
	if err != nil {
		return err
	}
	slices.SortFunc(ss, func(a, b Supplier) int { return strings.Compare(a.LegalName, b.LegalName) })
	d := listData{CanEdit: caller.Has(auth.RoleClusterAdmin)}
	today := calendar.Today()
	for _, s := range ss {
		reasons, err := p.store.Eligibility(c, s.ID, today)
		if err != nil {
			return err
		}
		d.Suppliers = append(d.Suppliers, supplierRow{Supplier: s, Reasons: reasons})
	}
	p.eng.Render(c, status, p.list, d, f)
	return nil
}

func readSupplier(f *page.Form) SupplierInput {
	return SupplierInput{CompanyNumber: f.Text("company_number", page.Required), LegalName: f.Text("legal_name", page.Required),
		Email: f.Text("email", page.Required), Phone: f.Value("phone"), Address: f.Value("address")}
}

func (p *pages) create(c *gin.Context) error {
	f := page.ReadForm(c)
	in := readSupplier(f)
	if f.Valid() {
		err := validate.Struct(&in)
		if err == nil {
			var s *Supplier
			if s, err = p.store.Create(c, in); err == nil {
				p.eng.Redirect(c, "/admin/suppliers/"+page.Itoa(s.ID), "supplier.created")
				return nil
			}
		}
		if !f.Absorb(err, nil) && !f.AbsorbConflict(err) {
			return err
		}
	}
	return p.renderList(c, http.StatusUnprocessableEntity, f)
}

// showData is one supplier with its certificates.
type showData struct {
	Supplier     *Supplier
	Certificates []Certificate
	Reasons      []Reason
	Kinds        []string
	CanEdit      bool
	Today        calendar.Date
	// Documents is the supplier's documents section (certificate scans).
	Documents *documents.Section
}

func (p *pages) showPage(c *gin.Context) error { return p.renderShow(c, http.StatusOK, nil) }

func (p *pages) renderShow(c *gin.Context, status int, f *page.Form) error {
	caller := auth.Caller(c)
	id, err := web.ParamID(c, "id", "not_found.supplier")
	if err != nil {
		return err
	}
	s, err := p.store.Get(c, caller, id)
	if err != nil {
		return err
	}
	d := showData{Supplier: s, Kinds: MandatoryCertificates, CanEdit: caller.Has(auth.RoleClusterAdmin), Today: calendar.Today()}
	if d.Certificates, err = p.store.Certificates(c, caller, id); err != nil {
		return err
	}
	if d.Reasons, err = p.store.Eligibility(c, id, d.Today); err != nil {
		return err
	}
	if d.Documents, err = p.docs.Section(c, documents.Supplier(id)); err != nil {
		return err
	}
	// The edit form shows the stored values unless they were just posted.
	stored := url.Values{"company_number": {s.CompanyNumber}, "legal_name": {s.LegalName}, "email": {s.Email},
		"phone": {s.Phone}, "address": {s.Address}}
	if f == nil {
		f = page.NewForm(nil)
	}
	for k, v := range stored {
		if _, posted := f.Values[k]; !posted {
			f.Values[k] = v
		}
	}
	p.eng.Render(c, status, p.show, d, f)
	return nil
}

// supplierAction runs a change of supplier :id from a form and redirects
// back, or draws the page again with the form's errors.
func (p *pages) supplierAction(c *gin.Context, flash string, run func(id int64, f *page.Form) error) error {
	id, err := web.ParamID(c, "id", "not_found.supplier")
	if err != nil {
		return err
	}
	f := page.ReadForm(c)
	if err = run(id, f); err == nil && f.Valid() {
		p.eng.Redirect(c, "/admin/suppliers/"+page.Itoa(id), flash)
		return nil
	}
	if err != nil && !f.Absorb(err, nil) && !f.AbsorbConflict(err) {
		return err
	}
	return p.renderShow(c, http.StatusUnprocessableEntity, f)
}

func (p *pages) update(c *gin.Context) error {
	return p.supplierAction(c, "supplier.saved", func(id int64, f *page.Form) error {
		in := readSupplier(f)
		if !f.Valid() {
			return nil
		}
		if err := validate.Struct(&in); err != nil {
			return err
		}
		_, err := p.store.Update(c, id, in)
		return err
	})
}

func (p *pages) addCertificate(c *gin.Context) error {
	return p.supplierAction(c, "supplier.certificate_added", func(id int64, f *page.Form) error {
		in := CertificateInput{Kind: f.Text("kind", page.Required), Number: f.Text("number", page.Required),
			ValidUntil: f.Date("valid_until", page.Required)}
		if !f.Valid() {
			return nil
		}
		if err := validate.Struct(&in); err != nil {
			return err
		}
		_, err := p.store.AddCertificate(c, id, in)
		return err
	})
}

func (p *pages) suspend(c *gin.Context) error {
	return p.supplierAction(c, "supplier.suspended", func(id int64, f *page.Form) error {
		in := SuspendInput{Reason: f.Text("reason", page.Required), Until: f.Date("until", false)}
		if !f.Valid() {
			return nil
		}
		_, err := p.store.Suspend(c, id, in)
		return err
	})
}

func (p *pages) resume(c *gin.Context) error {
	return p.supplierAction(c, "supplier.resumed", func(id int64, f *page.Form) error {
		_, err := p.store.Resume(c, id)
		return err
	})
}
