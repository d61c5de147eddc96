package volumes

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"madaf/internal/calendar"
)

type ocdsTender struct {
	ID          int64               `db:"id"`
	Number      string              `db:"number"`
	Title       string              `db:"title"`
	Description string              `db:"description"`
	Status      string              `db:"status"`
	ValidFrom   calendar.Date       `db:"valid_from"`
	EndsOn      calendar.Date       `db:"ends_on"`
	Ceiling     decimal.NullDecimal `db:"ceiling"`
	UpdatedAt   time.Time           `db:"updated_at"`
	Items       []ocdsTenderItem
	Awards      []ocdsTenderAward
}

type ocdsTenderItem struct {
	TenderID int64  `db:"tender_id"`
	ID       int64  `db:"id"`
	SKU      string `db:"sku"`
	Name     string `db:"name"`
	Unit     string `db:"unit"`
}

type ocdsTenderAward struct {
	TenderID      int64     `db:"tender_id"`
	ID            int64     `db:"id"`
	Status        string    `db:"status"`
	CreatedAt     time.Time `db:"created_at"`
	CompanyNumber string    `db:"company_number"`
	LegalName     string    `db:"legal_name"`
}

// ocdsTenders loads the published tenders f's scope may see: all for the
// cluster, those an authority takes part in, those a supplier won.
func (s *Store) ocdsTenders(ctx context.Context, f Filter) ([]*ocdsTender, error) {
	args := []any{}
	q := `SELECT id, number, title, description, status, valid_from, coalesce(extended_until, valid_until) AS ends_on,
			ceiling, updated_at
		FROM tenders t WHERE status <> 'draft'`
	if f.TenderID != 0 {
		args = append(args, f.TenderID)
		q += fmt.Sprintf(" AND t.id = $%d", len(args))
	}
	if f.AuthorityID != 0 {
		args = append(args, f.AuthorityID)
		q += fmt.Sprintf(" AND EXISTS (SELECT 1 FROM tender_authorities ta WHERE ta.tender_id = t.id AND ta.authority_id = $%d)", len(args))
	}
	if f.SupplierID != 0 {
		args = append(args, f.SupplierID)
		q += fmt.Sprintf(" AND EXISTS (SELECT 1 FROM awards a WHERE a.tender_id = t.id AND a.supplier_id = $%d)", len(args))
	}
	q += " ORDER BY id"
	var tenders []*ocdsTender
	if err := s.db.SelectContext(ctx, &tenders, q, args...); err != nil {
		return nil, err
	}
	if len(tenders) == 0 {
		return tenders, nil
	}
	byID := map[int64]*ocdsTender{}
	ids := make([]int64, len(tenders))
	for i, t := range tenders {
		byID[t.ID], ids[i] = t, t.ID
	}
	var items []ocdsTenderItem
	const qi = `SELECT tender_id, id, sku, name, unit FROM tender_items WHERE tender_id = ANY($1) ORDER BY tender_id, id`
	if err := s.db.SelectContext(ctx, &items, qi, pq.Array(ids)); err != nil {
		return nil, err
	}
	for _, it := range items {
		byID[it.TenderID].Items = append(byID[it.TenderID].Items, it)
	}
	var awards []ocdsTenderAward
	const qa = `SELECT a.tender_id, a.id, a.status, a.created_at, s.company_number, s.legal_name
		FROM awards a JOIN suppliers s ON s.id = a.supplier_id WHERE a.tender_id = ANY($1) ORDER BY a.tender_id, a.id`
	if err := s.db.SelectContext(ctx, &awards, qa, pq.Array(ids)); err != nil {
		return nil, err
	}
	for _, a := range awards {
		byID[a.TenderID].Awards = append(byID[a.TenderID].Awards, a)
	}
	return tenders, nil
}

