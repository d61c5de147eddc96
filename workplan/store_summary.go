package workplan

import (
	"context"

	"madaf/internal/apperr"
)

// Summary counts the tasks of year's plan per domain (and part) and status,
// and lists, per domain and bucket, the goals behind the count. Every
// domain of the plan has a row, also one without tasks.
func (s *Store) Summary(ctx context.Context, year int) (_ *Summary, err error) {
	defer apperr.Wrap(&err, "workplan.Store.Summary(%d)", year)
	plan, err := s.Plan(ctx, year)
	if err != nil {
		return nil, err
	}
	const q = `
		SELECT d.id AS domain_id, d.name AS domain, g.id AS goal_id, g.number, g.ordinal, g.part, g.title,
		       t.status, count(t.id) AS n
		FROM workplan_domains d
		LEFT JOIN workplan_goals g ON g.domain_id = d.id
		LEFT JOIN workplan_tasks t ON t.goal_id = g.id
		WHERE d.plan_id = $1
		GROUP BY d.id, d.name, d.position, g.id, g.number, g.ordinal, g.part, g.title, g.position, t.status
		ORDER BY d.position, d.id, g.position, g.id, t.status`
	var rows []struct {
		DomainID int64   `db:"domain_id"`
		Domain   string  `db:"domain"`
		GoalID   *int64  `db:"goal_id"`
		Number   *string `db:"number"`
		Ordinal  *int    `db:"ordinal"`
		Part     *string `db:"part"`
		Title    *string `db:"title"`
		Status   *Status `db:"status"`
		N        int     `db:"n"`
	}
	if err := s.db.SelectContext(ctx, &rows, q, plan.ID); err != nil {
		return nil, err
	}
	sum := &Summary{Year: year, Statuses: Statuses, Buckets: Buckets, Domains: []*Row{}, Total: newCounts()}
	byDomain := map[int64]*Row{}
	for _, r := range rows {
		d := byDomain[r.DomainID]
		if d == nil {
			d = newRow(r.DomainID, r.Domain)
			byDomain[r.DomainID] = d
			sum.Domains = append(sum.Domains, d)
		}
		if r.Status == nil {
			continue
		}
		g := CellGoal{GoalID: *r.GoalID, Number: *r.Number, Ordinal: r.Ordinal, Title: *r.Title}
		d.add(g, *r.Status, r.N)
		sum.Total.add(*r.Status, r.N)
		if *r.Part != "" {
			var p *Row
			for _, x := range d.Parts {
				if x.Name == *r.Part {
					p = x
				}
			}
			if p == nil {
				p = newRow(r.DomainID, *r.Part)
				d.Parts = append(d.Parts, p)
			}
			p.add(g, *r.Status, r.N)
		}
	}
	return sum, nil
}
