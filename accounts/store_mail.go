package accounts

import (
	"context"

	"madaf/internal/i18n"
	"madaf/internal/mail"
)

// defaultBaseURL is the public address links in mails point at when none
// was given (the documented default of MADAF_BASE_URL).
const defaultBaseURL = "http://localhost:8080"

// WithBaseURL returns the Store writing links in mails to baseURL, the
// service's public address (defaultBaseURL when empty).
func (s *Store) WithBaseURL(baseURL string) *Store {
	c := *s
	c.baseURL = baseURL
	return &c
}

// link is the public address of path.
func (s *Store) link(path string) string {
	if s.baseURL == "" {
		return defaultBaseURL + path
	}
	return s.baseURL + path
}

// mailDomain is the right-hand side of the Message-IDs of the mails.
func (s *Store) mailDomain() string { return mail.Domain(s.link("")) }

// mailLang is lang when the service speaks it, else Hebrew.
func mailLang(lang string) string {
	if i18n.Supported(lang) {
		return lang
	}
	return i18n.DefaultLang
}

// queueMail renders a mail of kind to u, in u's language, and adds it to
// the outbox with the Message-ID every copy of it will carry (the row's id
// and the time it was queued, queue_mail).
func (s *Store) queueMail(ctx context.Context, u *User, kind, link string, facts ...mailFact) error {
	lang := mailLang(u.Lang)
	subject, body := renderMail(i18n.For(lang), kind, u.Name, link, facts...)
	const q = `SELECT queue_mail(NULL, $1, $2, $3, $4, $5, $6)`
	_, err := s.db.ExecContext(ctx, q, kind, u.Email, lang, subject, body, s.mailDomain())
	return err
}
