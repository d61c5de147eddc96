package authorities

import (
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/money"
	"madaf/internal/page"
)

// settingsData is an authority's invoice settings page: the values in
// force and, for its treasurer and the cluster admin, the form that
// changes them.
type settingsData struct {
	Authority *Authority
	Settings  *Settings
	// Base is the authority's page: /admin/authorities/{id} or /authority.
	Base string
	Max  string
}

func (p *pages) settingsPage(c *gin.Context) error { return p.renderSettings(c, http.StatusOK, nil) }

func (p *pages) renderSettings(c *gin.Context, status int, f *page.Form) error {
	caller := auth.Caller(c)
	id, base, err := authorityID(c)
	if err != nil {
		return err
	}
	a, err := p.store.Get(c, caller, id)
	if err != nil {
		return err
	}
	st, err := p.store.Settings(c, caller, id)
	if err != nil {
		return err
	}
	current := url.Values{"invoice_price_tolerance": {st.InvoicePriceTolerance.String()}, "etag": {st.ETag()}}
	if st.RequiresAllocationNumber {
		current.Set("requires_allocation_number", "on")
	}
	switch {
	case f == nil:
		f = page.NewForm(current)
	case status == http.StatusConflict:
		// A stale form drawn again answers the settings as they stand now;
		// one refused for its values keeps the version it was drawn with, so
		// that a change made meanwhile is not overwritten unseen.
		f.Values.Set("etag", st.ETag())
	}
	p.eng.Render(c, status, p.settings, settingsData{Authority: a, Settings: st, Base: base,
		Max: money.Group(MaxInvoicePriceTolerance.StringFixed(0))}, f)
	return nil
}

// saveSettings writes the settings form: requires_allocation_number (a
// checkbox), invoice_price_tolerance and the etag the form was drawn with.
// A caller who may not change them is refused before the form is read.
func (p *pages) saveSettings(c *gin.Context) error {
	caller := auth.Caller(c)
	id, base, err := authorityID(c)
	if err != nil {
		return err
	}
	if err := p.store.canEditSettings(c, caller, id); err != nil {
		return err
	}
	f := page.ReadForm(c)
	requires := f.Value("requires_allocation_number") == "on"
	tolerance := f.Decimal("invoice_price_tolerance", page.Required)
	status := http.StatusUnprocessableEntity
	if f.Valid() {
		_, err := p.store.SetSettings(c, caller, id, f.Value("etag"), SettingsInput{RequiresAllocationNumber: &requires, InvoicePriceTolerance: &tolerance})
		switch {
		case err == nil:
			p.eng.Redirect(c, base+"/settings", "authority.settings.saved")
			return nil
		case apperr.Is(err, apperr.KindPrecondition):
			f.Refuse("authority.settings.stale_form")
			status = http.StatusConflict
		case !f.Absorb(err, nil):
			return err
		}
	}
	return p.renderSettings(c, status, f)
}
