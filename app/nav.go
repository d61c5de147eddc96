package app

import (
	"madaf/internal/auth"
	"madaf/internal/page"
)

// navigation is the header's navigation, every feature's entries in one
// table: a user sees the entries of their roles, in Order, and the first
// is their home page.
var navigation = []page.NavItem{
	{Key: "nav.dashboard", Path: "/dashboard", Roles: []string{auth.RoleEconomicLead, auth.RoleClusterAdmin}, Order: 1},
	{Key: "nav.catalog", Path: "/catalog", Roles: []string{auth.RoleOfficer}, Order: 10},
	{Key: "nav.my_volumes", Path: "/supplier/volumes", Roles: []string{auth.RoleSupplier}, Order: 25},
	{Key: "nav.tenders", Path: "/tenders", Roles: []string{auth.RoleEconomicLead, auth.RoleClusterAdmin}, Order: 30},
	{Key: "nav.suppliers", Path: "/admin/suppliers", Roles: []string{auth.RoleClusterAdmin, auth.RoleEconomicLead}, Order: 41},
	{Key: "nav.users", Path: "/admin/users", Roles: []string{auth.RoleClusterAdmin}, Order: 42},
	{Key: "nav.workplan", Path: "/workplan", Roles: []string{auth.RoleEconomicLead, auth.RoleClusterAdmin}, Order: 60},
	{Key: "nav.audit", Path: "/audit", Roles: []string{auth.RoleClusterAdmin, auth.RoleEconomicLead, auth.RoleTreasurer}, Order: 70},
	{Key: "nav.committee", Path: "/committee/competitions", Roles: []string{auth.RoleCEO, auth.RoleLegalAdviser}, Order: 3},
	{Key: "nav.committee", Path: "/committee/competitions", Roles: []string{auth.RoleTreasurer}, Order: 7},
	{Key: "nav.invitations", Path: "/supplier/competitions", Roles: []string{auth.RoleSupplier}, Order: 6},
	{Key: "nav.competitions", Path: "/competitions", Roles: []string{auth.RoleOfficer}, Order: 14},
	// The receiver's home: its authority's orders whose goods may still
	// arrive, each with the goods received form once delivered.
	{Key: "nav.to_receive", Path: "/orders?status=to_receive", Roles: []string{auth.RoleReceiver}, Order: 4},
	{Key: "nav.competitions", Path: "/competitions", Roles: []string{auth.RoleEconomicLead, auth.RoleClusterAdmin}, Order: 35},
}
