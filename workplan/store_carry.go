package workplan

import (
	"context"
	"strconv"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"madaf/internal/apperr"
	"madaf/internal/database"
)

// CarryResult says what a carry-over did.
type CarryResult struct {
	FromYear int   `json:"from_year"`
	ToYear   int   `json:"to_year"`
	PlanID   int64 `json:"plan_id"`
	// Carried counts the tasks copied now; AlreadyCarried those copied by
	// an earlier carry-over.
	Carried        int `json:"carried"`
	AlreadyCarried int `json:"already_carried"`
}

// openTask is an open task of a plan with the domain and goal it belongs
// to, as a carry-over copies it.
type openTask struct {
	Task
	DomainName   string `db:"domain_name"`
	DomainNumber string `db:"domain_number"`
	GoalNumber   string `db:"goal_number"`
	GoalOrdinal  *int   `db:"goal_ordinal"`
	GoalPart     string `db:"goal_part"`
	GoalTitle    string `db:"goal_title"`
	GoalIntro    string `db:"goal_introduction"`
	GoalEngine   *int64 `db:"goal_engine_id"`
	// CarriedTo is the task of the next year's plan already carried from
	// this one.
	CarriedTo *int64 `db:"carried_to"`
}

// openStatuses are the statuses Status.Open lets through, for SQL.
func openStatuses() pq.StringArray {
	var out pq.StringArray
	for _, s := range Statuses {
		if s.Open() {
			out = append(out, string(s))
		}
	}
	return out
}

// lockOpenTasks returns the open tasks of plan in plan order, locked until
// the end of the transaction the store runs in.
func (s *Store) lockOpenTasks(ctx context.Context, planID int64) ([]openTask, error) {
	const q = `
		SELECT t.id, t.plan_id, t.goal_id, t.position, t.title, t.status, t.status_phrase, t.qualifier,
		       t.notes, t.owner, t.owner_user_id, t.due_quarter, t.carried_from_task_id, t.figure,
		       t.figure_target, t.created_at, t.updated_at,
		       d.name AS domain_name, d.number AS domain_number,
		       g.number AS goal_number, g.ordinal AS goal_ordinal, g.part AS goal_part, g.title AS goal_title,
		       g.introduction AS goal_introduction, g.engine_id AS goal_engine_id,
		       (SELECT c.id FROM workplan_tasks c WHERE c.carried_from_task_id = t.id) AS carried_to
		FROM workplan_tasks t
		JOIN workplan_goals g ON g.id = t.goal_id
		JOIN workplan_domains d ON d.id = g.domain_id
		WHERE t.plan_id = $1 AND t.status = ANY($2)
		ORDER BY d.position, d.id, g.position, g.id, t.position, t.id
		FOR UPDATE OF t`
	var open []openTask
	if err := s.db.SelectContext(ctx, &open, q, planID, openStatuses()); err != nil {
		return nil, err
	}
	return open, nil
}

// carryDomain returns the domain of plan named as o's, adding it at the end
// when the plan lacks it.
func (s *Store) carryDomain(ctx context.Context, planID int64, o *openTask) (int64, error) {
	const q = `
		INSERT INTO workplan_domains (plan_id, name, number, position, introduction)
		VALUES ($1, $2, $3, (SELECT coalesce(max(position), 0) + 1 FROM workplan_domains WHERE plan_id = $1), '')
		ON CONFLICT (plan_id, name) DO UPDATE SET name = EXCLUDED.name
		RETURNING id`
	var id int64
	err := s.db.GetContext(ctx, &id, q, planID, o.DomainName, o.DomainNumber)
	return id, database.MapError(err)
}

