package orders_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/mail"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"madaf/internal/auth"
	"madaf/internal/calendar"
	"madaf/internal/database"
	"madaf/internal/dbtest"
	imail "madaf/internal/mail"
	"madaf/orders"
)

// smtpServer is a minimal RFC 5321 server that keeps what it receives.
type smtpServer struct {
	ln   net.Listener
	mu   sync.Mutex
	msgs []received
}

type received struct {
	from string
	to   []string
	data []byte
}

func startSMTP(t *testing.T) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *smtpServer) URL() string {
	return "smtp://" + s.ln.Addr().String() + "?from=madaf@cluster.example"
}

func (s *smtpServer) serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	tp := textproto.NewConn(c)
	tp.PrintfLine("220 test.example ESMTP")
	var cur received
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		arg := strings.TrimSpace(strings.TrimPrefix(line, line[:len(verb)]))
		switch verb {
		case "EHLO":
			tp.PrintfLine("250 test.example")
		case "HELO", "NOOP":
			tp.PrintfLine("250 ok")
		case "RSET":
			cur = received{}
			tp.PrintfLine("250 ok")
		case "MAIL":
			cur = received{from: strings.Trim(strings.Fields(arg[5:])[0], "<>")}
			tp.PrintfLine("250 ok")
		case "RCPT":
			cur.to = append(cur.to, strings.Trim(arg[3:], "<>"))
			tp.PrintfLine("250 ok")
		case "DATA":
			tp.PrintfLine("354 go ahead")
			data, err := io.ReadAll(tp.DotReader())
			if err != nil {
				return
			}
			cur.data = data
			s.mu.Lock()
			s.msgs = append(s.msgs, cur)
			s.mu.Unlock()
			cur = received{}
			tp.PrintfLine("250 queued")
		case "QUIT":
			tp.PrintfLine("221 bye")
			return
		default:
			tp.PrintfLine("502 not implemented")
		}
	}
}

// got is a message as the server received it: its recipient, Message-ID,
// decoded subject and body.
type got struct {
	to, id, subject, body string
}

// received returns every message received so far, parsed, in the order
// they arrived.
func (s *smtpServer) received(t *testing.T) []got {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []got
	for _, m := range s.msgs {
		msg, err := mail.ReadMessage(strings.NewReader(string(m.data)))
		if err != nil {
			t.Fatalf("a malformed message: %v", err)
		}
		subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		if err != nil {
			t.Fatal(err)
		}
		if ct := msg.Header.Get("Content-Type"); ct != "text/plain; charset=UTF-8" || msg.Header.Get("Content-Transfer-Encoding") != "base64" {
			t.Fatalf("content type %q", ct)
		}
		raw, _ := io.ReadAll(msg.Body)
		body, err := base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(raw)))
		if err != nil {
			t.Fatal(err)
		}
		if len(m.to) != 1 {
			t.Fatalf("a message to %q", m.to)
		}
		out = append(out, got{to: m.to[0], id: msg.Header.Get("Message-ID"), subject: subject, body: string(body)})
	}
	return out
}

// to returns the messages received for rcpt, with decoded subject and
// body.
func (s *smtpServer) to(t *testing.T, rcpt string) (subjects, bodies []string) {
	t.Helper()
	for _, m := range s.received(t) {
		if m.to == rcpt {
			subjects, bodies = append(subjects, m.subject), append(bodies, m.body)
		}
	}
	return subjects, bodies
}

