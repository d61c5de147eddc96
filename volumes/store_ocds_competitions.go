package volumes

import (
	"context"
	"fmt"
	"time"

	"github.com/lib/pq"
	"github.com/shopspring/decimal"
)

// ocdsCompetition is a mini-competition as its OCDS release tells it.
// NumberOfTenderers is nil, and Tenderers, Bids and Orders empty, until the quotes
// may be read (see ocdsCompetitions).
type ocdsCompetition struct {
	ID             int64      `db:"id"`
	Status         string     `db:"status"`
	Version        int        `db:"version"`
	TenderID       int64      `db:"tender_id"`
	TenderNumber   string     `db:"tender_number"`
	TenderTitle    string     `db:"tender_title"`
	AuthorityCode  string     `db:"authority_code"`
	AuthorityName  string     `db:"authority_name"`
	PublishedAt    *time.Time `db:"published_at"`
	Deadline       *time.Time `db:"deadline"`
	QuestionsUntil *time.Time `db:"questions_until"`
	OpenedAt       *time.Time `db:"opened_at"`
	DecidedAt      *time.Time `db:"decided_at"`
	UpdatedAt      time.Time  `db:"updated_at"`
	// NumberOfTenderers counts the winners whose quote stood at the
	// closing; nil before it.
	NumberOfTenderers *int `db:"number_of_tenderers"`
	Lines             []ocdsCompetitionLine
	Tenderers         []ocdsBid
	Bids              []ocdsBid
	Orders            []*ocdsOrder
}

type ocdsCompetitionLine struct {
	CompetitionID int64           `db:"competition_id"`
	LineNo        int             `db:"line_no"`
	SKU           string          `db:"sku"`
	Name          string          `db:"name"`
	Unit          string          `db:"unit"`
	Quantity      decimal.Decimal `db:"quantity"`
}

// ocdsBid is a winner's quote: who quoted, and once decided its status and
// total (null for a withdrawn quote).
type ocdsBid struct {
	CompetitionID  int64               `db:"competition_id"`
	QuoteID        int64               `db:"quote_id"`
	Status         string              `db:"status"`
	SetAside       bool                `db:"set_aside"`
	LastRevisionAt *time.Time          `db:"last_revision_at"`
	Total          decimal.NullDecimal `db:"quoted_total"`
	Decided        bool                `db:"decided"`
	CompanyNumber  string              `db:"company_number"`
	LegalName      string              `db:"legal_name"`
}

