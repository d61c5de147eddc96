// Package authorities holds the cluster's member authorities: their
// profiles (kind, population, the legal band of the treasurer's
// delegation), their budget lines per fiscal year, and who signs their
// orders — the holders of the treasurer's and the head's slots and the
// delegates they authorise.
package authorities

import (
	"slices"
	"time"

	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/i18n"
	"madaf/internal/money"
)

// Kinds of authority.
const (
	KindMunicipality    = "municipality"
	KindLocalCouncil    = "local_council"
	KindRegionalCouncil = "regional_council"
)

// Authority is a member authority with its profile in force today.
type Authority struct {
	ID     int64  `db:"id" json:"id"`
	Code   string `db:"code" json:"code"`
	NameHe string `db:"name_he" json:"name_he"`
	NameAr string `db:"name_ar" json:"name_ar"`
	NameEn string `db:"name_en" json:"name_en"`
	// Kind, Population, DelegationBand and ProfileEffectiveFrom are the
	// profile in force (see Profile).
	Kind                 string        `db:"kind" json:"kind"`
	Population           int           `db:"population" json:"population"`
	DelegationBand       money.Amount  `db:"delegation_band" json:"delegation_band"`
	ProfileEffectiveFrom calendar.Date `db:"profile_effective_from" json:"profile_effective_from"`
	// DefaultDeliveryAddress is where the authority's orders go unless
	// the officer writes another ("" when none); the order form offers it.
	DefaultDeliveryAddress string    `db:"default_delivery_address" json:"default_delivery_address"`
	Active                 bool      `db:"active" json:"active"`
	CreatedAt              time.Time `db:"created_at" json:"created_at"`
	UpdatedAt              time.Time `db:"updated_at" json:"updated_at"`
}

// Name returns the authority's name in lang, falling back to Hebrew.
func (a *Authority) Name(lang string) string {
	return i18n.NameIn(lang, a.NameHe, &a.NameAr, &a.NameEn)
}

// AuthorityInput is the writable part of an authority. Population and
// DelegationBand are optional: on creation the population is 0 and the
// band LegalBand(population); on update an omitted population keeps the
// one in force, and an omitted band keeps the one in force unless the
// population changes, when it becomes LegalBand of the new population.
type AuthorityInput struct {
	Code           string           `json:"code" validate:"required,numeric,max=6"`
	NameHe         string           `json:"name_he" validate:"required,max=200"`
	NameAr         string           `json:"name_ar" validate:"max=200"`
	NameEn         string           `json:"name_en" validate:"max=200"`
	Kind           string           `json:"kind" validate:"required,oneof=municipality local_council regional_council"`
	Population     *int             `json:"population" validate:"omitempty,min=0,max=10000000"`
	DelegationBand *decimal.Decimal `json:"delegation_band"`
	Active         *bool            `json:"active"`
	// DefaultDeliveryAddress is optional: omitted, it stays as it is
	// (none on creation); "" removes it.
	DefaultDeliveryAddress *string `json:"default_delivery_address" validate:"omitempty,max=500"`
}

// FirstProfileFrom is the day an authority's first profile is in force
// from: the date of the regulations' band table. Every authority has a
// profile from that day.
var FirstProfileFrom = calendar.NewDate(2015, time.January, 1)

// Profile is what the law reads of an authority from a day on: its kind,
// its population and the legal band of its treasurer's delegation. A
// change adds a profile; none is ever rewritten but on its own day.
type Profile struct {
	AuthorityID    int64         `db:"authority_id" json:"authority_id"`
	EffectiveFrom  calendar.Date `db:"effective_from" json:"effective_from"`
	Kind           string        `db:"kind" json:"kind"`
	Population     int           `db:"population" json:"population"`
	DelegationBand money.Amount  `db:"delegation_band" json:"delegation_band"`
	// RecordedBy is nil for the profiles the service recorded itself (an
	// authority's first one).
	RecordedBy     *int64    `db:"recorded_by" json:"recorded_by"`
	RecordedByName *string   `db:"recorded_by_name" json:"recorded_by_name"`
	RecordedAt     time.Time `db:"recorded_at" json:"recorded_at"`
	// InForce reports whether this is the profile in force on the day
	// asked (today for a history).
	InForce bool `db:"in_force" json:"in_force"`
}

