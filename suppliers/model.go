// Package suppliers holds the supplier registry, suppliers' compliance
// certificates, suspension, and the answer to "may this supplier receive an
// order on this date".
package suppliers

import (
	"time"

	"github.com/go-playground/validator/v10"

	"madaf/internal/apperr"
	"madaf/internal/calendar"
	"madaf/internal/validate"
)

func init() {
	validate.Validator.RegisterValidation("company_number", func(fl validator.FieldLevel) bool {
		return ValidCompanyNumber(fl.Field().String())
	})
}

// Supplier statuses.
const (
	StatusActive    = "active"
	StatusSuspended = "suspended"
)

// Certificate kinds; all three are mandatory for receiving orders.
const (
	CertBooks          = "books"           // אישור ניהול ספרים
	CertWithholdingTax = "withholding_tax" // אישור ניכוי מס במקור
	CertInsurance      = "insurance"       // ביטוח
)

// MandatoryCertificates are the kinds a supplier must hold, valid, to
// receive an order.
var MandatoryCertificates = []string{CertBooks, CertWithholdingTax, CertInsurance}

// Supplier is a company in the registry.
type Supplier struct {
	ID              int64         `db:"id" json:"id"`
	CompanyNumber   string        `db:"company_number" json:"company_number"`
	LegalName       string        `db:"legal_name" json:"legal_name"`
	Email           string        `db:"email" json:"email"`
	Phone           string        `db:"phone" json:"phone"`
	Address         string        `db:"address" json:"address"`
	Status          string        `db:"status" json:"status"`
	SuspendedReason string        `db:"suspended_reason" json:"suspended_reason,omitempty"`
	SuspendedUntil  calendar.Date `db:"suspended_until" json:"suspended_until"`
	CreatedAt       time.Time     `db:"created_at" json:"created_at"`
	UpdatedAt       time.Time     `db:"updated_at" json:"updated_at"`
}

// SuspendedOn reports whether the supplier is suspended on day d: a
// suspension with an until-date ends after that day.
func (s *Supplier) SuspendedOn(d calendar.Date) bool {
	return s.Status == StatusSuspended && (s.SuspendedUntil.IsZero() || !d.After(s.SuspendedUntil))
}

// SupplierInput is the writable part of a supplier.
type SupplierInput struct {
	CompanyNumber string `json:"company_number" validate:"required,company_number"`
	LegalName     string `json:"legal_name" validate:"required,max=200"`
	Email         string `json:"email" validate:"required,email,max=254"`
	Phone         string `json:"phone" validate:"max=40"`
	Address       string `json:"address" validate:"max=300"`
}

// SuspendInput is a suspension: a reason and, optionally, the last day.
type SuspendInput struct {
	Reason string        `json:"reason" validate:"required,max=500"`
	Until  calendar.Date `json:"until"`
}

// Certificate is a compliance certificate with its expiry.
type Certificate struct {
	ID         int64         `db:"id" json:"id"`
	SupplierID int64         `db:"supplier_id" json:"supplier_id"`
	Kind       string        `db:"kind" json:"kind"`
	Number     string        `db:"number" json:"number"`
	ValidUntil calendar.Date `db:"valid_until" json:"valid_until"`
	CreatedAt  time.Time     `db:"created_at" json:"created_at"`
}

// CertificateInput is a new certificate.
type CertificateInput struct {
	Kind       string        `json:"kind" validate:"required,oneof=books withholding_tax insurance"`
	Number     string        `json:"number" validate:"required,max=60"`
	ValidUntil calendar.Date `json:"valid_until"`
}

// ValidCompanyNumber reports whether s is an Israeli company (or other
// registry) number: nine digits whose check digit is right (weights
// 1,2,1,2,… with the digits of each product summed, total divisible by 10).
func ValidCompanyNumber(s string) bool {
	if len(s) != 9 {
		return false
	}
	sum := 0
	for i, r := range s {
		if r < '0' || r > '9' {
			return false
		}
		d := int(r-'0') * (i%2 + 1)
		sum += d/10 + d%10
	}
	return sum%10 == 0
}

// Reason is why a supplier may not receive an order on a day: it is
// suspended (with the suspension's note and, when it has one, its last
// day), or a mandatory certificate is missing or expired (with the day it
// expired).
type Reason struct {
	Code        string         `json:"code"`
	Certificate string         `json:"certificate,omitempty"`
	Date        *calendar.Date `json:"date,omitempty"`
	Note        string         `json:"note,omitempty"`
}

// Reasons of ineligibility.
const (
	ReasonSuspended          = "suspended"
	ReasonCertificateMissing = "certificate_missing"
	ReasonCertificateExpired = "certificate_expired"
)

// Msg is the reason for a person: a "supplier.reason." key with the
// suspension's note and last day, or the certificate's kind (translated)
// and the day it expired.
func (r Reason) Msg() apperr.Msg {
	switch r.Code {
	case ReasonSuspended:
		if r.Date != nil {
			return apperr.M("supplier.reason.suspended_until", r.Note, r.day())
		}
		return apperr.M("supplier.reason.suspended", r.Note)
	case ReasonCertificateExpired:
		return apperr.M("supplier.reason.certificate_expired", apperr.K("certificate."+r.Certificate), r.day())
	}
	return apperr.M("supplier.reason.certificate_missing", apperr.K("certificate."+r.Certificate))
}

// day is the reason's date as the messages show it, empty without one.
func (r Reason) day() string {
	if r.Date == nil {
		return ""
	}
	return r.Date.String()
}
