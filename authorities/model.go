// Package authorities holds the cluster's member authorities and their
// budget lines per fiscal year.
package authorities

import (
	"time"

	"github.com/shopspring/decimal"

	"madaf/internal/money"
)

// Kinds of authority.
const (
	KindMunicipality    = "municipality"
	KindLocalCouncil    = "local_council"
	KindRegionalCouncil = "regional_council"
)

// Authority is a member authority. SignatureThreshold is the order total
// (incl. VAT) at or above which both the treasurer and the head sign.
type Authority struct {
	ID                 int64        `db:"id" json:"id"`
	Code               string       `db:"code" json:"code"`
	NameHe             string       `db:"name_he" json:"name_he"`
	NameAr             string       `db:"name_ar" json:"name_ar"`
	NameEn             string       `db:"name_en" json:"name_en"`
	Kind               string       `db:"kind" json:"kind"`
	SignatureThreshold money.Amount `db:"signature_threshold" json:"signature_threshold"`
	Active             bool         `db:"active" json:"active"`
	CreatedAt          time.Time    `db:"created_at" json:"created_at"`
	UpdatedAt          time.Time    `db:"updated_at" json:"updated_at"`
}

// Name returns the authority's name in lang, falling back to Hebrew.
func (a *Authority) Name(lang string) string {
	switch {
	case lang == "ar" && a.NameAr != "":
		return a.NameAr
	case lang == "en" && a.NameEn != "":
		return a.NameEn
	}
	return a.NameHe
}

// AuthorityInput is the writable part of an authority.
type AuthorityInput struct {
	Code               string          `json:"code" validate:"required,numeric,max=6"`
	NameHe             string          `json:"name_he" validate:"required,max=200"`
	NameAr             string          `json:"name_ar" validate:"max=200"`
	NameEn             string          `json:"name_en" validate:"max=200"`
	Kind               string          `json:"kind" validate:"required,oneof=municipality local_council regional_council"`
	SignatureThreshold decimal.Decimal `json:"signature_threshold"`
	Active             *bool           `json:"active"`
}

// BudgetLine is an authority's budget line for one fiscal year.
type BudgetLine struct {
	ID          int64        `db:"id" json:"id"`
	AuthorityID int64        `db:"authority_id" json:"authority_id"`
	FiscalYear  int          `db:"fiscal_year" json:"fiscal_year"`
	Code        string       `db:"code" json:"code"`
	Name        string       `db:"name" json:"name"`
	Amount      money.Amount `db:"amount" json:"amount"`
	CreatedAt   time.Time    `db:"created_at" json:"created_at"`
	UpdatedAt   time.Time    `db:"updated_at" json:"updated_at"`
}

// BudgetLineInput is the writable part of a budget line.
type BudgetLineInput struct {
	FiscalYear int             `json:"fiscal_year" validate:"required,min=2000,max=2100"`
	Code       string          `json:"code" validate:"required,max=40"`
	Name       string          `json:"name" validate:"required,max=200"`
	Amount     decimal.Decimal `json:"amount"`
}
