package accounts

import (
	"bytes"
	"encoding/base64"
	"errors"
	"html/template"
	"image/png"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/page"
	"madaf/internal/web"
)

// accountData is what the account page draws.
type accountData struct {
	Sessions     []auth.Session
	Tokens       []auth.APIToken
	SecondFactor *SecondFactor
	// NewToken is the token just created, with its secret, shown this once.
	NewToken *auth.APIToken
}

func (p *pages) accountPage(c *gin.Context) error {
	return p.renderAccount(c, http.StatusOK, nil, nil)
}

// renderAccount draws the account page with form f (nil: none) and the
// token just created (nil: none).
func (p *pages) renderAccount(c *gin.Context, status int, f *page.Form, created *auth.APIToken) error {
	ctx := c.Request.Context()
	userID := auth.Caller(c).UserID
	d := accountData{NewToken: created}
	var err error
	if d.Sessions, err = p.sessions.Sessions(ctx, userID, auth.SessionSecret(c)); err != nil {
		return err
	}
	if d.Tokens, err = p.sessions.Tokens(ctx, userID); err != nil {
		return err
	}
	if d.SecondFactor, err = p.store.SecondFactorOf(ctx, userID); err != nil {
		return err
	}
	p.eng.Render(c, status, p.account, d, f)
	return nil
}

// changePassword takes the account page's password form: the current
// password and the new one; every other session ends.
func (p *pages) changePassword(c *gin.Context) error {
	f := page.ReadForm(c)
	current, next := f.Values.Get("current"), f.Values.Get("new")
	if current == "" {
		f.Fail("current", "msg.required")
	}
	if next == "" {
		f.Fail("new", "msg.required")
	}
	status := http.StatusUnprocessableEntity
	if f.Valid() {
		err := p.store.ChangePassword(c.Request.Context(), auth.Caller(c).UserID, current, next, c.ClientIP(), auth.SessionSecret(c))
		if err == nil {
			auth.SecurityEvent(c, slog.LevelInfo, "password_changed", "")
			p.eng.Redirect(c, "/account", "account.password_changed")
			return nil
		}
		if status = absorbRefusal(f, err); status == 0 {
			return err
		}
	}
	return p.renderAccount(c, status, f, nil)
}

// absorbRefusal shows err on f when it is a refusal a form answers: field
// errors beside their fields, a conflict or throttling as the form's
// message. It returns the status to answer with, 0 when err is no such
// refusal.
func absorbRefusal(f *page.Form, err error) int {
	var ae *apperr.Error
	if !errors.As(err, &ae) {
		return 0
	}
	switch ae.Kind {
	case apperr.KindTooManyRequests, apperr.KindConflict:
		f.Message = ae.Msg
		return web.StatusOf(err)
	case apperr.KindInvalid:
		f.Absorb(err, nil)
		return http.StatusUnprocessableEntity
	}
	return 0
}

func (p *pages) endSession(c *gin.Context) error {
	id, err := web.ParamID(c, "id", "not_found.session")
	if err != nil {
		return err
	}
	if err := p.sessions.EndUserSession(c.Request.Context(), auth.Caller(c).UserID, id); err != nil {
		return err
	}
	auth.SecurityEvent(c, slog.LevelInfo, "session_ended", "", "session_id", id)
	p.eng.Redirect(c, "/account", "account.session_ended")
	return nil
}

func (p *pages) endOtherSessions(c *gin.Context) error {
	n, err := p.sessions.EndOtherSessions(c.Request.Context(), auth.Caller(c).UserID, auth.SessionSecret(c))
	if err != nil {
		return err
	}
	auth.SecurityEvent(c, slog.LevelInfo, "other_sessions_ended", "", "sessions", n)
	p.eng.Redirect(c, "/account", "account.other_sessions_ended")
	return nil
}

// createToken creates a personal API token and shows its secret on the
// account page, this once.
func (p *pages) createToken(c *gin.Context) error {
	f := page.ReadForm(c)
	name := f.Text("name", page.Required)
	if len(name) > 100 {
		f.Fail("name", "msg.max_len", "100")
	}
	if !f.Valid() {
		return p.renderAccount(c, http.StatusUnprocessableEntity, f, nil)
	}
	t, err := p.sessions.NewToken(c.Request.Context(), auth.Caller(c).UserID, name)
	if err != nil {
		return err
	}
	auth.SecurityEvent(c, slog.LevelInfo, "token_created", "", "token_id", t.ID, "token_name", t.Name)
	return p.renderAccount(c, http.StatusCreated, nil, t)
}

func (p *pages) revokeToken(c *gin.Context) error {
	id, err := web.ParamID(c, "id", "not_found.token")
	if err != nil {
		return err
	}
	if err := p.sessions.RevokeToken(c.Request.Context(), auth.Caller(c).UserID, id); err != nil {
		return err
	}
	auth.SecurityEvent(c, slog.LevelInfo, "token_revoked", "", "token_id", id)
	p.eng.Redirect(c, "/account", "account.token_revoked")
	return nil
}

