package orders

import (
	"context"
)

// The reads the demo cluster's orders are made from.

// countOrders returns how many orders there are.
func (s *Store) countOrders(ctx context.Context) (int, error) {
	const q = `SELECT count(*) FROM orders`
	var n int
	err := s.db.GetContext(ctx, &n, q)
	return n, err
}

// supplierByNumber returns the id of the supplier with company number.
func (s *Store) supplierByNumber(ctx context.Context, number string) (int64, error) {
	const q = `SELECT id FROM suppliers WHERE company_number = $1`
	var id int64
	err := s.db.GetContext(ctx, &id, q, number)
	return id, err
}

// SupplierUserEmail returns the e-mail of supplier supplierID's first
// active user (the demo's data acts as it).
func (s *Store) SupplierUserEmail(ctx context.Context, supplierID int64) (string, error) {
	const q = `SELECT email FROM users WHERE supplier_id = $1 AND active ORDER BY id LIMIT 1`
	var email string
	err := s.db.GetContext(ctx, &email, q, supplierID)
	return email, err
}
