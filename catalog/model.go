// Package catalog holds the cluster's shelf tenders: their participating
// authorities, items, awards to winning suppliers, effective-dated prices,
// price-list import, and the catalog search officers order from.
package catalog

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"madaf/internal/apperr"
	"madaf/internal/calendar"
	"madaf/internal/i18n"
	"madaf/internal/money"
)

// Tender statuses. Expired is not a status: it is derived from the dates.
const (
	StatusDraft     = "draft"
	StatusActive    = "active"
	StatusSuspended = "suspended"
	StatusClosed    = "closed"
)

// Award rules, as DESIGN.md "Shelf tender".
const (
	RuleSingle      = "single"
	RuleChoice      = "choice"
	RuleRotation    = "rotation"
	RuleCompetition = "competition"
)

// AwardRules lists the award rules in the order forms show them.
var AwardRules = []string{RuleSingle, RuleChoice, RuleRotation, RuleCompetition}

// Award statuses.
const (
	AwardActive     = "active"
	AwardSuspended  = "suspended"
	AwardTerminated = "terminated"
)

// Price reasons: why a price starts on its date.
const (
	ReasonInitial      = "initial"
	ReasonPriceUpdate  = "price_update"
	ReasonIndexLinkage = "index_linkage"
	ReasonVATChange    = "vat_change"
	ReasonCorrection   = "correction"
)

// Reasons lists the price reasons.
var Reasons = []string{ReasonInitial, ReasonPriceUpdate, ReasonIndexLinkage, ReasonVATChange, ReasonCorrection}

// ETag is the tender's entity tag: it changes with every change of the
// tender.
func (t *Tender) ETag() string { return fmt.Sprintf(`"t%d"`, t.UpdatedAt.UnixMicro()) }

// Money is an amount in shekels; JSON shows it as "1250.50".
type Money = money.Amount

// Tender is a shelf tender: a framework agreement its participating
// authorities order from.
type Tender struct {
	ID            int64         `db:"id" json:"id"`
	Number        string        `db:"number" json:"number"`
	Title         string        `db:"title" json:"title"`
	TitleAr       *string       `db:"title_ar" json:"title_ar"`
	TitleEn       *string       `db:"title_en" json:"title_en"`
	Category      string        `db:"category" json:"category"`
	CategoryAr    *string       `db:"category_ar" json:"category_ar"`
	CategoryEn    *string       `db:"category_en" json:"category_en"`
	Description   string        `db:"description" json:"description"`
	ValidFrom     calendar.Date `db:"valid_from" json:"valid_from"`
	ValidUntil    calendar.Date `db:"valid_until" json:"valid_until"`
	ExtendedUntil calendar.Date `db:"extended_until" json:"extended_until"`
	Status        string        `db:"status" json:"status"`
	// Expired is derived: today is after the (extended) end of validity.
	Expired          bool            `db:"-" json:"expired"`
	Ceiling          *Money          `db:"ceiling" json:"ceiling"`
	FeePercent       decimal.Decimal `db:"fee_percent" json:"fee_percent"`
	AwardRule        string          `db:"award_rule" json:"award_rule"`
	ConfirmationDays int             `db:"confirmation_days" json:"confirmation_days"`
	// CompetitionFrom is the order amount before VAT from which a
	// multi-winner tender needs a mini-competition (nil: only a
	// competition tender does); CompetitionMinDays the fewest business
	// days a request for quotes stays open. The economic lead sets both
	// (CompetitionRules).
	CompetitionFrom    *Money            `db:"competition_from" json:"competition_from"`
	CompetitionMinDays int               `db:"competition_min_days" json:"competition_min_days"`
	Authorities        []TenderAuthority `db:"-" json:"authorities"`
	CreatedAt          time.Time         `db:"created_at" json:"created_at"`
	UpdatedAt          time.Time         `db:"updated_at" json:"updated_at"`
}

// TitleIn is the tender's title in lang, the Hebrew when lang's is not
// given.
func (t *Tender) TitleIn(lang string) string { return nameIn(lang, t.Title, t.TitleAr, t.TitleEn) }

// CategoryIn is the tender's category in lang, the Hebrew when lang's is
// not given.
func (t *Tender) CategoryIn(lang string) string {
	return nameIn(lang, t.Category, t.CategoryAr, t.CategoryEn)
}

// EndsOn is the last day the tender is valid: the extension when there is
// one, else valid_until.
func (t *Tender) EndsOn() calendar.Date {
	if !t.ExtendedUntil.IsZero() {
		return t.ExtendedUntil
	}
	return t.ValidUntil
}

// ExpiredOn reports whether the tender's validity has ended before day.
func (t *Tender) ExpiredOn(day calendar.Date) bool { return day.After(t.EndsOn()) }

