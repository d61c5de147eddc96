package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"madaf/internal/calendar"
	"madaf/internal/database"
)

// tenderCount counts the tenders in the database.
func (s *Store) tenderCount(ctx context.Context) (int, error) {
	var n int
	err := s.db.GetContext(ctx, &n, `SELECT count(*) FROM tenders`)
	return n, err
}

// authorityIDs lists the ids of every authority.
func (s *Store) authorityIDs(ctx context.Context) ([]int64, error) {
	var ids []int64
	err := s.db.SelectContext(ctx, &ids, `SELECT id FROM authorities ORDER BY id`)
	return ids, err
}

// ensureDemoSuppliers returns the ids of the demo suppliers by company
// number, adding the missing ones with certificates valid for 400 days.
func (s *Store) ensureDemoSuppliers(ctx context.Context) (map[string]int64, error) {
	ids := map[string]int64{}
	validUntil := calendar.Today().AddDays(400)
	err := database.Transact(ctx, s.db, func(tx *sqlx.Tx) error {
		for _, d := range demoSuppliers {
			var id int64
			err := tx.GetContext(ctx, &id, `SELECT id FROM suppliers WHERE company_number = $1`, d.number)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			if err != nil {
				const q = `INSERT INTO suppliers (company_number, legal_name, email, phone, address)
					VALUES ($1, $2, $3, $4, $5) RETURNING id`
				if err := tx.GetContext(ctx, &id, q, d.number, d.name, d.email, d.phone, d.address); err != nil {
					return err
				}
				for _, kind := range []string{"books", "withholding_tax", "insurance"} {
					const qc = `INSERT INTO supplier_certificates (supplier_id, kind, number, valid_until) VALUES ($1, $2, $3, $4)`
					number := fmt.Sprintf("%s-%s-%d", kind[:3], d.number[5:], time.Now().Year())
					if _, err := tx.ExecContext(ctx, qc, id, kind, number, validUntil); err != nil {
						return err
					}
				}
			}
			ids[d.number] = id
		}
		return nil
	})
	return ids, err
}
