package volumes

import (
	"context"

	"github.com/shopspring/decimal"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
)

// Alerts returns the cluster's alerts as of today, authority names and
// tender titles in p's language. Only the cluster sees them: anyone else is forbidden.
func (s *Store) Alerts(ctx context.Context, p *auth.Principal, today calendar.Date) (_ *Alerts, err error) {
	defer apperr.Wrap(&err, "volumes.Store.Alerts(%s)", today)
	if !p.IsCluster() {
		return nil, apperr.Forbidden("volumes.alerts_cluster_only")
	}
	a := &Alerts{Today: today, ExpiringTenders: []ExpiringTender{}, Ceilings: []CapacityAlert{},
		Allocations: []CapacityAlert{}, Certificates: []CertificateAlert{}, OverdueOrders: []OverdueOrder{}}

	const qt = `SELECT id, number, name_in($3, title, title_ar, title_en) AS title, coalesce(extended_until, valid_until) AS ends_on,
			coalesce(extended_until, valid_until) - $1::date AS days_left
		FROM tenders
		WHERE status = 'active' AND coalesce(extended_until, valid_until) BETWEEN $1::date AND $1::date + $2::int
		ORDER BY ends_on, number`
	if err := s.db.SelectContext(ctx, &a.ExpiringTenders, qt, today, TenderExpiryDays, p.Lang); err != nil {
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
		SELECT t.id AS tender_id, t.number, name_in($2, t.title, t.title_ar, t.title_en) AS title, 0::bigint AS authority_id, '' AS authority_name,
			t.ceiling AS limit_amount, u.used
		FROM tenders t JOIN (SELECT tender_id, sum(used) AS used FROM used GROUP BY tender_id) u ON u.tender_id = t.id
		WHERE t.status IN ('active', 'suspended') AND t.ceiling IS NOT NULL AND u.used * 100 >= t.ceiling * $1
		UNION ALL
		SELECT t.id, t.number, name_in($2, t.title, t.title_ar, t.title_en), ta.authority_id, name_in($2, au.name_he, au.name_ar, au.name_en), ta.allocation, u.used
		FROM tender_authorities ta
		JOIN tenders t ON t.id = ta.tender_id
		JOIN authorities au ON au.id = ta.authority_id
		JOIN used u ON u.tender_id = ta.tender_id AND u.authority_id = ta.authority_id
		WHERE t.status IN ('active', 'suspended') AND ta.allocation IS NOT NULL AND u.used * 100 >= ta.allocation * $1
		ORDER BY 1, 4`
	var caps []capacity
	if err := s.db.SelectContext(ctx, &caps, qc, CapacityAlertPercent, p.Lang); err != nil {
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

	// status = 'sent' is the predicate of the index of orders awaiting
	// confirmation.
	const qo = `SELECT v.order_id, o.number, v.authority_id, name_in($2, au.name_he, au.name_ar, au.name_en) AS authority_name,
			v.supplier_id, s.legal_name AS supplier_name, v.tender_id, t.number AS tender_number, v.confirm_by,
			$1::date - v.confirm_by AS days_overdue
		FROM volume_orders v
		JOIN orders o ON o.id = v.order_id
		JOIN authorities au ON au.id = v.authority_id
		JOIN suppliers s ON s.id = v.supplier_id
		JOIN tenders t ON t.id = v.tender_id
		WHERE v.status = 'sent' AND v.confirm_by < $1::date
		ORDER BY v.confirm_by, o.number`
	if err := s.db.SelectContext(ctx, &a.OverdueOrders, qo, today, p.Lang); err != nil {
		return nil, err
	}
	return a, nil
}
