package app

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/database"
	"madaf/internal/dbtest"
	"madaf/migrations"
)

// The order path benchmark and its round-trip count.
//
//	go test -run '^$' -bench BenchmarkOrderFlow -benchtime 1x -timeout 60m ./app/
//
// drives create + submit pairs through the real HTTP stack (a loopback
// server over the whole service) with 4, 16 and 32 clients, on a database of
// about 1,000 orders and, with MADAF_BENCH_BIG=1, on one of about a million
// (generated with set-based SQL into MADAF_BENCH_DB, kept between runs, or
// into a throw-away database when that is unset). Each run lasts
// MADAF_BENCH_SECONDS (10 by default), after a VACUUM ANALYZE (settle).
// It prints pairs per second, the
// latency percentiles of a pair and of each step, the statements and round
// trips per pair (counted on the wire by a dialer wrapped around lib/pq's),
// the RSS, the load average, and, when pgbench is installed, a TPC-B run
// (-c 16 -j 2, scale 10, the same duration) and the ratio.

// wire counts what the service sends PostgreSQL: round trips (each time the
// client writes after it has read) and statements (each simple query and
// each execution of an extended-protocol one), and, while tracing, the text
// of each statement.
type wire struct {
	roundTrips, statements atomic.Int64
	tracing                atomic.Bool
	mu                     sync.Mutex
	trace                  []string
	took                   []time.Duration // of each traced statement: from its write to its answer's first bytes
}

// counts returns the round trips and statements so far.
func (w *wire) counts() (roundTrips, statements int64) {
	return w.roundTrips.Load(), w.statements.Load()
}

// traced runs fn and returns the statements it sent.
func (w *wire) traced(fn func()) []string {
	trace, _ := w.timed(fn)
	return trace
}

// timed runs fn and returns the statements it sent and how long each
// waited for its answer (a round trip's time goes to its last statement).
func (w *wire) timed(fn func()) ([]string, []time.Duration) {
	w.mu.Lock()
	w.trace, w.took = nil, nil
	w.mu.Unlock()
	w.tracing.Store(true)
	fn()
	w.tracing.Store(false)
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.trace), slices.Clone(w.took)
}

// saw reports whether a statement traced so far contains s.
func (w *wire) saw(s string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.ContainsFunc(w.trace, func(q string) bool { return strings.Contains(q, s) })
}

var spaces = regexp.MustCompile(`\s+`)

// sent reads the messages of one write of connection c; turn is true when
// the connection read since its last write. A statement is a simple query
// or an execution (a bind) of a parsed one, named (kept prepared) or not.
// It returns the index in the trace of the last statement it traced, or -1.
func (w *wire) sent(c *countingConn, b []byte, turn bool) int {
	counted, last := false, -1
	for len(b) >= 5 {
		typ, n := b[0], int(binary.BigEndian.Uint32(b[1:5]))
		if n < 4 || 1+n > len(b) {
			break
		}
		body := b[5 : 1+n]
		b = b[1+n:]
		var query string
		switch typ {
		case 'X': // terminate: no answer awaited
			continue
		case 'Q':
			query, _, _ = strings.Cut(string(body), "\x00")
		case 'P':
			name, rest, _ := strings.Cut(string(body), "\x00")
			q, _, _ := strings.Cut(rest, "\x00")
			c.parsed[name] = q
		case 'B':
			_, rest, _ := strings.Cut(string(body), "\x00") // the portal
			name, _, _ := strings.Cut(rest, "\x00")
			query = c.parsed[name]
		}
		if turn && !counted {
			w.roundTrips.Add(1)
			counted = true
		}
		if typ == 'Q' || typ == 'B' {
			w.statements.Add(1)
			if w.tracing.Load() {
				w.mu.Lock()
				w.trace = append(w.trace, strings.TrimSpace(spaces.ReplaceAllString(query, " ")))
				w.took = append(w.took, 0)
				last = len(w.trace) - 1
				w.mu.Unlock()
			}
		}
	}
	return last
}

// countingConnector is lib/pq's connector whose connections count on w once
// they are established.
type countingConnector struct {
	pq *pq.Connector
	w  *wire
}

type dialedKey struct{}

