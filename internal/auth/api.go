package auth

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"madaf/internal/apperr"
	"madaf/internal/web"
)

// Handlers serves the /auth and /me endpoints.
type Handlers struct {
	Store *Store
}

// Mount adds the authentication routes under api (/api/v1).
func (h *Handlers) Mount(api *gin.RouterGroup) {
	api.POST("/auth/login", h.login)
	api.POST("/auth/logout", h.logout)
	authed := api.Group("", Required())
	authed.GET("/me", h.me)
	authed.PATCH("/me", h.updateMe)
	authed.GET("/auth/tokens", h.listTokens)
	authed.POST("/auth/tokens", h.createToken)
	authed.DELETE("/auth/tokens/:id", h.revokeToken)
}

type loginRequest struct {
	Email    string `json:"email" validate:"required,max=254"`
	Password string `json:"password" validate:"required,max=1024"`
}

func (h *Handlers) login(c *gin.Context) {
	var req loginRequest
	if err := web.BindJSON(c, &req); err != nil {
		web.Error(c, err)
		return
	}
	u, err := h.Store.Authenticate(c.Request.Context(), req.Email, req.Password, c.ClientIP())
	if err != nil {
		web.Error(c, err)
		return
	}
	if err := StartSession(c, h.Store, u.ID); err != nil {
		web.Error(c, err)
		return
	}
	c.JSON(http.StatusOK, meResponse(u.Principal()))
}

// StartSession creates a session for userID and sets its cookie: HttpOnly,
// SameSite=Lax, and Secure when the request came over TLS.
func StartSession(c *gin.Context, s *Store, userID int64) error {
	secret, expires, err := s.NewSession(c.Request.Context(), userID)
	if err != nil {
		return err
	}
	http.SetCookie(c.Writer, &http.Cookie{
		Name: CookieName, Value: secret, Path: "/", Expires: expires,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: IsTLS(c.Request),
	})
	return nil
}

// EndSession deletes the caller's session and its cookie.
func EndSession(c *gin.Context, s *Store) error {
	if secret, err := c.Cookie(CookieName); err == nil && secret != "" {
		if err := s.DeleteSession(c.Request.Context(), secret); err != nil {
			return err
		}
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: CookieName, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: IsTLS(c.Request)})
	return nil
}

// IsTLS reports whether the request reached us (or the proxy in front of
// us) over TLS.
func IsTLS(r *http.Request) bool {
	return r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https"
}

func (h *Handlers) logout(c *gin.Context) {
	if err := EndSession(c, h.Store); err != nil {
		web.Error(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

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

func meResponse(p *Principal) me {
	return me{p.UserID, p.Email, p.Name, p.OrgKind, p.AuthorityID, p.SupplierID, p.Roles, p.Lang}
}

func (h *Handlers) me(c *gin.Context) { c.JSON(http.StatusOK, meResponse(Caller(c))) }

type updateMeRequest struct {
	Lang string `json:"lang" validate:"required,oneof=he ar en"`
}

func (h *Handlers) updateMe(c *gin.Context) {
	var req updateMeRequest
	if err := web.BindJSON(c, &req); err != nil {
		web.Error(c, err)
		return
	}
	p := Caller(c)
	if err := h.Store.SetLang(c.Request.Context(), p.UserID, req.Lang); err != nil {
		web.Error(c, err)
		return
	}
	p.Lang = req.Lang
	c.JSON(http.StatusOK, meResponse(p))
}

type tokenRequest struct {
	Name string `json:"name" validate:"required,max=100"`
}

func (h *Handlers) createToken(c *gin.Context) {
	var req tokenRequest
	if err := web.BindJSON(c, &req); err != nil {
		web.Error(c, err)
		return
	}
	t, err := h.Store.NewToken(c.Request.Context(), Caller(c).UserID, req.Name)
	if err != nil {
		web.Error(c, err)
		return
	}
	c.JSON(http.StatusCreated, t)
}

func (h *Handlers) listTokens(c *gin.Context) {
	ts, err := h.Store.Tokens(c.Request.Context(), Caller(c).UserID)
	if err != nil {
		web.Error(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"items": ts})
}

func (h *Handlers) revokeToken(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		web.Error(c, apperr.NotFound("token"))
		return
	}
	if err := h.Store.RevokeToken(c.Request.Context(), Caller(c).UserID, id); err != nil {
		web.Error(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
