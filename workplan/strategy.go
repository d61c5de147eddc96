package workplan

import (
	"regexp"
	"sort"
	"strconv"
	"strings"

	"madaf/internal/apperr"
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
			return nil, apperr.New(apperr.KindInvalid, "workplan.engine_twice", e.Number)
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
		return nil, apperr.Invalid("workplan.no_engine_found")
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
