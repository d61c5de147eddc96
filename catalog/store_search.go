package catalog

import (
	"context"
	"fmt"
	"strings"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
)

// Search finds the items that match q.Q in the tenders p may order from on
// day: tenders that take orders on day (Tender.OpenOn) and are open to p's
// authority (for an authority's users), that p is awarded (for a
// supplier), or all of them (for the cluster). A supplier's hits carry only
// its own award's prices. An empty q.Q finds every item, by id.
//
// An item matches by its code, its Hebrew name as typed, the words of its
// names in search-key form (with and without plural endings, then with and
// without prefixes) or, when nothing else is found, by close spelling; see
// matchSKU for the tiers. Hits come by tier, then by item id, at most
// q.Page.Limit of them after the key q.Page.After (Hit.Key). The result
// counts every matching item, up to SearchCountLimit.
//
// The first page is one statement: the tenders the caller may order from,
// each tier's matching items up to one past SearchCountLimit (a tier is
// read only while that many are not found, so a common name piece costs one
// read in id order that stops early), their count, the page of them, and
// each item's prices in force. A later page is counted by a second
// statement.
func (s *Store) Search(ctx context.Context, p *auth.Principal, q SearchQuery, day calendar.Date) (_ *SearchResult, err error) {
	defer apperr.Wrap(&err, "catalog.Store.Search(%q, %s)", q.Q, day)
	plan := planSearch(q.Q)
	limit := q.Page.Limit
	if limit <= 0 {
		limit = 50
	}
	afterTier := int(q.Page.After >> tierShift)
	query, a := searchStatement(p, q, day, plan, limit)
	res := &SearchResult{Hits: []Hit{}}
	if query == "" {
		return res, nil
	}
	var rows []struct {
		Item
		Tier             int           `db:"tier"`
		Found            int           `db:"found"`
		TenderNumber     string        `db:"tender_number"`
		TenderTitle      string        `db:"tender_title"`
		TenderTitleAr    *string       `db:"tender_title_ar"`
		TenderTitleEn    *string       `db:"tender_title_en"`
		TenderCategory   string        `db:"tender_category"`
		TenderCategoryAr *string       `db:"tender_category_ar"`
		TenderCategoryEn *string       `db:"tender_category_en"`
		TenderAwardRule  string        `db:"tender_award_rule"`
		AwardID          *int64        `db:"award_id"`
		SupplierID       *int64        `db:"supplier_id"`
		SupplierName     *string       `db:"legal_name"`
		Price            *Money        `db:"price"`
		ValidFrom        calendar.Date `db:"valid_from"`
	}
	if err := s.db.SelectContext(ctx, &rows, query, a...); err != nil {
		return nil, err
	}
	for _, r := range rows {
		if len(res.Hits) == 0 || res.Hits[len(res.Hits)-1].ID != r.ID {
			res.Hits = append(res.Hits, Hit{Item: r.Item, Offers: []Offer{}, tier: r.Tier, Tender: TenderRef{
				ID: r.TenderID, Number: r.TenderNumber, Title: r.TenderTitle, TitleAr: r.TenderTitleAr, TitleEn: r.TenderTitleEn,
				Category: r.TenderCategory, CategoryAr: r.TenderCategoryAr, CategoryEn: r.TenderCategoryEn,
				AwardRule: r.TenderAwardRule}})
		}
		if r.AwardID != nil {
			h := &res.Hits[len(res.Hits)-1]
			h.Offers = append(h.Offers, Offer{ItemID: r.ID, AwardID: *r.AwardID, SupplierID: *r.SupplierID,
				SupplierName: *r.SupplierName, Price: *r.Price, ValidFrom: r.ValidFrom})
		}
	}

	if q.Page.After == 0 {
		if len(rows) > 0 {
			res.Total = rows[0].Found
		}
	} else {
		shown := afterTier
		if len(res.Hits) > 0 {
			shown = res.Hits[0].tier
		}
		if res.Total, err = s.countMatches(ctx, p, q, day, plan, level(shown)); err != nil {
			return nil, err
		}
	}
	res.Capped = res.Total > SearchCountLimit
	res.Total = min(res.Total, SearchCountLimit)
	return res, nil
}

