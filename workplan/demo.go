package workplan

import (
	"context"
	_ "embed"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"
)

// Report2024 is the cluster's 2024 annual report in its own plain-text
// export: the work plan of chapters 3–7 with the year-end statuses.
//
//go:embed seed/report_2024.txt
var Report2024 []byte

// StrategyText is the page of another cluster's strategic plan that lists
// its growth engines.
//
//go:embed seed/strategy.txt
var StrategyText []byte

// StrategyName names the strategic plan of StrategyText.
const StrategyName = "התוכנית האסטרטגית – הנגב המערבי"

// SeedDemo loads the demo work plan: the 2024 plan from the annual report,
// the growth engines of the strategic plan, the report's shelf-tender task
// bound to the number of active tenders (target 8, the report's "8–9"), and
// the tourism strategy goal referring to the tourism engine. Running it
// again changes nothing.
func SeedDemo(ctx context.Context, db *sqlx.DB) error {
	s := NewStore(db)
	doc, err := ParseText(Report2024)
	if err != nil {
		return fmt.Errorf("work plan report: %w", inEnglish(err))
	}
	if _, err := s.Import(ctx, 2024, doc, "report-2024.txt", 0); err != nil {
		return fmt.Errorf("work plan import: %w", inEnglish(err))
	}
	engines, err := ParseStrategy(StrategyText)
	if err != nil {
		return err
	}
	if err := s.ImportEngines(ctx, StrategyName, engines); err != nil {
		return err
	}

	taskID, err := s.taskIDByTitle(ctx, 2024, "פרסום מכרזי מדף לרשויות")
	if err != nil {
		return err
	}
	fig := FigureActiveTenders
	pf := &fig
	target := decimal.NewFromInt(8)
	pt := &target
	if _, err := s.UpdateTask(ctx, 2024, taskID, TaskChange{Figure: &pf, FigureTarget: &pt}); err != nil {
		return err
	}
	goalID, err := s.goalIDByNumber(ctx, 2024, "3.4")
	if err != nil {
		return err
	}
	engineID, err := s.engineIDByName(ctx, StrategyName, "תיירות")
	if err != nil {
		return err
	}
	_, err = s.SetGoalEngine(ctx, 2024, goalID, &engineID)
	return err
}
