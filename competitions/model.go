// Package competitions holds mini-competitions among a shelf tender's
// winners (התמחרות בין הזוכים): an authority's request for quotes, its
// questions and answers, the winners' sealed quotes, the closing that opens
// and ranks them, the committee of three that approves the protocol, and
// the order the decision makes at the quoted prices.
//
// # Life of a request
//
//	draft ──publish──▶ published ──deadline (Closer)──▶ closed ──three approvals──▶ decided
//	                      │                              │
//	                      │                              └─(no valid quote)─▶ unsuccessful ──publish──▶ published
//	draft | published | closed | unsuccessful ──cancel(reason code)──▶ cancelled
//
// Publishing invites every winner whose award is active and who is
// eligible that day (suppliers.Store.Eligibility), by mail and in its
// inbox. A winner quotes a unit price per line, each at most its framework
// price in force that day, may revise until the deadline (every revision
// is kept, the last counts), withdraw or decline with a reason. A change
// to the items, quantities or deadline of a published request sets every
// submitted quote back to draft, tells the winners and moves the deadline
// to at least the minimum from the change.
//
// # Sealed quotes
//
// Until the deadline nobody but the quoting winner reads a quote's prices.
// The store holds it in SQL: every query that reads another's prices
// compares the deadline with the database's clock
// (competition_quotes_open), and a revision after the deadline is refused
// by the database (the trigger competition_revision_in_time, and the
// revision's statement itself). The audit trail records quoted prices as
// changed ("***"), never their value. The clock is the database's unless a
// Service is given one (Options.Now, the tests' way to move time); it is
// then passed to every statement that reads the time.
//
// # Why no quote is lost at the deadline
//
// A revision locks the competition row FOR SHARE, then checks in SQL that
// the round is published and its clock is before the deadline; the closing
// locks the row FOR UPDATE, so it waits for every revision that got its
// lock first and reads them all, while a revision that waited for the
// closing finds the round closed and is refused. Each revision is one
// transaction: it is in whole, with every line, or not at all.
package competitions

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/database"
	"madaf/internal/money"
	"madaf/orders"
	"madaf/suppliers"
)

// Statuses of a competition.
const (
	StatusDraft        = "draft"
	StatusPublished    = "published"
	StatusClosed       = "closed"
	StatusUnsuccessful = "unsuccessful"
	StatusDecided      = "decided"
	StatusCancelled    = "cancelled"
)

// Statuses lists every status, in the order of a competition's life.
var Statuses = []string{StatusDraft, StatusPublished, StatusClosed, StatusUnsuccessful, StatusDecided, StatusCancelled}

// Quote statuses: a quote is submitted; it is a draft again when the terms
// changed after its last revision (which then counts no more), and
// withdrawn when its winner took it back.
const (
	QuoteDraft     = "draft"
	QuoteSubmitted = "submitted"
	QuoteWithdrawn = "withdrawn"
)

// Committee slots: the authority's director-general, treasurer and legal
// adviser, each filled by a user holding the slot's role.
const (
	SlotCEO          = auth.RoleCEO
	SlotTreasurer    = auth.RoleTreasurer
	SlotLegalAdviser = auth.RoleLegalAdviser
)

// Slots are the committee's three slots, in the order the protocol lists
// them.
var Slots = []string{SlotCEO, SlotTreasurer, SlotLegalAdviser}

// Votes a member gives.
const (
	VoteApprove = "approve"
	VoteObject  = "object"
)

// CancelReasons are the reason codes of a cancellation.
var CancelReasons = []string{"no_longer_needed", "budget_change", "wrong_details", "duplicate", "other"}

// Reasons a winner is set aside at the closing, beside the suppliers'
// (suppliers.Reason): its award is no longer active.
const ReasonAwardInactive = "award_inactive"

// DeadlineHour is the hour of Israel time at which a deadline falls.
const DeadlineHour = 12

// Bounds on a request.
const (
	MaxLines    = 500
	MaxText     = 4000
	MaxReason   = 2000
	MaxQuestion = 4000
)

