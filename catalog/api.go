package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/web"
)

// Handlers serves the catalog's JSON API.
type Handlers struct {
	Store *Store
}

// writers are the roles that create and change tenders, awards and prices.
var writers = []string{auth.RoleEconomicLead, auth.RoleClusterAdmin}

func (h *Handlers) listTenders(c *gin.Context) {
	page, err := web.ParsePage(c)
	if err != nil {
		web.Error(c, err)
		return
	}
	f := TenderFilter{Status: c.Query("status"), Category: c.Query("category"), Page: page}
	if f.Status != "" && !slices.Contains([]string{StatusDraft, StatusActive, StatusSuspended, StatusClosed}, f.Status) {
		web.Error(c, apperr.Invalid("bad filter", apperr.Field("status", "must be one of: draft, active, suspended, closed")))
		return
	}
	ts, err := h.Store.Tenders(c.Request.Context(), auth.Caller(c), f)
	if err != nil {
		web.Error(c, err)
		return
	}
	var last int64
	if len(ts) > 0 {
		last = ts[len(ts)-1].ID
	}
	c.JSON(http.StatusOK, web.List[*Tender]{Items: ts, NextCursor: page.Cursor(len(ts), last)})
}

func (h *Handlers) createTender(c *gin.Context) {
	var in TenderInput
	if err := web.BindJSON(c, &in); err != nil {
		web.Error(c, err)
		return
	}
	t, err := h.Store.CreateTender(c.Request.Context(), in)
	if err != nil {
		web.Error(c, err)
		return
	}
	c.Header("Location", "/api/v1/tenders/"+strconv.FormatInt(t.ID, 10))
	c.JSON(http.StatusCreated, t)
}

// visible reads the :id tender when the caller may see it (else 404).
func (h *Handlers) visible(c *gin.Context) (*Tender, bool) {
	id, err := web.ParamID(c, "id", "tender")
	if err == nil {
		var t *Tender
		if t, err = h.Store.VisibleTender(c.Request.Context(), auth.Caller(c), id); err == nil {
			return t, true
		}
	}
	web.Error(c, err)
	return nil, false
}

// writable reads the :id tender for a change: 404 when the caller may not
// see it, 403 when it may see it but not change it.
func (h *Handlers) writable(c *gin.Context) (*Tender, bool) {
	t, ok := h.visible(c)
	if !ok {
		return nil, false
	}
	if !auth.Caller(c).HasAny(writers...) {
		web.Error(c, apperr.Forbidden("this needs one of the roles: %s", strings.Join(writers, ", ")))
		return nil, false
	}
	return t, true
}

func (h *Handlers) getTender(c *gin.Context) {
	if t, ok := h.visible(c); ok {
		c.JSON(http.StatusOK, t)
	}
}

func (h *Handlers) updateTender(c *gin.Context) {
	t, ok := h.writable(c)
	if !ok {
		return
	}
	var in TenderInput
	if err := web.BindJSON(c, &in); err != nil {
		web.Error(c, err)
		return
	}
	t, err := h.Store.UpdateTender(c.Request.Context(), t.ID, in)
	if err != nil {
		web.Error(c, err)
		return
	}
	c.JSON(http.StatusOK, t)
}

func (h *Handlers) transition(action string) gin.HandlerFunc {
	return func(c *gin.Context) {
		t, ok := h.writable(c)
		if !ok {
			return
		}
		t, err := h.Store.Transition(c.Request.Context(), t.ID, action)
		if err != nil {
			web.Error(c, err)
			return
		}
		c.JSON(http.StatusOK, t)
	}
}

func (h *Handlers) listItems(c *gin.Context) {
	t, ok := h.visible(c)
	if !ok {
		return
	}
	page, err := web.ParsePage(c)
	if err != nil {
		web.Error(c, err)
		return
	}
	items, err := h.Store.ItemsPage(c.Request.Context(), t.ID, page)
	if err != nil {
		web.Error(c, err)
		return
	}
	var last int64
	if len(items) > 0 {
		last = items[len(items)-1].ID
	}
	c.JSON(http.StatusOK, web.List[Item]{Items: items, NextCursor: page.Cursor(len(items), last)})
}

