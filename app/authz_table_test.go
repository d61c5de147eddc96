package app

import (
	"fmt"
	"strings"
)

// authzGroups name sets of the matrix's callers. The in-scope
// organisations are זכרון יעקב (officer, treasurer, head, deputy, the
// officer holding the treasurer's delegation, and receiver, its
// storekeeper, who records goods received and changes nothing else) and
// the medical supplier; x… are the same roles of כפר קרע and of another
// supplier. zichron is every user of the authority: what it sees.
var authzGroups = map[string][]string{
	"all":       authzCallerNames,
	"signed":    authzCallerNames[1:],
	"cluster":   {"admin", "lead"},
	"zichron":   {"officer", "treasurer", "head", "deputy", "receiver"},
	"kafrqara":  {"xofficer", "xtreasurer", "xhead"},
	"officers":  {"officer", "deputy", "xofficer"},
	"suppliers": {"supplier", "xsupplier"},
}

// authzTable says, for every route, who may call it with the world's ids:
// groups and callers, separated by spaces. Every caller it does not list
// must be refused (401, 403, 404 or the login page).
var authzTable = map[string]string{
	// The service itself, signing in and out, the language.
	"GET /":                             "signed",
	"GET /healthz":                      "all",
	"GET /readyz":                       "all",
	"GET /api/openapi.json":             "all",
	"GET /static/*file":                 "all",
	"GET /login":                        "all",
	"POST /login":                       "all",
	"POST /login/code":                  "all",
	"GET /forgot":                       "all",
	"POST /forgot":                      "all",
	"GET /reset/:token":                 "all",
	"POST /reset/:token":                "all",
	"POST /logout":                      "all",
	"POST /lang":                        "all",
	"POST /api/v1/auth/login":           "all",
	"POST /api/v1/auth/logout":          "all",
	"POST /api/v1/auth/forgot":          "all",
	"GET /api/v1/me":                    "signed",
	"PATCH /api/v1/me":                  "signed",
	"GET /api/v1/auth/tokens":           "signed",
	"POST /api/v1/auth/tokens":          "signed",
	"DELETE /api/v1/auth/tokens/:id":    "officer", // the officer's own token
	"POST /api/v1/me/password":          "signed",
	"GET /api/v1/me/sessions":           "signed",
	"DELETE /api/v1/me/sessions/:id":    "officer", // the officer's own session
	"GET /account":                      "signed",
	"POST /account/password":            "signed",
	"POST /account/sessions/:id/end":    "officer", // the officer's own session
	"POST /account/sessions/end-others": "signed",
	"POST /account/tokens":              "signed",
	"POST /account/tokens/:id/revoke":   "officer", // the officer's own token
	"GET /account/2fa":                  "signed",
	"POST /account/2fa/begin":           "signed",
	"POST /account/2fa/confirm":         "signed",
	"POST /account/2fa/recovery-codes":  "signed",
	"POST /account/2fa/disable":         "signed",

	// Users: the cluster admin only.
	"GET /api/v1/users":                    "admin",
	"POST /api/v1/users":                   "admin",
	"POST /api/v1/users/:id/activate":      "admin",
	"POST /api/v1/users/:id/deactivate":    "admin",
	"POST /api/v1/users/:id/password-link": "admin",
	"GET /admin/users":                     "admin",
	"POST /admin/users":                    "admin",
	"POST /admin/users/:id/active":         "admin",
	"POST /admin/users/:id/password-link":  "admin",

	// Authorities: the cluster and the authority's own users see it; the
	// admin changes it; the holders of a signature slot delegate it.
	"GET /api/v1/authorities":                                        "signed",
	"GET /api/v1/authorities/:id":                                    "cluster zichron",
	"POST /api/v1/authorities":                                       "admin",
	"PUT /api/v1/authorities/:id":                                    "admin",
	"GET /api/v1/authorities/:id/profiles":                           "cluster zichron",
	"POST /api/v1/authorities/:id/profiles":                          "admin",
	"GET /api/v1/authorities/:id/delegations":                        "cluster zichron",
	"POST /api/v1/authorities/:id/delegations":                       "admin treasurer head",
	"POST /api/v1/authorities/:id/delegations/:delegation_id/revoke": "admin treasurer", // the holder of the treasurer's slot, or the admin
	"GET /api/v1/authorities/:id/budget-lines":                       "cluster zichron",
	"POST /api/v1/authorities/:id/budget-lines":                      "treasurer", // the treasurer keeps the budget
	"PUT /api/v1/authorities/:id/budget-lines/:line_id":              "treasurer",
	"GET /admin/authorities":                                         "cluster",
	"POST /admin/authorities":                                        "admin",
	"GET /admin/authorities/:id":                                     "cluster",
	"POST /admin/authorities/:id":                                    "admin",
	"POST /admin/authorities/:id/profiles":                           "admin",
	"POST /admin/authorities/:id/delegations":                        "admin",
	"POST /admin/authorities/:id/delegations/:delegation_id/revoke":  "admin",
	"GET /authority":                                                 "treasurer head xtreasurer xhead",
	"POST /authority/delegations":                                    "treasurer head xtreasurer xhead",
	"POST /authority/delegations/:delegation_id/revoke":              "treasurer", // the holder of the treasurer's slot
	"GET /budget-lines":                                              "treasurer xtreasurer",
	"POST /budget-lines":                                             "treasurer xtreasurer",
	"POST /budget-lines/defaults":                                    "treasurer xtreasurer",

	// Suppliers: everyone signed in sees the registry; the admin keeps it.
	"GET /api/v1/suppliers":                   "signed",
	"GET /api/v1/suppliers/:id":               "cluster zichron kafrqara supplier",
	"POST /api/v1/suppliers":                  "admin",
	"PUT /api/v1/suppliers/:id":               "admin",
	"POST /api/v1/suppliers/:id/suspend":      "admin",
	"POST /api/v1/suppliers/:id/resume":       "admin",
	"GET /api/v1/suppliers/:id/certificates":  "cluster zichron kafrqara supplier",
	"POST /api/v1/suppliers/:id/certificates": "admin",
	"GET /api/v1/suppliers/:id/eligibility":   "cluster zichron kafrqara supplier",
	"GET /admin/suppliers":                    "cluster",
	"POST /admin/suppliers":                   "admin",
	"GET /admin/suppliers/:id":                "cluster",
	"POST /admin/suppliers/:id":               "admin",
	"POST /admin/suppliers/:id/certificates":  "admin",
	"POST /admin/suppliers/:id/suspend":       "admin",
	"POST /admin/suppliers/:id/resume":        "admin",

	// Catalog: a tender is seen by the cluster, its authorities and its
	// winners; the cluster's lead and admin change it.
	"GET /api/v1/tenders":                                  "signed",
	"POST /api/v1/tenders":                                 "cluster",
	"GET /api/v1/tenders/:id":                              "cluster zichron kafrqara supplier",
	"PUT /api/v1/tenders/:id":                              "cluster",
	"POST /api/v1/tenders/:id/publish":                     "cluster",
	"POST /api/v1/tenders/:id/suspend":                     "cluster",
	"POST /api/v1/tenders/:id/resume":                      "cluster",
	"POST /api/v1/tenders/:id/close":                       "cluster",
	"GET /api/v1/tenders/:id/items":                        "cluster zichron kafrqara supplier",
	"POST /api/v1/tenders/:id/items":                       "cluster",
	"GET /api/v1/tenders/:id/awards":                       "cluster zichron kafrqara supplier",
	"POST /api/v1/tenders/:id/awards":                      "cluster",
	"GET /api/v1/tenders/:id/awards/:award_id":             "cluster zichron kafrqara supplier",
	"POST /api/v1/tenders/:id/awards/:award_id/suspend":    "cluster",
	"POST /api/v1/tenders/:id/awards/:award_id/resume":     "cluster",
	"POST /api/v1/tenders/:id/awards/:award_id/terminate":  "cluster",
	"GET /api/v1/tenders/:id/awards/:award_id/prices":      "cluster zichron kafrqara supplier",
	"POST /api/v1/tenders/:id/awards/:award_id/prices":     "cluster",
	"POST /api/v1/tenders/:id/awards/:award_id/price-list": "cluster",
	"GET /api/v1/catalog/items":                            "signed",
	"GET /catalog":                                         "signed",
	"GET /tenders":                                         "signed",
	"GET /tenders/new":                                     "cluster",
	"POST /tenders":                                        "cluster",
	"GET /tenders/:id":                                     "cluster zichron kafrqara supplier",
	"GET /tenders/:id/price-list.csv":                      "cluster zichron kafrqara supplier",
	"GET /tenders/:id/price-list.xlsx":                     "cluster zichron kafrqara supplier",
	"POST /tenders/:id/items":                              "cluster",
	"POST /tenders/:id/awards":                             "cluster",
	"POST /tenders/:id/awards/:award/prices":               "cluster",
	"POST /tenders/:id/awards/:award/:action":              "cluster",
	"POST /tenders/:id/status/:action":                     "cluster",

	// Orders: an order is seen by the cluster, its authority and, once
	// sent, its supplier; each step is its role's.
	"POST /api/v1/orders":             "officers",
	"GET /api/v1/orders":              "signed",
	"GET /api/v1/orders/quote":        "signed",
	"GET /api/v1/orders/:id":          "cluster zichron supplier",
	"PUT /api/v1/orders/:id":          "officer deputy",
	"GET /api/v1/orders/:id/events":   "cluster zichron supplier",
	"POST /api/v1/orders/:id/submit":  "officer deputy",
	"POST /api/v1/orders/:id/sign":    "treasurer head deputy",
	"POST /api/v1/orders/:id/return":  "treasurer head", // not a delegate
	"POST /api/v1/orders/:id/confirm": "supplier",
	"POST /api/v1/orders/:id/reject":  "supplier",
	"POST /api/v1/orders/:id/deliver": "supplier",
	"POST /api/v1/orders/:id/close":   "officer deputy",
	"POST /api/v1/orders/:id/cancel":  "officer deputy",
	"GET /api/v1/budget-lines":        "signed",
	"GET /api/v1/budget-lines/:id":    "cluster zichron",
	"GET /cart":                       "officers",
	"POST /cart/items":                "officers",
	"GET /inbox":                      "signed",
	"GET /supplier/orders":            "suppliers",
	"GET /orders":                     "signed",
	"GET /orders/:id":                 "cluster zichron supplier",
	"GET /orders/:id/edit":            "officer deputy",
	"POST /orders/:id/edit":           "officer deputy",
	"POST /orders/:id/sign":           "treasurer head deputy",
	"POST /orders/:id/return":         "treasurer head",
	"POST /orders/:id/confirm":        "supplier",
	"POST /orders/:id/reject":         "supplier",
	"POST /orders/:id/deliver":        "supplier",
	"POST /orders/:id/close":          "officer deputy",
	"POST /orders/:id/cancel":         "officer deputy",

	// Mini-competitions: a request is seen by the cluster, its authority
	// and the winners invited to it; the officer runs it, the invited
	// winners quote, the committee (here its treasurer) decides, and the
	// lead reads the report.
	"GET /api/v1/competitions":                                    "signed",
	"POST /api/v1/competitions":                                   "officers",
	"GET /api/v1/competitions/report":                             "cluster",
	"GET /api/v1/competitions/:id":                                "cluster zichron supplier",
	"PUT /api/v1/competitions/:id":                                "officer deputy",
	"POST /api/v1/competitions/:id/publish":                       "officer deputy",
	"POST /api/v1/competitions/:id/cancel":                        "officer deputy",
	"GET /api/v1/competitions/:id/events":                         "cluster zichron",
	"GET /api/v1/competitions/:id/questions":                      "cluster zichron supplier",
	"POST /api/v1/competitions/:id/questions":                     "supplier",
	"POST /api/v1/competitions/:id/questions/:question_id/answer": "officer deputy",
	"GET /api/v1/competitions/:id/quote":                          "supplier",
	"PUT /api/v1/competitions/:id/quote":                          "supplier",
	"POST /api/v1/competitions/:id/quote/withdraw":                "supplier",
	"POST /api/v1/competitions/:id/decline":                       "supplier",
	"GET /api/v1/competitions/:id/quotes":                         "cluster zichron supplier",
	"GET /api/v1/competitions/:id/protocol":                       "cluster zichron",
	"POST /api/v1/competitions/:id/proposal":                      "treasurer",
	"POST /api/v1/competitions/:id/votes":                         "treasurer",
	"POST /api/v1/competitions/:id/pass":                          "officer deputy",
	"PUT /api/v1/tenders/:id/competition":                         "lead", // the economic lead sets a tender's competition rules
	"GET /competitions":                                           "signed",
	"GET /competitions/new":                                       "officers",
	"POST /competitions":                                          "officers",
	"GET /competitions/:id":                                       "cluster zichron supplier",
	"POST /competitions/:id/publish":                              "officer deputy",
	"POST /competitions/:id/cancel":                               "officer deputy",
	"POST /competitions/:id/questions":                            "supplier",
	"POST /competitions/:id/questions/:question_id/answer":        "officer deputy",
	"POST /competitions/:id/quote":                                "supplier",
	"POST /competitions/:id/quote/withdraw":                       "supplier",
	"POST /competitions/:id/decline":                              "supplier",
	"GET /competitions/:id/protocol":                              "cluster zichron",
	"POST /competitions/:id/proposal":                             "treasurer",
	"POST /competitions/:id/votes":                                "treasurer",
	"GET /supplier/competitions":                                  "suppliers",
	"GET /committee/competitions":                                 "treasurer xtreasurer",

	// Volumes: every answer is scoped to the caller; the alerts and the
	// dashboard are the cluster's.
	"GET /api/v1/volumes":                "signed",
	"GET /api/v1/volumes/headline":       "signed",
	"GET /api/v1/volumes/fees":           "signed",
	"GET /api/v1/volumes/fees/statement": "signed",
	"GET /api/v1/volumes/performance":    "signed",
	"GET /api/v1/volumes/alerts":         "cluster",
	"GET /api/v1/exports/orders.csv":     "signed",
	"GET /api/v1/exports/orders.xlsx":    "signed",
	"GET /api/v1/exports/volumes.csv":    "signed",
	"GET /api/v1/exports/volumes.xlsx":   "signed",
	"GET /api/v1/exports/fees.csv":       "signed",
	"GET /api/v1/exports/fees.xlsx":      "signed",
	"GET /api/v1/exports/ocds":           "signed",
	"GET /dashboard":                     "cluster",
	"GET /supplier/volumes":              "suppliers",

	// The audit trail: the cluster's admin and lead, and each authority's
	// treasurer (its own part).
	"GET /api/v1/audit":        "cluster treasurer xtreasurer",
	"GET /api/v1/audit/export": "cluster treasurer xtreasurer",
	"GET /audit":               "cluster treasurer xtreasurer",

	// The work plan: the cluster's only; its lead and admin change it.
	"GET /api/v1/workplan":                         "cluster",
	"GET /api/v1/workplan/engines":                 "cluster",
	"POST /api/v1/workplan/engines/import":         "cluster",
	"GET /api/v1/workplan/engines/:id":             "cluster",
	"GET /api/v1/workplan/:year":                   "cluster",
	"GET /api/v1/workplan/:year/summary":           "cluster",
	"GET /api/v1/workplan/:year/summary.xlsx":      "cluster",
	"GET /api/v1/workplan/:year/plan.xlsx":         "cluster",
	"POST /api/v1/workplan/:year/import":           "cluster",
	"POST /api/v1/workplan/:year/carry-over":       "cluster",
	"GET /api/v1/workplan/:year/tasks/:id":         "cluster",
	"GET /api/v1/workplan/:year/tasks/:id/history": "cluster",
	"POST /api/v1/workplan/:year/tasks/:id/status": "cluster",
	"PATCH /api/v1/workplan/:year/tasks/:id":       "cluster",
	"PUT /api/v1/workplan/:year/goals/:id/engine":  "cluster",
	"GET /workplan":                                "cluster",
	"POST /workplan/import":                        "cluster",
	"GET /workplan/engines":                        "cluster",
	"GET /workplan/:year":                          "cluster",
	"GET /workplan/:year/summary":                  "cluster",
	"POST /workplan/:year/carry-over":              "cluster",
	"POST /workplan/:year/goals/:id/engine":        "cluster",
	"GET /workplan/:year/tasks/:id":                "cluster",
	"POST /workplan/:year/tasks/:id/status":        "cluster",
	"POST /workplan/:year/tasks/:id":               "cluster",
}

