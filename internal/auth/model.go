// Package auth is the authentication mechanism: the principal a request
// runs as, sessions and their cookie, personal API tokens, password
// hashing, and the middleware that puts the caller on every request.
// Users themselves (who they are, signing in, their administration) are
// the accounts feature's.
package auth

import "slices"

// Roles, as DESIGN.md "Who uses it".
const (
	RoleClusterAdmin = "cluster_admin"
	RoleEconomicLead = "economic_lead"
	RoleOfficer      = "officer"
	RoleTreasurer    = "treasurer"
	RoleHead         = "head"
	RoleSupplier     = "supplier"
	// RoleCEO (מנכ"ל) and RoleLegalAdviser (יועמ"ש) sit, with the
	// treasurer, on the authority's committee that decides a
	// mini-competition.
	RoleCEO          = "ceo"
	RoleLegalAdviser = "legal_adviser"
	// RoleReceiver (מקבל/ת טובין) is a named receiver of the authority,
	// such as its storekeeper: it records what arrived against its
	// authority's orders and changes nothing else of them. It reads what
	// any user of its authority reads, signs nothing, and so is never a
	// delegate; a user may hold it beside another role.
	RoleReceiver = "receiver"
)

// OnlyReceives reports whether the receiver's is the one role of roles:
// such a user records goods received and may not sign.
func OnlyReceives(roles []string) bool {
	return len(roles) > 0 && !slices.ContainsFunc(roles, func(r string) bool { return r != RoleReceiver })
}

// Organisation kinds: a user belongs to exactly one organisation.
const (
	OrgCluster   = "cluster"
	OrgAuthority = "authority"
	OrgSupplier  = "supplier"
)

// Principal is the authenticated caller of a request. Scoping reads it:
// AuthorityID is set for authority users, SupplierID for supplier users.
type Principal struct {
	UserID      int64
	Email       string
	Name        string
	OrgKind     string
	AuthorityID int64
	SupplierID  int64
	Roles       []string
	Lang        string
	// OrgNameHe, OrgNameAr and OrgNameEn name the caller's authority in
	// each language (Hebrew where a translation is missing) or its
	// supplier's legal name; all are "" for the cluster.
	OrgNameHe, OrgNameAr, OrgNameEn string
	// ViaToken is true when the request carried a personal API token.
	ViaToken bool
	// SecondFactorDue is true when the user's roles or delegations require
	// a second factor that they have not enrolled yet: such a session
	// reaches only the enrolment (see Identify).
	SecondFactorDue bool
}

// Has reports whether the caller holds role.
func (p *Principal) Has(role string) bool { return slices.Contains(p.Roles, role) }

// HasAny reports whether the caller holds at least one of roles.
func (p *Principal) HasAny(roles ...string) bool {
	for _, r := range roles {
		if p.Has(r) {
			return true
		}
	}
	return false
}

// IsCluster reports whether the caller belongs to the cluster (and so sees
// every authority and supplier).
func (p *Principal) IsCluster() bool { return p.OrgKind == OrgCluster }

// OrgName is the caller's organisation in lang: the Hebrew name for an
// unknown language, "" for the cluster.
func (p *Principal) OrgName(lang string) string {
	switch lang {
	case "ar":
		return p.OrgNameAr
	case "en":
		return p.OrgNameEn
	}
	return p.OrgNameHe
}
