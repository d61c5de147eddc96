package orders

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"madaf/internal/apperr"
	"madaf/internal/database"
	"madaf/internal/i18n"
	"madaf/internal/mail"
	"madaf/internal/money"
)

// Mails are written to mail_outbox in the transaction of the transition
// that causes them, rendered in the recipient's language with the
// Message-ID every copy will carry, and sent later by a Sender; a
// rolled-back transition sends nothing.

// Kinds of order mail. A kind's subject and first paragraph are the
// catalog keys order.mail.<kind>.subject and order.mail.<kind>.intro.
const (
	mailOrderSent        = "order_sent"
	mailSignatureAwaited = "signature_awaited"
	mailOrderConfirmed   = "order_confirmed"
	mailOrderRejected    = "order_rejected"
	mailOrderDelivered   = "order_delivered"
	mailOrderReturned    = "order_returned"
	mailOrderCancelled   = "order_cancelled"
)

// notice is a mail a step asks for; it is rendered once the step is done,
// from the order as the step left it, in each recipient's language.
type notice struct {
	kind  string
	facts []fact
	to    []recipient
}

// fact is one line a mail adds to the order's own: a label (a catalog key)
// and its value, a text or a key translated in the recipient's language.
type fact struct {
	label string
	value apperr.Arg
}

// text is f's value in cat's language.
func (f fact) text(cat i18n.Catalog) string {
	if f.value.Key != "" {
		return cat.T(f.value.Key)
	}
	return f.value.Text
}

// said is a fact with a plain value (a date, a note, a reason as written).
func said(label, value string) fact { return fact{label: label, value: apperr.Arg{Text: value}} }

// named is a fact whose value is the catalog key key.
func named(label, key string) fact { return fact{label: label, value: apperr.K(key)} }

// notify asks for a mail of kind with facts to each of to (none: no mail).
func (st *step) notify(kind string, facts []fact, to ...recipient) {
	if len(to) > 0 {
		st.notices = append(st.notices, notice{kind: kind, facts: facts, to: to})
	}
}

// notifySupplier mails the supplier's contact address, in the language of
// the supplier's users (Hebrew when it has none).
func (st *step) notifySupplier(ctx context.Context, kind string, facts ...fact) error {
	r, err := st.orders.supplierRecipient(ctx, st.o.SupplierID)
	if err != nil {
		return err
	}
	if r.Email != "" {
		st.notify(kind, facts, r)
	}
	return nil
}

// notifyOfficer mails the officer who created the order, in their language.
func (st *step) notifyOfficer(ctx context.Context, kind string, facts ...fact) error {
	r, err := st.orders.userRecipient(ctx, st.o.CreatedBy)
	if err != nil {
		return err
	}
	st.notify(kind, facts, r)
	return nil
}

// writeNotices renders the notices for o, each in its recipient's
// language, and queues them in the step's transaction.
func (st *step) writeNotices(ctx context.Context, o *Order) error {
	if len(st.notices) == 0 {
		return nil
	}
	link := st.s.baseURL + "/orders/" + strconv.FormatInt(o.ID, 10)
	var mails []queuedMail
	for _, n := range st.notices {
		for _, r := range n.to {
			lang := r.Lang
			if !i18n.Supported(lang) {
				lang = i18n.DefaultLang
			}
			subject, body := renderMail(i18n.For(lang), n.kind, o, o.AuthorityNameIn(lang), link, n.facts)
			mails = append(mails, queuedMail{kind: n.kind, to: r.Email, lang: lang, subject: subject, body: body})
		}
	}
	if len(mails) == 0 {
		return nil
	}
	return st.orders.queueMails(ctx, o.ID, mail.Domain(st.s.baseURL), mails)
}

// renderMail returns the subject and plain-text body of a mail of kind
// about o in cat's language.
func renderMail(cat i18n.Catalog, kind string, o *Order, authority, link string, facts []fact) (subject, body string) {
	subject = cat.T("order.mail."+kind+".subject", o.Number, authority)
	var b strings.Builder
	b.WriteString(cat.T("order.mail."+kind+".intro") + "\n\n")
	line := func(label, value string) { fmt.Fprintf(&b, "%s: %s\n", cat.T(label), value) }
	line("order.mail.number", o.Number)
	line("order.mail.authority", authority)
	line("order.mail.supplier", o.SupplierName)
	line("order.mail.total", money.Format(o.Total.Decimal))
	if kind == mailOrderSent && !o.ConfirmBy.IsZero() {
		line("order.mail.confirm_by", o.ConfirmBy.String())
	}
	for _, f := range facts {
		if v := f.text(cat); v != "" {
			line(f.label, v)
		}
	}
	line("order.mail.link", link)
	b.WriteString("\n" + cat.T("order.mail.closing") + "\n")
	return subject, b.String()
}

// sendTimeout bounds one SMTP conversation; record bounds writing down
// its outcome.
const (
	sendTimeout   = 30 * time.Second
	recordTimeout = 10 * time.Second
)