// parseAuthzTable expands authzTable into the set of callers allowed on
// each route.
func parseAuthzTable() (map[string]map[string]bool, error) {
	known := map[string]bool{}
	for _, n := range authzCallerNames {
		known[n] = true
	}
	out := make(map[string]map[string]bool, len(authzTable))
	for route, who := range authzTable {
		set := map[string]bool{}
		for _, w := range strings.Fields(who) {
			switch {
			case authzGroups[w] != nil:
				for _, n := range authzGroups[w] {
					set[n] = true
				}
			case known[w]:
				set[w] = true
			default:
				return nil, fmt.Errorf("authzTable[%q]: %q is neither a caller nor a group", route, w)
			}
		}
		out[route] = set
	}
	return out, nil
}

// authzBodies are valid bodies of the routes that an empty body cannot
// act on, JSON for the API and a form for a page, so that the callers the
// table allows are seen to be allowed;
// {name} is a value of the world (authzWorld.fill) or, {order_line}, the
// line of the route's own order.
var authzBodies = map[string]string{
	"POST /api/v1/orders": `{"tender_id": {tender}, "supplier_id": {supplier}, "budget_line_id": {budget_line},
		"delivery_address": "בניין המועצה", "requested_date": "{later}", "lines": [{"item_id": {item}, "quantity": "1"}]}`,
	"PUT /api/v1/orders/:id": `{"tender_id": {tender}, "supplier_id": {supplier}, "budget_line_id": {budget_line},
		"delivery_address": "בניין המועצה", "requested_date": "{later}", "lines": [{"item_id": {item}, "quantity": "2"}]}`,
	"POST /api/v1/orders/:id/return":                    `{"note": "לבדיקה"}`,
	"POST /api/v1/orders/:id/cancel":                    `{"reason": "no_longer_needed"}`,
	"POST /api/v1/orders/:id/confirm":                   `{"promised_date": "{date}"}`,
	"POST /api/v1/orders/:id/reject":                    `{"reason": "אין מלאי"}`,
	"POST /api/v1/orders/:id/deliver":                   `{"lines": [{"line_id": {order_line}, "quantity": "1"}]}`,
	"POST /api/v1/orders/:id/close":                     `{"invoice_ref": "INV-1"}`,
	"POST /api/v1/authorities/:id/budget-lines":         `{"fiscal_year": {line_year}, "code": "9-999", "name": "בדיקה", "amount": "100.00"}`,
	"PUT /api/v1/authorities/:id/budget-lines/:line_id": `{"fiscal_year": {line_year}, "code": "{line_code}", "name": "{line_name}", "amount": "{line_amount}"}`,
	"POST /orders/:id/return":                           "return_note=%D7%9C%D7%91%D7%93%D7%99%D7%A7%D7%94",
	"POST /orders/:id/cancel":                           "cancel_reason=no_longer_needed",
	"POST /orders/:id/confirm":                          "promised_date={date}",
	"POST /orders/:id/reject":                           "reason=%D7%90%D7%99%D7%9F+%D7%9E%D7%9C%D7%90%D7%99",
	"POST /orders/:id/deliver":                          "deliver_{order_line}=1",
	"POST /orders/:id/close":                            "invoice_ref=INV-1",
	"POST /authority/delegations/:delegation_id/revoke": "confirm=yes",
}
