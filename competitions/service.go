package competitions

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"madaf/catalog"
	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/database"
	"madaf/internal/validate"
	"madaf/orders"
	"madaf/suppliers"
)

// Service runs the competition rules. Every method takes the caller and
// scopes by it: a competition out of the caller's scope is not found
// (404), one in scope but an action the caller's role may not take is
// forbidden (403), a stale If-Match is a failed precondition (412) and an
// action the competition's status does not allow is a conflict (409).
// Nothing changes on a refusal.
type Service struct {
	db        *sqlx.DB
	store     *Store
	catalog   *catalog.Store
	suppliers *suppliers.Store
	orders    *orders.Service
	baseURL   string
}

// Options configure a Service.
type Options struct {
	// BaseURL is the service's public address, for links in e-mails.
	BaseURL string
	// Now is the clock; nil is the database's (see the package
	// documentation). The orders a decision makes read it too.
	Now func() time.Time
	// Orders makes the decisions' orders; nil builds one over the same
	// database and clock.
	Orders *orders.Service
}

// NewService returns the competition service over db.
func NewService(db *sqlx.DB, opt Options) *Service {
	if opt.Orders == nil {
		opt.Orders = orders.NewService(db, orders.Options{BaseURL: opt.BaseURL, Now: opt.Now})
	}
	return &Service{db: db, store: NewStore(db).WithClock(opt.Now), catalog: catalog.NewStore(db),
		suppliers: suppliers.NewStore(db), orders: opt.Orders, baseURL: strings.TrimRight(opt.BaseURL, "/")}
}

// Store is the service's store, on its clock.
func (s *Service) Store() *Store { return s.store }

// action is what a caller does to a competition: the roles that may, the
// statuses it starts from, and whether it shares the competition's lock
// with others of its kind (a winner's quote beside another's) or takes it
// alone.
type action struct {
	name   string
	roles  []string
	from   []string
	shared bool
}

// committeeRoles are the roles of the committee's slots.
var committeeRoles = []string{auth.RoleCEO, auth.RoleTreasurer, auth.RoleLegalAdviser}

var (
	officerOnly  = []string{auth.RoleOfficer}
	supplierOnly = []string{auth.RoleSupplier}

	actCreate   = action{name: "create", roles: officerOnly}
	actUpdate   = action{name: "update", roles: officerOnly, from: []string{StatusDraft, StatusPublished, StatusUnsuccessful}}
	actPublish  = action{name: "publish", roles: officerOnly, from: []string{StatusDraft, StatusUnsuccessful}}
	actCancel   = action{name: "cancel", roles: officerOnly, from: []string{StatusDraft, StatusPublished, StatusClosed, StatusUnsuccessful}}
	actAnswer   = action{name: "answer", roles: officerOnly, from: []string{StatusPublished}, shared: true}
	actAsk      = action{name: "ask", roles: supplierOnly, from: []string{StatusPublished}, shared: true}
	actQuote    = action{name: "quote", roles: supplierOnly, from: []string{StatusPublished}, shared: true}
	actWithdraw = action{name: "withdraw", roles: supplierOnly, from: []string{StatusPublished}, shared: true}
	actDecline  = action{name: "decline", roles: supplierOnly, from: []string{StatusPublished}, shared: true}
	actPropose  = action{name: "propose", roles: committeeRoles, from: []string{StatusClosed}}
	actVote     = action{name: "vote", roles: committeeRoles, from: []string{StatusClosed}}
	actPass     = action{name: "pass", roles: officerOnly, from: []string{StatusDecided}}
)

// inScope reports whether p may see c, as scopeSQL does.
func inScope(p *auth.Principal, c *Competition) bool {
	switch p.OrgKind {
	case auth.OrgCluster:
		return true
	case auth.OrgAuthority:
		return c.AuthorityID == p.AuthorityID
	case auth.OrgSupplier:
		return slices.ContainsFunc(c.Invitations, func(i Invitation) bool { return i.SupplierID == p.SupplierID })
	}
	return false
}

