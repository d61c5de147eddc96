package orders

import (
	"context"
	"errors"

	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"madaf/authorities"
	"madaf/catalog"
	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/database"
	"madaf/internal/money"
)

// The reads a draft is priced by and a submission checks against and
// reserves from. What the reserving orders hold on each capacity is kept on
// its row of capacity_holds by the triggers on orders (migration
// 00209_capacity_holds), so a submission reads one row per capacity. A
// submission locks, after the order row, the tender, the tender authority
// and the budget line rows and their capacity_holds rows in one statement,
// all FOR NO KEY UPDATE, which leaves the key-share locks of an order
// being created (its foreign keys) free. The statement takes its row locks
// in the order its plan reaches the rows, so a release's trigger (which
// takes the holds tender, allocation, budget line) may meet it the other
// way round: PostgreSQL then aborts one of the two (40P01) and
// database.WithTx runs it again. See the package documentation.

// tenderColumns are a tender's columns as catalog.Tender scans them.
const tenderColumns = `t.id, t.number, t.title, t.category, t.description, t.valid_from, t.valid_until,
	t.extended_until, t.status, t.ceiling, t.fee_percent, t.award_rule, t.confirmation_days,
	t.competition_from, t.competition_min_days, t.created_at, t.updated_at`

// activeAwardsSQL counts the active awards of tender t: a tender with more
// than one winner may need a mini-competition above its competition_from.
const activeAwardsSQL = `(SELECT count(*) FROM awards aa WHERE aa.tender_id = t.id AND aa.status = 'active')`

// vatRateSQL is the VAT rate in force on $1: the effective-dated row with
// the latest valid_from on or before it (null before the table begins).
const vatRateSQL = `(SELECT v.rate FROM vat_rates v WHERE v.valid_from <= $1 ORDER BY v.valid_from DESC LIMIT 1)`

// draftItem is a requested item as the tender lists it, with the
// supplier's price in force (null when it has none); a zero ID is an item
// the tender does not list.
type draftItem struct {
	ID    int64               `db:"item_id"`
	SKU   string              `db:"item_sku"`
	Name  string              `db:"item_name"`
	Unit  string              `db:"item_unit"`
	Price decimal.NullDecimal `db:"price"`
}

// draftContext is what a draft is checked against and priced by.
type draftContext struct {
	tender       catalog.Tender
	participates bool
	// awardStatus is the supplier's award on the tender, "" when none.
	awardStatus string
	// lineAuthority is the authority of the budget line named, 0 when
	// none is named or it does not exist.
	lineAuthority int64
	// activeAwards counts the tender's active awards.
	activeAwards int
	vatRate      decimal.NullDecimal
	// items are the requested items in the order of in.Lines.
	items []draftItem
}

// draftContext reads, in one statement, the tender of in, whether
// authorityID takes part in it, in's supplier's award on it, the authority
// of in's budget line, each requested item with the supplier's price in
// force on day, and the VAT rate of day. A missing tender is apperr
// not-found.
func (s *Store) draftContext(ctx context.Context, authorityID int64, in *NewOrder, day calendar.Date) (*draftContext, error) {
	const q = `SELECT ` + tenderColumns + `,
			EXISTS (SELECT 1 FROM tender_authorities ta WHERE ta.tender_id = t.id AND ta.authority_id = $3) AS participates,
			coalesce((SELECT a.status FROM awards a WHERE a.tender_id = t.id AND a.supplier_id = $4), '') AS award_status,
			coalesce((SELECT b.authority_id FROM budget_lines b WHERE b.id = $5), 0) AS line_authority,
			` + activeAwardsSQL + ` AS active_awards,
			` + vatRateSQL + ` AS vat_rate,
			coalesce(i.id, 0) AS item_id, coalesce(i.sku, '') AS item_sku, coalesce(i.name, '') AS item_name,
			coalesce(i.unit, '') AS item_unit, price_in_force(i.id, $4, $1) AS price
		FROM tenders t
		CROSS JOIN unnest($6::bigint[]) WITH ORDINALITY AS r(item_id, ord)
		LEFT JOIN tender_items i ON i.id = r.item_id AND i.tender_id = t.id
		WHERE t.id = $2
		ORDER BY r.ord`
	ids := make([]int64, len(in.Lines))
	for i, l := range in.Lines {
		ids[i] = l.ItemID
	}
	var rows []struct {
		catalog.Tender
		Participates  bool                `db:"participates"`
		AwardStatus   string              `db:"award_status"`
		LineAuthority int64               `db:"line_authority"`
		ActiveAwards  int                 `db:"active_awards"`
		VATRate       decimal.NullDecimal `db:"vat_rate"`
		draftItem
	}
	if err := s.db.SelectContext(ctx, &rows, q, day, in.TenderID, authorityID, in.SupplierID, in.BudgetLineID, pq.Array(ids)); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, apperr.NotFound("not_found.tender")
	}
	r := rows[0]
	c := &draftContext{tender: r.Tender, participates: r.Participates, awardStatus: r.AwardStatus,
		lineAuthority: r.LineAuthority, activeAwards: r.ActiveAwards, vatRate: r.VATRate}
	for _, r := range rows {
		c.items = append(c.items, r.draftItem)
	}
	return c, nil
}

