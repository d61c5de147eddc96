package audit

import (
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"madaf/internal/i18n"
	"madaf/internal/page"
	"madaf/internal/web"
)

type pages struct {
	eng   *page.Engine
	store *Store
	trail *page.Page
}

// entryView is an entry as the page shows it: its changes with the
// fields named in the reader's language.
type entryView struct {
	Entry
	Fields []Change
}

type trailData struct {
	Entries []entryView
	Objects []string
	Actions []string
	// Query is the filter as a query string, for the export link and the
	// next page's.
	Query string
	Next  string
}

func (p *pages) trailPage(c *gin.Context) error {
	ctx := c.Request.Context()
	objects, err := p.store.Objects(ctx)
	if err != nil {
		return err
	}
	form := page.NewForm(c.Request.URL.Query())
	d := trailData{Objects: objects, Actions: Actions}
	f, err := filterOf(c, objects)
	if form.Absorb(err, nil) {
		p.eng.Render(c, http.StatusUnprocessableEntity, p.trail, d, form)
		return nil
	} else if err != nil {
		return err
	}
	pg, err := web.ParsePage(c)
	if err != nil {
		return err
	}
	entries, err := p.store.List(ctx, f, pg)
	if err != nil {
		return err
	}
	cat := p.eng.Catalog(page.LangOf(c))
	for _, e := range entries {
		v := entryView{Entry: e, Fields: e.Changes()}
		for i := range v.Fields {
			v.Fields[i].Field = fieldName(cat, v.Fields[i].Field)
		}
		d.Entries = append(d.Entries, v)
	}
	q := url.Values{}
	for _, k := range []string{"object", "object_id", "user", "action", "from", "to"} {
		if v := c.Query(k); v != "" {
			q.Set(k, v)
		}
	}
	d.Query = q.Encode()
	if len(entries) > 0 {
		if cur := pg.Cursor(len(entries), entries[len(entries)-1].ID); cur != "" {
			q.Set("cursor", cur)
			d.Next = q.Encode()
		}
	}
	p.eng.Render(c, http.StatusOK, p.trail, d, form)
	return nil
}

// fieldName names a recorded column in the reader's language where the
// catalog has a name for it, else as the database does.
func fieldName(cat i18n.Catalog, column string) string {
	if key := "audit.field." + column; cat.Has(key) {
		return cat.T(key)
	}
	return column
}
