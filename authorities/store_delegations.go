package authorities

import (
	"context"
	"slices"
	"strings"
	"unicode/utf8"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/money"
	"madaf/internal/validate"
)

// delegationColumns reads a delegation d with the names of its holder (h),
// delegate (g), granter (b) and revoker (r), and its state on $1.
const delegationColumns = `SELECT d.id, d.authority_id, d.slot, d.holder_id, h.name AS holder_name,
		d.delegate_id, g.name AS delegate_name, d.max_total, d.valid_from, d.valid_until, d.note,
		d.granted_by, b.name AS granted_by_name, d.granted_at, d.revoked_at, d.revoked_by, r.name AS revoked_by_name,
		delegation_status(d.revoked_at, d.valid_from, d.valid_until, $1) AS status,
		delegation_status(d.revoked_at, d.valid_from, d.valid_until, $1) = 'in_force' AS in_force
	FROM signature_delegations d
	JOIN users h ON h.id = d.holder_id
	JOIN users g ON g.id = d.delegate_id
	JOIN users b ON b.id = d.granted_by
	LEFT JOIN users r ON r.id = d.revoked_by`

// Members lists the active users of authority authorityID by name, with
// their roles, if p may see the authority.
func (s *Store) Members(ctx context.Context, p *auth.Principal, authorityID int64) (out []Member, err error) {
	defer apperr.Wrap(&err, "authorities.Store.Members(%d)", authorityID)
	if _, err := s.Get(ctx, p, authorityID); err != nil {
		return nil, err
	}
	const q = `SELECT id, name, email, roles FROM users
		WHERE org_kind = 'authority' AND authority_id = $1 AND active ORDER BY name, id`
	out = []Member{}
	err = s.db.SelectContext(ctx, &out, q, authorityID)
	return out, err
}

// member returns user id if they are an active user of authority
// authorityID, else apperr not-found.
func (s *Store) member(ctx context.Context, authorityID, id int64) (*Member, error) {
	const q = `SELECT id, name, email, roles FROM users
		WHERE id = $1 AND org_kind = 'authority' AND authority_id = $2 AND active`
	m := &Member{}
	if err := s.db.GetContext(ctx, m, q, id, authorityID); err != nil {
		return nil, notFound(err, "not_found.user")
	}
	return m, nil
}

// Delegations lists the delegations of authority authorityID that match
// f, newest grant first, with their state on f.On (today when zero), if p
// may see the authority. A slot or a state that is none is an invalid
// filter.
func (s *Store) Delegations(ctx context.Context, p *auth.Principal, authorityID int64, f DelegationFilter) (out []Delegation, err error) {
	defer apperr.Wrap(&err, "authorities.Store.Delegations(%d)", authorityID)
	if _, err := s.Get(ctx, p, authorityID); err != nil {
		return nil, err
	}
	var fields []apperr.FieldError
	if f.Slot != "" && !slices.Contains(Slots, f.Slot) {
		fields = append(fields, apperr.Field("slot", "msg.oneof", strings.Join(Slots, ", ")))
	}
	if f.Status != "" && !slices.Contains(DelegationStatuses, f.Status) {
		fields = append(fields, apperr.Field("status", "msg.oneof", strings.Join(DelegationStatuses, ", ")))
	}
	if len(fields) > 0 {
		return nil, apperr.Invalid("authority.bad_filter", fields...)
	}
	if f.On.IsZero() {
		f.On = calendar.Today()
	}
	const q = delegationColumns + ` WHERE d.authority_id = $2 AND ($3 = '' OR d.slot = $3)
		AND ($4 = '' OR delegation_status(d.revoked_at, d.valid_from, d.valid_until, $1) = $4)
		AND ($5::bigint = 0 OR d.delegate_id = $5)
		ORDER BY d.granted_at DESC, d.id DESC`
	out = []Delegation{}
	err = s.db.SelectContext(ctx, &out, q, f.On, authorityID, f.Slot, f.Status, f.DelegateID)
	return out, err
}

