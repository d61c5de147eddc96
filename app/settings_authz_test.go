package app

// An authority's invoice settings: the cluster and the authority's users
// read them over the API; its treasurer and the cluster admin set them.
// The settings page is the authority's officers', treasurer's and head's
// (the treasurer's form), and the cluster's under the authority's page
// (the admin's form).
func init() {
	for route, who := range map[string]string{
		"GET /api/v1/authorities/:id/settings": "cluster zichron",
		"PUT /api/v1/authorities/:id/settings": "admin treasurer",
		"GET /admin/authorities/:id/settings":  "cluster",
		"POST /admin/authorities/:id/settings": "admin",
		"GET /authority/settings":              "officer treasurer head deputy xofficer xtreasurer xhead",
		"POST /authority/settings":             "treasurer xtreasurer",
	} {
		authzTable[route] = who
	}
	for route, body := range map[string]string{
		"PUT /api/v1/authorities/:id/settings": `{"requires_allocation_number": true, "invoice_price_tolerance": "0.50"}`,
		"POST /admin/authorities/:id/settings": "invoice_price_tolerance=0.50&requires_allocation_number=on",
		"POST /authority/settings":             "invoice_price_tolerance=0.50&requires_allocation_number=on",
	} {
		authzBodies[route] = body
	}
}
