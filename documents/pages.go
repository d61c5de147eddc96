package documents

import (
	"errors"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/page"
	"madaf/internal/web"
)

// pagePaths are the pages of the owners whose documents section has an
// upload form; the form posts to the page's path + "/documents".
var pagePaths = map[Kind]string{
	KindOrder:       "/orders/",
	KindTender:      "/tenders/",
	KindSupplier:    "/admin/suppliers/",
	KindCompetition: "/competitions/",
}

// pagePath is owner's page.
func pagePath(kind Kind, id int64) string { return pagePaths[kind] + strconv.FormatInt(id, 10) }

// Section is the documents section of an owner's page (the partial
// "documents" draws it): the owner's documents, newest first, and the
// upload form when the caller may add.
type Section struct {
	Items  []Document
	MayAdd bool
	// MayMarkInternal is true when the upload form offers to mark the
	// document internal (never to a supplier).
	MayMarkInternal bool
	// Action is where the upload form posts.
	Action string
	// Error is why the last upload was refused (zero: it was not).
	Error apperr.Msg
	// Accept is the upload field's accept attribute.
	Accept string
}

// refusals are the faults an upload page reports beside the field (the
// document_error of the redirect), with their messages.
var refusals = map[string]apperr.Msg{
	"type":     apperr.M("document.type_refused", Accepted),
	"mismatch": apperr.M("document.type_mismatch", Accepted),
	"size":     apperr.M("document.too_large", MaxSize>>20),
	"empty":    apperr.M("document.empty"),
	"no_file":  apperr.M("document.no_file"),
	"no_name":  apperr.M("document.no_name"),
	"replaced": apperr.M("document.already_replaced"),
	"internal": apperr.M("document.internal_supplier"),
	"version":  apperr.M("document.internal_version"),
}

// refusal is the code in refusals of err, "" for another error.
func refusal(err error) string {
	var ae *apperr.Error
	if !errors.As(err, &ae) {
		return ""
	}
	key := ae.Msg.Key
	if len(ae.Fields) > 0 {
		key = ae.Fields[0].Msg.Key
	}
	for code, m := range refusals {
		if m.Key == key {
			return code
		}
	}
	return ""
}

// Section returns owner's documents section for the caller of c, nil when
// s is nil (a page mounted without documents) or when the caller may not
// see the owner's documents.
func (s *Service) Section(c *gin.Context, owner Owner) (*Section, error) {
	if s == nil {
		return nil, nil
	}
	g, ds, err := s.List(c.Request.Context(), auth.Caller(c), owner.Kind, owner.ID)
	if apperr.Is(err, apperr.KindNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	sec := &Section{Items: ds, MayAdd: g.MayAdd && pagePaths[owner.Kind] != "", MayMarkInternal: g.Internal,
		Action: pagePath(owner.Kind, owner.ID) + "/documents",
		Accept: ".pdf,.png,.jpg,.jpeg,.gif,.webp,.xlsx,.docx"}
	if m, ok := refusals[c.Query("document_error")]; ok {
		sec.Error = m
	}
	return sec, nil
}

// pages are the upload forms' routes.
type pages struct {
	eng *page.Engine
	svc *Service
}

// upload adds the posted file to owner kind :id and goes back to the
// owner's page: with a flash when it was added, with the refusal beside
// the field when it was not.
func (p *pages) upload(kind Kind) func(c *gin.Context) error {
	return func(c *gin.Context) error {
		id, err := web.ParamID(c, "id", "not_found.resource")
		if err != nil {
			return err
		}
		caller := auth.Caller(c)
		g, err := p.svc.Allow(c, caller, kind, id)
		if err != nil {
			return err
		}
		up, err := ReadUpload(c)
		if err == nil {
			_, err = p.svc.addTo(c, g, up, caller)
		}
		back := pagePath(kind, id)
		if err != nil {
			code := refusal(err)
			if code == "" {
				return err
			}
			p.eng.Redirect(c, back+"?"+url.Values{"document_error": {code}}.Encode()+"#documents", "")
			return nil
		}
		p.eng.Redirect(c, back+"#documents", "document.added")
		return nil
	}
}
