package authorities

import (
	"cmp"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/paging"
	"madaf/internal/server"
	"madaf/internal/web"
)

// Routes is the authorities' route table over their store.
type Routes struct{ Store *Store }

// Mount adds the authority and budget-line routes under r.API and, when r
// draws pages, their pages.
func (rt Routes) Mount(r server.Router) {
	if r.API != nil {
		Mount(r.API, rt.Store)
	}
	if r.Pages != nil {
		MountPages(r.Site, r.Pages, rt.Store)
	}
}

// Mount adds the authority routes under api (/api/v1).
func Mount(api *gin.RouterGroup, s *Store) {
	h := &handlers{s}
	g := api.Group("/authorities", auth.Required())
	g.GET("", web.Serve(h.list))
	g.GET("/:id", web.Serve(h.get))
	g.POST("", auth.RequireRole(auth.RoleClusterAdmin), web.Serve(h.create))
	g.PUT("/:id", auth.RequireRole(auth.RoleClusterAdmin), web.Serve(h.update))
	g.GET("/:id/settings", web.Serve(h.settings))
	g.PUT("/:id/settings", web.Serve(h.setSettings))
	g.GET("/:id/profiles", web.Serve(h.profiles))
	g.POST("/:id/profiles", web.Serve(h.setProfile))
	g.GET("/:id/delegations", web.Serve(h.delegations))
	g.POST("/:id/delegations", web.Serve(h.grantDelegation))
	g.POST("/:id/delegations/:delegation_id/revoke", web.Serve(h.revokeDelegation))
	g.GET("/:id/budget-lines", web.Serve(h.budgetLines))
	g.POST("/:id/budget-lines", web.Serve(h.createBudgetLine))
	g.PUT("/:id/budget-lines/:line_id", web.Serve(h.updateBudgetLine))
}

type handlers struct{ s *Store }

func (h *handlers) list(c *gin.Context) (int, any, error) {
	pg, err := web.ParsePage(c)
	if err != nil {
		return 0, nil, err
	}
	as, err := h.s.List(c.Request.Context(), auth.Caller(c), pg)
	return http.StatusOK, paging.Of(pg, as, func(a Authority) int64 { return a.ID }), err
}

func (h *handlers) get(c *gin.Context) (int, any, error) {
	id, err := web.ParamID(c, "id", "not_found.authority")
	if err != nil {
		return 0, nil, err
	}
	a, err := h.s.Get(c.Request.Context(), auth.Caller(c), id)
	return http.StatusOK, a, err
}

func (h *handlers) create(c *gin.Context) (int, any, error) {
	var in AuthorityInput
	if err := web.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	a, err := h.s.Create(c.Request.Context(), auth.Caller(c), in)
	return http.StatusCreated, a, err
}

func (h *handlers) update(c *gin.Context) (int, any, error) {
	id, err := web.ParamID(c, "id", "not_found.authority")
	if err != nil {
		return 0, nil, err
	}
	var in AuthorityInput
	if err := web.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	a, err := h.s.Update(c.Request.Context(), auth.Caller(c), id, in)
	return http.StatusOK, a, err
}

func (h *handlers) budgetLines(c *gin.Context) (int, any, error) {
	id, err := web.ParamID(c, "id", "not_found.authority")
	if err != nil {
		return 0, nil, err
	}
	year := 0
	if s := c.Query("year"); s != "" {
		if year, err = strconv.Atoi(s); err != nil {
			return 0, nil, apperr.Invalid("authority.bad_filter", apperr.Field("year", "authority.msg.year"))
		}
	}
	lines, err := h.s.BudgetLines(c.Request.Context(), auth.Caller(c), id, year)
	return http.StatusOK, paging.List[BudgetLine]{Items: lines}, err
}

func (h *handlers) createBudgetLine(c *gin.Context) (int, any, error) {
	id, err := web.ParamID(c, "id", "not_found.authority")
	if err != nil {
		return 0, nil, err
	}
	var in BudgetLineInput
	if err := web.BindJSON(c, &in); err != nil {
		// A caller who may not write the lines learns nothing of the body's rules.
		return 0, nil, cmp.Or(h.s.canWriteBudget(c.Request.Context(), auth.Caller(c), id), err)
	}
	b, err := h.s.CreateBudgetLine(c.Request.Context(), auth.Caller(c), id, in)
	return http.StatusCreated, b, err
}