// mailer is an SMTP mailer to srv.
func (s *smtpServer) mailer(t *testing.T) imail.Mailer {
	t.Helper()
	m, err := imail.New(s.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSupplierNewOrderMailArrivesOverSMTP(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	srv := startSMTP(t)
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"1234.50", "19.99"}}})
	// The second treasurer reads English.
	e.db.Exec(`UPDATE users SET lang = 'en' WHERE id = $1`, e.treasurer2.ID)
	o := e.mustSent(tn, 0, "3", "7")
	var supplierEmail string
	e.db.Get(&supplierEmail, `SELECT email FROM suppliers WHERE id = $1`, tn.Winners[0])

	mailer, err := imail.New(srv.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	sender := &orders.Sender{DB: e.db, Mailer: mailer}
	n, err := sender.Drain(ctx)
	if err != nil || n != 4 { // the two treasurers and the head, then the supplier
		t.Fatalf("drained %d mails: %v", n, err)
	}

	subjects, bodies := srv.to(t, supplierEmail)
	if len(bodies) != 1 {
		t.Fatalf("%d mails to the supplier", len(bodies))
	}
	// 3 × 1234.50 + 7 × 19.99 = 3,843.43; VAT 691.82; total 4,535.25.
	total := "₪ 4,535.25"
	if o.Total.String() != "4535.25" {
		t.Fatalf("total %s", o.Total)
	}
	for _, want := range []string{"הזמנה חדשה", o.Number, "זכרון יעקב"} {
		if !strings.Contains(subjects[0], want) {
			t.Errorf("subject %q lacks %q", subjects[0], want)
		}
	}
	link := fmt.Sprintf("https://madaf.example/orders/%d", o.ID)
	for _, want := range []string{"מספר הזמנה: " + o.Number, "רשות: זכרון יעקב", "ספק: " + o.SupplierName, total, "2026-03-15", link} {
		if !strings.Contains(bodies[0], want) {
			t.Errorf("the supplier's mail lacks %q:\n%s", want, bodies[0])
		}
	}
	// Each signatory in their language.
	if _, bodies := srv.to(t, e.treasurer.P.Email); len(bodies) != 1 || !strings.Contains(bodies[0], "ממתינה לחתימתך") {
		t.Errorf("the treasurer's mail: %q", bodies)
	}
	if subjects, bodies := srv.to(t, e.treasurer2.P.Email); len(bodies) != 1 ||
		!strings.Contains(subjects[0], "awaits your signature") || !strings.Contains(bodies[0], "זכרון יעקב (en)") {
		t.Errorf("the English treasurer's mail: %q %q", subjects, bodies)
	}
	var pending int
	e.db.Get(&pending, `SELECT count(*) FROM mail_outbox WHERE status <> 'sent'`)
	if pending != 0 {
		t.Fatalf("%d mails not sent", pending)
	}
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// flaky fails every send, counting them.
type flaky struct {
	mu    sync.Mutex
	calls int
}

func (f *flaky) Send(context.Context, imail.Message) error {
	f.mu.Lock()
	f.calls++
	f.mu.Unlock()
	return errors.New("421 try again later")
}

// queue adds a mail to rcpt to the outbox, with its Message-ID, the way
// a transition does.
func (e *env) queue(rcpt string) {
	e.t.Helper()
	e.db.MustExec(`INSERT INTO mail_outbox (id, kind, recipient, subject, body, message_id) OVERRIDING SYSTEM VALUE
		SELECT n.id, 'order_sent', $1, 'נושא', 'גוף', outbox_message_id(n.id, now(), 'madaf.example')
		FROM (SELECT nextval(pg_get_serial_sequence('mail_outbox', 'id')) AS id) n`, rcpt)
}

func TestOutboxRetriesThenGivesUp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.queue("x@example.com")
	f := &flaky{}
	s := &orders.Sender{DB: e.db, Mailer: f, MaxAttempts: 3, Backoff: time.Hour / 4, Logger: quiet}
	var status string
	var attempts int
	var wait float64
	for i := 1; i <= 3; i++ {
		if n, err := s.Drain(ctx); n != 0 || err != nil {
			t.Fatalf("drain %d: %d sent, %v", i, n, err)
		}
		e.db.QueryRow(`SELECT status, attempts, extract(epoch FROM next_attempt_at - now()) FROM mail_outbox`).Scan(&status, &attempts, &wait)
		if attempts != i || f.calls != i {
			t.Fatalf("after attempt %d: %s with %d attempts, %d sends", i, status, attempts, f.calls)
		}
		if i == 3 {
			break
		}
		// Pending, not due before the backoff (15, then 30 minutes) ends.
		want := float64(15*60) * float64(int(1)<<(i-1))
		if status != "pending" || wait < want-60 || wait > want {
			t.Fatalf("after attempt %d: %s, next attempt in %.0fs, want %.0fs", i, status, wait, want)
		}
		if n, _ := s.Drain(ctx); n != 0 || f.calls != i {
			t.Fatalf("retried before the backoff: %d sends", f.calls)
		}
		e.db.MustExec(`UPDATE mail_outbox SET next_attempt_at = now()`) // the backoff has passed
	}
	if status != "dead" {
		t.Fatalf("after %d failures the mail is %s", attempts, status)
	}
	e.db.MustExec(`UPDATE mail_outbox SET next_attempt_at = now()`)
	s.Drain(ctx)
	if f.calls != 3 {
		t.Fatalf("a dead mail was tried again: %d sends", f.calls)
	}
}