// orderLineRow is a line of the order being submitted (null columns when
// the order has none) with the supplier's price in force.
type orderLineRow struct {
	ID        *int64              `db:"line_id"`
	LineNo    *int                `db:"line_no"`
	ItemID    *int64              `db:"item_id"`
	SKU       *string             `db:"sku"`
	Name      *string             `db:"line_name"`
	Unit      *string             `db:"unit"`
	Quantity  decimal.NullDecimal `db:"quantity"`
	UnitPrice decimal.NullDecimal `db:"unit_price"`
	LineTotal decimal.NullDecimal `db:"line_total"`
	Delivered decimal.NullDecimal `db:"delivered"`
	Price     decimal.NullDecimal `db:"price"`
}

// capacity is what a submission checks against, its rows locked until the
// transaction ends: the tender, the authority's participation (its
// allocation, nil when unlimited), the budget line, what the reserving
// orders hold on each, the supplier's award, the VAT rate, and the order's
// lines with their prices in force.
type capacity struct {
	tender        catalog.Tender
	participates  bool
	allocation    *decimal.Decimal
	line          authorities.BudgetLine
	heldTender    decimal.Decimal
	heldAlloc     decimal.Decimal
	heldBudget    decimal.Decimal
	awardStatus   string
	activeAwards  int
	vatRate       decimal.NullDecimal
	lines         []Line
	pricesInForce []decimal.NullDecimal
}

// capacityLocks are the capacity rows of o, locked in the fixed order; the
// participation variant and the one for an authority that does not take
// part in the tender (whose allocation is then not read).
const (
	capacityLocks = `SELECT ` + tenderColumns + `, true AS participates, ta.allocation,
			b.id AS line_id_, b.authority_id AS line_authority_id, b.fiscal_year AS line_year, b.code AS line_code,
			b.name AS line_name_, b.amount AS line_amount,
			ht.subtotal AS held_tender, ha.subtotal AS held_allocation, hb.total AS held_budget
		FROM tenders t
		JOIN tender_authorities ta ON ta.tender_id = t.id AND ta.authority_id = $3
		JOIN budget_lines b ON b.id = $4
		JOIN capacity_holds ht ON ht.kind = 'tender' AND ht.id = t.id AND ht.authority_id = 0
		JOIN capacity_holds ha ON ha.kind = 'allocation' AND ha.id = t.id AND ha.authority_id = ta.authority_id
		JOIN capacity_holds hb ON hb.kind = 'budget_line' AND hb.id = b.id AND hb.authority_id = 0
		WHERE t.id = $2
		FOR NO KEY UPDATE OF t, ta, b, ht, ha, hb`
	capacityLocksOutside = `SELECT ` + tenderColumns + `, false AS participates, NULL::numeric AS allocation,
			b.id AS line_id_, b.authority_id AS line_authority_id, b.fiscal_year AS line_year, b.code AS line_code,
			b.name AS line_name_, b.amount AS line_amount,
			ht.subtotal AS held_tender, 0::numeric AS held_allocation, hb.total AS held_budget
		FROM tenders t
		JOIN budget_lines b ON b.id = $4
		JOIN capacity_holds ht ON ht.kind = 'tender' AND ht.id = t.id AND ht.authority_id = 0
		JOIN capacity_holds hb ON hb.kind = 'budget_line' AND hb.id = b.id AND hb.authority_id = 0
		WHERE t.id = $2
		FOR NO KEY UPDATE OF t, b, ht, hb`
	// capacityRest completes either: the award, the VAT rate of $1 and the
	// lines of order $6 with supplier $5's price in force on $1.
	capacityRest = `)
		SELECT capacity.*,
			coalesce((SELECT a.status FROM awards a WHERE a.tender_id = capacity.id AND a.supplier_id = $5), '') AS award_status,
			(SELECT count(*) FROM awards aa WHERE aa.tender_id = capacity.id AND aa.status = 'active') AS active_awards,
			` + vatRateSQL + ` AS vat_rate,
			l.id AS line_id, l.line_no, l.item_id, l.sku, l.name AS line_name, l.unit, l.quantity, l.unit_price,
			l.line_total, l.delivered, price_in_force(l.item_id, $5, $1) AS price
		FROM capacity LEFT JOIN order_lines l ON l.order_id = $6
		ORDER BY l.line_no`
)

