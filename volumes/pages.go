package volumes

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/i18n"
	"madaf/internal/page"
)

// pages serves the economic lead's dashboard and a supplier's own volumes.
type pages struct {
	eng       *page.Engine
	store     *Store
	dashboard *page.Page
	supplier  *page.Page
}

// mountPages adds /dashboard (the cluster) and /supplier/volumes (a
// supplier) to r.
func mountPages(r gin.IRouter, eng *page.Engine, s *Store) {
	p := &pages{eng: eng, store: s,
		dashboard: eng.MustPage("volumes_dashboard"), supplier: eng.MustPage("volumes_supplier")}
	r.GET("/dashboard", eng.RequireRole(auth.RoleEconomicLead, auth.RoleClusterAdmin), eng.Serve(p.dashboardPage))
	r.GET("/supplier/volumes", eng.RequireRole(auth.RoleSupplier), eng.Serve(p.supplierPage))
}

// dashboardData is the economic lead's dashboard.
type dashboardData struct {
	Year        int
	Years       []int
	Headline    *Headline
	Alerts      *Alerts
	ByTender    *Report
	ByAuthority *Report
	ByMonth     *Report
	Performance []Performance
	Charts      []page.Chart
	Recent      []RecentOrder
}

func (p *pages) dashboardPage(c *gin.Context) error {
	caller := auth.Caller(c)
	today := calendar.Today()
	d := dashboardData{Year: page.QueryYear(c)}
	for y := today.Year(); y >= today.Year()-3; y-- {
		d.Years = append(d.Years, y)
	}
	f := YearFilter(d.Year)
	var err error
	if d.Headline, err = p.store.Headline(c, caller, d.Year, today); err != nil {
		return err
	}
	if d.Alerts, err = p.store.Alerts(c, caller, today); err != nil {
		return err
	}
	for _, g := range []struct {
		group string
		dst   **Report
	}{{GroupTender, &d.ByTender}, {GroupAuthority, &d.ByAuthority}, {GroupMonth, &d.ByMonth}} {
		if *g.dst, err = p.store.Volumes(c, caller, g.group, f); err != nil {
			return err
		}
	}
	if d.Performance, err = p.store.Performance(c, caller, f, today); err != nil {
		return err
	}
	d.Charts = p.charts(c, d.ByTender, d.ByAuthority, d.ByMonth)
	if d.Recent, err = p.store.RecentOrders(c, caller, 10); err != nil {
		return err
	}
	p.eng.Render(c, http.StatusOK, p.dashboard, d, nil)
	return nil
}

// charts draws the reports as bar charts of totals including VAT.
func (p *pages) charts(c *gin.Context, reports ...*Report) []page.Chart {
	lang := page.LangOf(c)
	cat := p.eng.Catalog(lang)
	var out []page.Chart
	for _, r := range reports {
		if r == nil {
			continue
		}
		pts := make([]page.BarPoint, 0, len(r.Items))
		for _, it := range r.Items {
			label := it.Label
			if r.Group == GroupMonth {
				label = monthLabel(it.Month)
			}
			pts = append(pts, page.BarPoint{Label: label, Value: it.Total.Decimal})
		}
		out = append(out, page.BarChart(cat.T("volumes.chart_by_"+r.Group), i18n.Dir(lang), pts, page.Money))
	}
	return out
}

// monthLabel writes YYYY-MM as mm/yyyy.
func monthLabel(m string) string {
	if len(m) == 7 {
		return m[5:] + "/" + m[:4]
	}
	return m
}

// supplierData is a supplier's own volumes.
type supplierData struct {
	Year        int
	Headline    *Headline
	ByTender    *Report
	ByAuthority *Report
	Performance []Performance
	Charts      []page.Chart
}

func (p *pages) supplierPage(c *gin.Context) error {
	caller := auth.Caller(c)
	today := calendar.Today()
	d := supplierData{Year: page.QueryYear(c)}
	f := YearFilter(d.Year)
	var err error
	if d.Headline, err = p.store.Headline(c, caller, d.Year, today); err != nil {
		return err
	}
	if d.ByTender, err = p.store.Volumes(c, caller, GroupTender, f); err != nil {
		return err
	}
	if d.ByAuthority, err = p.store.Volumes(c, caller, GroupAuthority, f); err != nil {
		return err
	}
	if d.Performance, err = p.store.Performance(c, caller, f, today); err != nil {
		return err
	}
	d.Charts = p.charts(c, d.ByTender, d.ByAuthority)
	p.eng.Render(c, http.StatusOK, p.supplier, d, nil)
	return nil
}
