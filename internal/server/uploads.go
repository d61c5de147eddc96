package server

import (
	"strings"

	"github.com/gin-gonic/gin"

	"madaf/internal/apperr"
	"madaf/internal/web"
)

// UploadBody is the body limit of the upload routes: one document of
// 20 MiB and the multipart form around it.
const UploadBody = 21 << 20

// Uploads are the routes (method and route template) that take a file
// larger than web.MaxBody, with their body limit; every other route keeps
// web.MaxBody. Besides the owners' documents, the order page's invoice
// form takes the PDF of the tax invoice.
var Uploads = map[string]int64{
	"POST /api/v1/orders/:id/documents":         UploadBody,
	"POST /api/v1/tenders/:id/documents":        UploadBody,
	"POST /api/v1/suppliers/:id/documents":      UploadBody,
	"POST /api/v1/competitions/:id/documents":   UploadBody,
	"POST /api/v1/workplan/tasks/:id/documents": UploadBody,
	"POST /orders/:id/documents":                UploadBody,
	"POST /tenders/:id/documents":               UploadBody,
	"POST /admin/suppliers/:id/documents":       UploadBody,
	"POST /competitions/:id/documents":          UploadBody,
	"POST /orders/:id/invoices":                 UploadBody,
}

// limitBody caps each request's body: at its route's limit for the routes
// of Uploads, at web.MaxBody for every other. A page's upload declared
// larger than its limit is answered with the error page (see
// AnswerPagesWith), in the caller's language.
func (b *Base) limitBody() gin.HandlerFunc {
	small := web.LimitBody(web.MaxBody)
	large := map[int64]gin.HandlerFunc{}
	for _, limit := range Uploads {
		if large[limit] == nil {
			large[limit] = web.LimitBody(limit)
		}
	}
	return func(c *gin.Context) {
		if limit, ok := Uploads[c.Request.Method+" "+c.FullPath()]; ok {
			if c.Request.ContentLength > limit && b.pageFail != nil && !strings.HasPrefix(c.Request.URL.Path, "/api/") {
				b.pageFail(c, apperr.New(apperr.KindTooLarge, "error.body_too_large", limit))
				c.Abort()
				return
			}
			large[limit](c)
			return
		}
		small(c)
	}
}