// OpenOn reports whether the tender can be ordered from on day: it is
// active and day is within its validity.
func (t *Tender) OpenOn(day calendar.Date) bool {
	return t.Status == StatusActive && !day.Before(t.ValidFrom) && !t.ExpiredOn(day)
}

// NeedsCompetition reports whether an order under the tender for subtotal
// (before VAT) must come from a mini-competition, the tender having
// activeAwards active winners: always under a competition tender; under
// another with more than one active winner once subtotal reaches its
// CompetitionFrom.
func (t *Tender) NeedsCompetition(activeAwards int, subtotal decimal.Decimal) bool {
	if t.AwardRule == RuleCompetition {
		return true
	}
	return t.CompetitionFrom != nil && activeAwards > 1 && !subtotal.LessThan(t.CompetitionFrom.Decimal)
}

// Participates reports whether authorityID is one of the tender's
// authorities (Authorities must be loaded).
func (t *Tender) Participates(authorityID int64) bool {
	return slices.ContainsFunc(t.Authorities, func(a TenderAuthority) bool { return a.AuthorityID == authorityID })
}

// TenderAuthority is an authority that may order from a tender, with its
// optional share of the ceiling.
type TenderAuthority struct {
	AuthorityID int64  `db:"authority_id" json:"authority_id"`
	Name        string `db:"name_he" json:"name,omitempty"`
	Allocation  *Money `db:"allocation" json:"allocation"`
}

// Item is a line of a tender's catalog. Its name is Hebrew; NameAr and
// NameEn, where given, name it in Arabic and English.
type Item struct {
	ID       int64   `db:"id" json:"id"`
	TenderID int64   `db:"tender_id" json:"tender_id"`
	SKU      string  `db:"sku" json:"sku"`
	Name     string  `db:"name" json:"name"`
	NameAr   *string `db:"name_ar" json:"name_ar"`
	NameEn   *string `db:"name_en" json:"name_en"`
	Unit     string  `db:"unit" json:"unit"`
	MaxPrice *Money  `db:"max_price" json:"max_price"`
}

// NameIn is the item's name in lang, the Hebrew when lang's is not given.
func (it Item) NameIn(lang string) string { return nameIn(lang, it.Name, it.NameAr, it.NameEn) }

// Translated reports whether the item has a name of its own in lang, other
// than the Hebrew.
func (it Item) Translated(lang string) bool { return lang != "he" && it.NameIn(lang) != it.Name }

// Award is a winning supplier of a tender.
type Award struct {
	ID           int64     `db:"id" json:"id"`
	TenderID     int64     `db:"tender_id" json:"tender_id"`
	SupplierID   int64     `db:"supplier_id" json:"supplier_id"`
	SupplierName string    `db:"legal_name" json:"supplier_name"`
	Status       string    `db:"status" json:"status"`
	CreatedAt    time.Time `db:"created_at" json:"created_at"`
	UpdatedAt    time.Time `db:"updated_at" json:"updated_at"`
}

// Price is one entry of an award's price history for an item: Price is in
// force from ValidFrom until the next entry's ValidFrom.
type Price struct {
	ID        int64         `db:"id" json:"id"`
	AwardID   int64         `db:"award_id" json:"award_id"`
	ItemID    int64         `db:"item_id" json:"item_id"`
	Price     Money         `db:"price" json:"price"`
	ValidFrom calendar.Date `db:"valid_from" json:"valid_from"`
	Reason    string        `db:"reason" json:"reason"`
	CreatedAt time.Time     `db:"created_at" json:"created_at"`
}

// Offer is one supplier's price in force for an item on a day.
type Offer struct {
	ItemID       int64         `db:"item_id" json:"item_id"`
	AwardID      int64         `db:"award_id" json:"award_id"`
	SupplierID   int64         `db:"supplier_id" json:"supplier_id"`
	SupplierName string        `db:"legal_name" json:"supplier_name"`
	Price        Money         `db:"price" json:"price"`
	ValidFrom    calendar.Date `db:"valid_from" json:"valid_from"`
}

// TenderInput is what creating or updating a tender takes. The Arabic and
// English title and category are optional ("" for none).
type TenderInput struct {
	Number           string           `json:"number"`
	Title            string           `json:"title"`
	TitleAr          string           `json:"title_ar"`
	TitleEn          string           `json:"title_en"`
	Category         string           `json:"category"`
	CategoryAr       string           `json:"category_ar"`
	CategoryEn       string           `json:"category_en"`
	Description      string           `json:"description"`
	ValidFrom        calendar.Date    `json:"valid_from"`
	ValidUntil       calendar.Date    `json:"valid_until"`
	ExtendedUntil    calendar.Date    `json:"extended_until"`
	Ceiling          *Money           `json:"ceiling"`
	FeePercent       *decimal.Decimal `json:"fee_percent"`
	AwardRule        string           `json:"award_rule"`
	ConfirmationDays int              `json:"confirmation_days"`
	Authorities      []AuthorityInput `json:"authorities"`
}