// MaxQuantity is the largest quantity of a line.
var MaxQuantity = decimal.NewFromInt(1_000_000)

// Competition is a request for quotes from a tender's winners. Money never
// appears on it: quotes are read apart (Store.Quotes), sealed until the
// deadline. Suppliers see it without the authority's budget line, the
// proposal and the other invitations (asSeenBySupplier).
type Competition struct {
	ID              int64         `db:"id" json:"id"`
	Status          string        `db:"status" json:"status"`
	Round           int           `db:"round" json:"round"`
	Version         int           `db:"version" json:"version"`
	AuthorityID     int64         `db:"authority_id" json:"authority_id"`
	AuthorityName   string        `db:"authority_name" json:"authority_name"`
	TenderID        int64         `db:"tender_id" json:"tender_id"`
	TenderNumber    string        `db:"tender_number" json:"tender_number"`
	TenderTitle     string        `db:"tender_title" json:"tender_title"`
	AwardRule       string        `db:"award_rule" json:"award_rule"`
	BudgetLineID    *int64        `db:"budget_line_id" json:"budget_line_id"`
	DeliveryAddress string        `db:"delivery_address" json:"delivery_address"`
	RequestedDate   calendar.Date `db:"requested_date" json:"requested_date"`
	Notes           string        `db:"notes" json:"notes"`
	Deadline        *time.Time    `db:"deadline" json:"deadline"`
	QuestionsUntil  *time.Time    `db:"questions_until" json:"questions_until"`
	PublishedAt     *time.Time    `db:"published_at" json:"published_at"`
	OpenedAt        *time.Time    `db:"opened_at" json:"opened_at"`
	// NotInvited are the winners the round was not sent to, with why.
	NotInvited NotInvitedList `db:"not_invited" json:"not_invited"`
	// CommitteeRound counts the proposals put to the committee.
	CommitteeRound     int        `db:"committee_round" json:"committee_round"`
	ProposalSupplierID *int64     `db:"proposal_supplier_id" json:"proposal_supplier_id"`
	ProposalReason     string     `db:"proposal_reason" json:"proposal_reason"`
	DecidedAt          *time.Time `db:"decided_at" json:"decided_at"`
	ChosenSupplierID   *int64     `db:"chosen_supplier_id" json:"chosen_supplier_id"`
	// NotCheapest is true when the committee chose other than the cheapest
	// valid quote, for DecisionReason.
	NotCheapest    bool       `db:"not_cheapest" json:"not_cheapest"`
	DecisionReason string     `db:"decision_reason" json:"decision_reason"`
	OrderID        *int64     `db:"order_id" json:"order_id"`
	CancelReason   string     `db:"cancel_reason" json:"cancel_reason"`
	CancelNote     string     `db:"cancel_note" json:"cancel_note"`
	CancelledAt    *time.Time `db:"cancelled_at" json:"cancelled_at"`
	CreatedBy      int64      `db:"created_by" json:"created_by"`
	CreatedAt      time.Time  `db:"created_at" json:"created_at"`
	UpdatedAt      time.Time  `db:"updated_at" json:"updated_at"`
	// Sealed is true while the quotes may not be read (before the
	// deadline by the database's clock).
	Sealed bool `db:"sealed" json:"sealed"`

	Lines       []Line       `db:"-" json:"lines"`
	Invitations []Invitation `db:"-" json:"invitations"`
}

// ETag is the competition's entity tag, "c<version>".
func (c *Competition) ETag() string { return fmt.Sprintf(`"c%d"`, c.Version) }

// asSeenBySupplier leaves of c what the winner supplierID sees: the terms
// of the request and its own invitation; not the authority's budget line,
// the other winners, the proposal or the committee's reasons.
func (c *Competition) asSeenBySupplier(supplierID int64) {
	c.BudgetLineID = nil
	c.NotInvited = NotInvitedList{}
	c.ProposalSupplierID, c.ProposalReason, c.DecisionReason, c.NotCheapest = nil, "", "", false
	c.CancelNote = ""
	own := []Invitation{}
	for _, inv := range c.Invitations {
		if inv.SupplierID == supplierID && inv.Round == c.Round {
			own = append(own, inv)
		}
	}
	c.Invitations = own
	if c.ChosenSupplierID != nil && *c.ChosenSupplierID != supplierID {
		c.OrderID = nil
	}
}

