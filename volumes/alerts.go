package volumes

import "madaf/internal/calendar"

// Alert thresholds.
const (
	// TenderExpiryDays: a tender ending within this many days is flagged.
	TenderExpiryDays = 60
	// CapacityAlertPercent: a ceiling or allocation used this much or more
	// is flagged.
	CapacityAlertPercent = 80
	// CertificateExpiryDays: a supplier's latest certificate of a kind
	// ending within this many days (or already ended) is flagged.
	CertificateExpiryDays = 30
)

// Alerts are what the economic lead should act on.
type Alerts struct {
	Today           calendar.Date      `json:"today"`
	ExpiringTenders []ExpiringTender   `json:"expiring_tenders"`
	Ceilings        []CapacityAlert    `json:"ceilings"`
	Allocations     []CapacityAlert    `json:"allocations"`
	Certificates    []CertificateAlert `json:"certificates"`
	OverdueOrders   []OverdueOrder     `json:"overdue_orders"`
}

// ExpiringTender is an active tender whose validity (with its extension)
// ends within TenderExpiryDays.
type ExpiringTender struct {
	TenderID int64         `db:"id" json:"tender_id"`
	Number   string        `db:"number" json:"tender_number"`
	Title    string        `db:"title" json:"tender_title"`
	EndsOn   calendar.Date `db:"ends_on" json:"ends_on"`
	DaysLeft int           `db:"days_left" json:"days_left"`
}

// CapacityAlert is a ceiling, or one authority's allocation, used at
// CapacityAlertPercent or more. AuthorityName is in the reader's language.
type CapacityAlert struct {
	TenderID      int64  `db:"tender_id" json:"tender_id"`
	TenderNumber  string `db:"number" json:"tender_number"`
	TenderTitle   string `db:"title" json:"tender_title"`
	AuthorityID   int64  `db:"authority_id" json:"authority_id,omitempty"`
	AuthorityName string `db:"authority_name" json:"authority_name,omitempty"`
	Utilisation
}

// CertificateAlert is a supplier's certificate kind whose latest
// certificate ends within CertificateExpiryDays or has ended.
type CertificateAlert struct {
	SupplierID   int64         `db:"supplier_id" json:"supplier_id"`
	SupplierName string        `db:"legal_name" json:"supplier_name"`
	Kind         string        `db:"kind" json:"kind"`
	ValidUntil   calendar.Date `db:"valid_until" json:"valid_until"`
	DaysLeft     int           `db:"days_left" json:"days_left"`
	Expired      bool          `db:"expired" json:"expired"`
}

// OverdueOrder is an order sent to its supplier and not answered by its
// confirmation deadline. AuthorityName is in the reader's language.
type OverdueOrder struct {
	OrderID       int64         `db:"order_id" json:"order_id"`
	OrderNumber   string        `db:"number" json:"order_number"`
	AuthorityID   int64         `db:"authority_id" json:"authority_id"`
	AuthorityName string        `db:"authority_name" json:"authority_name"`
	SupplierID    int64         `db:"supplier_id" json:"supplier_id"`
	SupplierName  string        `db:"supplier_name" json:"supplier_name"`
	TenderID      int64         `db:"tender_id" json:"tender_id"`
	TenderNumber  string        `db:"tender_number" json:"tender_number"`
	ConfirmBy     calendar.Date `db:"confirm_by" json:"confirm_by"`
	DaysOverdue   int           `db:"days_overdue" json:"days_overdue"`
}
