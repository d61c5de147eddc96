package workplan

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"madaf/internal/apperr"
	"madaf/internal/database"
)

// Store is the work plan's SQL.
type Store struct {
	db *sqlx.DB
}

// NewStore returns the store over db.
func NewStore(db *sqlx.DB) *Store { return &Store{db: db} }

// ErrPlanNotFound is returned when a year has no plan.
var ErrPlanNotFound = apperr.NotFound("not_found.work_plan")

// Plans lists every plan, newest year first, with its number of tasks.
func (s *Store) Plans(ctx context.Context) ([]Plan, error) {
	const q = `
		SELECT p.id, p.year, p.created_at, p.updated_at,
		       (SELECT count(*) FROM workplan_tasks t WHERE t.plan_id = p.id) AS tasks
		FROM workplan_plans p ORDER BY p.year DESC`
	plans := []Plan{}
	if err := sqlx.SelectContext(ctx, s.db, &plans, q); err != nil {
		return nil, err
	}
	return plans, nil
}

// Plan returns the plan of year, or ErrPlanNotFound.
func (s *Store) Plan(ctx context.Context, year int) (*Plan, error) {
	return planOf(ctx, s.db, year)
}

func planOf(ctx context.Context, q sqlx.QueryerContext, year int) (*Plan, error) {
	const sql = `
		SELECT p.id, p.year, p.created_at, p.updated_at,
		       (SELECT count(*) FROM workplan_tasks t WHERE t.plan_id = p.id) AS tasks
		FROM workplan_plans p WHERE p.year = $1`
	var p Plan
	if err := sqlx.GetContext(ctx, q, &p, sql, year); err != nil {
		if err = database.MapError(err); apperr.Is(err, apperr.KindNotFound) {
			return nil, ErrPlanNotFound
		}
		return nil, err
	}
	return &p, nil
}

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

// Tree returns the plan of year as domains → goals → tasks, in the
// report's order, with the tasks f lets through. When f filters, domains
// and goals left without tasks are left out.
func (s *Store) Tree(ctx context.Context, year int, f Filter) (*Plan, []*Domain, error) {
	plan, err := s.Plan(ctx, year)
	if err != nil {
		return nil, nil, err
	}
	domains := []*Domain{}
	const qd = `
		SELECT id, plan_id, name, number, position, introduction
		FROM workplan_domains WHERE plan_id = $1 ORDER BY position, id`
	if err := sqlx.SelectContext(ctx, s.db, &domains, qd, plan.ID); err != nil {
		return nil, nil, err
	}
	goals := []*Goal{}
	const qg = `
		SELECT id, plan_id, domain_id, number, ordinal, part, title, introduction, position, engine_id
		FROM workplan_goals WHERE plan_id = $1 ORDER BY position, id`
	if err := sqlx.SelectContext(ctx, s.db, &goals, qg, plan.ID); err != nil {
		return nil, nil, err
	}
	tasks, err := s.tasks(ctx, plan.ID, f)
	if err != nil {
		return nil, nil, err
	}
	if err := attachFigures(ctx, s.db, year, tasks); err != nil {
		return nil, nil, err
	}
	engines, err := s.engineMap(ctx)
	if err != nil {
		return nil, nil, err
	}

	byGoal := map[int64]*Goal{}
	for _, g := range goals {
		g.Tasks = []*Task{}
		if g.EngineID != nil {
			g.Engine = engines[*g.EngineID]
		}
		byGoal[g.ID] = g
	}
	for _, t := range tasks {
		if g := byGoal[t.GoalID]; g != nil {
			g.Tasks = append(g.Tasks, t)
		}
	}
	byDomain := map[int64]*Domain{}
	for _, d := range domains {
		d.Goals = []*Goal{}
		byDomain[d.ID] = d
	}
	for _, g := range goals {
		if f.Empty() || len(g.Tasks) > 0 {
			if d := byDomain[g.DomainID]; d != nil {
				d.Goals = append(d.Goals, g)
			}
		}
	}
	if !f.Empty() {
		kept := domains[:0]
		for _, d := range domains {
			if len(d.Goals) > 0 {
				kept = append(kept, d)
			}
		}
		domains = kept
	}
	return plan, domains, nil
}

