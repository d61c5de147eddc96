package workplan

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"madaf/internal/apperr"
	"madaf/internal/database"
)

// ImportResult says what an import found in the file and what it changed.
type ImportResult struct {
	Year   int   `json:"year"`
	PlanID int64 `json:"plan_id"`
	// In the file.
	Domains int `json:"domains"`
	Goals   int `json:"goals"`
	Tasks   int `json:"tasks"`
	// Changes to the plan.
	Created   Changes `json:"created"`
	Updated   Changes `json:"updated"`
	Unchanged int     `json:"unchanged_tasks"`
	// NotInFile counts the plan's tasks the file does not list; they are
	// kept as they are.
	NotInFile int `json:"tasks_not_in_file"`
}

// Changes counts rows created or updated by an import.
type Changes struct {
	Domains int `json:"domains"`
	Goals   int `json:"goals"`
	Tasks   int `json:"tasks"`
}

// Changed reports whether the import changed anything.
func (r *ImportResult) Changed() bool {
	return r.Created != (Changes{}) || r.Updated != (Changes{})
}

// Import stores doc as the plan of year, all or nothing. Domains are
// matched by name, goals by section number (or, without one, by domain and
// title), tasks within their goal by title (the n-th task of a title matches
// the n-th). What matches and is equal is left alone, so importing the same
// file twice changes nothing the second time; a changed status is recorded
// in the task's history. Tasks the file does not list are kept. source
// names the file in the history; by is the importing user (0 for none).
func (s *Store) Import(ctx context.Context, year int, doc *Document, source string, by int64) (*ImportResult, error) {
	if year < 2000 || year > 2100 {
		return nil, apperr.Invalid("bad year", apperr.Field("year", "must be from 2000 to 2100"))
	}
	var res *ImportResult
	err := database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		var err error
		res, err = importDoc(ctx, tx, year, doc, source, by)
		return err
	})
	return res, err
}

