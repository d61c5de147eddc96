package volumes

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"madaf/internal/auth"
	"madaf/internal/calendar"
)

// OCDS is what a release package needs besides the data.
type OCDS struct {
	// Prefix is the registered ocid prefix ("ocds-madaf01").
	Prefix string
	// Publisher is the publishing organisation's name (the cluster).
	Publisher string
	// URI identifies the package (the address it is served from).
	URI string
}

// The OCDS structures this service publishes: the subset of the 1.1.5
// release schema it fills, plus tender.techniques (techniques extension)
// and tender.competitive.
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
		ContractPeriod           *Period     `json:"contractPeriod,omitempty"`
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
		ID        string   `json:"id"`
		Title     string   `json:"title,omitempty"`
		Status    string   `json:"status"`
		Date      string   `json:"date,omitempty"`
		Value     *Value   `json:"value,omitempty"`
		Suppliers []OrgRef `json:"suppliers"`
	}
	// OCDSContract is a contract that follows an award.
	OCDSContract struct {
		ID         string  `json:"id"`
		AwardID    string  `json:"awardID"`
		Title      string  `json:"title,omitempty"`
		Status     string  `json:"status"`
		Value      *Value  `json:"value,omitempty"`
		DateSigned string  `json:"dateSigned,omitempty"`
		Period     *Period `json:"period,omitempty"`
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
// tender.techniques.hasFrameworkAgreement.
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
		"sent": "pending", "confirmed": "active", "partially_delivered": "active", "delivered": "active",
		"closed": "active", "rejected": "unsuccessful", "cancelled": "cancelled",
	}
	contractStatuses = map[string]string{
		"sent": "pending", "confirmed": "active", "partially_delivered": "active", "delivered": "active",
		"closed": "terminated", "rejected": "cancelled", "cancelled": "cancelled",
	}
)

// ReleasePackage builds the OCDS release package of what p may see: each
// published tender as the first stage of a framework agreement, with its
// winning suppliers as awards; each order sent to a supplier (narrowed by
// f, months by submission) as a call-off of its own, related to its
// tender's process, with the authority as buyer and an award and contract
// for the supplier.
func (s *Store) ReleasePackage(ctx context.Context, p *auth.Principal, f Filter, o OCDS, now time.Time) (*ReleasePackage, error) {
	f, err := scope(p, f)
	if err != nil {
		return nil, err
	}
	pkg := &ReleasePackage{URI: o.URI, Version: "1.1", Extensions: []string{TechniquesExtension},
		PublishedDate: stamp(now), Publisher: Publisher{Name: o.Publisher}, Releases: []Release{}}
	cluster := Party{ID: clusterPartyID, Name: o.Publisher}

	tenders, err := s.ocdsTenders(ctx, f)
	if err != nil {
		return nil, err
	}
	for _, t := range tenders {
		pkg.Releases = append(pkg.Releases, tenderRelease(o.Prefix, cluster, t))
	}
	orders, err := s.ocdsOrders(ctx, f)
	if err != nil {
		return nil, err
	}
	for _, or := range orders {
		pkg.Releases = append(pkg.Releases, orderRelease(o.Prefix, cluster, or))
	}
	return pkg, nil
}

type ocdsTender struct {
	ID          int64               `db:"id"`
	Number      string              `db:"number"`
	Title       string              `db:"title"`
	Description string              `db:"description"`
	Status      string              `db:"status"`
	ValidFrom   calendar.Date       `db:"valid_from"`
	EndsOn      calendar.Date       `db:"ends_on"`
	Ceiling     decimal.NullDecimal `db:"ceiling"`
	UpdatedAt   time.Time           `db:"updated_at"`
	Items       []ocdsTenderItem
	Awards      []ocdsTenderAward
}

type ocdsTenderItem struct {
	TenderID int64  `db:"tender_id"`
	ID       int64  `db:"id"`
	SKU      string `db:"sku"`
	Name     string `db:"name"`
	Unit     string `db:"unit"`
}

type ocdsTenderAward struct {
	TenderID      int64     `db:"tender_id"`
	ID            int64     `db:"id"`
	Status        string    `db:"status"`
	CreatedAt     time.Time `db:"created_at"`
	CompanyNumber string    `db:"company_number"`
	LegalName     string    `db:"legal_name"`
}