func (h *handlers) updateBudgetLine(c *gin.Context) (int, any, error) {
	id, err := web.ParamID(c, "id", "not_found.authority")
	if err != nil {
		return 0, nil, err
	}
	lineID, err := web.ParamID(c, "line_id", "not_found.budget_line")
	if err != nil {
		return 0, nil, err
	}
	var in BudgetLineInput
	if err := web.BindJSON(c, &in); err != nil {
		return 0, nil, cmp.Or(h.s.canWriteBudget(c.Request.Context(), auth.Caller(c), id), err)
	}
	b, err := h.s.UpdateBudgetLine(c.Request.Context(), auth.Caller(c), id, lineID, in)
	return http.StatusOK, b, err
}

func (h *handlers) settings(c *gin.Context) (int, any, error) {
	id, err := web.ParamID(c, "id", "not_found.authority")
	if err != nil {
		return 0, nil, err
	}
	st, err := h.s.Settings(c.Request.Context(), auth.Caller(c), id)
	if err == nil {
		c.Header("ETag", st.ETag())
	}
	return http.StatusOK, st, err
}

func (h *handlers) setSettings(c *gin.Context) (int, any, error) {
	id, err := web.ParamID(c, "id", "not_found.authority")
	if err != nil {
		return 0, nil, err
	}
	var in SettingsInput
	if err := web.BindJSON(c, &in); err != nil {
		// A caller who may not write them learns nothing of the body's rules.
		return 0, nil, cmp.Or(h.s.canEditSettings(c.Request.Context(), auth.Caller(c), id), err)
	}
	st, err := h.s.SetSettings(c.Request.Context(), auth.Caller(c), id, c.GetHeader("If-Match"), in)
	if err == nil {
		c.Header("ETag", st.ETag())
	}
	return http.StatusOK, st, err
}

func (h *handlers) profiles(c *gin.Context) (int, any, error) {
	id, err := web.ParamID(c, "id", "not_found.authority")
	if err != nil {
		return 0, nil, err
	}
	ps, err := h.s.Profiles(c.Request.Context(), auth.Caller(c), id)
	return http.StatusOK, paging.List[Profile]{Items: ps}, err
}

func (h *handlers) setProfile(c *gin.Context) (int, any, error) {
	id, err := web.ParamID(c, "id", "not_found.authority")
	if err != nil {
		return 0, nil, err
	}
	var in ProfileInput
	if err := web.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	pr, err := h.s.SetProfile(c.Request.Context(), auth.Caller(c), id, in)
	return http.StatusCreated, pr, err
}

func (h *handlers) delegations(c *gin.Context) (int, any, error) {
	id, err := web.ParamID(c, "id", "not_found.authority")
	if err != nil {
		return 0, nil, err
	}
	f := DelegationFilter{Slot: c.Query("slot"), Status: c.Query("status")}
	ds, err := h.s.Delegations(c.Request.Context(), auth.Caller(c), id, f)
	return http.StatusOK, paging.List[Delegation]{Items: ds}, err
}

func (h *handlers) grantDelegation(c *gin.Context) (int, any, error) {
	id, err := web.ParamID(c, "id", "not_found.authority")
	if err != nil {
		return 0, nil, err
	}
	var in DelegationInput
	if err := web.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	d, err := h.s.GrantDelegation(c.Request.Context(), auth.Caller(c), id, in)
	return http.StatusCreated, d, err
}

func (h *handlers) revokeDelegation(c *gin.Context) (int, any, error) {
	id, err := web.ParamID(c, "id", "not_found.authority")
	if err != nil {
		return 0, nil, err
	}
	delegationID, err := web.ParamID(c, "delegation_id", "authority.delegation.not_found")
	if err != nil {
		return 0, nil, err
	}
	d, err := h.s.RevokeDelegation(c.Request.Context(), auth.Caller(c), id, delegationID)
	return http.StatusOK, d, err
}