// delegation returns delegation id of authority authorityID with its state
// on day, or apperr not-found ("authority.delegation.not_found").
func (s *Store) delegation(ctx context.Context, authorityID, id int64, day calendar.Date) (*Delegation, error) {
	const q = delegationColumns + ` WHERE d.id = $2 AND d.authority_id = $3`
	d := &Delegation{}
	if err := s.db.GetContext(ctx, d, q, day, id, authorityID); err != nil {
		return nil, notFound(err, "authority.delegation.not_found")
	}
	return d, nil
}

// DelegationFor returns the delegation in force on day that lets user
// delegateID sign slot for authority authorityID: not revoked, day within
// its dates. When several are, it is the one with the highest maximum
// (then the latest granted). None is apperr not-found
// ("authority.delegation.not_found"). It does not scope: the caller has
// scoped its order. Inside a caller's transaction (InTx) the delegation's
// row stays share-locked until the transaction ends, so that a revocation
// waits for a signature given under it, or the signature sees the
// revocation.
func (s *Store) DelegationFor(ctx context.Context, delegateID, authorityID int64, slot string, day calendar.Date) (d *Delegation, err error) {
	defer apperr.Wrap(&err, "authorities.Store.DelegationFor(%d, %d, %q, %s)", delegateID, authorityID, slot, day)
	const q = delegationColumns + ` WHERE d.delegate_id = $2 AND d.authority_id = $3 AND d.slot = $4
		AND d.revoked_at IS NULL AND delegation_status(d.revoked_at, d.valid_from, d.valid_until, $1) = 'in_force'
		ORDER BY d.max_total DESC, d.granted_at DESC, d.id DESC LIMIT 1 FOR SHARE OF d`
	d = &Delegation{}
	if err := s.db.GetContext(ctx, d, q, day, delegateID, authorityID, slot); err != nil {
		return nil, notFound(err, "authority.delegation.not_found")
	}
	return d, nil
}

// LatestDelegation returns the delegation of user delegateID for slot of
// authority authorityID granted last, in force on day or not (its Status
// says why not), without scoping; none is apperr not-found
// ("authority.delegation.not_found"). It lets a refused signature say
// whether the delegation ended, was revoked or is not yet in force.
func (s *Store) LatestDelegation(ctx context.Context, delegateID, authorityID int64, slot string, day calendar.Date) (d *Delegation, err error) {
	defer apperr.Wrap(&err, "authorities.Store.LatestDelegation(%d, %d, %q, %s)", delegateID, authorityID, slot, day)
	const q = delegationColumns + ` WHERE d.delegate_id = $2 AND d.authority_id = $3 AND d.slot = $4
		ORDER BY d.granted_at DESC, d.id DESC LIMIT 1`
	d = &Delegation{}
	if err := s.db.GetContext(ctx, d, q, day, delegateID, authorityID, slot); err != nil {
		return nil, notFound(err, "authority.delegation.not_found")
	}
	return d, nil
}

