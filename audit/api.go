package audit

import (
	"encoding/csv"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/i18n"
	"madaf/internal/paging"
	"madaf/internal/web"
)

// exportLimit bounds one CSV export; a narrower filter reaches further.
const exportLimit = 100_000

// Readers are the roles that may read the trail: the cluster's admin and
// economic lead all of it, an authority's treasurer its authority's.
var Readers = []string{auth.RoleClusterAdmin, auth.RoleEconomicLead, auth.RoleTreasurer}

// filterOf reads the trail's filter from the query string (object,
// object_id, user, action, change_set, request, from, to) within the
// caller's scope. All the query's mistakes come back together.
func filterOf(c *gin.Context, objects []string) (Filter, error) {
	f := Filter{Object: c.Query("object"), ObjectID: strings.TrimSpace(c.Query("object_id")), Action: c.Query("action"),
		RequestID: strings.TrimSpace(c.Query("request"))}
	var fields []apperr.FieldError
	if f.Object != "" && !slices.Contains(objects, f.Object) {
		fields = append(fields, apperr.Field("object", "msg.oneof", strings.Join(objects, ", ")))
	}
	if f.Action != "" && !slices.Contains(Actions, f.Action) {
		fields = append(fields, apperr.Field("action", "msg.oneof", strings.Join(Actions, ", ")))
	}
	for _, n := range []struct {
		name string
		to   *int64
	}{{"user", &f.ActorID}, {"change_set", &f.ChangeSet}} {
		if v := c.Query(n.name); v != "" {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil || id <= 0 {
				fields = append(fields, apperr.Field(n.name, "msg.whole_number"))
			}
			*n.to = id
		}
	}
	for _, d := range []struct {
		name string
		to   *calendar.Date
	}{{"from", &f.From}, {"to", &f.To}} {
		if v := c.Query(d.name); v != "" {
			day, err := calendar.Parse(v)
			if err != nil {
				fields = append(fields, apperr.Field(d.name, "msg.date"))
			}
			*d.to = day
		}
	}
	if len(fields) > 0 {
		return f, apperr.Invalid("error.invalid_fields", fields...)
	}
	if p := auth.Caller(c); !p.IsCluster() {
		f.AuthorityID = p.AuthorityID
	}
	return f, nil
}

type handlers struct {
	store *Store
}

func (h *handlers) list(c *gin.Context) (int, any, error) {
	objects, err := h.store.Objects(c.Request.Context())
	if err != nil {
		return 0, nil, err
	}
	f, err := filterOf(c, objects)
	if err != nil {
		return 0, nil, err
	}
	pg, err := web.ParsePage(c)
	if err != nil {
		return 0, nil, err
	}
	entries, err := h.store.List(c.Request.Context(), f, pg)
	return http.StatusOK, paging.Of(pg, entries, func(e Entry) int64 { return e.ID }), err
}

// export writes the entries the filter selects as CSV (UTF-8 with a byte
// order mark, CRLF, headers in the caller's language), newest first.
func (h *handlers) export(c *gin.Context) {
	ctx := c.Request.Context()
	objects, err := h.store.Objects(ctx)
	if err != nil {
		web.Error(c, err)
		return
	}
	f, err := filterOf(c, objects)
	if err != nil {
		web.Error(c, err)
		return
	}
	lang := auth.Caller(c).Lang
	if !i18n.Supported(lang) {
		lang = i18n.DefaultLang
	}
	cat := i18n.For(lang)
	var rows [][]string
	pg := paging.Page{Limit: 1000}
	for len(rows) < exportLimit {
		entries, err := h.store.List(ctx, f, pg)
		if err != nil {
			web.Error(c, err)
			return
		}
		for _, e := range entries {
			for _, ch := range e.changesOrNone() {
				rows = append(rows, []string{strconv.FormatInt(e.ID, 10), e.At.In(calendar.Israel).Format("2006-01-02 15:04:05"),
					actorName(cat, e), e.Address, cat.Enum("audit.object", e.Object), e.ObjectID, cat.Enum("audit.action", e.Action),
					ch.Field, ch.Before, ch.After})
			}
		}
		if len(entries) < pg.Limit {
			break
		}
		pg.After = entries[len(entries)-1].ID
	}
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="audit.csv"`)
	c.Status(http.StatusOK)
	c.Writer.WriteString("\ufeff")
	w := csv.NewWriter(c.Writer)
	w.UseCRLF = true
	head := []string{"audit.col.id", "audit.col.at", "audit.col.actor", "audit.col.address", "audit.col.object",
		"audit.col.object_id", "audit.col.action", "audit.col.field", "audit.col.before", "audit.col.after"}
	for i, k := range head {
		head[i] = cat.T(k)
	}
	w.Write(head)
	w.WriteAll(rows)
}

// changesOrNone is the entry's changes, or one empty change so that an
// entry with none still has its row in an export.
func (e Entry) changesOrNone() []Change {
	if ch := e.Changes(); len(ch) > 0 {
		return ch
	}
	return []Change{{}}
}