// Line is one requested item and quantity.
type Line struct {
	ID       int64           `db:"id" json:"id"`
	LineNo   int             `db:"line_no" json:"line_no"`
	ItemID   int64           `db:"item_id" json:"item_id"`
	SKU      string          `db:"sku" json:"sku"`
	Name     string          `db:"name" json:"name"`
	Unit     string          `db:"unit" json:"unit"`
	Quantity decimal.Decimal `db:"quantity" json:"quantity"`
}

// Invitation is a winner invited to one round: whether it declined (and
// why) and, after the closing, whether it was set aside (and why) and its
// rank among the valid quotes.
type Invitation struct {
	ID              int64        `db:"id" json:"id"`
	Round           int          `db:"round" json:"round"`
	SupplierID      int64        `db:"supplier_id" json:"supplier_id"`
	SupplierName    string       `db:"supplier_name" json:"supplier_name"`
	InvitedAt       time.Time    `db:"invited_at" json:"invited_at"`
	DeclinedAt      *time.Time   `db:"declined_at" json:"declined_at"`
	DeclineReason   string       `db:"decline_reason" json:"decline_reason"`
	SetAsideReasons AsideReasons `db:"set_aside_reasons" json:"set_aside_reasons"`
	Rank            *int         `db:"rank" json:"rank"`
	QuoteStatus     string       `db:"quote_status" json:"quote_status"`
	Revisions       int          `db:"revisions" json:"revisions"`
	LastRevisionAt  *time.Time   `db:"last_revision_at" json:"last_revision_at"`
	AwardID         int64        `db:"award_id" json:"-"`
}

// NotInvitedWinner is a winner a round was not sent to: its award was not
// active or it was not eligible that day.
type NotInvitedWinner struct {
	SupplierID   int64         `json:"supplier_id"`
	SupplierName string        `json:"supplier_name"`
	Reasons      []AsideReason `json:"reasons"`
}

// NotInvitedList is a jsonb list of NotInvitedWinner.
type NotInvitedList []NotInvitedWinner

// Scan reads the jsonb list.
func (l *NotInvitedList) Scan(src any) error { return database.ScanJSON(src, l, NotInvitedList{}) }

// AsideReason is why a winner was not invited or was set aside: one of the
// suppliers' reasons (suspended, a certificate missing or expired) or
// ReasonAwardInactive with the award's status as the note.
type AsideReason struct {
	suppliers.Reason
}

// Msg is the reason for a person.
func (r AsideReason) Msg() apperr.Msg {
	if r.Code == ReasonAwardInactive {
		return apperr.M("competition.reason.award_inactive", apperr.K("award_status."+r.Note))
	}
	return r.Reason.Msg()
}

// AsideReasons is a jsonb list of reasons; nil when none was recorded.
type AsideReasons []AsideReason

// Scan reads the jsonb list (null: none).
func (l *AsideReasons) Scan(src any) error { return database.ScanJSON(src, l, AsideReasons(nil)) }

// Question is a winner's question and the officer's answer. Everyone
// invited reads an answered question; nobody but the asker learns who
// asked (Mine, AskedAt).
type Question struct {
	ID         int64      `db:"id" json:"id"`
	Question   string     `db:"question" json:"question"`
	Answer     string     `db:"answer" json:"answer"`
	AnsweredAt *time.Time `db:"answered_at" json:"answered_at"`
	AskedAt    time.Time  `db:"asked_at" json:"asked_at"`
	// Mine is true for the caller's own question.
	Mine       bool  `db:"mine" json:"mine"`
	SupplierID int64 `db:"supplier_id" json:"-"`
}

