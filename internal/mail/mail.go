// Package mail sends plain-text UTF-8 e-mail: over SMTP (net/smtp) when a
// server is configured, or to the log when none is.
package mail

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"net/url"
	"strings"
	"time"
)

// Message is one plain-text mail to one recipient.
type Message struct {
	// ID is the Message-ID header, angle brackets included. Every copy of
	// one mail carries the same, so that a receiver drops a copy sent
	// again; empty, the message gets a random one.
	ID      string
	To      string
	Subject string
	Body    string
}

// Domain is the host of the public address rawURL, for the right-hand side
// of Message-IDs: an IPv6 address in brackets, "localhost" when rawURL
// names no host.
func Domain(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Hostname() == "" {
		return "localhost"
	}
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		return "[" + host + "]"
	}
	return host
}

// Mailer sends a message or says why it could not.
type Mailer interface {
	Send(ctx context.Context, m Message) error
}

// New returns the mailer for rawURL: SMTP for smtp:// or smtps:// URLs
// (see ParseSMTP), the log when rawURL is empty.
func New(rawURL string, logger *slog.Logger) (Mailer, error) {
	if rawURL == "" {
		return &Log{Logger: logger}, nil
	}
	return ParseSMTP(rawURL)
}

// Log writes mails to the log instead of sending them.
type Log struct{ Logger *slog.Logger }

// Send logs m (its id, recipient and subject; the body only at debug
// level, since it may carry what the recipient alone should read); it
// never fails.
func (l *Log) Send(_ context.Context, m Message) error {
	logger := l.Logger
	if logger == nil {
		logger = slog.Default()
	}
	logger.Info("mail (not sent: no SMTP server configured)", "message_id", m.ID, "to", m.To, "subject", m.Subject)
	logger.Debug("mail body", "message_id", m.ID, "body", m.Body)
	return nil
}

// SMTP sends through one SMTP server.
type SMTP struct {
	// Addr is host:port.
	Addr string
	// Username and Password authenticate with PLAIN when set (net/smtp
	// refuses PLAIN without TLS except to localhost).
	Username, Password string
	// From is the sender address.
	From string
	// ImplicitTLS connects with TLS from the start (smtps://, port 465);
	// otherwise STARTTLS is used when the server offers it.
	ImplicitTLS bool
	// HeloName is sent in EHLO (default "localhost").
	HeloName string
}

// ParseSMTP reads smtp://user:pass@host:port?from=madaf@example.org (port
// 25 by default, or 465 for smtps://).
func ParseSMTP(rawURL string) (*SMTP, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("mail: the SMTP URL is malformed")
	}
	s := &SMTP{From: u.Query().Get("from")}
	switch u.Scheme {
	case "smtp":
	case "smtps":
		s.ImplicitTLS = true
	default:
		return nil, fmt.Errorf("mail: the SMTP URL must start with smtp:// or smtps://")
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("mail: the SMTP URL has no host")
	}
	port := u.Port()
	if port == "" {
		port = "25"
		if s.ImplicitTLS {
			port = "465"
		}
	}
	s.Addr = net.JoinHostPort(u.Hostname(), port)
	if u.User != nil {
		s.Username = u.User.Username()
		s.Password, _ = u.User.Password()
	}
	if s.From == "" {
		s.From = "madaf@" + u.Hostname()
	}
	if _, err := mail.ParseAddress(s.From); err != nil {
		return nil, fmt.Errorf("mail: the from address %q is not an e-mail address", s.From)
	}
	return s, nil
}

// Send delivers m, giving up when ctx ends.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	if _, err := mail.ParseAddress(m.To); err != nil {
		return fmt.Errorf("mail: %q is not an e-mail address", m.To)
	}
	host, _, _ := net.SplitHostPort(s.Addr)
	d := net.Dialer{Timeout: 15 * time.Second}
	var conn net.Conn
	var err error
	if s.ImplicitTLS {
		conn, err = (&tls.Dialer{NetDialer: &d, Config: &tls.Config{ServerName: host}}).DialContext(ctx, "tcp", s.Addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", s.Addr)
	}
	if err != nil {
		return fmt.Errorf("mail: connect to %s: %w", s.Addr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("mail: %w", err)
	}
	defer c.Close()
	helo := s.HeloName
	if helo == "" {
		helo = "localhost"
	}
	if err := c.Hello(helo); err != nil {
		return fmt.Errorf("mail: EHLO: %w", err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok && !s.ImplicitTLS {
		if err := c.StartTLS(&tls.Config{ServerName: host}); err != nil {
			return fmt.Errorf("mail: STARTTLS: %w", err)
		}
	}
	if s.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password, host)); err != nil {
			return fmt.Errorf("mail: AUTH: %w", err)
		}
	}
	if err := c.Mail(s.From); err != nil {
		return fmt.Errorf("mail: MAIL FROM: %w", err)
	}
	if err := c.Rcpt(m.To); err != nil {
		return fmt.Errorf("mail: RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("mail: DATA: %w", err)
	}
	if _, err := w.Write(Compose(s.From, m, time.Now())); err != nil {
		return fmt.Errorf("mail: DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("mail: DATA: %w", err)
	}
	return c.Quit()
}

// Compose writes m as an RFC 5322 message: UTF-8 plain text, the subject
// encoded per RFC 2047, the body in base64 so that Hebrew and Arabic pass
// any relay, and m.ID as its Message-ID (a random one when m has none).
func Compose(from string, m Message, at time.Time) []byte {
	var b strings.Builder
	id := m.ID
	if id == "" {
		id = randomID(from)
	}
	header := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	header("From", (&mail.Address{Name: "Madaf", Address: from}).String())
	header("To", (&mail.Address{Address: m.To}).String())
	header("Subject", mime.BEncoding.Encode("UTF-8", m.Subject))
	header("Date", at.Format(time.RFC1123Z))
	header("Message-ID", id)
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=UTF-8")
	header("Content-Transfer-Encoding", "base64")
	b.WriteString("\r\n")
	enc := base64.StdEncoding.EncodeToString([]byte(m.Body))
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return []byte(b.String())
}

// randomID is a Message-ID of random bits at the domain of address from.
func randomID(from string) string {
	b := make([]byte, 12)
	rand.Read(b)
	domain := "madaf"
	if i := strings.LastIndexByte(from, '@'); i >= 0 {
		domain = from[i+1:]
	}
	return "<" + hex.EncodeToString(b) + "@" + domain + ">"
}
