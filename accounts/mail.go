package accounts

import (
	"fmt"
	"strings"
	"time"

	"madaf/internal/i18n"
	"madaf/internal/page"
)

// Mails are written to mail_outbox in the transaction of the change they
// tell of, in the user's language, and sent later by the outbox sender; a
// change rolled back sends nothing.

// Kinds of account mail. A kind's subject, first paragraph and closing
// advice are the catalog keys account.mail.<kind>.subject, .intro and
// .advice.
const (
	mailPasswordChanged     = "account_password_changed"
	mailSecondFactorEnabled = "account_second_factor_enabled"
	mailSecondFactorOff     = "account_second_factor_disabled"
	mailNewAddress          = "account_new_address"
	mailResetLink           = "account_reset_link"
	mailInvitation          = "account_invitation"
)

// mailFact is one line of a mail: a label (a catalog key) and its value.
type mailFact struct {
	label string
	value string
}

// when is the fact "when": t in Israel time.
func when(t time.Time) mailFact { return mailFact{"account.mail.when", page.FormatDateTime(t)} }

// from is the fact "from the address".
func from(address string) mailFact { return mailFact{"account.mail.address", address} }

// validUntil is the fact "the link is good until".
func validUntil(t time.Time) mailFact {
	return mailFact{"account.mail.valid_until", page.FormatDateTime(t)}
}

// renderMail returns the subject and plain-text body of a mail of kind to
// name in cat's language: greeting, intro, facts, the link, the advice.
func renderMail(cat i18n.Catalog, kind, name, link string, facts ...mailFact) (subject, body string) {
	subject = cat.T("account.mail." + kind + ".subject")
	var b strings.Builder
	b.WriteString(cat.T("account.mail.greeting", name) + "\n\n")
	b.WriteString(cat.T("account.mail."+kind+".intro") + "\n\n")
	for _, f := range facts {
		fmt.Fprintf(&b, "%s: %s\n", cat.T(f.label), f.value)
	}
	if link != "" {
		fmt.Fprintf(&b, "%s: %s\n", cat.T("account.mail.link"), link)
	}
	b.WriteString("\n" + cat.T("account.mail."+kind+".advice") + "\n\n")
	b.WriteString(cat.T("account.mail.closing") + "\n")
	return subject, b.String()
}
