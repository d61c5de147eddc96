package volumes

import (
	"context"

	"github.com/shopspring/decimal"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
)

// Alert thresholds.
const (
	// TenderExpiryDays: a tender ending within this many days is flagged.
	TenderExpiryDays = 60
	// CapacityAlertPercent: a ceiling or allocation used this much or more
	// is flagged.
	CapacityAlertPercent = 80
	// CertificateExpiryDays: a supplier's latest certificate of a kind
	// ending within this many days (or already ended) is flagged.
	CertificateExpiryDays = 30
)

// Alerts are what the economic lead should act on.
type Alerts struct {
	Today           calendar.Date      `json:"today"`
	ExpiringTenders []ExpiringTender   `json:"expiring_tenders"`
	Ceilings        []CapacityAlert    `json:"ceilings"`
	Allocations     []CapacityAlert    `json:"allocations"`
	Certificates    []CertificateAlert `json:"certificates"`
	OverdueOrders   []OverdueOrder     `json:"overdue_orders"`
}

// ExpiringTender is an active tender whose validity (with its extension)
// ends within TenderExpiryDays.
type ExpiringTender struct {
	TenderID int64         `db:"id" json:"tender_id"`
	Number   string        `db:"number" json:"tender_number"`
	Title    string        `db:"title" json:"tender_title"`
	EndsOn   calendar.Date `db:"ends_on" json:"ends_on"`
	DaysLeft int           `db:"days_left" json:"days_left"`
}

// CapacityAlert is a ceiling, or one authority's allocation, used at
// CapacityAlertPercent or more.
type CapacityAlert struct {
	TenderID      int64  `db:"tender_id" json:"tender_id"`
	TenderNumber  string `db:"number" json:"tender_number"`
	TenderTitle   string `db:"title" json:"tender_title"`
	AuthorityID   int64  `db:"authority_id" json:"authority_id,omitempty"`
	AuthorityName string `db:"authority_name" json:"authority_name,omitempty"`
	Utilisation
}

// CertificateAlert is a supplier's certificate kind whose latest
// certificate ends within CertificateExpiryDays or has ended.
type CertificateAlert struct {
	SupplierID   int64         `db:"supplier_id" json:"supplier_id"`
	SupplierName string        `db:"legal_name" json:"supplier_name"`
	Kind         string        `db:"kind" json:"kind"`
	ValidUntil   calendar.Date `db:"valid_until" json:"valid_until"`
	DaysLeft     int           `db:"days_left" json:"days_left"`
	Expired      bool          `db:"expired" json:"expired"`
}

// OverdueOrder is an order sent to its supplier and not answered by its
// confirmation deadline.
type OverdueOrder struct {
	OrderID       int64         `db:"order_id" json:"order_id"`
	OrderNumber   string        `db:"number" json:"order_number"`
	AuthorityID   int64         `db:"authority_id" json:"authority_id"`
	AuthorityName string        `db:"authority_name" json:"authority_name"`
	SupplierID    int64         `db:"supplier_id" json:"supplier_id"`
	SupplierName  string        `db:"supplier_name" json:"supplier_name"`
	TenderID      int64         `db:"tender_id" json:"tender_id"`
	TenderNumber  string        `db:"tender_number" json:"tender_number"`
	ConfirmBy     calendar.Date `db:"confirm_by" json:"confirm_by"`
	DaysOverdue   int           `db:"days_overdue" json:"days_overdue"`
}

