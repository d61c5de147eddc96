package volumes

import (
	"context"
	"fmt"

	"github.com/lib/pq"

	"madaf/internal/calendar"
	"madaf/internal/money"
)

// exportedOrder is an order as the orders export lists it.
type exportedOrder struct {
	Number       string        `db:"number"`
	Status       string        `db:"status"`
	SubmittedOn  calendar.Date `db:"submitted_on"`
	Authority    string        `db:"authority"`
	TenderNumber string        `db:"tender_number"`
	TenderTitle  string        `db:"tender_title"`
	Category     string        `db:"category"`
	Supplier     string        `db:"supplier"`
	Subtotal     money.Amount  `db:"subtotal"`
	VAT          money.Amount  `db:"vat"`
	Total        money.Amount  `db:"total"`
	Fee          money.Amount  `db:"fee"`
}

// eachExportedOrder calls fn with each order f selects (already scoped)
// in one of statuses (any when none), in order of submission, authority
// names, tender titles and categories in lang. It reads the orders table
// row by row, so that a large export streams, and stops at fn's first
// error.
func (s *Store) eachExportedOrder(ctx context.Context, f Filter, statuses []string, lang string, fn func(*exportedOrder) error) error {
	args := []any{lang}
	where := f.whereSubmitted(&args)
	if len(statuses) > 0 {
		args = append(args, pq.Array(statuses))
		where += fmt.Sprintf(" AND o.status = ANY($%d)", len(args))
	}
	q := `SELECT o.number, o.status, o.submitted_on, name_in($1, a.name_he, a.name_ar, a.name_en) AS authority,
			t.number AS tender_number, name_in($1, t.title, t.title_ar, t.title_en) AS tender_title,
			name_in($1, t.category, t.category_ar, t.category_en) AS category, s.legal_name AS supplier,
			o.subtotal, o.vat, o.total, o.fee
		FROM orders o
		JOIN authorities a ON a.id = o.authority_id
		JOIN tenders t ON t.id = o.tender_id
		JOIN suppliers s ON s.id = o.supplier_id
		WHERE ` + where + ` ORDER BY o.submitted_on NULLS LAST, o.id`
	rows, err := s.db.QueryxContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var o exportedOrder
		if err := rows.StructScan(&o); err != nil {
			return err
		}
		if err := fn(&o); err != nil {
			return err
		}
	}
	return rows.Err()
}
