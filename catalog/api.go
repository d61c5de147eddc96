package catalog

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/paging"
	"madaf/internal/web"
)

// Handlers serves the catalog's JSON API.
type Handlers struct {
	Store *Store
}

// writers are the roles that create and change tenders, awards and prices.
var writers = []string{auth.RoleEconomicLead, auth.RoleClusterAdmin}

func (h *Handlers) listTenders(c *gin.Context) (int, any, error) {
	page, err := web.ParsePage(c)
	if err != nil {
		return 0, nil, err
	}
	f := TenderFilter{Status: c.Query("status"), Category: c.Query("category"), Page: page}
	if f.Status != "" && !slices.Contains([]string{StatusDraft, StatusActive, StatusSuspended, StatusClosed}, f.Status) {
		return 0, nil, apperr.Invalid("tender.bad_filter", apperr.Field("status", "msg.oneof", "draft, active, suspended, closed"))
	}
	ts, err := h.Store.Tenders(c.Request.Context(), auth.Caller(c), f)
	return http.StatusOK, paging.Of(page, ts, func(t *Tender) int64 { return t.ID }), err
}

func (h *Handlers) createTender(c *gin.Context) (int, any, error) {
	var in TenderInput
	if err := web.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	t, err := h.Store.CreateTender(c.Request.Context(), in)
	if err != nil {
		return 0, nil, err
	}
	c.Header("Location", "/api/v1/tenders/"+strconv.FormatInt(t.ID, 10))
	return http.StatusCreated, t, nil
}

// visible reads the :id tender when the caller may see it (else 404).
func (h *Handlers) visible(c *gin.Context) (*Tender, error) {
	id, err := web.ParamID(c, "id", "not_found.tender")
	if err != nil {
		return nil, err
	}
	return h.Store.VisibleTender(c.Request.Context(), auth.Caller(c), id)
}

// writable reads the :id tender for a change: 404 when the caller may not
// see it, 403 when it may see it but not change it.
func (h *Handlers) writable(c *gin.Context) (*Tender, error) {
	t, err := h.visible(c)
	if err != nil {
		return nil, err
	}
	if !auth.Caller(c).HasAny(writers...) {
		return nil, apperr.Forbidden("error.forbidden_role")
	}
	return t, nil
}

func (h *Handlers) getTender(c *gin.Context) (int, any, error) {
	t, err := h.visible(c)
	if err != nil {
		return 0, nil, err
	}
	c.Header("ETag", t.ETag())
	return http.StatusOK, t, nil
}

func (h *Handlers) updateTender(c *gin.Context) (int, any, error) {
	t, err := h.writable(c)
	if err != nil {
		return 0, nil, err
	}
	var in TenderInput
	if err := web.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	t, err = h.Store.UpdateTender(c.Request.Context(), t.ID, in, c.GetHeader("If-Match"))
	if err != nil {
		return 0, nil, err
	}
	c.Header("ETag", t.ETag())
	return http.StatusOK, t, nil
}

// setCompetitionRules answers PUT /tenders/{id}/competition: the economic
// lead's rules for the tender's mini-competitions.
func (h *Handlers) setCompetitionRules(c *gin.Context) (int, any, error) {
	t, err := h.visible(c)
	if err != nil {
		return 0, nil, err
	}
	if !auth.Caller(c).Has(auth.RoleEconomicLead) {
		return 0, nil, apperr.Forbidden("tender.competition_rules_lead_only")
	}
	var in CompetitionRules
	if err := web.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	t, err = h.Store.SetCompetitionRules(c.Request.Context(), t.ID, in, c.GetHeader("If-Match"))
	if err != nil {
		return 0, nil, err
	}
	c.Header("ETag", t.ETag())
	return http.StatusOK, t, nil
}

func (h *Handlers) transition(action string) func(c *gin.Context) (int, any, error) {
	return func(c *gin.Context) (int, any, error) {
		t, err := h.writable(c)
		if err != nil {
			return 0, nil, err
		}
		t, err = h.Store.Transition(c.Request.Context(), t.ID, action)
		return http.StatusOK, t, err
	}
}

