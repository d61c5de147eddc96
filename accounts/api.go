package accounts

import (
	"log/slog"
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
	// Code is the second factor (a TOTP or recovery code) of a user who
	// has one.
	Code string `json:"code" validate:"max=64"`
}

func (h *handlers) login(c *gin.Context) (int, any, error) {
	var req loginRequest
	if err := web.BindJSON(c, &req); err != nil {
		return 0, nil, err
	}
	u, err := h.store.Authenticate(c.Request.Context(), req.Email, req.Password, c.ClientIP())
	if err == nil && u.SecondFactor {
		err = h.secondFactor(c, u, req.Code)
	}
	logSignIn(c, req.Email, err)
	if err != nil {
		return 0, nil, err
	}
	if err := auth.StartSession(c, h.sessions, u.ID); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, meOfUser(u), nil
}

// secondFactor checks code, the second factor of u, whose password was
// right: none is unauthorized (login.code_required), a wrong one as
// Store.VerifySecondFactor says.
func (h *handlers) secondFactor(c *gin.Context, u *User, code string) error {
	if code == "" {
		return apperr.Unauthorized("login.code_required")
	}
	return h.store.VerifySecondFactor(c.Request.Context(), u.ID, code, c.ClientIP())
}

// logSignIn logs the outcome of a sign-in attempt as e-mail as a security
// event: sign_in, sign_in_failed or sign_in_throttled. An error that is
// not a refusal (the database) is no security event.
func logSignIn(c *gin.Context, email string, err error) {
	switch {
	case err == nil:
		auth.SecurityEvent(c, slog.LevelInfo, "sign_in", email)
	case apperr.Is(err, apperr.KindTooManyRequests):
		auth.SecurityEvent(c, slog.LevelWarn, "sign_in_throttled", email)
	case apperr.Is(err, apperr.KindUnauthorized):
		auth.SecurityEvent(c, slog.LevelWarn, "sign_in_failed", email)
	}
}

// logSignOut logs a sign-out as a security event (of the caller, when the
// session was live).
func logSignOut(c *gin.Context) { auth.SecurityEvent(c, slog.LevelInfo, "sign_out", "") }

func (h *handlers) logout(c *gin.Context) (int, any, error) {
	if err := auth.EndSession(c, h.sessions); err != nil {
		return 0, nil, err
	}
	logSignOut(c)
	return http.StatusNoContent, nil, nil
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
	if err != nil {
		return 0, nil, err
	}
	auth.SecurityEvent(c, slog.LevelInfo, "token_created", "", "token_id", t.ID, "token_name", t.Name)
	return http.StatusCreated, t, nil
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
	if err := h.sessions.RevokeToken(c.Request.Context(), auth.Caller(c).UserID, id); err != nil {
		return 0, nil, err
	}
	auth.SecurityEvent(c, slog.LevelInfo, "token_revoked", "", "token_id", id)
	return http.StatusNoContent, nil, nil
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
	u, err := h.store.InviteUser(c.Request.Context(), NewUser{Email: req.Email, Name: req.Name, OrgKind: req.OrgKind,
		AuthorityID: req.AuthorityID, SupplierID: req.SupplierID, Roles: req.Roles, Lang: req.Lang}, auth.Caller(c).UserID)
	if err != nil {
		return 0, nil, err
	}
	logUserCreated(c, u)
	return http.StatusCreated, u, nil
}

// logUserCreated logs, as a security event of the administrator, the new
// user and the roles it was given.
func logUserCreated(c *gin.Context, u *User) {
	auth.SecurityEvent(c, slog.LevelInfo, "user_created", "", "user_id", u.ID, "user_email", u.Email, "roles", u.Roles)
}

// logActive logs, as a security event of the administrator, that user
// userID was activated or deactivated (which ends its sessions and tokens).
func logActive(c *gin.Context, userID int64, active bool) {
	event := "user_deactivated"
	if active {
		event = "user_activated"
	}
	auth.SecurityEvent(c, slog.LevelInfo, event, "", "user_id", userID)
}

func (h *handlers) setActive(active bool) func(c *gin.Context) (int, any, error) {
	return func(c *gin.Context) (int, any, error) {
		id, err := web.ParamID(c, "id", "not_found.user")
		if err != nil {
			return 0, nil, err
		}
		if id == auth.Caller(c).UserID && !active {
			return 0, nil, apperr.Invalid("error.self_deactivate")
		}
		if err := h.store.SetActive(c.Request.Context(), id, active); err != nil {
			return 0, nil, err
		}
		logActive(c, id, active)
		u, err := h.store.User(c.Request.Context(), id)
		return http.StatusOK, u, err
	}
}

type passwordRequest struct {
	Current string `json:"current" validate:"required,max=1024"`
	New     string `json:"new" validate:"required,max=1024"`
}

// changePassword changes the caller's password; every other session of
// theirs ends.
func (h *handlers) changePassword(c *gin.Context) (int, any, error) {
	var req passwordRequest
	if err := web.BindJSON(c, &req); err != nil {
		return 0, nil, err
	}
	p := auth.Caller(c)
	if err := h.store.ChangePassword(c.Request.Context(), p.UserID, req.Current, req.New, c.ClientIP(), auth.SessionSecret(c)); err != nil {
		return 0, nil, err
	}
	auth.SecurityEvent(c, slog.LevelInfo, "password_changed", "")
	return http.StatusNoContent, nil, nil
}

func (h *handlers) listSessions(c *gin.Context) (int, any, error) {
	ss, err := h.sessions.Sessions(c.Request.Context(), auth.Caller(c).UserID, auth.SessionSecret(c))
	return http.StatusOK, gin.H{"items": ss}, err
}

func (h *handlers) endSession(c *gin.Context) (int, any, error) {
	id, err := web.ParamID(c, "id", "not_found.session")
	if err != nil {
		return 0, nil, err
	}
	if err := h.sessions.EndUserSession(c.Request.Context(), auth.Caller(c).UserID, id); err != nil {
		return 0, nil, err
	}
	auth.SecurityEvent(c, slog.LevelInfo, "session_ended", "", "session_id", id)
	return http.StatusNoContent, nil, nil
}

type forgotRequest struct {
	Email string `json:"email" validate:"required,max=254"`
}

// forgotPassword mails a reset link to the address when it is a user's,
// and answers the same when it is not.
func (h *handlers) forgotPassword(c *gin.Context) (int, any, error) {
	var req forgotRequest
	if err := web.BindJSON(c, &req); err != nil {
		return 0, nil, err
	}
	if err := h.store.RequestPasswordReset(c.Request.Context(), req.Email); err != nil {
		return 0, nil, err
	}
	auth.SecurityEvent(c, slog.LevelInfo, "password_reset_requested", req.Email)
	return http.StatusAccepted, nil, nil
}

// sendPasswordLink mails a user a link that sets their password (cluster
// admin); the answer says which and until when, never the link.
func (h *handlers) sendPasswordLink(c *gin.Context) (int, any, error) {
	id, err := web.ParamID(c, "id", "not_found.user")
	if err != nil {
		return 0, nil, err
	}
	link, err := h.store.SendPasswordLink(c.Request.Context(), id, auth.Caller(c).UserID)
	if err != nil {
		return 0, nil, err
	}
	auth.SecurityEvent(c, slog.LevelInfo, "password_link_sent", "", "user_id", id, "purpose", link.Purpose)
	return http.StatusAccepted, link, nil
}
