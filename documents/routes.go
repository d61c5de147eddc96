package documents

import (
	"github.com/gin-gonic/gin"

	"madaf/internal/auth"
	"madaf/internal/server"
	"madaf/internal/web"
)

// Routes is the documents' route table over the documents service.
type Routes struct{ Service *Service }

// apiOwners are the owners' collections under /api/v1 that take
// documents: each gets GET and POST <collection>/:id/documents.
var apiOwners = []struct {
	path string
	kind Kind
}{
	{"/orders", KindOrder},
	{"/tenders", KindTender},
	{"/suppliers", KindSupplier},
	{"/competitions", KindCompetition},
	{"/workplan/tasks", KindWorkplanTask},
}

// Mount adds, under r.API, each owner's documents (list and upload) and
// the download of one document; and, when r draws pages, the upload forms
// of the owners' pages. The body limit of the uploads is the server's
// (server.Uploads).
func (rt Routes) Mount(r server.Router) {
	if r.API != nil {
		mountAPI(r.API, rt.Service)
	}
	if r.Pages != nil {
		p := &pages{eng: r.Pages, svc: rt.Service}
		for kind, path := range pagePaths {
			r.Site.POST(path+":id/documents", r.Pages.Required(), r.Pages.Serve(p.upload(kind)))
		}
	}
}

func mountAPI(api *gin.RouterGroup, svc *Service) {
	h := &handlers{svc: svc}
	g := api.Group("", auth.Required())
	for _, o := range apiOwners {
		g.GET(o.path+"/:id/documents", web.Serve(h.list(o.kind)))
		g.POST(o.path+"/:id/documents", web.Serve(h.add(o.kind)))
	}
	g.GET("/documents/:id", h.download)
}
