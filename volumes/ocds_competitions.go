package volumes

import (
	"encoding/json"
	"fmt"
	"slices"

	"madaf/internal/i18n"
)

// BidExtension is the OCDS extension that defines a release's bids
// (bids.details) and the bid status codelist: invited, pending, valid,
// disqualified, withdrawn.
const BidExtension = "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/v1.1.5/extension.json"

// The bid extension's structures.
type (
	// Bids are a process's bids.
	Bids struct {
		Details []Bid `json:"details"`
	}
	// Bid is one winner's quote in a mini-competition.
	Bid struct {
		ID        string   `json:"id"`
		Date      string   `json:"date,omitempty"`
		Status    string   `json:"status"`
		Tenderers []OrgRef `json:"tenderers"`
		Value     *Value   `json:"value,omitempty"`
	}
)

// Bid statuses (the bid extension's bidStatus codelist) of a quote: it
// stood at the closing (valid), stood but its winner was set aside there
// (disqualified), or its winner took it back before the deadline
// (withdrawn, with no value).
const (
	BidValid        = "valid"
	BidDisqualified = "disqualified"
	BidWithdrawn    = "withdrawn"
)

// CompetitionOCID is the ocid of mini-competition id's process.
func CompetitionOCID(prefix string, id int64) string {
	return fmt.Sprintf("%s-competition-%d", prefix, id)
}

// competitionTenderStatuses map a competition's status to its tender's: it
// runs while published and while the committee decides.
var competitionTenderStatuses = map[string]string{
	"published": "active", "closed": "active", "unsuccessful": "unsuccessful", "decided": "complete", "cancelled": "cancelled",
}

// competitionRelease is mini-competition c as a contracting process of its
// own: a selective, competitive process of the authority among the
// framework's winners, related to the framework tender's process; its
// requested items (without prices), its tender and enquiry periods; once
// the quotes were opened, the number of tenderers and who they are; once
// decided, every bid with its total and status, and the award and contract
// of each order the decision made (the first, and one per pass to the next
// winner), amounts before VAT as the call-offs'.
func competitionRelease(cat i18n.Catalog, prefix string, c *ocdsCompetition) Release {
	ocid := CompetitionOCID(prefix, c.ID)
	buyer := Party{ID: authorityPartyID(c.AuthorityCode), Name: c.AuthorityName, Roles: []string{"buyer", "procuringEntity"}}
	ref := &OrgRef{ID: buyer.ID, Name: buyer.Name}
	competitive := true
	// The release changes with the competition and with each of its
	// orders: its number is the sum of their versions, each of which only
	// grows, and its date the latest change.
	version, updated := c.Version, c.UpdatedAt
	for _, o := range c.Orders {
		version += o.Version
		if o.UpdatedAt.After(updated) {
			updated = o.UpdatedAt
		}
	}
	r := Release{
		OCID: ocid, ID: fmt.Sprintf("%s-v%d", ocid, version), Date: stamp(updated),
		Tag: []string{"tender"}, InitiationType: "tender", Language: OCDSLanguage,
		Parties: []Party{buyer}, Buyer: ref,
		Tender: &OCDSTender{
			ID: fmt.Sprintf("competition-%d", c.ID), Title: cat.T("volumes.ocds.competition_title", c.TenderNumber, c.TenderTitle),
			Status: competitionTenderStatuses[c.Status], ProcuringEntity: ref,
			ProcurementMethod: "selective", ProcurementMethodDetails: cat.T("volumes.ocds.competition_method"),
			Competitive: &competitive, NumberOfTenderers: c.NumberOfTenderers,
		},
		RelatedProcesses: []RelatedProcess{{ID: "1", Relationship: []string{"framework"}, Title: c.TenderTitle,
			Scheme: "ocid", Identifier: TenderOCID(prefix, c.TenderID)}},
	}
	t := r.Tender
	if c.PublishedAt != nil && c.Deadline != nil {
		t.TenderPeriod = &Period{StartDate: stamp(*c.PublishedAt), EndDate: stamp(*c.Deadline)}
	}
	if c.PublishedAt != nil && c.QuestionsUntil != nil {
		t.EnquiryPeriod = &Period{StartDate: stamp(*c.PublishedAt), EndDate: stamp(*c.QuestionsUntil)}
	}
	if c.OpenedAt != nil {
		t.AwardPeriod = &Period{StartDate: stamp(*c.OpenedAt)}
		if c.DecidedAt != nil {
			t.AwardPeriod.EndDate = stamp(*c.DecidedAt)
		}
	}
	for _, l := range c.Lines {
		q := json.Number(l.Quantity.String())
		t.Items = append(t.Items, OCDSItem{ID: fmt.Sprint(l.LineNo), Description: l.SKU + " " + l.Name, Quantity: &q, Unit: &Unit{Name: l.Unit}})
	}
	for _, b := range c.Tenderers {
		p := addParty(&r, supplierParty(b.CompanyNumber, b.LegalName, "tenderer"))
		t.Tenderers = append(t.Tenderers, OrgRef{ID: p.ID, Name: p.Name})
	}
	if len(c.Bids) > 0 {
		r.Bids = &Bids{Details: []Bid{}}
	}
	for _, b := range c.Bids {
		p := addParty(&r, supplierParty(b.CompanyNumber, b.LegalName, "tenderer"))
		bid := Bid{ID: fmt.Sprintf("quote-%d", b.QuoteID), Status: BidValid, Tenderers: []OrgRef{{ID: p.ID, Name: p.Name}}}
		switch {
		case b.Status == "withdrawn":
			bid.Status = BidWithdrawn
		case b.SetAside:
			bid.Status = BidDisqualified
		}
		if b.LastRevisionAt != nil {
			bid.Date = stamp(*b.LastRevisionAt)
		}
		if b.Total.Valid && bid.Status != BidWithdrawn {
			bid.Value = ils(b.Total.Decimal)
		}
		r.Bids.Details = append(r.Bids.Details, bid)
	}
	for _, o := range c.Orders {
		p := addParty(&r, supplierParty(o.CompanyNumber, o.SupplierName, "supplier"))
		title := cat.T("volumes.ocds.order_title", o.Number, o.TenderTitle)
		vat := orderVAT(cat, o)
		awardID := orderAwardID(o)
		status := "pending" // decided, not yet signed and sent
		switch {
		case o.SentAt != nil:
			status = awardStatuses[o.Status]
		case o.Status == "cancelled":
			status = "cancelled"
		}
		r.Awards = append(r.Awards, OCDSAward{ID: awardID, Title: title, Description: vat, Status: status, Date: stamp(o.CreatedAt),
			Value: ils(o.Subtotal), Suppliers: []OrgRef{{ID: p.ID, Name: p.Name}}})
		if o.SentAt == nil {
			continue
		}
		r.Contracts = append(r.Contracts, orderContract(o, awardID, title, vat, orderItems(o)))
	}
	if len(r.Awards) > 0 {
		r.Tag = append(r.Tag, "award")
	}
	if len(r.Contracts) > 0 {
		r.Tag = append(r.Tag, "contract")
	}
	return r
}

// addParty adds p to r's parties, or its roles to the party of the same
// id, and returns the party as it stands.
func addParty(r *Release, p Party) Party {
	for i := range r.Parties {
		if r.Parties[i].ID != p.ID {
			continue
		}
		for _, role := range p.Roles {
			if !slices.Contains(r.Parties[i].Roles, role) {
				r.Parties[i].Roles = append(r.Parties[i].Roles, role)
			}
		}
		return r.Parties[i]
	}
	r.Parties = append(r.Parties, p)
	return p
}
