package accounts

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/page"
	"madaf/internal/web"
)

// codeData is what the sign-in's second step draws: the step's secret,
// which the form carries back, and where to go afterwards.
type codeData struct {
	Step string
	Next string
}

// askCode begins the second step of u's sign-in and draws its form (with
// f's errors, when f is not nil).
func (p *pages) askCode(c *gin.Context, status int, u *User, next string, f *page.Form) error {
	step, err := p.store.BeginSignIn(c.Request.Context(), u.ID)
	if err != nil {
		return err
	}
	p.eng.Render(c, status, p.loginCode, codeData{Step: step, Next: next}, f)
	return nil
}

// signInCode takes the second step of a sign-in: the code of the user's
// authenticator app, or a recovery code. A wrong code draws the step again;
// a step that has expired goes back to the login form.
func (p *pages) signInCode(c *gin.Context) error {
	f := page.ReadForm(c)
	step := f.Values.Get("step")
	code := f.Text("code", page.Required)
	next := page.SafeNext(f.Value("next"))
	if !f.Valid() {
		p.eng.Render(c, http.StatusUnprocessableEntity, p.loginCode, codeData{Step: step, Next: next}, f)
		return nil
	}
	u, err := p.store.CompleteSignIn(c.Request.Context(), step, code, c.ClientIP())
	var refused *apperr.Error
	switch {
	case err == nil:
		logSignIn(c, u.Email, nil)
		if err := p.startSession(c, u); err != nil {
			return err
		}
		c.Redirect(http.StatusSeeOther, next)
		return nil
	case !errors.As(err, &refused):
		return err
	case refused.Kind == apperr.KindNotFound:
		lf := page.NewForm(nil)
		lf.Message = refused.Msg
		p.eng.Render(c, http.StatusUnprocessableEntity, p.login, loginData{Next: next}, lf)
		return nil
	case refused.Kind == apperr.KindUnauthorized || refused.Kind == apperr.KindTooManyRequests:
		logSignIn(c, u.Email, err)
		f.Values.Del("code")
		f.Message = refused.Msg
		p.eng.Render(c, web.StatusOf(err), p.loginCode, codeData{Step: step, Next: next}, f)
		return nil
	}
	return err
}

// forgotData is what the forgotten-password page draws: Sent once a
// request was taken (the same answer whether or not the address is a
// user's).
type forgotData struct{ Sent bool }

func (p *pages) forgotForm(c *gin.Context) error {
	p.eng.Render(c, http.StatusOK, p.forgot, forgotData{}, nil)
	return nil
}

// forgotPassword mails a reset link to the address when it is an active
// user's, and answers the same page whether or not it is.
func (p *pages) forgotPassword(c *gin.Context) error {
	f := page.ReadForm(c)
	email := f.Text("email", page.Required)
	if !f.Valid() {
		p.eng.Render(c, http.StatusUnprocessableEntity, p.forgot, forgotData{}, f)
		return nil
	}
	if err := p.store.RequestPasswordReset(c.Request.Context(), email); err != nil {
		return err
	}
	auth.SecurityEvent(c, slog.LevelInfo, "password_reset_requested", email)
	p.eng.Render(c, http.StatusOK, p.forgot, forgotData{Sent: true}, nil)
	return nil
}

// resetData is what the page of a link draws: whose password it sets, or
// nothing when the link is not good (used, past, unknown).
type resetData struct {
	Holder *LinkHolder
}

func (p *pages) resetForm(c *gin.Context) error {
	h, err := p.store.PasswordLinkHolder(c.Request.Context(), c.Param("token"))
	if apperr.Is(err, apperr.KindNotFound) {
		p.eng.Render(c, http.StatusNotFound, p.reset, resetData{}, nil)
		return nil
	}
	if err != nil {
		return err
	}
	p.eng.Render(c, http.StatusOK, p.reset, resetData{Holder: h}, nil)
	return nil
}

// resetPassword sets the password of the link's holder, typed twice, and
// signs them in (after their second factor, when they have one); the link
// is then used up and their other sessions end.
func (p *pages) resetPassword(c *gin.Context) error {
	ctx := c.Request.Context()
	secret := c.Param("token")
	h, err := p.store.PasswordLinkHolder(ctx, secret)
	if apperr.Is(err, apperr.KindNotFound) {
		p.eng.Render(c, http.StatusNotFound, p.reset, resetData{}, nil)
		return nil
	}
	if err != nil {
		return err
	}
	f := page.ReadForm(c)
	password := f.Values.Get("password")
	switch {
	case password == "":
		f.Fail("password", "msg.required")
	case f.Values.Get("confirm") != password:
		f.Fail("confirm", "account.password_mismatch")
	}
	if f.Valid() {
		u, err := p.store.SetPasswordByLink(ctx, secret, password, c.ClientIP())
		switch {
		case err == nil:
			auth.SecurityEvent(c, slog.LevelInfo, "password_set_by_link", u.Email, "purpose", h.Purpose)
			if u.SecondFactor {
				return p.askCode(c, http.StatusOK, u, "/", nil)
			}
			if err := p.startSession(c, u); err != nil {
				return err
			}
			p.eng.Redirect(c, "/", "account.password_set")
			return nil
		case apperr.Is(err, apperr.KindNotFound):
			p.eng.Render(c, http.StatusNotFound, p.reset, resetData{}, nil)
			return nil
		case !f.Absorb(err, nil):
			return err
		}
	}
	p.eng.Render(c, http.StatusUnprocessableEntity, p.reset, resetData{Holder: h}, f)
	return nil
}