// Bounds of a tender's minimum competition period, in business days.
const (
	MinCompetitionDays = 1
	MaxCompetitionDays = 30
)

// DefaultCompetitionDays is a tender's minimum competition period until
// the economic lead sets another.
const DefaultCompetitionDays = 3

// CompetitionRules are a tender's rules for mini-competitions: the order
// amount before VAT from which a multi-winner tender needs one (nil: only
// a competition tender does) and the fewest business days a request stays
// open (0 keeps DefaultCompetitionDays).
type CompetitionRules struct {
	CompetitionFrom    *Money `json:"competition_from"`
	CompetitionMinDays int    `json:"competition_min_days"`
}

// Validate reports every rule in breaks, per field, at once.
func (in *CompetitionRules) Validate() error {
	var fs []apperr.FieldError
	if in.CompetitionFrom != nil && (!in.CompetitionFrom.IsPositive() || !in.CompetitionFrom.HasAgorot()) {
		fs = append(fs, apperr.Field("competition_from", "tender.msg.positive_amount"))
	}
	if in.CompetitionMinDays == 0 {
		in.CompetitionMinDays = DefaultCompetitionDays
	}
	if in.CompetitionMinDays < MinCompetitionDays || in.CompetitionMinDays > MaxCompetitionDays {
		fs = append(fs, apperr.Field("competition_min_days", "tender.msg.competition_days", MinCompetitionDays, MaxCompetitionDays))
	}
	if len(fs) > 0 {
		return apperr.Invalid("tender.competition_invalid", fs...)
	}
	return nil
}

// AuthorityInput is a participating authority and its optional allocation.
type AuthorityInput struct {
	AuthorityID int64  `json:"authority_id"`
	Allocation  *Money `json:"allocation"`
}

// Validate reports every rule in breaks, per field, at once.
func (in *TenderInput) Validate() error {
	var fs []apperr.FieldError
	in.Number = strings.TrimSpace(in.Number)
	in.Title = strings.TrimSpace(in.Title)
	in.Category = strings.TrimSpace(in.Category)
	required(&fs, "number", in.Number, 32)
	required(&fs, "title", in.Title, 300)
	required(&fs, "category", in.Category, 100)
	optional(&fs, "title_ar", &in.TitleAr, 300)
	optional(&fs, "title_en", &in.TitleEn, 300)
	optional(&fs, "category_ar", &in.CategoryAr, 100)
	optional(&fs, "category_en", &in.CategoryEn, 100)
	if len([]rune(in.Description)) > 10000 {
		fs = append(fs, apperr.Field("description", "msg.max_len", 10000))
	}
	switch {
	case in.ValidFrom.IsZero():
		fs = append(fs, apperr.Field("valid_from", "msg.required"))
	case in.ValidUntil.IsZero():
	case in.ValidUntil.Before(in.ValidFrom):
		fs = append(fs, apperr.Field("valid_until", "tender.msg.until_before_from"))
	}
	if in.ValidUntil.IsZero() {
		fs = append(fs, apperr.Field("valid_until", "msg.required"))
	}
	if !in.ExtendedUntil.IsZero() && !in.ValidUntil.IsZero() && !in.ExtendedUntil.After(in.ValidUntil) {
		fs = append(fs, apperr.Field("extended_until", "tender.msg.extension_not_after"))
	}
	if in.Ceiling != nil && (!in.Ceiling.IsPositive() || !in.Ceiling.HasAgorot()) {
		fs = append(fs, apperr.Field("ceiling", "tender.msg.positive_amount"))
	}
	switch {
	case in.FeePercent == nil:
		fs = append(fs, apperr.Field("fee_percent", "msg.required"))
	case in.FeePercent.IsNegative() || in.FeePercent.GreaterThan(decimal.NewFromInt(100)):
		fs = append(fs, apperr.Field("fee_percent", "tender.msg.fee_range"))
	case !in.FeePercent.Equal(in.FeePercent.Round(2)):
		fs = append(fs, apperr.Field("fee_percent", "tender.msg.two_decimals"))
	}
	if !slices.Contains(AwardRules, in.AwardRule) {
		fs = append(fs, apperr.Field("award_rule", "tender.msg.award_rule"))
	}
	if in.ConfirmationDays < 1 || in.ConfirmationDays > 60 {
		fs = append(fs, apperr.Field("confirmation_days", "tender.msg.confirmation_days"))
	}
	seen := map[int64]bool{}
	total := decimal.Zero
	for i, a := range in.Authorities {
		f := fmt.Sprintf("authorities[%d]", i)
		switch {
		case a.AuthorityID <= 0:
			fs = append(fs, apperr.Field(f+".authority_id", "msg.required"))
		case seen[a.AuthorityID]:
			fs = append(fs, apperr.Field(f+".authority_id", "tender.msg.listed_twice"))
		}
		seen[a.AuthorityID] = true
		if a.Allocation != nil {
			if !a.Allocation.IsPositive() || !a.Allocation.HasAgorot() {
				fs = append(fs, apperr.Field(f+".allocation", "tender.msg.positive_amount"))
			}
			total = total.Add(a.Allocation.Decimal)
		}
	}
	if in.Ceiling != nil && total.GreaterThan(in.Ceiling.Decimal) {
		fs = append(fs, apperr.Field("authorities", "tender.msg.allocations_above_ceiling", money.Format(total), money.Format(in.Ceiling.Decimal)))
	}
	if len(fs) > 0 {
		return apperr.Invalid("tender.invalid", fs...)
	}
	return nil
}

