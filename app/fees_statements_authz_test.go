package app

import "madaf/internal/calendar"

// authzParamQueries give route parameters the seeded world holds: each
// key's id is what its query returns.
var authzParamQueries = map[string]string{}

// The issued fee statements: the cluster and the medical supplier read the
// demo's statement of the medical supplier; authority users are refused
// (the list 403, a statement 404), as is the other supplier. Only the
// economic lead and the admin issue statements and record payments.
func init() {
	for route, who := range map[string]string{
		"GET /api/v1/volumes/fees/statements":           "cluster supplier xsupplier",
		"GET /api/v1/volumes/fees/statements/:id":       "cluster supplier",
		"POST /api/v1/volumes/fees/statements":          "cluster",
		"POST /api/v1/volumes/fees/statements/:id/paid": "cluster",
		"GET /fees/statements":                          "cluster",
		"POST /fees/statements":                         "cluster",
		"GET /fees/statements/:id":                      "cluster supplier",
		"POST /fees/statements/:id/paid":                "cluster",
		"GET /supplier/statements":                      "suppliers",
	} {
		authzTable[route] = who
	}
	for route, body := range map[string]string{
		"POST /api/v1/volumes/fees/statements":          `{"supplier_id": {supplier}, "month": "2020-01"}`,
		"POST /api/v1/volumes/fees/statements/:id/paid": `{"paid_on": "` + calendar.Today().String() + `", "payment_reference": "AUTHZ-1"}`,
		"POST /fees/statements":                         "supplier_id={supplier}&month=2020-02",
		"POST /fees/statements/:id/paid":                "paid_on=" + calendar.Today().String() + "&payment_reference=AUTHZ-2",
	} {
		authzBodies[route] = body
	}
	authzParamQueries["statements/:id"] = `SELECT s.id::text FROM fee_statements s JOIN suppliers p ON p.id = s.supplier_id
		WHERE p.company_number = '510000011' ORDER BY s.id LIMIT 1`
}
