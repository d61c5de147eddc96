package workplan

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"

	"madaf/internal/apperr"
	"madaf/internal/database"
)

// taskColumns are the columns every task query selects, with the year of
// the task it was carried from.
const taskColumns = `
	t.id, t.plan_id, t.goal_id, t.position, t.title, t.status, t.status_phrase, t.qualifier,
	t.notes, t.owner, t.owner_user_id, t.due_quarter, t.carried_from_task_id, t.figure,
	t.figure_target, t.created_at, t.updated_at, op.year AS carried_from_year`

const taskFrom = `
	FROM workplan_tasks t
	LEFT JOIN workplan_tasks o ON o.id = t.carried_from_task_id
	LEFT JOIN workplan_plans op ON op.id = o.plan_id`

type taskRow struct {
	Task
	CarriedFromYear *int `db:"carried_from_year"`
}

func (r *taskRow) task() *Task {
	t := r.Task
	if t.CarriedFromTaskID != nil && r.CarriedFromYear != nil {
		t.CarriedFrom = &Origin{TaskID: *t.CarriedFromTaskID, Year: *r.CarriedFromYear}
	}
	return &t
}

func tasksOf(rows []taskRow) []*Task {
	out := make([]*Task, len(rows))
	for i := range rows {
		out[i] = rows[i].task()
	}
	return out
}

// errTaskNotFound is a task that does not exist or belongs to another year.
var errTaskNotFound = apperr.NotFound("not_found.task")

// Task returns task id of the plan of year with its live figure; a task of
// another year is not found.
func (s *Store) Task(ctx context.Context, year int, id int64) (_ *Task, err error) {
	defer apperr.Wrap(&err, "workplan.Store.Task(%d, %d)", year, id)
	const q = `SELECT ` + taskColumns + taskFrom + `
		JOIN workplan_plans p ON p.id = t.plan_id
		WHERE t.id = $1 AND p.year = $2`
	var r taskRow
	if err := s.db.GetContext(ctx, &r, q, id, year); err != nil {
		if err = database.MapError(err); apperr.Is(err, apperr.KindNotFound) {
			return nil, errTaskNotFound
		}
		return nil, err
	}
	t := r.task()
	if err := s.attachFigures(ctx, year, []*Task{t}); err != nil {
		return nil, err
	}
	return t, nil
}

// lockTask returns task id of the plan of year, locked until the end of
// the transaction the store runs in.
func (s *Store) lockTask(ctx context.Context, year int, id int64) (*Task, error) {
	const q = `SELECT ` + taskColumns + taskFrom + `
		JOIN workplan_plans p ON p.id = t.plan_id
		WHERE t.id = $1 AND p.year = $2
		FOR UPDATE OF t`
	var r taskRow
	if err := s.db.GetContext(ctx, &r, q, id, year); err != nil {
		if err = database.MapError(err); apperr.Is(err, apperr.KindNotFound) {
			return nil, errTaskNotFound
		}
		return nil, err
	}
	return r.task(), nil
}

// TaskContext is a task with the goal and domain it belongs to.
type TaskContext struct {
	Task   *Task
	Goal   *Goal
	Domain *Domain
}

// TaskWithContext returns task id of year with its goal and domain.
func (s *Store) TaskWithContext(ctx context.Context, year int, id int64) (_ *TaskContext, err error) {
	defer apperr.Wrap(&err, "workplan.Store.TaskWithContext(%d, %d)", year, id)
	t, err := s.Task(ctx, year, id)
	if err != nil {
		return nil, err
	}
	g, err := s.goal(ctx, t.GoalID)
	if err != nil {
		return nil, err
	}
	d, err := s.domain(ctx, g.DomainID)
	if err != nil {
		return nil, err
	}
	return &TaskContext{Task: t, Goal: g, Domain: d}, nil
}

// Events returns the status history of task id, oldest first.
func (s *Store) Events(ctx context.Context, taskID int64) (_ []Event, err error) {
	defer apperr.Wrap(&err, "workplan.Store.Events(%d)", taskID)
	const q = `
		SELECT e.id, e.task_id, e.at, e.user_id, u.name AS user_name, e.source, e.from_status,
		       e.to_status, e.from_phrase, e.to_phrase, e.note
		FROM workplan_task_events e LEFT JOIN users u ON u.id = e.user_id
		WHERE e.task_id = $1 ORDER BY e.id`
	events := []Event{}
	if err := s.db.SelectContext(ctx, &events, q, taskID); err != nil {
		return nil, err
	}
	return events, nil
}

// addEvent records a change of a task's status in its history.
func (s *Store) addEvent(ctx context.Context, taskID int64, userID *int64, source string,
	from *Status, to Status, fromPhrase, toPhrase, note string) error {
	const q = `
		INSERT INTO workplan_task_events (task_id, user_id, source, from_status, to_status, from_phrase, to_phrase, note)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`
	_, err := s.db.ExecContext(ctx, q, taskID, userID, source, from, to, fromPhrase, toPhrase, note)
	return database.MapError(err)
}