// ItemInput is what adding an item to a tender takes; the Arabic and
// English names are optional ("" for none).
type ItemInput struct {
	SKU      string `json:"sku"`
	Name     string `json:"name"`
	NameAr   string `json:"name_ar"`
	NameEn   string `json:"name_en"`
	Unit     string `json:"unit"`
	MaxPrice *Money `json:"max_price"`
}

// Validate reports every rule in breaks, per field, at once.
func (in *ItemInput) Validate() error {
	var fs []apperr.FieldError
	in.SKU = strings.TrimSpace(in.SKU)
	in.Name = strings.TrimSpace(in.Name)
	in.Unit = strings.TrimSpace(in.Unit)
	required(&fs, "sku", in.SKU, 64)
	required(&fs, "name", in.Name, 500)
	optional(&fs, "name_ar", &in.NameAr, 500)
	optional(&fs, "name_en", &in.NameEn, 500)
	required(&fs, "unit", in.Unit, 32)
	if in.MaxPrice != nil && (!in.MaxPrice.IsPositive() || !in.MaxPrice.HasAgorot()) {
		fs = append(fs, apperr.Field("max_price", "tender.msg.positive_amount"))
	}
	if len(fs) > 0 {
		return apperr.Invalid("tender.item_invalid", fs...)
	}
	return nil
}

// PriceInput is a new price for one item of an award.
type PriceInput struct {
	ItemID    int64         `json:"item_id"`
	Price     Money         `json:"price"`
	ValidFrom calendar.Date `json:"valid_from"`
	Reason    string        `json:"reason"`
}

// Validate checks what needs no database: the item, a positive price in
// agorot, a date and a known reason (or none: see Store.AddPrices).
func (in *PriceInput) Validate() error {
	fs := in.fieldErrors()
	if len(fs) > 0 {
		return apperr.Invalid("tender.price_invalid", fs...)
	}
	return nil
}

func (in *PriceInput) fieldErrors() []apperr.FieldError {
	var fs []apperr.FieldError
	if in.ItemID <= 0 {
		fs = append(fs, apperr.Field("item_id", "msg.required"))
	}
	if !in.Price.IsPositive() {
		fs = append(fs, apperr.Field("price", "msg.gt", 0))
	} else if !in.Price.HasAgorot() {
		fs = append(fs, apperr.Field("price", "msg.agorot"))
	}
	if in.ValidFrom.IsZero() {
		fs = append(fs, apperr.Field("valid_from", "msg.required"))
	}
	if in.Reason != "" && !slices.Contains(Reasons, in.Reason) {
		fs = append(fs, apperr.Field("reason", "tender.msg.reason"))
	}
	return fs
}

// required appends a field error when v is empty or longer than max
// characters.
func required(fs *[]apperr.FieldError, field, v string, max int) {
	switch {
	case v == "":
		*fs = append(*fs, apperr.Field(field, "msg.required"))
	case len([]rune(v)) > max:
		*fs = append(*fs, apperr.Field(field, "msg.max_len", max))
	}
}

// optional trims *v and appends a field error when it is longer than max
// characters.
func optional(fs *[]apperr.FieldError, field string, v *string, max int) {
	*v = strings.TrimSpace(*v)
	if len([]rune(*v)) > max {
		*fs = append(*fs, apperr.Field(field, "msg.max_len", max))
	}
}

// BadRow is one refused cell of a list of prices: its row (as the
// spreadsheet numbers it, or the position in the list), its column and
// what is wrong with it. Pages translate Msg; the JSON carries its key as
// "code" and its English text as "message".
type BadRow struct {
	Row    int
	Column string
	Msg    apperr.Msg
}

// MarshalJSON writes the row as {"row", "column", "code", "message"}.
func (b BadRow) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Row     int    `json:"row"`
		Column  string `json:"column"`
		Code    string `json:"code"`
		Message string `json:"message"`
	}{b.Row, b.Column, b.Msg.Key, i18n.For("en").Msg(b.Msg)})
}
