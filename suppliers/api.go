package suppliers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"madaf/documents"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/paging"
	"madaf/internal/server"
	"madaf/internal/web"
)

// Routes is the supplier registry's route table over its store.
// Documents, when set, draws the documents section of the supplier page.
type Routes struct {
	Store     *Store
	Documents *documents.Service
}

// Mount adds the supplier routes under r.API and, when r draws pages, the
// cluster's supplier pages.
func (rt Routes) Mount(r server.Router) {
	if r.API != nil {
		mountAPI(r.API, rt.Store)
	}
	if r.Pages != nil {
		mountPages(r.Site, r.Pages, rt.Store, rt.Documents)
	}
}

// mountAPI adds the supplier routes under api (/api/v1).
func mountAPI(api *gin.RouterGroup, s *Store) {
	h := &handlers{s}
	admin := auth.RequireRole(auth.RoleClusterAdmin)
	g := api.Group("/suppliers", auth.Required())
	g.GET("", web.Serve(h.list))
	g.GET("/:id", web.Serve(h.get))
	g.POST("", admin, web.Serve(h.create))
	g.PUT("/:id", admin, web.Serve(h.update))
	g.POST("/:id/suspend", admin, web.Serve(h.suspend))
	g.POST("/:id/resume", admin, web.Serve(h.resume))
	g.GET("/:id/certificates", web.Serve(h.certificates))
	g.POST("/:id/certificates", admin, web.Serve(h.addCertificate))
	g.GET("/:id/eligibility", web.Serve(h.eligibility))
}

type handlers struct{ s *Store }

func (h *handlers) list(c *gin.Context) (int, any, error) {
	pg, err := web.ParsePage(c)
	if err != nil {
		return 0, nil, err
	}
	out, err := h.s.List(c.Request.Context(), auth.Caller(c), pg)
	return http.StatusOK, paging.Of(pg, out, func(s Supplier) int64 { return s.ID }), err
}

// visible reads the :id parameter and checks that the caller may see it.
func (h *handlers) visible(c *gin.Context) (*Supplier, error) {
	id, err := web.ParamID(c, "id", "not_found.supplier")
	if err != nil {
		return nil, err
	}
	return h.s.Get(c.Request.Context(), auth.Caller(c), id)
}

func (h *handlers) get(c *gin.Context) (int, any, error) {
	sp, err := h.visible(c)
	return http.StatusOK, sp, err
}

func (h *handlers) create(c *gin.Context) (int, any, error) {
	var in SupplierInput
	if err := web.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	sp, err := h.s.Create(c.Request.Context(), in)
	return http.StatusCreated, sp, err
}

func (h *handlers) update(c *gin.Context) (int, any, error) {
	id, err := web.ParamID(c, "id", "not_found.supplier")
	if err != nil {
		return 0, nil, err
	}
	var in SupplierInput
	if err := web.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	sp, err := h.s.Update(c.Request.Context(), id, in)
	return http.StatusOK, sp, err
}

func (h *handlers) suspend(c *gin.Context) (int, any, error) {
	id, err := web.ParamID(c, "id", "not_found.supplier")
	if err != nil {
		return 0, nil, err
	}
	var in SuspendInput
	if err := web.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	sp, err := h.s.Suspend(c.Request.Context(), id, in)
	return http.StatusOK, sp, err
}

func (h *handlers) resume(c *gin.Context) (int, any, error) {
	id, err := web.ParamID(c, "id", "not_found.supplier")
	if err != nil {
		return 0, nil, err
	}
	sp, err := h.s.Resume(c.Request.Context(), id)
	return http.StatusOK, sp, err
}

func (h *handlers) certificates(c *gin.Context) (int, any, error) {
	sp, err := h.visible(c)
	if err != nil {
		return 0, nil, err
	}
	out, err := h.s.Certificates(c.Request.Context(), auth.Caller(c), sp.ID)
	return http.StatusOK, paging.List[Certificate]{Items: out}, err
}

func (h *handlers) addCertificate(c *gin.Context) (int, any, error) {
	id, err := web.ParamID(c, "id", "not_found.supplier")
	if err != nil {
		return 0, nil, err
	}
	var in CertificateInput
	if err := web.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	cert, err := h.s.AddCertificate(c.Request.Context(), id, in)
	return http.StatusCreated, cert, err
}

// eligibility answers GET /suppliers/{id}/eligibility?date=YYYY-MM-DD
// (today by default).
func (h *handlers) eligibility(c *gin.Context) (int, any, error) {
	sp, err := h.visible(c)
	if err != nil {
		return 0, nil, err
	}
	on := calendar.Today()
	if s := c.Query("date"); s != "" {
		if on, err = calendar.Parse(s); err != nil {
			return 0, nil, web.FieldInvalid("date", "msg.date")
		}
	}
	reasons, err := h.s.Eligibility(c.Request.Context(), sp.ID, on)
	return http.StatusOK, gin.H{"supplier_id": sp.ID, "date": on, "eligible": len(reasons) == 0, "reasons": reasons}, err
}
