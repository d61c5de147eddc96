package competitions

import (
	"context"
	"time"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/money"
)

// ReportFilter narrows the lead's report: zero fields do not. From and To
// bound the day a request was first published, both included.
type ReportFilter struct {
	TenderID    int64
	AuthorityID int64
	From, To    calendar.Date
	Lang        string
}

// Report is the economic lead's view of the mini-competitions, by tender
// and authority, with every decision that chose other than the cheapest
// valid quote. Quote counts and money count only requests whose deadline
// has passed; savings are the chosen quotes' distance below the same lines
// at the chosen winners' framework prices.
type Report struct {
	Rows        []ReportRow   `json:"rows"`
	NotCheapest []NotCheapest `json:"not_cheapest"`
}

// ReportRow is one tender and authority of the report.
type ReportRow struct {
	TenderID       int64        `db:"tender_id" json:"tender_id"`
	TenderNumber   string       `db:"tender_number" json:"tender_number"`
	AuthorityID    int64        `db:"authority_id" json:"authority_id"`
	AuthorityName  string       `db:"authority_name" json:"authority_name"`
	Competitions   int          `db:"competitions" json:"competitions"`
	Published      int          `db:"published" json:"published"`
	Closed         int          `db:"closed" json:"closed"`
	Decided        int          `db:"decided" json:"decided"`
	Unsuccessful   int          `db:"unsuccessful" json:"unsuccessful"`
	Cancelled      int          `db:"cancelled" json:"cancelled"`
	Invited        int          `db:"invited" json:"invited"`
	Quotes         int          `db:"quotes" json:"quotes"`
	Declines       int          `db:"declines" json:"declines"`
	SetAside       int          `db:"set_aside" json:"set_aside"`
	FrameworkTotal money.Amount `db:"framework_total" json:"framework_total"`
	DecidedTotal   money.Amount `db:"decided_total" json:"decided_total"`
	Savings        money.Amount `db:"-" json:"savings"`
	NotCheapest    int          `db:"not_cheapest" json:"not_cheapest"`
}

// NotCheapest is one decision for other than the cheapest valid quote,
// with the committee's reason.
type NotCheapest struct {
	CompetitionID        int64        `db:"competition_id" json:"competition_id"`
	TenderID             int64        `db:"tender_id" json:"tender_id"`
	TenderNumber         string       `db:"tender_number" json:"tender_number"`
	AuthorityID          int64        `db:"authority_id" json:"authority_id"`
	AuthorityName        string       `db:"authority_name" json:"authority_name"`
	DecidedAt            time.Time    `db:"decided_at" json:"decided_at"`
	ChosenSupplierID     int64        `db:"chosen_supplier_id" json:"chosen_supplier_id"`
	ChosenSupplierName   string       `db:"chosen_supplier_name" json:"chosen_supplier_name"`
	ChosenTotal          money.Amount `db:"chosen_total" json:"chosen_total"`
	CheapestSupplierID   int64        `db:"cheapest_supplier_id" json:"cheapest_supplier_id"`
	CheapestSupplierName string       `db:"cheapest_supplier_name" json:"cheapest_supplier_name"`
	CheapestTotal        money.Amount `db:"cheapest_total" json:"cheapest_total"`
	Difference           money.Amount `db:"-" json:"difference"`
	Reason               string       `db:"reason" json:"reason"`
}

// Report returns the lead's report (the cluster's economic lead and
// admin; 403 for anyone else) for f.
func (s *Service) Report(ctx context.Context, p *auth.Principal, f ReportFilter) (out *Report, err error) {
	defer apperr.Wrap(&err, "competitions.Service.Report(%+v)", f)
	if !p.IsCluster() {
		return nil, apperr.Forbidden("competition.report_cluster_only")
	}
	if !f.From.IsZero() && !f.To.IsZero() && f.To.Before(f.From) {
		return nil, apperr.Invalid("competition.bad_filter", apperr.Field("to", "competition.msg.to_before_from"))
	}
	out = &Report{}
	if out.Rows, err = s.store.reportRows(ctx, f); err != nil {
		return nil, err
	}
	for i := range out.Rows {
		r := &out.Rows[i]
		r.Savings = money.Of(r.FrameworkTotal.Sub(r.DecidedTotal.Decimal))
	}
	if out.NotCheapest, err = s.store.notCheapest(ctx, f); err != nil {
		return nil, err
	}
	for i := range out.NotCheapest {
		n := &out.NotCheapest[i]
		n.Difference = money.Of(n.ChosenTotal.Sub(n.CheapestTotal.Decimal))
	}
	return out, nil
}