// SetStatus changes the status of task id of year and records the change,
// under a row lock so that concurrent updates each see the status the other
// left. allowed decides, on the locked task, whether the caller may change
// it. A change to the same status and phrase with no new notes is refused
// as a conflict (workplan.already_status), so that the history holds only
// real changes.
func (s *Store) SetStatus(ctx context.Context, year int, id int64, ch StatusChange, allowed func(*Task) error) (_ *Task, err error) {
	defer apperr.Wrap(&err, "workplan.Store.SetStatus(%d, %d)", year, id)
	var out *Task
	err = database.Transact(ctx, s.db, func(tx *sqlx.Tx) error {
		st := s.InTx(tx)
		t, err := st.lockTask(ctx, year, id)
		if err != nil {
			return err
		}
		if err := allowed(t); err != nil {
			return err
		}
		notes := t.Notes
		if ch.Notes != nil {
			notes = *ch.Notes
		}
		_, qualifier, _ := ParseStatus(ch.Phrase)
		if ch.Phrase == "" {
			qualifier = ""
		}
		if ch.Status == t.Status && ch.Phrase == t.StatusPhrase && notes == t.Notes {
			return apperr.Conflict("workplan.already_status", apperr.K("workplan.status."+string(ch.Status)))
		}
		const upd = `
			UPDATE workplan_tasks SET status = $2, status_phrase = $3, qualifier = $4, notes = $5, updated_at = now()
			WHERE id = $1`
		if _, err := tx.ExecContext(ctx, upd, t.ID, ch.Status, ch.Phrase, qualifier, notes); err != nil {
			return database.MapError(err)
		}
		if ch.Status != t.Status || ch.Phrase != t.StatusPhrase {
			if err := st.addEvent(ctx, t.ID, nullID(ch.By), SourceUpdate, &t.Status, ch.Status, t.StatusPhrase, ch.Phrase, ch.Note); err != nil {
				return err
			}
		}
		out, err = st.Task(ctx, year, id)
		return err
	})
	return out, err
}

// UpdateTask changes the planning fields of task id of year. A target
// without a figure, or an owner who is not an active user of the cluster,
// is refused as invalid.
func (s *Store) UpdateTask(ctx context.Context, year int, id int64, ch TaskChange) (_ *Task, err error) {
	defer apperr.Wrap(&err, "workplan.Store.UpdateTask(%d, %d)", year, id)
	var out *Task
	err = database.Transact(ctx, s.db, func(tx *sqlx.Tx) error {
		st := s.InTx(tx)
		t, err := st.lockTask(ctx, year, id)
		if err != nil {
			return err
		}
		before := fmt.Sprint(t.Owner, deref(t.OwnerUserID), deref(t.DueQuarter), t.Notes, deref(t.Figure), deref(t.FigureTarget))
		if ch.Owner != nil {
			t.Owner = *ch.Owner
		}
		if ch.OwnerUserID != nil {
			t.OwnerUserID = *ch.OwnerUserID
			if t.OwnerUserID != nil {
				ok, err := st.isClusterUser(ctx, *t.OwnerUserID)
				if err != nil {
					return err
				}
				if !ok {
					return apperr.Invalid("workplan.owner_not_cluster",
						apperr.Field("owner_user_id", "workplan.owner_not_cluster"))
				}
			}
		}
		if ch.DueQuarter != nil {
			t.DueQuarter = *ch.DueQuarter
		}
		if ch.Notes != nil {
			t.Notes = *ch.Notes
		}
		if ch.Figure != nil {
			t.Figure = *ch.Figure
			if t.Figure == nil {
				t.FigureTarget = nil
			}
		}
		if ch.FigureTarget != nil {
			t.FigureTarget = *ch.FigureTarget
		}
		if t.FigureTarget != nil && t.Figure == nil {
			return apperr.Invalid("workplan.target_needs_figure", apperr.Field("figure_target", "workplan.target_needs_figure"))
		}
		if fmt.Sprint(t.Owner, deref(t.OwnerUserID), deref(t.DueQuarter), t.Notes, deref(t.Figure), deref(t.FigureTarget)) == before {
			out = t
			return nil
		}
		const upd = `
			UPDATE workplan_tasks SET owner = $2, owner_user_id = $3, due_quarter = $4, notes = $5,
			       figure = $6, figure_target = $7, updated_at = now()
			WHERE id = $1`
		if _, err := tx.ExecContext(ctx, upd, t.ID, t.Owner, t.OwnerUserID, t.DueQuarter, t.Notes, t.Figure, t.FigureTarget); err != nil {
			return database.MapError(err)
		}
		out, err = st.Task(ctx, year, id)
		return err
	})
	return out, err
}

// SetGoalEngine makes goal id of year refer to engine (nil: to none). A
// goal of another year is not found; an engine that does not exist is
// refused as invalid.
func (s *Store) SetGoalEngine(ctx context.Context, year int, goalID int64, engineID *int64) (_ *Goal, err error) {
	defer apperr.Wrap(&err, "workplan.Store.SetGoalEngine(%d, %d)", year, goalID)
	const q = `
		UPDATE workplan_goals g SET engine_id = $3
		FROM workplan_plans p
		WHERE g.id = $1 AND p.id = g.plan_id AND p.year = $2
		RETURNING g.id, g.plan_id, g.domain_id, g.number, g.ordinal, g.part, g.title, g.introduction, g.position, g.engine_id`
	var g Goal
	if err := s.db.GetContext(ctx, &g, q, goalID, year, engineID); err != nil {
		err = database.MapError(err)
		if apperr.Is(err, apperr.KindNotFound) {
			return nil, apperr.NotFound("not_found.goal")
		}
		if apperr.Is(err, apperr.KindInvalid) {
			return nil, apperr.Invalid("workplan.unknown_engine", apperr.Field("engine_id", "workplan.not_an_engine"))
		}
		return nil, err
	}
	if g.EngineID != nil {
		e, err := s.Engine(ctx, *g.EngineID)
		if err != nil {
			return nil, err
		}
		e.Goals = nil
		g.Engine = e
	}
	return &g, nil
}

// deref is the value p points to, or nil, for comparing optional fields.
func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

func nullID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}
