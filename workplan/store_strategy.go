package workplan

import (
	"context"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"madaf/internal/apperr"
	"madaf/internal/database"
)

// ImportEngines stores engines as the growth engines of strategy: an
// engine is matched by its number, its fields and activities replaced.
// Importing the same engines again changes nothing. A strategy without a
// name is refused as invalid.
func (s *Store) ImportEngines(ctx context.Context, strategy string, engines []Engine) (err error) {
	defer apperr.Wrap(&err, "workplan.Store.ImportEngines(%q)", strategy)
	if strings.TrimSpace(strategy) == "" {
		return apperr.Invalid("workplan.strategy_required", apperr.Field("strategy", "msg.required"))
	}
	return database.Transact(ctx, s.db, func(tx *sqlx.Tx) error {
		st := s.InTx(tx)
		for _, e := range engines {
			id, err := st.upsertEngine(ctx, strategy, e)
			if err != nil {
				return err
			}
			current, err := st.activities(ctx, id)
			if err != nil {
				return err
			}
			if slices.Equal(current, e.Activities) {
				continue
			}
			if err := st.replaceActivities(ctx, id, e.Activities); err != nil {
				return err
			}
		}
		return nil
	})
}

// upsertEngine writes e as engine e.Number of strategy, leaving an equal
// row untouched, and returns its id.
func (s *Store) upsertEngine(ctx context.Context, strategy string, e Engine) (int64, error) {
	const up = `
		INSERT INTO strategic_engines (strategy, number, name, vision, pages) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (strategy, number) DO UPDATE SET name = EXCLUDED.name, vision = EXCLUDED.vision, pages = EXCLUDED.pages
		WHERE (strategic_engines.name, strategic_engines.vision, strategic_engines.pages)
		      IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.vision, EXCLUDED.pages)`
	if _, err := s.db.ExecContext(ctx, up, strategy, e.Number, e.Name, e.Vision, e.Pages); err != nil {
		return 0, database.MapError(err)
	}
	const q = `SELECT id FROM strategic_engines WHERE strategy = $1 AND number = $2`
	var id int64
	err := s.db.GetContext(ctx, &id, q, strategy, e.Number)
	return id, err
}

// activities lists the example activities of engine id, in order.
func (s *Store) activities(ctx context.Context, engineID int64) ([]string, error) {
	const q = `SELECT text FROM strategic_engine_activities WHERE engine_id = $1 ORDER BY position`
	acts := []string{}
	if err := s.db.SelectContext(ctx, &acts, q, engineID); err != nil {
		return nil, err
	}
	return acts, nil
}

// replaceActivities makes acts the example activities of engine id.
func (s *Store) replaceActivities(ctx context.Context, engineID int64, acts []string) error {
	const del = `DELETE FROM strategic_engine_activities WHERE engine_id = $1`
	if _, err := s.db.ExecContext(ctx, del, engineID); err != nil {
		return err
	}
	const ins = `
		INSERT INTO strategic_engine_activities (engine_id, position, text)
		SELECT $1, a.n, a.text FROM unnest($2::text[]) WITH ORDINALITY AS a(text, n)`
	_, err := s.db.ExecContext(ctx, ins, engineID, pq.Array(acts))
	return database.MapError(err)
}

// Engines lists every growth engine with its activities, by strategy and
// number.
func (s *Store) Engines(ctx context.Context) (_ []*Engine, err error) {
	defer apperr.Wrap(&err, "workplan.Store.Engines")
	engines := []*Engine{}
	const q = `SELECT id, strategy, number, name, vision, pages FROM strategic_engines ORDER BY strategy, number`
	if err := s.db.SelectContext(ctx, &engines, q); err != nil {
		return nil, err
	}
	var acts []struct {
		EngineID int64  `db:"engine_id"`
		Text     string `db:"text"`
	}
	const qa = `SELECT engine_id, text FROM strategic_engine_activities ORDER BY engine_id, position`
	if err := s.db.SelectContext(ctx, &acts, qa); err != nil {
		return nil, err
	}
	byID := map[int64]*Engine{}
	for _, e := range engines {
		e.Activities = []string{}
		byID[e.ID] = e
	}
	for _, a := range acts {
		if e := byID[a.EngineID]; e != nil {
			e.Activities = append(e.Activities, a.Text)
		}
	}
	return engines, nil
}

// engineMap is Engines by id.
func (s *Store) engineMap(ctx context.Context) (map[int64]*Engine, error) {
	engines, err := s.Engines(ctx)
	if err != nil {
		return nil, err
	}
	m := map[int64]*Engine{}
	for _, e := range engines {
		m[e.ID] = e
	}
	return m, nil
}

// Engine returns engine id with its activities and the goals of every
// year's plan that refer to it; a missing engine is not found.
func (s *Store) Engine(ctx context.Context, id int64) (_ *Engine, err error) {
	defer apperr.Wrap(&err, "workplan.Store.Engine(%d)", id)
	var e Engine
	const q = `SELECT id, strategy, number, name, vision, pages FROM strategic_engines WHERE id = $1`
	if err := s.db.GetContext(ctx, &e, q, id); err != nil {
		if err = database.MapError(err); apperr.Is(err, apperr.KindNotFound) {
			return nil, apperr.NotFound("not_found.engine")
		}
		return nil, err
	}
	if e.Activities, err = s.activities(ctx, id); err != nil {
		return nil, err
	}
	e.Goals = []EngineGoal{}
	const qg = `
		SELECT g.id AS goal_id, p.year, d.name AS domain, g.number, g.title
		FROM workplan_goals g
		JOIN workplan_plans p ON p.id = g.plan_id
		JOIN workplan_domains d ON d.id = g.domain_id
		WHERE g.engine_id = $1
		ORDER BY p.year DESC, d.position, g.position`
	if err := s.db.SelectContext(ctx, &e.Goals, qg, id); err != nil {
		return nil, err
	}
	return &e, nil
}