func newCountingConnector(dsn string, w *wire) (*countingConnector, error) {
	c, err := pq.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	c.Dialer(countingDialer{w})
	return &countingConnector{pq: c, w: w}, nil
}

func (c *countingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	var dialed *countingConn
	conn, err := c.pq.Connect(context.WithValue(ctx, dialedKey{}, &dialed))
	if err == nil && dialed != nil {
		dialed.counting.Store(true)
	}
	return conn, err
}

func (c *countingConnector) Driver() driver.Driver { return c.pq.Driver() }

type countingDialer struct{ w *wire }

func (d countingDialer) Dial(network, address string) (net.Conn, error) {
	return d.DialContext(context.Background(), network, address)
}

func (d countingDialer) DialTimeout(network, address string, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return d.DialContext(ctx, network, address)
}

func (d countingDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	var nd net.Dialer
	conn, err := nd.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	dialed, _ := ctx.Value(dialedKey{}).(**countingConn)
	if dialed == nil { // a cancel request's own connection
		return conn, nil
	}
	cc := &countingConn{Conn: conn, w: d.w, awaiting: -1, parsed: map[string]string{}}
	*dialed = cc
	return cc, nil
}

// countingConn reports its writes to w once counting is on.
type countingConn struct {
	net.Conn
	w        *wire
	counting atomic.Bool
	read     atomic.Bool
	// A traced statement awaiting its answer (a connection is used by one
	// goroutine at a time): its index in the trace, -1 for none.
	awaiting int
	sentAt   time.Time
	parsed   map[string]string // statements parsed on the connection, by name ("": the unnamed)
}

func (c *countingConn) Write(b []byte) (int, error) {
	if c.counting.Load() {
		if i := c.w.sent(c, b, c.read.Swap(false)); i >= 0 {
			c.awaiting, c.sentAt = i, time.Now()
		}
	}
	return c.Conn.Write(b)
}

func (c *countingConn) Read(b []byte) (int, error) {
	c.read.Store(true)
	n, err := c.Conn.Read(b)
	if c.awaiting >= 0 && n > 0 {
		took := time.Since(c.sentAt)
		c.w.mu.Lock()
		if c.awaiting < len(c.w.took) {
			c.w.took[c.awaiting] = took
		}
		c.w.mu.Unlock()
		c.awaiting = -1
	}
	return n, err
}

// openCounted opens url as the service would, over a counting connector.
func openCounted(tb testing.TB, rawURL string) (*sqlx.DB, *wire) {
	tb.Helper()
	w := &wire{}
	c, err := newCountingConnector(database.DSN(rawURL), w)
	if err != nil {
		tb.Fatal(err)
	}
	// MADAF_BENCH_STATEMENT_CACHE=-1 runs without the statement cache.
	cache, _ := strconv.Atoi(os.Getenv("MADAF_BENCH_STATEMENT_CACHE"))
	db := sqlx.NewDb(sql.OpenDB(database.Cached(c, cache)), "postgres")
	// MADAF_BENCH_MAX_CONNS sizes the pool as MADAF_DB_MAX_CONNS does (20,
	// of which at most 10 kept idle).
	conns := 20
	if v := os.Getenv("MADAF_BENCH_MAX_CONNS"); v != "" {
		if conns, err = strconv.Atoi(v); err != nil || conns < 1 {
			tb.Fatalf("MADAF_BENCH_MAX_CONNS=%q: want a positive number", v)
		}
	}
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(min(10, conns))
	tb.Cleanup(func() { db.Close() })
	return db, w
}

// flowWorld is a cluster to order in: authorities with a budget line each,
// choice tenders open to all of them with two winners each, and for every
// client an officer's token, the body of its order and where it sends it.
type flowWorld struct {
	db      *sqlx.DB
	wire    *wire
	srv     *httptest.Server
	http    *http.Client
	clients []flowClient
	orders  int
}

type flowClient struct {
	token string
	body  map[string]any
}

const (
	flowAuthorities = 8
	flowTenders     = 4
	flowItems       = 5
	flowLines       = 3
)

