package volumes

import (
	"context"
	"slices"
	"strconv"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/database"
	"madaf/internal/money"
)

// Store reads the figures. Every method scopes to its caller and reads the
// rollups, never the orders table.
type Store struct {
	db *sqlx.DB
}

// NewStore returns a Store over db.
func NewStore(db *sqlx.DB) *Store { return &Store{db: db} }

// Amounts are the sums of a set of committed orders.
type Amounts struct {
	OrderCount int          `db:"order_count" json:"order_count"`
	Subtotal   money.Amount `db:"subtotal" json:"subtotal"`
	VAT        money.Amount `db:"vat" json:"vat"`
	Total      money.Amount `db:"total" json:"total"`
	Fee        money.Amount `db:"fee" json:"fee"`
}

func (a *Amounts) add(b Amounts) {
	a.OrderCount += b.OrderCount
	a.Subtotal = money.Of(a.Subtotal.Add(b.Subtotal.Decimal))
	a.VAT = money.Of(a.VAT.Add(b.VAT.Decimal))
	a.Total = money.Of(a.Total.Add(b.Total.Decimal))
	a.Fee = money.Of(a.Fee.Add(b.Fee.Decimal))
}

// Utilisation is how much of a ceiling or an allocation committed orders
// use, by their subtotal (excluding VAT) since the tender began, as the
// orders' reservations count it.
type Utilisation struct {
	Limit     money.Amount `json:"limit"`
	Used      money.Amount `json:"used"`
	Remaining money.Amount `json:"remaining"`
	// Percent is Used / Limit × 100 with two decimals ("81.25").
	Percent string `json:"percent"`
}

func utilisation(limit, used decimal.Decimal) *Utilisation {
	return &Utilisation{Limit: money.Of(limit), Used: money.Of(used), Remaining: money.Of(limit.Sub(used)),
		Percent: used.Mul(decimal.NewFromInt(100)).Div(limit).Round(2).StringFixed(2)}
}

// Row is one group of the volume figures. Exactly one of TenderID,
// AuthorityID, SupplierID, Category and Month is set, by the grouping.
type Row struct {
	Key         string `json:"key"`
	Label       string `json:"label"`
	TenderID    int64  `json:"tender_id,omitempty"`
	AuthorityID int64  `json:"authority_id,omitempty"`
	SupplierID  int64  `json:"supplier_id,omitempty"`
	Category    string `json:"category,omitempty"`
	// Month is YYYY-MM.
	Month string `json:"month,omitempty"`
	Amounts
	// Ceiling is set on a tender's row when the tender has one, for the
	// cluster only.
	Ceiling *Utilisation `json:"ceiling,omitempty"`
	// Allocation is set when the row is one tender and one authority (a
	// tender's row for an authority, an authority's row for a tender) and
	// that authority has an allocation, for the cluster only.
	Allocation *Utilisation `json:"allocation,omitempty"`
}

// Report is the volume figures grouped one way.
type Report struct {
	Group  string  `json:"group"`
	Filter Filter  `json:"-"`
	Items  []Row   `json:"items"`
	Totals Amounts `json:"totals"`
}

// groupKeys is the rollup column each grouping sums by.
var groupKeys = map[string]string{
	GroupTender: "tender_id::text", GroupAuthority: "authority_id::text", GroupSupplier: "supplier_id::text",
	GroupCategory: "category", GroupMonth: "to_char(month, 'YYYY-MM')",
}

