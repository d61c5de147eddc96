package workplan

import (
	"context"

	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"madaf/internal/apperr"
	"madaf/internal/calendar"
	"madaf/internal/orderstatus"
)

// notPlaced are the order states that the orders-placed figure leaves out:
// drafts, never submitted, and cancelled orders.
var notPlaced = pq.StringArray{orderstatus.Draft, orderstatus.Cancelled}

// FigureValues computes every marketplace figure for the plan of year on
// day today: the shelf tenders taking orders today, and the orders of the
// plan's year (by submission date), counted as committed when volumes count
// them.
func (s *Store) FigureValues(ctx context.Context, year int, today calendar.Date) (_ map[Figure]decimal.Decimal, err error) {
	defer apperr.Wrap(&err, "workplan.Store.FigureValues(%d, %s)", year, today)
	const q = `
		SELECT
		  (SELECT count(*) FROM tenders
		    WHERE tender_takes_orders(status, valid_from, valid_until, extended_until, $1)) AS active_tenders,
		  count(*) FILTER (WHERE NOT status = ANY($3)) AS orders_placed,
		  coalesce(sum(subtotal) FILTER (WHERE order_status_committed(status)), 0) AS committed_volume,
		  count(DISTINCT authority_id) FILTER (WHERE order_status_committed(status)) AS authorities_ordering
		FROM orders
		WHERE submitted_on >= make_date($2, 1, 1) AND submitted_on < make_date($2 + 1, 1, 1)`
	var row struct {
		ActiveTenders       int64           `db:"active_tenders"`
		OrdersPlaced        int64           `db:"orders_placed"`
		CommittedVolume     decimal.Decimal `db:"committed_volume"`
		AuthoritiesOrdering int64           `db:"authorities_ordering"`
	}
	if err := s.db.GetContext(ctx, &row, q, today, year, notPlaced); err != nil {
		return nil, err
	}
	return map[Figure]decimal.Decimal{
		FigureActiveTenders:       decimal.NewFromInt(row.ActiveTenders),
		FigureOrdersPlaced:        decimal.NewFromInt(row.OrdersPlaced),
		FigureCommittedVolume:     row.CommittedVolume,
		FigureAuthoritiesOrdering: decimal.NewFromInt(row.AuthoritiesOrdering),
	}, nil
}

// attachFigures sets the live figure of every task bound to one, computing
// the figures once.
func (s *Store) attachFigures(ctx context.Context, year int, tasks []*Task) error {
	var values map[Figure]decimal.Decimal
	for _, t := range tasks {
		if t.Figure == nil {
			continue
		}
		if values == nil {
			v, err := s.FigureValues(ctx, year, calendar.Today())
			if err != nil {
				return err
			}
			values = v
		}
		lf := &LiveFigure{Figure: *t.Figure, Target: t.FigureTarget, Actual: values[*t.Figure]}
		lf.Reached = t.FigureTarget != nil && lf.Actual.GreaterThanOrEqual(*t.FigureTarget)
		t.Live = lf
	}
	return nil
}