// TestTwoSendersNeverSendOneMailTwice: two senders draining one outbox
// at once over SMTP send every mail, and each once: the server receives as
// many messages as there are rows, each under its row's Message-ID.
func TestTwoSendersNeverSendOneMailTwice(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	srv := startSMTP(t)
	const rows = 40
	for i := 0; i < rows; i++ {
		e.queue(fmt.Sprintf("r%d@example.com", i))
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	sent := make([]int, 2)
	for i := range sent {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			n, err := (&orders.Sender{DB: e.db, Mailer: srv.mailer(t)}).Drain(ctx)
			if err != nil {
				t.Error(err)
			}
			sent[i] = n
		}()
	}
	close(start)
	wg.Wait()
	msgs := srv.received(t)
	if len(msgs) != rows || sent[0]+sent[1] != rows {
		t.Fatalf("%d messages received for %d rows (the senders counted %v)", len(msgs), rows, sent)
	}
	want := map[string]string{}
	var ids []struct {
		Recipient string `db:"recipient"`
		MessageID string `db:"message_id"`
	}
	e.db.Select(&ids, `SELECT recipient, message_id FROM mail_outbox WHERE status = 'sent'`)
	for _, r := range ids {
		want[r.MessageID] = r.Recipient
	}
	seen := map[string]bool{}
	for _, m := range msgs {
		if seen[m.id] {
			t.Fatalf("%s was received twice", m.id)
		}
		seen[m.id] = true
		if want[m.id] != m.to {
			t.Fatalf("message %s went to %s; the outbox sent it to %q", m.id, m.to, want[m.id])
		}
	}
	if len(want) != rows {
		t.Fatalf("%d of %d rows are marked sent", len(want), rows)
	}
}

// crashing sends through an SMTP mailer and, once the server has accepted
// the after-th message, closes the sender's database, as a process that
// dies between the server's acceptance and the mark would.
type crashing struct {
	imail.Mailer
	db    *sqlx.DB
	after int
	sends int
}

func (c *crashing) Send(ctx context.Context, m imail.Message) error {
	if err := c.Mailer.Send(ctx, m); err != nil {
		return err
	}
	if c.sends++; c.sends == c.after {
		c.db.Close()
	}
	return nil
}

