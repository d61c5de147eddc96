package workplan

import (
	"context"

	"madaf/internal/apperr"
)

// taskIDByTitle returns the id of the task of year's plan whose title
// starts with prefix.
func (s *Store) taskIDByTitle(ctx context.Context, year int, prefix string) (id int64, err error) {
	defer apperr.Wrap(&err, "workplan.Store.taskIDByTitle(%d, %q)", year, prefix)
	const q = `
		SELECT t.id FROM workplan_tasks t JOIN workplan_plans p ON p.id = t.plan_id
		WHERE p.year = $1 AND starts_with(t.title, $2)
		ORDER BY t.id LIMIT 1`
	err = s.db.GetContext(ctx, &id, q, year, prefix)
	return id, err
}

// goalIDByNumber returns the id of goal number (a section number such as
// "3.4") of year's plan.
func (s *Store) goalIDByNumber(ctx context.Context, year int, number string) (id int64, err error) {
	defer apperr.Wrap(&err, "workplan.Store.goalIDByNumber(%d, %q)", year, number)
	const q = `
		SELECT g.id FROM workplan_goals g JOIN workplan_plans p ON p.id = g.plan_id
		WHERE p.year = $1 AND g.number = $2`
	err = s.db.GetContext(ctx, &id, q, year, number)
	return id, err
}

// engineIDByName returns the id of the growth engine of strategy named
// name.
func (s *Store) engineIDByName(ctx context.Context, strategy, name string) (id int64, err error) {
	defer apperr.Wrap(&err, "workplan.Store.engineIDByName(%q, %q)", strategy, name)
	const q = `SELECT id FROM strategic_engines WHERE strategy = $1 AND name = $2`
	err = s.db.GetContext(ctx, &id, q, strategy, name)
	return id, err
}
