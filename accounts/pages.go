package accounts

import (
	"cmp"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/i18n"
	"madaf/internal/page"
	"madaf/internal/paging"
	"madaf/internal/web"
)

// pages draws the login page (with its second step, the code), the
// forgotten password and the links that set one, the user's account, and
// the cluster admin's user administration; it takes the language choice.
type pages struct {
	eng          *page.Engine
	store        *Store
	sessions     *auth.Store
	login        *page.Page
	loginCode    *page.Page
	forgot       *page.Page
	reset        *page.Page
	account      *page.Page
	secondFactor *page.Page
	users        *page.Page
}

// loginData is what the login page draws.
type loginData struct{ Next string }

func (p *pages) loginForm(c *gin.Context) error {
	next := page.SafeNext(c.Query("next"))
	if auth.Caller(c) != nil {
		c.Redirect(http.StatusSeeOther, next)
		return nil
	}
	p.eng.Render(c, http.StatusOK, p.login, loginData{Next: next}, nil)
	return nil
}

// signIn checks the login form and starts a session, or, for a user with a
// second factor, asks for the code (signInCode); the language an anonymous
// visitor chose becomes the user's when they had none other than the
// default.
func (p *pages) signIn(c *gin.Context) error {
	f := page.ReadForm(c)
	email := f.Text("email", page.Required)
	password := f.Values.Get("password")
	if password == "" {
		f.Fail("password", "msg.required")
	}
	next := page.SafeNext(f.Value("next"))
	if !f.Valid() {
		p.eng.Render(c, http.StatusUnprocessableEntity, p.login, loginData{Next: next}, f)
		return nil
	}
	u, err := p.store.Authenticate(c.Request.Context(), email, password, c.ClientIP())
	if err != nil || !u.SecondFactor {
		logSignIn(c, email, err)
	}
	var refused *apperr.Error
	if errors.As(err, &refused) && (refused.Kind == apperr.KindUnauthorized || refused.Kind == apperr.KindTooManyRequests) {
		f.Message = refused.Msg
		p.eng.Render(c, web.StatusOf(err), p.login, loginData{Next: next}, f)
		return nil
	}
	if err != nil {
		return err
	}
	if u.SecondFactor {
		return p.askCode(c, http.StatusOK, u, next, nil)
	}
	if err := p.startSession(c, u); err != nil {
		return err
	}
	c.Redirect(http.StatusSeeOther, next)
	return nil
}

// startSession signs u in on this browser; the language an anonymous
// visitor chose becomes the user's when they had none other than the
// default.
func (p *pages) startSession(c *gin.Context, u *User) error {
	if err := auth.StartSession(c, p.sessions, u.ID); err != nil {
		return err
	}
	if l := page.CookieLang(c); l != "" && l != u.Lang && u.Lang == i18n.DefaultLang {
		return p.store.SetLang(c.Request.Context(), u.ID, l)
	}
	return nil
}

func (p *pages) signOut(c *gin.Context) error {
	if err := auth.EndSession(c, p.sessions); err != nil {
		return err
	}
	logSignOut(c)
	c.Redirect(http.StatusSeeOther, "/login")
	return nil
}

// setLang keeps the language: on the user when signed in, in a cookie for
// anonymous visitors; then it goes back to the page it was chosen on.
func (p *pages) setLang(c *gin.Context) error {
	f := page.ReadForm(c)
	lang := f.Value("lang")
	next := page.SafeNext(f.Value("next"))
	if !i18n.Supported(lang) {
		return apperr.Invalid("msg.lang", apperr.Field("lang", "msg.lang"))
	}
	if u := auth.Caller(c); u != nil {
		if err := p.store.SetLang(c.Request.Context(), u.UserID, lang); err != nil {
			return err
		}
	} else {
		page.KeepLang(c, lang)
	}
	c.Redirect(http.StatusSeeOther, next)
	return nil
}

// usersData is the user administration page.
type usersData struct {
	Users []*User
	Orgs  []OrgOption
	// OrgNames names each user's organisation by its option value.
	OrgNames map[string]string
	Roles    []string
}

func (p *pages) usersPage(c *gin.Context) error {
	return p.renderUsers(c, http.StatusOK, nil)
}