// tasks lists the tasks of plan that f lets through, in plan order.
func (s *Store) tasks(ctx context.Context, planID int64, f Filter) ([]*Task, error) {
	where := []string{"t.plan_id = $1"}
	args := []any{planID}
	if len(f.Statuses) > 0 {
		st := make([]string, len(f.Statuses))
		for i, v := range f.Statuses {
			st[i] = string(v)
		}
		args = append(args, pq.Array(st))
		where = append(where, fmt.Sprintf("t.status = ANY($%d)", len(args)))
	}
	if f.DomainID != 0 {
		args = append(args, f.DomainID)
		where = append(where, fmt.Sprintf("t.goal_id IN (SELECT id FROM workplan_goals WHERE domain_id = $%d)", len(args)))
	}
	if f.Owner != "" {
		args = append(args, f.Owner)
		where = append(where, fmt.Sprintf("lower(t.owner) = lower($%d)", len(args)))
	}
	if f.OwnerUserID != 0 {
		args = append(args, f.OwnerUserID)
		where = append(where, fmt.Sprintf("t.owner_user_id = $%d", len(args)))
	}
	q := `SELECT ` + taskColumns + taskFrom + `
		JOIN workplan_goals g ON g.id = t.goal_id
		JOIN workplan_domains d ON d.id = g.domain_id
		WHERE ` + strings.Join(where, " AND ") + `
		ORDER BY d.position, d.id, g.position, g.id, t.position, t.id`
	var rows []taskRow
	if err := sqlx.SelectContext(ctx, s.db, &rows, q, args...); err != nil {
		return nil, err
	}
	out := make([]*Task, len(rows))
	for i := range rows {
		out[i] = rows[i].task()
	}
	return out, nil
}

// Owners lists the distinct owner names of the plan's tasks, for filters.
func (s *Store) Owners(ctx context.Context, planID int64) ([]string, error) {
	const q = `SELECT DISTINCT owner FROM workplan_tasks WHERE plan_id = $1 AND owner <> '' ORDER BY owner`
	owners := []string{}
	err := sqlx.SelectContext(ctx, s.db, &owners, q, planID)
	return owners, err
}

// Task returns task id of the plan of year; a task of another year is not
// found.
func (s *Store) Task(ctx context.Context, year int, id int64) (*Task, error) {
	t, err := taskOf(ctx, s.db, year, id, false)
	if err != nil {
		return nil, err
	}
	if err := attachFigures(ctx, s.db, year, []*Task{t}); err != nil {
		return nil, err
	}
	return t, nil
}

func taskOf(ctx context.Context, q sqlx.QueryerContext, year int, id int64, lock bool) (*Task, error) {
	sql := `SELECT ` + taskColumns + taskFrom + `
		JOIN workplan_plans p ON p.id = t.plan_id
		WHERE t.id = $1 AND p.year = $2`
	if lock {
		sql += ` FOR UPDATE OF t`
	}
	var r taskRow
	if err := sqlx.GetContext(ctx, q, &r, sql, id, year); err != nil {
		if err = database.MapError(err); apperr.Is(err, apperr.KindNotFound) {
			return nil, apperr.NotFound("not_found.task")
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
func (s *Store) TaskWithContext(ctx context.Context, year int, id int64) (*TaskContext, error) {
	t, err := s.Task(ctx, year, id)
	if err != nil {
		return nil, err
	}
	var g Goal
	const qg = `
		SELECT id, plan_id, domain_id, number, ordinal, part, title, introduction, position, engine_id
		FROM workplan_goals WHERE id = $1`
	if err := sqlx.GetContext(ctx, s.db, &g, qg, t.GoalID); err != nil {
		return nil, err
	}
	var d Domain
	const qd = `SELECT id, plan_id, name, number, position, introduction FROM workplan_domains WHERE id = $1`
	if err := sqlx.GetContext(ctx, s.db, &d, qd, g.DomainID); err != nil {
		return nil, err
	}
	return &TaskContext{Task: t, Goal: &g, Domain: &d}, nil
}

// Events returns the status history of task id, oldest first.
func (s *Store) Events(ctx context.Context, taskID int64) ([]Event, error) {
	const q = `
		SELECT e.id, e.task_id, e.at, e.user_id, u.name AS user_name, e.source, e.from_status,
		       e.to_status, e.from_phrase, e.to_phrase, e.note
		FROM workplan_task_events e LEFT JOIN users u ON u.id = e.user_id
		WHERE e.task_id = $1 ORDER BY e.id`
	events := []Event{}
	err := sqlx.SelectContext(ctx, s.db, &events, q, taskID)
	return events, err
}

// SetStatus changes the status of task id of year and records the change,
// under a row lock so that concurrent updates each see the status the other
// left. allowed decides, on the locked task, whether the caller may change
// it. A change to the same status and phrase with no new notes is refused
// as a conflict, so that the history holds only real changes.
func (s *Store) SetStatus(ctx context.Context, year int, id int64, ch StatusChange, allowed func(*Task) error) (*Task, error) {
	var out *Task
	err := database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		t, err := taskOf(ctx, tx, year, id, true)
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
			return apperr.Conflict("the task is already %s", ch.Status)
		}
		const upd = `
			UPDATE workplan_tasks SET status = $2, status_phrase = $3, qualifier = $4, notes = $5, updated_at = now()
			WHERE id = $1`
		if _, err := tx.ExecContext(ctx, upd, t.ID, ch.Status, ch.Phrase, qualifier, notes); err != nil {
			return database.MapError(err)
		}
		if ch.Status != t.Status || ch.Phrase != t.StatusPhrase {
			if err := addEvent(ctx, tx, t.ID, nullID(ch.By), SourceUpdate, &t.Status, ch.Status, t.StatusPhrase, ch.Phrase, ch.Note); err != nil {
				return err
			}
		}
		out, err = taskOf(ctx, tx, year, id, false)
		return err
	})
	return out, err
}

