package catalog_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"madaf/catalog"
	"madaf/internal/calendar"
	"madaf/internal/dbtest"
	"madaf/internal/paging"
)

// Vocabulary of the generated item names: noun, adjective, material and a
// model number, e.g. "שולחן מתכוונן מנירוסטה דגם 418".
var (
	benchNouns = []string{"כיסא", "שולחן", "מחשב", "מסך", "מדפסת", "ארון", "מנורה", "נדנדה", "מגלשה", "ספסל",
		"דלת", "חלון", "מזגן", "מקרר", "תנור", "מיטה", "מזרן", "לוח", "מתג", "כבל",
		"שרת", "נתב", "מצלמה", "רמקול", "מקרן", "עגלה", "סולם", "מחסן", "צינור", "ברז"}
	benchAdjectives = []string{"משרדי", "ארגונומי", "מתכוונן", "נייד", "תעשייתי", "חסכוני", "מוגן", "מקצועי", "כפול", "מתקפל",
		"אלחוטי", "דיגיטלי", "מבודד", "עמיד", "קל", "כבד", "שקוף", "חכם", "מודולרי", "נגיש"}
	benchMaterials = []string{"מעץ", "ממתכת", "מפלסטיק", "מנירוסטה", "מאלומיניום", "מזכוכית", "מבד", "מעור", "מגומי", "מבטון",
		"מסיליקון", "מפורמייקה"}
)

func sqlArray(words []string) string {
	return "ARRAY['" + strings.Join(words, "','") + "']"
}

// generateCatalog fills db with tenders × items priced by 3 suppliers each
// (one price per item and supplier, some of them changed a month ago),
// open to 8 authorities (each tender to 6 or 7 of them); it returns an
// authority's id.
func generateCatalog(b *testing.B, db *sqlx.DB, tenders, items int) int64 {
	b.Helper()
	today := calendar.Today()
	stmts := []string{
		`INSERT INTO authorities (code, name_he, kind)
			SELECT 100 + g, 'רשות ' || g, 'local_council' FROM generate_series(1, 8) g`,
		`INSERT INTO suppliers (company_number, legal_name, email)
			SELECT (600000000 + g)::text, 'ספק ' || g, 's' || g || '@example.com' FROM generate_series(1, 30) g`,
		`INSERT INTO tenders (number, title, category, valid_from, valid_until, status, fee_percent, award_rule, confirmation_days)
			SELECT lpad(g::text, 2, '0') || '/2025', 'מכרז ' || g, 'קטגוריה ' || (g % 10), $1::date - 300, $1::date + 300,
				'active', 2, 'choice', 3
			FROM generate_series(1, $2::int) g`,
		`INSERT INTO tender_authorities (tender_id, authority_id)
			SELECT t.id, a.id FROM tenders t CROSS JOIN authorities a WHERE (t.id + a.id) % 5 <> 0`,
		`INSERT INTO tender_items (tender_id, sku, name, unit)
			SELECT t.id, 'SKU-' || g,
				(` + sqlArray(benchNouns) + `)[1 + (g * 7 + t.id) % 30] || ' ' ||
				(` + sqlArray(benchAdjectives) + `)[1 + (g * 13 + t.id * 3) % 20] || ' ' ||
				(` + sqlArray(benchMaterials) + `)[1 + (g * 17 + t.id * 5) % 12] || ' דגם ' || (100 + (g * 31 + t.id) % 900),
				'יחידה'
			FROM tenders t CROSS JOIN generate_series(1, $3::int) g WHERE t.valid_from < $1::date AND $2::int > 0`,
		`INSERT INTO awards (tender_id, supplier_id)
			SELECT t.id, 1 + (t.id + k * 10) % 30 FROM tenders t CROSS JOIN generate_series(0, 2) k`,
		`ALTER TABLE award_prices DISABLE TRIGGER award_prices_check`,
		`INSERT INTO award_prices (award_id, item_id, price, valid_from, reason)
			SELECT a.id, i.id, round((50 + (i.id * 37 + a.id * 11) % 5000)::numeric * 1.07, 2), $1::date - 300, 'initial'
			FROM awards a JOIN tender_items i ON i.tender_id = a.tender_id`,
		`INSERT INTO award_prices (award_id, item_id, price, valid_from, reason)
			SELECT award_id, item_id, price + 1, $1::date - 30, 'price_update' FROM award_prices WHERE (item_id + award_id) % 10 = 0`,
		`ALTER TABLE award_prices ENABLE TRIGGER award_prices_check`,
	}
	for _, q := range stmts {
		// Each statement numbers the parameters it uses from $1: today,
		// the number of tenders, the number of items per tender.
		var args []any
		switch {
		case strings.Contains(q, "$3"):
			args = []any{today, tenders, items}
		case strings.Contains(q, "$2"):
			args = []any{today, tenders}
		case strings.Contains(q, "$1"):
			args = []any{today}
		}
		if _, err := db.Exec(q, args...); err != nil {
			b.Fatalf("generate: %v\n%s", err, q)
		}
	}
	// Measure the steady state, not the flush of the bulk load.
	for _, q := range []string{`VACUUM ANALYZE`, `CHECKPOINT`} {
		if _, err := db.Exec(q); err != nil {
			b.Fatal(err)
		}
	}
	var authority int64
	if err := db.Get(&authority, `SELECT min(id) FROM authorities`); err != nil {
		b.Fatal(err)
	}
	return authority
}