func importDoc(ctx context.Context, tx *sqlx.Tx, year int, doc *Document, source string, by int64) (*ImportResult, error) {
	planID, err := lockPlan(ctx, tx, year, true)
	if err != nil {
		return nil, err
	}
	res := &ImportResult{Year: year, PlanID: planID}
	res.Domains, res.Goals, res.Tasks = doc.Counts()
	note := source

	domains := []*Domain{}
	if err := sqlx.SelectContext(ctx, tx, &domains,
		`SELECT id, plan_id, name, number, position, introduction FROM workplan_domains WHERE plan_id = $1`, planID); err != nil {
		return nil, err
	}
	domainByName := map[string]*Domain{}
	for _, d := range domains {
		domainByName[d.Name] = d
	}
	goals := []*Goal{}
	if err := sqlx.SelectContext(ctx, tx, &goals, `
		SELECT id, plan_id, domain_id, number, ordinal, part, title, introduction, position, engine_id
		FROM workplan_goals WHERE plan_id = $1`, planID); err != nil {
		return nil, err
	}
	goalByNumber := map[string]*Goal{}
	goalByTitle := map[string]*Goal{}
	for _, g := range goals {
		if g.Number != "" {
			goalByNumber[g.Number] = g
		}
		goalByTitle[fmt.Sprint(g.DomainID, "\x00", g.Title)] = g
	}
	seenTasks := 0

	for di, dd := range doc.Domains {
		d := domainByName[dd.Name]
		if d == nil {
			d = &Domain{Name: dd.Name, Number: dd.Number, Position: di + 1, Introduction: dd.Introduction}
			const ins = `INSERT INTO workplan_domains (plan_id, name, number, position, introduction) VALUES ($1, $2, $3, $4, $5) RETURNING id`
			if err := tx.GetContext(ctx, &d.ID, ins, planID, d.Name, d.Number, d.Position, d.Introduction); err != nil {
				return nil, database.MapError(err)
			}
			domainByName[d.Name] = d
			res.Created.Domains++
		} else {
			number, intro := keep(d.Number, dd.Number), keep(d.Introduction, dd.Introduction)
			if number != d.Number || intro != d.Introduction || d.Position != di+1 {
				const upd = `UPDATE workplan_domains SET number = $2, introduction = $3, position = $4 WHERE id = $1`
				if _, err := tx.ExecContext(ctx, upd, d.ID, number, intro, di+1); err != nil {
					return nil, database.MapError(err)
				}
				res.Updated.Domains++
			}
		}

		for gi, dg := range dd.Goals {
			var g *Goal
			if dg.Number != "" {
				g = goalByNumber[dg.Number]
			}
			if g == nil {
				g = goalByTitle[fmt.Sprint(d.ID, "\x00", dg.Title)]
			}
			if g == nil {
				g = &Goal{DomainID: d.ID, Number: dg.Number, Ordinal: dg.Ordinal, Part: dg.Part, Title: dg.Title,
					Introduction: dg.Introduction, Position: gi + 1}
				const ins = `
					INSERT INTO workplan_goals (plan_id, domain_id, number, ordinal, part, title, introduction, position)
					VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`
				if err := tx.GetContext(ctx, &g.ID, ins, planID, g.DomainID, g.Number, g.Ordinal, g.Part, g.Title, g.Introduction, g.Position); err != nil {
					return nil, database.MapError(err)
				}
				res.Created.Goals++
			} else {
				ordinal := g.Ordinal
				if dg.Ordinal != nil {
					ordinal = dg.Ordinal
				}
				number, part, intro := keep(g.Number, dg.Number), keep(g.Part, dg.Part), keep(g.Introduction, dg.Introduction)
				if g.DomainID != d.ID || number != g.Number || !sameInt(ordinal, g.Ordinal) || part != g.Part ||
					g.Title != dg.Title || intro != g.Introduction || g.Position != gi+1 {
					const upd = `
						UPDATE workplan_goals SET domain_id = $2, number = $3, ordinal = $4, part = $5, title = $6,
						       introduction = $7, position = $8
						WHERE id = $1`
					if _, err := tx.ExecContext(ctx, upd, g.ID, d.ID, number, ordinal, part, dg.Title, intro, gi+1); err != nil {
						return nil, database.MapError(err)
					}
					res.Updated.Goals++
				}
			}
			n, err := importTasks(ctx, tx, planID, g.ID, dg.Tasks, doc, res, by, note)
			if err != nil {
				return nil, err
			}
			seenTasks += n
		}
	}

	var total int
	if err := tx.GetContext(ctx, &total, `SELECT count(*) FROM workplan_tasks WHERE plan_id = $1`, planID); err != nil {
		return nil, err
	}
	res.NotInFile = total - seenTasks
	if res.Changed() {
		if _, err := tx.ExecContext(ctx, `UPDATE workplan_plans SET updated_at = now() WHERE id = $1`, planID); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// importTasks brings the tasks of one goal in line with the file's rows and
// returns how many of the goal's tasks the file matched or created.
func importTasks(ctx context.Context, tx *sqlx.Tx, planID, goalID int64, rows []*DocTask, doc *Document,
	res *ImportResult, by int64, note string) (int, error) {
	var existing []*Task
	const q = `SELECT ` + taskColumns + taskFrom + ` WHERE t.goal_id = $1 ORDER BY t.position, t.id FOR UPDATE OF t`
	var trows []taskRow
	if err := sqlx.SelectContext(ctx, tx, &trows, q, goalID); err != nil {
		return 0, err
	}
	for i := range trows {
		existing = append(existing, trows[i].task())
	}
	matched := make([]bool, len(existing))
	var fresh newTasks
	for pos, r := range rows {
		var t *Task
		for i, e := range existing {
			if !matched[i] && e.Title == r.Title {
				matched[i], t = true, e
				break
			}
		}
		if t == nil {
			fresh.add(pos+1, r)
			res.Created.Tasks++
			continue
		}
		// A row whose status is the label of the task's status, on a task
		// without a phrase of its own (as the export writes it), is no change.
		if t.StatusPhrase == "" && r.Status == t.Status && r.Phrase == t.Status.Label() {
			r = &DocTask{Title: r.Title, Status: r.Status, Notes: r.Notes, Owner: r.Owner, Line: r.Line}
		}
		notes, owner := t.Notes, t.Owner
		if doc.HasNotes {
			notes = r.Notes
		}
		if doc.HasOwner {
			owner = r.Owner
		}
		if t.Status == r.Status && t.StatusPhrase == r.Phrase && t.Qualifier == r.Qualifier &&
			t.Notes == notes && t.Owner == owner && t.Position == pos+1 {
			res.Unchanged++
			continue
		}
		const upd = `
			UPDATE workplan_tasks SET position = $2, status = $3, status_phrase = $4, qualifier = $5, notes = $6,
			       owner = $7, updated_at = now()
			WHERE id = $1`
		if _, err := tx.ExecContext(ctx, upd, t.ID, pos+1, r.Status, r.Phrase, r.Qualifier, notes, owner); err != nil {
			return 0, database.MapError(err)
		}
		if t.Status != r.Status || t.StatusPhrase != r.Phrase {
			if err := addEvent(ctx, tx, t.ID, nullID(by), SourceImport, &t.Status, r.Status, t.StatusPhrase, r.Phrase, note); err != nil {
				return 0, err
			}
		}
		res.Updated.Tasks++
	}
	if err := fresh.insert(ctx, tx, planID, goalID, by, note); err != nil {
		return 0, err
	}
	return len(rows), nil
}

// newTasks are the rows of one goal to insert, column by column, so that
// they and their first history entries are written in one statement.
type newTasks struct {
	positions                                            []int64
	titles, statuses, phrases, qualifiers, notes, owners []string
}

func (n *newTasks) add(pos int, r *DocTask) {
	n.positions = append(n.positions, int64(pos))
	n.titles = append(n.titles, r.Title)
	n.statuses = append(n.statuses, string(r.Status))
	n.phrases = append(n.phrases, r.Phrase)
	n.qualifiers = append(n.qualifiers, r.Qualifier)
	n.notes = append(n.notes, r.Notes)
	n.owners = append(n.owners, r.Owner)
}

func (n *newTasks) insert(ctx context.Context, tx *sqlx.Tx, planID, goalID, by int64, note string) error {
	if len(n.titles) == 0 {
		return nil
	}
	const q = `
		WITH created AS (
		  INSERT INTO workplan_tasks (plan_id, goal_id, position, title, status, status_phrase, qualifier, notes, owner)
		  SELECT $1, $2, r.position, r.title, r.status, r.phrase, r.qualifier, r.notes, r.owner
		  FROM unnest($3::int[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
		       AS r(position, title, status, phrase, qualifier, notes, owner)
		  ORDER BY r.position
		  RETURNING id, status, status_phrase
		)
		INSERT INTO workplan_task_events (task_id, user_id, source, to_status, to_phrase, note)
		SELECT id, $10, 'import', status, status_phrase, $11 FROM created ORDER BY id`
	_, err := tx.ExecContext(ctx, q, planID, goalID, pq.Array(n.positions), pq.Array(n.titles), pq.Array(n.statuses),
		pq.Array(n.phrases), pq.Array(n.qualifiers), pq.Array(n.notes), pq.Array(n.owners), nullID(by), note)
	return database.MapError(err)
}

// lockPlan returns the id of the plan of year locked for this transaction,
// creating the plan first when create is set.
func lockPlan(ctx context.Context, tx *sqlx.Tx, year int, create bool) (int64, error) {
	if create {
		if _, err := tx.ExecContext(ctx, `INSERT INTO workplan_plans (year) VALUES ($1) ON CONFLICT (year) DO NOTHING`, year); err != nil {
			return 0, database.MapError(err)
		}
	}
	var id int64
	if err := tx.GetContext(ctx, &id, `SELECT id FROM workplan_plans WHERE year = $1 FOR UPDATE`, year); err != nil {
		if err = database.MapError(err); apperr.Is(err, apperr.KindNotFound) {
			return 0, ErrPlanNotFound
		}
		return 0, err
	}
	return id, nil
}

// keep returns the file's value, or the stored one when the file has none,
// so that a file without introductions does not erase them.
func keep(stored, file string) string {
	if file == "" {
		return stored
	}
	return file
}

func sameInt(a, b *int) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// ImportFile reads the file at path (the report's plain-text export, or an
// XLSX workbook), imports it as the plan of year and writes what it did to
// w. A file with faults is refused whole; the error lists every fault with
// its line (or row).
func ImportFile(ctx context.Context, db *sqlx.DB, year int, path string, w io.Writer) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	doc, err := Parse(data)
	if err != nil {
		return describe(err)
	}
	res, err := NewStore(db).Import(ctx, year, doc, filepath.Base(path), 0)
	if err != nil {
		return describe(err)
	}
	fmt.Fprintf(w, "work plan %d: the file has %d domains, %d goals, %d tasks\n", year, res.Domains, res.Goals, res.Tasks)
	if !res.Changed() {
		fmt.Fprintln(w, "nothing changed: the plan already holds this file")
	} else {
		fmt.Fprintf(w, "created %d domains, %d goals, %d tasks; updated %d domains, %d goals, %d tasks; %d tasks unchanged\n",
			res.Created.Domains, res.Created.Goals, res.Created.Tasks, res.Updated.Domains, res.Updated.Goals, res.Updated.Tasks, res.Unchanged)
	}
	if res.NotInFile > 0 {
		fmt.Fprintf(w, "%d tasks of the plan are not in the file and were kept\n", res.NotInFile)
	}
	return nil
}

// describe spells out an application error with its field errors, for the
// command line.
func describe(err error) error {
	ae, ok := err.(*apperr.Error)
	if !ok || len(ae.Fields) == 0 {
		return err
	}
	msg := ae.Msg.String()
	for _, f := range ae.Fields {
		msg += "\n  " + f.Field + ": " + f.Msg.String()
	}
	return fmt.Errorf("%s", msg)
}

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

// carriedStatus is the status an open task starts the next year with: work
// under way stays in progress, everything else is still to start.
func carriedStatus(s Status) Status {
	if s == StatusInProgress || s == StatusPartial {
		return StatusInProgress
	}
	return StatusNotStarted
}

// CarryOver copies the open tasks of year's plan (in progress, partial, not
// started, not done, postponed) into the plan of year+1, creating it and
// the domains and goals they need, each new task linked to its origin. Done,
// dropped and not-relevant tasks stay behind. A task is carried once:
// running it again copies only open tasks not carried yet. The new task keeps
// its title, notes, owner and figure; its status starts the year as
// in_progress (work under way) or not_started, and its history records where
// it came from.
func (s *Store) CarryOver(ctx context.Context, year int, by int64) (*CarryResult, error) {
	res := &CarryResult{FromYear: year, ToYear: year + 1}
	err := database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		*res = CarryResult{FromYear: year, ToYear: year + 1}
		fromID, err := lockPlan(ctx, tx, year, false)
		if err != nil {
			return err
		}
		toID, err := lockPlan(ctx, tx, year+1, true)
		if err != nil {
			return err
		}
		res.PlanID = toID
		type openTask struct {
			Task
			DomainName   string `db:"domain_name"`
			DomainNumber string `db:"domain_number"`
			DomainPos    int    `db:"domain_position"`
			GoalNumber   string `db:"goal_number"`
			GoalOrdinal  *int   `db:"goal_ordinal"`
			GoalPart     string `db:"goal_part"`
			GoalTitle    string `db:"goal_title"`
			GoalIntro    string `db:"goal_introduction"`
			GoalPos      int    `db:"goal_position"`
			GoalEngine   *int64 `db:"goal_engine_id"`
			CarriedTo    *int64 `db:"carried_to"`
		}
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
			WHERE t.plan_id = $1 AND t.status IN ('in_progress', 'partial', 'not_started', 'not_done', 'postponed')
			ORDER BY d.position, d.id, g.position, g.id, t.position, t.id
			FOR UPDATE OF t`
		var open []openTask
		if err := sqlx.SelectContext(ctx, tx, &open, q, fromID); err != nil {
			return err
		}
		domainIDs := map[string]int64{}
		goalIDs := map[int64]int64{}
		for _, o := range open {
			if o.CarriedTo != nil {
				res.AlreadyCarried++
				continue
			}
			did, ok := domainIDs[o.DomainName]
			if !ok {
				const q = `
					INSERT INTO workplan_domains (plan_id, name, number, position, introduction)
					VALUES ($1, $2, $3, (SELECT coalesce(max(position), 0) + 1 FROM workplan_domains WHERE plan_id = $1), '')
					ON CONFLICT (plan_id, name) DO UPDATE SET name = EXCLUDED.name
					RETURNING id`
				if err := tx.GetContext(ctx, &did, q, toID, o.DomainName, o.DomainNumber); err != nil {
					return database.MapError(err)
				}
				domainIDs[o.DomainName] = did
			}
			gid, ok := goalIDs[o.GoalID]
			if !ok {
				err := tx.GetContext(ctx, &gid, `SELECT id FROM workplan_goals WHERE domain_id = $1 AND title = $2`, did, o.GoalTitle)
				if err = database.MapError(err); apperr.Is(err, apperr.KindNotFound) {
					// Keep the section number unless next year's plan uses it
					// for another goal.
					const ins = `
						INSERT INTO workplan_goals (plan_id, domain_id, number, ordinal, part, title, introduction, position, engine_id)
						VALUES ($1, $2,
						        CASE WHEN EXISTS (SELECT 1 FROM workplan_goals WHERE plan_id = $1 AND number = $3) THEN '' ELSE $3 END,
						        $4, $5, $6, $7, (SELECT coalesce(max(position), 0) + 1 FROM workplan_goals WHERE domain_id = $2), $8)
						RETURNING id`
					err = tx.GetContext(ctx, &gid, ins, toID, did, o.GoalNumber, o.GoalOrdinal, o.GoalPart, o.GoalTitle,
						o.GoalIntro, o.GoalEngine)
				}
				if err != nil {
					return database.MapError(err)
				}
				goalIDs[o.GoalID] = gid
			}
			to := carriedStatus(o.Status)
			const ins = `
				INSERT INTO workplan_tasks (plan_id, goal_id, position, title, status, notes, owner, owner_user_id,
				                            carried_from_task_id, figure, figure_target)
				VALUES ($1, $2, (SELECT coalesce(max(position), 0) + 1 FROM workplan_tasks WHERE goal_id = $2),
				        $3, $4, $5, $6, $7, $8, $9, $10)
				RETURNING id`
			var id int64
			if err := tx.GetContext(ctx, &id, ins, toID, gid, o.Title, to, o.Notes, o.Owner, o.OwnerUserID, o.ID,
				o.Figure, o.FigureTarget); err != nil {
				return database.MapError(err)
			}
			if err := addEvent(ctx, tx, id, nullID(by), SourceCarryOver, &o.Status, to, o.StatusPhrase, "", strconv.Itoa(year)); err != nil {
				return err
			}
			res.Carried++
		}
		if res.Carried > 0 {
			_, err := tx.ExecContext(ctx, `UPDATE workplan_plans SET updated_at = now() WHERE id = $1`, toID)
			return err
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}
