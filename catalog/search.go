package catalog

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/web"
)

// SearchQuery is a catalog search: a substring of item names, optionally
// limited to one category or one tender, one keyset page at a time.
type SearchQuery struct {
	Q        string
	Category string
	TenderID int64
	Page     web.Page
}

// TenderRef is the tender a catalog hit belongs to.
type TenderRef struct {
	ID        int64  `db:"id" json:"id"`
	Number    string `db:"number" json:"number"`
	Title     string `db:"title" json:"title"`
	Category  string `db:"category" json:"category"`
	AwardRule string `db:"award_rule" json:"award_rule"`
}

// Hit is an item found in the catalog with its tender and every active
// award's price in force, cheapest first.
type Hit struct {
	Item
	Tender TenderRef `json:"tender"`
	Offers []Offer   `json:"offers"`
}

// Search finds the items whose name contains q.Q (case-insensitively) in
// the tenders p may order from on day: active tenders valid on day that are
// open to p's authority (for an authority's users), that p is awarded (for a
// supplier), or all of them (for the cluster). Hits come by item id, at most
// q.Page.Limit of them after q.Page.After.
func (s *Store) Search(ctx context.Context, p *auth.Principal, q SearchQuery, day calendar.Date) ([]Hit, error) {
	return Search(ctx, s.db, p, q, day)
}

// Search is Store.Search on q.
func Search(ctx context.Context, db sqlx.QueryerContext, p *auth.Principal, q SearchQuery, day calendar.Date) ([]Hit, error) {
	tenders, err := orderableTenders(ctx, db, p, q, day)
	if err != nil || len(tenders) == 0 {
		return []Hit{}, err
	}
	ids := make([]int64, 0, len(tenders))
	for id := range tenders {
		ids = append(ids, id)
	}
	limit := q.Page.Limit
	if limit <= 0 {
		limit = 50
	}
	where := []string{"i.tender_id = ANY($1)", "i.id > $2"}
	args := []any{pq.Array(ids), q.Page.After}
	if term := strings.TrimSpace(q.Q); term != "" {
		args = append(args, "%"+escapeLike(term)+"%")
		where = append(where, fmt.Sprintf("i.name ILIKE $%d", len(args)))
	}
	args = append(args, limit)
	query := `SELECT i.id, i.tender_id, i.sku, i.name, i.unit, i.max_price FROM tender_items i WHERE ` +
		strings.Join(where, " AND ") + fmt.Sprintf(" ORDER BY i.id LIMIT $%d", len(args))
	var items []Item
	if err := sqlx.SelectContext(ctx, db, &items, query, args...); err != nil {
		return nil, err
	}
	itemIDs := make([]int64, len(items))
	for i, it := range items {
		itemIDs[i] = it.ID
	}
	offers, err := OffersInForce(ctx, db, itemIDs, day)
	if err != nil {
		return nil, err
	}
	hits := make([]Hit, len(items))
	for i, it := range items {
		hits[i] = Hit{Item: it, Tender: tenders[it.TenderID], Offers: offers[it.ID]}
		if hits[i].Offers == nil {
			hits[i].Offers = []Offer{}
		}
	}
	return hits, nil
}

// orderableTenders returns the tenders p may order from on day, narrowed
// by the query's category and tender.
func orderableTenders(ctx context.Context, db sqlx.QueryerContext, p *auth.Principal, q SearchQuery, day calendar.Date) (map[int64]TenderRef, error) {
	where, args := scope(p, nil, nil)
	args = append(args, day)
	n := len(args)
	where = append(where, "t.status = 'active'", fmt.Sprintf("t.valid_from <= $%d", n),
		fmt.Sprintf("coalesce(t.extended_until, t.valid_until) >= $%d", n))
	if p != nil && p.OrgKind == auth.OrgSupplier {
		args = append(args, p.SupplierID)
		where = append(where, fmt.Sprintf(
			"EXISTS (SELECT 1 FROM awards aw WHERE aw.tender_id = t.id AND aw.supplier_id = $%d AND aw.status = 'active')", len(args)))
	}
	if q.Category != "" {
		args = append(args, q.Category)
		where = append(where, fmt.Sprintf("t.category = $%d", len(args)))
	}
	if q.TenderID > 0 {
		args = append(args, q.TenderID)
		where = append(where, fmt.Sprintf("t.id = $%d", len(args)))
	}
	query := `SELECT t.id, t.number, t.title, t.category, t.award_rule FROM tenders t WHERE ` + strings.Join(where, " AND ")
	var refs []TenderRef
	if err := sqlx.SelectContext(ctx, db, &refs, query, args...); err != nil {
		return nil, err
	}
	out := make(map[int64]TenderRef, len(refs))
	for _, r := range refs {
		out[r.ID] = r
	}
	return out, nil
}

// escapeLike quotes the LIKE wildcards of s so that it matches literally.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
