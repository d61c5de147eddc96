package authorities

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/web"
)

// Mount adds the authority routes under api (/api/v1).
func Mount(api *gin.RouterGroup, s *Store) {
	h := &handlers{s}
	g := api.Group("/authorities", auth.Required())
	g.GET("", h.list)
	g.GET("/:id", h.get)
	g.POST("", auth.RequireRole(auth.RoleClusterAdmin), h.create)
	g.PUT("/:id", auth.RequireRole(auth.RoleClusterAdmin), h.update)
	g.GET("/:id/budget-lines", h.budgetLines)
	g.POST("/:id/budget-lines", h.createBudgetLine)
	g.PUT("/:id/budget-lines/:line_id", h.updateBudgetLine)
}

type handlers struct{ s *Store }

func (h *handlers) list(c *gin.Context) {
	as, err := h.s.List(c.Request.Context(), auth.Caller(c))
	if err != nil {
		web.Error(c, err)
		return
	}
	c.JSON(http.StatusOK, web.List[Authority]{Items: as})
}

func (h *handlers) get(c *gin.Context) {
	id, err := web.ParamID(c, "id", "authority")
	if err == nil {
		var a *Authority
		if a, err = h.s.Get(c.Request.Context(), auth.Caller(c), id); err == nil {
			c.JSON(http.StatusOK, a)
			return
		}
	}
	web.Error(c, err)
}

func (h *handlers) create(c *gin.Context) {
	var in AuthorityInput
	if err := web.BindJSON(c, &in); err != nil {
		web.Error(c, err)
		return
	}
	a, err := h.s.Create(c.Request.Context(), in)
	if err != nil {
		web.Error(c, err)
		return
	}
	c.JSON(http.StatusCreated, a)
}

func (h *handlers) update(c *gin.Context) {
	id, err := web.ParamID(c, "id", "authority")
	if err != nil {
		web.Error(c, err)
		return
	}
	var in AuthorityInput
	if err := web.BindJSON(c, &in); err != nil {
		web.Error(c, err)
		return
	}
	a, err := h.s.Update(c.Request.Context(), id, in)
	if err != nil {
		web.Error(c, err)
		return
	}
	c.JSON(http.StatusOK, a)
}

func (h *handlers) budgetLines(c *gin.Context) {
	id, err := web.ParamID(c, "id", "authority")
	if err != nil {
		web.Error(c, err)
		return
	}
	year := 0
	if s := c.Query("year"); s != "" {
		if year, err = strconv.Atoi(s); err != nil {
			web.Error(c, apperr.Invalid("bad filter", apperr.Field("year", "must be a year")))
			return
		}
	}
	lines, err := h.s.BudgetLines(c.Request.Context(), auth.Caller(c), id, year)
	if err != nil {
		web.Error(c, err)
		return
	}
	c.JSON(http.StatusOK, web.List[BudgetLine]{Items: lines})
}

func (h *handlers) createBudgetLine(c *gin.Context) {
	id, err := web.ParamID(c, "id", "authority")
	if err != nil {
		web.Error(c, err)
		return
	}
	var in BudgetLineInput
	if err := web.BindJSON(c, &in); err != nil {
		web.Error(c, err)
		return
	}
	b, err := h.s.CreateBudgetLine(c.Request.Context(), auth.Caller(c), id, in)
	if err != nil {
		web.Error(c, err)
		return
	}
	c.JSON(http.StatusCreated, b)
}

func (h *handlers) updateBudgetLine(c *gin.Context) {
	id, err := web.ParamID(c, "id", "authority")
	if err != nil {
		web.Error(c, err)
		return
	}
	lineID, err := web.ParamID(c, "line_id", "budget line")
	if err != nil {
		web.Error(c, err)
		return
	}
	var in BudgetLineInput
	if err := web.BindJSON(c, &in); err != nil {
		web.Error(c, err)
		return
	}
	b, err := h.s.UpdateBudgetLine(c.Request.Context(), auth.Caller(c), id, lineID, in)
	if err != nil {
		web.Error(c, err)
		return
	}
	c.JSON(http.StatusOK, b)
}