// ocdsTenders loads the published tenders f's scope may see: all for the
// cluster, those an authority takes part in, those a supplier won.
func (s *Store) ocdsTenders(ctx context.Context, f Filter) ([]*ocdsTender, error) {
	args := []any{}
	q := `SELECT id, number, title, description, status, valid_from, coalesce(extended_until, valid_until) AS ends_on,
			ceiling, updated_at
		FROM tenders t WHERE status <> 'draft'`
	if f.TenderID != 0 {
		args = append(args, f.TenderID)
		q += fmt.Sprintf(" AND t.id = $%d", len(args))
	}
	if f.AuthorityID != 0 {
		args = append(args, f.AuthorityID)
		q += fmt.Sprintf(" AND EXISTS (SELECT 1 FROM tender_authorities ta WHERE ta.tender_id = t.id AND ta.authority_id = $%d)", len(args))
	}
	if f.SupplierID != 0 {
		args = append(args, f.SupplierID)
		q += fmt.Sprintf(" AND EXISTS (SELECT 1 FROM awards a WHERE a.tender_id = t.id AND a.supplier_id = $%d)", len(args))
	}
	q += " ORDER BY id"
	var tenders []*ocdsTender
	if err := s.db.SelectContext(ctx, &tenders, q, args...); err != nil {
		return nil, err
	}
	if len(tenders) == 0 {
		return tenders, nil
	}
	byID := map[int64]*ocdsTender{}
	ids := make([]int64, len(tenders))
	for i, t := range tenders {
		byID[t.ID], ids[i] = t, t.ID
	}
	var items []ocdsTenderItem
	const qi = `SELECT tender_id, id, sku, name, unit FROM tender_items WHERE tender_id = ANY($1) ORDER BY tender_id, id`
	if err := s.db.SelectContext(ctx, &items, qi, pq.Array(ids)); err != nil {
		return nil, err
	}
	for _, it := range items {
		byID[it.TenderID].Items = append(byID[it.TenderID].Items, it)
	}
	var awards []ocdsTenderAward
	const qa = `SELECT a.tender_id, a.id, a.status, a.created_at, s.company_number, s.legal_name
		FROM awards a JOIN suppliers s ON s.id = a.supplier_id WHERE a.tender_id = ANY($1) ORDER BY a.tender_id, a.id`
	if err := s.db.SelectContext(ctx, &awards, qa, pq.Array(ids)); err != nil {
		return nil, err
	}
	for _, a := range awards {
		byID[a.TenderID].Awards = append(byID[a.TenderID].Awards, a)
	}
	return tenders, nil
}