// searchStatement is the statement of one page of a search for plan, and
// its arguments; "" when no tier can match.
func searchStatement(p *auth.Principal, q SearchQuery, day calendar.Date, plan searchPlan, limit int) (string, sqlArgs) {
	afterTier, afterID := int(q.Page.After>>tierShift), q.Page.After&(1<<tierShift-1)
	var a sqlArgs
	tenders := searchTenders(p, q, day, &a)
	lvl := -1
	if q.Page.After > 0 {
		lvl = level(afterTier)
	}
	conds := matchConditions(plan, &a, lvl)
	n := a.add(limit)
	// The first page also counts what the search finds: each tier reads
	// up to one item past SearchCountLimit.
	w := n
	if q.Page.After == 0 {
		w = a.add(max(limit, SearchCountLimit+1))
	}
	var ctes []string
	var picked []int // the tiers read, in order
	cte := func(tier int) string { return fmt.Sprintf("m%d", tier) }
	for tier := matchSKU; tier <= matchSimilar; tier++ {
		if conds[tier] == "" || q.Page.After > 0 && (tier < afterTier || level(tier) != level(afterTier)) {
			continue
		}
		after := int64(0)
		if q.Page.After > 0 && tier == afterTier {
			after = afterID
		}
		where := []string{"i.tender_id = ANY (ARRAY(SELECT id FROM t))", "i.id > " + a.add(after), conds[tier]}
		for earlier := matchSKU; earlier < tier; earlier++ {
			if conds[earlier] != "" && level(earlier) == level(tier) {
				where = append(where, "NOT ("+conds[earlier]+")")
			}
		}
		// Read a tier only while the page is not full, and a level only
		// when the levels before it found nothing.
		var full, found []string
		for _, prev := range picked {
			found = append(found, "SELECT 1 FROM "+cte(prev))
			if level(prev) == level(tier) {
				full = append(full, "(SELECT count(*) FROM "+cte(prev)+")")
			}
		}
		if len(full) > 0 && len(full) == len(picked) {
			where = append([]string{strings.Join(full, " + ") + " < " + w}, where...)
		} else if len(found) > 0 {
			where = append([]string{"NOT EXISTS (" + strings.Join(found, " UNION ALL ") + ")"}, where...)
		}
		ctes = append(ctes, fmt.Sprintf(`%s AS MATERIALIZED (
			SELECT i.id, %d AS tier FROM tender_items i WHERE %s ORDER BY i.id LIMIT %s)`, cte(tier), tier, strings.Join(where, " AND "), w))
		picked = append(picked, tier)
	}
	if len(picked) == 0 {
		return "", nil
	}
	union := make([]string, len(picked))
	for i, tier := range picked {
		union[i] = "SELECT id, tier FROM " + cte(tier)
	}
	offerWhere := []string{"p.item_id = ANY (ARRAY(SELECT id FROM h))", "p.valid_from <= " + tenders.day}
	if tenders.supplier != "" {
		// A supplier sees only its own prices, never a competitor's.
		offerWhere = append(offerWhere, "a.supplier_id = "+tenders.supplier)
	}
	query := `
		WITH t AS (
			SELECT t.id, t.number, t.title, t.title_ar, t.title_en, t.category, t.category_ar, t.category_en, t.award_rule
			FROM tenders t WHERE ` + tenders.where + `
		), ` + strings.Join(ctes, ", ") + `, found AS (
			` + strings.Join(union, " UNION ALL ") + `
		), m AS (
			SELECT id, tier FROM found ORDER BY tier, id LIMIT ` + n + `
		), h AS (
			SELECT i.id, i.tender_id, i.sku, i.name, i.name_ar, i.name_en, i.unit, i.max_price, m.tier
			FROM m JOIN tender_items i ON i.id = m.id
		), o AS (
			SELECT DISTINCT ON (p.item_id, p.award_id) p.item_id, p.award_id, a.supplier_id, p.price, p.valid_from
			FROM award_prices p JOIN awards a ON a.id = p.award_id AND a.status = 'active'
			WHERE ` + strings.Join(offerWhere, " AND ") + `
			ORDER BY p.item_id, p.award_id, p.valid_from DESC, p.id DESC
		)
		SELECT h.id, h.tender_id, h.sku, h.name, h.name_ar, h.name_en, h.unit, h.max_price, h.tier,
			(SELECT count(*) FROM found) AS found,
			t.number AS tender_number, t.title AS tender_title, t.title_ar AS tender_title_ar, t.title_en AS tender_title_en,
			t.category AS tender_category, t.category_ar AS tender_category_ar, t.category_en AS tender_category_en,
			t.award_rule AS tender_award_rule,
			o.award_id, o.supplier_id, s.legal_name, o.price, o.valid_from
		FROM h JOIN t ON t.id = h.tender_id
		LEFT JOIN o ON o.item_id = h.id
		LEFT JOIN suppliers s ON s.id = o.supplier_id
		ORDER BY h.tier, h.id, o.price, s.legal_name, o.award_id`
	return query, a
}

// countMatches counts, up to SearchCountLimit+1, the items of the tenders
// p may order from on day that match plan in the tiers of level lvl.
func (s *Store) countMatches(ctx context.Context, p *auth.Principal, q SearchQuery, day calendar.Date, plan searchPlan, lvl int) (int, error) {
	query, a := countStatement(p, q, day, plan, lvl)
	if query == "" {
		return 0, nil
	}
	var n int
	err := s.db.GetContext(ctx, &n, query, a...)
	return n, err
}

