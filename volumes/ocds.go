package volumes

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/i18n"
	"madaf/internal/money"
	"madaf/internal/orderstatus"
)

// OCDSLanguage is the language of the releases: the language tenders,
// items and suppliers are registered in. The labels the service adds (the
// procurement method details, an order's title) are its catalog's in this
// language, and authorities are named in it.
const OCDSLanguage = "he"

// OCDS is what a release package needs besides the data.
type OCDS struct {
	// Prefix is the publisher's registered ocid prefix.
	Prefix string
	// Publisher is the publishing organisation's name; the cluster's name
	// in OCDSLanguage when empty.
	Publisher string
	// BaseURL is the service's public address: the publisher's URI, under
	// which the package's URI is built (never from the request's Host).
	// DefaultBaseURL when empty.
	BaseURL string
	// URI identifies the package; when empty, the address it is served
	// from under BaseURL.
	URI string
}

// DefaultBaseURL is the public address of a service started with the
// defaults, for a configuration that names none.
const DefaultBaseURL = "http://localhost:8080"

// baseURL is o's public address without a trailing slash.
func (o OCDS) baseURL() string {
	if o.BaseURL == "" {
		return DefaultBaseURL
	}
	return strings.TrimRight(o.BaseURL, "/")
}

// OCDSPath is where the release package is served.
const OCDSPath = "/api/v1/exports/ocds"

