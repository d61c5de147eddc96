package catalog

import (
	"context"

	"madaf/internal/apperr"
	"madaf/internal/calendar"
)

const awardColumns = `a.id, a.tender_id, a.supplier_id, s.legal_name, a.status, a.created_at, a.updated_at`

// Awards returns the awards of tender tenderID, by supplier name.
func (s *Store) Awards(ctx context.Context, tenderID int64) (_ []Award, err error) {
	defer apperr.Wrap(&err, "catalog.Store.Awards(%d)", tenderID)
	const q = `SELECT ` + awardColumns + ` FROM awards a JOIN suppliers s ON s.id = a.supplier_id
		WHERE a.tender_id = $1 ORDER BY s.legal_name, a.id`
	awards := []Award{}
	if err := s.db.SelectContext(ctx, &awards, q, tenderID); err != nil {
		return nil, err
	}
	return awards, nil
}

// Award returns award awardID of tender tenderID, or apperr not-found.
func (s *Store) Award(ctx context.Context, tenderID, awardID int64) (_ *Award, err error) {
	defer apperr.Wrap(&err, "catalog.Store.Award(%d, %d)", tenderID, awardID)
	const q = `SELECT ` + awardColumns + ` FROM awards a JOIN suppliers s ON s.id = a.supplier_id
		WHERE a.tender_id = $1 AND a.id = $2`
	var a Award
	if err := s.db.GetContext(ctx, &a, q, tenderID, awardID); err != nil {
		return nil, notFound(err, "not_found.award")
	}
	return &a, nil
}

// setTenderStatus moves tender id from status from to status to, and
// reports whether it was still in from.
func (s *Store) setTenderStatus(ctx context.Context, id int64, from, to string) (bool, error) {
	const q = `UPDATE tenders SET status = $3, updated_at = now() WHERE id = $1 AND status = $2`
	res, err := s.db.ExecContext(ctx, q, id, from, to)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// publishCounts counts the items and the active awards of tender id.
func (s *Store) publishCounts(ctx context.Context, id int64) (items, awards int, err error) {
	var n struct {
		Items  int `db:"items"`
		Awards int `db:"awards"`
	}
	const q = `
		SELECT (SELECT count(*) FROM tender_items WHERE tender_id = $1) AS items,
		       (SELECT count(*) FROM awards WHERE tender_id = $1 AND status = 'active') AS awards`
	err = s.db.GetContext(ctx, &n, q, id)
	return n.Items, n.Awards, err
}

// ruleAndActiveAwards returns the award rule of tender tenderID and how
// many of its awards are active.
func (s *Store) ruleAndActiveAwards(ctx context.Context, tenderID int64) (rule string, active int, err error) {
	var n struct {
		Rule   string `db:"award_rule"`
		Active int    `db:"active"`
	}
	const q = `SELECT award_rule, (SELECT count(*) FROM awards WHERE tender_id = $1 AND status = 'active') AS active
		FROM tenders WHERE id = $1`
	err = s.db.GetContext(ctx, &n, q, tenderID)
	return n.Rule, n.Active, err
}

// insertAward adds an active award of tender tenderID to supplierID.
func (s *Store) insertAward(ctx context.Context, tenderID, supplierID int64) (int64, error) {
	var id int64
	const q = `INSERT INTO awards (tender_id, supplier_id) VALUES ($1, $2) RETURNING id`
	err := s.db.GetContext(ctx, &id, q, tenderID, supplierID)
	return id, err
}

// supplierStanding returns the status of supplierID and the end of its
// suspension, locking the supplier against change until the end of the
// store's transaction.
func (s *Store) supplierStanding(ctx context.Context, supplierID int64) (status string, until calendar.Date, err error) {
	var sup struct {
		Status         string        `db:"status"`
		SuspendedUntil calendar.Date `db:"suspended_until"`
	}
	const q = `SELECT status, suspended_until FROM suppliers WHERE id = $1 FOR SHARE`
	err = s.db.GetContext(ctx, &sup, q, supplierID)
	return sup.Status, sup.SuspendedUntil, err
}

// lockAward locks award awardID of tender tenderID until the end of the
// store's transaction and returns its status and supplier, or apperr
// not-found.
func (s *Store) lockAward(ctx context.Context, tenderID, awardID int64) (status string, supplierID int64, err error) {
	var a struct {
		Status     string `db:"status"`
		SupplierID int64  `db:"supplier_id"`
	}
	const q = `SELECT status, supplier_id FROM awards WHERE id = $1 AND tender_id = $2 FOR UPDATE`
	if err := s.db.GetContext(ctx, &a, q, awardID, tenderID); err != nil {
		return "", 0, notFound(err, "not_found.award")
	}
	return a.Status, a.SupplierID, nil
}

// setAwardStatus moves award awardID from status from to status to, and
// reports whether it was still in from.
func (s *Store) setAwardStatus(ctx context.Context, awardID int64, from, to string) (bool, error) {
	const q = `UPDATE awards SET status = $3, updated_at = now() WHERE id = $1 AND status = $2`
	res, err := s.db.ExecContext(ctx, q, awardID, from, to)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// supplierOption is a supplier that can be awarded.
type supplierOption struct {
	ID   int64  `db:"id"`
	Name string `db:"legal_name"`
}

// awardableSuppliers lists the active suppliers without an award in tender
// tenderID, by name.
func (s *Store) awardableSuppliers(ctx context.Context, tenderID int64) ([]supplierOption, error) {
	const q = `SELECT id, legal_name FROM suppliers WHERE status = 'active'
		AND id NOT IN (SELECT supplier_id FROM awards WHERE tender_id = $1) ORDER BY legal_name`
	var out []supplierOption
	err := s.db.SelectContext(ctx, &out, q, tenderID)
	return out, err
}
