package auth

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"madaf/internal/paging"
	"madaf/internal/web"
)

// MountUsers adds the user administration routes (cluster_admin only).
func (h *Handlers) MountUsers(api *gin.RouterGroup) {
	g := api.Group("/users", RequireRole(RoleClusterAdmin))
	g.GET("", web.Serve(h.listUsers))
	g.POST("", web.Serve(h.createUser))
	g.POST("/:id/deactivate", web.Serve(h.setActive(false)))
	g.POST("/:id/activate", web.Serve(h.setActive(true)))
}

func (h *Handlers) listUsers(c *gin.Context) (int, any, error) {
	pg, err := web.ParsePage(c)
	if err != nil {
		return 0, nil, err
	}
	us, err := h.Store.Users(c.Request.Context(), 0, 0, pg)
	return http.StatusOK, paging.Of(pg, us, func(u *User) int64 { return u.ID }), err
}

type createUserRequest struct {
	Email       string   `json:"email" validate:"required,email,max=254"`
	Name        string   `json:"name" validate:"required,max=200"`
	Password    string   `json:"password" validate:"required,min=10,max=1024"`
	OrgKind     string   `json:"org_kind" validate:"required,oneof=cluster authority supplier"`
	AuthorityID int64    `json:"authority_id"`
	SupplierID  int64    `json:"supplier_id"`
	Roles       []string `json:"roles" validate:"required,min=1,dive,oneof=cluster_admin economic_lead officer treasurer head supplier"`
	Lang        string   `json:"lang" validate:"omitempty,oneof=he ar en"`
}

func (h *Handlers) createUser(c *gin.Context) (int, any, error) {
	var req createUserRequest
	if err := web.BindJSON(c, &req); err != nil {
		return 0, nil, err
	}
	u, err := h.Store.CreateUser(c.Request.Context(), NewUser{Email: req.Email, Name: req.Name, Password: req.Password,
		OrgKind: req.OrgKind, AuthorityID: req.AuthorityID, SupplierID: req.SupplierID, Roles: req.Roles, Lang: req.Lang})
	return http.StatusCreated, u, err
}

func (h *Handlers) setActive(active bool) func(c *gin.Context) (int, any, error) {
	return func(c *gin.Context) (int, any, error) {
		id, err := web.ParamID(c, "id", "not_found.user")
		if err != nil {
			return 0, nil, err
		}
		if err := h.Store.SetActive(c.Request.Context(), id, active); err != nil {
			return 0, nil, err
		}
		u, err := h.Store.User(c.Request.Context(), id)
		return http.StatusOK, u, err
	}
}