// Quote is a winner's quote as its last revision stands: each line's unit
// price and total, the framework price it may not exceed, and the total.
// Read by anyone but its winner only once the deadline has passed.
type Quote struct {
	SupplierID     int64        `db:"supplier_id" json:"supplier_id"`
	SupplierName   string       `db:"supplier_name" json:"supplier_name"`
	Status         string       `db:"status" json:"status"`
	Revision       int          `db:"revision" json:"revision"`
	LastRevisionAt time.Time    `db:"last_revision_at" json:"last_revision_at"`
	Total          money.Amount `db:"quoted_total" json:"total"`
	// FrameworkTotal is the same lines at the winner's framework prices.
	FrameworkTotal money.Amount `db:"framework_total" json:"framework_total"`
	Lines          []QuoteLine  `db:"-" json:"lines"`
	RevisionID     int64        `db:"revision_id" json:"-"`
}

// QuoteLine is one priced line of a quote.
type QuoteLine struct {
	LineNo         int             `db:"line_no" json:"line_no"`
	ItemID         int64           `db:"item_id" json:"item_id"`
	SKU            string          `db:"sku" json:"sku"`
	Name           string          `db:"name" json:"name"`
	Unit           string          `db:"unit" json:"unit"`
	Quantity       decimal.Decimal `db:"quantity" json:"quantity"`
	UnitPrice      money.Amount    `db:"quoted_price" json:"unit_price"`
	LineTotal      money.Amount    `db:"quoted_total" json:"line_total"`
	FrameworkPrice money.Amount    `db:"framework_price" json:"framework_price"`
	RevisionID     int64           `db:"revision_id" json:"-"`
}

// QuoteForm is what a winner quotes on: each line with its cap (the
// framework price in force today, nil when it has none), its invitation,
// its quote as it stands and every revision it made.
type QuoteForm struct {
	CompetitionID int64         `json:"competition_id"`
	Deadline      *time.Time    `json:"deadline"`
	Open          bool          `json:"open"`
	Invitation    Invitation    `json:"invitation"`
	Lines         []CapLine     `json:"lines"`
	Quote         *Quote        `json:"quote"`
	Revisions     []RevisionRef `json:"revisions"`
}

// CapLine is a line of the request with the winner's cap.
type CapLine struct {
	LineNo   int             `db:"line_no" json:"line_no"`
	ItemID   int64           `db:"item_id" json:"item_id"`
	SKU      string          `db:"sku" json:"sku"`
	Name     string          `db:"name" json:"name"`
	Unit     string          `db:"unit" json:"unit"`
	Quantity decimal.Decimal `db:"quantity" json:"quantity"`
	Cap      *money.Amount   `db:"cap" json:"cap"`
}

// RevisionRef is one kept revision of a quote.
type RevisionRef struct {
	Revision    int          `db:"revision" json:"revision"`
	SubmittedAt time.Time    `db:"submitted_at" json:"submitted_at"`
	Total       money.Amount `db:"quoted_total" json:"total"`
}

// Vote is a committee member's approval or objection in a round.
type Vote struct {
	CommitteeRound int       `db:"committee_round" json:"committee_round"`
	Slot           string    `db:"slot" json:"slot"`
	UserID         int64     `db:"user_id" json:"user_id"`
	UserName       string    `db:"user_name" json:"user_name"`
	Vote           string    `db:"vote" json:"vote"`
	Note           string    `db:"note" json:"note"`
	VotedAt        time.Time `db:"voted_at" json:"voted_at"`
}

// Event is one entry of a competition's append-only history: the same
// entry as an order's (who, when, the action, the statuses it moved
// between, the note and the action's data).
type Event = orders.Event

// Protocol is what the committee approves: who was invited (and who was
// not, with why), who quoted, declined or was set aside (with why), every
// valid and set-aside quote line by line, the ranking of the valid quotes,
// the proposal and the votes of its round.
type Protocol struct {
	Competition *Competition     `json:"competition"`
	OpenedAt    *time.Time       `json:"opened_at"`
	Entries     []ProtocolEntry  `json:"entries"`
	Ranking     []RankedQuote    `json:"ranking"`
	Proposal    *ProposalSummary `json:"proposal"`
	Votes       []Vote           `json:"votes"`
	// Missing are the committee slots still to approve in this round.
	Missing []string `json:"missing"`
}

