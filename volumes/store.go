package volumes

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/database"
)

// Store reads the figures. Every method scopes to its caller and reads the
// rollups, never the orders table, except where it says so.
type Store struct {
	db database.Handle
}

// NewStore returns a Store over db.
func NewStore(db *sqlx.DB) *Store { return &Store{db: db} }

// InTx returns the store running its statements in tx.
func (s *Store) InTx(tx *sqlx.Tx) *Store { return &Store{db: tx} }

// groupKeys is the rollup column each grouping sums by.
var groupKeys = map[string]string{
	GroupTender: "tender_id::text", GroupAuthority: "authority_id::text", GroupSupplier: "supplier_id::text",
	GroupCategory: "category", GroupMonth: "to_char(month, 'YYYY-MM')",
}

// Volumes returns the committed orders p may see (a supplier only those
// sent to it), narrowed by f and grouped by group, largest total first
// (months in calendar order), with the totals over all groups. Names are
// in p's language.
func (s *Store) Volumes(ctx context.Context, p *auth.Principal, group string, f Filter) (_ *Report, err error) {
	defer apperr.Wrap(&err, "volumes.Store.Volumes(%s, %v)", group, f)
	keyExpr, ok := groupKeys[group]
	if !ok {
		return nil, apperr.Invalid("volumes.unknown_grouping", apperr.Field("group", "msg.oneof", strings.Join(Groups, ", ")))
	}
	f, err = scope(p, f)
	if err != nil {
		return nil, err
	}
	// All-time figures by tender or authority come from the all-time
	// totals; the rest from the monthly rollups, a supplier's from its
	// orders that were sent to it.
	var args []any
	table := "volume_totals"
	if !f.From.IsZero() || !f.To.IsZero() || f.SupplierID != 0 || group != GroupTender && group != GroupAuthority {
		table = f.committedSource(&args)
	}
	q := `SELECT ` + keyExpr + ` AS key, sum(order_count) AS order_count, sum(subtotal) AS subtotal,
			sum(vat) AS vat, sum(total) AS total, sum(fee) AS fee
		FROM ` + table + ` WHERE ` + f.where("", &args) + `
		GROUP BY 1 HAVING sum(order_count) > 0`
	type keyed struct {
		Key string `db:"key"`
		Amounts
	}
	var rows []keyed
	if err := s.db.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, err
	}
	rep := &Report{Group: group, Filter: f, Items: make([]Row, len(rows))}
	for i, r := range rows {
		rep.Items[i] = Row{Key: r.Key, Amounts: r.Amounts}
		rep.Totals.add(r.Amounts)
		it := &rep.Items[i]
		switch group {
		case GroupTender:
			it.TenderID, _ = strconv.ParseInt(r.Key, 10, 64)
		case GroupAuthority:
			it.AuthorityID, _ = strconv.ParseInt(r.Key, 10, 64)
		case GroupSupplier:
			it.SupplierID, _ = strconv.ParseInt(r.Key, 10, 64)
		case GroupCategory:
			it.Category, it.Label = r.Key, r.Key
		case GroupMonth:
			it.Month, it.Label = r.Key, r.Key
		}
	}
	if err := s.label(ctx, p.Lang, rep); err != nil {
		return nil, err
	}
	// A ceiling is used by every party's orders: only the cluster sees
	// how much of it is used. An authority's allocation is used by that
	// authority's orders alone, so its own users see it too (the scope
	// has already limited f to their authority).
	switch p.OrgKind {
	case auth.OrgCluster:
		err = s.utilise(ctx, rep, f, true)
	case auth.OrgAuthority:
		err = s.utilise(ctx, rep, f, false)
	}
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(rep.Items, func(a, b Row) int {
		if group == GroupMonth {
			return compareStrings(a.Month, b.Month)
		}
		if c := b.Total.Cmp(a.Total.Decimal); c != 0 {
			return c
		}
		return compareStrings(a.Label, b.Label)
	})
	return rep, nil
}

// names loads the names of the given ids, authorities and tender titles
// in lang.
func (s *Store) names(ctx context.Context, lang string, tenders, authorities, suppliers []int64) (*Names, error) {
	n := &Names{Tenders: map[int64]TenderName{}, Authorities: map[int64]string{}, Suppliers: map[int64]string{}}
	if len(tenders) > 0 {
		var rows []struct {
			ID int64 `db:"id"`
			TenderName
		}
		const q = `SELECT id, number, name_in($2, title, title_ar, title_en) AS title FROM tenders WHERE id = ANY($1)`
		if err := s.db.SelectContext(ctx, &rows, q, pq.Array(tenders), lang); err != nil {
			return nil, err
		}
		for _, r := range rows {
			n.Tenders[r.ID] = r.TenderName
		}
	}
	type named struct {
		ID   int64  `db:"id"`
		Name string `db:"name"`
	}
	if len(authorities) > 0 {
		var rows []named
		const q = `SELECT id, name_in($2, name_he, name_ar, name_en) AS name FROM authorities WHERE id = ANY($1)`
		if err := s.db.SelectContext(ctx, &rows, q, pq.Array(authorities), lang); err != nil {
			return nil, err
		}
		for _, r := range rows {
			n.Authorities[r.ID] = r.Name
		}
	}
	if len(suppliers) > 0 {
		var rows []named
		const q = `SELECT id, legal_name AS name FROM suppliers WHERE id = ANY($1)`
		if err := s.db.SelectContext(ctx, &rows, q, pq.Array(suppliers)); err != nil {
			return nil, err
		}
		for _, r := range rows {
			n.Suppliers[r.ID] = r.Name
		}
	}
	return n, nil
}