// seedFlow creates the world's rows unless they are there already (a kept
// database), and orders, generated set-based, up to about n in all.
func seedFlow(tb testing.TB, db *sqlx.DB, n int) {
	tb.Helper()
	ctx := context.Background()
	var have int
	if err := db.GetContext(ctx, &have, `SELECT count(*) FROM tenders WHERE number LIKE 'B%/bench'`); err != nil {
		tb.Fatal(err)
	}
	today := calendar.Today()
	if have == 0 {
		steps := []string{
			fmt.Sprintf(`INSERT INTO authorities (code, name_he, name_ar, name_en, kind)
				SELECT (80000 + a)::text, 'רשות ' || a, 'سلطة ' || a, 'Authority ' || a, 'local_council'
				FROM generate_series(1, %d) a`, flowAuthorities),
			`INSERT INTO budget_lines (authority_id, fiscal_year, code, name, amount)
				SELECT a.id, y, 'B-' || y, 'רכש', 900000000000 FROM authorities a CROSS JOIN generate_series(2023, 2030) y
				WHERE a.code::int > 80000`,
			fmt.Sprintf(`INSERT INTO suppliers (company_number, legal_name, email)
				SELECT (590000000 + s)::text, 'ספק ' || s || ' בע"מ', 's' || s || '@bench.example' FROM generate_series(1, %d) s`, flowTenders*2),
			`INSERT INTO supplier_certificates (supplier_id, kind, number, valid_until)
				SELECT s.id, k, 'C-' || s.id, date '2035-12-31' FROM suppliers s
				CROSS JOIN unnest(ARRAY['books', 'withholding_tax', 'insurance']) k WHERE s.email LIKE '%@bench.example'`,
			fmt.Sprintf(`INSERT INTO tenders (number, title, category, valid_from, valid_until, status, ceiling, fee_percent, award_rule, confirmation_days)
				SELECT 'B' || t || '/bench', 'מכרז מדף ' || t, 'קטגוריה ' || t, date '2023-01-01', date '2035-12-31', 'active',
					900000000000, 1.5, 'choice', 3
				FROM generate_series(1, %d) t`, flowTenders),
			`INSERT INTO tender_authorities (tender_id, authority_id, allocation)
				SELECT t.id, a.id, 100000000000 FROM tenders t CROSS JOIN authorities a
				WHERE t.number LIKE 'B%/bench' AND a.code::int > 80000`,
			fmt.Sprintf(`INSERT INTO tender_items (tender_id, sku, name, unit)
				SELECT t.id, 'SKU-' || i, 'פריט ' || i, 'יחידה' FROM tenders t CROSS JOIN generate_series(1, %d) i
				WHERE t.number LIKE 'B%%/bench' ORDER BY t.id, i`, flowItems),
			`INSERT INTO awards (tender_id, supplier_id)
				SELECT t.id, s.id FROM tenders t JOIN suppliers s
					ON s.company_number::int - 590000000 IN (2 * split_part(substr(t.number, 2), '/', 1)::int - 1, 2 * split_part(substr(t.number, 2), '/', 1)::int)
				WHERE t.number LIKE 'B%/bench' ORDER BY t.id, s.id`,
			`INSERT INTO award_prices (award_id, item_id, price, valid_from, reason)
				SELECT a.id, i.id, 100 + (i.id % 7) * 25 + (a.id % 2) * 5, date '2023-01-01', 'initial'
				FROM awards a JOIN tender_items i ON i.tender_id = a.tender_id JOIN tenders t ON t.id = a.tender_id
				WHERE t.number LIKE 'B%/bench'`,
			// Per authority: a treasurer and a head (whom a submission mails)
			// and 32 officers, one for each client.
			`INSERT INTO users (email, name, password_hash, org_kind, authority_id, roles)
				SELECT r || '-' || a.code || '-' || k || '@bench.example', r || ' ' || k, '!', 'authority', a.id, ARRAY[r]
				FROM authorities a CROSS JOIN unnest(ARRAY['treasurer', 'head', 'officer']) r
				CROSS JOIN generate_series(1, 32) k
				WHERE a.code::int > 80000 AND (r = 'officer' OR k = 1)`,
		}
		for _, q := range steps {
			if _, err := db.ExecContext(ctx, q); err != nil {
				tb.Fatalf("seed: %v\n%s", err, q)
			}
		}
	}
	if err := db.GetContext(ctx, &have, `SELECT count(*) FROM orders`); err != nil {
		tb.Fatal(err)
	}
	if have >= n*9/10 {
		return
	}
	start := time.Now()
	// Orders of the last three years: most closed or delivered, some
	// cancelled or rejected, a few in handling; two lines each.
	gen := []string{
		`SET LOCAL synchronous_commit = off`,
		fmt.Sprintf(`CREATE TEMP TABLE gen ON COMMIT DROP AS
			WITH a AS (SELECT row_number() OVER (ORDER BY id) - 1 AS k, id, code FROM authorities WHERE code::int > 80000),
			t AS (SELECT row_number() OVER (ORDER BY id) - 1 AS k, id FROM tenders WHERE number LIKE 'B%%/bench'),
			s AS (SELECT row_number() OVER (PARTITION BY tender_id ORDER BY id) - 1 AS k, tender_id, supplier_id FROM awards),
			x AS (SELECT g, (g * 31) %% 100 AS r, date '%s' - ((g::bigint * 7919) %% 1000)::int AS day FROM generate_series(%d, %d) g)
			SELECT x.g, a.id AS authority_id, t.id AS tender_id, s.supplier_id, b.id AS budget_line_id, x.day,
				CASE WHEN x.r < 60 THEN 'closed' WHEN x.r < 75 THEN 'delivered' WHEN x.r < 82 THEN 'confirmed'
					WHEN x.r < 86 THEN 'sent' WHEN x.r < 89 THEN 'pending_approval' WHEN x.r < 94 THEN 'cancelled'
					WHEN x.r < 97 THEN 'rejected' ELSE 'draft' END AS status,
				((1 + x.g %% 9) * (100 + (x.g * 13) %% 400))::numeric AS subtotal,
				CASE WHEN x.day < date '2025-01-01' THEN 17.00 ELSE 18.00 END AS rate,
				u.id AS created_by
			FROM x JOIN a ON a.k = x.g %% %d JOIN t ON t.k = (x.g / %d) %% %d
			JOIN s ON s.tender_id = t.id AND s.k = x.g %% 2
			JOIN budget_lines b ON b.authority_id = a.id AND b.fiscal_year = extract(year FROM x.day)::int AND b.code LIKE 'B-%%'
			JOIN users u ON u.email = 'officer-' || a.code || '-1@bench.example'`,
			today, have+1, n, flowAuthorities, flowAuthorities, flowTenders),
		`INSERT INTO orders (authority_id, year, seq, number, tender_id, supplier_id, budget_line_id, status,
				subtotal, vat_rate, vat, total, fee_percent, fee, submission, submitted_on, submitted_at,
				sent_at, confirm_by, confirmed_at, promised_on, delivered_at, closed_at, created_by, created_at, updated_at)
			SELECT authority_id, extract(year FROM day)::int, g, extract(year FROM day)::int || '-' || lpad(g::text, 7, '0'),
				tender_id, supplier_id, budget_line_id, status,
				subtotal, rate, round(subtotal * rate / 100, 2), subtotal + round(subtotal * rate / 100, 2), 1.5, round(subtotal * 0.015, 2),
				CASE WHEN status = 'draft' THEN 0 ELSE 1 END,
				CASE WHEN status <> 'draft' THEN day END, CASE WHEN status <> 'draft' THEN day + time '09:00' END,
				CASE WHEN status NOT IN ('draft', 'pending_approval', 'cancelled') THEN day + time '12:00' END,
				CASE WHEN status NOT IN ('draft', 'pending_approval', 'cancelled') THEN day + 5 END,
				CASE WHEN status IN ('confirmed', 'delivered', 'closed') THEN day + time '15:00' END,
				CASE WHEN status IN ('confirmed', 'delivered', 'closed') THEN day + 12 END,
				CASE WHEN status IN ('delivered', 'closed') THEN day + 10 + time '12:00' END,
				CASE WHEN status = 'closed' THEN day + 20 + time '12:00' END,
				created_by, day + time '08:00', day + time '08:00'
			FROM gen ORDER BY g`,
		fmt.Sprintf(`INSERT INTO order_lines (order_id, line_no, item_id, sku, name, unit, quantity, unit_price, line_total, delivered)
			WITH i AS (SELECT row_number() OVER (PARTITION BY tender_id ORDER BY id) AS k, id, tender_id, sku, name, unit FROM tender_items)
			SELECT o.id, l, i.id, i.sku, i.name, i.unit, 1 + o.seq %% 9, round(o.subtotal / (1 + o.seq %% 9) / 2, 2), o.subtotal / 2,
				CASE WHEN o.status IN ('delivered', 'closed') THEN 1 + o.seq %% 9 ELSE 0 END
			FROM orders o CROSS JOIN generate_series(1, 2) l
			JOIN i ON i.tender_id = o.tender_id AND i.k = l
			WHERE o.seq BETWEEN %d AND %d AND o.number LIKE '%%-_______'`, have+1, n),
		`INSERT INTO order_counters AS c (authority_id, year, last)
			SELECT authority_id, year, max(seq) FROM orders GROUP BY 1, 2
			ON CONFLICT (authority_id, year) DO UPDATE SET last = greatest(c.last, EXCLUDED.last)`,
	}
	err := database.WithTx(ctx, db, func(tx *sqlx.Tx) error {
		for _, q := range gen {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("%w\n%s", err, q)
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("generate orders: %v", err)
	}
	if _, err := db.ExecContext(ctx, `VACUUM ANALYZE`); err != nil {
		tb.Fatal(err)
	}
	fmt.Printf("generated orders %d..%d in %s\n", have+1, n, time.Since(start).Round(time.Second))
}

// newFlowWorld serves the whole service over the database at dbURL, seeded
// with about n orders, and gives each of up to 32 clients a token.
func newFlowWorld(tb testing.TB, dbURL string, n int) *flowWorld {
	tb.Helper()
	ctx := context.Background()
	plain, err := database.Open(ctx, dbURL)
	if err != nil {
		tb.Fatal(err)
	}
	defer plain.Close()
	seedFlow(tb, plain, n)

	w := &flowWorld{}
	w.db, w.wire = openCounted(tb, dbURL)
	if err := w.db.GetContext(ctx, &w.orders, `SELECT count(*) FROM orders`); err != nil {
		tb.Fatal(err)
	}
	var officers []struct {
		ID          int64 `db:"id"`
		AuthorityID int64 `db:"authority_id"`
		K           int   `db:"k"`
	}
	err = plain.SelectContext(ctx, &officers, `SELECT u.id, u.authority_id, split_part(split_part(u.email, '-', 3), '@', 1)::int AS k
		FROM users u WHERE u.email LIKE 'officer-%@bench.example' ORDER BY k, u.authority_id`)
	if err != nil {
		tb.Fatal(err)
	}
	var tenders []struct {
		ID       int64 `db:"id"`
		Supplier int64 `db:"supplier_id"`
		Items    pq.Int64Array
	}
	err = plain.SelectContext(ctx, &tenders, `SELECT t.id, min(a.supplier_id) AS supplier_id,
			(SELECT array_agg(i.id ORDER BY i.id) FROM tender_items i WHERE i.tender_id = t.id) AS items
		FROM tenders t JOIN awards a ON a.tender_id = t.id WHERE t.number LIKE 'B%/bench' GROUP BY t.id ORDER BY t.id`)
	if err != nil {
		tb.Fatal(err)
	}
	tokens := auth.NewStore(plain)
	year := calendar.Today().Year()
	for i, o := range officers {
		tok, err := tokens.NewToken(ctx, o.ID, "bench")
		if err != nil {
			tb.Fatal(err)
		}
		var line int64
		if err := plain.GetContext(ctx, &line, `SELECT id FROM budget_lines WHERE authority_id = $1 AND fiscal_year = $2`, o.AuthorityID, year); err != nil {
			tb.Fatal(err)
		}
		t := tenders[i%len(tenders)]
		var lines []map[string]any
		for l := 0; l < flowLines; l++ {
			lines = append(lines, map[string]any{"item_id": t.Items[(i+l)%len(t.Items)], "quantity": strconv.Itoa(1 + (i+l)%4)})
		}
		w.clients = append(w.clients, flowClient{token: tok.Token, body: map[string]any{
			"tender_id": t.ID, "supplier_id": t.Supplier, "budget_line_id": line,
			"delivery_address": "רחוב הנדיב 1, זכרון יעקב", "requested_date": calendar.Today().AddDays(30).String(), "lines": lines}})
	}
	base := New(w.db, Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), BaseURL: "https://madaf.example"})
	w.srv = httptest.NewServer(base.Engine)
	tb.Cleanup(w.srv.Close)
	w.http = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: time.Minute}
	return w
}