func (p *pages) renderUsers(c *gin.Context, status int, f *page.Form) error {
	us, err := p.store.Users(c.Request.Context(), 0, 0, paging.Page{Limit: 10000})
	if err != nil {
		return err
	}
	slices.SortFunc(us, func(a, b *User) int {
		return cmp.Or(strings.Compare(a.OrgKind, b.OrgKind), strings.Compare(a.Name, b.Name))
	})
	lang := page.LangOf(c)
	orgs, err := p.store.Orgs(c.Request.Context(), lang)
	if err != nil {
		return err
	}
	d := usersData{Users: us, Roles: allRoles, OrgNames: map[string]string{},
		Orgs: append([]OrgOption{{Value: auth.OrgCluster, Name: p.eng.Catalog(lang).T("org.cluster")}}, orgs...)}
	for _, o := range d.Orgs {
		d.OrgNames[o.Value] = o.Name
	}
	if f == nil {
		f = page.NewForm(nil)
		f.Values.Set("org", auth.OrgCluster)
		f.Values.Set("lang", i18n.DefaultLang)
	}
	p.eng.Render(c, status, p.users, d, f)
	return nil
}

// createUser creates a user, who is mailed an invitation link to set
// their password.
func (p *pages) createUser(c *gin.Context) error {
	f := page.ReadForm(c)
	nu := NewUser{Email: f.Text("email", page.Required), Name: f.Text("name", page.Required),
		Roles: f.Values["roles"], Lang: f.Value("lang")}
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
		u, err := p.store.InviteUser(c.Request.Context(), nu, auth.Caller(c).UserID)
		if err == nil {
			logUserCreated(c, u)
			p.eng.Redirect(c, "/admin/users", "user.invited")
			return nil
		}
		var conflict *apperr.Error
		if errors.As(err, &conflict) && conflict.Kind == apperr.KindConflict {
			f.FailMsg("email", conflict.Msg)
		} else if !f.Absorb(err, nil) {
			return err
		}
	}
	return p.renderUsers(c, http.StatusUnprocessableEntity, f)
}

func (p *pages) setUserActive(c *gin.Context) error {
	id, err := web.ParamID(c, "id", "not_found.user")
	if err != nil {
		return err
	}
	f := page.ReadForm(c)
	active := f.Value("active") == "true"
	if id == auth.Caller(c).UserID && !active {
		return apperr.Invalid("error.self_deactivate")
	}
	// Deactivating asks first, on a page that says what it does
	// (page.Confirmation); the second post, with confirm=1, deactivates.
	if !active && !page.Confirmed(f) {
		u, err := p.store.User(c.Request.Context(), id)
		if err != nil {
			return err
		}
		if u.Active {
			p.eng.Confirm(c, page.Confirmation{
				Title: apperr.M("user.confirm_deactivate.title", u.Name, u.Email),
				Consequences: []apperr.Msg{apperr.M("user.confirm_deactivate.sign_in", u.Name), apperr.M("user.confirm_deactivate.sessions"),
					apperr.M("user.confirm_deactivate.kept"), apperr.M("user.confirm_deactivate.reactivate")},
				Action: c.Request.URL.Path, Values: f.Values, Button: apperr.M("user.confirm_deactivate.button"), Back: "/admin/users",
			})
			return nil
		}
	}
	if err := p.store.SetActive(c.Request.Context(), id, active); err != nil {
		return err
	}
	logActive(c, id, active)
	p.eng.Redirect(c, "/admin/users", "user.changed")
	return nil
}

// sendPasswordLink mails a user a link that sets their password: an
// invitation when they have none yet, else a reset link.
func (p *pages) sendPasswordLink(c *gin.Context) error {
	id, err := web.ParamID(c, "id", "not_found.user")
	if err != nil {
		return err
	}
	link, err := p.store.SendPasswordLink(c.Request.Context(), id, auth.Caller(c).UserID)
	if err != nil {
		return err
	}
	auth.SecurityEvent(c, slog.LevelInfo, "password_link_sent", "", "user_id", id, "purpose", link.Purpose)
	p.eng.Redirect(c, "/admin/users", "user.link_sent."+link.Purpose)
	return nil
}
