package app

import (
	"crypto/sha256"
	"fmt"
	"strconv"
	"testing"

	"madaf/internal/calendar"
)

// auditPDF is the document the document writes upload: a small PDF.
const auditPDF = "%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n" +
	"trailer\n<< /Root 1 0 R >>\n%%EOF\n"

// The writes of an order's change requests and of documents, each with the
// entry of the trail it must leave (see auditWrites). A change is an
// audited row (with its lines and signatures) and each of its steps also
// appends an order event, the order's own history; a document's metadata is
// audited, its bytes are not.
func init() {
	changeEvent := func(action, status string) *[3]string { return &[3]string{action, status, status} }
	pdf := map[string]string{"file_name": `"תעודת משלוח 118.pdf"`, "content_type": `"application/pdf"`,
		"size": strconv.Itoa(len(auditPDF)), "sha256": fmt.Sprintf(`"%x"`, sha256.Sum256([]byte(auditPDF))),
		"uploaded_at": "?", "replaces": "null"}
	document := func(kind, owner, authority, by string) map[string]string {
		m := map[string]string{"owner_kind": `"` + kind + `"`, "owner_id": owner, "authority_id": authority, "uploaded_by": by}
		for k, v := range pdf {
			m[k] = v
		}
		return m
	}
	for route, w := range map[string]auditWrite{
		// The order (one line, 1 × 193.42, VAT 18%) raised to 3 and to be
		// delivered later: it awaits the two signatures and holds the
		// increase.
		"POST /api/v1/orders/:id/changes": {as: "officer", path: "/api/v1/orders/{order}/changes",
			body:    `{"lines": [{"line_id": {order_line_id}, "quantity": "3"}], "requested_date": "{in30}", "reason": "כיתות נוספות נפתחו"}`,
			prepare: func(t *testing.T, w *auditWorld) map[string]string { return w.changeIn(t, "sent", "") },
			object:  "order_changes", action: "insert",
			after: map[string]string{"order_id": "{order}", "authority_id": "{zichron}", "status": `"pending_signature"`,
				"base_revision": "1", "revision": "2", "reason": `"כיתות נוספות נפתחו"`,
				"old_requested_date": `"{in14}"`, "requested_date": `"{in30}"`,
				"old_subtotal": "193.42", "old_vat": "34.82", "old_total": "228.24",
				"subtotal": "580.26", "vat_rate": "18.00", "vat": "104.45", "total": "684.71",
				"old_fee": "3.87", "fee_percent": "2.00", "fee": "11.61",
				"held_subtotal": "386.84", "held_total": "456.47", "signatures_required": `["treasurer", "head"]`,
				"sent_at": "null", "respond_by": "null", "proposed_by": "{officer}", "decided_by": "null"},
			event: changeEvent("change", "sent")},
		"POST /api/v1/orders/:id/changes/:change_id/sign": {as: "treasurer", path: "/api/v1/orders/{order}/changes/{change}/sign",
			body:    `{"slot": "treasurer", "legal": true, "budget_line": true, "no_deficit": true}`,
			prepare: func(t *testing.T, w *auditWorld) map[string]string { return w.changeIn(t, "sent", "pending_signature") },
			object:  "order_change_signatures", action: "insert", objectID: "*",
			after: map[string]string{"change_id": "{change}", "authority_id": "{zichron}", "slot": `"treasurer"`, "user_id": "{treasurer}",
				"capacity": `"holder"`, "delegation_id": "null", "check_legal": "true", "check_budget_line": "true", "check_no_deficit": "true"},
			event: changeEvent("change_sign", "sent")},
		"POST /api/v1/orders/:id/changes/:change_id/accept": {as: "supplier", path: "/api/v1/orders/{order}/changes/{change}/accept",
			body: `{"note": "נספק בכתובת החדשה"}`,
			prepare: func(t *testing.T, w *auditWorld) map[string]string {
				return w.changeIn(t, "confirmed", "pending_supplier")
			},
			object: "order_changes", action: "update", objectID: "{change}",
			before: map[string]string{"status": `"pending_supplier"`, "decided_by": "null", "decided_at": "null"},
			after:  map[string]string{"status": `"accepted"`, "decided_by": "{supplier}", "decided_at": "?"},
			event:  changeEvent("change_accept", "confirmed")},
		"POST /api/v1/orders/:id/changes/:change_id/decline": {as: "supplier", path: "/api/v1/orders/{order}/changes/{change}/decline",
			body:    `{"reason": "אין גישה לכתובת החדשה"}`,
			prepare: func(t *testing.T, w *auditWorld) map[string]string { return w.changeIn(t, "sent", "pending_supplier") },
			object:  "order_changes", action: "update", objectID: "{change}",
			before: map[string]string{"status": `"pending_supplier"`, "decline_reason": `""`, "decided_by": "null"},
			after:  map[string]string{"status": `"declined"`, "decline_reason": `"אין גישה לכתובת החדשה"`, "decided_by": "{supplier}", "decided_at": "?"},
			event:  changeEvent("change_decline", "sent")},
		"POST /api/v1/orders/:id/changes/:change_id/withdraw": {as: "officer", path: "/api/v1/orders/{order}/changes/{change}/withdraw",
			body: `{"note": "הוגשה בטעות"}`,
			prepare: func(t *testing.T, w *auditWorld) map[string]string {
				return w.changeIn(t, "confirmed", "pending_signature")
			},
			object: "order_changes", action: "update", objectID: "{change}",
			before: map[string]string{"status": `"pending_signature"`, "decided_by": "null", "decided_at": "null"},
			after:  map[string]string{"status": `"withdrawn"`, "decided_by": "{officer}", "decided_at": "?"},
			event:  changeEvent("change_withdraw", "confirmed")},

		// Documents: the supplier's delivery note on a sent order is the
		// order's authority's; the cluster's objects' and the suppliers'
		// documents are of no authority.
		"POST /api/v1/orders/:id/documents": {as: "supplier", path: "/api/v1/orders/{order}/documents",
			file: auditPDF, fileName: "תעודת משלוח 118.pdf",
			prepare: func(t *testing.T, w *auditWorld) map[string]string { return w.orderIn(t, "sent") },
			object:  "documents", action: "insert", after: document("order", "{order}", "{zichron}", "{supplier}")},
		"POST /api/v1/competitions/:id/documents": {as: "officer", path: "/api/v1/competitions/{competition}/documents",
			file: auditPDF, fileName: "תעודת משלוח 118.pdf",
			prepare: func(t *testing.T, w *auditWorld) map[string]string { return w.competitionIn(t, "draft") },
			object:  "documents", action: "insert", after: document("competition", "{competition}", "{zichron}", "{officer}")},
		"POST /api/v1/tenders/:id/documents": {as: "lead", path: "/api/v1/tenders/{tender}/documents",
			file: auditPDF, fileName: "תעודת משלוח 118.pdf",
			prepare: func(t *testing.T, w *auditWorld) map[string]string { return w.tender(t, "active") },
			object:  "documents", action: "insert", after: document("tender", "{tender}", "null", "{lead}")},
		"POST /api/v1/suppliers/:id/documents": {as: "supplier", path: "/api/v1/suppliers/{medical}/documents",
			file: auditPDF, fileName: "תעודת משלוח 118.pdf",
			object: "documents", action: "insert", after: document("supplier", "{medical}", "null", "{supplier}")},
		"POST /api/v1/workplan/tasks/:id/documents": {as: "lead", path: "/api/v1/workplan/tasks/{task}/documents",
			file: auditPDF, fileName: "תעודת משלוח 118.pdf",
			prepare: func(t *testing.T, w *auditWorld) map[string]string { return w.task(t, "documents") },
			object:  "documents", action: "insert", after: document("workplan_task", "{task}", "null", "{lead}")},
	} {
		auditWrites[route] = w
	}
}