// lockCapacity locks the capacity rows of draft o and reads, in one
// statement, what its submission on day checks against (see capacity).
func (s *Store) lockCapacity(ctx context.Context, o *Order, day calendar.Date) (*capacity, error) {
	var rows []struct {
		catalog.Tender
		Participates   bool                `db:"participates"`
		Allocation     decimal.NullDecimal `db:"allocation"`
		LineID         int64               `db:"line_id_"`
		LineAuthority  int64               `db:"line_authority_id"`
		LineYear       int                 `db:"line_year"`
		LineCode       string              `db:"line_code"`
		LineName       string              `db:"line_name_"`
		LineAmount     decimal.Decimal     `db:"line_amount"`
		HeldTender     decimal.Decimal     `db:"held_tender"`
		HeldAllocation decimal.Decimal     `db:"held_allocation"`
		HeldBudget     decimal.Decimal     `db:"held_budget"`
		AwardStatus    string              `db:"award_status"`
		ActiveAwards   int                 `db:"active_awards"`
		VATRate        decimal.NullDecimal `db:"vat_rate"`
		orderLineRow
	}
	for _, locks := range []string{capacityLocks, capacityLocksOutside} {
		q := `WITH capacity AS (` + locks + capacityRest
		if err := s.db.SelectContext(ctx, &rows, q, day, o.TenderID, o.AuthorityID, o.BudgetLineID, o.SupplierID, o.ID); err != nil {
			return nil, err
		}
		if len(rows) > 0 {
			break
		}
	}
	if len(rows) == 0 {
		return nil, errors.New("orders: the capacity rows of the order are missing")
	}
	r := rows[0]
	c := &capacity{tender: r.Tender, participates: r.Participates, heldTender: r.HeldTender, heldAlloc: r.HeldAllocation,
		heldBudget: r.HeldBudget, awardStatus: r.AwardStatus, activeAwards: r.ActiveAwards, vatRate: r.VATRate, lines: []Line{},
		line: authorities.BudgetLine{ID: r.LineID, AuthorityID: r.LineAuthority, FiscalYear: r.LineYear, Code: r.LineCode,
			Name: r.LineName, Amount: money.Of(r.LineAmount)}}
	if r.Allocation.Valid {
		c.allocation = &r.Allocation.Decimal
	}
	for _, r := range rows {
		l := r.orderLineRow
		if l.ID == nil {
			continue
		}
		c.lines = append(c.lines, Line{ID: *l.ID, LineNo: *l.LineNo, ItemID: *l.ItemID, SKU: *l.SKU, Name: *l.Name, Unit: *l.Unit,
			Quantity: Quantity{l.Quantity.Decimal}, UnitPrice: money.Of(l.UnitPrice.Decimal), LineTotal: money.Of(l.LineTotal.Decimal),
			Delivered: Quantity{l.Delivered.Decimal}})
		c.pricesInForce = append(c.pricesInForce, l.Price)
	}
	return c, nil
}