func (h *Handlers) listItems(c *gin.Context) (int, any, error) {
	t, err := h.visible(c)
	if err != nil {
		return 0, nil, err
	}
	page, err := web.ParsePage(c)
	if err != nil {
		return 0, nil, err
	}
	items, err := h.Store.ItemsPage(c.Request.Context(), t.ID, page)
	return http.StatusOK, paging.Of(page, items, func(it Item) int64 { return it.ID }), err
}

// addItems takes one item object or an array of items (all or none).
func (h *Handlers) addItems(c *gin.Context) (int, any, error) {
	t, err := h.writable(c)
	if err != nil {
		return 0, nil, err
	}
	if err := web.RequireJSON(c); err != nil {
		return 0, nil, err
	}
	raw, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, web.MaxBody))
	if err != nil {
		if web.IsTooLarge(err) {
			err = apperr.New(apperr.KindTooLarge, "error.body_too_large", web.MaxBody)
		}
		return 0, nil, err
	}
	raw = bytes.TrimSpace(raw)
	if !json.Valid(raw) {
		return 0, nil, apperr.Malformed("tender.items_not_json")
	}
	var ins []ItemInput
	many := len(raw) > 0 && raw[0] == '['
	if err := decodeStrict(raw, many, &ins); err != nil {
		return 0, nil, err
	}
	items, err := h.Store.AddItems(c.Request.Context(), t.ID, ins)
	if err != nil {
		return 0, nil, err
	}
	if many {
		return http.StatusCreated, paging.List[Item]{Items: items}, nil
	}
	return http.StatusCreated, items[0], nil
}

// decodeStrict reads raw as an array of items (many) or as one item, as
// web.BindJSON reads a body: unknown and duplicate fields refused, each
// error naming the field as the client sent it (e.g. [1].max_price).
func decodeStrict(raw []byte, many bool, dst *[]ItemInput) error {
	switch {
	case many:
		if err := web.DecodeJSON(raw, dst); err != nil {
			return err
		}
	case len(raw) > 0 && raw[0] == '{':
		var one ItemInput
		if err := web.DecodeJSON(raw, &one); err != nil {
			return err
		}
		*dst = []ItemInput{one}
	default:
		return apperr.Malformed("tender.items_shape")
	}
	if len(*dst) == 0 {
		return apperr.Invalid("tender.no_items_to_add", apperr.Field("items", "tender.msg.empty"))
	}
	return nil
}

func (h *Handlers) listAwards(c *gin.Context) (int, any, error) {
	t, err := h.visible(c)
	if err != nil {
		return 0, nil, err
	}
	awards, err := h.Store.Awards(c.Request.Context(), t.ID)
	return http.StatusOK, paging.List[Award]{Items: awards}, err
}

type awardRequest struct {
	SupplierID int64 `json:"supplier_id"`
}

func (h *Handlers) createAward(c *gin.Context) (int, any, error) {
	t, err := h.writable(c)
	if err != nil {
		return 0, nil, err
	}
	var req awardRequest
	if err := web.BindJSON(c, &req); err != nil {
		return 0, nil, err
	}
	a, err := h.Store.AwardSupplier(c.Request.Context(), t.ID, req.SupplierID)
	return http.StatusCreated, a, err
}

// award reads the :award_id award of the :id tender that tender reads
// (h.visible or h.writable); a supplier sees only its own award.
func (h *Handlers) award(c *gin.Context, tender func(*gin.Context) (*Tender, error)) (*Award, error) {
	t, err := tender(c)
	if err != nil {
		return nil, err
	}
	id, err := web.ParamID(c, "award_id", "not_found.award")
	if err != nil {
		return nil, err
	}
	a, err := h.Store.Award(c.Request.Context(), t.ID, id)
	if err != nil {
		return nil, err
	}
	if p := auth.Caller(c); p.OrgKind == auth.OrgSupplier && a.SupplierID != p.SupplierID {
		return nil, apperr.NotFound("not_found.award")
	}
	return a, nil
}

func (h *Handlers) getAward(c *gin.Context) (int, any, error) {
	a, err := h.award(c, h.visible)
	return http.StatusOK, a, err
}