// Volumes returns the committed orders p may see (a supplier only those
// sent to it), narrowed by f and grouped by group, largest total first (months in calendar order), with the
// totals over all groups.
func (s *Store) Volumes(ctx context.Context, p *auth.Principal, group string, f Filter) (*Report, error) {
	keyExpr, ok := groupKeys[group]
	if !ok {
		return nil, apperr.Invalid("unknown grouping", apperr.Field("group", "must be one of tender, authority, supplier, category, month"))
	}
	f, err := scope(p, f)
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

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Names are the display names of the tenders, authorities and suppliers the
// figures mention.
type Names struct {
	Tenders     map[int64]TenderName
	Authorities map[int64]string
	Suppliers   map[int64]string
}

// TenderName is a tender's number and title.
type TenderName struct {
	Number string `db:"number"`
	Title  string `db:"title"`
}

// Label is "number title".
func (t TenderName) Label() string { return t.Number + " " + t.Title }

// names loads the names of the given ids, authorities in lang.
func names(ctx context.Context, q sqlx.QueryerContext, lang string, tenders, authorities, suppliers []int64) (*Names, error) {
	n := &Names{Tenders: map[int64]TenderName{}, Authorities: map[int64]string{}, Suppliers: map[int64]string{}}
	if len(tenders) > 0 {
		var rows []struct {
			ID int64 `db:"id"`
			TenderName
		}
		if err := sqlx.SelectContext(ctx, q, &rows, `SELECT id, number, title FROM tenders WHERE id = ANY($1)`, pq.Array(tenders)); err != nil {
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
		const qa = `SELECT id, CASE WHEN $2 = 'ar' AND name_ar <> '' THEN name_ar
				WHEN $2 = 'en' AND name_en <> '' THEN name_en ELSE name_he END AS name
			FROM authorities WHERE id = ANY($1)`
		if err := sqlx.SelectContext(ctx, q, &rows, qa, pq.Array(authorities), lang); err != nil {
			return nil, err
		}
		for _, r := range rows {
			n.Authorities[r.ID] = r.Name
		}
	}
	if len(suppliers) > 0 {
		var rows []named
		if err := sqlx.SelectContext(ctx, q, &rows, `SELECT id, legal_name AS name FROM suppliers WHERE id = ANY($1)`, pq.Array(suppliers)); err != nil {
			return nil, err
		}
		for _, r := range rows {
			n.Suppliers[r.ID] = r.Name
		}
	}
	return n, nil
}

// label names the report's rows.
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
	n, err := names(ctx, s.db, lang, ts, as, ss)
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

// Headline is the figures in the shape the annual report gives them.
type Headline struct {
	Year int `json:"year"`
	// ActiveTenders are the shelf tenders open for orders today (for an
	// authority, those it may order from; for a supplier, those it holds
	// an active award in).
	ActiveTenders int `json:"active_tenders"`
	// OrdersInHandling are the orders pending approval, sent, confirmed or
	// partially delivered, now; InHandlingByStatus breaks them down. A
	// supplier has none pending approval: those were not sent to it.
	OrdersInHandling   int            `json:"orders_in_handling"`
	InHandlingByStatus map[string]int `json:"in_handling_by_status"`
	// OrdersThisYear are the committed orders submitted in Year, with their
	// value.
	OrdersThisYear int          `json:"orders_this_year"`
	Subtotal       money.Amount `json:"subtotal"`
	Total          money.Amount `json:"total"`
	Fee            money.Amount `json:"fee"`
	// AuthoritiesOrdered counts the authorities with a committed order
	// submitted in Year.
	AuthoritiesOrdered int `json:"authorities_ordered"`
}

// Headline returns the headline figures p may see for year (a supplier's
// of the orders sent to it), counting the tenders active on today.
func (s *Store) Headline(ctx context.Context, p *auth.Principal, year int, today calendar.Date) (*Headline, error) {
	f, err := scope(p, YearFilter(year))
	if err != nil {
		return nil, err
	}
	h := &Headline{Year: year, InHandlingByStatus: map[string]int{}}
	for _, st := range InHandling {
		h.InHandlingByStatus[st] = 0
	}

	args := []any{today}
	qt := `SELECT count(*) FROM tenders t
		WHERE t.status = 'active' AND t.valid_from <= $1 AND coalesce(t.extended_until, t.valid_until) >= $1`
	switch {
	case f.AuthorityID != 0:
		args = append(args, f.AuthorityID)
		qt += ` AND EXISTS (SELECT 1 FROM tender_authorities ta WHERE ta.tender_id = t.id AND ta.authority_id = $2)`
	case f.SupplierID != 0:
		args = append(args, f.SupplierID)
		qt += ` AND EXISTS (SELECT 1 FROM awards a WHERE a.tender_id = t.id AND a.supplier_id = $2 AND a.status = 'active')`
	}
	if err := s.db.GetContext(ctx, &h.ActiveTenders, qt, args...); err != nil {
		return nil, err
	}

	inHandling := InHandling
	if f.sentOnly {
		inHandling = slices.DeleteFunc(slices.Clone(InHandling), func(st string) bool { return st == "pending_approval" })
	}
	args = []any{pq.Array(inHandling)}
	qs := `SELECT status, sum(order_count) AS n FROM volume_status_counts
		WHERE status = ANY($1) AND ` + f.whereIDs("", &args) + ` GROUP BY status`
	var counts []struct {
		Status string `db:"status"`
		N      int    `db:"n"`
	}
	if err := s.db.SelectContext(ctx, &counts, qs, args...); err != nil {
		return nil, err
	}
	for _, c := range counts {
		h.InHandlingByStatus[c.Status] = c.N
		h.OrdersInHandling += c.N
	}

	args = nil
	qy := `SELECT coalesce(sum(order_count), 0) AS orders, coalesce(sum(subtotal), 0) AS subtotal,
			coalesce(sum(total), 0) AS total, coalesce(sum(fee), 0) AS fee,
			count(DISTINCT authority_id) FILTER (WHERE order_count > 0) AS authorities
		FROM ` + f.committedSource(&args) + ` WHERE ` + f.where("", &args)
	var y struct {
		Orders      int          `db:"orders"`
		Subtotal    money.Amount `db:"subtotal"`
		Total       money.Amount `db:"total"`
		Fee         money.Amount `db:"fee"`
		Authorities int          `db:"authorities"`
	}
	if err := s.db.GetContext(ctx, &y, qy, args...); err != nil {
		return nil, err
	}
	h.OrdersThisYear, h.Subtotal, h.Total, h.Fee, h.AuthoritiesOrdered = y.Orders, y.Subtotal, y.Total, y.Fee, y.Authorities
	return h, nil
}

// FeeRow is the fee accrued from one supplier under one tender in one
// month.
type FeeRow struct {
	Month        string       `db:"month" json:"month"`
	SupplierID   int64        `db:"supplier_id" json:"supplier_id"`
	SupplierName string       `db:"-" json:"supplier_name"`
	TenderID     int64        `db:"tender_id" json:"tender_id"`
	TenderNumber string       `db:"-" json:"tender_number"`
	TenderTitle  string       `db:"-" json:"tender_title"`
	OrderCount   int          `db:"order_count" json:"order_count"`
	Subtotal     money.Amount `db:"subtotal" json:"subtotal"`
	Fee          money.Amount `db:"fee" json:"fee"`
}

// Fees is the fee accrual: per month, supplier and tender.
type Fees struct {
	Items      []FeeRow     `json:"items"`
	OrderCount int          `json:"order_count"`
	Subtotal   money.Amount `json:"subtotal"`
	Fee        money.Amount `json:"fee"`
}

// Fees returns the fees accrued on the committed orders p may see (a
// supplier only those sent to it), narrowed by f, by month, supplier and
// tender.
func (s *Store) Fees(ctx context.Context, p *auth.Principal, f Filter) (*Fees, error) {
	f, err := scope(p, f)
	if err != nil {
		return nil, err
	}
	var args []any
	q := `SELECT to_char(month, 'YYYY-MM') AS month, supplier_id, tender_id, sum(order_count) AS order_count,
			sum(subtotal) AS subtotal, sum(fee) AS fee
		FROM ` + f.committedSource(&args) + ` WHERE ` + f.where("", &args) + `
		GROUP BY month, supplier_id, tender_id HAVING sum(order_count) > 0`
	out := &Fees{Items: []FeeRow{}}
	if err := s.db.SelectContext(ctx, &out.Items, q, args...); err != nil {
		return nil, err
	}
	var ts, ss []int64
	for _, r := range out.Items {
		ts, ss = append(ts, r.TenderID), append(ss, r.SupplierID)
	}
	n, err := names(ctx, s.db, p.Lang, uniq(ts), nil, uniq(ss))
	if err != nil {
		return nil, err
	}
	var sub, fee decimal.Decimal
	for i := range out.Items {
		r := &out.Items[i]
		r.SupplierName = n.Suppliers[r.SupplierID]
		r.TenderNumber, r.TenderTitle = n.Tenders[r.TenderID].Number, n.Tenders[r.TenderID].Title
		out.OrderCount += r.OrderCount
		sub, fee = sub.Add(r.Subtotal.Decimal), fee.Add(r.Fee.Decimal)
	}
	out.Subtotal, out.Fee = money.Of(sub), money.Of(fee)
	slices.SortFunc(out.Items, func(a, b FeeRow) int {
		if c := compareStrings(a.Month, b.Month); c != 0 {
			return c
		}
		if c := compareStrings(a.SupplierName, b.SupplierName); c != 0 {
			return c
		}
		return compareStrings(a.TenderNumber, b.TenderNumber)
	})
	return out, nil
}

func uniq(ids []int64) []int64 {
	slices.Sort(ids)
	return slices.Compact(ids)
}

// Statement is a supplier's monthly fee statement: the committed orders
// submitted in the month and the fee the cluster invoices on each.
type Statement struct {
	SupplierID    int64           `json:"supplier_id"`
	SupplierName  string          `json:"supplier_name"`
	CompanyNumber string          `json:"company_number"`
	Month         string          `json:"month"`
	Lines         []StatementLine `json:"lines"`
	OrderCount    int             `json:"order_count"`
	Subtotal      money.Amount    `json:"subtotal"`
	Fee           money.Amount    `json:"fee"`
}

// StatementLine is one order of a fee statement.
type StatementLine struct {
	OrderID       int64         `db:"order_id" json:"order_id"`
	OrderNumber   string        `db:"number" json:"order_number"`
	SubmittedOn   calendar.Date `db:"submitted_on" json:"submitted_on"`
	Status        string        `db:"status" json:"status"`
	AuthorityID   int64         `db:"authority_id" json:"authority_id"`
	AuthorityName string        `db:"authority_name" json:"authority_name"`
	TenderID      int64         `db:"tender_id" json:"tender_id"`
	TenderNumber  string        `db:"tender_number" json:"tender_number"`
	Subtotal      money.Amount  `db:"subtotal" json:"subtotal"`
	FeePercent    money.Amount  `db:"fee_percent" json:"fee_percent"`
	Fee           money.Amount  `db:"fee" json:"fee"`
}

// FeeStatement returns supplierID's fee statement for month (its first
// day), if p may see that supplier; the supplier's own statement lists only
// the orders that were sent to it.
func (s *Store) FeeStatement(ctx context.Context, p *auth.Principal, supplierID int64, month calendar.Date) (*Statement, error) {
	if p.OrgKind != auth.OrgCluster && !(p.OrgKind == auth.OrgSupplier && p.SupplierID == supplierID) {
		return nil, apperr.NotFound("not_found.supplier")
	}
	st := &Statement{SupplierID: supplierID, Month: month.Time().Format("2006-01"), Lines: []StatementLine{}}
	const qs = `SELECT legal_name, company_number FROM suppliers WHERE id = $1`
	var sp struct {
		Name   string `db:"legal_name"`
		Number string `db:"company_number"`
	}
	if err := s.db.GetContext(ctx, &sp, qs, supplierID); err != nil {
		return nil, notFound(err, "supplier")
	}
	st.SupplierName, st.CompanyNumber = sp.Name, sp.Number
	const q = `SELECT v.order_id, o.number, o.submitted_on, v.status, v.authority_id, a.name_he AS authority_name,
			v.tender_id, t.number AS tender_number, v.subtotal, o.fee_percent, v.fee
		FROM volume_orders v
		JOIN orders o ON o.id = v.order_id
		JOIN authorities a ON a.id = v.authority_id
		JOIN tenders t ON t.id = v.tender_id
		WHERE v.supplier_id = $1 AND v.month = $2 AND v.status = ANY($3) AND (v.sent_at IS NOT NULL OR NOT $4)
		ORDER BY o.submitted_on, o.number`
	sentOnly := p.OrgKind == auth.OrgSupplier
	if err := s.db.SelectContext(ctx, &st.Lines, q, supplierID, month, pq.Array(committedList()), sentOnly); err != nil {
		return nil, err
	}
	var sub, fee decimal.Decimal
	for _, l := range st.Lines {
		sub, fee = sub.Add(l.Subtotal.Decimal), fee.Add(l.Fee.Decimal)
	}
	st.OrderCount, st.Subtotal, st.Fee = len(st.Lines), money.Of(sub), money.Of(fee)
	return st, nil
}

// committedList is Committed as a sorted slice, for SQL.
func committedList() []string {
	var out []string
	for st := range Committed {
		out = append(out, st)
	}
	slices.Sort(out)
	return out
}

func notFound(err error, what string) error {
	if err = database.MapError(err); apperr.Is(err, apperr.KindNotFound) {
		return apperr.NotFound(what)
	}
	return err
}