var pairKeys atomic.Int64

// pair creates an order as client c and submits it, returning each step's
// latency.
func (w *flowWorld) pair(c *flowClient) (create, submit time.Duration, err error) {
	start := time.Now()
	var o struct {
		ID int64 `json:"id"`
	}
	key := fmt.Sprintf("bench-%d-%d-%d", os.Getpid(), time.Now().UnixNano(), pairKeys.Add(1))
	if err := w.post("/api/v1/orders", c, c.body, http.StatusCreated, &o, "Idempotency-Key", key); err != nil {
		return 0, 0, err
	}
	create = time.Since(start)
	start = time.Now()
	if err := w.post(fmt.Sprintf("/api/v1/orders/%d/submit", o.ID), c, nil, http.StatusOK, nil); err != nil {
		return 0, 0, err
	}
	return create, time.Since(start), nil
}

func (w *flowWorld) post(path string, c *flowClient, body any, want int, out any, headers ...string) error {
	var rd io.Reader = http.NoBody
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(http.MethodPost, w.srv.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := w.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		return fmt.Errorf("POST %s: %d %s", path, resp.StatusCode, raw)
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

// flowRun is what one timed run measured.
type flowRun struct {
	clients                int
	pairs, failed          int
	elapsed                time.Duration
	pair, create, submit   []time.Duration
	roundTrips, statements int64
	firstError             error
}

// run drives clients concurrent clients for d.
func (w *flowWorld) run(clients int, d time.Duration) *flowRun {
	r := &flowRun{clients: clients}
	rt0, st0 := w.wire.counts()
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for i := 0; i < clients; i++ {
		c := &w.clients[i%len(w.clients)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				cr, sb, err := w.pair(c)
				mu.Lock()
				if err != nil {
					r.failed++
					if r.firstError == nil {
						r.firstError = err
					}
				} else {
					r.pairs++
					r.create, r.submit, r.pair = append(r.create, cr), append(r.submit, sb), append(r.pair, cr+sb)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	r.elapsed = time.Since(start)
	rt1, st1 := w.wire.counts()
	r.roundTrips, r.statements = rt1-rt0, st1-st0
	return r
}

// percentiles is "p50/p95/p99" of ds in milliseconds.
func percentiles(ds []time.Duration) string {
	if len(ds) == 0 {
		return "-"
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(p float64) float64 {
		return float64(s[min(len(s)-1, int(p*float64(len(s))))].Microseconds()) / 1000
	}
	return fmt.Sprintf("%.1f/%.1f/%.1f ms", at(0.50), at(0.95), at(0.99))
}

// loadAverage is the 1- and 5-minute load average.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	return f[0] + " " + f[1]
}

// rss is the process's resident set and its peak.
func rss() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "?"
	}
	var cur, peak string
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			cur = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			peak = strings.TrimSpace(v)
		}
	}
	return cur + " (peak " + peak + ")"
}

func benchSeconds() time.Duration {
	if s, err := strconv.Atoi(os.Getenv("MADAF_BENCH_SECONDS")); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return 10 * time.Second
}

const pgbenchPath = "/usr/lib/postgresql/15/bin/pgbench"

// pgbench runs TPC-B (scale 10, 16 clients, 2 threads) for d on the server
// at serverURL, in a database of its own kept between runs, and returns its
// transactions per second; 0 when pgbench is not installed.
func pgbench(tb testing.TB, serverURL string, d time.Duration) float64 {
	tb.Helper()
	if _, err := os.Stat(pgbenchPath); err != nil {
		fmt.Println("pgbench: not installed, no TPC-B comparison")
		return 0
	}
	ctx := context.Background()
	const name = "madaf_bench_pgbench"
	if err := database.EnsureDatabase(ctx, serverURL, name); err != nil {
		tb.Fatal(err)
	}
	u, err := url.Parse(serverURL)
	if err != nil {
		tb.Fatal(err)
	}
	args := []string{"-h", u.Hostname(), "-p", cmpOr(u.Port(), "5432"), "-U", cmpOr(u.User.Username(), "postgres")}
	db, err := database.Open(ctx, database.WithDatabase(serverURL, name))
	if err != nil {
		tb.Fatal(err)
	}
	var accounts int
	db.GetContext(ctx, &accounts, `SELECT count(*) FROM pgbench_accounts`)
	db.Close()
	if accounts != 1_000_000 {
		if out, err := exec.Command(pgbenchPath, append(args, "-i", "-q", "-s", "10", name)...).CombinedOutput(); err != nil {
			tb.Fatalf("pgbench -i: %v\n%s", err, out)
		}
	}
	out, err := exec.Command(pgbenchPath, append(args, "-c", "16", "-j", "2", "-T", strconv.Itoa(int(d.Seconds())), name)...).CombinedOutput()
	if err != nil {
		tb.Fatalf("pgbench: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`tps = ([0-9.]+) \(without initial connection time\)`).FindSubmatch(out)
	if m == nil {
		tb.Fatalf("pgbench: no tps in\n%s", out)
	}
	tps, _ := strconv.ParseFloat(string(m[1]), 64)
	return tps
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// BenchmarkOrderFlow: see the comment at the top of this file.
func BenchmarkOrderFlow(b *testing.B) {
	d := benchSeconds()
	serverURL := dbtest.ServerURL(b)
	worlds := []struct {
		name string
		url  func() string
		n    int
	}{{"orders=1k", func() string { return dbtest.NewURL(b) }, 1_000}}
	if os.Getenv("MADAF_BENCH_BIG") == "1" {
		worlds = append(worlds, struct {
			name string
			url  func() string
			n    int
		}{"orders=1M", func() string { return bigDatabase(b, serverURL) }, 1_000_000})
	}
	var tps float64
	for _, wd := range worlds {
		b.Run(wd.name, func(b *testing.B) {
			w := newFlowWorld(b, wd.url(), wd.n)
			w.settle(b)
			// A few pairs to prepare the statements on the connections, then
			// one pair alone, for its exact statements.
			warm(b, w)
			var trace []string
			rt0, _ := w.wire.counts()
			trace = w.wire.traced(func() {
				if _, _, err := w.pair(&w.clients[0]); err != nil {
					b.Fatal(err)
				}
			})
			rt1, _ := w.wire.counts()
			fmt.Printf("\n%s: one create+submit pair: %d statements, %d round trips\n", wd.name, len(trace), rt1-rt0)
			// The same pair 50 times by one client, for each statement's
			// time from its write to its answer.
			const timedPairs = 50
			var statements []string
			var took []time.Duration
			pairTime := time.Duration(0)
			statements, took = w.wire.timed(func() {
				for range timedPairs {
					cr, sb, err := w.pair(&w.clients[0])
					if err != nil {
						b.Fatal(err)
					}
					pairTime += cr + sb
				}
			})
			// A statement sent twice in a pair (BEGIN, COMMIT) gets the mean
			// of its occurrences.
			times, mean := map[string]int{}, map[string]time.Duration{}
			for _, s := range trace {
				times[s]++
			}
			for i, s := range statements {
				if times[s] > 0 {
					mean[s] += took[i] / time.Duration(timedPairs*times[s])
				}
			}
			var inDB time.Duration
			for i, s := range trace {
				inDB += mean[s]
				if len(s) > 130 {
					s = s[:130] + "…"
				}
				fmt.Printf("  %2d %6.0f µs  %s\n", i+1, float64(mean[trace[i]].Microseconds()), s)
			}
			fmt.Printf("one client, %d pairs: %.2f ms a pair, %.2f ms of it awaiting PostgreSQL; load %s\n",
				timedPairs, float64((pairTime/timedPairs).Microseconds())/1000, float64(inDB.Microseconds())/1000, loadAverage())
			for _, clients := range []int{4, 16, 32} {
				load := loadAverage()
				w.settle(b)
				r := w.run(clients, d)
				rate := float64(r.pairs) / r.elapsed.Seconds()
				fmt.Printf("%s clients=%d: %d pairs in %s = %.1f pairs/s; pair %s, create %s, submit %s; %.1f statements and %.1f round trips per pair; %d failed; RSS %s; load %s → %s\n",
					wd.name, clients, r.pairs, r.elapsed.Round(time.Millisecond), rate, percentiles(r.pair), percentiles(r.create), percentiles(r.submit),
					float64(r.statements)/float64(max(1, r.pairs)), float64(r.roundTrips)/float64(max(1, r.pairs)), r.failed, rss(), load, loadAverage())
				if r.firstError != nil {
					fmt.Printf("  first failure: %v\n", r.firstError)
				}
				if clients == 16 {
					b.ReportMetric(rate, "pairs/s@16")
					if tps == 0 {
						load := loadAverage()
						tps = pgbench(b, serverURL, d)
						if tps > 0 {
							fmt.Printf("pgbench TPC-B -c 16 -j 2 scale 10, %s: %.0f tps; load %s → %s\n", d, tps, load, loadAverage())
						}
					}
					if tps > 0 {
						fmt.Printf("%s: ratio pairs/s ÷ pgbench tps at 16 clients = %.3f\n", wd.name, rate/tps)
						b.ReportMetric(rate/tps, "ratio@16")
					}
				}
			}
			b.ReportMetric(float64(rt1-rt0), "roundtrips/pair")
		})
	}
}

// bigDatabase returns the URL of the million-order database: MADAF_BENCH_DB
// on the test server, migrated and kept between runs, or a throw-away
// clone of the test template when that is unset.
func bigDatabase(b *testing.B, serverURL string) string {
	name := os.Getenv("MADAF_BENCH_DB")
	if name == "" {
		return dbtest.NewURL(b)
	}
	ctx := context.Background()
	if err := database.EnsureDatabase(ctx, serverURL, name); err != nil {
		b.Fatal(err)
	}
	u := database.WithDatabase(serverURL, name)
	db, err := database.Open(ctx, u)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := database.MigrateUp(ctx, db.DB, migrations.FS); err != nil {
		b.Fatal(err)
	}
	return u
}

// settle vacuums and analyzes the whole of the world's database, once it
// is built and before each run: the test server runs without autovacuum,
// and without statistics that follow the tables' growth the plans made
// while a table was nearly empty scan it whole long after it has grown,
// while the dead rows of the runs before stay in it.
func (w *flowWorld) settle(tb testing.TB) {
	tb.Helper()
	if _, err := w.db.Exec(`VACUUM ANALYZE`); err != nil {
		tb.Fatal(err)
	}
}

// warm runs a few pairs as the first client, so that the statements of a
// pair are prepared on each connection they use (the first run of a
// statement on a connection costs a round trip more).
func warm(tb testing.TB, w *flowWorld) {
	tb.Helper()
	for range 5 {
		if _, _, err := w.pair(&w.clients[0]); err != nil {
			tb.Fatal(err)
		}
	}
	time.Sleep(100 * time.Millisecond) // the last answer kept for its key
}

// TestOrderFlowRoundTrips: creating an order (with an idempotency key)
// and submitting it, each through the HTTP API with a token, sends each
// statement to PostgreSQL in one round trip, and at most 23 round trips in
// all, counted on the wire (the statements are logged).
func TestOrderFlowRoundTrips(t *testing.T) {
	w := newFlowWorld(t, dbtest.NewURL(t), 10)
	c := &w.clients[0]
	warm(t, w)
	rt0, _ := w.wire.counts()
	trace := w.wire.traced(func() {
		if _, _, err := w.pair(c); err != nil {
			t.Fatal(err)
		}
		// The create's answer is kept for its idempotency key after it
		// was sent: wait for that statement too.
		for start := time.Now(); !w.wire.saw("state = 'answered'") && time.Since(start) < 10*time.Second; {
			time.Sleep(10 * time.Millisecond)
		}
	})
	rt1, _ := w.wire.counts()
	for i, s := range trace {
		t.Logf("%2d %.150s", i+1, s)
	}
	if n := int(rt1 - rt0); n != len(trace) || n > 23 {
		t.Fatalf("a create+submit pair took %d round trips for %d statements, want one each and at most 23", n, len(trace))
	}
}