// changeIn makes an order of זכרון יעקב in status (sent or confirmed; one
// line, 1 × 193.42 (the medical supplier's price of MED-003 after its
// index linkage), to be delivered in 14 days, in14) with, unless change
// is empty, a change of it in that state: pending_signature, the officer's
// raising the line to 3; pending_supplier, the officer's of the delivery
// address only, which goes to the supplier at once. Its values are order,
// order_line_id, in14 and change.
func (w *auditWorld) changeIn(t *testing.T, status, change string) map[string]string {
	t.Helper()
	v := w.orderIn(t, status)
	v["in14"] = calendar.Today().AddDays(14).String()
	path := "/api/v1/orders/" + v["order"] + "/changes"
	switch change {
	case "":
		return v
	case "pending_signature":
		v["change"] = w.call(t, "officer", "POST", path,
			`{"lines": [{"line_id": `+v["order_line_id"]+`, "quantity": "3"}], "reason": "כיתות נוספות נפתחו"}`)["id"]
	case "pending_supplier":
		v["change"] = w.call(t, "officer", "POST", path, `{"delivery_address": "המחסן העירוני", "reason": "המבנה בשיפוץ"}`)["id"]
	default:
		t.Fatalf("no change in %q", change)
	}
	var got string
	if err := w.db.Get(&got, `SELECT status FROM order_changes WHERE id = $1`, v["change"]); err != nil || got != change {
		t.Fatalf("prepare: change %s is %q (%v), want %s", v["change"], got, err, change)
	}
	return v
}
