package workplan

import (
	"context"
	"fmt"

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
func (s *Store) Import(ctx context.Context, year int, doc *Document, source string, by int64) (_ *ImportResult, err error) {
	defer apperr.Wrap(&err, "workplan.Store.Import(%d, %q)", year, source)
	if year < 2000 || year > 2100 {
		return nil, apperr.Invalid("error.invalid_fields", apperr.Field("year", "workplan.bad_year"))
	}
	var res *ImportResult
	err = database.Transact(ctx, s.db, func(tx *sqlx.Tx) error {
		var err error
		res, err = s.InTx(tx).importDoc(ctx, year, doc, source, by)
		return err
	})
	return res, err
}

// importDoc is Import inside the store's transaction.
func (s *Store) importDoc(ctx context.Context, year int, doc *Document, note string, by int64) (*ImportResult, error) {
	planID, err := s.lockPlan(ctx, year, true)
	if err != nil {
		return nil, err
	}
	res := &ImportResult{Year: year, PlanID: planID}
	res.Domains, res.Goals, res.Tasks = doc.Counts()

	domains, err := s.Domains(ctx, planID)
	if err != nil {
		return nil, err
	}
	domainByName := map[string]*Domain{}
	for _, d := range domains {
		domainByName[d.Name] = d
	}
	goals, err := s.goals(ctx, planID)
	if err != nil {
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
			if err := s.db.GetContext(ctx, &d.ID, ins, planID, d.Name, d.Number, d.Position, d.Introduction); err != nil {
				return nil, database.MapError(err)
			}
			domainByName[d.Name] = d
			res.Created.Domains++
		} else {
			number, intro := keep(d.Number, dd.Number), keep(d.Introduction, dd.Introduction)
			if number != d.Number || intro != d.Introduction || d.Position != di+1 {
				const upd = `UPDATE workplan_domains SET number = $2, introduction = $3, position = $4 WHERE id = $1`
				if _, err := s.db.ExecContext(ctx, upd, d.ID, number, intro, di+1); err != nil {
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
				if err := s.db.GetContext(ctx, &g.ID, ins, planID, g.DomainID, g.Number, g.Ordinal, g.Part, g.Title, g.Introduction, g.Position); err != nil {
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
					if _, err := s.db.ExecContext(ctx, upd, g.ID, d.ID, number, ordinal, part, dg.Title, intro, gi+1); err != nil {
						return nil, database.MapError(err)
					}
					res.Updated.Goals++
				}
			}
			if err := s.importTasks(ctx, planID, g.ID, dg.Tasks, doc, res, by, note); err != nil {
				return nil, err
			}
			seenTasks += len(dg.Tasks)
		}
	}

	var total int
	const qn = `SELECT count(*) FROM workplan_tasks WHERE plan_id = $1`
	if err := s.db.GetContext(ctx, &total, qn, planID); err != nil {
		return nil, err
	}
	res.NotInFile = total - seenTasks
	if res.Changed() {
		if err := s.touchPlan(ctx, planID); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// lockGoalTasks returns the tasks of goal, in order, locked until the end
// of the transaction the store runs in.
func (s *Store) lockGoalTasks(ctx context.Context, goalID int64) ([]*Task, error) {
	const q = `SELECT ` + taskColumns + taskFrom + ` WHERE t.goal_id = $1 ORDER BY t.position, t.id FOR UPDATE OF t`
	var rows []taskRow
	if err := s.db.SelectContext(ctx, &rows, q, goalID); err != nil {
		return nil, err
	}
	return tasksOf(rows), nil
}

// importTasks brings the tasks of one goal in line with the file's rows.
func (s *Store) importTasks(ctx context.Context, planID, goalID int64, rows []*DocTask, doc *Document,
	res *ImportResult, by int64, note string) error {
	existing, err := s.lockGoalTasks(ctx, goalID)
	if err != nil {
		return err
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
		if t.StatusPhrase == "" && r.Status == t.Status && isLabel(r.Phrase, r.Status) {
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
		if _, err := s.db.ExecContext(ctx, upd, t.ID, pos+1, r.Status, r.Phrase, r.Qualifier, notes, owner); err != nil {
			return database.MapError(err)
		}
		if t.Status != r.Status || t.StatusPhrase != r.Phrase {
			if err := s.addEvent(ctx, t.ID, nullID(by), SourceImport, &t.Status, r.Status, t.StatusPhrase, r.Phrase, note); err != nil {
				return err
			}
		}
		res.Updated.Tasks++
	}
	return s.insertTasks(ctx, planID, goalID, &fresh, by, note)
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

// insertTasks writes the new tasks of goal and the first entry of each
// one's history.
func (s *Store) insertTasks(ctx context.Context, planID, goalID int64, n *newTasks, by int64, note string) error {
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
		SELECT id, $10, $11, status, status_phrase, $12 FROM created ORDER BY id`
	_, err := s.db.ExecContext(ctx, q, planID, goalID, pq.Array(n.positions), pq.Array(n.titles), pq.Array(n.statuses),
		pq.Array(n.phrases), pq.Array(n.qualifiers), pq.Array(n.notes), pq.Array(n.owners), nullID(by), SourceImport, note)
	return database.MapError(err)
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
