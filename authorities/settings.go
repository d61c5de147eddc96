package authorities

import (
	"fmt"

	"github.com/shopspring/decimal"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/money"
	"madaf/internal/validate"
)

// MaxInvoicePriceTolerance is the largest tolerance per unit an authority
// may accept between an invoiced price and the order's (₪1,000).
var MaxInvoicePriceTolerance = decimal.NewFromInt(1000)

// Settings are an authority's invoice settings, which the matching of its
// suppliers' invoices reads: whether a tax invoice above the threshold
// must carry an allocation number (מספר הקצאה), and the tolerance per unit
// between an invoiced price and the order's. Version counts their writes
// (ETag); CanEdit says whether the reader may change them.
type Settings struct {
	AuthorityID              int64        `db:"id" json:"authority_id"`
	RequiresAllocationNumber bool         `db:"requires_allocation_number" json:"requires_allocation_number"`
	InvoicePriceTolerance    money.Amount `db:"invoice_price_tolerance" json:"invoice_price_tolerance"`
	Version                  int          `db:"settings_version" json:"version"`
	CanEdit                  bool         `db:"-" json:"can_edit"`
}

// ETag is the settings' entity tag, as If-Match names it.
func (s *Settings) ETag() string { return fmt.Sprintf(`"s%d"`, s.Version) }

// SettingsInput is a write of an authority's settings: both are required.
type SettingsInput struct {
	RequiresAllocationNumber *bool            `json:"requires_allocation_number"`
	InvoicePriceTolerance    *decimal.Decimal `json:"invoice_price_tolerance"`
}

// check reports every field of in that breaks a rule.
func (in SettingsInput) check() error {
	var fields []apperr.FieldError
	if in.RequiresAllocationNumber == nil {
		fields = append(fields, apperr.Field("requires_allocation_number", "msg.required"))
	}
	switch t := in.InvoicePriceTolerance; {
	case t == nil:
		fields = append(fields, apperr.Field("invoice_price_tolerance", "msg.required"))
	case t.GreaterThan(MaxInvoicePriceTolerance):
		fields = append(fields, apperr.Field("invoice_price_tolerance", "authority.settings.tolerance_cap", money.FormatAmount(MaxInvoicePriceTolerance)))
	default:
		if fe := validate.Amount("invoice_price_tolerance", *t, true); fe != nil {
			fields = append(fields, *fe)
		}
	}
	if len(fields) > 0 {
		return apperr.Invalid("authority.settings.invalid", fields...)
	}
	return nil
}

// mayEditSettings reports whether p may change the settings of authority
// id, which p sees: its own treasurer, who keeps the authority's financial
// controls, or the cluster admin. The head, the officer and the rest read
// them.
func mayEditSettings(p *auth.Principal, id int64) bool {
	return p.Has(auth.RoleClusterAdmin) || (p.OrgKind == auth.OrgAuthority && p.AuthorityID == id && p.Has(auth.RoleTreasurer))
}
