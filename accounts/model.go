// Package accounts is the users of the service: signing in and out, the
// choice of language, personal API tokens, and the cluster admin's user
// administration, over the API and as pages. The mechanism it rests on
// (principal, sessions, tokens, password hashing, middleware) is
// internal/auth.
package accounts

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/i18n"
)

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
	// SecondFactor is true once the user has enrolled a second factor.
	SecondFactor bool `db:"second_factor" json:"second_factor"`
	// HasPassword is false for a user invited who has not set one yet.
	HasPassword bool `db:"has_password" json:"-"`
}

// Org is u's organisation as the users page names it: "cluster",
// "authority:<id>" or "supplier:<id>".
func (u *User) Org() string {
	switch {
	case u.AuthorityID != nil:
		return auth.OrgAuthority + ":" + strconv.FormatInt(*u.AuthorityID, 10)
	case u.SupplierID != nil:
		return auth.OrgSupplier + ":" + strconv.FormatInt(*u.SupplierID, 10)
	}
	return auth.OrgCluster
}

// NewUser is what creating a user needs. Exactly one of AuthorityID and
// SupplierID is set for authority and supplier users; neither for the
// cluster. Password is required by Store.CreateUser and not taken by
// Store.InviteUser, whose user sets one through the invitation link.
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

// allRoles lists every role, in the order the users page offers them.
var allRoles = []string{auth.RoleClusterAdmin, auth.RoleEconomicLead, auth.RoleOfficer,
	auth.RoleTreasurer, auth.RoleHead, auth.RoleCEO, auth.RoleLegalAdviser, auth.RoleReceiver, auth.RoleSupplier}

// rolesOf lists the roles each organisation kind may hold.
var rolesOf = map[string][]string{
	auth.OrgCluster:   {auth.RoleClusterAdmin, auth.RoleEconomicLead},
	auth.OrgAuthority: {auth.RoleOfficer, auth.RoleTreasurer, auth.RoleHead, auth.RoleCEO, auth.RoleLegalAdviser, auth.RoleReceiver},
	auth.OrgSupplier:  {auth.RoleSupplier},
}

// Validate reports every field of nu that cannot make a user, together,
// as an invalid error with the key user.invalid; nil when nu is fine.
// A language may be left empty (Hebrew); the password follows the rules of
// a new password (passwordFaults).
func (nu NewUser) Validate() error { return nu.validate(true) }

// validate is Validate, with the password checked only when withPassword.
func (nu NewUser) validate(withPassword bool) error {
	var fields []apperr.FieldError
	if email := strings.TrimSpace(nu.Email); !strings.Contains(email, "@") || len(email) > 254 {
		fields = append(fields, apperr.Field("email", "msg.email"))
	}
	if strings.TrimSpace(nu.Name) == "" {
		fields = append(fields, apperr.Field("name", "msg.required"))
	}
	if withPassword && nu.Password == "" {
		fields = append(fields, apperr.Field("password", "msg.required"))
	} else if withPassword {
		fields = append(fields, passwordFaults("password", nu.Password, nu.Email)...)
	}
	allowed, ok := rolesOf[nu.OrgKind]
	if !ok {
		fields = append(fields, apperr.Field("org", "user.org_kind"))
	}
	if len(nu.Roles) == 0 {
		fields = append(fields, apperr.Field("roles", "msg.required"))
	}
	for _, r := range nu.Roles {
		if ok && !slices.Contains(allowed, r) {
			fields = append(fields, apperr.Field("roles", "user.role_not_of_org."+nu.OrgKind, roleArg(r)))
		}
	}
	if nu.Lang != "" && !i18n.Supported(nu.Lang) {
		fields = append(fields, apperr.Field("lang", "msg.oneof", strings.Join(i18n.Langs, " ")))
	}
	if len(fields) > 0 {
		return apperr.Invalid("user.invalid", fields...)
	}
	return nil
}

// roleArg is role as a message argument: its name in the reader's
// language, or the text given when it is no role at all.
func roleArg(role string) any {
	if slices.Contains(allRoles, role) {
		return apperr.K("role." + role)
	}
	return role
}