// ProtocolEntry is one invited winner in the protocol.
type ProtocolEntry struct {
	SupplierID    int64         `json:"supplier_id"`
	SupplierName  string        `json:"supplier_name"`
	Outcome       string        `json:"outcome"`
	DeclineReason string        `json:"decline_reason"`
	SetAside      []AsideReason `json:"set_aside_reasons"`
	Rank          *int          `json:"rank"`
	Quote         *Quote        `json:"quote"`
}

// Outcomes of an invited winner at the closing.
const (
	OutcomeRanked   = "ranked"
	OutcomeSetAside = "set_aside"
	OutcomeDeclined = "declined"
	OutcomeNoQuote  = "no_quote"
)

// RankedQuote is one valid quote in the ranking.
type RankedQuote struct {
	Rank           int          `json:"rank"`
	SupplierID     int64        `json:"supplier_id"`
	SupplierName   string       `json:"supplier_name"`
	Total          money.Amount `json:"total"`
	LastRevisionAt time.Time    `json:"last_revision_at"`
}

// ProposalSummary is the supplier put to the committee: whether it is the
// cheapest valid quote and, when not, the committee's written reason.
type ProposalSummary struct {
	SupplierID   int64        `json:"supplier_id"`
	SupplierName string       `json:"supplier_name"`
	Rank         int          `json:"rank"`
	Total        money.Amount `json:"total"`
	Cheapest     bool         `json:"cheapest"`
	Reason       string       `json:"reason"`
}

// ranked is a valid quote for the ranking: its total and the time of its
// last revision.
type ranked struct {
	supplierID   int64
	invitationID int64
	total        decimal.Decimal
	at           time.Time
}

// rank orders valid quotes by total, then by the time of their last
// revision (earlier first), then by invitation; the first is rank 1.
func rank(qs []ranked) {
	slices.SortStableFunc(qs, func(a, b ranked) int {
		if c := a.total.Cmp(b.total); c != 0 {
			return c
		}
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return int(a.invitationID - b.invitationID)
	})
}

// Input is the body of POST /competitions and PUT /competitions/{id}: the
// request's terms. A draft may lack its budget line, address, date and
// deadline; Publish refuses it until it has them. Deadline is the day
// quotes close, at 12:00 Israel time (zero: the tender's minimum).
type Input struct {
	TenderID        int64         `json:"tender_id"`
	BudgetLineID    int64         `json:"budget_line_id"`
	DeliveryAddress string        `json:"delivery_address"`
	RequestedDate   calendar.Date `json:"requested_date"`
	Notes           string        `json:"notes"`
	Deadline        calendar.Date `json:"deadline"`
	Lines           []LineInput   `json:"lines"`
}

// LineInput is one requested item and quantity.
type LineInput struct {
	ItemID   int64           `json:"item_id"`
	Quantity decimal.Decimal `json:"quantity"`
}

