package workplan

import (
	"context"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"madaf/internal/calendar"
)

// committedStatuses are the order states that count as committed: from
// submission until the order is rejected or cancelled (as volumes count
// them).
const committedStatuses = `('pending_approval', 'sent', 'confirmed', 'partially_delivered', 'delivered', 'closed')`

// FigureValues computes every marketplace figure for the plan of year on
// day today: the shelf tenders active now, and the orders of the plan's
// year (by submission date).
func FigureValues(ctx context.Context, q sqlx.QueryerContext, year int, today calendar.Date) (map[Figure]decimal.Decimal, error) {
	const sql = `
		SELECT
		  (SELECT count(*) FROM tenders
		    WHERE status = 'active' AND valid_from <= $1 AND coalesce(extended_until, valid_until) >= $1) AS active_tenders,
		  count(*) FILTER (WHERE status NOT IN ('draft', 'cancelled')) AS orders_placed,
		  coalesce(sum(subtotal) FILTER (WHERE status IN ` + committedStatuses + `), 0) AS committed_volume,
		  count(DISTINCT authority_id) FILTER (WHERE status IN ` + committedStatuses + `) AS authorities_ordering
		FROM orders
		WHERE submitted_on >= make_date($2, 1, 1) AND submitted_on < make_date($2 + 1, 1, 1)`
	var row struct {
		ActiveTenders       int64           `db:"active_tenders"`
		OrdersPlaced        int64           `db:"orders_placed"`
		CommittedVolume     decimal.Decimal `db:"committed_volume"`
		AuthoritiesOrdering int64           `db:"authorities_ordering"`
	}
	if err := sqlx.GetContext(ctx, q, &row, sql, today, year); err != nil {
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
func attachFigures(ctx context.Context, q sqlx.QueryerContext, year int, tasks []*Task) error {
	var values map[Figure]decimal.Decimal
	for _, t := range tasks {
		if t.Figure == nil {
			continue
		}
		if values == nil {
			v, err := FigureValues(ctx, q, year, calendar.Today())
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
