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
	api.POST("/auth/login", web.Serve(h.login))
	api.POST("/auth/logout", web.Serve(h.logout))
	authed := api.Group("", Required())
	authed.GET("/me", web.Serve(h.me))
	authed.PATCH("/me", web.Serve(h.updateMe))
	authed.GET("/auth/tokens", web.Serve(h.listTokens))
	authed.POST("/auth/tokens", web.Serve(h.createToken))
	authed.DELETE("/auth/tokens/:id", web.Serve(h.revokeToken))
}

type loginRequest struct {
	Email    string `json:"email" validate:"required,max=254"`
	Password string `json:"password" validate:"required,max=1024"`
}

func (h *Handlers) login(c *gin.Context) (int, any, error) {
	var req loginRequest
	if err := web.BindJSON(c, &req); err != nil {
		return 0, nil, err
	}
	u, err := h.Store.Authenticate(c.Request.Context(), req.Email, req.Password, c.ClientIP())
	if err != nil {
		return 0, nil, err
	}
	if err := StartSession(c, h.Store, u.ID); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, meResponse(u.Principal()), nil
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

func (h *Handlers) logout(c *gin.Context) (int, any, error) {
	return http.StatusNoContent, nil, EndSession(c, h.Store)
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

func (h *Handlers) me(c *gin.Context) (int, any, error) {
	return http.StatusOK, meResponse(Caller(c)), nil
}

type updateMeRequest struct {
	Lang string `json:"lang" validate:"required,oneof=he ar en"`
}

func (h *Handlers) updateMe(c *gin.Context) (int, any, error) {
	var req updateMeRequest
	if err := web.BindJSON(c, &req); err != nil {
		return 0, nil, err
	}
	p := Caller(c)
	if err := h.Store.SetLang(c.Request.Context(), p.UserID, req.Lang); err != nil {
		return 0, nil, err
	}
	p.Lang = req.Lang
	return http.StatusOK, meResponse(p), nil
}

type tokenRequest struct {
	Name string `json:"name" validate:"required,max=100"`
}

func (h *Handlers) createToken(c *gin.Context) (int, any, error) {
	var req tokenRequest
	if err := web.BindJSON(c, &req); err != nil {
		return 0, nil, err
	}
	t, err := h.Store.NewToken(c.Request.Context(), Caller(c).UserID, req.Name)
	return http.StatusCreated, t, err
}

func (h *Handlers) listTokens(c *gin.Context) (int, any, error) {
	ts, err := h.Store.Tokens(c.Request.Context(), Caller(c).UserID)
	return http.StatusOK, gin.H{"items": ts}, err
}

func (h *Handlers) revokeToken(c *gin.Context) (int, any, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return 0, nil, apperr.NotFound("not_found.token")
	}
	return http.StatusNoContent, nil, h.Store.RevokeToken(c.Request.Context(), Caller(c).UserID, id)
}
