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

// Store is the work plan's SQL, on the pool or inside a caller's
// transaction.
type Store struct {
	db database.Handle
}

// NewStore returns the store over db.
func NewStore(db *sqlx.DB) *Store { return &Store{db: database.Audited(db)} }

// InTx returns the store running its statements in tx.
func (s *Store) InTx(tx *sqlx.Tx) *Store { return &Store{db: tx} }

// ErrPlanNotFound is returned when a year has no plan.
var ErrPlanNotFound = apperr.NotFound("not_found.work_plan")

// Plans lists every plan, newest year first, with its number of tasks.
func (s *Store) Plans(ctx context.Context) (_ []Plan, err error) {
	defer apperr.Wrap(&err, "workplan.Store.Plans")
	const q = `
		SELECT p.id, p.year, p.created_at, p.updated_at,
		       (SELECT count(*) FROM workplan_tasks t WHERE t.plan_id = p.id) AS tasks
		FROM workplan_plans p ORDER BY p.year DESC`
	plans := []Plan{}
	if err := s.db.SelectContext(ctx, &plans, q); err != nil {
		return nil, err
	}
	return plans, nil
}

// Plan returns the plan of year, or ErrPlanNotFound.
func (s *Store) Plan(ctx context.Context, year int) (_ *Plan, err error) {
	defer apperr.Wrap(&err, "workplan.Store.Plan(%d)", year)
	const q = `
		SELECT p.id, p.year, p.created_at, p.updated_at,
		       (SELECT count(*) FROM workplan_tasks t WHERE t.plan_id = p.id) AS tasks
		FROM workplan_plans p WHERE p.year = $1`
	var p Plan
	if err := s.db.GetContext(ctx, &p, q, year); err != nil {
		if err = database.MapError(err); apperr.Is(err, apperr.KindNotFound) {
			return nil, ErrPlanNotFound
		}
		return nil, err
	}
	return &p, nil
}

// lockPlan returns the id of the plan of year, locked until the end of the
// transaction the store runs in, creating the plan first when create is
// set.
func (s *Store) lockPlan(ctx context.Context, year int, create bool) (int64, error) {
	if create {
		const ins = `INSERT INTO workplan_plans (year) VALUES ($1) ON CONFLICT (year) DO NOTHING`
		if _, err := s.db.ExecContext(ctx, ins, year); err != nil {
			return 0, database.MapError(err)
		}
	}
	const q = `SELECT id FROM workplan_plans WHERE year = $1 FOR UPDATE`
	var id int64
	if err := s.db.GetContext(ctx, &id, q, year); err != nil {
		if err = database.MapError(err); apperr.Is(err, apperr.KindNotFound) {
			return 0, ErrPlanNotFound
		}
		return 0, err
	}
	return id, nil
}

// touchPlan marks the plan as changed now.
func (s *Store) touchPlan(ctx context.Context, planID int64) error {
	const q = `UPDATE workplan_plans SET updated_at = now() WHERE id = $1`
	_, err := s.db.ExecContext(ctx, q, planID)
	return err
}

// Domains lists the domains of plan, in order.
func (s *Store) Domains(ctx context.Context, planID int64) (_ []*Domain, err error) {
	defer apperr.Wrap(&err, "workplan.Store.Domains(%d)", planID)
	const q = `
		SELECT id, plan_id, name, number, position, introduction
		FROM workplan_domains WHERE plan_id = $1 ORDER BY position, id`
	domains := []*Domain{}
	if err := s.db.SelectContext(ctx, &domains, q, planID); err != nil {
		return nil, err
	}
	return domains, nil
}

// domain returns domain id.
func (s *Store) domain(ctx context.Context, id int64) (*Domain, error) {
	const q = `SELECT id, plan_id, name, number, position, introduction FROM workplan_domains WHERE id = $1`
	var d Domain
	if err := s.db.GetContext(ctx, &d, q, id); err != nil {
		return nil, err
	}
	return &d, nil
}

// goalColumns are the columns every goal query selects.
const goalColumns = `id, plan_id, domain_id, number, ordinal, part, title, introduction, position, engine_id`

// goals lists the goals of plan, in order.
func (s *Store) goals(ctx context.Context, planID int64) ([]*Goal, error) {
	const q = `SELECT ` + goalColumns + ` FROM workplan_goals WHERE plan_id = $1 ORDER BY position, id`
	goals := []*Goal{}
	if err := s.db.SelectContext(ctx, &goals, q, planID); err != nil {
		return nil, err
	}
	return goals, nil
}

// goal returns goal id.
func (s *Store) goal(ctx context.Context, id int64) (*Goal, error) {
	const q = `SELECT ` + goalColumns + ` FROM workplan_goals WHERE id = $1`
	var g Goal
	if err := s.db.GetContext(ctx, &g, q, id); err != nil {
		return nil, err
	}
	return &g, nil
}

// Tree returns the plan of year as domains → goals → tasks, in the
// report's order, with the tasks f lets through. When f filters, domains
// and goals left without tasks are left out.
func (s *Store) Tree(ctx context.Context, year int, f Filter) (_ *Plan, _ []*Domain, err error) {
	defer apperr.Wrap(&err, "workplan.Store.Tree(%d)", year)
	plan, err := s.Plan(ctx, year)
	if err != nil {
		return nil, nil, err
	}
	domains, err := s.Domains(ctx, plan.ID)
	if err != nil {
		return nil, nil, err
	}
	goals, err := s.goals(ctx, plan.ID)
	if err != nil {
		return nil, nil, err
	}
	tasks, err := s.tasks(ctx, plan.ID, f)
	if err != nil {
		return nil, nil, err
	}
	if err := s.attachFigures(ctx, year, tasks); err != nil {
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
	if err := s.db.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, err
	}
	return tasksOf(rows), nil
}

// Owners lists the distinct owner names of the plan's tasks, for filters.
func (s *Store) Owners(ctx context.Context, planID int64) (_ []string, err error) {
	defer apperr.Wrap(&err, "workplan.Store.Owners(%d)", planID)
	const q = `SELECT DISTINCT owner FROM workplan_tasks WHERE plan_id = $1 AND owner <> '' ORDER BY owner`
	owners := []string{}
	if err := s.db.SelectContext(ctx, &owners, q, planID); err != nil {
		return nil, err
	}
	return owners, nil
}

// ClusterUser is a user who may own a task.
type ClusterUser struct {
	ID   int64  `db:"id"`
	Name string `db:"name"`
}

// ClusterUsers lists the active users of the cluster, by name.
func (s *Store) ClusterUsers(ctx context.Context) (_ []ClusterUser, err error) {
	defer apperr.Wrap(&err, "workplan.Store.ClusterUsers")
	const q = `SELECT id, name FROM users WHERE org_kind = 'cluster' AND active ORDER BY name, id`
	users := []ClusterUser{}
	if err := s.db.SelectContext(ctx, &users, q); err != nil {
		return nil, err
	}
	return users, nil
}

// isClusterUser reports whether userID is an active user of the cluster.
func (s *Store) isClusterUser(ctx context.Context, userID int64) (bool, error) {
	const q = `SELECT EXISTS (SELECT 1 FROM users WHERE id = $1 AND active AND org_kind = 'cluster')`
	var ok bool
	err := s.db.GetContext(ctx, &ok, q, userID)
	return ok, err
}