// allowed answers 403 unless p holds a role of act.
func allowed(p *auth.Principal, act action) error {
	if p.HasAny(act.roles...) {
		return nil
	}
	verb := apperr.K("competition.verb." + act.name)
	if len(act.roles) > 1 {
		return apperr.Forbidden("competition.committee_only", verb)
	}
	return apperr.Forbidden("competition.only_role", apperr.K("role."+act.roles[0]), verb)
}

// matches answers 412 unless ifMatch is empty, "*" or c's current ETag.
func matches(c *Competition, ifMatch string) error {
	err := validate.Matches(ifMatch, c.ETag(), "competition.stale", c.ETag())
	if err == nil {
		return nil
	}
	err.Extra["status"] = c.Status
	return err
}

// wrongState is the 409 of act on a competition in status.
func wrongState(status string, act action) error {
	err := apperr.Conflict("competition.wrong_state", apperr.K("competition_status."+status), apperr.K("competition.verb."+act.name))
	err.Extra = map[string]any{"status": status}
	return err
}

// deadlinePassed is the 409 of a change after c's deadline.
func deadlinePassed(c *Competition) error {
	err := apperr.Conflict("competition.deadline_passed", formatTime(c.Deadline))
	err.Extra = map[string]any{"deadline": c.Deadline}
	return err
}

// formatTime writes t as the mails and messages show it: Israel time,
// "2026-03-15 12:00"; "" for none.
func formatTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.In(calendar.Israel).Format("2006-01-02 15:04")
}

// step is one action in progress on a locked competition, its stores in
// the action's transaction.
type step struct {
	s       *Service
	tx      *sqlx.Tx
	store   *Store
	catalog *catalog.Store
	supp    *suppliers.Store
	p       *auth.Principal
	c       *Competition
	now     time.Time
	today   calendar.Date
	notices []notice
}

// begin starts a step in tx, reading the time from the store's clock.
func (s *Service) begin(ctx context.Context, tx *sqlx.Tx, p *auth.Principal) (*step, error) {
	st := &step{s: s, tx: tx, store: s.store.InTx(tx), catalog: s.catalog.InTx(tx), supp: s.suppliers.InTx(tx), p: p}
	now, err := st.store.Now(ctx)
	if err != nil {
		return nil, err
	}
	st.now, st.today = now, calendar.DateOf(now)
	return st, nil
}

// run runs act on competition id in one transaction: it locks the
// competition row, refuses out of scope (404), a role act is not for
// (403), a stale ifMatch (412) and a status act does not start from
// (409), then runs fn and queues the mails fn asked for.
func (s *Service) run(ctx context.Context, p *auth.Principal, id int64, ifMatch string, act action, fn func(st *step) error) error {
	return database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		st, err := s.begin(ctx, tx, p)
		if err != nil {
			return err
		}
		c, err := st.store.lock(ctx, id, act.shared)
		if err != nil {
			return err
		}
		if !inScope(p, c) {
			return apperr.NotFound("not_found.competition")
		}
		st.c = c
		if err := allowed(p, act); err != nil {
			return err
		}
		if err := matches(c, ifMatch); err != nil {
			return err
		}
		if !slices.Contains(act.from, c.Status) {
			return wrongState(c.Status, act)
		}
		if err := fn(st); err != nil {
			return err
		}
		return st.writeNotices(ctx)
	})
}

// record appends the event of the step's action, which moves the
// competition to status to.
func (st *step) record(ctx context.Context, action, to, note string, data map[string]any) error {
	return st.store.addEvent(ctx, st.c, st.p.UserID, action, to, note, data)
}

// Get returns competition id as p may see it, or not-found.
func (s *Service) Get(ctx context.Context, p *auth.Principal, id int64) (c *Competition, err error) {
	defer apperr.Wrap(&err, "competitions.Service.Get(%d)", id)
	if c, err = s.store.Competition(ctx, p, id); err != nil {
		return nil, err
	}
	if p.OrgKind == auth.OrgSupplier {
		c.asSeenBySupplier(p.SupplierID)
	}
	return c, nil
}