// Validate checks what needs no database, reporting every field at once.
func (in *Input) Validate() error {
	var fs []apperr.FieldError
	in.DeliveryAddress, in.Notes = strings.TrimSpace(in.DeliveryAddress), strings.TrimSpace(in.Notes)
	if in.TenderID <= 0 {
		fs = append(fs, apperr.Field("tender_id", "msg.required"))
	}
	if in.BudgetLineID < 0 {
		fs = append(fs, apperr.Field("budget_line_id", "competition.msg.not_our_budget_line"))
	}
	if len([]rune(in.DeliveryAddress)) > 500 {
		fs = append(fs, apperr.Field("delivery_address", "msg.max_len", 500))
	}
	if len([]rune(in.Notes)) > MaxText {
		fs = append(fs, apperr.Field("notes", "msg.max_len", MaxText))
	}
	if !in.RequestedDate.IsZero() && in.RequestedDate.Year() > 2100 {
		fs = append(fs, apperr.Field("requested_date", "competition.msg.date_too_far"))
	}
	if !in.Deadline.IsZero() && in.Deadline.Year() > 2100 {
		fs = append(fs, apperr.Field("deadline", "competition.msg.date_too_far"))
	}
	switch {
	case len(in.Lines) == 0:
		fs = append(fs, apperr.Field("lines", "competition.msg.no_lines"))
	case len(in.Lines) > MaxLines:
		fs = append(fs, apperr.Field("lines", "competition.msg.too_many_lines", MaxLines))
	}
	seen := map[int64]int{}
	for i, l := range in.Lines {
		f := fmt.Sprintf("lines[%d]", i)
		if l.ItemID <= 0 {
			fs = append(fs, apperr.Field(f+".item_id", "msg.required"))
		} else if j, dup := seen[l.ItemID]; dup {
			fs = append(fs, apperr.Field(f+".item_id", "competition.msg.item_repeated", j+1))
		}
		seen[l.ItemID] = i
		switch q := l.Quantity; {
		case !q.IsPositive():
			fs = append(fs, apperr.Field(f+".quantity", "msg.positive"))
		case q.GreaterThan(MaxQuantity):
			fs = append(fs, apperr.Field(f+".quantity", "msg.max", MaxQuantity.String()))
		case !q.Equal(q.Round(3)):
			fs = append(fs, apperr.Field(f+".quantity", "competition.msg.quantity_decimals"))
		}
	}
	if len(fs) > 0 {
		return apperr.Invalid("competition.invalid", fs...)
	}
	return nil
}

// sameTerms reports whether in asks for what c asks: the same items and
// quantities, line by line, and the same deadline day (zero in in keeps
// c's).
func sameTerms(c *Competition, in *Input) (linesSame, deadlineSame bool) {
	linesSame = len(c.Lines) == len(in.Lines)
	for i := 0; linesSame && i < len(in.Lines); i++ {
		linesSame = c.Lines[i].ItemID == in.Lines[i].ItemID && c.Lines[i].Quantity.Equal(in.Lines[i].Quantity)
	}
	deadlineSame = in.Deadline.IsZero() || c.Deadline != nil && calendar.DateOf(*c.Deadline) == in.Deadline
	return linesSame, deadlineSame
}

// PublishInput is the body of POST /competitions/{id}/publish: the
// deadline day, zero for the one the request has (or the minimum).
type PublishInput struct {
	Deadline calendar.Date `json:"deadline"`
}

// CancelInput is the body of POST /competitions/{id}/cancel.
type CancelInput struct {
	Reason string `json:"reason"`
	Note   string `json:"note"`
}

// Validate checks the reason code, and a note for "other".
func (in *CancelInput) Validate() error {
	in.Note = strings.TrimSpace(in.Note)
	var fs []apperr.FieldError
	if !slices.Contains(CancelReasons, in.Reason) {
		fs = append(fs, apperr.Field("reason", "msg.oneof", strings.Join(CancelReasons, ", ")))
	}
	if in.Reason == "other" && in.Note == "" {
		fs = append(fs, apperr.Field("note", "competition.msg.note_required_other"))
	}
	if len([]rune(in.Note)) > MaxReason {
		fs = append(fs, apperr.Field("note", "msg.max_len", MaxReason))
	}
	if len(fs) > 0 {
		return apperr.Invalid("competition.cancellation_invalid", fs...)
	}
	return nil
}

// TextInput is a body of one text: a question, an answer, a reason for
// declining, a note.
type TextInput struct {
	Text string `json:"text"`
}

// check trims the text and refuses it empty or longer than max, naming
// field in the error key.
func (in *TextInput) check(key string, max int) error {
	in.Text = strings.TrimSpace(in.Text)
	switch {
	case in.Text == "":
		return apperr.Invalid(key, apperr.Field("text", "msg.required"))
	case len([]rune(in.Text)) > max:
		return apperr.Invalid(key, apperr.Field("text", "msg.max_len", max))
	}
	return nil
}

// QuoteInput is the body of PUT /competitions/{id}/quote: a unit price for
// every line of the request.
type QuoteInput struct {
	Lines []QuoteLineInput `json:"lines"`
}