// Alerts returns the cluster's alerts as of today. Only the cluster sees
// them: anyone else is forbidden.
func (s *Store) Alerts(ctx context.Context, p *auth.Principal, today calendar.Date) (*Alerts, error) {
	if !p.IsCluster() {
		return nil, apperr.Forbidden("alerts are for the cluster")
	}
	a := &Alerts{Today: today, ExpiringTenders: []ExpiringTender{}, Ceilings: []CapacityAlert{},
		Allocations: []CapacityAlert{}, Certificates: []CertificateAlert{}, OverdueOrders: []OverdueOrder{}}

	const qt = `SELECT id, number, title, coalesce(extended_until, valid_until) AS ends_on,
			coalesce(extended_until, valid_until) - $1::date AS days_left
		FROM tenders
		WHERE status = 'active' AND coalesce(extended_until, valid_until) BETWEEN $1::date AND $1::date + $2::int
		ORDER BY ends_on, number`
	if err := s.db.SelectContext(ctx, &a.ExpiringTenders, qt, today, TenderExpiryDays); err != nil {
		return nil, err
	}

	type capacity struct {
		TenderID      int64           `db:"tender_id"`
		Number        string          `db:"number"`
		Title         string          `db:"title"`
		AuthorityID   int64           `db:"authority_id"`
		AuthorityName string          `db:"authority_name"`
		Limit         decimal.Decimal `db:"limit_amount"`
		Used          decimal.Decimal `db:"used"`
	}
	const qc = `WITH used AS (SELECT tender_id, authority_id, subtotal AS used FROM volume_totals)
		SELECT t.id AS tender_id, t.number, t.title, 0::bigint AS authority_id, '' AS authority_name,
			t.ceiling AS limit_amount, u.used
		FROM tenders t JOIN (SELECT tender_id, sum(used) AS used FROM used GROUP BY tender_id) u ON u.tender_id = t.id
		WHERE t.status IN ('active', 'suspended') AND t.ceiling IS NOT NULL AND u.used * 100 >= t.ceiling * $1
		UNION ALL
		SELECT t.id, t.number, t.title, ta.authority_id, au.name_he, ta.allocation, u.used
		FROM tender_authorities ta
		JOIN tenders t ON t.id = ta.tender_id
		JOIN authorities au ON au.id = ta.authority_id
		JOIN used u ON u.tender_id = ta.tender_id AND u.authority_id = ta.authority_id
		WHERE t.status IN ('active', 'suspended') AND ta.allocation IS NOT NULL AND u.used * 100 >= ta.allocation * $1
		ORDER BY 1, 4`
	var caps []capacity
	if err := s.db.SelectContext(ctx, &caps, qc, CapacityAlertPercent); err != nil {
		return nil, err
	}
	for _, c := range caps {
		al := CapacityAlert{TenderID: c.TenderID, TenderNumber: c.Number, TenderTitle: c.Title,
			AuthorityID: c.AuthorityID, AuthorityName: c.AuthorityName, Utilisation: *utilisation(c.Limit, c.Used)}
		if c.AuthorityID == 0 {
			a.Ceilings = append(a.Ceilings, al)
		} else {
			a.Allocations = append(a.Allocations, al)
		}
	}

	const qs = `SELECT s.id AS supplier_id, s.legal_name, c.kind, max(c.valid_until) AS valid_until,
			max(c.valid_until) - $1::date AS days_left, max(c.valid_until) < $1::date AS expired
		FROM suppliers s JOIN supplier_certificates c ON c.supplier_id = s.id
		WHERE s.status = 'active'
		GROUP BY s.id, s.legal_name, c.kind
		HAVING max(c.valid_until) <= $1::date + $2::int
		ORDER BY valid_until, s.legal_name, c.kind`
	if err := s.db.SelectContext(ctx, &a.Certificates, qs, today, CertificateExpiryDays); err != nil {
		return nil, err
	}

	const qo = `SELECT v.order_id, o.number, v.authority_id, au.name_he AS authority_name, v.supplier_id,
			s.legal_name AS supplier_name, v.tender_id, t.number AS tender_number, v.confirm_by,
			$1::date - v.confirm_by AS days_overdue
		FROM volume_orders v
		JOIN orders o ON o.id = v.order_id
		JOIN authorities au ON au.id = v.authority_id
		JOIN suppliers s ON s.id = v.supplier_id
		JOIN tenders t ON t.id = v.tender_id
		WHERE v.status = 'sent' AND v.confirm_by < $1::date
		ORDER BY v.confirm_by, o.number`
	if err := s.db.SelectContext(ctx, &a.OverdueOrders, qo, today); err != nil {
		return nil, err
	}
	return a, nil
}
