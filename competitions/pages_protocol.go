package competitions

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"madaf/internal/auth"
	"madaf/internal/page"
)

// protocolData is the protocol page: the protocol and, for a member of
// the authority's committee while the request is closed, the proposal and
// vote forms.
type protocolData struct {
	P *Protocol
	// Voting is true when the caller may change the proposal and vote.
	Voting bool
	// MySlots are the committee slots the caller holds.
	MySlots []string
}

func (p *pages) protocolPage(c *gin.Context) error {
	v, err := p.competition(c)
	if err != nil {
		return err
	}
	return p.renderProtocol(c, http.StatusOK, v, nil)
}

func (p *pages) renderProtocol(c *gin.Context, status int, v *Competition, f *page.Form) error {
	caller := auth.Caller(c)
	pr, err := p.svc.Protocol(c, caller, v.ID)
	if err != nil {
		return err
	}
	d := protocolData{P: pr}
	d.Voting = v.Status == StatusClosed && caller.OrgKind == auth.OrgAuthority && caller.AuthorityID == v.AuthorityID &&
		caller.HasAny(committeeRoles...)
	for _, s := range Slots {
		if caller.Has(s) {
			d.MySlots = append(d.MySlots, s)
		}
	}
	if f == nil {
		f = page.NewForm(nil)
		if pr.Proposal != nil {
			f.Values.Set("supplier_id", page.Itoa(pr.Proposal.SupplierID))
			f.Values.Set("reason", pr.Proposal.Reason)
		}
	}
	p.eng.Render(c, status, p.protocol, d, f)
	return nil
}

// propose puts another valid quote to the committee (with its written
// reason when it is not the cheapest).
func (p *pages) propose(c *gin.Context) error {
	return p.act(c, "competition.page.proposed", p.renderProtocol, func(v *Competition, f *page.Form) (map[string]string, string, error) {
		if err := allowed(auth.Caller(c), actPropose); err != nil {
			return nil, "", err
		}
		in := ProposalInput{SupplierID: f.Int64("supplier_id", page.Required), Reason: f.Value("reason")}
		if !f.Valid() {
			return nil, "", nil
		}
		_, err := p.svc.Propose(c, auth.Caller(c), v.ID, f.Value("etag"), in)
		return nil, path(v.ID, "/protocol"), err
	})
}

// vote records the member's approval or objection with a note.
func (p *pages) vote(c *gin.Context) error {
	return p.act(c, "competition.page.voted", p.renderProtocol, func(v *Competition, f *page.Form) (map[string]string, string, error) {
		in := VoteInput{Vote: f.Value("vote"), Slot: f.Value("slot"), Note: f.Value("note"), SupplierID: f.Int64("proposal_supplier_id", false)}
		_, err := p.svc.Vote(c, auth.Caller(c), v.ID, f.Value("etag"), in)
		return nil, path(v.ID, "/protocol"), err
	})
}
