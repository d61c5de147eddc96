package accounts

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/paging"
	"madaf/internal/web"
)

// handlers serves /auth, /me and /users.
type handlers struct {
	store    *Store
	sessions *auth.Store
}

type loginRequest struct {
	Email    string `json:"email" validate:"required,max=254"`
	Password string `json:"password" validate:"required,max=1024"`
}

func (h *handlers) login(c *gin.Context) (int, any, error) {
	var req loginRequest
	if err := web.BindJSON(c, &req); err != nil {
		return 0, nil, err
	}
	u, err := h.store.Authenticate(c.Request.Context(), req.Email, req.Password, c.ClientIP())
	if err != nil {
		return 0, nil, err
	}
	if err := auth.StartSession(c, h.sessions, u.ID); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, meOfUser(u), nil
}

func (h *handlers) logout(c *gin.Context) (int, any, error) {
	return http.StatusNoContent, nil, auth.EndSession(c, h.sessions)
}

// me is the caller as /me answers it.
type me struct {
	UserID      int64    `json:"id"`
	Email       string   `json:"email"`
	Name        string   `json:"name"`
	OrgKind     string   `json:"org_kind"`
	AuthorityID int64    `json:"authority_id,omitempty"`
	SupplierID  int64    `json:"supplier_id,omitempty"`
	Roles       []string `json:"roles"`
	Lang        string   `json:"lang"`
}

func meOf(p *auth.Principal) me {
	return me{p.UserID, p.Email, p.Name, p.OrgKind, p.AuthorityID, p.SupplierID, p.Roles, p.Lang}
}

func meOfUser(u *User) me {
	m := me{UserID: u.ID, Email: u.Email, Name: u.Name, OrgKind: u.OrgKind, Roles: u.Roles, Lang: u.Lang}
	if u.AuthorityID != nil {
		m.AuthorityID = *u.AuthorityID
	}
	if u.SupplierID != nil {
		m.SupplierID = *u.SupplierID
	}
	return m
}

func (h *handlers) me(c *gin.Context) (int, any, error) {
	return http.StatusOK, meOf(auth.Caller(c)), nil
}

type updateMeRequest struct {
	Lang string `json:"lang" validate:"required,oneof=he ar en"`
}

func (h *handlers) updateMe(c *gin.Context) (int, any, error) {
	var req updateMeRequest
	if err := web.BindJSON(c, &req); err != nil {
		return 0, nil, err
	}
	p := auth.Caller(c)
	if err := h.store.SetLang(c.Request.Context(), p.UserID, req.Lang); err != nil {
		return 0, nil, err
	}
	p.Lang = req.Lang
	return http.StatusOK, meOf(p), nil
}

type tokenRequest struct {
	Name string `json:"name" validate:"required,max=100"`
}

func (h *handlers) createToken(c *gin.Context) (int, any, error) {
	var req tokenRequest
	if err := web.BindJSON(c, &req); err != nil {
		return 0, nil, err
	}
	t, err := h.sessions.NewToken(c.Request.Context(), auth.Caller(c).UserID, req.Name)
	return http.StatusCreated, t, err
}

func (h *handlers) listTokens(c *gin.Context) (int, any, error) {
	ts, err := h.sessions.Tokens(c.Request.Context(), auth.Caller(c).UserID)
	return http.StatusOK, gin.H{"items": ts}, err
}

func (h *handlers) revokeToken(c *gin.Context) (int, any, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return 0, nil, apperr.NotFound("not_found.token")
	}
	return http.StatusNoContent, nil, h.sessions.RevokeToken(c.Request.Context(), auth.Caller(c).UserID, id)
}

func (h *handlers) listUsers(c *gin.Context) (int, any, error) {
	pg, err := web.ParsePage(c)
	if err != nil {
		return 0, nil, err
	}
	us, err := h.store.Users(c.Request.Context(), 0, 0, pg)
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

func (h *handlers) createUser(c *gin.Context) (int, any, error) {
	var req createUserRequest
	if err := web.BindJSON(c, &req); err != nil {
		return 0, nil, err
	}
	u, err := h.store.CreateUser(c.Request.Context(), NewUser(req))
	return http.StatusCreated, u, err
}

func (h *handlers) setActive(active bool) func(c *gin.Context) (int, any, error) {
	return func(c *gin.Context) (int, any, error) {
		id, err := web.ParamID(c, "id", "not_found.user")
		if err != nil {
			return 0, nil, err
		}
		if err := h.store.SetActive(c.Request.Context(), id, active); err != nil {
			return 0, nil, err
		}
		u, err := h.store.User(c.Request.Context(), id)
		return http.StatusOK, u, err
	}
}