// secondFactorData is what the second-factor page draws.
type secondFactorData struct {
	SecondFactor *SecondFactor
	// Due is true while the user may reach no other page before enrolling.
	Due bool
	// Secret and QR are the pending enrolment's, QR an image of its
	// otpauth:// address.
	Secret string
	QR     template.URL
	// Codes are new recovery codes, shown this once.
	Codes []string
}

func (p *pages) secondFactorPage(c *gin.Context) error {
	return p.renderSecondFactor(c, http.StatusOK, nil, nil)
}

// renderSecondFactor draws the second-factor page with form f (nil: none)
// and recovery codes just made (nil: none).
func (p *pages) renderSecondFactor(c *gin.Context, status int, f *page.Form, codes []string) error {
	ctx := c.Request.Context()
	caller := auth.Caller(c)
	sf, err := p.store.SecondFactorOf(ctx, caller.UserID)
	if err != nil {
		return err
	}
	d := secondFactorData{SecondFactor: sf, Due: sf.Required && !sf.Enabled, Codes: codes}
	if sf.Pending {
		if d.Secret, err = p.store.PendingSecret(ctx, caller.UserID); err != nil {
			return err
		}
		if d.QR, err = qrImage(d.Secret, caller.Email); err != nil {
			return err
		}
	}
	p.eng.Render(c, status, p.secondFactor, d, f)
	return nil
}

// qrImage is the QR code of secret's otpauth:// address for account, as a
// PNG data URI.
func qrImage(secret, account string) (template.URL, error) {
	key, err := auth.TOTPKey(secret, account)
	if err != nil {
		return "", err
	}
	img, err := key.Image(240, 240)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return "", err
	}
	// The image is ours, made from the secret just above: a safe URL.
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(b.Bytes())), nil
}

func (p *pages) beginEnrolment(c *gin.Context) error {
	if err := p.store.BeginEnrolment(c.Request.Context(), auth.Caller(c).UserID); err != nil {
		return err
	}
	p.eng.Redirect(c, auth.EnrolmentPath, "")
	return nil
}

// confirmEnrolment takes the code of the pending enrolment and shows the
// recovery codes, this once.
func (p *pages) confirmEnrolment(c *gin.Context) error {
	f := page.ReadForm(c)
	code := f.Text("code", page.Required)
	if f.Valid() {
		codes, err := p.store.ConfirmEnrolment(c.Request.Context(), auth.Caller(c).UserID, code, c.ClientIP())
		if err == nil {
			auth.SecurityEvent(c, slog.LevelInfo, "second_factor_enabled", "")
			return p.renderSecondFactor(c, http.StatusOK, nil, codes)
		}
		if apperr.Is(err, apperr.KindTooManyRequests) {
			auth.SecurityEvent(c, slog.LevelWarn, "enrolment_throttled", "")
		}
		status := absorbRefusal(f, err)
		if status == 0 {
			return err
		}
		return p.renderSecondFactor(c, status, f, nil)
	}
	return p.renderSecondFactor(c, http.StatusUnprocessableEntity, f, nil)
}

// newRecoveryCodes replaces the recovery codes, confirmed with the
// password, and shows the new ones this once.
func (p *pages) newRecoveryCodes(c *gin.Context) error {
	f := page.ReadForm(c)
	password := f.Values.Get("password")
	status := http.StatusUnprocessableEntity
	if password == "" {
		f.Fail("password", "msg.required")
	} else {
		codes, err := p.store.NewRecoveryCodes(c.Request.Context(), auth.Caller(c).UserID, password, c.ClientIP())
		if err == nil {
			auth.SecurityEvent(c, slog.LevelInfo, "recovery_codes_renewed", "")
			return p.renderSecondFactor(c, http.StatusOK, nil, codes)
		}
		if status = absorbRefusal(f, err); status == 0 {
			return err
		}
	}
	return p.renderSecondFactor(c, status, f, nil)
}

// disableSecondFactor removes the second factor, confirmed with the
// password, where the user's roles allow it.
func (p *pages) disableSecondFactor(c *gin.Context) error {
	f := page.ReadForm(c)
	password := f.Values.Get("password")
	status := http.StatusUnprocessableEntity
	if password == "" {
		f.Fail("password", "msg.required")
	} else {
		err := p.store.DisableSecondFactor(c.Request.Context(), auth.Caller(c).UserID, password, c.ClientIP())
		if err == nil {
			auth.SecurityEvent(c, slog.LevelInfo, "second_factor_disabled", "")
			p.eng.Redirect(c, auth.EnrolmentPath, "account.second_factor_disabled")
			return nil
		}
		if status = absorbRefusal(f, err); status == 0 {
			return err
		}
	}
	return p.renderSecondFactor(c, status, f, nil)
}
