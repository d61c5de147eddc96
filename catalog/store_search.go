package catalog

import (
	"context"
	"fmt"
	"strings"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
)

// Search finds the items whose name contains q.Q (case-insensitively) in
// the tenders p may order from on day: tenders that take orders on day
// (Tender.OpenOn) and are open to p's authority (for an authority's users),
// that p is awarded (for a supplier), or all of them (for the cluster). A
// supplier's hits carry only its own award's prices. Hits come by item id,
// at most q.Page.Limit of them after q.Page.After.
//
// It answers in one statement: the tenders the caller may order from, the
// page of matching items (read in id order and stopped at the page's end
// when the name piece is common, read from the trigram index when it is
// rare), and each item's prices in force.
func (s *Store) Search(ctx context.Context, p *auth.Principal, q SearchQuery, day calendar.Date) (_ []Hit, err error) {
	defer apperr.Wrap(&err, "catalog.Store.Search(%q, %s)", q.Q, day)
	where, args := scope(p, nil, nil)
	args = append(args, day)
	dayArg := len(args)
	where = append(where, fmt.Sprintf("tender_takes_orders(t.status, t.valid_from, t.valid_until, t.extended_until, $%d)", dayArg))
	offerWhere := []string{"p.item_id = ANY (ARRAY(SELECT id FROM h))", fmt.Sprintf("p.valid_from <= $%d", dayArg)}
	if p != nil && p.OrgKind == auth.OrgSupplier {
		args = append(args, p.SupplierID)
		where = append(where, fmt.Sprintf(
			"EXISTS (SELECT 1 FROM awards aw WHERE aw.tender_id = t.id AND aw.supplier_id = $%d AND aw.status = 'active')", len(args)))
		// A supplier sees only its own prices, never a competitor's.
		offerWhere = append(offerWhere, fmt.Sprintf("a.supplier_id = $%d", len(args)))
	}
	if q.Category != "" {
		args = append(args, q.Category)
		where = append(where, fmt.Sprintf("t.category = $%d", len(args)))
	}
	if q.TenderID > 0 {
		args = append(args, q.TenderID)
		where = append(where, fmt.Sprintf("t.id = $%d", len(args)))
	}

	args = append(args, q.Page.After)
	itemWhere := []string{"i.tender_id = ANY (ARRAY(SELECT id FROM t))", fmt.Sprintf("i.id > $%d", len(args))}
	if term := strings.TrimSpace(q.Q); term != "" {
		// Hebrew has no case: LIKE matches as ILIKE would, and much faster.
		op := "LIKE"
		if strings.ToLower(term) != strings.ToUpper(term) {
			op = "ILIKE"
		}
		args = append(args, "%"+escapeLike(term)+"%")
		itemWhere = append(itemWhere, fmt.Sprintf("i.name %s $%d", op, len(args)))
	}
	limit := q.Page.Limit
	if limit <= 0 {
		limit = 50
	}
	args = append(args, limit)
	limitArg := len(args)

	query := `
		WITH t AS (
			SELECT t.id, t.number, t.title, t.category, t.award_rule FROM tenders t WHERE ` + strings.Join(where, " AND ") + `
		), h AS (
			SELECT i.id, i.tender_id, i.sku, i.name, i.unit, i.max_price FROM tender_items i
			WHERE ` + strings.Join(itemWhere, " AND ") + fmt.Sprintf(`
			ORDER BY i.id LIMIT $%d`, limitArg) + `
		), o AS (
			SELECT DISTINCT ON (p.item_id, p.award_id) p.item_id, p.award_id, a.supplier_id, p.price, p.valid_from
			FROM award_prices p JOIN awards a ON a.id = p.award_id AND a.status = 'active'
			WHERE ` + strings.Join(offerWhere, " AND ") + `
			ORDER BY p.item_id, p.award_id, p.valid_from DESC, p.id DESC
		)
		SELECT h.id, h.tender_id, h.sku, h.name, h.unit, h.max_price,
			t.number AS tender_number, t.title AS tender_title, t.category AS tender_category, t.award_rule AS tender_award_rule,
			o.award_id, o.supplier_id, s.legal_name, o.price, o.valid_from
		FROM h JOIN t ON t.id = h.tender_id
		LEFT JOIN o ON o.item_id = h.id
		LEFT JOIN suppliers s ON s.id = o.supplier_id
		ORDER BY h.id, o.price, s.legal_name, o.award_id`

	var rows []struct {
		Item
		TenderNumber    string        `db:"tender_number"`
		TenderTitle     string        `db:"tender_title"`
		TenderCategory  string        `db:"tender_category"`
		TenderAwardRule string        `db:"tender_award_rule"`
		AwardID         *int64        `db:"award_id"`
		SupplierID      *int64        `db:"supplier_id"`
		SupplierName    *string       `db:"legal_name"`
		Price           *Money        `db:"price"`
		ValidFrom       calendar.Date `db:"valid_from"`
	}
	if err := s.db.SelectContext(ctx, &rows, query, args...); err != nil {
		return nil, err
	}
	hits := []Hit{}
	for _, r := range rows {
		if len(hits) == 0 || hits[len(hits)-1].ID != r.ID {
			hits = append(hits, Hit{Item: r.Item, Offers: []Offer{}, Tender: TenderRef{ID: r.TenderID, Number: r.TenderNumber,
				Title: r.TenderTitle, Category: r.TenderCategory, AwardRule: r.TenderAwardRule}})
		}
		if r.AwardID != nil {
			h := &hits[len(hits)-1]
			h.Offers = append(h.Offers, Offer{ItemID: r.ID, AwardID: *r.AwardID, SupplierID: *r.SupplierID,
				SupplierName: *r.SupplierName, Price: *r.Price, ValidFrom: r.ValidFrom})
		}
	}
	return hits, nil
}

// escapeLike quotes the LIKE wildcards of s so that it matches literally.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
