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
	"net/mail"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"madaf/internal/calendar"
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

// to returns the messages received for rcpt, parsed, with decoded subject
// and body.
func (s *smtpServer) to(t *testing.T, rcpt string) (subjects, bodies []string) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.msgs {
		if len(m.to) != 1 || m.to[0] != rcpt {
			continue
		}
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
		subjects, bodies = append(subjects, subject), append(bodies, string(body))
	}
	return subjects, bodies
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

// counting records every recipient it sends to.
type counting struct {
	mu   sync.Mutex
	sent []string
}

func (c *counting) Send(_ context.Context, m imail.Message) error {
	c.mu.Lock()
	c.sent = append(c.sent, m.To)
	c.mu.Unlock()
	time.Sleep(time.Millisecond)
	return nil
}

func TestOutboxRetriesThenGivesUp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.db.MustExec(`INSERT INTO mail_outbox (kind, recipient, subject, body) VALUES ('order_sent', 'x@example.com', 's', 'b')`)
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

func TestOutboxDrainedByConcurrentSendersOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for i := 0; i < 40; i++ {
		e.db.MustExec(`INSERT INTO mail_outbox (kind, recipient, subject, body) VALUES ('order_sent', $1, 's', 'b')`, fmt.Sprintf("r%d@example.com", i))
	}
	c := &counting{}
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := &orders.Sender{DB: e.db, Mailer: c, Batch: 5}
			if _, err := s.Drain(ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, to := range c.sent {
		if seen[to] {
			t.Fatalf("%s got the mail twice", to)
		}
		seen[to] = true
	}
	if len(seen) != 40 {
		t.Fatalf("%d of 40 mails sent", len(seen))
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
