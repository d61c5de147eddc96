package volumes_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/pressly/goose/v3"

	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/database"
	"madaf/internal/dbtest"
	"madaf/migrations"
	"madaf/volumes"
)

// The benchmark's cluster: 1,000,000 orders with 5,000,000 lines over 8
// authorities, 50 tenders and 150 suppliers, from January 2023 to today.
const (
	benchDatabase    = "madaf_bench_volumes"
	benchOrders      = 1_000_000
	benchLines       = 5
	benchAuthorities = 8
	benchTenders     = 50
	benchSuppliers   = 150
)

// benchDB returns the benchmark's own database on the test server
// (BENCH_DATABASE_URL when set), generating its data once: later runs
// reuse it.
func benchDB(b *testing.B) *sqlx.DB {
	b.Helper()
	url := os.Getenv("BENCH_DATABASE_URL")
	if url == "" {
		server := dbtest.ServerURL(b)
		if err := database.EnsureDatabase(ctx, server, benchDatabase); err != nil {
			b.Fatal(err)
		}
		url = database.WithDatabase(server, benchDatabase)
	}
	// MADAF_BENCH_STATEMENT_CACHE=-1 runs without the statement cache.
	cache, _ := strconv.Atoi(os.Getenv("MADAF_BENCH_STATEMENT_CACHE"))
	db, err := database.Open(ctx, url, database.Options{StatementCache: cache})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	// The database outlives schema changes: newer migrations of a lower
	// version than its last are applied too.
	migrator, err := goose.NewProvider(goose.DialectPostgres, db.DB, migrations.FS, goose.WithAllowOutofOrder(true))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := migrator.Up(ctx); err != nil {
		b.Fatal(err)
	}
	var orders int
	if err := db.Get(&orders, `SELECT count(*) FROM orders`); err != nil {
		b.Fatal(err)
	}
	var rollups int
	db.Get(&rollups, `SELECT count(*) FROM volume_rollups`)
	if orders == benchOrders && rollups > 0 {
		return db
	}
	if orders != 0 {
		b.Fatalf("%s holds %d orders from an unfinished run: drop it and run again", benchDatabase, orders)
	}
	start := time.Now()
	if err := generate(ctx, db, benchOrders, b.Logf); err != nil {
		b.Fatal(err)
	}
	b.Logf("generated in %s", time.Since(start).Round(time.Second))
	return db
}