// benchQueries are n three-letter pieces of the vocabulary's words.
func benchQueries(n int) []string {
	rng := rand.New(rand.NewPCG(1, 2))
	words := slices.Concat(benchNouns, benchAdjectives, benchMaterials)
	var qs []string
	for len(qs) < n {
		w := []rune(words[rng.IntN(len(words))])
		if len(w) < 3 {
			continue
		}
		i := rng.IntN(len(w) - 2)
		qs = append(qs, string(w[i:i+3]))
	}
	return qs
}

// BenchmarkSearch measures catalog search at the store level over 50
// tenders × 4,000 items × 3 suppliers (600,000 prices) for an officer, with
// three-letter Hebrew queries, and reports the p50, p95 and p99 latencies:
//
//	go test -run '^$' -bench BenchmarkSearch -benchtime 2000x ./catalog/
func BenchmarkSearch(b *testing.B) {
	db := dbtest.New(b)
	start := time.Now()
	authority := generateCatalog(b, db, 50, 4000)
	var counts struct {
		Items  int `db:"items"`
		Prices int `db:"prices"`
	}
	db.Get(&counts, `SELECT (SELECT count(*) FROM tender_items) AS items, (SELECT count(*) FROM award_prices) AS prices`)
	generated := fmt.Sprintf("%d items, %d price rows, generated in %s", counts.Items, counts.Prices, time.Since(start).Round(time.Second))

	s := catalog.NewStore(db)
	officer := officerOf(authority)
	today := calendar.Today()
	queries := benchQueries(500)
	for _, q := range queries[:50] { // warm the cache
		if _, err := s.Search(ctx, officer, catalog.SearchQuery{Q: q, Page: paging.Page{Limit: 50}}, today); err != nil {
			b.Fatal(err)
		}
	}

	b.Run("officer-3-letters", func(b *testing.B) {
		lat := make([]time.Duration, 0, b.N)
		hits := 0
		loadBefore := loadAverage()
		for i := 0; b.Loop(); i++ {
			t0 := time.Now()
			res, err := s.Search(ctx, officer, catalog.SearchQuery{Q: queries[i%len(queries)], Page: paging.Page{Limit: 50}}, today)
			lat = append(lat, time.Since(t0))
			if err != nil {
				b.Fatal(err)
			}
			hits += len(res.Hits)
		}
		slices.Sort(lat)
		pct := func(p float64) float64 {
			return float64(lat[min(len(lat)-1, int(float64(len(lat))*p))].Microseconds()) / 1000
		}
		b.ReportMetric(pct(0.50), "p50_ms")
		b.ReportMetric(pct(0.95), "p95_ms")
		b.ReportMetric(pct(0.99), "p99_ms")
		b.Logf("%s; %d searches, %.1f hits each: p50 %.2f ms, p95 %.2f ms, p99 %.2f ms, max %.2f ms; load average %s before, %s after",
			generated, len(lat), float64(hits)/float64(len(lat)), pct(0.50), pct(0.95), pct(0.99),
			float64(lat[len(lat)-1].Microseconds())/1000, loadBefore, loadAverage())
	})
}

// loadAverage is the machine's 1-minute load average, for reading the
// latencies (the figures are wall-clock times on a shared machine).
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Fields(string(b))[0]
}
