package documents

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/paging"
	"madaf/internal/web"
)

// handlers are the JSON endpoints of documents.
type handlers struct{ svc *Service }

// Allow returns what p may do with owner (kind, id)'s documents when p
// may add to them: not found when p may not see the owner, forbidden
// ("document.forbidden") when p may see but not add. Handlers ask before
// reading an upload, so that scope answers before the file's faults.
func (s *Service) Allow(ctx context.Context, p *auth.Principal, kind Kind, id int64) (Grant, error) {
	g, err := s.grant(ctx, p, kind, id)
	if err != nil {
		return Grant{}, err
	}
	if !g.MayAdd {
		return Grant{}, apperr.Forbidden("document.forbidden")
	}
	return g, nil
}

func (h *handlers) list(kind Kind) func(c *gin.Context) (int, any, error) {
	return func(c *gin.Context) (int, any, error) {
		id, err := web.ParamID(c, "id", "not_found.resource")
		if err != nil {
			return 0, nil, err
		}
		_, ds, err := h.svc.List(c.Request.Context(), auth.Caller(c), kind, id)
		return http.StatusOK, paging.List[Document]{Items: ds}, err
	}
}

func (h *handlers) add(kind Kind) func(c *gin.Context) (int, any, error) {
	return func(c *gin.Context) (int, any, error) {
		id, err := web.ParamID(c, "id", "not_found.resource")
		if err != nil {
			return 0, nil, err
		}
		caller := auth.Caller(c)
		g, err := h.svc.Allow(c.Request.Context(), caller, kind, id)
		if err != nil {
			return 0, nil, err
		}
		up, err := ReadUpload(c)
		if err != nil {
			return 0, nil, err
		}
		d, err := h.svc.addTo(c.Request.Context(), g, up, caller)
		if err != nil {
			return 0, nil, err
		}
		c.Header("Location", d.Path())
		c.Header("ETag", d.ETag())
		return http.StatusCreated, d, nil
	}
}

// ReadUpload reads the multipart form's "file" (and its optional
// "replaces", a document id, and "internal", true or false, or "on" from a
// checkbox; a new version is internal as the one it replaces). A body over the upload
// limit or a file over MaxSize is too large; a missing file is an invalid
// "file".
func ReadUpload(c *gin.Context) (Upload, error) {
	fh, err := c.FormFile("file")
	if err != nil {
		if web.IsTooLarge(err) {
			return Upload{}, apperr.New(apperr.KindTooLarge, "document.too_large", MaxSize>>20)
		}
		return Upload{}, apperr.Invalid("document.invalid", apperr.Field("file", "document.no_file"))
	}
	var up Upload
	if s := strings.TrimSpace(c.PostForm("replaces")); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			return Upload{}, apperr.Invalid("document.invalid", apperr.Field("replaces", "document.replaces_unknown"))
		}
		up.Replaces = n
	}
	if s := strings.TrimSpace(c.PostForm("internal")); s != "" {
		b, err := strconv.ParseBool(s)
		switch {
		case s == "on":
			b = true
		case err != nil:
			return Upload{}, apperr.Invalid("document.invalid", apperr.Field("internal", "document.internal_invalid"))
		}
		up.Internal = &b
	}
	if fh.Size > MaxSize {
		return Upload{}, apperr.New(apperr.KindTooLarge, "document.too_large", MaxSize>>20)
	}
	f, err := fh.Open()
	if err != nil {
		return Upload{}, err
	}
	defer f.Close()
	content, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return Upload{}, apperr.New(apperr.KindTooLarge, "document.too_large", MaxSize>>20)
		}
		return Upload{}, err
	}
	up.Name, up.Content = fh.Filename, content
	return up, nil
}

// download answers GET /documents/:id with the document's bytes, as an
// attachment under its own name, its SHA-256 as ETag.
func (h *handlers) download(c *gin.Context) {
	id, err := web.ParamID(c, "id", "not_found.document")
	if err != nil {
		web.Error(c, err)
		return
	}
	d, content, err := h.svc.Open(c.Request.Context(), auth.Caller(c), id)
	if err != nil {
		web.Error(c, err)
		return
	}
	hd := c.Writer.Header()
	hd.Set("ETag", d.ETag())
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Disposition", Disposition(d.FileName))
	if web.NotModified(c) {
		c.Status(http.StatusNotModified)
		return
	}
	c.Data(http.StatusOK, d.ContentType, content)
}

// Disposition is the Content-Disposition of an attachment called name: an
// ASCII filename for old clients and the UTF-8 name as RFC 5987's
// filename*.
func Disposition(name string) string {
	var ascii, ext strings.Builder
	for _, r := range name {
		switch {
		case r < 0x20 || r >= 0x7f || r == '"' || r == '\\' || r == '%':
			ascii.WriteByte('_')
		default:
			ascii.WriteRune(r)
		}
	}
	const hex = "0123456789ABCDEF"
	for _, b := range []byte(name) {
		if isAttrChar(b) {
			ext.WriteByte(b)
			continue
		}
		ext.WriteByte('%')
		ext.WriteByte(hex[b>>4])
		ext.WriteByte(hex[b&15])
	}
	return `attachment; filename="` + ascii.String() + `"; filename*=UTF-8''` + ext.String()
}

// isAttrChar reports whether b is an attr-char of RFC 5987.
func isAttrChar(b byte) bool {
	switch {
	case 'a' <= b && b <= 'z', 'A' <= b && b <= 'Z', '0' <= b && b <= '9':
		return true
	}
	return strings.IndexByte("!#$&+-.^_`|~", b) >= 0
}