// QuoteLineInput is the unit price quoted for one item.
type QuoteLineInput struct {
	ItemID    int64        `json:"item_id"`
	UnitPrice money.Amount `json:"unit_price"`
}

// ProposalInput is the body of POST /competitions/{id}/proposal: the
// winner to put to the committee and, for any but the cheapest valid
// quote, the committee's written reason.
type ProposalInput struct {
	SupplierID int64  `json:"supplier_id"`
	Reason     string `json:"reason"`
}

// VoteInput is the body of POST /competitions/{id}/votes: approve or
// object (with a note) in a slot (left out: the first slot the member
// holds that has not voted in this round), on the proposal of SupplierID
// (left out: the one the request's If-Match saw).
type VoteInput struct {
	Vote       string `json:"vote"`
	Slot       string `json:"slot"`
	Note       string `json:"note"`
	SupplierID int64  `json:"supplier_id"`
}

// Validate checks the vote, the slot and the note.
func (in *VoteInput) Validate() error {
	in.Note = strings.TrimSpace(in.Note)
	var fs []apperr.FieldError
	if in.Vote != VoteApprove && in.Vote != VoteObject {
		fs = append(fs, apperr.Field("vote", "msg.oneof", VoteApprove+", "+VoteObject))
	}
	if in.Slot != "" && !slices.Contains(Slots, in.Slot) {
		fs = append(fs, apperr.Field("slot", "msg.oneof", strings.Join(Slots, ", ")))
	}
	if in.Vote == VoteObject && in.Note == "" {
		fs = append(fs, apperr.Field("note", "competition.msg.objection_note"))
	}
	if len([]rune(in.Note)) > MaxReason {
		fs = append(fs, apperr.Field("note", "msg.max_len", MaxReason))
	}
	if len(fs) > 0 {
		return apperr.Invalid("competition.vote_invalid", fs...)
	}
	return nil
}

// Filter selects competitions for List; zero fields do not narrow.
type Filter struct {
	Status      string
	TenderID    int64
	AuthorityID int64
	Limit       int
	// After is the id of the last competition of the previous page (newest
	// first); 0 for the first page.
	After int64
}

// DeadlineAt is 12:00 Israel time on day d.
func DeadlineAt(d calendar.Date) time.Time {
	return time.Date(d.Year(), d.Time().Month(), d.Time().Day(), DeadlineHour, 0, 0, 0, calendar.Israel)
}

// isBusinessDay reports whether d is a business day: Sunday to Thursday
// and not one of holidays.
func isBusinessDay(d calendar.Date, holidays []calendar.Date) bool {
	return calendar.IsBusinessDay(d) && !slices.Contains(holidays, d)
}

// MinDeadline is the earliest deadline day of a request published or
// changed at now under a tender whose minimum is days business days: the
// business day days business days after now's day in Israel.
func MinDeadline(now time.Time, days int, holidays []calendar.Date) calendar.Date {
	return calendar.AddBusinessDays(calendar.DateOf(now), days, holidays...)
}

// QuestionsUntil is when questions close for a deadline on day d: 12:00 on
// the business day before it.
func QuestionsUntil(d calendar.Date, holidays []calendar.Date) time.Time {
	prev := d.AddDays(-1)
	for !isBusinessDay(prev, holidays) {
		prev = prev.AddDays(-1)
	}
	return DeadlineAt(prev)
}

// checkDeadline reports what is wrong with day as the deadline of a
// request published or changed at now under a tender of days business
// days: it must be a business day, not before the minimum.
func checkDeadline(day calendar.Date, now time.Time, days int, holidays []calendar.Date) *apperr.FieldError {
	min := MinDeadline(now, days, holidays)
	var fe apperr.FieldError
	switch {
	case day.Before(min):
		fe = apperr.Field("deadline", "competition.msg.deadline_before_min", min.String(), days)
	case !isBusinessDay(day, holidays):
		fe = apperr.Field("deadline", "competition.msg.deadline_not_business_day", day.String())
	default:
		return nil
	}
	return &fe
}