// TestInterruptedMailIsSentAgainWithItsMessageID: a sender that stops
// after the SMTP server accepted a mail but before marking it sent leaves
// only that mail to be sent again: the mails it marked before are not,
// the interrupted one waits for its lease to end and then goes out once
// more under the same Message-ID, given when it was queued (the row's id
// at the service's domain), so that the receiver can drop the copy.
func TestInterruptedMailIsSentAgainWithItsMessageID(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	srv := startSMTP(t)
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00"}}})
	for i := 0; i < 2; i++ { // three signatories each: six mails
		r := e.do("POST", "/api/v1/orders", e.officer, e.orderBody(tn, 0, "1"))
		wantStatus(t, r, http.StatusCreated)
		wantStatus(t, e.do("POST", fmt.Sprintf("/api/v1/orders/%v/submit", r.Map(t)["id"]), e.officer, nil), http.StatusOK)
	}
	var queued []struct {
		ID        int64  `db:"id"`
		MessageID string `db:"message_id"`
	}
	e.db.Select(&queued, `SELECT id, message_id FROM mail_outbox ORDER BY id`)
	if len(queued) != 6 {
		t.Fatalf("%d mails queued", len(queued))
	}
	for _, q := range queued {
		if want := fmt.Sprintf("<mail.%d.", q.ID); !strings.HasPrefix(q.MessageID, want) || !strings.HasSuffix(q.MessageID, "@madaf.example>") {
			t.Fatalf("mail %d has the Message-ID %s", q.ID, q.MessageID)
		}
	}

	var name string
	e.db.Get(&name, `SELECT current_database()`)
	doomed, err := database.Open(ctx, database.WithDatabase(dbtest.ServerURL(t), name))
	if err != nil {
		t.Fatal(err)
	}
	defer doomed.Close()
	crash := &crashing{Mailer: srv.mailer(t), db: doomed, after: 3}
	if n, err := (&orders.Sender{DB: doomed, Mailer: crash, Logger: quiet}).Drain(ctx); err == nil || n != 3 {
		t.Fatalf("the interrupted sender: %d sent, %v", n, err)
	}
	state := func() string {
		t.Helper()
		var s string
		e.db.Get(&s, `SELECT string_agg(status || CASE WHEN status = 'pending' AND next_attempt_at > now() THEN '(leased)' ELSE '' END, ' ' ORDER BY id) FROM mail_outbox`)
		return s
	}
	if s := state(); s != "sent sent pending(leased) pending pending pending" {
		t.Fatalf("after the interruption the outbox is %s", s)
	}
	interrupted := queued[2].MessageID

	// Another sender sends the rest, but not the mail still leased.
	sender := &orders.Sender{DB: e.db, Mailer: srv.mailer(t), Logger: quiet}
	if n, err := sender.Drain(ctx); err != nil || n != 3 {
		t.Fatalf("the next sender: %d sent, %v", n, err)
	}
	if s := state(); s != "sent sent pending(leased) sent sent sent" {
		t.Fatalf("while the lease holds the outbox is %s", s)
	}
	// Once the lease has ended, the interrupted mail goes out again.
	e.db.MustExec(`UPDATE mail_outbox SET next_attempt_at = now() WHERE status = 'pending'`)
	if n, err := sender.Drain(ctx); err != nil || n != 1 {
		t.Fatalf("after the lease: %d sent, %v", n, err)
	}
	if s := state(); s != "sent sent sent sent sent sent" {
		t.Fatalf("at the end the outbox is %s", s)
	}

	copies := map[string][]got{}
	msgs := srv.received(t)
	for _, m := range msgs {
		copies[m.id] = append(copies[m.id], m)
	}
	if len(msgs) != 7 || len(copies) != 6 {
		t.Fatalf("%d messages under %d Message-IDs, want 7 under 6", len(msgs), len(copies))
	}
	for _, q := range queued {
		n := len(copies[q.MessageID])
		if want := map[bool]int{true: 2, false: 1}[q.MessageID == interrupted]; n != want {
			t.Errorf("%s was received %d times, want %d", q.MessageID, n, want)
		}
	}
	if c := copies[interrupted]; len(c) == 2 && c[0] != c[1] {
		t.Errorf("the copy differs from the first: %+v, %+v", c[0], c[1])
	}
}

