package suppliers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/web"
)

// Mount adds the supplier routes under api (/api/v1).
func Mount(api *gin.RouterGroup, s *Store) {
	h := &handlers{s}
	admin := auth.RequireRole(auth.RoleClusterAdmin)
	g := api.Group("/suppliers", auth.Required())
	g.GET("", h.list)
	g.GET("/:id", h.get)
	g.POST("", admin, h.create)
	g.PUT("/:id", admin, h.update)
	g.POST("/:id/suspend", admin, h.suspend)
	g.POST("/:id/resume", admin, h.resume)
	g.GET("/:id/certificates", h.certificates)
	g.POST("/:id/certificates", admin, h.addCertificate)
	g.GET("/:id/eligibility", h.eligibility)
}

type handlers struct{ s *Store }

func (h *handlers) list(c *gin.Context) {
	out, err := h.s.List(c.Request.Context(), auth.Caller(c))
	if err != nil {
		web.Error(c, err)
		return
	}
	c.JSON(http.StatusOK, web.List[Supplier]{Items: out})
}

// visible reads the :id parameter and checks that the caller may see it.
func (h *handlers) visible(c *gin.Context) (*Supplier, bool) {
	id, err := web.ParamID(c, "id", "supplier")
	if err != nil {
		web.Error(c, err)
		return nil, false
	}
	sp, err := h.s.Get(c.Request.Context(), auth.Caller(c), id)
	if err != nil {
		web.Error(c, err)
		return nil, false
	}
	return sp, true
}

func (h *handlers) get(c *gin.Context) {
	if sp, ok := h.visible(c); ok {
		c.JSON(http.StatusOK, sp)
	}
}

func (h *handlers) create(c *gin.Context) {
	var in SupplierInput
	if err := web.BindJSON(c, &in); err != nil {
		web.Error(c, err)
		return
	}
	sp, err := h.s.Create(c.Request.Context(), in)
	if err != nil {
		web.Error(c, err)
		return
	}
	c.JSON(http.StatusCreated, sp)
}

func (h *handlers) update(c *gin.Context) {
	id, err := web.ParamID(c, "id", "supplier")
	if err != nil {
		web.Error(c, err)
		return
	}
	var in SupplierInput
	if err := web.BindJSON(c, &in); err != nil {
		web.Error(c, err)
		return
	}
	sp, err := h.s.Update(c.Request.Context(), id, in)
	if err != nil {
		web.Error(c, err)
		return
	}
	c.JSON(http.StatusOK, sp)
}

func (h *handlers) suspend(c *gin.Context) {
	id, err := web.ParamID(c, "id", "supplier")
	if err != nil {
		web.Error(c, err)
		return
	}
	var in SuspendInput
	if err := web.BindJSON(c, &in); err != nil {
		web.Error(c, err)
		return
	}
	sp, err := h.s.Suspend(c.Request.Context(), id, in)
	if err != nil {
		web.Error(c, err)
		return
	}
	c.JSON(http.StatusOK, sp)
}

func (h *handlers) resume(c *gin.Context) {
	id, err := web.ParamID(c, "id", "supplier")
	if err != nil {
		web.Error(c, err)
		return
	}
	sp, err := h.s.Resume(c.Request.Context(), id)
	if err != nil {
		web.Error(c, err)
		return
	}
	c.JSON(http.StatusOK, sp)
}

func (h *handlers) certificates(c *gin.Context) {
	sp, ok := h.visible(c)
	if !ok {
		return
	}
	out, err := h.s.Certificates(c.Request.Context(), auth.Caller(c), sp.ID)
	if err != nil {
		web.Error(c, err)
		return
	}
	c.JSON(http.StatusOK, web.List[Certificate]{Items: out})
}

func (h *handlers) addCertificate(c *gin.Context) {
	id, err := web.ParamID(c, "id", "supplier")
	if err != nil {
		web.Error(c, err)
		return
	}
	var in CertificateInput
	if err := web.BindJSON(c, &in); err != nil {
		web.Error(c, err)
		return
	}
	cert, err := h.s.AddCertificate(c.Request.Context(), id, in)
	if err != nil {
		web.Error(c, err)
		return
	}
	c.JSON(http.StatusCreated, cert)
}

// eligibility answers GET /suppliers/{id}/eligibility?date=YYYY-MM-DD
// (today by default).
func (h *handlers) eligibility(c *gin.Context) {
	sp, ok := h.visible(c)
	if !ok {
		return
	}
	on := calendar.Today()
	if s := c.Query("date"); s != "" {
		d, err := calendar.Parse(s)
		if err != nil {
			web.Error(c, web.FieldInvalid("date", err.Error()))
			return
		}
		on = d
	}
	reasons, err := Eligibility(c.Request.Context(), h.s.db, sp.ID, on)
	if err != nil {
		web.Error(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"supplier_id": sp.ID, "date": on, "eligible": len(reasons) == 0, "reasons": reasons})
}
