package authorities

import (
	"context"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/database"
	"madaf/internal/validate"
)

// profileColumns reads a profile pr with the name of who recorded it (u)
// and whether it is the one in force on $1.
const profileColumns = `pr.authority_id, pr.effective_from, pr.kind, pr.population, pr.delegation_band,
	pr.recorded_by, u.name AS recorded_by_name, pr.recorded_at,
	pr.effective_from = (SELECT f.effective_from FROM authority_profile_on(pr.authority_id, $1) f) AS in_force`

// Profile returns the profile of authority authorityID in force on day
// (the latest from day or before; before the authority's first profile,
// that one), without scoping: for features that have already scoped their
// own object. It runs on the store's handle, so inside a caller's
// transaction with InTx. An authority without one is apperr not-found
// ("not_found.authority").
func (s *Store) Profile(ctx context.Context, authorityID int64, day calendar.Date) (pr *Profile, err error) {
	defer apperr.Wrap(&err, "authorities.Store.Profile(%d, %s)", authorityID, day)
	const q = `SELECT ` + profileColumns + ` FROM authority_profile_on($2, $1) pr
		LEFT JOIN users u ON u.id = pr.recorded_by`
	pr = &Profile{}
	if err := s.db.GetContext(ctx, pr, q, day, authorityID); err != nil {
		return nil, notFound(err, "not_found.authority")
	}
	return pr, nil
}

// Profiles lists the profiles of authority authorityID, newest first, if
// p may see the authority; InForce marks the one in force today.
func (s *Store) Profiles(ctx context.Context, p *auth.Principal, authorityID int64) (out []Profile, err error) {
	defer apperr.Wrap(&err, "authorities.Store.Profiles(%d)", authorityID)
	if _, err := s.Get(ctx, p, authorityID); err != nil {
		return nil, err
	}
	const q = `SELECT ` + profileColumns + ` FROM authority_profiles pr
		LEFT JOIN users u ON u.id = pr.recorded_by
		WHERE pr.authority_id = $2 ORDER BY pr.effective_from DESC`
	out = []Profile{}
	err = s.db.SelectContext(ctx, &out, q, calendar.Today(), authorityID)
	return out, err
}

// SetProfile records, as p, the profile of authority authorityID from
// in.EffectiveFrom: only the cluster admin may (else forbidden,
// "authority.profile.admin_only"); out of p's scope the authority is not
// found. A band left out is LegalBand(in.Population). A profile from a day
// that already has one replaces it; earlier and later profiles stay.
func (s *Store) SetProfile(ctx context.Context, p *auth.Principal, authorityID int64, in ProfileInput) (pr *Profile, err error) {
	defer apperr.Wrap(&err, "authorities.Store.SetProfile(%d, %s)", authorityID, in.EffectiveFrom)
	if _, err := s.Get(ctx, p, authorityID); err != nil {
		return nil, err
	}
	if !p.Has(auth.RoleClusterAdmin) {
		return nil, apperr.Forbidden("authority.profile.admin_only")
	}
	if err := checkProfile(&in); err != nil {
		return nil, err
	}
	err = database.Transact(ctx, s.db, func(tx *sqlx.Tx) error {
		st := s.InTx(tx)
		if err := st.writeProfile(ctx, p, authorityID, in); err != nil {
			return err
		}
		const q = `SELECT ` + profileColumns + ` FROM authority_profiles pr
			LEFT JOIN users u ON u.id = pr.recorded_by
			WHERE pr.authority_id = $2 AND pr.effective_from = $3`
		pr = &Profile{}
		return st.db.GetContext(ctx, pr, q, calendar.Today(), authorityID, in.EffectiveFrom)
	})
	return pr, err
}

// checkProfile reports every field of in that breaks a rule.
func checkProfile(in *ProfileInput) error {
	var fields []apperr.FieldError
	if in.EffectiveFrom.IsZero() {
		fields = append(fields, apperr.Field("effective_from", "msg.required"))
	}
	switch {
	case in.Kind == "":
		fields = append(fields, apperr.Field("kind", "msg.required"))
	case !slices.Contains(Kinds, in.Kind):
		fields = append(fields, apperr.Field("kind", "msg.oneof", strings.Join(Kinds, ", ")))
	}
	switch {
	case in.Population < 0:
		fields = append(fields, apperr.Field("population", "msg.min", 0))
	case in.Population > MaxPopulation:
		fields = append(fields, apperr.Field("population", "msg.max", MaxPopulation))
	}
	if in.DelegationBand != nil {
		if fe := validate.Amount("delegation_band", *in.DelegationBand, false); fe != nil {
			fields = append(fields, *fe)
		}
	}
	if len(fields) > 0 {
		return apperr.Invalid("authority.profile.invalid", fields...)
	}
	return nil
}

// writeProfile records in as the profile of authority authorityID from
// in.EffectiveFrom, recorded by p, replacing one from the same day, and
// keeps authorities.kind the kind in force today.
func (s *Store) writeProfile(ctx context.Context, p *auth.Principal, authorityID int64, in ProfileInput) error {
	band := LegalBand(in.Population)
	if in.DelegationBand != nil {
		band = *in.DelegationBand
	}
	var by int64
	if p != nil {
		by = p.UserID
	}
	const q = `INSERT INTO authority_profiles (authority_id, effective_from, kind, population, delegation_band, recorded_by)
		VALUES ($1, $2, $3, $4, $5, NULLIF($6::bigint, 0))
		ON CONFLICT (authority_id, effective_from) DO UPDATE SET kind = EXCLUDED.kind, population = EXCLUDED.population,
			delegation_band = EXCLUDED.delegation_band, recorded_by = EXCLUDED.recorded_by, recorded_at = now()`
	if _, err := s.db.ExecContext(ctx, q, authorityID, in.EffectiveFrom, in.Kind, in.Population, band, by); err != nil {
		return err
	}
	const mirror = `UPDATE authorities SET kind = (SELECT kind FROM authority_profile_on(id, $2)) WHERE id = $1`
	_, err := s.db.ExecContext(ctx, mirror, authorityID, calendar.Today())
	return err
}