// carryGoal returns the goal of domain titled as o's, adding it at the end
// when the domain lacks it. It keeps the section number unless the plan
// uses it for another goal.
func (s *Store) carryGoal(ctx context.Context, planID, domainID int64, o *openTask) (int64, error) {
	const q = `SELECT id FROM workplan_goals WHERE domain_id = $1 AND title = $2`
	var id int64
	err := database.MapError(s.db.GetContext(ctx, &id, q, domainID, o.GoalTitle))
	if !apperr.Is(err, apperr.KindNotFound) {
		return id, err
	}
	const ins = `
		INSERT INTO workplan_goals (plan_id, domain_id, number, ordinal, part, title, introduction, position, engine_id)
		VALUES ($1, $2,
		        CASE WHEN EXISTS (SELECT 1 FROM workplan_goals WHERE plan_id = $1 AND number = $3) THEN '' ELSE $3 END,
		        $4, $5, $6, $7, (SELECT coalesce(max(position), 0) + 1 FROM workplan_goals WHERE domain_id = $2), $8)
		RETURNING id`
	err = s.db.GetContext(ctx, &id, ins, planID, domainID, o.GoalNumber, o.GoalOrdinal, o.GoalPart, o.GoalTitle,
		o.GoalIntro, o.GoalEngine)
	return id, database.MapError(err)
}

// carryTask copies o into goal as a task starting the year in status to,
// and returns the new task's id.
func (s *Store) carryTask(ctx context.Context, planID, goalID int64, o *openTask, to Status) (int64, error) {
	const q = `
		INSERT INTO workplan_tasks (plan_id, goal_id, position, title, status, notes, owner, owner_user_id,
		                            carried_from_task_id, figure, figure_target)
		VALUES ($1, $2, (SELECT coalesce(max(position), 0) + 1 FROM workplan_tasks WHERE goal_id = $2),
		        $3, $4, $5, $6, $7, $8, $9, $10)
		RETURNING id`
	var id int64
	err := s.db.GetContext(ctx, &id, q, planID, goalID, o.Title, to, o.Notes, o.Owner, o.OwnerUserID, o.ID,
		o.Figure, o.FigureTarget)
	return id, database.MapError(err)
}

// CarryOver copies the open tasks of year's plan (in progress, partial, not
// started, not done, postponed) into the plan of year+1, creating it and
// the domains and goals they need, each new task linked to its origin. Done,
// dropped and not-relevant tasks stay behind. A task is carried once:
// running it again copies only open tasks not carried yet. The new task keeps
// its title, notes, owner and figure; its status starts the year as
// Status.Carried says, and its history records where it came from. A year
// without a plan is ErrPlanNotFound.
func (s *Store) CarryOver(ctx context.Context, year int, by int64) (_ *CarryResult, err error) {
	defer apperr.Wrap(&err, "workplan.Store.CarryOver(%d)", year)
	res := &CarryResult{}
	err = database.Transact(ctx, s.db, func(tx *sqlx.Tx) error {
		*res = CarryResult{FromYear: year, ToYear: year + 1}
		st := s.InTx(tx)
		fromID, err := st.lockPlan(ctx, year, false)
		if err != nil {
			return err
		}
		toID, err := st.lockPlan(ctx, year+1, true)
		if err != nil {
			return err
		}
		res.PlanID = toID
		open, err := st.lockOpenTasks(ctx, fromID)
		if err != nil {
			return err
		}
		domainIDs := map[string]int64{}
		goalIDs := map[int64]int64{}
		for i := range open {
			o := &open[i]
			if o.CarriedTo != nil {
				res.AlreadyCarried++
				continue
			}
			did, ok := domainIDs[o.DomainName]
			if !ok {
				if did, err = st.carryDomain(ctx, toID, o); err != nil {
					return err
				}
				domainIDs[o.DomainName] = did
			}
			gid, ok := goalIDs[o.GoalID]
			if !ok {
				if gid, err = st.carryGoal(ctx, toID, did, o); err != nil {
					return err
				}
				goalIDs[o.GoalID] = gid
			}
			to := o.Status.Carried()
			id, err := st.carryTask(ctx, toID, gid, o, to)
			if err != nil {
				return err
			}
			if err := st.addEvent(ctx, id, nullID(by), SourceCarryOver, &o.Status, to, o.StatusPhrase, "", strconv.Itoa(year)); err != nil {
				return err
			}
			res.Carried++
		}
		if res.Carried > 0 {
			return st.touchPlan(ctx, toID)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}