// TestMailsInTheRecipientsLanguage: each mail is written in its
// recipient's language, labels, values and amounts alike: the officer's and
// the supplier's (whose users read Arabic) in Arabic, the treasurer's in
// Hebrew.
func TestMailsInTheRecipientsLanguage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	srv := startSMTP(t)
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00"}}})
	e.db.MustExec(`UPDATE users SET lang = 'ar' WHERE id = $1 OR supplier_id = $2`, e.officer.ID, tn.Winners[0])
	confirmed := e.mustSent(tn, 0, "2") // 200.00 + 36.00 VAT
	if _, err := e.svc.Confirm(ctx, tn.Users[0].P, confirmed.ID, "", orders.ConfirmInput{PromisedDate: calendar.MustParse("2026-03-20")}); err != nil {
		t.Fatal(err)
	}
	cancelled := e.mustSent(tn, 0, "1")
	if _, err := e.svc.Cancel(ctx, e.officer.P, cancelled.ID, "", orders.CancelInput{Reason: "budget_change"}); err != nil {
		t.Fatal(err)
	}
	mailer, err := imail.New(srv.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (&orders.Sender{DB: e.db, Mailer: mailer}).Drain(ctx); err != nil {
		t.Fatal(err)
	}
	var supplierEmail string
	e.db.Get(&supplierEmail, `SELECT email FROM suppliers WHERE id = $1`, tn.Winners[0])

	// mail finds the one mail to rcpt whose subject holds subject.
	mail := func(rcpt, subject string) string {
		t.Helper()
		subjects, bodies := srv.to(t, rcpt)
		for i, s := range subjects {
			if strings.Contains(s, subject) {
				return bodies[i]
			}
		}
		t.Fatalf("no mail to %s about %q among %q", rcpt, subject, subjects)
		return ""
	}
	hebrew := []string{"מספר הזמנה", "רשות:", "סה\"כ", "קישור", "מכרזי המדף"}
	arabic := []string{"رقم الطلبية", "السلطة المحلية", "المجموع شامل الضريبة", "رابط", "مناقصات الرفّ"}
	for _, m := range []struct {
		name, body string
		want, not  []string
	}{
		{"ToTheSupplierInArabic", mail(supplierEmail, "طلبية جديدة "+confirmed.Number), []string{
			"وصلت طلبية جديدة ضمن مناقصة رفّ", "رقم الطلبية: " + confirmed.Number, "السلطة المحلية: זכרון יעקב (ar)",
			"المورّد: " + confirmed.SupplierName, "المجموع شامل الضريبة: ₪ 236.00", "التأكيد حتى: 2026-03-15",
		}, hebrew},
		{"CancellationReasonInArabic", mail(supplierEmail, "الطلبية "+cancelled.Number+" من זכרון יעקב (ar) أُلغيت"), []string{
			"ألغت السلطة المحلية الطلبية.", "السبب: تغيير في الميزانية", "المجموع شامل الضريبة: ₪ 118.00",
		}, append(hebrew, "budget_change")},
		{"ToTheOfficerInArabic", mail(e.officer.P.Email, "أكّدها المورّد"), []string{
			"أكّد المورّد الطلبية.", "موعد التوريد الموعود: 2026-03-20", "مدف — مناقصات الرفّ للعنقود",
		}, hebrew},
		{"ToTheTreasurerInHebrew", mail(e.treasurer.P.Email, "הזמנה "+confirmed.Number+" של זכרון יעקב ממתינה לחתימתך"), []string{
			"הזמנה ממתינה לחתימתך.", "מספר הזמנה: " + confirmed.Number, "רשות: זכרון יעקב\n", "חתימה נדרשת: גזבר/ית",
			"סה\"כ כולל מע\"מ: ₪ 236.00", "מדף — מכרזי המדף של האשכול",
		}, arabic},
	} {
		t.Run(m.name, func(t *testing.T) {
			for _, s := range m.want {
				if !strings.Contains(m.body, s) {
					t.Errorf("the mail lacks %q:\n%s", s, m.body)
				}
			}
			for _, s := range m.not {
				if strings.Contains(m.body, s) {
					t.Errorf("the mail holds %q:\n%s", s, m.body)
				}
			}
		})
	}
}