// countStatement is the statement of countMatches and its arguments; ""
// when no tier of lvl can match.
func countStatement(p *auth.Principal, q SearchQuery, day calendar.Date, plan searchPlan, lvl int) (string, sqlArgs) {
	var a sqlArgs
	tenders := searchTenders(p, q, day, &a)
	var either []string
	for _, c := range matchConditions(plan, &a, lvl) {
		if c != "" {
			either = append(either, "("+c+")")
		}
	}
	if len(either) == 0 {
		return "", nil
	}
	// The matching items are read by the name indexes alone (OFFSET 0
	// keeps the tenders out of that read) and stop at the limit.
	query := `
		WITH t AS (SELECT t.id FROM tenders t WHERE ` + tenders.where + `)
		SELECT count(*) FROM (
			SELECT 1 FROM (
				SELECT i.tender_id FROM tender_items i WHERE ` + strings.Join(either, " OR ") + ` OFFSET 0
			) m
			WHERE m.tender_id = ANY (ARRAY(SELECT id FROM t))
			LIMIT ` + a.add(SearchCountLimit+1) + `
		) found`
	return query, a
}

// searchScope is the condition on the tenders (alias t) a search reads, and
// the placeholders of the day and, for a supplier, of its id.
type searchScope struct {
	where, day, supplier string
}

// searchTenders limits a search to the tenders p may order from on day,
// within q's category and tender.
func searchTenders(p *auth.Principal, q SearchQuery, day calendar.Date, a *sqlArgs) searchScope {
	where, args := scope(p, nil, []any(*a))
	*a = args
	sc := searchScope{day: a.add(day)}
	where = append(where, "tender_takes_orders(t.status, t.valid_from, t.valid_until, t.extended_until, "+sc.day+")")
	if p != nil && p.OrgKind == auth.OrgSupplier {
		sc.supplier = a.add(p.SupplierID)
		where = append(where, "EXISTS (SELECT 1 FROM awards aw WHERE aw.tender_id = t.id AND aw.supplier_id = "+sc.supplier+" AND aw.status = 'active')")
	}
	if q.Category != "" {
		where = append(where, "t.category = "+a.add(q.Category))
	}
	if q.TenderID > 0 {
		where = append(where, "t.id = "+a.add(q.TenderID))
	}
	sc.where = strings.Join(where, " AND ")
	return sc
}

// matchConditions is, for each tier of level lvl (of every level when lvl
// is -1), the condition on an item (alias i) that it matches plan in that
// tier; "" for a tier plan cannot match in, or of another level. An empty
// query matches every item in the first tier.
func matchConditions(plan searchPlan, a *sqlArgs, lvl int) [matchSimilar + 1]string {
	var c [matchSimilar + 1]string
	if plan.typed == "" {
		c[matchSKU] = "TRUE"
		return c
	}
	words := func(forms [][]string) string {
		all := make([]string, len(forms))
		for i, fs := range forms {
			one := make([]string, len(fs))
			for j, f := range fs {
				one[j] = "i.search_key LIKE " + a.add("%"+escapeLike(f)+"%")
			}
			all[i] = "(" + strings.Join(one, " OR ") + ")"
		}
		return strings.Join(all, " AND ")
	}
	for tier := range c {
		if lvl >= 0 && level(tier) != lvl {
			continue
		}
		switch tier {
		case matchSKU:
			if plan.sku != "" {
				c[tier] = "i.sku_key LIKE " + a.add(escapeLike(plan.sku)+"%")
			}
		case matchName:
			// Hebrew has no case: LIKE matches as ILIKE would, and much
			// faster.
			op := "LIKE"
			if strings.ToLower(plan.typed) != strings.ToUpper(plan.typed) {
				op = "ILIKE"
			}
			c[tier] = "i.name " + op + " " + a.add("%"+escapeLike(plan.typed)+"%")
		case matchWords, matchPrefix, matchPrefixes:
			// A tier whose forms are those of the tier before it would
			// find nothing more.
			i := tier - matchWords
			if forms := plan.forms[i]; len(forms) > 0 && (i == 0 || fmt.Sprint(forms) != fmt.Sprint(plan.forms[i-1])) {
				c[tier] = words(forms)
			}
		case matchSimilar:
			if plan.similar != "" {
				c[tier] = a.add(plan.similar) + " <% i.search_key"
			}
		}
	}
	return c
}

// sqlArgs are the arguments of a statement built piece by piece.
type sqlArgs []any

// add appends v and returns its placeholder.
func (a *sqlArgs) add(v any) string {
	*a = append(*a, v)
	return fmt.Sprintf("$%d", len(*a))
}

// escapeLike quotes the LIKE wildcards of s so that it matches literally.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
