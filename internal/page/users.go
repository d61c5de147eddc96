package page

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/i18n"
	"madaf/internal/paging"
	"madaf/internal/web"
)

// usersData is the user administration page.
type usersData struct {
	Users []*auth.User
	Orgs  []orgOption
	// OrgNames names each user's organisation by its option value.
	OrgNames map[string]string
	Roles    []string
}

// orgOption is an organisation a user may belong to: "cluster",
// "authority:<id>" or "supplier:<id>".
type orgOption struct {
	Value string `db:"value"`
	Name  string `db:"name"`
}

// MountUsers adds the cluster admin's user administration (/admin/users)
// to r.
func (e *Engine) MountUsers(r gin.IRouter) {
	p := e.MustPage("users")
	e.AddNav(NavItem{Key: "nav.users", Path: "/admin/users", Roles: []string{auth.RoleClusterAdmin}, Order: 42})
	g := r.Group("/admin/users", e.RequireRole(auth.RoleClusterAdmin))
	g.GET("", func(c *gin.Context) { e.renderUsers(c, p, http.StatusOK, nil) })
	g.POST("", func(c *gin.Context) { e.createUser(c, p) })
	g.POST("/:id/active", e.setUserActive)
}

func (e *Engine) renderUsers(c *gin.Context, p *Page, status int, f *Form) {
	us, err := e.auth.Users(c, 0, 0, paging.Page{Limit: 10000})
	if err != nil {
		e.Fail(c, err)
		return
	}
	slices.SortFunc(us, func(a, b *auth.User) int {
		return cmp.Or(strings.Compare(a.OrgKind, b.OrgKind), strings.Compare(a.Name, b.Name))
	})
	lang := LangOf(c)
	d := usersData{Users: us, Roles: []string{auth.RoleClusterAdmin, auth.RoleEconomicLead, auth.RoleOfficer,
		auth.RoleTreasurer, auth.RoleHead, auth.RoleSupplier}, OrgNames: map[string]string{}}
	d.Orgs = append(d.Orgs, orgOption{Value: auth.OrgCluster, Name: e.catalogs[lang].T("org.cluster")})
	const q = `(SELECT 'authority:' || id AS value, CASE WHEN $1 = 'ar' AND name_ar <> '' THEN name_ar
				WHEN $1 = 'en' AND name_en <> '' THEN name_en ELSE name_he END AS name FROM authorities ORDER BY name_he)
		UNION ALL
		(SELECT 'supplier:' || id, legal_name FROM suppliers ORDER BY legal_name)`
	var orgs []orgOption
	if err := e.db.SelectContext(c, &orgs, q, lang); err != nil {
		e.Fail(c, err)
		return
	}
	d.Orgs = append(d.Orgs, orgs...)
	for _, o := range d.Orgs {
		d.OrgNames[o.Value] = o.Name
	}
	if f == nil {
		f = NewForm(nil)
		f.Values.Set("org", auth.OrgCluster)
		f.Values.Set("lang", i18n.DefaultLang)
	}
	e.Render(c, status, p, d, f)
}

// orgOf is the organisation option value of u.
func orgOf(u *auth.User) string {
	switch {
	case u.AuthorityID != nil:
		return "authority:" + Itoa(*u.AuthorityID)
	case u.SupplierID != nil:
		return "supplier:" + Itoa(*u.SupplierID)
	}
	return auth.OrgCluster
}

func (e *Engine) createUser(c *gin.Context, p *Page) {
	f := ReadForm(c)
	nu := auth.NewUser{Email: f.Text("email", Required), Name: f.Text("name", Required),
		Password: f.Values.Get("password"), Roles: f.Values["roles"], Lang: f.Value("lang")}
	kind, ref, _ := strings.Cut(f.Value("org"), ":")
	id, _ := strconv.ParseInt(ref, 10, 64)
	nu.OrgKind = kind
	switch kind {
	case auth.OrgAuthority:
		nu.AuthorityID = id
	case auth.OrgSupplier:
		nu.SupplierID = id
	}
	if f.Valid() {
		_, err := e.auth.CreateUser(c, nu)
		if err == nil {
			e.Redirect(c, "/admin/users", "user.created")
			return
		}
		if apperr.Is(err, apperr.KindConflict) {
			f.Fail("email", err.Error())
		} else if !f.Absorb(err, map[string]string{"org": "org"}) {
			e.Fail(c, err)
			return
		}
	}
	e.renderUsers(c, p, http.StatusUnprocessableEntity, f)
}

func (e *Engine) setUserActive(c *gin.Context) {
	id, err := web.ParamID(c, "id", "not_found.user")
	if err != nil {
		e.Fail(c, err)
		return
	}
	active := ReadForm(c).Value("active") == "true"
	if id == auth.Caller(c).UserID && !active {
		e.Fail(c, apperr.Conflict("error.self_deactivate"))
		return
	}
	if err := e.auth.SetActive(c, id, active); err != nil {
		e.Fail(c, err)
		return
	}
	e.Redirect(c, "/admin/users", "user.changed")
}
