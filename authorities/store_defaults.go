package authorities

import (
	"context"
	"strings"

	"madaf/internal/apperr"
	"madaf/internal/auth"
)

// The budget line each tender category is charged to by default, per
// authority and fiscal year: the order form preselects it, and no line
// where there is none.

// CategoryDefaults lists, for authority authorityID and fiscal year year,
// every category of the tenders the authority takes part in (and any
// category that has a default) with its default budget line (0 when none),
// by category, if p may see the authority.
func (s *Store) CategoryDefaults(ctx context.Context, p *auth.Principal, authorityID int64, year int) (out []CategoryDefault, err error) {
	defer apperr.Wrap(&err, "authorities.Store.CategoryDefaults(%d, %d)", authorityID, year)
	if _, err := s.Get(ctx, p, authorityID); err != nil {
		return nil, err
	}
	const q = `SELECT c.category, $2::int AS fiscal_year, coalesce(d.budget_line_id, 0) AS budget_line_id
		FROM (SELECT t.category FROM tenders t JOIN tender_authorities ta ON ta.tender_id = t.id WHERE ta.authority_id = $1
			UNION SELECT category FROM budget_line_defaults WHERE authority_id = $1 AND fiscal_year = $2) c
		LEFT JOIN budget_line_defaults d ON d.authority_id = $1 AND d.fiscal_year = $2 AND d.category = c.category
		ORDER BY c.category`
	out = []CategoryDefault{}
	err = s.db.SelectContext(ctx, &out, q, authorityID, year)
	return out, err
}

// SetCategoryDefault makes budget line lineID the default of category for
// authority authorityID in year, as p: only the authority's treasurer may
// (not found out of scope, forbidden otherwise). lineID 0 removes the
// default. A line that is not the authority's of that year is an invalid
// budget_line_id.
func (s *Store) SetCategoryDefault(ctx context.Context, p *auth.Principal, authorityID int64, year int, category string, lineID int64) (err error) {
	defer apperr.Wrap(&err, "authorities.Store.SetCategoryDefault(%d, %d, %q, %d)", authorityID, year, category, lineID)
	if err := s.canWriteBudget(ctx, p, authorityID); err != nil {
		return err
	}
	category = strings.TrimSpace(category)
	if category == "" {
		return apperr.Invalid("authority.budget_default.invalid", apperr.Field("category", "msg.required"))
	}
	if lineID == 0 {
		const q = `DELETE FROM budget_line_defaults WHERE authority_id = $1 AND fiscal_year = $2 AND category = $3`
		_, err := s.db.ExecContext(ctx, q, authorityID, year, category)
		return err
	}
	const q = `INSERT INTO budget_line_defaults (authority_id, fiscal_year, category, budget_line_id, set_by)
		SELECT b.authority_id, b.fiscal_year, $3::text, b.id, $5::bigint FROM budget_lines b
		WHERE b.id = $4 AND b.authority_id = $1 AND b.fiscal_year = $2
		ON CONFLICT (authority_id, fiscal_year, category)
		DO UPDATE SET budget_line_id = EXCLUDED.budget_line_id, set_by = EXCLUDED.set_by, set_at = now()`
	var by *int64
	if p.UserID != 0 {
		by = &p.UserID
	}
	res, err := s.db.ExecContext(ctx, q, authorityID, year, category, lineID, by)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return apperr.Invalid("authority.budget_default.invalid",
			apperr.Field("budget_line_id", "authority.budget_default.not_our_line", year))
	}
	return nil
}

// DefaultBudgetLine returns the default budget line of category for
// authority authorityID in year, without scoping (the order form of an
// order already in scope asks); 0 when there is none.
func (s *Store) DefaultBudgetLine(ctx context.Context, authorityID int64, year int, category string) (lineID int64, err error) {
	defer apperr.Wrap(&err, "authorities.Store.DefaultBudgetLine(%d, %d, %q)", authorityID, year, category)
	const q = `SELECT coalesce((SELECT budget_line_id FROM budget_line_defaults
		WHERE authority_id = $1 AND fiscal_year = $2 AND category = $3), 0)`
	err = s.db.GetContext(ctx, &lineID, q, authorityID, year, category)
	return lineID, err
}
