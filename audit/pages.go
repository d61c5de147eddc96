package audit

import (
	"net/http"
	"net/url"
	"strings"

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
	// ActorName is who made the entry as the page names it (actorName).
	ActorName string
	Fields    []fieldView
}

// fieldView is a change of one field as the page shows it. Lang is the
// language of the field's values where the field holds a translation
// (name_en, title_ar, …), so that they are marked as such.
type fieldView struct {
	Change
	Lang string
}

// valueLang is the language of the values of column: en or ar for a
// column of the translations into them, "" for any other.
func valueLang(column string) string {
	for _, l := range []string{"en", "ar"} {
		if strings.HasSuffix(column, "_"+l) {
			return l
		}
	}
	return ""
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
		v := entryView{Entry: e, ActorName: actorName(cat, e)}
		for _, ch := range e.Changes() {
			lang := valueLang(ch.Field)
			ch.Field = fieldName(cat, ch.Field)
			v.Fields = append(v.Fields, fieldView{Change: ch, Lang: lang})
		}
		d.Entries = append(d.Entries, v)
	}
	q := url.Values{}
	for _, k := range []string{"object", "object_id", "user", "action", "change_set", "request", "from", "to"} {
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

// actorName names who made entry e: a user by the name recorded, a
// command or worker of the service ("madaf competitions closer") in the
// reader's language where the catalog names it.
func actorName(cat i18n.Catalog, e Entry) string {
	if key := "audit.actor." + strings.ReplaceAll(e.Actor, " ", "_"); e.ActorID == nil && cat.Has(key) {
		return cat.T(key)
	}
	return e.Actor
}

// fieldName names a recorded column in the reader's language where the
// catalog has a name for it, else as the database does.
func fieldName(cat i18n.Catalog, column string) string {
	if key := "audit.field." + column; cat.Has(key) {
		return cat.T(key)
	}
	return column
}
