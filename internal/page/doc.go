// Package page draws Madaf's server-rendered web pages: one template set per
// page, message catalogs in Hebrew (the default), Arabic and English, the
// formatting of money, dates and numbers, forms with errors beside their
// fields, and the page-side error responder.
//
// # How a feature adds a page
//
// First, write templates/pages/<feature>_<name>.html defining two
// templates, "title" and "content"; the layout draws the header,
// navigation, language switch and flash message around them:
//
//	{{define "title"}}{{t "workplan.title"}}{{end}}
//	{{define "content"}}
//	<h1>{{t "workplan.title"}}</h1>
//	{{range .Data.Goals}}<p>{{.Name}} — <span class="num">{{money .Budget}}</span></p>{{end}}
//	{{end}}
//
// Second, put every key the page uses in templates/i18n/he/<feature>.json
// and the same keys in ar/ and en/ (a test fails when the three catalogs
// differ or a template names a missing key).
//
// Third, in the feature's pages.go, look the page up at mount time (a
// missing page stops the service from starting), add navigation entries,
// and render from handlers that return their error (eng.Serve answers it
// with the error page); app/app.go calls MountPages:
//
//	func MountPages(r gin.IRouter, eng *page.Engine, db *sqlx.DB) {
//		p := &pages{eng: eng, store: NewStore(db), show: eng.MustPage("workplan_show")}
//		eng.AddNav(page.NavItem{Key: "nav.workplan", Path: "/workplan", Roles: []string{auth.RoleEconomicLead}, Order: 60})
//		g := r.Group("/workplan", eng.Required())
//		g.GET("/:year", eng.Serve(p.showPlan))
//		g.POST("/:year/tasks/:id", eng.RequireRole(auth.RoleEconomicLead), eng.Serve(p.updateTask))
//	}
//
//	func (p *pages) showPlan(c *gin.Context) error {
//		plan, err := p.store.Plan(c, year)
//		if err != nil {
//			return err // 404/403/500 page; the login page when anonymous
//		}
//		p.eng.Render(c, http.StatusOK, p.show, plan, nil)
//		return nil
//	}
//
// Fourth, a form handler reads the form, calls the service, and either
// redirects (POST then redirect, with a flash message key shown once) or
// draws the page again with the errors beside their fields (status 422):
//
//	f := page.ReadForm(c)
//	status := f.Text("status", page.Required)
//	if f.Valid() {
//		err := p.store.SetStatus(c, id, status)
//		if err == nil {
//			p.eng.Redirect(c, "/workplan/2024", "workplan.saved")
//			return nil
//		}
//		if !f.Absorb(err, nil) { // not a field error: the error page
//			return err
//		}
//	}
//	p.eng.Render(c, http.StatusUnprocessableEntity, p.show, plan, f)
//	return nil
//
// # In templates
//
// {{t "key"}} translates (with optional fmt arguments); {{enum
// "order_status" .Status}} is t("order_status."+status); {{money .Total}}
// writes ₪ 1,250.50, {{amount .X}} 1,250.50, {{num .Quantity}} 2.5,
// {{percent .Rate}} 17%, {{date .On}} dd/mm/yyyy, {{datetime .At}} with
// the time, {{isodate .On}} YYYY-MM-DD for <input type="date">. Wrap
// numbers in <span class="num"> (or <td class="num">) so that they read
// left to right inside Hebrew text.
//
// The template receives a View: .User is the caller (nil when anonymous),
// .Lang and .Dir the language, .Form the submitted form ({{.Form.Value
// "name"}}, {{template "field_error" (.Form.Error "name")}}, {{template
// "form_message" .}}), .Data what the handler passed.
//
// Cross-site form posts are refused by a global middleware, so forms need
// no token. No inline scripts and no style attributes: the
// Content-Security-Policy forbids them. Styles go in
// templates/static/madaf.css; charts are inline SVG (BarChart and the
// "bar_chart" partial), utilisation is a <meter>.
package page