func (h *Handlers) transitionAward(action string) func(c *gin.Context) (int, any, error) {
	return func(c *gin.Context) (int, any, error) {
		a, err := h.award(c, h.writable)
		if err != nil {
			return 0, nil, err
		}
		a, err = h.Store.TransitionAward(c.Request.Context(), a.TenderID, a.ID, action)
		return http.StatusOK, a, err
	}
}

func (h *Handlers) priceHistory(c *gin.Context) (int, any, error) {
	a, err := h.award(c, h.visible)
	if err != nil {
		return 0, nil, err
	}
	page, err := web.ParsePage(c)
	if err != nil {
		return 0, nil, err
	}
	var itemID int64
	if s := c.Query("item_id"); s != "" {
		if itemID, err = strconv.ParseInt(s, 10, 64); err != nil || itemID <= 0 {
			return 0, nil, apperr.Invalid("tender.bad_filter", apperr.Field("item_id", "tender.msg.item_id"))
		}
	}
	prices, err := h.Store.PriceHistory(c.Request.Context(), a.ID, itemID, page)
	if err != nil {
		return 0, nil, err
	}
	if itemID != 0 {
		// One item's history is answered whole.
		return http.StatusOK, paging.List[Price]{Items: prices}, nil
	}
	return http.StatusOK, paging.Of(page, prices, func(p Price) int64 { return p.ID }), nil
}

func (h *Handlers) addPrice(c *gin.Context) (int, any, error) {
	a, err := h.award(c, h.writable)
	if err != nil {
		return 0, nil, err
	}
	var in PriceInput
	if err := web.BindJSON(c, &in); err != nil {
		return 0, nil, err
	}
	p, err := h.Store.AddPrice(c.Request.Context(), a.TenderID, a.ID, in)
	return http.StatusCreated, p, err
}

// importResult is the answer to a price-list upload.
type importResult struct {
	Imported int     `json:"imported"`
	Prices   []Price `json:"prices"`
}

func (h *Handlers) importPriceList(c *gin.Context) (int, any, error) {
	a, err := h.award(c, h.writable)
	if err != nil {
		return 0, nil, err
	}
	fh, err := c.FormFile("file")
	if err != nil {
		if web.IsTooLarge(err) {
			return 0, nil, apperr.New(apperr.KindTooLarge, "tender.import.too_large")
		}
		return 0, nil, apperr.Invalid("tender.import.missing", apperr.Field("file", "tender.msg.file_required"))
	}
	f, err := fh.Open()
	if err != nil {
		return 0, nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, web.MaxBody+1))
	if err != nil {
		return 0, nil, err
	}
	prices, err := h.Store.ImportPriceList(c.Request.Context(), a.TenderID, a.ID, fh.Filename, data)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, importResult{Imported: len(prices), Prices: prices}, nil
}

func (h *Handlers) search(c *gin.Context) (int, any, error) {
	page, err := web.ParsePage(c)
	if err != nil {
		return 0, nil, err
	}
	q := SearchQuery{Q: strings.TrimSpace(c.Query("q")), Category: c.Query("category"), Page: page}
	if len([]rune(q.Q)) > 100 {
		return 0, nil, apperr.Invalid("catalog.bad_search", apperr.Field("q", "msg.max_len", 100))
	}
	if s := c.Query("tender"); s != "" {
		if q.TenderID, err = strconv.ParseInt(s, 10, 64); err != nil || q.TenderID <= 0 {
			return 0, nil, apperr.Invalid("catalog.bad_search", apperr.Field("tender", "catalog.msg.tender_id"))
		}
	}
	res, err := h.Store.Search(c.Request.Context(), auth.Caller(c), q, calendar.Today())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, searchList{List: paging.Of(page, res.Hits, Hit.Key), Total: res.Total, TotalCapped: res.Capped}, nil
}

// searchList is the answer to a catalog search: a page of hits and how
// many items the search finds, counted up to SearchCountLimit (TotalCapped
// when there are more).
type searchList struct {
	paging.List[Hit]
	Total       int  `json:"total"`
	TotalCapped bool `json:"total_capped"`
}
