package orders

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"madaf/internal/database"
	"madaf/internal/mail"
)

// Mails are written to mail_outbox in the transaction of the transition
// that causes them, rendered in the recipient's language, and sent later
// by a Sender; a rolled-back transition sends nothing.

// Kinds of order mail.
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
// from the order as the step left it.
type notice struct {
	kind  string
	extra map[string]string
	to    []recipient
}

func (st *step) notify(kind string, extra map[string]string, to ...recipient) {
	if len(to) > 0 {
		st.notices = append(st.notices, notice{kind: kind, extra: extra, to: to})
	}
}

// notifySupplier mails the supplier's contact address (in Hebrew).
func (st *step) notifySupplier(ctx context.Context, kind string, extra map[string]string) error {
	email, err := supplierEmail(ctx, st.tx, st.o.SupplierID)
	if err != nil {
		return err
	}
	if email != "" {
		st.notify(kind, extra, recipient{Email: email, Lang: "he"})
	}
	return nil
}

// notifyOfficer mails the officer who created the order, in their language.
func (st *step) notifyOfficer(ctx context.Context, kind string, extra map[string]string) error {
	r, err := userRecipient(ctx, st.tx, st.o.CreatedBy)
	if err != nil {
		return err
	}
	st.notify(kind, extra, *r)
	return nil
}

// writeNotices renders the notices for o and queues them in tx.
func (s *Service) writeNotices(ctx context.Context, tx *sqlx.Tx, o *Order, notices []notice) error {
	if len(notices) == 0 {
		return nil
	}
	names, err := authorityNames(ctx, tx, o.AuthorityID)
	if err != nil {
		return err
	}
	const q = `INSERT INTO mail_outbox (order_id, kind, recipient, lang, subject, body) VALUES ($1, $2, $3, $4, $5, $6)`
	for _, n := range notices {
		for _, r := range n.to {
			lang := r.Lang
			if _, ok := mailTexts[lang]; !ok {
				lang = "he"
			}
			authority := names[lang]
			if authority == "" {
				authority = names["he"]
			}
			subject, body := renderMail(lang, n.kind, o, authority, s.baseURL+"/orders/"+fmt.Sprint(o.ID), n.extra)
			if _, err := tx.ExecContext(ctx, q, o.ID, n.kind, r.Email, lang, subject, body); err != nil {
				return err
			}
		}
	}
	return nil
}

// mailText is one language's wording.
type mailText struct {
	subjects map[string]string // kind → subject format (number, authority)
	intro    map[string]string // kind → first paragraph
	labels   [5]string         // order, authority, supplier, total, link
	roles    map[string]string
	statuses map[string]string
	extra    map[string]string // extra key → label
	closing  string
}