func tenderRelease(prefix string, cluster Party, t *ocdsTender) Release {
	ocid := TenderOCID(prefix, t.ID)
	clusterRef := &OrgRef{ID: cluster.ID, Name: cluster.Name}
	cl := cluster
	cl.Roles = []string{"buyer", "procuringEntity"}
	r := Release{
		OCID: ocid, ID: ocid + "-" + t.UpdatedAt.UTC().Format("20060102T150405Z"), Date: stamp(t.UpdatedAt),
		Tag: []string{"tender"}, InitiationType: "tender", Language: "he", Parties: []Party{cl}, Buyer: clusterRef,
		Tender: &OCDSTender{
			ID: t.Number, Title: t.Title, Description: t.Description, Status: "active", ProcuringEntity: clusterRef,
			ProcurementMethod: "open", ProcurementMethodDetails: "מכרז מדף (הסכם מסגרת)",
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

type ocdsOrder struct {
	ID            int64           `db:"id"`
	Number        string          `db:"number"`
	Status        string          `db:"status"`
	Version       int             `db:"version"`
	TenderID      int64           `db:"tender_id"`
	TenderTitle   string          `db:"tender_title"`
	AuthorityCode string          `db:"authority_code"`
	AuthorityName string          `db:"authority_name"`
	CompanyNumber string          `db:"company_number"`
	SupplierName  string          `db:"supplier_name"`
	Subtotal      decimal.Decimal `db:"subtotal"`
	Total         decimal.Decimal `db:"total"`
	SubmittedAt   *time.Time      `db:"submitted_at"`
	SentAt        time.Time       `db:"sent_at"`
	PromisedOn    calendar.Date   `db:"promised_on"`
	UpdatedAt     time.Time       `db:"updated_at"`
	Lines         []ocdsLine
}

type ocdsLine struct {
	OrderID   int64           `db:"order_id"`
	LineNo    int             `db:"line_no"`
	SKU       string          `db:"sku"`
	Name      string          `db:"name"`
	Unit      string          `db:"unit"`
	Quantity  decimal.Decimal `db:"quantity"`
	UnitPrice decimal.Decimal `db:"unit_price"`
}

// ocdsOrders loads the orders sent to their suppliers that f selects.
func (s *Store) ocdsOrders(ctx context.Context, f Filter) ([]*ocdsOrder, error) {
	var args []any
	where := f.whereSubmitted(&args)
	q := `SELECT o.id, o.number, o.status, o.version, o.tender_id, t.title AS tender_title,
			a.code AS authority_code, a.name_he AS authority_name, s.company_number, s.legal_name AS supplier_name,
			o.subtotal, o.total, o.submitted_at, o.sent_at, o.promised_on, o.updated_at
		FROM orders o
		JOIN tenders t ON t.id = o.tender_id
		JOIN authorities a ON a.id = o.authority_id
		JOIN suppliers s ON s.id = o.supplier_id
		WHERE o.sent_at IS NOT NULL AND ` + where + ` ORDER BY o.id`
	var orders []*ocdsOrder
	if err := s.db.SelectContext(ctx, &orders, q, args...); err != nil {
		return nil, err
	}
	if len(orders) == 0 {
		return orders, nil
	}
	byID := map[int64]*ocdsOrder{}
	ids := make([]int64, len(orders))
	for i, o := range orders {
		byID[o.ID], ids[i] = o, o.ID
	}
	var lines []ocdsLine
	const ql = `SELECT order_id, line_no, sku, name, unit, quantity, unit_price FROM order_lines
		WHERE order_id = ANY($1) ORDER BY order_id, line_no`
	if err := s.db.SelectContext(ctx, &lines, ql, pq.Array(ids)); err != nil {
		return nil, err
	}
	for _, l := range lines {
		byID[l.OrderID].Lines = append(byID[l.OrderID].Lines, l)
	}
	return orders, nil
}

func orderRelease(prefix string, cluster Party, o *ocdsOrder) Release {
	ocid := OrderOCID(prefix, o.ID)
	buyer := Party{ID: authorityPartyID(o.AuthorityCode), Name: o.AuthorityName, Roles: []string{"buyer"}}
	supplier := supplierParty(o.CompanyNumber, o.SupplierName, "supplier")
	cl := cluster
	cl.Roles = []string{"procuringEntity"}
	competitive := false
	r := Release{
		OCID: ocid, ID: fmt.Sprintf("%s-v%d", ocid, o.Version), Date: stamp(o.UpdatedAt),
		Tag: []string{"award", "contract"}, InitiationType: "tender", Language: "he",
		Parties: []Party{buyer, supplier, cl}, Buyer: &OrgRef{ID: buyer.ID, Name: buyer.Name},
		Tender: &OCDSTender{
			ID: o.Number, Title: "הזמנה " + o.Number + " — " + o.TenderTitle, Status: "complete",
			ProcuringEntity:   &OrgRef{ID: cl.ID, Name: cl.Name},
			ProcurementMethod: "limited", ProcurementMethodDetails: "הזמנה ממכרז מדף (הזמנת משנה בהסכם מסגרת)",
			Value: ils(o.Subtotal), Competitive: &competitive,
		},
		RelatedProcesses: []RelatedProcess{{ID: "1", Relationship: []string{"framework"}, Title: o.TenderTitle,
			Scheme: "ocid", Identifier: TenderOCID(prefix, o.TenderID)}},
	}
	var items []OCDSItem
	for _, l := range o.Lines {
		q := json.Number(l.Quantity.String())
		items = append(items, OCDSItem{ID: fmt.Sprint(l.LineNo), Description: l.SKU + " " + l.Name, Quantity: &q,
			Unit: &Unit{Name: l.Unit, Value: ils(l.UnitPrice)}})
	}
	r.Tender.Items = items
	awardID := fmt.Sprintf("order-%d-award", o.ID)
	awardDate := o.SentAt
	if o.SubmittedAt != nil {
		awardDate = *o.SubmittedAt
	}
	r.Awards = []OCDSAward{{ID: awardID, Title: r.Tender.Title, Status: awardStatuses[o.Status], Date: stamp(awardDate),
		Value: ils(o.Total), Suppliers: []OrgRef{{ID: supplier.ID, Name: supplier.Name}}}}
	c := OCDSContract{ID: fmt.Sprintf("order-%d-contract", o.ID), AwardID: awardID, Title: r.Tender.Title,
		Status: contractStatuses[o.Status], Value: ils(o.Total), DateSigned: stamp(o.SentAt)}
	if !o.PromisedOn.IsZero() {
		c.Period = &Period{StartDate: stamp(o.SentAt), EndDate: stamp(o.PromisedOn.Time())}
	}
	r.Contracts = []OCDSContract{c}
	return r
}