// label names the report's rows, authorities in lang.
func (s *Store) label(ctx context.Context, lang string, rep *Report) error {
	var ts, as, ss []int64
	for _, it := range rep.Items {
		switch {
		case it.TenderID != 0:
			ts = append(ts, it.TenderID)
		case it.AuthorityID != 0:
			as = append(as, it.AuthorityID)
		case it.SupplierID != 0:
			ss = append(ss, it.SupplierID)
		}
	}
	n, err := s.names(ctx, lang, ts, as, ss)
	if err != nil {
		return err
	}
	for i := range rep.Items {
		it := &rep.Items[i]
		switch {
		case it.TenderID != 0:
			it.Label = n.Tenders[it.TenderID].Label()
		case it.AuthorityID != 0:
			it.Label = n.Authorities[it.AuthorityID]
		case it.SupplierID != 0:
			it.Label = n.Suppliers[it.SupplierID]
		}
	}
	return nil
}

// utilise adds the allocations of rows that are one tender and one
// authority and, withCeilings, the ceilings of tender rows: how much of
// them the orders use.
func (s *Store) utilise(ctx context.Context, rep *Report, f Filter, withCeilings bool) error {
	type pair struct{ tender, authority int64 }
	var tenders []int64
	var pairs []pair
	for _, it := range rep.Items {
		switch {
		case it.TenderID != 0:
			if withCeilings {
				tenders = append(tenders, it.TenderID)
			}
			if f.AuthorityID != 0 {
				pairs = append(pairs, pair{it.TenderID, f.AuthorityID})
			}
		case it.AuthorityID != 0 && f.TenderID != 0:
			pairs = append(pairs, pair{f.TenderID, it.AuthorityID})
		}
	}
	ceilings := map[int64]*Utilisation{}
	if len(tenders) > 0 {
		var rows []struct {
			ID      int64           `db:"id"`
			Ceiling decimal.Decimal `db:"ceiling"`
			Used    decimal.Decimal `db:"used"`
		}
		const q = `SELECT t.id, t.ceiling,
				coalesce((SELECT sum(v.subtotal) FROM volume_totals v WHERE v.tender_id = t.id), 0) AS used
			FROM tenders t WHERE t.id = ANY($1) AND t.ceiling IS NOT NULL`
		if err := s.db.SelectContext(ctx, &rows, q, pq.Array(tenders)); err != nil {
			return err
		}
		for _, r := range rows {
			ceilings[r.ID] = utilisation(r.Ceiling, r.Used)
		}
	}
	allocations := map[pair]*Utilisation{}
	if len(pairs) > 0 {
		ts, as := make([]int64, len(pairs)), make([]int64, len(pairs))
		for i, p := range pairs {
			ts[i], as[i] = p.tender, p.authority
		}
		var rows []struct {
			TenderID    int64           `db:"tender_id"`
			AuthorityID int64           `db:"authority_id"`
			Allocation  decimal.Decimal `db:"allocation"`
			Used        decimal.Decimal `db:"used"`
		}
		const q = `SELECT ta.tender_id, ta.authority_id, ta.allocation,
				coalesce((SELECT v.subtotal FROM volume_totals v
					WHERE v.tender_id = ta.tender_id AND v.authority_id = ta.authority_id), 0) AS used
			FROM tender_authorities ta JOIN unnest($1::bigint[], $2::bigint[]) AS p(tender_id, authority_id)
				USING (tender_id, authority_id)
			WHERE ta.allocation IS NOT NULL`
		if err := s.db.SelectContext(ctx, &rows, q, pq.Array(ts), pq.Array(as)); err != nil {
			return err
		}
		for _, r := range rows {
			allocations[pair{r.TenderID, r.AuthorityID}] = utilisation(r.Allocation, r.Used)
		}
	}
	for i := range rep.Items {
		it := &rep.Items[i]
		switch {
		case it.TenderID != 0:
			it.Ceiling = ceilings[it.TenderID]
			it.Allocation = allocations[pair{it.TenderID, f.AuthorityID}]
		case it.AuthorityID != 0:
			it.Allocation = allocations[pair{f.TenderID, it.AuthorityID}]
		}
	}
	return nil
}

// notFound maps a missing row to the not-found error of key (e.g.
// "not_found.supplier").
func notFound(err error, key string) error {
	if err = database.MapError(err); apperr.Is(err, apperr.KindNotFound) {
		return apperr.NotFound(key)
	}
	return err
}