var mailTexts = map[string]mailText{
	"he": {
		subjects: map[string]string{
			mailOrderSent:        "הזמנה חדשה %s מאת %s",
			mailSignatureAwaited: "הזמנה %s של %s ממתינה לחתימתך",
			mailOrderConfirmed:   "הזמנה %s (%s) אושרה על ידי הספק",
			mailOrderRejected:    "הזמנה %s (%s) נדחתה על ידי הספק",
			mailOrderDelivered:   "דיווח אספקה להזמנה %s (%s)",
			mailOrderReturned:    "הזמנה %s (%s) הוחזרה לטיוטה",
			mailOrderCancelled:   "הזמנה %s מאת %s בוטלה",
		},
		intro: map[string]string{
			mailOrderSent:        "התקבלה הזמנה חדשה במסגרת מכרז מדף. נא לאשר או לדחות אותה עד המועד הנקוב.",
			mailSignatureAwaited: "הזמנה ממתינה לחתימתך.",
			mailOrderConfirmed:   "הספק אישר את ההזמנה.",
			mailOrderRejected:    "הספק דחה את ההזמנה.",
			mailOrderDelivered:   "הספק דיווח על אספקה.",
			mailOrderReturned:    "ההזמנה הוחזרה לטיוטה לתיקון.",
			mailOrderCancelled:   "ההזמנה בוטלה על ידי הרשות.",
		},
		labels:   [5]string{"מספר הזמנה", "רשות", "ספק", "סה\"כ כולל מע\"מ", "קישור"},
		roles:    map[string]string{"treasurer": "גזבר/ית", "head": "ראש הרשות"},
		statuses: map[string]string{StatusDelivered: "סופקה במלואה", StatusPartiallyDelivered: "סופקה חלקית"},
		extra: map[string]string{"confirm_by": "לאשר עד", "promised": "מועד אספקה מובטח", "reason": "סיבה",
			"note": "הערה", "role": "חתימה נדרשת", "status": "מצב", "delivered_on": "תאריך אספקה"},
		closing: "מדף — מכרזי המדף של האשכול",
	},
	"ar": {
		subjects: map[string]string{
			mailOrderSent:        "طلبية جديدة %s من %s",
			mailSignatureAwaited: "الطلبية %s من %s بانتظار توقيعك",
			mailOrderConfirmed:   "الطلبية %s (%s) أكّدها المورّد",
			mailOrderRejected:    "الطلبية %s (%s) رفضها المورّد",
			mailOrderDelivered:   "تقرير توريد للطلبية %s (%s)",
			mailOrderReturned:    "الطلبية %s (%s) أُعيدت إلى مسودة",
			mailOrderCancelled:   "الطلبية %s من %s أُلغيت",
		},
		intro: map[string]string{
			mailOrderSent:        "وصلت طلبية جديدة ضمن مناقصة رفّ. يرجى تأكيدها أو رفضها حتى الموعد المحدد.",
			mailSignatureAwaited: "طلبية بانتظار توقيعك.",
			mailOrderConfirmed:   "أكّد المورّد الطلبية.",
			mailOrderRejected:    "رفض المورّد الطلبية.",
			mailOrderDelivered:   "أبلغ المورّد عن توريد.",
			mailOrderReturned:    "أُعيدت الطلبية إلى مسودة للتصحيح.",
			mailOrderCancelled:   "ألغت السلطة المحلية الطلبية.",
		},
		labels:   [5]string{"رقم الطلبية", "السلطة المحلية", "المورّد", "المجموع شامل الضريبة", "رابط"},
		roles:    map[string]string{"treasurer": "أمين الصندوق", "head": "رئيس السلطة"},
		statuses: map[string]string{StatusDelivered: "وُرّدت بالكامل", StatusPartiallyDelivered: "وُرّدت جزئيًا"},
		extra: map[string]string{"confirm_by": "التأكيد حتى", "promised": "موعد التوريد الموعود", "reason": "السبب",
			"note": "ملاحظة", "role": "التوقيع المطلوب", "status": "الحالة", "delivered_on": "تاريخ التوريد"},
		closing: "مدف — مناقصات الرفّ للعنقود",
	},
	"en": {
		subjects: map[string]string{
			mailOrderSent:        "New order %s from %s",
			mailSignatureAwaited: "Order %s of %s awaits your signature",
			mailOrderConfirmed:   "Order %s (%s) was confirmed by the supplier",
			mailOrderRejected:    "Order %s (%s) was rejected by the supplier",
			mailOrderDelivered:   "Delivery report for order %s (%s)",
			mailOrderReturned:    "Order %s (%s) was returned to draft",
			mailOrderCancelled:   "Order %s from %s was cancelled",
		},
		intro: map[string]string{
			mailOrderSent:        "A new order under a shelf tender has arrived. Please confirm or reject it by the deadline.",
			mailSignatureAwaited: "An order awaits your signature.",
			mailOrderConfirmed:   "The supplier confirmed the order.",
			mailOrderRejected:    "The supplier rejected the order.",
			mailOrderDelivered:   "The supplier reported a delivery.",
			mailOrderReturned:    "The order was returned to draft for correction.",
			mailOrderCancelled:   "The authority cancelled the order.",
		},
		labels:   [5]string{"Order number", "Authority", "Supplier", "Total incl. VAT", "Link"},
		roles:    map[string]string{"treasurer": "treasurer", "head": "head of the authority"},
		statuses: map[string]string{StatusDelivered: "delivered in full", StatusPartiallyDelivered: "partially delivered"},
		extra: map[string]string{"confirm_by": "Confirm by", "promised": "Promised delivery", "reason": "Reason",
			"note": "Note", "role": "Signature awaited", "status": "Status", "delivered_on": "Delivered on"},
		closing: "Madaf — the cluster's shelf tenders",
	},
}

