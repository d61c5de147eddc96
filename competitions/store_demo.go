package competitions

import (
	"context"
)

// The reads the demo cluster's competitions are made from.

// countCompetitions returns how many competitions there are.
func (s *Store) countCompetitions(ctx context.Context) (int, error) {
	const q = `SELECT count(*) FROM competitions`
	var n int
	err := s.db.GetContext(ctx, &n, q)
	return n, err
}

// tenderByNumber returns the id of the tender numbered number, or apperr
// not-found.
func (s *Store) tenderByNumber(ctx context.Context, number string) (int64, error) {
	const q = `SELECT id FROM tenders WHERE number = $1`
	var id int64
	err := s.db.GetContext(ctx, &id, q, number)
	return id, notFound(err, "not_found.tender")
}

// itemBySKU returns the id of tender tenderID's item sku.
func (s *Store) itemBySKU(ctx context.Context, tenderID int64, sku string) (int64, error) {
	const q = `SELECT id FROM tender_items WHERE tender_id = $1 AND sku = $2`
	var id int64
	err := s.db.GetContext(ctx, &id, q, tenderID, sku)
	return id, notFound(err, "not_found.item")
}

// budgetLineCoded returns the id of authority authorityID's budget line
// coded code in fiscal year year.
func (s *Store) budgetLineCoded(ctx context.Context, authorityID int64, year int, code string) (int64, error) {
	const q = `SELECT id FROM budget_lines WHERE authority_id = $1 AND fiscal_year = $2 AND code = $3`
	var id int64
	err := s.db.GetContext(ctx, &id, q, authorityID, year, code)
	return id, notFound(err, "not_found.budget_line")
}

// invitedUsers returns, for each winner invited to round of competition
// competitionID (in the order of the tender's awards), the e-mail of its
// first active user; winners without one are left out.
func (s *Store) invitedUsers(ctx context.Context, competitionID int64, round int) ([]string, error) {
	const q = `SELECT (SELECT u.email FROM users u WHERE u.supplier_id = i.supplier_id AND u.active ORDER BY u.id LIMIT 1) AS email
		FROM competition_invitations i
		WHERE i.competition_id = $1 AND i.round = $2
			AND EXISTS (SELECT 1 FROM users u WHERE u.supplier_id = i.supplier_id AND u.active)
		ORDER BY i.award_id`
	out := []string{}
	err := s.db.SelectContext(ctx, &out, q, competitionID, round)
	return out, err
}
