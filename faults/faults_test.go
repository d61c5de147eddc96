//go:build faults

package faults

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"madaf/app"
	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/database"
)

// Settings of the service under test: a request gives up after
// requestTimeout, a connection to a server silent for the statement
// timeout plus ten seconds is given up.
const (
	requestTimeout   = "5s"
	statementTimeout = "2s"
	clients          = 6
	// readyLimit is the longest the suite waits for the service to serve.
	readyLimit = 60 * time.Second
)

// TestFaults runs the four faults one after the other on one database and
// prints, after each, what the clients were acknowledged and what the
// database holds.
func TestFaults(t *testing.T) {
	began := time.Now()
	ctx := context.Background()
	pg := startPostgres(t)
	if err := database.EnsureDatabase(ctx, pg.URL("postgres"), "madaf"); err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	smtp := startSMTP(t)
	svc := &service{bin: buildService(t, tmp), addr: freeAddr(t)}
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MADAF_") && !strings.HasPrefix(kv, "DATABASE_URL=") {
			env = append(env, kv)
		}
	}
	svc.env = append(env, "DATABASE_URL="+pg.URL("madaf"), "MADAF_ADDR="+svc.addr, "MADAF_BASE_URL=http://"+svc.addr,
		"MADAF_SMTP_URL="+smtp.URL(), "MADAF_DEMO=on", "MADAF_LOG_LEVEL=warn",
		"MADAF_HTTP_WRITE_TIMEOUT="+requestTimeout, "MADAF_DB_STATEMENT_TIMEOUT="+statementTimeout,
		"MADAF_SECRET_KEY="+secretKey())
	logFile, err := os.Create(filepath.Join(tmp, "service.log"))
	if err != nil {
		t.Fatal(err)
	}
	svc.log = logFile
	t.Cleanup(func() {
		svc.kill()
		if t.Failed() {
			b, _ := os.ReadFile(logFile.Name())
			if len(b) > 4000 {
				b = b[len(b)-4000:]
			}
			t.Logf("the service's log ends:\n%s", b)
		}
	})
	svc.start(t)
	svc.serving(t, time.Now(), 120*time.Second)

	db, err := database.Open(ctx, pg.URL("madaf"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	l := newLoad(t, db, svc)
	fmt.Printf("fault suite: %d clients creating, submitting, signing (treasurer with the three checks, head) and confirming orders, "+
		"each step with an Idempotency-Key and retried with it until answered; request timeout %s\n", clients, requestTimeout)

	// (a) The service is killed (SIGKILL) and started again, ten times.
	from := l.acknowledged()
	stop := l.run("a")
	var restarts []string
	for i := 0; i < 10; i++ {
		time.Sleep(time.Duration(400+rand.IntN(600)) * time.Millisecond)
		svc.kill()
		at := time.Now()
		svc.start(t)
		restarts = append(restarts, fmt.Sprintf("%.2f", svc.serving(t, at, readyLimit).Seconds()))
	}
	time.Sleep(time.Second)
	stop()
	fmt.Printf("(a) service SIGKILLed and restarted ×10: seconds to serve again after each restart: %s\n", strings.Join(restarts, " "))
	l.check(t, "(a)", from)

	// (b) PostgreSQL is stopped as by a crash (-m immediate) and started
	// again, five times.
	from = l.acknowledged()
	stop = l.run("b")
	restarts = nil
	for i := 0; i < 5; i++ {
		time.Sleep(time.Duration(500+rand.IntN(500)) * time.Millisecond)
		pg.stopImmediate(t)
		time.Sleep(time.Second)
		pg.start(t)
		at := time.Now()
		restarts = append(restarts, fmt.Sprintf("%.2f", svc.serving(t, at, readyLimit).Seconds()))
	}
	time.Sleep(time.Second)
	stop()
	fmt.Printf("(b) PostgreSQL stopped -m immediate and started ×5: seconds from PostgreSQL accepting connections to the service serving (/readyz 200): %s\n",
		strings.Join(restarts, " "))
	l.check(t, "(b)", from)

	// (c) PostgreSQL is frozen (SIGSTOP of every process) for ten seconds.
	from = l.acknowledged()
	l.mu.Lock()
	l.observing = true
	l.mu.Unlock()
	stop = l.run("c")
	time.Sleep(time.Second)
	pg.signal(t, syscall.SIGSTOP)
	l.window(true)
	time.Sleep(10 * time.Second)
	pg.signal(t, syscall.SIGCONT)
	l.window(false)
	thawed := time.Now()
	again := svc.serving(t, thawed, readyLimit)
	time.Sleep(2 * time.Second)
	stop()
	l.mu.Lock()
	l.observing = false
	l.mu.Unlock()
	l.reportFreeze(again)
	l.check(t, "(c)", from)

	// (d) The SMTP server refuses mail, then accepts it while the service
	// is killed in the middle of sending, three times.
	from = l.acknowledged()
	smtp.set(func(s *smtpServer) { s.refusing = true })
	stop = l.run("d")
	time.Sleep(6 * time.Second)
	refused := l.outboxFailures(t)
	midSend := make(chan chan struct{})
	smtp.set(func(s *smtpServer) {
		s.refusing = false
		s.killMidSend = 3
		s.onData = func() {
			killed := make(chan struct{})
			midSend <- killed
			<-killed
		}
	})
	restarts = nil
	for i := 0; i < 3; i++ {
		var killed chan struct{}
		deadline := time.After(60 * time.Second)
	wait:
		for {
			select {
			case killed = <-midSend:
				break wait
			case <-deadline:
				t.Fatalf("no mail was being sent within a minute (kill %d)", i+1)
			case <-time.After(500 * time.Millisecond):
				l.mailDue(t)
			}
		}
		svc.kill()
		close(killed)
		at := time.Now()
		svc.start(t)
		restarts = append(restarts, fmt.Sprintf("%.2f", svc.serving(t, at, readyLimit).Seconds()))
	}
	stop()
	pending := l.drainMail(t, 90*time.Second)
	fmt.Printf("(d) SMTP server refused mail for 6 s (%d mails with a refused attempt recorded), then accepted it while the service was SIGKILLed in the middle of sending ×3 "+
		"(the SMTP conversation cut after the data, before the server's answer): seconds to serve again: %s\n", refused, strings.Join(restarts, " "))
	l.check(t, "(d)", from)
	l.reportMail(t, smtp, pending)
	fmt.Printf("fault suite: %.0f s in all\n", time.Since(began).Seconds())
}

// secretKey is a new MADAF_SECRET_KEY: 32 random bytes in base64.
func secretKey() string {
	b := make([]byte, 32)
	crand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// load is the clients and what they were answered.
type load struct {
	t      *testing.T
	db     *sqlx.DB
	svc    *service
	http   *http.Client
	tokens map[string]string
	ids    struct {
		tender, item, supplier, budgetLine int64
	}
	mu       sync.Mutex
	acks     []ack
	refusals map[string]int
	// attempts are the requests of phase (c), PostgreSQL frozen from
	// freezeFrom until freezeTo.
	observing            bool
	freezeFrom, freezeTo time.Time
	attempts             []attempt
}

// ack is one acknowledged (2xx) answer: op on order, whose create carried
// marker.
type ack struct {
	op     string // create, submit, sign:treasurer, sign:head, confirm
	order  int64
	marker string
}

// attempt is one request sent during the freeze: its status (0 for no
// answer) and how long it took.
type attempt struct {
	start, end time.Time
	status     int
}

func newLoad(t *testing.T, db *sqlx.DB, svc *service) *load {
	t.Helper()
	l := &load{t: t, db: db, svc: svc, http: &http.Client{Timeout: 30 * time.Second}, tokens: map[string]string{}, refusals: map[string]int{}}
	get := func(dst any, q string, args ...any) {
		t.Helper()
		if err := db.Get(dst, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	get(&l.ids.tender, `SELECT id FROM tenders WHERE number = '01/2024'`)
	get(&l.ids.item, `SELECT id FROM tender_items WHERE tender_id = $1 AND sku = 'MED-003'`, l.ids.tender)
	get(&l.ids.supplier, `SELECT id FROM suppliers WHERE company_number = '510000011'`)
	get(&l.ids.budgetLine, `SELECT b.id FROM budget_lines b JOIN authorities a ON a.id = b.authority_id
		WHERE a.code = '9300' AND b.fiscal_year = $1 ORDER BY b.id LIMIT 1`, calendar.Today().Year())
	// Room for every order the clients may place.
	for _, q := range []string{
		`UPDATE budget_lines SET amount = 900000000 WHERE id = $1`,
		`UPDATE tenders SET ceiling = NULL WHERE id = $1`,
		`UPDATE tender_authorities SET allocation = NULL WHERE tender_id = $1`,
	} {
		id := l.ids.budgetLine
		if !strings.Contains(q, "budget_lines") {
			id = l.ids.tender
		}
		if _, err := database.Audited(db).ExecContext(database.WithActor(context.Background(), database.Actor{Label: "fault suite"}), q, id); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// Each user signs in as a person would (password, and the code of the
	// demo authenticator where the role requires a second factor) and
	// makes a personal API token.
	for who, email := range map[string]string{"officer": "officer@zichron.example", "treasurer": "treasurer@zichron.example",
		"head": "head@zichron.example", "supplier": "supplier@medical.example"} {
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
		code, err := auth.TOTPCode(app.DemoTOTPSecret, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		body, _ := json.Marshal(map[string]string{"email": email, "password": "madaf-demo-2026", "code": code})
		r, err := c.Post("http://"+svc.addr+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
		if err != nil || r.StatusCode != http.StatusOK {
			t.Fatalf("sign in as %s: %v %v", email, err, statusOf(r))
		}
		r.Body.Close()
		r, err = c.Post("http://"+svc.addr+"/api/v1/auth/tokens", "application/json", strings.NewReader(`{"name": "fault suite"}`))
		if err != nil || r.StatusCode != http.StatusCreated {
			t.Fatalf("token of %s: %v %v", email, err, statusOf(r))
		}
		var tok struct {
			Token string `json:"token"`
		}
		json.NewDecoder(r.Body).Decode(&tok)
		r.Body.Close()
		l.tokens[who] = tok.Token
	}
	return l
}

func statusOf(r *http.Response) any {
	if r == nil {
		return "no answer"
	}
	b, _ := io.ReadAll(r.Body)
	return fmt.Sprintf("%d %s", r.StatusCode, b)
}

func (l *load) acknowledged() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acks)
}

// run starts the clients; stop stops them from starting new orders and
// waits for those under way to be answered.
func (l *load) run(phase string) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ctx.Err() == nil; n++ {
				l.flow(phase, c, n)
			}
		}()
	}
	return func() {
		cancel()
		wg.Wait()
	}
}

// flow takes one new order from creation to confirmation, each step with
// a key of its own, retried with that key until it is answered.
func (l *load) flow(phase string, client, n int) {
	marker := fmt.Sprintf("fault suite %s client %d order %d", phase, client, n)
	key := fmt.Sprintf("%s-%d-%d-", phase, client, n)
	st, m := l.call("officer", "/api/v1/orders", map[string]any{"tender_id": l.ids.tender, "supplier_id": l.ids.supplier,
		"budget_line_id": l.ids.budgetLine, "delivery_address": "רחוב המייסדים 40, זכרון יעקב", "requested_date": calendar.Today().AddDays(20).String(),
		"notes": marker, "lines": []map[string]any{{"item_id": l.ids.item, "quantity": "1"}}}, key+"create")
	if st != http.StatusCreated {
		return
	}
	id := int64(m["id"].(float64))
	l.ack(ack{op: "create", order: id, marker: marker})
	path := fmt.Sprintf("/api/v1/orders/%d/", id)
	steps := []struct {
		who, op, action string
		body            map[string]any
	}{
		{"officer", "submit", "submit", nil},
		{"treasurer", "sign:treasurer", "sign", map[string]any{"slot": "treasurer", "legal": true, "budget_line": true, "no_deficit": true}},
		{"head", "sign:head", "sign", map[string]any{"slot": "head"}},
		{"supplier", "confirm", "confirm", map[string]any{"promised_date": calendar.Today().AddDays(10).String()}},
	}
	for _, s := range steps {
		if st, _ := l.call(s.who, path+s.action, s.body, key+s.op); st != http.StatusOK {
			return
		}
		l.ack(ack{op: s.op, order: id})
	}
}

func (l *load) ack(a ack) {
	l.mu.Lock()
	l.acks = append(l.acks, a)
	l.mu.Unlock()
}

// call posts body to path as who with the idempotency key, again and
// again while the answer is none, a 5xx or "in progress", for at most a
// minute; it returns the answer (0 when none came).
func (l *load) call(who, path string, body any, key string) (int, map[string]any) {
	deadline := time.Now().Add(time.Minute)
	for {
		start := time.Now()
		st, m := l.post(who, path, body, key)
		l.observe(start, st)
		if st != 0 && st < 500 && (st != http.StatusConflict || m["code"] != "idempotency.in_progress") {
			if st >= 400 {
				l.mu.Lock()
				l.refusals[fmt.Sprintf("%d %v", st, m["code"])]++
				l.mu.Unlock()
			}
			return st, m
		}
		if time.Now().After(deadline) {
			l.mu.Lock()
			l.refusals["no answer within a minute"]++
			l.mu.Unlock()
			return 0, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (l *load) post(who, path string, body any, key string) (int, map[string]any) {
	var rd io.Reader = http.NoBody
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(http.MethodPost, "http://"+l.svc.addr+path, rd)
	req.Header.Set("Authorization", "Bearer "+l.tokens[who])
	req.Header.Set("Idempotency-Key", key)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	r, err := l.http.Do(req)
	if err != nil {
		return 0, nil
	}
	defer r.Body.Close()
	var m map[string]any
	json.NewDecoder(r.Body).Decode(&m)
	return r.StatusCode, m
}

// window starts or ends the freeze.
func (l *load) window(open bool) {
	l.mu.Lock()
	if open {
		l.freezeFrom = time.Now()
	} else {
		l.freezeTo = time.Now()
	}
	l.mu.Unlock()
}

// observe keeps the requests while observing is on.
func (l *load) observe(start time.Time, status int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.observing {
		l.attempts = append(l.attempts, attempt{start: start, end: time.Now(), status: status})
	}
}

// reportFreeze prints how the requests sent during the freeze were
// answered.
func (l *load) reportFreeze(again time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	limit, _ := time.ParseDuration(requestTimeout)
	byStatus := map[int]int{}
	var longest time.Duration
	within := true
	n := 0
	for _, a := range l.attempts {
		if !a.start.Before(l.freezeTo) || !a.end.After(l.freezeFrom) {
			continue // not under way during the freeze
		}
		n++
		byStatus[a.status]++
		elapsed := a.end.Sub(a.start)
		longest = max(longest, elapsed)
		// 503, or 409 idempotency.in_progress for a retry whose key the
		// request before it still holds (both say when to come back), or
		// done.
		retryLater := a.status == http.StatusServiceUnavailable || a.status == http.StatusConflict
		if !retryLater && (a.status < 200 || a.status >= 300) || elapsed > limit+time.Second {
			within = false
		}
	}
	var parts []string
	for _, s := range sortedKeys(byStatus) {
		name := fmt.Sprint(s)
		if s == 0 {
			name = "no answer"
		}
		parts = append(parts, fmt.Sprintf("%s ×%d", name, byStatus[s]))
	}
	fmt.Printf("(c) PostgreSQL frozen (SIGSTOP) for 10 s: %d requests under way during the freeze, answered %s, the longest in %.2f s; "+
		"every one answered 503, 409 in progress or done within the request timeout (%s + 1 s): %v; serving again %.2f s after SIGCONT\n",
		n, strings.Join(parts, ", "), longest.Seconds(), requestTimeout, within, again.Seconds())
	if !within {
		l.t.Errorf("(c) a request under way during the freeze was not answered 503 within the request timeout")
	}
}

func sortedKeys(m map[int]int) []int {
	var out []int
	for k := range m {
		out = append(out, k)
	}
	sort.Ints(out)
	return out
}

// query runs q into dst, again for a while when the database is just back.
func (l *load) query(dst any, q string, args ...any) {
	l.t.Helper()
	var err error
	for i := 0; i < 50; i++ {
		if err = l.db.Select(dst, q, args...); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	l.t.Fatalf("%s: %v", q, err)
}

// check compares the answers acknowledged since from with the database,
// and the whole database with itself, and prints the figures.
func (l *load) check(t *testing.T, phase string, from int) {
	t.Helper()
	l.mu.Lock()
	acks := append([]ack(nil), l.acks[from:]...)
	refusals := l.refusals
	l.refusals = map[string]int{}
	l.mu.Unlock()

	type fact struct {
		Order  int64  `db:"order_id"`
		What   string `db:"what"`
		Marker string `db:"marker"`
		N      int    `db:"n"`
	}
	var facts []fact
	l.query(&facts, `
		SELECT id AS order_id, 'create' AS what, notes AS marker, 1 AS n FROM orders WHERE notes LIKE 'fault suite %'
		UNION ALL
		SELECT e.order_id, e.action, '', count(*) FROM order_events e JOIN orders o ON o.id = e.order_id
		WHERE o.notes LIKE 'fault suite %' AND e.action IN ('submit', 'confirm') GROUP BY e.order_id, e.action
		UNION ALL
		SELECT s.order_id, 'sign:' || s.role, '', count(*) FROM order_signatures s JOIN orders o ON o.id = s.order_id
		WHERE o.notes LIKE 'fault suite %' GROUP BY s.order_id, s.role`)
	have := map[string]int{}
	for _, f := range facts {
		key := fmt.Sprintf("%s/%d", f.What, f.Order)
		if f.What == "create" {
			key += "/" + f.Marker
		}
		have[key] += f.N
	}
	found, lost := 0, 0
	for _, a := range acks {
		key := fmt.Sprintf("%s/%d", a.op, a.order)
		if a.op == "create" {
			key += "/" + a.marker
		}
		if have[key] > 0 {
			found++
		} else {
			lost++
			t.Errorf("%s: acknowledged %s of order %d is not in the database", phase, a.op, a.order)
		}
	}

	var dups []struct {
		What string `db:"what"`
		N    int    `db:"n"`
	}
	l.query(&dups, `
		SELECT 'orders created twice for one request' AS what, count(*) AS n FROM (
			SELECT notes FROM orders WHERE notes LIKE 'fault suite %' GROUP BY notes HAVING count(*) > 1) d
		UNION ALL
		SELECT 'actions recorded twice', count(*) FROM (
			SELECT e.order_id, e.action FROM order_events e JOIN orders o ON o.id = e.order_id WHERE o.notes LIKE 'fault suite %'
			GROUP BY e.order_id, e.action
			HAVING count(*) > CASE WHEN e.action = 'sign' THEN 2 ELSE 1 END) d
		UNION ALL
		SELECT 'slots signed twice', count(*) FROM (
			SELECT s.order_id, s.role FROM order_signatures s JOIN orders o ON o.id = s.order_id WHERE o.notes LIKE 'fault suite %'
			GROUP BY s.order_id, s.role HAVING count(*) > 1) d`)
	duplicated := 0
	for _, d := range dups {
		duplicated += d.N
		if d.N > 0 {
			t.Errorf("%s: %d %s", phase, d.N, d.What)
		}
	}

	var partial []struct {
		What string `db:"what"`
		N    int    `db:"n"`
	}
	l.query(&partial, `
		WITH fo AS (SELECT * FROM orders WHERE notes LIKE 'fault suite %'),
		last AS (SELECT DISTINCT ON (e.order_id) e.order_id, e.to_status FROM order_events e JOIN fo ON fo.id = e.order_id
			ORDER BY e.order_id, e.id DESC)
		SELECT 'status other than its last event''s' AS what, count(*) AS n FROM fo LEFT JOIN last ON last.order_id = fo.id
			WHERE last.to_status IS DISTINCT FROM fo.status
		UNION ALL
		SELECT 'sent or confirmed without both signatures', count(*) FROM fo
			WHERE fo.status IN ('sent', 'confirmed') AND (SELECT count(*) FROM order_signatures s WHERE s.order_id = fo.id) <> 2
		UNION ALL
		SELECT 'without lines', count(*) FROM fo WHERE NOT EXISTS (SELECT 1 FROM order_lines l WHERE l.order_id = fo.id)
		UNION ALL
		SELECT 'keys applied without an answer', count(*) FROM request_keys WHERE state = 'applied'`)
	half := 0
	for _, p := range partial {
		if p.What == "keys applied without an answer" {
			if p.N > 0 {
				fmt.Printf("%s   so far %d idempotency keys whose change committed but whose answer could not be kept "+
					"(PostgreSQL went away first; a retry with one answers the order as it stands, or idempotency.answer_lost)\n", phase, p.N)
			}
			continue
		}
		half += p.N
		if p.N > 0 {
			t.Errorf("%s: %d orders %s", phase, p.N, p.What)
		}
	}
	verify, err := l.svc.command("volumes", "verify")
	differences := "0 differences"
	if err != nil {
		differences = "FAILED: " + verify
		t.Errorf("%s: madaf volumes verify: %v: %s", phase, err, verify)
	}
	byOp := map[string]int{}
	for _, a := range acks {
		byOp[a.op]++
	}
	fmt.Printf("%s acknowledged %d (create %d, submit %d, sign %d, confirm %d), found %d, lost %d, duplicated %d, half-written %d; madaf volumes verify: %s\n",
		phase, len(acks), byOp["create"], byOp["submit"], byOp["sign:treasurer"]+byOp["sign:head"], byOp["confirm"],
		found, lost, duplicated, half, differences)
	if len(refusals) > 0 {
		var parts []string
		for k, n := range refusals {
			parts = append(parts, fmt.Sprintf("%s ×%d", k, n))
		}
		sort.Strings(parts)
		fmt.Printf("%s   answers that ended a client's order: %s\n", phase, strings.Join(parts, ", "))
	}
}

// outboxFailures counts the failed sending attempts the outbox recorded.
func (l *load) outboxFailures(t *testing.T) int {
	t.Helper()
	var n []int
	l.query(&n, `SELECT count(*) FROM mail_outbox WHERE last_error <> ''`)
	return n[0]
}

// mailDue makes every pending mail due now: the suite does not wait out
// the outbox's backoff (30 s after a failure, doubling) and the lease of a
// mail whose sender was killed (5 minutes).
func (l *load) mailDue(t *testing.T) {
	t.Helper()
	l.db.Exec(`UPDATE mail_outbox SET next_attempt_at = now() WHERE status = 'pending' AND next_attempt_at > now()`)
}

// drainMail waits until the outbox has no pending mail (at most limit)
// and returns how many are still pending.
func (l *load) drainMail(t *testing.T, limit time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		var n []int
		l.query(&n, `SELECT count(*) FROM mail_outbox WHERE status = 'pending'`)
		if n[0] == 0 || time.Now().After(deadline) {
			return n[0]
		}
		l.mailDue(t)
		time.Sleep(500 * time.Millisecond)
	}
}

// reportMail compares the outbox with what the SMTP server accepted.
func (l *load) reportMail(t *testing.T, smtp *smtpServer, pending int) {
	t.Helper()
	var rows []struct {
		ID     string `db:"message_id"`
		Status string `db:"status"`
	}
	l.query(&rows, `SELECT message_id, status FROM mail_outbox`)
	accepted, ids := smtp.messageIDs()
	byStatus := map[string]int{}
	missing := 0
	for _, r := range rows {
		byStatus[r.Status]++
		if r.Status == "sent" && ids[r.ID] == 0 {
			missing++
		}
	}
	twice := 0
	for _, n := range ids {
		if n > 1 {
			twice++
		}
	}
	smtp.mu.Lock()
	interrupted := smtp.interrupted
	smtp.mu.Unlock()
	// A notification queued twice (a transition carried out twice) would
	// be two outbox rows, each with its own Message-ID.
	var queuedTwice []int
	l.query(&queuedTwice, `SELECT count(*) FROM (SELECT m.order_id, m.kind, m.recipient FROM mail_outbox m
		JOIN orders o ON o.id = m.order_id WHERE o.notes LIKE 'fault suite %'
		GROUP BY m.order_id, m.kind, m.recipient HAVING count(*) > 1) d`)
	fmt.Printf("mail: outbox %d (sent %d, pending %d, dead %d); the SMTP server accepted %d mails under %d Message-IDs; "+
		"sent twice under a new Message-ID (a notification queued twice): %d; accepted again under its own Message-ID "+
		"(sending interrupted between the server's acceptance and its record; a receiver drops the copy): %d; "+
		"marked sent but never accepted: %d; conversations cut mid-send: %d\n",
		len(rows), byStatus["sent"], pending, byStatus["dead"], accepted, len(ids), queuedTwice[0], twice, missing, interrupted)
	if queuedTwice[0] > 0 || missing > 0 || pending > 0 || byStatus["dead"] > 0 {
		t.Errorf("mail: %d notifications queued twice, %d marked sent but never accepted, %d pending, %d dead",
			queuedTwice[0], missing, pending, byStatus["dead"])
	}
}
