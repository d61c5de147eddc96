package competitions_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"madaf/accounts"
	"madaf/internal/auth"
	"madaf/internal/webtest"
)

// totpSecret is the second factor of the signers and the committee the
// HTTP tests sign in.
const totpSecret = "F3CNCTDRGYG2TTJGDNCTYSSDG4UQSMAZ"

// signedIn is a user signed in with a session (password and second
// factor), as signers and committee members are.
type signedIn struct {
	id     int64
	cookie string
}

// mustSignIn adds a user of the member authority holding roles, with a
// password and a second factor, and signs it in through the API,
// answering the code of its authenticator.
func (e *env) mustSignIn(roles ...string) signedIn {
	e.t.Helper()
	email := fmt.Sprintf("signer%d@zichron.example", seq.Add(1))
	u := webtest.MustUser(e.t, e.db, accounts.NewUser{Email: email, OrgKind: auth.OrgAuthority, AuthorityID: e.authority, Roles: roles})
	if err := accounts.NewStore(e.db).EnrolSecondFactor(ctx, u.ID, totpSecret); err != nil {
		e.t.Fatal(err)
	}
	login := map[string]string{"email": email, "password": webtest.Password}
	r := webtest.Do(e.base.Engine, "POST", "/api/v1/auth/login", "", login)
	if r.Code != http.StatusUnauthorized || !strings.Contains(r.Body.String(), "login.code_required") {
		e.t.Fatalf("a signer signed in without a code: %d %s", r.Code, r.Body)
	}
	code, err := auth.TOTPCode(totpSecret, time.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	login["code"] = code
	r = webtest.Do(e.base.Engine, "POST", "/api/v1/auth/login", "", login)
	wantStatus(e.t, r, http.StatusOK)
	for _, c := range r.Result().Cookies() {
		if c.Name == auth.CookieName {
			return signedIn{id: u.ID, cookie: c.Value}
		}
	}
	e.t.Fatal("no session cookie")
	return signedIn{}
}

// doAs sends a request in s's session.
func (e *env) doAs(method, path string, s signedIn, body any) webtest.Response {
	return webtest.Do(e.base.Engine, method, path, "", body, "Cookie", auth.CookieName+"="+s.cookie)
}

// TestHTTPWholePath drives a mini-competition through the API: the
// officer's request, a question and its answer, two quotes and a decline,
// the closing, the committee's three approvals signed in with their second
// factor, and the order at the quoted prices submitted, signed by the
// treasurer and the head and sent to the winner.
func TestHTTPWholePath(t *testing.T) {
	e := newEnv(t)
	tn := e.mustTender("", [][]string{{"900", "500"}, {"950", "520"}, {"990", "530"}})
	ceo, treasurer, legal, head := e.mustSignIn(auth.RoleCEO), e.mustSignIn(auth.RoleTreasurer), e.mustSignIn(auth.RoleLegalAdviser), e.mustSignIn(auth.RoleHead)

	r := e.do("POST", "/api/v1/competitions", e.officer, map[string]any{"tender_id": tn.ID, "budget_line_id": e.budgetLine,
		"delivery_address": "רחוב המייסדים 40", "requested_date": "2026-06-30", "notes": "כולל התקנה",
		"lines": []map[string]any{{"item_id": tn.Items[0], "quantity": "2"}, {"item_id": tn.Items[1], "quantity": "10"}}})
	wantStatus(t, r, http.StatusCreated)
	var c struct {
		ID       int64  `json:"id"`
		Status   string `json:"status"`
		Deadline string `json:"deadline"`
		OrderID  *int64 `json:"order_id"`
	}
	r.JSON(t, &c)
	base := fmt.Sprintf("/api/v1/competitions/%d", c.ID)
	r = e.do("POST", base+"/publish", e.officer, nil, "If-Match", r.Header().Get("ETag"))
	wantStatus(t, r, http.StatusOK)
	r.JSON(t, &c)
	if c.Status != "published" || c.Deadline != "2026-03-15T10:00:00Z" {
		t.Fatalf("published %+v", c)
	}

	r = e.do("POST", base+"/questions", tn.Users[0], map[string]any{"text": "האם נדרש שירות בסוף שבוע?"})
	wantStatus(t, r, http.StatusCreated)
	var q struct{ ID int64 }
	r.JSON(t, &q)
	wantStatus(t, e.do("POST", fmt.Sprintf("%s/questions/%d/answer", base, q.ID), e.officer, map[string]any{"text": "לא"}), http.StatusOK)

	quote := func(w int, p0, p1 string) {
		t.Helper()
		r := e.do("PUT", base+"/quote", tn.Users[w], map[string]any{"lines": []map[string]any{
			{"item_id": tn.Items[0], "unit_price": p0}, {"item_id": tn.Items[1], "unit_price": p1}}})
		wantStatus(t, r, http.StatusOK)
	}
	quote(0, "880.00", "495.00")
	quote(1, "900.00", "480.00")
	e.setClock(defaultNow.Add(time.Hour))
	quote(1, "880.00", "470.00") // a revision: 1760 + 4700 = 6460, the cheapest
	wantStatus(t, e.do("POST", base+"/decline", tn.Users[2], map[string]any{"text": "אין לנו צוות פנוי"}), http.StatusOK)

	// The closing worker, past the deadline.
	e.mustClose(firstDeadline.Add(30*time.Second), 1)
	r = e.doAs("GET", base+"/protocol", ceo, nil)
	wantStatus(t, r, http.StatusOK)
	var p struct {
		Entries []struct {
			SupplierID int64  `json:"supplier_id"`
			Outcome    string `json:"outcome"`
		} `json:"entries"`
		Ranking []struct {
			SupplierID int64  `json:"supplier_id"`
			Total      string `json:"total"`
		} `json:"ranking"`
		Proposal struct {
			SupplierID int64 `json:"supplier_id"`
			Cheapest   bool  `json:"cheapest"`
		} `json:"proposal"`
		Competition struct {
			Status  string `json:"status"`
			OrderID *int64 `json:"order_id"`
		} `json:"competition"`
	}
	r.JSON(t, &p)
	if len(p.Ranking) != 2 || p.Ranking[0].SupplierID != tn.Winners[1] || p.Ranking[0].Total != "6460.00" || p.Ranking[1].Total != "6710.00" {
		t.Fatalf("ranking %s", r.Body)
	}
	if !p.Proposal.Cheapest || p.Proposal.SupplierID != tn.Winners[1] {
		t.Fatalf("proposal %s", r.Body)
	}
	outcomes := map[int64]string{}
	for _, en := range p.Entries {
		outcomes[en.SupplierID] = en.Outcome
	}
	if outcomes[tn.Winners[2]] != "declined" {
		t.Fatalf("entries %s", r.Body)
	}

	// The committee approves, each member signed in with a second factor.
	for i, member := range []signedIn{ceo, treasurer, legal} {
		r = e.doAs("POST", base+"/votes", member, map[string]any{"vote": "approve", "note": "מאשר/ת", "supplier_id": tn.Winners[1]})
		wantStatus(t, r, http.StatusOK)
		r.JSON(t, &p)
		if decided := p.Competition.Status == "decided"; decided != (i == 2) {
			t.Fatalf("after %d approvals the status is %s", i+1, p.Competition.Status)
		}
	}
	if p.Competition.OrderID == nil {
		t.Fatal("the decision made no order")
	}
	orderPath := fmt.Sprintf("/api/v1/orders/%d", *p.Competition.OrderID)
	r = e.do("GET", orderPath, e.officer, nil)
	wantStatus(t, r, http.StatusOK)
	var o struct {
		Status        string `json:"status"`
		SupplierID    int64  `json:"supplier_id"`
		CompetitionID *int64 `json:"competition_id"`
		Subtotal      string `json:"subtotal"`
		Total         string `json:"total"`
		Lines         []struct {
			UnitPrice string `json:"unit_price"`
			LineTotal string `json:"line_total"`
		} `json:"lines"`
	}
	r.JSON(t, &o)
	if o.Status != "draft" || o.SupplierID != tn.Winners[1] || o.CompetitionID == nil || *o.CompetitionID != c.ID ||
		o.Lines[0].UnitPrice != "880.00" || o.Lines[1].UnitPrice != "470.00" || o.Subtotal != "6460.00" {
		t.Fatalf("order %s", r.Body)
	}
	// No edit changes the quoted lines.
	r = e.do("PUT", orderPath, e.officer, map[string]any{"tender_id": tn.ID, "supplier_id": tn.Winners[1], "budget_line_id": e.budgetLine,
		"delivery_address": "x", "requested_date": "2026-06-30", "lines": []map[string]any{{"item_id": tn.Items[0], "quantity": "1"}}})
	wantStatus(t, r, http.StatusConflict)

	// The usual path: submission at the quoted prices, two signatures.
	r = e.do("POST", orderPath+"/submit", e.officer, nil)
	wantStatus(t, r, http.StatusOK)
	r.JSON(t, &o)
	if o.Status != "pending_approval" || o.Subtotal != "6460.00" || o.Total != "7622.80" || o.Lines[0].UnitPrice != "880.00" {
		t.Fatalf("submitted %s", r.Body)
	}
	r = e.doAs("POST", orderPath+"/sign", treasurer, map[string]any{"slot": "treasurer", "legal": true, "budget_line": true, "no_deficit": true})
	wantStatus(t, r, http.StatusOK)
	r = e.doAs("POST", orderPath+"/sign", head, map[string]any{"slot": "head"})
	wantStatus(t, r, http.StatusOK)
	r.JSON(t, &o)
	if o.Status != "sent" {
		t.Fatalf("after both signatures: %s", r.Body)
	}
	if n := e.count(`SELECT count(*) FROM mail_outbox WHERE kind = 'order_sent' AND recipient = $1`, e.supplierEmail(tn.Winners[1])); n != 1 {
		t.Fatalf("%d order mails to the winner", n)
	}
	if len(e.mails("competition_chosen")) != 1 || len(e.mails("competition_not_chosen")) != 1 {
		t.Fatalf("result mails: chosen %v, not chosen %v", e.mails("competition_chosen"), e.mails("competition_not_chosen"))
	}
}

// TestHTTPCommitteeChoosesTheSecond: the committee may put the second
// quote to the vote only with its written reason, which the decision keeps
// and the lead's report shows.
func TestHTTPCommitteeChoosesTheSecond(t *testing.T) {
	e := newEnv(t)
	tn := e.mustTender("", [][]string{{"900", "500"}, {"950", "520"}})
	c := e.mustPublished(tn, "2", "10")
	e.mustQuote(c, tn, 0, "880", "495") // 6710
	e.mustQuote(c, tn, 1, "880", "470") // 6460, the cheapest
	e.mustClose(firstDeadline, 1)
	base := fmt.Sprintf("/api/v1/competitions/%d", c.ID)

	r := e.do("POST", base+"/votes", e.ceo, map[string]any{"vote": "approve", "supplier_id": tn.Winners[1]})
	wantStatus(t, r, http.StatusOK)
	r = e.do("POST", base+"/proposal", e.ceo, map[string]any{"supplier_id": tn.Winners[0]})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if !strings.Contains(r.Body.String(), "competition.msg.reason_required") {
		t.Fatalf("the second without a reason: %s", r.Body)
	}
	wantStatus(t, e.do("POST", base+"/proposal", e.officer, map[string]any{"supplier_id": tn.Winners[0], "reason": "x"}), http.StatusForbidden)
	reason := "הספק הזול לא עמד בלוחות הזמנים בשלוש ההזמנות האחרונות"
	r = e.do("POST", base+"/proposal", e.legal, map[string]any{"supplier_id": tn.Winners[0], "reason": reason})
	wantStatus(t, r, http.StatusOK)
	var p struct {
		Proposal struct {
			Cheapest bool   `json:"cheapest"`
			Reason   string `json:"reason"`
			Rank     int    `json:"rank"`
		} `json:"proposal"`
		Votes       []any    `json:"votes"`
		Missing     []string `json:"missing"`
		Competition struct {
			Status         string `json:"status"`
			NotCheapest    bool   `json:"not_cheapest"`
			DecisionReason string `json:"decision_reason"`
			ChosenSupplier *int64 `json:"chosen_supplier_id"`
		} `json:"competition"`
	}
	r.JSON(t, &p)
	if p.Proposal.Cheapest || p.Proposal.Rank != 2 || p.Proposal.Reason != reason || len(p.Votes) != 0 || len(p.Missing) != 3 {
		t.Fatalf("the new proposal starts a new round: %s", r.Body)
	}
	// An objection holds the decision; a member may change their vote.
	wantStatus(t, e.do("POST", base+"/votes", e.treasurer, map[string]any{"vote": "object", "supplier_id": tn.Winners[0]}), http.StatusUnprocessableEntity)
	wantStatus(t, e.do("POST", base+"/votes", e.treasurer, map[string]any{"vote": "object", "note": "יש לבדוק", "supplier_id": tn.Winners[0]}), http.StatusOK)
	wantStatus(t, e.do("POST", base+"/votes", e.ceo, map[string]any{"vote": "approve", "supplier_id": tn.Winners[0]}), http.StatusOK)
	r = e.do("POST", base+"/votes", e.legal, map[string]any{"vote": "approve", "supplier_id": tn.Winners[0]})
	wantStatus(t, r, http.StatusOK)
	r.JSON(t, &p)
	if p.Competition.Status != "closed" {
		t.Fatalf("decided despite an objection: %s", r.Body)
	}
	// Another holder of the treasurer's role may not fill the slot taken.
	other := e.mustUser(auth.OrgAuthority, e.authority, auth.RoleTreasurer)
	wantStatus(t, e.do("POST", base+"/votes", other, map[string]any{"vote": "approve", "slot": "treasurer", "supplier_id": tn.Winners[0]}), http.StatusConflict)
	r = e.do("POST", base+"/votes", e.treasurer, map[string]any{"vote": "approve", "supplier_id": tn.Winners[0]})
	wantStatus(t, r, http.StatusOK)
	r.JSON(t, &p)
	if p.Competition.Status != "decided" || !p.Competition.NotCheapest || p.Competition.DecisionReason != reason ||
		*p.Competition.ChosenSupplier != tn.Winners[0] {
		t.Fatalf("decision %s", r.Body)
	}

	r = e.do("GET", "/api/v1/competitions/report", e.lead, nil)
	wantStatus(t, r, http.StatusOK)
	var rep struct {
		Rows []struct {
			Decided        int    `json:"decided"`
			Invited        int    `json:"invited"`
			Quotes         int    `json:"quotes"`
			NotCheapest    int    `json:"not_cheapest"`
			FrameworkTotal string `json:"framework_total"`
			DecidedTotal   string `json:"decided_total"`
			Savings        string `json:"savings"`
		} `json:"rows"`
		NotCheapest []struct {
			Reason        string `json:"reason"`
			ChosenTotal   string `json:"chosen_total"`
			CheapestTotal string `json:"cheapest_total"`
			Difference    string `json:"difference"`
		} `json:"not_cheapest"`
	}
	r.JSON(t, &rep)
	if len(rep.Rows) != 1 || rep.Rows[0].Decided != 1 || rep.Rows[0].Invited != 2 || rep.Rows[0].Quotes != 2 || rep.Rows[0].NotCheapest != 1 {
		t.Fatalf("report %s", r.Body)
	}
	// Framework: 2 × 900 + 10 × 500 = 6800; chosen 6710.
	if rep.Rows[0].FrameworkTotal != "6800.00" || rep.Rows[0].DecidedTotal != "6710.00" || rep.Rows[0].Savings != "90.00" {
		t.Fatalf("savings %s", r.Body)
	}
	if len(rep.NotCheapest) != 1 || rep.NotCheapest[0].Reason != reason || rep.NotCheapest[0].Difference != "250.00" {
		t.Fatalf("non-cheapest decisions %s", r.Body)
	}
	wantStatus(t, e.do("GET", "/api/v1/competitions/report", e.officer, nil), http.StatusForbidden)
}