// renderMail returns the subject and plain-text body of a mail of kind
// about o in lang.
func renderMail(lang, kind string, o *Order, authority, link string, extra map[string]string) (string, string) {
	t := mailTexts[lang]
	subject := fmt.Sprintf(t.subjects[kind], o.Number, authority)
	var b strings.Builder
	b.WriteString(t.intro[kind] + "\n\n")
	line := func(label, value string) { fmt.Fprintf(&b, "%s: %s\n", label, value) }
	line(t.labels[0], o.Number)
	line(t.labels[1], authority)
	line(t.labels[2], o.SupplierName)
	line(t.labels[3], FormatShekels(o.Total.Decimal))
	if kind == mailOrderSent && !o.ConfirmBy.IsZero() {
		line(t.extra["confirm_by"], o.ConfirmBy.String())
	}
	for _, k := range []string{"role", "status", "promised", "delivered_on", "reason", "note"} {
		v, ok := extra[k]
		if !ok || v == "" {
			continue
		}
		switch k {
		case "role":
			v = t.roles[v]
		case "status":
			v = t.statuses[v]
		}
		line(t.extra[k], v)
	}
	line(t.labels[4], link)
	b.WriteString("\n" + t.closing + "\n")
	return subject, b.String()
}

// Sender drains the mail outbox: it claims due mails with FOR UPDATE SKIP
// LOCKED (so that several instances share the work and never send one mail
// twice at once), sends them, and on failure retries with exponential
// backoff until MaxAttempts, after which the mail is dead.
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
	// Batch is how many mails one transaction claims (default 10).
	Batch int
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
	if s.Batch <= 0 {
		s.Batch = 10
	}
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

// Drain sends the mails due now, batch by batch, and returns how many were
// sent. A mail that fails stays pending with its next attempt pushed back,
// or becomes dead after MaxAttempts.
func (s *Sender) Drain(ctx context.Context) (sent int, err error) {
	s.defaults()
	for ctx.Err() == nil {
		n, claimed, err := s.drainBatch(ctx)
		sent += n
		if err != nil || claimed < s.Batch {
			return sent, err
		}
	}
	return sent, ctx.Err()
}

type outboxRow struct {
	ID        int64  `db:"id"`
	Recipient string `db:"recipient"`
	Subject   string `db:"subject"`
	Body      string `db:"body"`
	Attempts  int    `db:"attempts"`
}

func (s *Sender) drainBatch(ctx context.Context) (sent, claimed int, err error) {
	err = database.WithTx(ctx, s.DB, func(tx *sqlx.Tx) error {
		sent, claimed = 0, 0
		const qClaim = `SELECT id, recipient, subject, body, attempts FROM mail_outbox
			WHERE status = 'pending' AND next_attempt_at <= now()
			ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED`
		var rows []outboxRow
		if err := tx.SelectContext(ctx, &rows, qClaim, s.Batch); err != nil {
			return err
		}
		claimed = len(rows)
		for _, r := range rows {
			sendCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
			err := s.Mailer.Send(sendCtx, mail.Message{To: r.Recipient, Subject: r.Subject, Body: r.Body})
			cancel()
			if err == nil {
				sent++
				if _, err := tx.ExecContext(ctx, `UPDATE mail_outbox SET status = 'sent', attempts = attempts + 1, sent_at = now(), last_error = '' WHERE id = $1`, r.ID); err != nil {
					return err
				}
				continue
			}
			attempts := r.Attempts + 1
			status, wait := "pending", s.backoff(attempts)
			if attempts >= s.MaxAttempts {
				status = "dead"
				s.Logger.Error("mail dead after retries", "outbox_id", r.ID, "attempts", attempts, "error", err)
			} else {
				s.Logger.Warn("mail not sent; will retry", "outbox_id", r.ID, "attempts", attempts, "error", err)
			}
			msg := err.Error()
			if len(msg) > 500 {
				msg = msg[:500]
			}
			const qFail = `UPDATE mail_outbox SET status = $2, attempts = $3, last_error = $4,
				next_attempt_at = now() + make_interval(secs => $5) WHERE id = $1`
			if _, err := tx.ExecContext(ctx, qFail, r.ID, status, attempts, msg, wait.Seconds()); err != nil {
				return err
			}
		}
		return nil
	})
	return sent, claimed, err
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