// addItems takes one item object or an array of items (all or none).
func (h *Handlers) addItems(c *gin.Context) {
	t, ok := h.writable(c)
	if !ok {
		return
	}
	raw, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, web.MaxBody))
	if err != nil {
		if web.IsTooLarge(err) {
			err = &apperr.Error{Kind: apperr.KindTooLarge, Message: "the request body is larger than 1 MiB"}
		}
		web.Error(c, err)
		return
	}
	raw = bytes.TrimSpace(raw)
	if !json.Valid(raw) {
		web.Error(c, apperr.Malformed("the body is not valid JSON"))
		return
	}
	var ins []ItemInput
	many := len(raw) > 0 && raw[0] == '['
	if err := decodeStrict(raw, many, &ins); err != nil {
		web.Error(c, err)
		return
	}
	items, err := h.Store.AddItems(c.Request.Context(), t.ID, ins)
	if err != nil {
		web.Error(c, err)
		return
	}
	if many {
		c.JSON(http.StatusCreated, web.List[Item]{Items: items})
		return
	}
	c.JSON(http.StatusCreated, items[0])
}

// decodeStrict reads raw as an array of items (many) or as one item.
func decodeStrict(raw []byte, many bool, dst *[]ItemInput) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var err error
	switch {
	case many:
		err = dec.Decode(dst)
	case len(raw) > 0 && raw[0] == '{':
		var one ItemInput
		err = dec.Decode(&one)
		*dst = []ItemInput{one}
	default:
		return apperr.Malformed("the body must be an item or an array of items")
	}
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typ) && typ.Field != "":
		return apperr.Invalid("the request has invalid fields", apperr.Field(typ.Field, "must be a %s", typ.Type.String()))
	case err != nil:
		return apperr.Malformed("malformed item: %s", strings.TrimPrefix(err.Error(), "json: "))
	case len(*dst) == 0:
		return apperr.Invalid("there are no items to add", apperr.Field("items", "is empty"))
	}
	return nil
}

func (h *Handlers) listAwards(c *gin.Context) {
	t, ok := h.visible(c)
	if !ok {
		return
	}
	awards, err := h.Store.Awards(c.Request.Context(), t.ID)
	if err != nil {
		web.Error(c, err)
		return
	}
	c.JSON(http.StatusOK, web.List[Award]{Items: awards})
}

type awardRequest struct {
	SupplierID int64 `json:"supplier_id"`
}

func (h *Handlers) createAward(c *gin.Context) {
	t, ok := h.writable(c)
	if !ok {
		return
	}
	var req awardRequest
	if err := web.BindJSON(c, &req); err != nil {
		web.Error(c, err)
		return
	}
	a, err := h.Store.AwardSupplier(c.Request.Context(), t.ID, req.SupplierID)
	if err != nil {
		web.Error(c, err)
		return
	}
	c.JSON(http.StatusCreated, a)
}

// award reads the :award_id award of a tender the caller may see; a
// supplier sees only its own award.
func (h *Handlers) award(c *gin.Context, t *Tender) (*Award, bool) {
	id, err := web.ParamID(c, "award_id", "award")
	if err == nil {
		var a *Award
		a, err = h.Store.Award(c.Request.Context(), t.ID, id)
		if err == nil {
			if p := auth.Caller(c); p.OrgKind == auth.OrgSupplier && a.SupplierID != p.SupplierID {
				err = apperr.NotFound("award")
			} else {
				return a, true
			}
		}
	}
	web.Error(c, err)
	return nil, false
}

func (h *Handlers) getAward(c *gin.Context) {
	t, ok := h.visible(c)
	if !ok {
		return
	}
	if a, ok := h.award(c, t); ok {
		c.JSON(http.StatusOK, a)
	}
}

func (h *Handlers) transitionAward(action string) gin.HandlerFunc {
	return func(c *gin.Context) {
		t, ok := h.writable(c)
		if !ok {
			return
		}
		a, ok := h.award(c, t)
		if !ok {
			return
		}
		a, err := h.Store.TransitionAward(c.Request.Context(), t.ID, a.ID, action)
		if err != nil {
			web.Error(c, err)
			return
		}
		c.JSON(http.StatusOK, a)
	}
}