// Sender drains the mail outbox one mail at a time: it claims a due mail
// with a lease (FOR UPDATE SKIP LOCKED, so that several senders share the
// work and never take one mail at once), sends it under its stored
// Message-ID, and records that it was sent in a commit of its own as soon
// as the SMTP server accepted it. A sender that stops between the two
// leaves the mail to be sent again when the lease ends, with the same
// Message-ID. On failure the mail is retried with exponential backoff
// until MaxAttempts, after which it is dead.
type Sender struct {
	DB     *sqlx.DB
	Mailer mail.Mailer
	Logger *slog.Logger
	// MaxAttempts before a mail is dead (default 8).
	MaxAttempts int
	// Backoff is the wait after the first failure, doubled after each
	// further one and capped at an hour (default 30s).
	Backoff time.Duration
	// Interval between polls of the outbox (default 5s).
	Interval time.Duration
	// Lease is how long a claimed mail stays its sender's before another
	// may take it (default 5 minutes; never less than a minute, twice the
	// time one SMTP conversation may take).
	Lease time.Duration
}

func (s *Sender) defaults() {
	if s.MaxAttempts <= 0 {
		s.MaxAttempts = 8
	}
	if s.Backoff <= 0 {
		s.Backoff = 30 * time.Second
	}
	if s.Interval <= 0 {
		s.Interval = 5 * time.Second
	}
	if s.Lease <= 0 {
		s.Lease = 5 * time.Minute
	}
	s.Lease = max(s.Lease, 2*sendTimeout)
	if s.Logger == nil {
		s.Logger = slog.Default()
	}
}

// Run drains the outbox every Interval until ctx ends.
func (s *Sender) Run(ctx context.Context) {
	s.defaults()
	tick := time.NewTicker(s.Interval)
	defer tick.Stop()
	for {
		if _, err := s.Drain(ctx); err != nil && ctx.Err() == nil {
			s.Logger.Error("mail outbox", "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// Drain sends the mails due now, one by one, and returns how many were
// sent. A mail that fails stays pending with its next attempt pushed back,
// or becomes dead after MaxAttempts.
func (s *Sender) Drain(ctx context.Context) (sent int, err error) {
	defer apperr.Wrap(&err, "orders.Sender.Drain")
	s.defaults()
	store := NewStore(s.DB)
	for ctx.Err() == nil {
		r, ok, err := store.claimMail(ctx, s.Lease)
		if err != nil || !ok {
			return sent, err
		}
		delivered, err := s.deliver(ctx, store, r)
		if delivered {
			sent++
		}
		if err != nil {
			return sent, err
		}
	}
	return sent, ctx.Err()
}

// deliver sends claimed mail r and records the outcome, even when ctx
// ends meanwhile: what the server accepted is recorded as sent.
func (s *Sender) deliver(ctx context.Context, store *Store, r outboxRow) (delivered bool, err error) {
	sendCtx, cancel := context.WithTimeout(ctx, sendTimeout)
	sendErr := s.Mailer.Send(sendCtx, mail.Message{ID: r.MessageID, To: r.Recipient, Subject: r.Subject, Body: r.Body})
	cancel()
	recordCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	if sendErr == nil {
		return true, recordSent(recordCtx, store, r.ID)
	}
	status, wait := "pending", s.backoff(r.Attempts)
	if r.Attempts >= s.MaxAttempts {
		status = "dead"
		s.Logger.Error("mail dead after retries", "outbox_id", r.ID, "attempts", r.Attempts, "error", sendErr)
	} else {
		s.Logger.Warn("mail not sent; will retry", "outbox_id", r.ID, "attempts", r.Attempts, "error", sendErr)
	}
	msg := sendErr.Error()
	if len(msg) > 500 {
		msg = strings.ToValidUTF8(msg[:500], "")
	}
	return false, store.mailFailed(recordCtx, r.ID, r.Attempts, status, msg, wait)
}

// recordSent records mail id as sent, trying again while the database is
// unreachable (until ctx ends): the server has accepted the mail, and a
// record lost to an outage would send it again.
func recordSent(ctx context.Context, store *Store, id int64) error {
	for {
		err := store.mailSent(ctx, id)
		if err == nil || !database.IsUnavailable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// backoff is the wait after the attempts-th failure.
func (s *Sender) backoff(attempts int) time.Duration {
	d := s.Backoff
	for i := 1; i < attempts && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

// MailSender returns the outbox sender for smtpURL (see mail.ParseSMTP); an
// empty or unusable URL logs mails instead of sending them, and an unusable
// one is reported once.
func MailSender(db *sqlx.DB, smtpURL string, logger *slog.Logger) *Sender {
	if logger == nil {
		logger = slog.Default()
	}
	m, err := mail.New(smtpURL, logger)
	if err != nil {
		logger.Error("MADAF_SMTP_URL is not usable; mails are logged instead", "error", err)
		m = &mail.Log{Logger: logger}
	}
	return &Sender{DB: db, Mailer: m, Logger: logger}
}
