package app

// The write of an authority's invoice settings is an update of its row in
// the audit trail, under the treasurer who made it.
func init() {
	auditWrites["PUT /api/v1/authorities/:id/settings"] = auditWrite{as: "treasurer", path: "/api/v1/authorities/{zichron}/settings",
		body:   `{"requires_allocation_number": false, "invoice_price_tolerance": "2.50"}`,
		object: "authorities", action: "update", objectID: "{zichron}",
		before: map[string]string{"requires_allocation_number": "true", "invoice_price_tolerance": "0.00", "settings_version": "1"},
		after:  map[string]string{"requires_allocation_number": "false", "invoice_price_tolerance": "2.50", "settings_version": "2"}}
}