// ocdsCompetitions loads the mini-competitions f's scope may see, ever
// published (months by their last publication): all for the cluster, an
// authority's own, those a supplier was invited to. Sealed quotes never
// leave here: who quoted (the tenderers and their number) is read only
// once the quotes were opened at the closing, and the quotes' totals (the
// bids) and the orders (at the quoted prices) only once the committee
// decided; both only when the deadline has passed by the database's clock
// (competition_quotes_open), whatever the caller's clock says. A supplier
// (f.sentOnly) reads only its own quote and its own orders among them.
func (s *Store) ocdsCompetitions(ctx context.Context, f Filter) ([]*ocdsCompetition, error) {
	args := []any{OCDSLanguage}
	q := `SELECT c.id, c.status, c.version, c.tender_id, t.number AS tender_number, t.title AS tender_title,
			a.code AS authority_code, name_in($1, a.name_he, a.name_ar, a.name_en) AS authority_name,
			c.published_at, c.deadline, c.questions_until, c.opened_at, c.decided_at, c.updated_at,
			CASE WHEN c.opened_at IS NOT NULL AND competition_quotes_open(c.deadline, NULL) THEN
				(SELECT count(*) FROM competition_invitations i JOIN competition_quotes q ON q.invitation_id = i.id
					WHERE i.competition_id = c.id AND i.round = c.round AND q.status = 'submitted')
			END AS number_of_tenderers
		FROM competitions c
		JOIN tenders t ON t.id = c.tender_id
		JOIN authorities a ON a.id = c.authority_id
		WHERE c.round > 0`
	ids := f
	ids.SupplierID = 0
	q += " AND " + ids.whereIDs("c", &args)
	if f.SupplierID != 0 {
		args = append(args, f.SupplierID)
		q += fmt.Sprintf(" AND EXISTS (SELECT 1 FROM competition_invitations i WHERE i.competition_id = c.id AND i.supplier_id = $%d)", len(args))
	}
	// In the months: published in them, or with an order submitted in them
	// (the competition's orders are its contracts, not call-offs of their
	// own, so they are exported with it).
	if from, to := f.monthBounds(&args); from != "" || to != "" {
		const published = "(c.published_at AT TIME ZONE 'Asia/Jerusalem')::date"
		q += fmt.Sprintf(" AND (true%s OR EXISTS (SELECT 1 FROM orders o WHERE o.competition_id = c.id%s))",
			monthsOf(published, from, to), monthsOf("o.submitted_on", from, to))
	}
	q += " ORDER BY c.id"
	var comps []*ocdsCompetition
	if err := s.db.SelectContext(ctx, &comps, q, args...); err != nil {
		return nil, err
	}
	if len(comps) == 0 {
		return comps, nil
	}
	byID := map[int64]*ocdsCompetition{}
	compIDs := make([]int64, len(comps))
	for i, c := range comps {
		byID[c.ID], compIDs[i] = c, c.ID
	}
	// With a supplier, its own quote and orders only; a supplier user
	// (f.sentOnly) never learns how many others quoted, nor of an order
	// not sent to it.
	own := f.SupplierID
	if f.sentOnly {
		for _, c := range comps {
			c.NumberOfTenderers = nil
		}
	}

	var lines []ocdsCompetitionLine
	const ql = `SELECT l.competition_id, l.line_no, i.sku, i.name, i.unit, l.quantity
		FROM competition_lines l JOIN tender_items i ON i.id = l.item_id
		WHERE l.competition_id = ANY($1::bigint[]) ORDER BY l.competition_id, l.line_no`
	if err := s.db.SelectContext(ctx, &lines, ql, pq.Array(compIDs)); err != nil {
		return nil, err
	}
	for _, l := range lines {
		byID[l.CompetitionID].Lines = append(byID[l.CompetitionID].Lines, l)
	}

	// The quotes, once opened at the closing: every quote of the round
	// that stood at the closing (its supplier a tenderer) or was withdrawn
	// before it; a quote the terms' change set back to draft, and never
	// renewed, was on other terms and is neither. Their totals, the bids,
	// only once decided.
	var quotes []ocdsBid
	const qq = `SELECT c.id AS competition_id, q.id AS quote_id, q.status, i.set_aside_reasons IS NOT NULL AS set_aside,
			q.last_revision_at, CASE WHEN q.status = 'submitted' AND c.status = 'decided' THEN r.quoted_total END AS quoted_total,
			c.status = 'decided' AS decided, sp.company_number, sp.legal_name
		FROM competitions c
		JOIN competition_invitations i ON i.competition_id = c.id AND i.round = c.round
		JOIN competition_quotes q ON q.invitation_id = i.id
		JOIN competition_quote_revisions r ON r.id = q.last_revision_id
		JOIN suppliers sp ON sp.id = q.supplier_id
		WHERE c.id = ANY($1::bigint[]) AND c.opened_at IS NOT NULL AND competition_quotes_open(c.deadline, NULL)
			AND q.status IN ('submitted', 'withdrawn') AND ($2::bigint = 0 OR q.supplier_id = $2::bigint)
		ORDER BY c.id, i.rank NULLS LAST, i.id`
	if err := s.db.SelectContext(ctx, &quotes, qq, pq.Array(compIDs), own); err != nil {
		return nil, err
	}
	for _, b := range quotes {
		c := byID[b.CompetitionID]
		if b.Status == "submitted" {
			c.Tenderers = append(c.Tenderers, b)
		}
		if b.Decided {
			c.Bids = append(c.Bids, b)
		}
	}

	// The orders the decision made (the first, and one per pass to the
	// next winner), at the quoted prices.
	var orders []*ocdsOrder
	qo := `SELECT ` + ocdsOrderColumns + ocdsOrderFrom + `
		JOIN competitions c ON c.id = o.competition_id
		WHERE o.competition_id = ANY($2::bigint[]) AND c.status = 'decided' AND competition_quotes_open(c.deadline, NULL)
			AND ($3::bigint = 0 OR o.supplier_id = $3::bigint) AND (NOT $4::boolean OR o.sent_at IS NOT NULL)
		ORDER BY o.id`
	if err := s.db.SelectContext(ctx, &orders, qo, OCDSLanguage, pq.Array(compIDs), own, f.sentOnly); err != nil {
		return nil, err
	}
	for _, o := range orders {
		byID[*o.CompetitionID].Orders = append(byID[*o.CompetitionID].Orders, o)
	}
	if err := s.ocdsOrderLines(ctx, orders); err != nil {
		return nil, err
	}
	return comps, nil
}