// committedThisYear returns each supplier's committed volume (subtotals of
// reserving orders submitted in year) on the tender.
func (s *Store) committedThisYear(ctx context.Context, tenderID int64, year int) (map[int64]decimal.Decimal, error) {
	const q = `SELECT supplier_id, sum(subtotal) AS volume FROM orders
		WHERE tender_id = $1 AND order_status_reserves(status) AND extract(year FROM submitted_on) = $2
		GROUP BY supplier_id`
	var rows []struct {
		SupplierID int64           `db:"supplier_id"`
		Volume     decimal.Decimal `db:"volume"`
	}
	if err := s.db.SelectContext(ctx, &rows, q, tenderID, year); err != nil {
		return nil, err
	}
	out := make(map[int64]decimal.Decimal, len(rows))
	for _, r := range rows {
		out[r.SupplierID] = r.Volume
	}
	return out, nil
}

// VATRate returns the VAT rate in percent in force on day on, from the
// effective-dated vat_rates table; a day before the table begins is a
// conflict ("order.no_vat_rate").
func (s *Store) VATRate(ctx context.Context, on calendar.Date) (rate decimal.Decimal, err error) {
	defer apperr.Wrap(&err, "orders.Store.VATRate(%s)", on)
	const q = `SELECT rate FROM vat_rates WHERE valid_from <= $1 ORDER BY valid_from DESC LIMIT 1`
	if err := s.db.GetContext(ctx, &rate, q, on); err != nil {
		if err = database.MapError(err); apperr.Is(err, apperr.KindNotFound) {
			return rate, noVATRate(on)
		}
		return rate, err
	}
	return rate, nil
}

// noVATRate is the conflict of a day before the VAT table begins.
func noVATRate(on calendar.Date) error { return apperr.Conflict("order.no_vat_rate", on.String()) }

// priceInForce is supplierID's price of item itemID in force on day on, by
// the catalog's rule, or apperr not-found.
func (s *Store) priceInForce(ctx context.Context, itemID, supplierID int64, on calendar.Date) (decimal.Decimal, error) {
	return catalog.PriceInForce(ctx, s.db, itemID, supplierID, on)
}

// budgetBalanceQuery reads budget lines with what the reserving orders hold
// on each, from its capacity_holds row; the caller adds the WHERE clause.
const budgetBalanceQuery = `SELECT b.id, b.authority_id, b.fiscal_year, b.code, b.name, b.name_ar, b.name_en, b.amount, b.created_at, b.updated_at,
		coalesce(h.total, 0) AS held, coalesce(h.orders, 0) AS held_orders, b.amount - coalesce(h.total, 0) AS balance_left
	FROM budget_lines b
	LEFT JOIN capacity_holds h ON h.kind = 'budget_line' AND h.id = b.id AND h.authority_id = 0`

// budgetBalance returns budget line id with its balance, without scoping,
// or apperr not-found ("not_found.budget_line").
func (s *Store) budgetBalance(ctx context.Context, id int64) (*authorities.BudgetBalance, error) {
	const q = budgetBalanceQuery + ` WHERE b.id = $1`
	b := &authorities.BudgetBalance{}
	if err := s.db.GetContext(ctx, b, q, id); err != nil {
		return nil, notFound(err, "not_found.budget_line")
	}
	return b, nil
}

// budgetBalances lists the budget lines of authority authorityID (of every
// authority when 0) of fiscal year year (of every year when 0) with their
// balances, without scoping: newest year first, then by authority and code.
func (s *Store) budgetBalances(ctx context.Context, authorityID int64, year int) ([]authorities.BudgetBalance, error) {
	const q = budgetBalanceQuery + ` WHERE ($1::bigint = 0 OR b.authority_id = $1) AND ($2 = 0 OR b.fiscal_year = $2)
		ORDER BY b.fiscal_year DESC, b.authority_id, b.code`
	out := []authorities.BudgetBalance{}
	err := s.db.SelectContext(ctx, &out, q, authorityID, year)
	return out, err
}

// principalActor is p's user id as an event's actor, nil for none.
func principalActor(p *auth.Principal) *int64 {
	if p != nil && p.UserID != 0 {
		return &p.UserID
	}
	return nil
}