// generate fills an empty database with set-based SQL: the orders as the
// orders service would have left them, and the volume tables as the
// transitions would have kept them (checked by Verify at the end).
func generate(ctx context.Context, db *sqlx.DB, orders int, logf func(string, ...any)) error {
	steps := []struct{ what, sql string }{
		{"tuning", `SET synchronous_commit = off`},
		{"authorities", fmt.Sprintf(`INSERT INTO authorities (code, name_he, kind)
			SELECT (9000 + a)::text, 'רשות ' || a, 'local_council' FROM generate_series(1, %d) a`, benchAuthorities)},
		{"suppliers", fmt.Sprintf(`INSERT INTO suppliers (company_number, legal_name, email)
			SELECT lpad((510000000 + s)::text, 9, '0'), 'ספק ' || s || ' בע"מ', 's' || s || '@bench.example' FROM generate_series(1, %d) s`, benchSuppliers)},
		// Certificates: every fifteenth supplier's insurance ends within a month.
		{"certificates", `INSERT INTO supplier_certificates (supplier_id, kind, number, valid_until)
			SELECT s.id, k.kind, 'C-' || s.id,
				CASE WHEN k.kind = 'insurance' AND s.id % 15 = 0 THEN current_date + (s.id % 30)::int ELSE date '2030-12-31' END
			FROM suppliers s CROSS JOIN (VALUES ('books'), ('withholding_tax'), ('insurance')) AS k(kind)`},
		{"users", `INSERT INTO users (email, name, password_hash, org_kind, roles)
			VALUES ('lead@bench.example', 'Lead', '!', 'cluster', ARRAY['economic_lead'])`},
		{"budget lines", `INSERT INTO budget_lines (authority_id, fiscal_year, code, name, amount)
			SELECT a.id, y, 'B-' || y, 'רכש', 1000000000 FROM authorities a CROSS JOIN generate_series(2023, 2026) y`},
		// Tenders: eight categories; every other one has a ceiling; a few end
		// within 60 days; three suspended, two closed.
		{"tenders", fmt.Sprintf(`INSERT INTO tenders (number, title, category, valid_from, valid_until, status, ceiling, fee_percent, award_rule, confirmation_days)
			SELECT lpad(t::text, 2, '0') || '/2023', 'מכרז מדף ' || t, 'קטגוריה ' || (t %% 8),
				date '2023-01-01', CASE WHEN t %% 10 = 0 THEN current_date + t ELSE date '2027-12-31' END,
				CASE WHEN t IN (7, 17, 27) THEN 'suspended' WHEN t IN (48, 49) THEN 'closed' ELSE 'active' END,
				CASE WHEN t %% 2 = 0 THEN 130000000 + t * 1000000 END, 0.5 + (t %% 6) * 0.5, 'choice', 3
			FROM generate_series(1, %d) t`, benchTenders)},
		{"participations", `INSERT INTO tender_authorities (tender_id, authority_id, allocation)
			SELECT t.id, a.id, CASE WHEN (t.id + a.id) % 3 = 0 THEN 16000000 + a.id * 100000 END FROM tenders t CROSS JOIN authorities a`},
		{"items", `INSERT INTO tender_items (tender_id, sku, name, unit)
			SELECT t.id, 'SKU-' || i, 'פריט ' || i || ' של מכרז ' || t.id, 'יחידה' FROM tenders t CROSS JOIN generate_series(1, 20) i ORDER BY t.id, i`},
		{"awards", `INSERT INTO awards (tender_id, supplier_id)
			SELECT t.id, (t.id - 1) * 3 + k FROM tenders t CROSS JOIN generate_series(1, 3) k ORDER BY t.id, k`},
		// Orders: ids 1..N. Orders of the last three weeks are in handling
		// (or drafts), older ones delivered, closed, rejected or cancelled.
		{"orders", fmt.Sprintf(`INSERT INTO orders (id, authority_id, year, seq, number, tender_id, supplier_id, budget_line_id, status,
				subtotal, vat_rate, vat, total, fee_percent, fee, submission, submitted_on, submitted_at, sent_at, confirm_by,
				confirmed_at, promised_on, delivered_at, closed_at, created_by, created_at, updated_at)
			OVERRIDING SYSTEM VALUE
			SELECT g, x.authority_id, extract(year FROM x.day)::int, g, extract(year FROM x.day)::int || '-' || lpad(g::text, 7, '0'),
				x.tender_id, x.supplier_id, bl.id, x.status,
				m.subtotal, m.rate, round(m.subtotal * m.rate / 100, 2), m.subtotal + round(m.subtotal * m.rate / 100, 2),
				t.fee_percent, round(m.subtotal * t.fee_percent / 100, 2),
				CASE WHEN x.status = 'draft' THEN 0 ELSE 1 END,
				CASE WHEN x.status <> 'draft' THEN x.day END,
				CASE WHEN x.status <> 'draft' THEN x.day + time '09:00' END,
				CASE WHEN x.sent THEN x.day + time '09:00' + (g %% 30) * interval '1 hour' END,
				CASE WHEN x.sent THEN x.day + 5 END,
				CASE WHEN x.confirmed THEN x.day + time '09:00' + (g %% 30) * interval '1 hour' + ((g * 37) %% 5760) * interval '1 minute' END,
				CASE WHEN x.confirmed THEN x.day + 12 END,
				CASE WHEN x.status IN ('delivered', 'closed') THEN x.day + 10 + (g %% 5) + time '12:00' END,
				CASE WHEN x.status = 'closed' THEN x.day + 20 + time '12:00' END,
				1, x.day + time '08:00', x.day + time '08:00'
			FROM generate_series(1, %d) g
			CROSS JOIN LATERAL (SELECT
				1 + g %% %d AS authority_id,
				1 + (g / %d) %% %d AS tender_id,
				current_date - ((g::bigint * 7919) %% (current_date - date '2023-01-01'))::int AS day,
				(g * 31) %% 100 AS r) AS b
			CROSS JOIN LATERAL (SELECT b.authority_id, b.tender_id, (b.tender_id - 1) * 3 + 1 + (g / 400) %% 3 AS supplier_id, b.day, s.status,
				s.status NOT IN ('draft', 'pending_approval') AND NOT (s.status = 'cancelled' AND b.r %% 2 = 0) AS sent,
				s.status IN ('confirmed', 'partially_delivered', 'delivered', 'closed') AS confirmed
				FROM (SELECT CASE WHEN current_date - b.day <= 21 THEN
						CASE WHEN b.r < 5 THEN 'draft' WHEN b.r < 25 THEN 'pending_approval'
							WHEN b.r < 45 THEN CASE WHEN current_date - b.day <= 6 THEN 'sent' ELSE 'confirmed' END
							WHEN b.r < 80 THEN 'confirmed' ELSE 'partially_delivered' END
					ELSE
						CASE WHEN b.r < 8 THEN 'delivered' WHEN b.r < 88 THEN 'closed' WHEN b.r < 94 THEN 'rejected' ELSE 'cancelled' END
					END AS status) AS s) AS x
			CROSS JOIN LATERAL (SELECT sum((1 + (g * 7 + l) %% 9) * (20.50 + (g * 13 + l * 101) %% 2000)) AS subtotal,
				CASE WHEN x.day < date '2025-01-01' THEN 17.00 ELSE 18.00 END AS rate
				FROM generate_series(1, %d) l) AS m
			JOIN tenders t ON t.id = x.tender_id
			JOIN budget_lines bl ON bl.authority_id = x.authority_id AND bl.fiscal_year = extract(year FROM x.day)::int`,
			orders, benchAuthorities, benchAuthorities, benchTenders, benchLines)},
		{"order lines", fmt.Sprintf(`INSERT INTO order_lines (order_id, line_no, item_id, sku, name, unit, quantity, unit_price, line_total, delivered)
			SELECT o.id, l, (o.tender_id - 1) * 20 + 1 + (o.id + l * 3) %% 20, 'SKU-' || (1 + (o.id + l * 3) %% 20), 'פריט', 'יחידה',
				1 + (o.id * 7 + l) %% 9, 20.50 + (o.id * 13 + l * 101) %% 2000,
				(1 + (o.id * 7 + l) %% 9) * (20.50 + (o.id * 13 + l * 101) %% 2000),
				CASE WHEN o.status IN ('delivered', 'closed') THEN 1 + (o.id * 7 + l) %% 9 ELSE 0 END
			FROM orders o CROSS JOIN generate_series(1, %d) l`, benchLines)},
		// The volume tables, as the transitions keep them.
		{"volume orders", `INSERT INTO volume_orders (order_id, status, tender_id, authority_id, supplier_id, category, month,
				subtotal, vat, total, fee, sent_at, confirm_by, updated_at)
			SELECT o.id, o.status, o.tender_id, o.authority_id, o.supplier_id, t.category, date_trunc('month', o.submitted_on)::date,
				o.subtotal, o.vat, o.total, o.fee, o.sent_at, o.confirm_by, o.updated_at
			FROM orders o JOIN tenders t ON t.id = o.tender_id`},
		{"rollups", `INSERT INTO volume_rollups (tender_id, authority_id, supplier_id, category, month, order_count, subtotal, vat, total, fee,
				confirmed, confirmed_in_window, rejected, delivered, delivered_by_promised)
			SELECT o.tender_id, o.authority_id, o.supplier_id, t.category, date_trunc('month', o.submitted_on)::date,
				count(*) FILTER (WHERE order_status_committed(o.status)),
				coalesce(sum(o.subtotal) FILTER (WHERE order_status_committed(o.status)), 0),
				coalesce(sum(o.vat) FILTER (WHERE order_status_committed(o.status)), 0),
				coalesce(sum(o.total) FILTER (WHERE order_status_committed(o.status)), 0),
				coalesce(sum(o.fee) FILTER (WHERE order_status_committed(o.status)), 0),
				count(*) FILTER (WHERE o.confirmed_at IS NOT NULL),
				count(*) FILTER (WHERE (o.confirmed_at AT TIME ZONE 'Asia/Jerusalem')::date <= o.confirm_by),
				count(*) FILTER (WHERE o.status = 'rejected'),
				count(*) FILTER (WHERE o.delivered_at IS NOT NULL),
				count(*) FILTER (WHERE (o.delivered_at AT TIME ZONE 'Asia/Jerusalem')::date <= o.promised_on)
			FROM orders o JOIN tenders t ON t.id = o.tender_id
			WHERE o.status <> 'draft'
			GROUP BY 1, 2, 3, 4, 5`},
		{"status counts", `INSERT INTO volume_status_counts (tender_id, authority_id, supplier_id, status, order_count)
			SELECT tender_id, authority_id, supplier_id, status, count(*) FROM orders GROUP BY 1, 2, 3, 4`},
		{"confirmations", `INSERT INTO volume_confirmations (order_id, tender_id, authority_id, supplier_id, month, seconds)
			SELECT id, tender_id, authority_id, supplier_id, date_trunc('month', submitted_on)::date,
				floor(extract(epoch FROM confirmed_at - sent_at))::bigint
			FROM orders WHERE confirmed_at IS NOT NULL`},
		{"confirmation hours", `INSERT INTO volume_confirmation_hours (supplier_id, hour, order_count)
			SELECT supplier_id, hour, count(*) FROM volume_confirmations GROUP BY 1, 2`},
		{"totals", `INSERT INTO volume_totals (tender_id, authority_id, order_count, subtotal, vat, total, fee)
			SELECT tender_id, authority_id, sum(order_count), sum(subtotal), sum(vat), sum(total), sum(fee)
			FROM volume_rollups GROUP BY 1, 2`},
		{"confirmation years", `INSERT INTO volume_confirmation_year_hours (year, supplier_id, hour, order_count)
			SELECT year, supplier_id, hour, count(*) FROM volume_confirmations GROUP BY 1, 2, 3`},
		{"vacuum", `VACUUM ANALYZE`},
	}
	conn, err := db.Connx(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	for _, s := range steps {
		start := time.Now()
		res, err := conn.ExecContext(ctx, s.sql)
		if err != nil {
			return fmt.Errorf("%s: %w", s.what, err)
		}
		n, _ := res.RowsAffected()
		logf("%-20s %9d rows in %s", s.what, n, time.Since(start).Round(time.Millisecond))
		fmt.Printf("generate: %-20s %9d rows in %s\n", s.what, n, time.Since(start).Round(time.Millisecond))
	}
	start := time.Now()
	var report strings.Builder
	n, err := volumes.Verify(ctx, db, &report)
	if err != nil {
		return err
	}
	if n != 0 {
		return fmt.Errorf("the generated volumes differ from the orders:\n%s", report.String())
	}
	logf("verify: 0 differences in %s", time.Since(start).Round(time.Millisecond))
	return nil
}

// BenchmarkDashboard times the queries behind the economic lead's
// dashboard, and the scoped views of an authority and a supplier, over
// the benchmark's cluster. Each iteration runs every query once; it
// reports the p50 and p95 of all of them and logs each query's.
//
//	go test -run '^$' -bench BenchmarkDashboard -benchtime 50x ./volumes/
func BenchmarkDashboard(b *testing.B) {
	db := benchDB(b)
	s := volumes.NewStore(db)
	lead := &auth.Principal{OrgKind: auth.OrgCluster, Roles: []string{auth.RoleEconomicLead}, Lang: "he"}
	officer := &auth.Principal{OrgKind: auth.OrgAuthority, AuthorityID: 1, Roles: []string{auth.RoleOfficer}, Lang: "he"}
	supplier := &auth.Principal{OrgKind: auth.OrgSupplier, SupplierID: 1, Roles: []string{auth.RoleSupplier}, Lang: "he"}
	today := calendar.Today()
	year := volumes.YearFilter(today.Year())
	queries := []struct {
		name string
		run  func() error
	}{
		// What /dashboard runs.
		{"headline, this year", func() error { _, err := s.Headline(ctx, lead, today.Year(), today); return err }},
		{"alerts", func() error { _, err := s.Alerts(ctx, lead, today); return err }},
		{"volumes by tender, this year", func() error { _, err := s.Volumes(ctx, lead, volumes.GroupTender, year); return err }},
		{"volumes by authority, this year", func() error { _, err := s.Volumes(ctx, lead, volumes.GroupAuthority, year); return err }},
		{"volumes by month, this year", func() error { _, err := s.Volumes(ctx, lead, volumes.GroupMonth, year); return err }},
		{"performance, this year", func() error { _, err := s.Performance(ctx, lead, year, today); return err }},
		// The rest of the API's figures.
		{"volumes by supplier, this year", func() error { _, err := s.Volumes(ctx, lead, volumes.GroupSupplier, year); return err }},
		{"volumes by category, this year", func() error { _, err := s.Volumes(ctx, lead, volumes.GroupCategory, year); return err }},
		{"volumes by tender, all time", func() error { _, err := s.Volumes(ctx, lead, volumes.GroupTender, volumes.Filter{}); return err }},
		{"volumes by month, all time", func() error { _, err := s.Volumes(ctx, lead, volumes.GroupMonth, volumes.Filter{}); return err }},
		{"fees, this year", func() error { _, err := s.Fees(ctx, lead, year); return err }},
		{"performance, all time", func() error { _, err := s.Performance(ctx, lead, volumes.Filter{}, today); return err }},
		// An authority's and a supplier's own figures.
		{"authority: headline", func() error { _, err := s.Headline(ctx, officer, today.Year(), today); return err }},
		{"authority: volumes by tender", func() error { _, err := s.Volumes(ctx, officer, volumes.GroupTender, year); return err }},
		{"supplier: headline", func() error { _, err := s.Headline(ctx, supplier, today.Year(), today); return err }},
		{"supplier: volumes by authority", func() error { _, err := s.Volumes(ctx, supplier, volumes.GroupAuthority, year); return err }},
		{"supplier: performance, this year", func() error { _, err := s.Performance(ctx, supplier, year, today); return err }},
	}
	// Warm the caches once.
	for _, q := range queries {
		if err := q.run(); err != nil {
			b.Fatalf("%s: %v", q.name, err)
		}
	}
	per := make([][]time.Duration, len(queries))
	var all []time.Duration
	b.ResetTimer()
	for range b.N {
		for i, q := range queries {
			start := time.Now()
			if err := q.run(); err != nil {
				b.Fatalf("%s: %v", q.name, err)
			}
			d := time.Since(start)
			per[i], all = append(per[i], d), append(all, d)
		}
	}
	b.StopTimer()
	var report strings.Builder
	load, _ := os.ReadFile("/proc/loadavg")
	fmt.Fprintf(&report, "%d iterations over %d orders with %d lines; load average %s\n", b.N, benchOrders, benchOrders*benchLines,
		strings.Join(strings.Fields(string(load))[:min(3, len(strings.Fields(string(load))))], " "))
	for i, q := range queries {
		fmt.Fprintf(&report, "  %-34s p50 %6.1f ms  p95 %6.1f ms\n", q.name, ms(percentile(per[i], 50)), ms(percentile(per[i], 95)))
	}
	fmt.Fprintf(&report, "  %-34s p50 %6.1f ms  p95 %6.1f ms", "all dashboard queries", ms(percentile(all, 50)), ms(percentile(all, 95)))
	// Printed rather than logged: the testing package cuts a benchmark's
	// log to a few lines.
	fmt.Println(report.String())
	b.ReportMetric(ms(percentile(all, 50)), "p50-ms")
	b.ReportMetric(ms(percentile(all, 95)), "p95-ms")
}

func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	return s[max(0, min(len(s)-1, i-1))]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