type ocdsOrder struct {
	ID            int64           `db:"id"`
	Number        string          `db:"number"`
	Status        string          `db:"status"`
	Version       int             `db:"version"`
	TenderID      int64           `db:"tender_id"`
	TenderTitle   string          `db:"tender_title"`
	AuthorityCode string          `db:"authority_code"`
	AuthorityName string          `db:"authority_name"`
	CompanyNumber string          `db:"company_number"`
	SupplierName  string          `db:"supplier_name"`
	Subtotal      decimal.Decimal `db:"subtotal"`
	VATRate       decimal.Decimal `db:"vat_rate"`
	VAT           decimal.Decimal `db:"vat"`
	Total         decimal.Decimal `db:"total"`
	SubmittedAt   *time.Time      `db:"submitted_at"`
	SentAt        *time.Time      `db:"sent_at"`
	PromisedOn    calendar.Date   `db:"promised_on"`
	CreatedAt     time.Time       `db:"created_at"`
	CompetitionID *int64          `db:"competition_id"`
	UpdatedAt     time.Time       `db:"updated_at"`
	Lines         []ocdsLine
}

type ocdsLine struct {
	OrderID   int64           `db:"order_id"`
	LineNo    int             `db:"line_no"`
	SKU       string          `db:"sku"`
	Name      string          `db:"name"`
	Unit      string          `db:"unit"`
	Quantity  decimal.Decimal `db:"quantity"`
	UnitPrice decimal.Decimal `db:"unit_price"`
}

// ocdsOrders loads the orders sent to their suppliers that f selects,
// authority names in OCDSLanguage: the call-offs made directly, not the
// orders of mini-competitions, which are their competitions' contracts
// (ocdsCompetitions).
func (s *Store) ocdsOrders(ctx context.Context, f Filter) ([]*ocdsOrder, error) {
	args := []any{OCDSLanguage}
	where := f.whereSubmitted(&args)
	q := `SELECT ` + ocdsOrderColumns + ocdsOrderFrom + `
		WHERE o.sent_at IS NOT NULL AND o.competition_id IS NULL AND ` + where + ` ORDER BY o.id`
	var orders []*ocdsOrder
	if err := s.db.SelectContext(ctx, &orders, q, args...); err != nil {
		return nil, err
	}
	return orders, s.ocdsOrderLines(ctx, orders)
}

// ocdsOrderColumns are an order's columns for OCDS ($1 the language of the
// authority's name), over ocdsOrderFrom.
const ocdsOrderColumns = `o.id, o.number, o.status, o.version, o.tender_id, t.title AS tender_title,
			a.code AS authority_code, name_in($1, a.name_he, a.name_ar, a.name_en) AS authority_name,
			s.company_number, s.legal_name AS supplier_name,
			o.subtotal, o.vat_rate, o.vat, o.total, o.submitted_at, o.sent_at, o.promised_on, o.created_at, o.updated_at,
			o.competition_id`

const ocdsOrderFrom = `
		FROM orders o
		JOIN tenders t ON t.id = o.tender_id
		JOIN authorities a ON a.id = o.authority_id
		JOIN suppliers s ON s.id = o.supplier_id`

// ocdsOrderLines loads the lines of orders.
func (s *Store) ocdsOrderLines(ctx context.Context, orders []*ocdsOrder) error {
	if len(orders) == 0 {
		return nil
	}
	byID := map[int64]*ocdsOrder{}
	ids := make([]int64, len(orders))
	for i, o := range orders {
		byID[o.ID], ids[i] = o, o.ID
	}
	var lines []ocdsLine
	const ql = `SELECT order_id, line_no, sku, name, unit, quantity, unit_price FROM order_lines
		WHERE order_id = ANY($1) ORDER BY order_id, line_no`
	if err := s.db.SelectContext(ctx, &lines, ql, pq.Array(ids)); err != nil {
		return err
	}
	for _, l := range lines {
		byID[l.OrderID].Lines = append(byID[l.OrderID].Lines, l)
	}
	return nil
}