// ProfileInput is a profile from a day. DelegationBand is optional:
// LegalBand(Population) when omitted. Store.SetProfile checks every field.
type ProfileInput struct {
	EffectiveFrom  calendar.Date    `json:"effective_from"`
	Kind           string           `json:"kind"`
	Population     int              `json:"population"`
	DelegationBand *decimal.Decimal `json:"delegation_band"`
}

// Kinds lists the kinds of authority in the order forms show them.
var Kinds = []string{KindMunicipality, KindLocalCouncil, KindRegionalCouncil}

// MaxPopulation is the largest population a profile takes.
const MaxPopulation = 10000000

// The legal bands of the treasurer's delegation as of 2015, by
// population (the regulations index them since).
var (
	bandSmall  = decimal.RequireFromString("93900.00")  // up to 50,000 residents
	bandMedium = decimal.RequireFromString("188100.00") // up to 100,000
	bandLarge  = decimal.RequireFromString("626700.00") // above 100,000
)

// LegalBand is the 2015 legal band of the treasurer's delegation for an
// authority of population residents: ₪93,900 up to 50,000, ₪188,100 up to
// 100,000, ₪626,700 above. It is the band an authority's profile takes
// when none is given.
func LegalBand(population int) decimal.Decimal {
	switch {
	case population <= 50000:
		return bandSmall
	case population <= 100000:
		return bandMedium
	}
	return bandLarge
}

// Signing slots: every order needs both, each filled by its holder or a
// delegate of the holder.
const (
	SlotTreasurer = "treasurer"
	SlotHead      = "head"
)

// Slots lists the signing slots in the order pages show them.
var Slots = []string{SlotTreasurer, SlotHead}

// SlotRole is the role whose holders fill slot: the treasurer's slot is
// the treasurer's, the head's the head's.
func SlotRole(slot string) string {
	if slot == SlotHead {
		return auth.RoleHead
	}
	return auth.RoleTreasurer
}

// States of a delegation on a day (the SQL function delegation_status).
const (
	DelegationInForce = "in_force"
	DelegationNotYet  = "not_yet"
	DelegationExpired = "expired"
	DelegationRevoked = "revoked"
)

// DelegationStatuses lists the states of a delegation.
var DelegationStatuses = []string{DelegationInForce, DelegationNotYet, DelegationExpired, DelegationRevoked}

// Delegation lets Delegate sign in Slot for the slot's holder, for orders
// whose total (incl. VAT) is at most MaxTotal, from ValidFrom to
// ValidUntil, until revoked. It is kept forever.
type Delegation struct {
	ID            int64         `db:"id" json:"id"`
	AuthorityID   int64         `db:"authority_id" json:"authority_id"`
	Slot          string        `db:"slot" json:"slot"`
	HolderID      int64         `db:"holder_id" json:"holder_id"`
	HolderName    string        `db:"holder_name" json:"holder_name"`
	DelegateID    int64         `db:"delegate_id" json:"delegate_id"`
	DelegateName  string        `db:"delegate_name" json:"delegate_name"`
	MaxTotal      money.Amount  `db:"max_total" json:"max_total"`
	ValidFrom     calendar.Date `db:"valid_from" json:"valid_from"`
	ValidUntil    calendar.Date `db:"valid_until" json:"valid_until"`
	Note          string        `db:"note" json:"note"`
	GrantedBy     int64         `db:"granted_by" json:"granted_by"`
	GrantedByName string        `db:"granted_by_name" json:"granted_by_name"`
	GrantedAt     time.Time     `db:"granted_at" json:"granted_at"`
	RevokedAt     *time.Time    `db:"revoked_at" json:"revoked_at"`
	RevokedBy     *int64        `db:"revoked_by" json:"revoked_by"`
	RevokedByName *string       `db:"revoked_by_name" json:"revoked_by_name"`
	// Status is one of DelegationStatuses on the day asked (today for a
	// list); InForce is Status == DelegationInForce.
	Status  string `db:"status" json:"status"`
	InForce bool   `db:"in_force" json:"in_force"`
}