func (h *Handlers) priceHistory(c *gin.Context) {
	t, ok := h.visible(c)
	if !ok {
		return
	}
	a, ok := h.award(c, t)
	if !ok {
		return
	}
	page, err := web.ParsePage(c)
	if err != nil {
		web.Error(c, err)
		return
	}
	var itemID int64
	if s := c.Query("item_id"); s != "" {
		if itemID, err = strconv.ParseInt(s, 10, 64); err != nil || itemID <= 0 {
			web.Error(c, apperr.Invalid("bad filter", apperr.Field("item_id", "must be an item id")))
			return
		}
	}
	prices, err := h.Store.PriceHistory(c.Request.Context(), a.ID, itemID, page)
	if err != nil {
		web.Error(c, err)
		return
	}
	list := web.List[Price]{Items: prices}
	if itemID == 0 && len(prices) > 0 {
		list.NextCursor = page.Cursor(len(prices), prices[len(prices)-1].ID)
	}
	c.JSON(http.StatusOK, list)
}

func (h *Handlers) addPrice(c *gin.Context) {
	t, ok := h.writable(c)
	if !ok {
		return
	}
	a, ok := h.award(c, t)
	if !ok {
		return
	}
	var in PriceInput
	if err := web.BindJSON(c, &in); err != nil {
		web.Error(c, err)
		return
	}
	p, err := h.Store.AddPrice(c.Request.Context(), t.ID, a.ID, in)
	if err != nil {
		web.Error(c, err)
		return
	}
	c.JSON(http.StatusCreated, p)
}

// importResult is the answer to a price-list upload.
type importResult struct {
	Imported int     `json:"imported"`
	Prices   []Price `json:"prices"`
}

func (h *Handlers) importPriceList(c *gin.Context) {
	t, ok := h.writable(c)
	if !ok {
		return
	}
	a, ok := h.award(c, t)
	if !ok {
		return
	}
	fh, err := c.FormFile("file")
	if err != nil {
		if web.IsTooLarge(err) {
			web.Error(c, &apperr.Error{Kind: apperr.KindTooLarge, Message: "the file is larger than 1 MiB"})
			return
		}
		web.Error(c, apperr.Invalid("no price list", apperr.Field("file", "is required (a CSV or XLSX file in the form field \"file\")")))
		return
	}
	f, err := fh.Open()
	if err != nil {
		web.Error(c, err)
		return
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, web.MaxBody+1))
	if err != nil {
		web.Error(c, err)
		return
	}
	prices, err := h.Store.ImportPriceList(c.Request.Context(), t.ID, a.ID, fh.Filename, data)
	if err != nil {
		web.Error(c, err)
		return
	}
	c.JSON(http.StatusCreated, importResult{Imported: len(prices), Prices: prices})
}

func (h *Handlers) search(c *gin.Context) {
	page, err := web.ParsePage(c)
	if err != nil {
		web.Error(c, err)
		return
	}
	q := SearchQuery{Q: strings.TrimSpace(c.Query("q")), Category: c.Query("category"), Page: page}
	if len([]rune(q.Q)) > 100 {
		web.Error(c, apperr.Invalid("bad search", apperr.Field("q", "must have at most 100 characters")))
		return
	}
	if s := c.Query("tender"); s != "" {
		if q.TenderID, err = strconv.ParseInt(s, 10, 64); err != nil || q.TenderID <= 0 {
			web.Error(c, apperr.Invalid("bad search", apperr.Field("tender", "must be a tender id")))
			return
		}
	}
	hits, err := h.Store.Search(c.Request.Context(), auth.Caller(c), q, calendar.Today())
	if err != nil {
		web.Error(c, err)
		return
	}
	var last int64
	if len(hits) > 0 {
		last = hits[len(hits)-1].ID
	}
	c.JSON(http.StatusOK, web.List[Hit]{Items: hits, NextCursor: page.Cursor(len(hits), last)})
}