// GrantDelegation records, as p, a delegation of slot in.Slot of
// authority authorityID. Only the slot's holder (a user of the authority
// holding the slot's role), for their own slot, or the cluster admin,
// naming the holder in in.HolderID and recording the holder's written
// authorisation in in.Note, may grant (else forbidden,
// "authority.delegation.holder_only"); out of p's scope the authority is
// not found. The delegate is an active user of the authority who holds
// no signing role; the maximum is a positive amount; the period ends on
// or after it starts and not before today; a delegation of the
// treasurer's slot is at most the band of the authority's profile in
// force on in.ValidFrom. Every refusal of a field comes back at once
// ("authority.delegation.invalid").
func (s *Store) GrantDelegation(ctx context.Context, p *auth.Principal, authorityID int64, in DelegationInput) (d *Delegation, err error) {
	defer apperr.Wrap(&err, "authorities.Store.GrantDelegation(%d, %q)", authorityID, in.Slot)
	if _, err := s.Get(ctx, p, authorityID); err != nil {
		return nil, err
	}
	admin := p.Has(auth.RoleClusterAdmin)
	if !admin && !p.HasAny(auth.RoleTreasurer, auth.RoleHead) {
		return nil, apperr.Forbidden("authority.delegation.holder_only")
	}
	var fields []apperr.FieldError
	if in.DelegateID == 0 {
		fields = append(fields, apperr.Field("delegate_id", "msg.required"))
	}
	if utf8.RuneCountInString(in.Note) > MaxNote {
		fields = append(fields, apperr.Field("note", "msg.max_len", MaxNote))
	}
	switch {
	case in.Slot == "":
		fields = append(fields, apperr.Field("slot", "msg.required"))
	case !slices.Contains(Slots, in.Slot):
		fields = append(fields, apperr.Field("slot", "msg.oneof", strings.Join(Slots, ", ")))
	}
	if !slices.Contains(Slots, in.Slot) {
		return nil, apperr.Invalid("authority.delegation.invalid", fields...)
	}
	role := SlotRole(in.Slot)
	holderID := p.UserID
	if !admin {
		if !p.Has(role) || (in.HolderID != 0 && in.HolderID != p.UserID) {
			return nil, apperr.Forbidden("authority.delegation.holder_only")
		}
	} else {
		holderID = in.HolderID
		if fe := s.checkHolder(ctx, authorityID, holderID, role); fe != nil {
			fields = append(fields, *fe)
		}
		if strings.TrimSpace(in.Note) == "" {
			fields = append(fields, apperr.Field("note", "authority.delegation.msg.authorisation"))
		}
	}
	if in.DelegateID != 0 {
		fe, err := s.checkDelegate(ctx, authorityID, in.DelegateID, role)
		if err != nil {
			return nil, err
		}
		if fe != nil {
			fields = append(fields, *fe)
		}
	}
	amountOK := true
	if fe := validate.Amount("max_total", in.MaxTotal, false); fe != nil {
		fields, amountOK = append(fields, *fe), false
	}
	fields = append(fields, checkPeriod(&in)...)
	if amountOK && role == auth.RoleTreasurer && !in.ValidFrom.IsZero() {
		pr, err := s.Profile(ctx, authorityID, in.ValidFrom)
		if err != nil {
			return nil, err
		}
		if in.MaxTotal.GreaterThan(pr.DelegationBand.Decimal) {
			fields = append(fields, apperr.Field("max_total", "authority.delegation.msg.above_band", money.Format(pr.DelegationBand.Decimal)))
		}
	}
	if len(fields) > 0 {
		return nil, apperr.Invalid("authority.delegation.invalid", fields...)
	}
	const q = `INSERT INTO signature_delegations
		(authority_id, slot, holder_id, delegate_id, max_total, valid_from, valid_until, note, granted_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`
	var id int64
	if err := s.db.GetContext(ctx, &id, q, authorityID, in.Slot, holderID, in.DelegateID, in.MaxTotal,
		in.ValidFrom, in.ValidUntil, strings.TrimSpace(in.Note), p.UserID); err != nil {
		return nil, err
	}
	return s.delegation(ctx, authorityID, id, calendar.Today())
}

// checkHolder is the refusal of holderID as the holder of role's slot at
// authority authorityID, nil when they hold it.
func (s *Store) checkHolder(ctx context.Context, authorityID, holderID int64, role string) *apperr.FieldError {
	var fe apperr.FieldError
	switch {
	case holderID == 0:
		fe = apperr.Field("holder_id", "msg.required")
	default:
		m, err := s.member(ctx, authorityID, holderID)
		if err == nil && m.Holds(role) {
			return nil
		}
		fe = apperr.Field("holder_id", "authority.delegation.msg.not_holder", apperr.K("role."+role))
	}
	return &fe
}

