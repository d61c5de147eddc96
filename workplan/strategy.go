package workplan

import (
	"context"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"madaf/internal/apperr"
	"madaf/internal/database"
)

var (
	engineHead    = regexp.MustCompile(`^(\d+)\.\s+([^(:]+?)\s*\(([^)]*)\)\s*:\s*(.*)$`)
	engineCaption = regexp.MustCompile(`^מנוע שגשוג\s+(\S.*)$`)
	enginePages   = regexp.MustCompile(`עמ'\s*(\d+)\s*[-–]\s*(\d+)`)
	bullet        = regexp.MustCompile(`^[•·\-*]\s*(\S.*)$`)
)

// ParseStrategy reads the growth engines (מנועי שגשוג) of a strategic
// plan's text, as the page of the second seed document writes them: a
// numbered paragraph "N. name (… עמ' X-Y): "vision…"" per engine, followed
// by bullets of example activities, and captions "מנוע שגשוג name". An
// engine that appears only as a caption (the media industry in that page)
// is listed too, numbered after the engine it follows.
func ParseStrategy(data []byte) ([]Engine, error) {
	text := strings.ReplaceAll(strings.TrimPrefix(string(data), "\ufeff"), "\r\n", "\n")
	var engines []*Engine
	var cur *Engine
	type caption struct {
		name  string
		after int
	}
	var captions []caption
	last := 0
	for _, raw := range strings.Split(text, "\n") {
		line := strings.TrimSpace(raw)
		if line == "" {
			continue
		}
		if m := engineHead.FindStringSubmatch(line); m != nil {
			n, _ := strconv.Atoi(m[1])
			e := &Engine{Number: n, Name: strings.TrimSpace(m[2]), Vision: cleanVision(m[4]), Activities: []string{}}
			if p := enginePages.FindStringSubmatch(m[3]); p != nil {
				a, _ := strconv.Atoi(p[1])
				b, _ := strconv.Atoi(p[2])
				if a > b {
					a, b = b, a
				}
				e.Pages = strconv.Itoa(a) + "–" + strconv.Itoa(b)
			}
			engines = append(engines, e)
			cur, last = e, n
			continue
		}
		if m := engineCaption.FindStringSubmatch(line); m != nil {
			captions = append(captions, caption{m[1], last})
			cur = nil
			continue
		}
		if m := bullet.FindStringSubmatch(line); m != nil && cur != nil {
			cur.Activities = append(cur.Activities, m[1])
		}
	}
	taken := map[int]bool{}
	for _, e := range engines {
		if taken[e.Number] {
			return nil, apperr.Invalid("engine " + strconv.Itoa(e.Number) + " appears twice")
		}
		taken[e.Number] = true
	}
	for _, c := range captions {
		known := false
		for _, e := range engines {
			if strings.HasPrefix(e.Name, c.name) || strings.HasPrefix(c.name, e.Name) {
				known = true
				break
			}
		}
		if known {
			continue
		}
		n := c.after + 1
		for taken[n] {
			n++
		}
		taken[n] = true
		engines = append(engines, &Engine{Number: n, Name: c.name, Activities: []string{}})
	}
	if len(engines) == 0 {
		return nil, apperr.Invalid("no growth engine found (a numbered paragraph \"1. name (…): …\")")
	}
	sort.Slice(engines, func(i, j int) bool { return engines[i].Number < engines[j].Number })
	out := make([]Engine, len(engines))
	for i, e := range engines {
		out[i] = *e
	}
	return out, nil
}

// cleanVision drops the quotes, ellipses and the closing attribution
// around an engine's vision.
func cleanVision(s string) string {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "(מתוך התוכנית האסטרטגית)"))
	s = strings.Trim(s, `"“”״ `)
	s = strings.TrimSpace(strings.Trim(s, ".…"))
	return s
}

// ImportEngines stores engines as the growth engines of strategy: an
// engine is matched by its number, its fields and activities replaced.
// Importing the same engines again changes nothing.
func (s *Store) ImportEngines(ctx context.Context, strategy string, engines []Engine) error {
	if strings.TrimSpace(strategy) == "" {
		return apperr.Invalid("the strategic plan needs a name", apperr.Field("strategy", "is required"))
	}
	return database.WithTx(ctx, s.db, func(tx *sqlx.Tx) error {
		for _, e := range engines {
			const up = `
				INSERT INTO strategic_engines (strategy, number, name, vision, pages) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (strategy, number) DO UPDATE SET name = EXCLUDED.name, vision = EXCLUDED.vision, pages = EXCLUDED.pages
				WHERE (strategic_engines.name, strategic_engines.vision, strategic_engines.pages)
				      IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.vision, EXCLUDED.pages)`
			if _, err := tx.ExecContext(ctx, up, strategy, e.Number, e.Name, e.Vision, e.Pages); err != nil {
				return database.MapError(err)
			}
			var id int64
			if err := tx.GetContext(ctx, &id, `SELECT id FROM strategic_engines WHERE strategy = $1 AND number = $2`, strategy, e.Number); err != nil {
				return err
			}
			var current []string
			if err := tx.SelectContext(ctx, &current, `SELECT text FROM strategic_engine_activities WHERE engine_id = $1 ORDER BY position`, id); err != nil {
				return err
			}
			if strings.Join(current, "\x00") == strings.Join(e.Activities, "\x00") {
				continue
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM strategic_engine_activities WHERE engine_id = $1`, id); err != nil {
				return err
			}
			const ins = `
				INSERT INTO strategic_engine_activities (engine_id, position, text)
				SELECT $1, a.n, a.text FROM unnest($2::text[]) WITH ORDINALITY AS a(text, n)`
			if _, err := tx.ExecContext(ctx, ins, id, pq.Array(e.Activities)); err != nil {
				return database.MapError(err)
			}
		}
		return nil
	})
}

// Engines lists every growth engine with its activities, by strategy and
// number.
func (s *Store) Engines(ctx context.Context) ([]*Engine, error) {
	engines := []*Engine{}
	const q = `SELECT id, strategy, number, name, vision, pages FROM strategic_engines ORDER BY strategy, number`
	if err := sqlx.SelectContext(ctx, s.db, &engines, q); err != nil {
		return nil, err
	}
	var acts []struct {
		EngineID int64  `db:"engine_id"`
		Text     string `db:"text"`
	}
	const qa = `SELECT engine_id, text FROM strategic_engine_activities ORDER BY engine_id, position`
	if err := sqlx.SelectContext(ctx, s.db, &acts, qa); err != nil {
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
// year's plan that refer to it.
func (s *Store) Engine(ctx context.Context, id int64) (*Engine, error) {
	var e Engine
	const q = `SELECT id, strategy, number, name, vision, pages FROM strategic_engines WHERE id = $1`
	if err := sqlx.GetContext(ctx, s.db, &e, q, id); err != nil {
		if err = database.MapError(err); apperr.Is(err, apperr.KindNotFound) {
			return nil, apperr.NotFound("not_found.engine")
		}
		return nil, err
	}
	e.Activities = []string{}
	if err := sqlx.SelectContext(ctx, s.db, &e.Activities,
		`SELECT text FROM strategic_engine_activities WHERE engine_id = $1 ORDER BY position`, id); err != nil {
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
	if err := sqlx.SelectContext(ctx, s.db, &e.Goals, qg, id); err != nil {
		return nil, err
	}
	return &e, nil
}
