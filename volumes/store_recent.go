package volumes

import (
	"context"

	"madaf/internal/apperr"
	"madaf/internal/auth"
)

// RecentOrders returns the limit orders past draft that changed last, for
// the cluster's dashboard, authority names in p's language. It reads the
// orders table, by its index of recent changes. Only the cluster sees
// them: anyone else is forbidden.
func (s *Store) RecentOrders(ctx context.Context, p *auth.Principal, limit int) (_ []RecentOrder, err error) {
	defer apperr.Wrap(&err, "volumes.Store.RecentOrders(%d)", limit)
	if !p.IsCluster() {
		return nil, apperr.Forbidden("volumes.recent_cluster_only")
	}
	const q = `SELECT o.id, o.number, o.status, name_in($1, a.name_he, a.name_ar, a.name_en) AS authority_name,
			s.legal_name AS supplier_name, t.number AS tender_number, o.total, o.updated_at
		FROM orders o JOIN authorities a ON a.id = o.authority_id JOIN suppliers s ON s.id = o.supplier_id
		JOIN tenders t ON t.id = o.tender_id
		WHERE o.status <> 'draft' ORDER BY o.updated_at DESC, o.id DESC LIMIT $2`
	out := []RecentOrder{}
	if err := s.db.SelectContext(ctx, &out, q, p.Lang, limit); err != nil {
		return nil, err
	}
	return out, nil
}