// packageURI is the address under o's base URL that serves the package f
// selects: OCDSPath with f as its query.
func (o OCDS) packageURI(f Filter) string {
	q := url.Values{}
	if !f.From.IsZero() {
		q.Set("from", f.From.Time().Format("2006-01"))
	}
	if !f.To.IsZero() {
		q.Set("to", f.To.Time().Format("2006-01"))
	}
	for name, id := range map[string]int64{"tender": f.TenderID, "authority": f.AuthorityID, "supplier": f.SupplierID} {
		if id != 0 {
			q.Set(name, strconv.FormatInt(id, 10))
		}
	}
	u := o.baseURL() + OCDSPath
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// The OCDS structures this service publishes: the subset of the 1.1.5
// release schema it fills, plus tender.techniques and tender.competitive
// (techniques extension) and a mini-competition's bids (bid extension).
type (
	// ReleasePackage is an OCDS 1.1.5 release package.
	ReleasePackage struct {
		URI           string    `json:"uri"`
		Version       string    `json:"version"`
		Extensions    []string  `json:"extensions,omitempty"`
		PublishedDate string    `json:"publishedDate"`
		Publisher     Publisher `json:"publisher"`
		Releases      []Release `json:"releases"`
	}
	// Publisher is the package's publisher.
	Publisher struct {
		Name string `json:"name"`
		URI  string `json:"uri,omitempty"`
	}
	// Release is one contracting process at one moment.
	Release struct {
		OCID             string           `json:"ocid"`
		ID               string           `json:"id"`
		Date             string           `json:"date"`
		Tag              []string         `json:"tag"`
		InitiationType   string           `json:"initiationType"`
		Language         string           `json:"language"`
		Parties          []Party          `json:"parties"`
		Buyer            *OrgRef          `json:"buyer,omitempty"`
		Tender           *OCDSTender      `json:"tender,omitempty"`
		Awards           []OCDSAward      `json:"awards,omitempty"`
		Contracts        []OCDSContract   `json:"contracts,omitempty"`
		RelatedProcesses []RelatedProcess `json:"relatedProcesses,omitempty"`
		Bids             *Bids            `json:"bids,omitempty"`
	}
	// Party is an organisation taking part in a process.
	Party struct {
		ID         string      `json:"id"`
		Name       string      `json:"name"`
		Identifier *Identifier `json:"identifier,omitempty"`
		Roles      []string    `json:"roles"`
	}
	// Identifier is an organisation's registered identifier.
	Identifier struct {
		Scheme    string `json:"scheme"`
		ID        string `json:"id"`
		LegalName string `json:"legalName,omitempty"`
	}
	// OrgRef refers to a party.
	OrgRef struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	// Value is an amount of money; the amount is a JSON number written
	// from the decimal, never through a float.
	Value struct {
		Amount   json.Number `json:"amount"`
		Currency string      `json:"currency"`
	}
	// Period is a span of dates.
	Period struct {
		StartDate string `json:"startDate,omitempty"`
		EndDate   string `json:"endDate,omitempty"`
	}
	// OCDSTender is the tender section.
	OCDSTender struct {
		ID                       string      `json:"id"`
		Title                    string      `json:"title"`
		Description              string      `json:"description,omitempty"`
		Status                   string      `json:"status"`
		ProcuringEntity          *OrgRef     `json:"procuringEntity,omitempty"`
		Items                    []OCDSItem  `json:"items,omitempty"`
		Value                    *Value      `json:"value,omitempty"`
		ProcurementMethod        string      `json:"procurementMethod"`
		ProcurementMethodDetails string      `json:"procurementMethodDetails,omitempty"`
		TenderPeriod             *Period     `json:"tenderPeriod,omitempty"`
		EnquiryPeriod            *Period     `json:"enquiryPeriod,omitempty"`
		AwardPeriod              *Period     `json:"awardPeriod,omitempty"`
		ContractPeriod           *Period     `json:"contractPeriod,omitempty"`
		NumberOfTenderers        *int        `json:"numberOfTenderers,omitempty"`
		Tenderers                []OrgRef    `json:"tenderers,omitempty"`
		Techniques               *Techniques `json:"techniques,omitempty"`
		Competitive              *bool       `json:"competitive,omitempty"`
	}
	// Techniques says the tender is a framework agreement.
	Techniques struct {
		HasFrameworkAgreement bool `json:"hasFrameworkAgreement"`
	}
	// OCDSItem is a line of goods or services.
	OCDSItem struct {
		ID          string       `json:"id"`
		Description string       `json:"description"`
		Quantity    *json.Number `json:"quantity,omitempty"`
		Unit        *Unit        `json:"unit,omitempty"`
	}
	// Unit is an item's unit and unit price.
	Unit struct {
		Name  string `json:"name"`
		Value *Value `json:"value,omitempty"`
	}
	// OCDSAward is an award to suppliers.
	OCDSAward struct {
		ID          string   `json:"id"`
		Title       string   `json:"title,omitempty"`
		Description string   `json:"description,omitempty"`
		Status      string   `json:"status"`
		Date        string   `json:"date,omitempty"`
		Value       *Value   `json:"value,omitempty"`
		Suppliers   []OrgRef `json:"suppliers"`
	}
	// OCDSContract is a contract that follows an award.
	OCDSContract struct {
		ID          string     `json:"id"`
		AwardID     string     `json:"awardID"`
		Title       string     `json:"title,omitempty"`
		Description string     `json:"description,omitempty"`
		Status      string     `json:"status"`
		Value       *Value     `json:"value,omitempty"`
		DateSigned  string     `json:"dateSigned,omitempty"`
		Period      *Period    `json:"period,omitempty"`
		Items       []OCDSItem `json:"items,omitempty"`
	}
	// RelatedProcess points at another contracting process.
	RelatedProcess struct {
		ID           string   `json:"id"`
		Relationship []string `json:"relationship"`
		Title        string   `json:"title,omitempty"`
		Scheme       string   `json:"scheme"`
		Identifier   string   `json:"identifier"`
	}
)

// TechniquesExtension is the OCDS extension that defines
// tender.techniques.hasFrameworkAgreement and, for a call-off,
// tender.competitive. The extension registry lists no frozen (tagged)
// version of it, only this live one.
const TechniquesExtension = "https://raw.githubusercontent.com/open-contracting-extensions/ocds_techniques_extension/master/extension.json"

// TenderOCID and OrderOCID are the contracting process ids of a tender
// (the framework's first stage) and of an order (a call-off).
func TenderOCID(prefix string, id int64) string { return fmt.Sprintf("%s-tender-%d", prefix, id) }

// OrderOCID is the ocid of order id's call-off.
func OrderOCID(prefix string, id int64) string { return fmt.Sprintf("%s-order-%d", prefix, id) }

func ils(d decimal.Decimal) *Value {
	return &Value{Amount: json.Number(d.StringFixed(2)), Currency: "ILS"}
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func supplierParty(companyNumber, name string, roles ...string) Party {
	return Party{ID: "IL-ROC-" + companyNumber, Name: name, Roles: roles,
		Identifier: &Identifier{Scheme: "IL-ROC", ID: companyNumber, LegalName: name}}
}

func authorityPartyID(code string) string { return "IL-CBS-" + code }

const clusterPartyID = "cluster"

// awardStatuses and contractStatuses map an order's status to its award's
// and contract's.
var (
	awardStatuses = map[string]string{
		orderstatus.Sent: "pending", orderstatus.Confirmed: "active", orderstatus.PartiallyDelivered: "active",
		orderstatus.Delivered: "active", orderstatus.Closed: "active", orderstatus.Rejected: "unsuccessful",
		orderstatus.Cancelled: "cancelled",
	}
	contractStatuses = map[string]string{
		orderstatus.Sent: "pending", orderstatus.Confirmed: "active", orderstatus.PartiallyDelivered: "active",
		orderstatus.Delivered: "active", orderstatus.Closed: "terminated", orderstatus.Rejected: "cancelled",
		orderstatus.Cancelled: "cancelled",
	}
)

// ReleasePackage builds the OCDS release package of what p may see: each
// published tender as the first stage of a framework agreement, with its
// winning suppliers as awards; each order sent to a supplier (narrowed by
// f, months by submission) as a call-off of its own, related to its
// tender's process, with the authority as buyer and an award and contract
// for the supplier; each mini-competition f selects as a selective process
// of its own (see competitionRelease), whose orders are its contracts and
// no call-offs of their own. Every amount is before VAT, as the tenders price and
// cap them: a tender's ceiling, a call-off's value, its award's and
// contract's, and each item's unit price. OCDS 1.1.5 has no field for tax,
// so a call-off's award and contract say in their description that the
// amounts are before VAT, with the rate, the VAT and the total including
// it.
func (s *Store) ReleasePackage(ctx context.Context, p *auth.Principal, f Filter, o OCDS, now time.Time) (_ *ReleasePackage, err error) {
	defer apperr.Wrap(&err, "volumes.Store.ReleasePackage(%v)", f)
	if o.URI == "" {
		o.URI = o.packageURI(f)
	}
	f, err = scope(p, f)
	if err != nil {
		return nil, err
	}
	cat := i18n.For(OCDSLanguage)
	if o.Publisher == "" {
		o.Publisher = cat.T("cluster.name")
	}
	pkg := &ReleasePackage{URI: o.URI, Version: "1.1", Extensions: []string{TechniquesExtension, BidExtension},
		PublishedDate: stamp(now), Publisher: Publisher{Name: o.Publisher, URI: o.baseURL()}, Releases: []Release{}}
	cluster := Party{ID: clusterPartyID, Name: o.Publisher}

	tenders, err := s.ocdsTenders(ctx, f)
	if err != nil {
		return nil, err
	}
	for _, t := range tenders {
		pkg.Releases = append(pkg.Releases, tenderRelease(cat, o.Prefix, cluster, t))
	}
	orders, err := s.ocdsOrders(ctx, f)
	if err != nil {
		return nil, err
	}
	for _, or := range orders {
		pkg.Releases = append(pkg.Releases, orderRelease(cat, o.Prefix, cluster, or))
	}
	comps, err := s.ocdsCompetitions(ctx, f)
	if err != nil {
		return nil, err
	}
	for _, c := range comps {
		pkg.Releases = append(pkg.Releases, competitionRelease(cat, o.Prefix, c))
	}
	return pkg, nil
}

func tenderRelease(cat i18n.Catalog, prefix string, cluster Party, t *ocdsTender) Release {
	ocid := TenderOCID(prefix, t.ID)
	clusterRef := &OrgRef{ID: cluster.ID, Name: cluster.Name}
	cl := cluster
	cl.Roles = []string{"buyer", "procuringEntity"}
	r := Release{
		OCID: ocid, ID: ocid + "-" + t.UpdatedAt.UTC().Format("20060102T150405Z"), Date: stamp(t.UpdatedAt),
		Tag: []string{"tender"}, InitiationType: "tender", Language: OCDSLanguage, Parties: []Party{cl}, Buyer: clusterRef,
		Tender: &OCDSTender{
			ID: t.Number, Title: t.Title, Description: t.Description, Status: "active", ProcuringEntity: clusterRef,
			ProcurementMethod: "open", ProcurementMethodDetails: cat.T("volumes.ocds.framework_method"),
			ContractPeriod: &Period{StartDate: stamp(t.ValidFrom.Time()), EndDate: stamp(t.EndsOn.Time())},
			Techniques:     &Techniques{HasFrameworkAgreement: true},
		},
	}
	if t.Ceiling.Valid {
		r.Tender.Value = ils(t.Ceiling.Decimal)
	}
	for _, it := range t.Items {
		r.Tender.Items = append(r.Tender.Items, OCDSItem{ID: fmt.Sprint(it.ID), Description: it.SKU + " " + it.Name, Unit: &Unit{Name: it.Unit}})
	}
	if len(t.Awards) > 0 {
		r.Tag = append(r.Tag, "award")
		r.Tender.Status = "complete"
	}
	for _, a := range t.Awards {
		p := supplierParty(a.CompanyNumber, a.LegalName, "supplier")
		r.Parties = append(r.Parties, p)
		status := "active"
		if a.Status == "terminated" {
			status = "cancelled"
		}
		r.Awards = append(r.Awards, OCDSAward{ID: fmt.Sprintf("award-%d", a.ID), Status: status, Date: stamp(a.CreatedAt),
			Suppliers: []OrgRef{{ID: p.ID, Name: p.Name}}})
	}
	if t.Status == "closed" && len(t.Awards) == 0 {
		r.Tender.Status = "cancelled"
	}
	return r
}

func orderRelease(cat i18n.Catalog, prefix string, cluster Party, o *ocdsOrder) Release {
	ocid := OrderOCID(prefix, o.ID)
	buyer := Party{ID: authorityPartyID(o.AuthorityCode), Name: o.AuthorityName, Roles: []string{"buyer"}}
	supplier := supplierParty(o.CompanyNumber, o.SupplierName, "supplier")
	cl := cluster
	cl.Roles = []string{"procuringEntity"}
	competitive := false
	r := Release{
		OCID: ocid, ID: fmt.Sprintf("%s-v%d", ocid, o.Version), Date: stamp(o.UpdatedAt),
		Tag: []string{"award", "contract"}, InitiationType: "tender", Language: OCDSLanguage,
		Parties: []Party{buyer, supplier, cl}, Buyer: &OrgRef{ID: buyer.ID, Name: buyer.Name},
		Tender: &OCDSTender{
			ID: o.Number, Title: cat.T("volumes.ocds.order_title", o.Number, o.TenderTitle), Status: "complete",
			ProcuringEntity:   &OrgRef{ID: cl.ID, Name: cl.Name},
			ProcurementMethod: "limited", ProcurementMethodDetails: cat.T("volumes.ocds.call_off_method"),
			Value: ils(o.Subtotal), Competitive: &competitive,
		},
		RelatedProcesses: []RelatedProcess{{ID: "1", Relationship: []string{"framework"}, Title: o.TenderTitle,
			Scheme: "ocid", Identifier: TenderOCID(prefix, o.TenderID)}},
	}
	r.Tender.Items = orderItems(o)
	awardID := orderAwardID(o)
	awardDate := *o.SentAt
	if o.SubmittedAt != nil {
		awardDate = *o.SubmittedAt
	}
	vat := orderVAT(cat, o)
	r.Awards = []OCDSAward{{ID: awardID, Title: r.Tender.Title, Description: vat, Status: awardStatuses[o.Status],
		Date: stamp(awardDate), Value: ils(o.Subtotal), Suppliers: []OrgRef{{ID: supplier.ID, Name: supplier.Name}}}}
	r.Contracts = []OCDSContract{orderContract(o, awardID, r.Tender.Title, vat, nil)}
	return r
}

// orderItems are order o's lines at its prices.
func orderItems(o *ocdsOrder) []OCDSItem {
	var items []OCDSItem
	for _, l := range o.Lines {
		q := json.Number(l.Quantity.String())
		items = append(items, OCDSItem{ID: fmt.Sprint(l.LineNo), Description: l.SKU + " " + l.Name, Quantity: &q,
			Unit: &Unit{Name: l.Unit, Value: ils(l.UnitPrice)}})
	}
	return items
}

// orderAwardID is the id of order o's award.
func orderAwardID(o *ocdsOrder) string { return fmt.Sprintf("order-%d-award", o.ID) }

// orderVAT describes order o's VAT: its values are before VAT, as the
// framework's prices.
func orderVAT(cat i18n.Catalog, o *ocdsOrder) string {
	return cat.T("volumes.ocds.amounts_before_vat", o.VATRate.String(), money.FormatAmount(o.VAT), money.FormatAmount(o.Total))
}

// orderContract is the contract of order o, sent to its supplier, that
// follows award awardID: its value before VAT (vat describes the VAT), and
// items when given.
func orderContract(o *ocdsOrder, awardID, title, vat string, items []OCDSItem) OCDSContract {
	c := OCDSContract{ID: fmt.Sprintf("order-%d-contract", o.ID), AwardID: awardID, Title: title, Description: vat,
		Status: contractStatuses[o.Status], Value: ils(o.Subtotal), DateSigned: stamp(*o.SentAt), Items: items}
	if !o.PromisedOn.IsZero() {
		c.Period = &Period{StartDate: stamp(*o.SentAt), EndDate: stamp(o.PromisedOn.Time())}
	}
	return c
}
