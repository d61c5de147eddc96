// Package auth holds users, their organisations and roles, password and
// session handling, personal API tokens, and the middleware that puts the
// caller (a Principal) on every request.
package auth

import (
	"slices"
	"time"
)

// Roles, as DESIGN.md "Who uses it".
const (
	RoleClusterAdmin = "cluster_admin"
	RoleEconomicLead = "economic_lead"
	RoleOfficer      = "officer"
	RoleTreasurer    = "treasurer"
	RoleHead         = "head"
	RoleSupplier     = "supplier"
)

// Organisation kinds: a user belongs to exactly one organisation.
const (
	OrgCluster   = "cluster"
	OrgAuthority = "authority"
	OrgSupplier  = "supplier"
)

// rolesOf lists the roles each organisation kind may hold.
var rolesOf = map[string][]string{
	OrgCluster:   {RoleClusterAdmin, RoleEconomicLead},
	OrgAuthority: {RoleOfficer, RoleTreasurer, RoleHead},
	OrgSupplier:  {RoleSupplier},
}

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
	// ViaToken is true when the request carried a personal API token.
	ViaToken bool
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

// User is a stored user, without its password hash.
type User struct {
	ID          int64     `db:"id" json:"id"`
	Email       string    `db:"email" json:"email"`
	Name        string    `db:"name" json:"name"`
	OrgKind     string    `db:"org_kind" json:"org_kind"`
	AuthorityID *int64    `db:"authority_id" json:"authority_id,omitempty"`
	SupplierID  *int64    `db:"supplier_id" json:"supplier_id,omitempty"`
	Roles       []string  `db:"-" json:"roles"`
	Lang        string    `db:"lang" json:"lang"`
	Active      bool      `db:"active" json:"active"`
	CreatedAt   time.Time `db:"created_at" json:"created_at"`
}

// Principal builds the request principal of u.
func (u *User) Principal() *Principal {
	p := &Principal{UserID: u.ID, Email: u.Email, Name: u.Name, OrgKind: u.OrgKind, Roles: u.Roles, Lang: u.Lang}
	if u.AuthorityID != nil {
		p.AuthorityID = *u.AuthorityID
	}
	if u.SupplierID != nil {
		p.SupplierID = *u.SupplierID
	}
	return p
}

// NewUser is what creating a user needs. Exactly one of AuthorityID and
// SupplierID is set for authority and supplier users; neither for the
// cluster.
type NewUser struct {
	Email       string
	Name        string
	Password    string
	OrgKind     string
	AuthorityID int64
	SupplierID  int64
	Roles       []string
	Lang        string
}