// List returns one page of the competitions p may see that f selects,
// newest first, without lines and invitations (a supplier's inbox is its
// list). An unknown status is invalid.
func (s *Service) List(ctx context.Context, p *auth.Principal, f Filter) (out []Competition, err error) {
	defer apperr.Wrap(&err, "competitions.Service.List(%+v)", f)
	if f.Status != "" && !slices.Contains(Statuses, f.Status) {
		return nil, apperr.Invalid("competition.bad_filter", apperr.Field("status", "msg.oneof", strings.Join(Statuses, ", ")))
	}
	if out, err = s.store.Competitions(ctx, p, f); err != nil {
		return nil, err
	}
	if p.OrgKind == auth.OrgSupplier {
		for i := range out {
			out[i].asSeenBySupplier(p.SupplierID)
		}
	}
	return out, nil
}

// Events returns competition id's history, oldest first: the authority's
// and the cluster's, not a winner's.
func (s *Service) Events(ctx context.Context, p *auth.Principal, id int64) (out []Event, err error) {
	defer apperr.Wrap(&err, "competitions.Service.Events(%d)", id)
	if _, err := s.store.Competition(ctx, p, id); err != nil {
		return nil, err
	}
	if p.OrgKind == auth.OrgSupplier {
		return nil, apperr.Forbidden("competition.history_forbidden")
	}
	return s.store.Events(ctx, id)
}

// Create adds a draft request of p's authority (officer): its tender must
// be open to the authority and have winners to compete, its items the
// tender's, its budget line the authority's, its deadline (if given) a
// business day at least the tender's minimum from now.
func (s *Service) Create(ctx context.Context, p *auth.Principal, in Input) (c *Competition, err error) {
	defer apperr.Wrap(&err, "competitions.Service.Create(%d)", in.TenderID)
	if p.OrgKind != auth.OrgAuthority {
		return nil, allowed(&auth.Principal{}, actCreate)
	}
	if err := allowed(p, actCreate); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var id int64
	err = database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		st, err := s.begin(ctx, tx, p)
		if err != nil {
			return err
		}
		if err := st.checkTerms(ctx, &in, nil); err != nil {
			return err
		}
		id, err = st.store.insertCompetition(ctx, p, &in)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, p, id)
}

// checkTerms checks in against the database for the step's authority:
// the tender (c's, when c is not nil) open to it today and having winners
// to compete, the items the tender's, the budget line the authority's, the
// deadline (if given) a business day at least the tender's minimum from
// now, the requested date not past nor before the deadline. Every failing
// field is reported at once. It returns the tender.
func (st *step) checkTerms(ctx context.Context, in *Input, c *Competition) error {
	authorityID := st.p.AuthorityID
	if c != nil {
		authorityID = c.AuthorityID
	}
	rc, err := st.store.requestContext(ctx, authorityID, in)
	if apperr.Is(err, apperr.KindNotFound) {
		return apperr.Invalid("competition.invalid", apperr.Field("tender_id", "competition.msg.not_a_tender"))
	}
	if err != nil {
		return err
	}
	t := &rc.tender
	var fs []apperr.FieldError
	switch {
	case c != nil && in.TenderID != c.TenderID:
		fs = append(fs, apperr.Field("tender_id", "competition.msg.tender_fixed"))
	case !rc.participates || !t.OpenOn(st.today):
		fs = append(fs, apperr.Field("tender_id", "competition.msg.tender_not_open", t.Number))
	case t.AwardRule == catalog.RuleSingle:
		fs = append(fs, apperr.Field("tender_id", "competition.msg.single_winner", t.Number))
	case rc.activeAwards == 0:
		fs = append(fs, apperr.Field("tender_id", "competition.msg.no_winners", t.Number))
	}
	for i, it := range rc.items {
		if it.ID == 0 {
			fs = append(fs, apperr.Field(fmt.Sprintf("lines[%d].item_id", i), "competition.msg.not_tender_item", t.Number))
		}
	}
	if in.BudgetLineID != 0 && rc.lineAuthority != authorityID {
		fs = append(fs, apperr.Field("budget_line_id", "competition.msg.not_our_budget_line"))
	}
	if !in.Deadline.IsZero() && (c == nil || c.Status != StatusPublished) {
		holidays, err := st.store.holidays(ctx, st.today)
		if err != nil {
			return err
		}
		if fe := checkDeadline(in.Deadline, st.now, t.CompetitionMinDays, holidays); fe != nil {
			fs = append(fs, *fe)
		}
	}
	switch {
	case in.RequestedDate.IsZero():
	case in.RequestedDate.Before(st.today):
		fs = append(fs, apperr.Field("requested_date", "competition.msg.requested_date_past"))
	case !in.Deadline.IsZero() && in.RequestedDate.Before(in.Deadline):
		fs = append(fs, apperr.Field("requested_date", "competition.msg.requested_before_deadline", in.Deadline.String()))
	}
	if len(fs) > 0 {
		return apperr.Invalid("competition.invalid", fs...)
	}
	return nil
}

