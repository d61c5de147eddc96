package authorities

import (
	"context"

	"github.com/jmoiron/sqlx"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/database"
	"madaf/internal/validate"
)

// canEditSettings answers not-found when authority id is out of p's scope
// and forbidden ("authority.settings.treasurer_only") when p may not change
// its settings; nil when p may.
func (s *Store) canEditSettings(ctx context.Context, p *auth.Principal, id int64) error {
	if _, err := s.Get(ctx, p, id); err != nil {
		return err
	}
	if !mayEditSettings(p, id) {
		return apperr.Forbidden("authority.settings.treasurer_only")
	}
	return nil
}

const settingsColumns = `id, requires_allocation_number, invoice_price_tolerance, settings_version`

// Settings returns the settings of authority id if p may see it (else
// not-found, "not_found.authority").
func (s *Store) Settings(ctx context.Context, p *auth.Principal, id int64) (out *Settings, err error) {
	defer apperr.Wrap(&err, "authorities.Store.Settings(%d)", id)
	if _, err := s.Get(ctx, p, id); err != nil {
		return nil, err
	}
	out = &Settings{}
	if err := s.db.GetContext(ctx, out, `SELECT `+settingsColumns+` FROM authorities WHERE id = $1`, id); err != nil {
		return nil, notFound(err, "not_found.authority")
	}
	out.CanEdit = mayEditSettings(p, id)
	return out, nil
}

// SetSettings writes, as p, the settings of authority id: out of p's scope
// it is not found, for anyone but its treasurer and the cluster admin
// forbidden; a value that breaks a rule is invalid and an ifMatch that
// does not name the settings' current ETag a failed precondition
// ("authority.settings.stale"), each changing nothing. The audit trail of
// authorities records the change and its author.
func (s *Store) SetSettings(ctx context.Context, p *auth.Principal, id int64, ifMatch string, in SettingsInput) (out *Settings, err error) {
	defer apperr.Wrap(&err, "authorities.Store.SetSettings(%d)", id)
	if err := s.canEditSettings(ctx, p, id); err != nil {
		return nil, err
	}
	if err := in.check(); err != nil {
		return nil, err
	}
	err = database.Transact(ctx, s.db, func(tx *sqlx.Tx) error {
		cur := &Settings{}
		if err := tx.GetContext(ctx, cur, `SELECT `+settingsColumns+` FROM authorities WHERE id = $1 FOR UPDATE`, id); err != nil {
			return notFound(err, "not_found.authority")
		}
		if err := validate.Matches(ifMatch, cur.ETag(), "authority.settings.stale"); err != nil {
			return err
		}
		out = &Settings{}
		const q = `UPDATE authorities SET requires_allocation_number = $2, invoice_price_tolerance = $3,
				settings_version = settings_version + 1, updated_at = now()
			WHERE id = $1 RETURNING ` + settingsColumns
		return tx.GetContext(ctx, out, q, id, *in.RequiresAllocationNumber, *in.InvoicePriceTolerance)
	})
	if err != nil {
		return nil, err
	}
	out.CanEdit = true
	return out, nil
}