// UpdateTask changes the planning fields of task id of year.
func (s *Store) UpdateTask(ctx context.Context, year int, id int64, ch TaskChange) (*Task, error) {
	var out *Task
	err := database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		t, err := taskOf(ctx, tx, year, id, true)
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
				if err := checkOwnerUser(ctx, tx, *t.OwnerUserID); err != nil {
					return err
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
			return apperr.Invalid("a target needs a figure", apperr.Field("figure_target", "needs a figure to be set"))
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
		out, err = taskOf(ctx, tx, year, id, false)
		return err
	})
	return out, err
}

// checkOwnerUser refuses an owner that is not an active user of the
// cluster: only the cluster's staff work on its plan.
func checkOwnerUser(ctx context.Context, q sqlx.QueryerContext, userID int64) error {
	var kind string
	err := sqlx.GetContext(ctx, q, &kind, `SELECT org_kind FROM users WHERE id = $1 AND active`, userID)
	if err != nil || kind != "cluster" {
		if err = database.MapError(err); err != nil && !apperr.Is(err, apperr.KindNotFound) {
			return err
		}
		return apperr.Invalid("the owner must be an active user of the cluster",
			apperr.Field("owner_user_id", "is not an active user of the cluster"))
	}
	return nil
}

// SetGoalEngine makes goal id of year refer to engine (nil: to none).
func (s *Store) SetGoalEngine(ctx context.Context, year int, goalID int64, engineID *int64) (*Goal, error) {
	const q = `
		UPDATE workplan_goals g SET engine_id = $3
		FROM workplan_plans p
		WHERE g.id = $1 AND p.id = g.plan_id AND p.year = $2
		RETURNING g.id, g.plan_id, g.domain_id, g.number, g.ordinal, g.part, g.title, g.introduction, g.position, g.engine_id`
	var g Goal
	if err := sqlx.GetContext(ctx, s.db, &g, q, goalID, year, engineID); err != nil {
		err = database.MapError(err)
		if apperr.Is(err, apperr.KindNotFound) {
			return nil, apperr.NotFound("not_found.goal")
		}
		if apperr.Is(err, apperr.KindInvalid) {
			return nil, apperr.Invalid("no such engine", apperr.Field("engine_id", "is not an engine of the strategic plan"))
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

func addEvent(ctx context.Context, tx sqlx.ExtContext, taskID int64, userID *int64, source string,
	from *Status, to Status, fromPhrase, toPhrase, note string) error {
	const q = `
		INSERT INTO workplan_task_events (task_id, user_id, source, from_status, to_status, from_phrase, to_phrase, note)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`
	_, err := tx.ExecContext(ctx, q, taskID, userID, source, from, to, fromPhrase, toPhrase, note)
	return err
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

// ClusterUser is a user who may own a task.
type ClusterUser struct {
	ID   int64  `db:"id"`
	Name string `db:"name"`
}

// ClusterUsers lists the active users of the cluster, by name.
func (s *Store) ClusterUsers(ctx context.Context) ([]ClusterUser, error) {
	users := []ClusterUser{}
	err := sqlx.SelectContext(ctx, s.db, &users, `SELECT id, name FROM users WHERE org_kind = 'cluster' AND active ORDER BY name, id`)
	return users, err
}

// Domains lists the domains of plan, in order.
func (s *Store) Domains(ctx context.Context, planID int64) ([]*Domain, error) {
	domains := []*Domain{}
	err := sqlx.SelectContext(ctx, s.db, &domains,
		`SELECT id, plan_id, name, number, position, introduction FROM workplan_domains WHERE plan_id = $1 ORDER BY position, id`, planID)
	return domains, err
}