// Update replaces the terms of a request (officer, PUT semantics): a
// draft's or an unsuccessful round's freely, a published one's only before
// its deadline. Changing a published request's items, quantities or
// deadline sets every submitted quote back to draft, tells the invited
// winners, and moves the deadline to at least the tender's minimum from
// now: a deadline given must be that late, one left as it was moves.
func (s *Service) Update(ctx context.Context, p *auth.Principal, id int64, ifMatch string, in Input) (c *Competition, err error) {
	defer apperr.Wrap(&err, "competitions.Service.Update(%d)", id)
	err = s.run(ctx, p, id, ifMatch, actUpdate, func(st *step) error {
		c := st.c
		if err := in.Validate(); err != nil {
			return err
		}
		if c.Status == StatusPublished && !c.Sealed {
			return deadlinePassed(c)
		}
		if err := st.checkTerms(ctx, &in, c); err != nil {
			return err
		}
		linesSame, deadlineSame := sameTerms(c, &in)
		if c.Status != StatusPublished {
			var deadline *time.Time
			if !in.Deadline.IsZero() {
				d := DeadlineAt(in.Deadline)
				deadline = &d
			}
			if err := st.store.updateTerms(ctx, c, &in, deadline, nil, !linesSame); err != nil {
				return err
			}
			return st.record(ctx, "update", c.Status, "", nil)
		}
		if linesSame && deadlineSame {
			if err := st.store.updateTerms(ctx, c, &in, c.Deadline, c.QuestionsUntil, false); err != nil {
				return err
			}
			return st.record(ctx, "update", c.Status, "", nil)
		}
		return st.changeTerms(ctx, &in, linesSame, deadlineSame)
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, p, id)
}

// changeTerms changes the items, quantities or deadline of the step's
// published request (see Update).
func (st *step) changeTerms(ctx context.Context, in *Input, linesSame, deadlineSame bool) error {
	c := st.c
	t, err := st.catalog.Tender(ctx, c.TenderID)
	if err != nil {
		return err
	}
	holidays, err := st.store.holidays(ctx, st.today)
	if err != nil {
		return err
	}
	day := calendar.DateOf(*c.Deadline)
	if min := MinDeadline(st.now, t.CompetitionMinDays, holidays); deadlineSame && day.Before(min) {
		day = min
	} else if !deadlineSame {
		day = in.Deadline
		if fe := checkDeadline(day, st.now, t.CompetitionMinDays, holidays); fe != nil {
			return apperr.Invalid("competition.invalid", *fe)
		}
	}
	if !in.RequestedDate.IsZero() && in.RequestedDate.Before(day) {
		return apperr.Invalid("competition.invalid", apperr.Field("requested_date", "competition.msg.requested_before_deadline", day.String()))
	}
	deadline, questions := DeadlineAt(day), QuestionsUntil(day, holidays)
	if err := st.store.updateTerms(ctx, c, in, &deadline, &questions, !linesSame); err != nil {
		return err
	}
	// How many quotes went back to draft is not recorded: before the
	// deadline, it would tell who reads the events how many winners quoted.
	if _, err := st.store.quotesToDraft(ctx, c); err != nil {
		return err
	}
	data := map[string]any{"lines_changed": !linesSame, "deadline": deadline, "questions_until": questions}
	if err := st.record(ctx, "change_terms", c.Status, "", data); err != nil {
		return err
	}
	return st.notifyInvited(ctx, mailTermsChanged, true, said("competition.mail.deadline", formatTime(&deadline)),
		said("competition.mail.questions_until", formatTime(&questions)))
}

// Publish sends the request to every winner whose award is active and who
// is eligible today (officer), by mail; a draft, or an unsuccessful round
// again. It needs a delivery address, a requested date and a budget line
// (422 naming each missing one), and a deadline: the one given, the
// request's, or else the tender's minimum. The winners not invited are
// recorded with why; none to invite is a conflict.
func (s *Service) Publish(ctx context.Context, p *auth.Principal, id int64, ifMatch string, in PublishInput) (c *Competition, err error) {
	defer apperr.Wrap(&err, "competitions.Service.Publish(%d)", id)
	err = s.run(ctx, p, id, ifMatch, actPublish, func(st *step) error {
		c := st.c
		t, err := st.catalog.Tender(ctx, c.TenderID)
		if err != nil {
			return err
		}
		holidays, err := st.store.holidays(ctx, st.today)
		if err != nil {
			return err
		}
		day := in.Deadline
		if day.IsZero() && c.Deadline != nil && c.Status == StatusDraft {
			day = calendar.DateOf(*c.Deadline)
		}
		if day.IsZero() || c.Status == StatusUnsuccessful && in.Deadline.IsZero() {
			day = MinDeadline(st.now, t.CompetitionMinDays, holidays)
		}
		var fs []apperr.FieldError
		if c.DeliveryAddress == "" {
			fs = append(fs, apperr.Field("delivery_address", "competition.msg.address_required"))
		}
		switch {
		case c.RequestedDate.IsZero():
			fs = append(fs, apperr.Field("requested_date", "competition.msg.requested_date_required"))
		case c.RequestedDate.Before(day):
			fs = append(fs, apperr.Field("requested_date", "competition.msg.requested_before_deadline", day.String()))
		}
		if c.BudgetLineID == nil {
			fs = append(fs, apperr.Field("budget_line_id", "competition.msg.budget_line_required"))
		}
		if fe := checkDeadline(day, st.now, t.CompetitionMinDays, holidays); fe != nil {
			fs = append(fs, *fe)
		}
		if len(fs) > 0 {
			return apperr.Invalid("competition.cannot_publish", fs...)
		}
		if !t.OpenOn(st.today) {
			return apperr.Conflict("competition.tender_closed", t.Number)
		}
		awards, err := st.catalog.Awards(ctx, t.ID)
		if err != nil {
			return err
		}
		invited, notInvited := map[int64]int64{}, []NotInvitedWinner{}
		for _, a := range awards {
			reasons, err := st.aside(ctx, a, st.today)
			if err != nil {
				return err
			}
			if len(reasons) > 0 {
				notInvited = append(notInvited, NotInvitedWinner{SupplierID: a.SupplierID, SupplierName: a.SupplierName, Reasons: reasons})
				continue
			}
			invited[a.SupplierID] = a.ID
		}
		if len(invited) == 0 {
			return apperr.Conflict("competition.no_eligible_winner", t.Number)
		}
		deadline, questions := DeadlineAt(day), QuestionsUntil(day, holidays)
		round, err := st.store.publishRound(ctx, c, deadline, questions, invited, notInvited)
		if err != nil {
			return err
		}
		data := map[string]any{"round": round, "deadline": deadline, "invited": len(invited), "not_invited": len(notInvited)}
		if err := st.record(ctx, "publish", StatusPublished, "", data); err != nil {
			return err
		}
		facts := []fact{said("competition.mail.deadline", formatTime(&deadline)), said("competition.mail.questions_until", formatTime(&questions))}
		for sid := range invited {
			if err := st.notifySupplier(ctx, sid, mailInvited, facts...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, p, id)
}

// aside returns why award a's winner may not compete on day: its award is
// not active, or it may not receive orders (suppliers' reasons); none when
// it may.
func (st *step) aside(ctx context.Context, a catalog.Award, day calendar.Date) ([]AsideReason, error) {
	out := []AsideReason{}
	if a.Status != catalog.AwardActive {
		out = append(out, AsideReason{suppliers.Reason{Code: ReasonAwardInactive, Note: a.Status}})
	}
	reasons, err := st.supp.Eligibility(ctx, a.SupplierID, day)
	if err != nil {
		return nil, err
	}
	for _, r := range reasons {
		out = append(out, AsideReason{r})
	}
	return out, nil
}

// Cancel withdraws a request before its decision (officer) with a reason
// code (and a note for "other"); every winner invited to its round is
// told.
func (s *Service) Cancel(ctx context.Context, p *auth.Principal, id int64, ifMatch string, in CancelInput) (c *Competition, err error) {
	defer apperr.Wrap(&err, "competitions.Service.Cancel(%d)", id)
	err = s.run(ctx, p, id, ifMatch, actCancel, func(st *step) error {
		if err := in.Validate(); err != nil {
			return err
		}
		if err := st.store.cancel(ctx, st.c, in.Reason, in.Note); err != nil {
			return err
		}
		if err := st.record(ctx, "cancel", StatusCancelled, in.Note, map[string]any{"reason": in.Reason}); err != nil {
			return err
		}
		return st.notifyInvited(ctx, mailCancelled, false, named("competition.mail.reason", "competition.cancel_reason."+in.Reason),
			said("competition.mail.note", in.Note))
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, p, id)
}

// Questions returns competition id's questions as p may read them: a
// winner the answered ones and its own, the authority and the cluster
// every one; nobody learns who asked another's.
func (s *Service) Questions(ctx context.Context, p *auth.Principal, id int64) (out []Question, err error) {
	defer apperr.Wrap(&err, "competitions.Service.Questions(%d)", id)
	if _, err := s.store.Competition(ctx, p, id); err != nil {
		return nil, err
	}
	return s.store.questions(ctx, id, viewer(p))
}

// Ask adds an invited winner's question, until questions close one
// business day before the deadline; the officer who made the request is
// told.
func (s *Service) Ask(ctx context.Context, p *auth.Principal, id int64, in TextInput) (q *Question, err error) {
	defer apperr.Wrap(&err, "competitions.Service.Ask(%d)", id)
	err = s.run(ctx, p, id, "", actAsk, func(st *step) error {
		if err := in.check("competition.question_invalid", MaxQuestion); err != nil {
			return err
		}
		inv, err := st.invited(ctx)
		if err != nil {
			return err
		}
		if st.c.QuestionsUntil != nil && !st.now.Before(*st.c.QuestionsUntil) {
			return apperr.Conflict("competition.questions_closed", formatTime(st.c.QuestionsUntil))
		}
		if q, err = st.store.ask(ctx, st.c.ID, inv.SupplierID, st.p.UserID, in.Text); err != nil {
			return err
		}
		return st.notifyOfficer(ctx, mailQuestionAsked, said("competition.mail.question", in.Text))
	})
	return q, err
}

// invited returns the caller's invitation to the step's round: a round
// not sent to the caller is out of its scope (404), as is any other
// request not sent to it; having declined it is a conflict.
func (st *step) invited(ctx context.Context) (*Invitation, error) {
	inv, err := st.store.invitation(ctx, st.c, st.p.SupplierID)
	if err != nil {
		return nil, err
	}
	if inv.DeclinedAt != nil {
		return nil, apperr.Conflict("competition.declined_already")
	}
	return inv, nil
}

// Answer records the officer's answer to question qid before the deadline
// and publishes it, without the asker's name, to every invited winner.
func (s *Service) Answer(ctx context.Context, p *auth.Principal, id, qid int64, in TextInput) (q *Question, err error) {
	defer apperr.Wrap(&err, "competitions.Service.Answer(%d, %d)", id, qid)
	err = s.run(ctx, p, id, "", actAnswer, func(st *step) error {
		if err := in.check("competition.answer_invalid", MaxQuestion); err != nil {
			return err
		}
		if !st.c.Sealed {
			return deadlinePassed(st.c)
		}
		if q, err = st.store.answer(ctx, st.c.ID, qid, st.p.UserID, in.Text); err != nil {
			return err
		}
		return st.notifyInvited(ctx, mailAnswered, true, said("competition.mail.question", q.Question),
			said("competition.mail.answer", q.Answer))
	})
	if q != nil {
		q.Mine = false
	}
	return q, err
}