// DelegationInput grants a delegation. HolderID names the slot's holder
// when the cluster admin records a holder's written authorisation (Note
// then says which); a holder granting their own slot leaves it 0.
// Store.GrantDelegation checks every field.
type DelegationInput struct {
	Slot       string          `json:"slot"`
	HolderID   int64           `json:"holder_id"`
	DelegateID int64           `json:"delegate_id"`
	MaxTotal   decimal.Decimal `json:"max_total"`
	ValidFrom  calendar.Date   `json:"valid_from"`
	ValidUntil calendar.Date   `json:"valid_until"`
	Note       string          `json:"note"`
}

// MaxNote is the longest note a delegation takes, in characters.
const MaxNote = 1000

// DelegationFilter narrows a list of delegations; zero fields do not.
type DelegationFilter struct {
	Slot       string
	Status     string // one of DelegationStatuses on On
	DelegateID int64
	On         calendar.Date // the day statuses are read on; zero is today
}

// Member is an active user of an authority, as the signatories' page and
// the delegation rules read them.
type Member struct {
	ID    int64          `db:"id" json:"id"`
	Name  string         `db:"name" json:"name"`
	Email string         `db:"email" json:"email"`
	Roles pq.StringArray `db:"roles" json:"roles"`
}

// Holds reports whether m holds role.
func (m *Member) Holds(role string) bool { return slices.Contains(m.Roles, role) }

// Signs reports whether m holds a signing role (treasurer or head).
func (m *Member) Signs() bool { return m.Holds(auth.RoleTreasurer) || m.Holds(auth.RoleHead) }

// OnlyReceives reports whether the receiver's is m's one role: such a user
// records goods received and may not sign, so is no delegate.
func (m *Member) OnlyReceives() bool { return auth.OnlyReceives(m.Roles) }

// BudgetLine is an authority's budget line for one fiscal year. Its name is
// Hebrew; NameAr and NameEn are its names in Arabic and English, nil when
// not given (NameIn then gives the Hebrew).
type BudgetLine struct {
	ID          int64        `db:"id" json:"id"`
	AuthorityID int64        `db:"authority_id" json:"authority_id"`
	FiscalYear  int          `db:"fiscal_year" json:"fiscal_year"`
	Code        string       `db:"code" json:"code"`
	Name        string       `db:"name" json:"name"`
	NameAr      *string      `db:"name_ar" json:"name_ar"`
	NameEn      *string      `db:"name_en" json:"name_en"`
	Amount      money.Amount `db:"amount" json:"amount"`
	CreatedAt   time.Time    `db:"created_at" json:"created_at"`
	UpdatedAt   time.Time    `db:"updated_at" json:"updated_at"`
}

// NameIn is the line's name in lang, the Hebrew where it has none in lang.
func (b BudgetLine) NameIn(lang string) string { return i18n.NameIn(lang, b.Name, b.NameAr, b.NameEn) }

// Translated reports whether the line has a name of its own in lang other
// than the Hebrew, which pages then show beside it.
func (b BudgetLine) Translated(lang string) bool { return b.NameIn(lang) != b.Name }

// BudgetLineInput is the writable part of a budget line. NameAr and NameEn
// are optional ("" for none).
type BudgetLineInput struct {
	FiscalYear int             `json:"fiscal_year" validate:"required,min=2000,max=2100"`
	Code       string          `json:"code" validate:"required,max=40"`
	Name       string          `json:"name" validate:"required,max=200"`
	NameAr     string          `json:"name_ar" validate:"max=200"`
	NameEn     string          `json:"name_en" validate:"max=200"`
	Amount     decimal.Decimal `json:"amount"`
}

// CategoryDefault is the budget line an authority charges a tender
// category to in a fiscal year, which the order form preselects; a
// category without one has BudgetLineID 0 and the form preselects none.
type CategoryDefault struct {
	Category     string `db:"category" json:"category"`
	FiscalYear   int    `db:"fiscal_year" json:"fiscal_year"`
	BudgetLineID int64  `db:"budget_line_id" json:"budget_line_id"`
}