// TestSignatureAwaitedMailsReachHoldersAndDelegates: when an order is
// submitted, everyone who may sign a slot of it is mailed, in their own
// language: the holders of each slot and each delegate whose delegation is
// in force today and whose maximum covers the total (the last day and a
// maximum of exactly the total included). A delegate below the total, out
// of dates, revoked or no longer active, and the officer who submitted it,
// are not; the supplier is mailed only once both slots are signed.
func TestSignatureAwaitedMailsReachHoldersAndDelegates(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	srv := startSMTP(t)
	tn := e.mustTender(tenderSpec{rule: "single", winners: 1, prices: [][]string{{"100.00"}}})
	member := func(lang string) user {
		u := e.mustUser(auth.OrgAuthority, e.authority, auth.RoleOfficer)
		e.db.MustExec(`UPDATE users SET lang = $2 WHERE id = $1`, u.ID, lang)
		return u
	}
	treasurerDeputy, headDeputy := member("ar"), member("en")
	e.mustDelegation(e.treasurer, treasurerDeputy, "treasurer", "500.00", "2026-03-01", "2026-03-31")
	e.mustDelegation(e.head, headDeputy, "head", "236.00", "2026-03-01", "2026-03-10")
	notAsked := map[string]user{"below the total": member("he"), "ended": member("he"), "not yet": member("he"),
		"revoked": member("he"), "inactive": member("he"), "submitter": e.officer}
	e.mustDelegation(e.treasurer, notAsked["below the total"], "treasurer", "235.99", "2026-01-01", "2026-12-31")
	e.mustDelegation(e.treasurer, notAsked["ended"], "treasurer", "5000.00", "2026-01-01", "2026-03-09")
	e.mustDelegation(e.head, notAsked["not yet"], "head", "5000.00", "2026-03-11", "2026-12-31")
	revoked := e.mustDelegation(e.head, notAsked["revoked"], "head", "5000.00", "2026-01-01", "2026-12-31")
	e.db.MustExec(`UPDATE signature_delegations SET revoked_at = now(), revoked_by = holder_id WHERE id = $1`, revoked)
	e.mustDelegation(e.treasurer, notAsked["inactive"], "treasurer", "5000.00", "2026-01-01", "2026-12-31")
	e.db.MustExec(`UPDATE users SET active = false WHERE id = $1`, notAsked["inactive"].ID)
	e.mustDelegation(e.head, e.officer, "head", "5000.00", "2026-01-01", "2026-12-31")

	r := e.do("POST", "/api/v1/orders", e.officer, e.orderBody(tn, 0, "2"))
	wantStatus(t, r, http.StatusCreated)
	id := int64(r.Map(t)["id"].(float64))
	r = e.do("POST", fmt.Sprintf("/api/v1/orders/%d/submit", id), e.officer, nil)
	wantStatus(t, r, http.StatusOK)
	number := r.Map(t)["number"].(string)
	if total := r.Map(t)["total"]; total != "236.00" {
		t.Fatalf("total %v", total)
	}
	sender := &orders.Sender{DB: e.db, Mailer: srv.mailer(t)}
	if _, err := sender.Drain(ctx); err != nil {
		t.Fatal(err)
	}

	var supplierEmail string
	e.db.Get(&supplierEmail, `SELECT email FROM suppliers WHERE id = $1`, tn.Winners[0])
	asked := map[string]bool{}
	for _, m := range srv.received(t) {
		asked[m.to] = true
	}
	for _, want := range []struct {
		who                 string
		u                   user
		subject, intro, row string
	}{
		{"the treasurer", e.treasurer, "הזמנה " + number + " של זכרון יעקב ממתינה לחתימתך", "הזמנה ממתינה לחתימתך.", "חתימה נדרשת: גזבר/ית"},
		{"the second treasurer", e.treasurer2, "ממתינה לחתימתך", "הזמנה ממתינה לחתימתך.", "חתימה נדרשת: גזבר/ית"},
		{"the head", e.head, "ממתינה לחתימתך", "הזמנה ממתינה לחתימתך.", "חתימה נדרשת: ראש הרשות"},
		{"the treasurer's delegate", treasurerDeputy, "الطلبية " + number + " من זכרון יעקב (ar) بانتظار توقيعك", "طلبية بانتظار توقيعك.", "التوقيع المطلوب: أمين/ة الصندوق"},
		{"the head's delegate", headDeputy, "Order " + number + " of זכרון יעקב (en) awaits your signature", "An order awaits your signature.", "Signature awaited: Head of authority"},
	} {
		subjects, bodies := srv.to(t, want.u.P.Email)
		if len(bodies) != 1 {
			t.Errorf("%s got %d mails: %q", want.who, len(bodies), subjects)
			continue
		}
		if !strings.Contains(subjects[0], want.subject) || !strings.Contains(bodies[0], want.intro) || !strings.Contains(bodies[0], want.row) {
			t.Errorf("%s's mail lacks %q, %q or %q:\n%s\n%s", want.who, want.subject, want.intro, want.row, subjects[0], bodies[0])
		}
		delete(asked, want.u.P.Email)
	}
	for why, u := range notAsked {
		if asked[u.P.Email] {
			t.Errorf("a delegate %s was mailed", why)
		}
		delete(asked, u.P.Email)
	}
	if len(asked) > 0 {
		t.Errorf("mails to others: %v", asked)
	}

	// The delegates sign both slots; only then is the supplier mailed.
	if code, o := e.sign(id, treasurerDeputy, checksBody); code != http.StatusOK || o["status"] != "pending_approval" {
		t.Fatalf("the treasurer's delegate signs: %d %v", code, o)
	}
	if _, err := sender.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if _, bodies := srv.to(t, supplierEmail); len(bodies) != 0 {
		t.Fatalf("the supplier was mailed after one signature")
	}
	if code, o := e.sign(id, headDeputy, nil); code != http.StatusOK || o["status"] != "sent" {
		t.Fatalf("the head's delegate signs: %d %v", code, o)
	}
	if _, err := sender.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if subjects, _ := srv.to(t, supplierEmail); len(subjects) != 1 || !strings.Contains(subjects[0], "הזמנה חדשה "+number) {
		t.Fatalf("the supplier's mails once both signed: %q", subjects)
	}
	if n := len(srv.received(t)); n != 6 {
		t.Fatalf("%d mails in all, want five signatories and the supplier", n)
	}
}