// checkDelegate is the refusal of delegateID as a delegate for role's
// slot at authority authorityID, nil when they may be one: an active user
// of the authority who signs in neither slot and is not only its receiver.
func (s *Store) checkDelegate(ctx context.Context, authorityID, delegateID int64, role string) (*apperr.FieldError, error) {
	m, err := s.member(ctx, authorityID, delegateID)
	if apperr.Is(err, apperr.KindNotFound) {
		fe := apperr.Field("delegate_id", "authority.delegation.msg.delegate_not_member")
		return &fe, nil
	}
	if err != nil {
		return nil, err
	}
	if m.OnlyReceives() {
		fe := apperr.Field("delegate_id", "authority.delegation.msg.delegate_receiver")
		return &fe, nil
	}
	for _, r := range []string{role, auth.RoleTreasurer, auth.RoleHead} {
		if m.Holds(r) {
			fe := apperr.Field("delegate_id", "authority.delegation.msg.delegate_signs", apperr.K("role."+r))
			return &fe, nil
		}
	}
	return nil, nil
}

// checkPeriod refuses a delegation's missing dates, an end before its
// start and an end before today.
func checkPeriod(in *DelegationInput) []apperr.FieldError {
	var fields []apperr.FieldError
	if in.ValidFrom.IsZero() {
		fields = append(fields, apperr.Field("valid_from", "msg.required"))
	}
	switch {
	case in.ValidUntil.IsZero():
		fields = append(fields, apperr.Field("valid_until", "msg.required"))
	case !in.ValidFrom.IsZero() && in.ValidUntil.Before(in.ValidFrom):
		fields = append(fields, apperr.Field("valid_until", "authority.delegation.msg.until_before_from"))
	case in.ValidUntil.Before(calendar.Today()):
		fields = append(fields, apperr.Field("valid_until", "authority.delegation.msg.past"))
	}
	return fields
}

// MayRevoke answers not-found when authority authorityID or its delegation
// id is out of p's scope, forbidden when p is neither the cluster admin nor
// a holder of the delegation's slot, nil when p may revoke it.
func (s *Store) MayRevoke(ctx context.Context, p *auth.Principal, authorityID, id int64) error {
	if _, err := s.Get(ctx, p, authorityID); err != nil {
		return err
	}
	cur, err := s.delegation(ctx, authorityID, id, calendar.Today())
	if err != nil {
		return err
	}
	if !p.Has(auth.RoleClusterAdmin) && !(p.OrgKind == auth.OrgAuthority && p.Has(SlotRole(cur.Slot))) {
		return apperr.Forbidden("authority.delegation.revoke_holder_only")
	}
	return nil
}

// RevokeDelegation revokes, as p, delegation id of authority authorityID
// from now on. Only a holder of the delegation's slot (a user of the
// authority holding its role) or the cluster admin may (else forbidden,
// "authority.delegation.revoke_holder_only"); a delegation out of p's
// scope is not found, one already revoked a conflict
// ("authority.delegation.already_revoked").
func (s *Store) RevokeDelegation(ctx context.Context, p *auth.Principal, authorityID, id int64) (d *Delegation, err error) {
	defer apperr.Wrap(&err, "authorities.Store.RevokeDelegation(%d, %d)", authorityID, id)
	if err := s.MayRevoke(ctx, p, authorityID, id); err != nil {
		return nil, err
	}
	today := calendar.Today()
	const q = `UPDATE signature_delegations SET revoked_at = now(), revoked_by = $3
		WHERE id = $1 AND authority_id = $2 AND revoked_at IS NULL`
	res, err := s.db.ExecContext(ctx, q, id, authorityID, p.UserID)
	if err != nil {
		return nil, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return nil, err
	}
	if d, err = s.delegation(ctx, authorityID, id, today); err != nil {
		return nil, err
	}
	if n == 0 && d.RevokedAt != nil {
		return nil, apperr.Conflict("authority.delegation.already_revoked", calendar.DateOf(*d.RevokedAt).String())
	}
	return d, nil
}
