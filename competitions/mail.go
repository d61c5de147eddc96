package competitions

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/i18n"
	"madaf/internal/mail"
)

// Mails are queued in the transaction of the step that causes them
// (queue_mail), each rendered in its recipient's language; a rolled-back
// step sends nothing. A mail never carries a quote's price.

// Kinds of competition mail. A kind's subject and first paragraph are the
// catalog keys competition.mail.<kind>.subject and .intro.
const (
	mailInvited       = "competition_invited"
	mailTermsChanged  = "competition_terms_changed"
	mailAnswered      = "competition_answered"
	mailQuestionAsked = "competition_question"
	mailDeclined      = "competition_declined"
	mailClosed        = "competition_closed"
	mailUnsuccessful  = "competition_unsuccessful"
	mailDecided       = "competition_decided"
	mailChosen        = "competition_chosen"
	mailNotChosen     = "competition_not_chosen"
	mailCancelled     = "competition_cancelled"
)

// notice is a mail a step asks for, rendered once the step is done.
type notice struct {
	kind  string
	facts []fact
	to    []recipient
}

// fact is one line a mail adds: a label (a catalog key) and its value, a
// text or a key translated in the recipient's language.
type fact struct {
	label string
	value apperr.Arg
}

// said is a fact with a plain value.
func said(label, value string) fact { return fact{label: label, value: apperr.Arg{Text: value}} }

// named is a fact whose value is the catalog key key.
func named(label, key string) fact { return fact{label: label, value: apperr.K(key)} }

// notify asks for a mail of kind with facts to each of to.
func (st *step) notify(kind string, facts []fact, to ...recipient) {
	var kept []recipient
	for _, r := range to {
		if r.Email != "" {
			kept = append(kept, r)
		}
	}
	if len(kept) > 0 {
		st.notices = append(st.notices, notice{kind: kind, facts: facts, to: kept})
	}
}

// notifySupplier mails supplierID's contact address.
func (st *step) notifySupplier(ctx context.Context, supplierID int64, kind string, facts ...fact) error {
	r, err := st.store.supplierRecipient(ctx, supplierID)
	if err != nil {
		return err
	}
	st.notify(kind, facts, r)
	return nil
}

// notifyInvited mails every winner invited to the step's round (but those
// that declined, when notDeclined).
func (st *step) notifyInvited(ctx context.Context, kind string, notDeclined bool, facts ...fact) error {
	for _, inv := range st.c.Invitations {
		if inv.Round != st.c.Round || notDeclined && inv.DeclinedAt != nil {
			continue
		}
		if err := st.notifySupplier(ctx, inv.SupplierID, kind, facts...); err != nil {
			return err
		}
	}
	return nil
}

// notifyOfficer mails the officer who made the request.
func (st *step) notifyOfficer(ctx context.Context, kind string, facts ...fact) error {
	rs, err := st.store.userRecipient(ctx, st.c.CreatedBy)
	if err != nil {
		return err
	}
	st.notify(kind, facts, rs...)
	return nil
}

// notifyCommittee mails the members of the authority's committee.
func (st *step) notifyCommittee(ctx context.Context, kind string, facts ...fact) error {
	rs, err := st.store.authorityRecipients(ctx, st.c.AuthorityID, []string{auth.RoleCEO, auth.RoleTreasurer, auth.RoleLegalAdviser})
	if err != nil {
		return err
	}
	st.notify(kind, facts, rs...)
	return nil
}

// writeNotices renders the step's notices, each in its recipient's
// language, and queues them in the step's transaction.
func (st *step) writeNotices(ctx context.Context) error {
	if len(st.notices) == 0 {
		return nil
	}
	c := st.c
	t, err := st.catalog.Tender(ctx, c.TenderID)
	if err != nil {
		return err
	}
	names, err := st.store.authorityNames(ctx, c.AuthorityID)
	if err != nil {
		return err
	}
	link := st.s.baseURL + "/competitions/" + strconv.FormatInt(c.ID, 10)
	domain := mail.Domain(st.s.baseURL)
	for _, n := range st.notices {
		for _, r := range n.to {
			lang := r.Lang
			if !i18n.Supported(lang) {
				lang = i18n.DefaultLang
			}
			m := mailText{kind: n.kind, tender: t.Number, title: t.TitleIn(lang), authority: names[lang], link: link, facts: n.facts}
			subject, body := m.render(i18n.For(lang), c)
			if err := st.store.queueMail(ctx, n.kind, r.Email, lang, subject, body, domain); err != nil {
				return err
			}
		}
	}
	return nil
}

// mailText is what one mail says about a competition.
type mailText struct {
	kind, tender, title, authority, link string
	facts                                []fact
}

// render returns the subject and plain-text body of m in cat's language.
func (m mailText) render(cat i18n.Catalog, c *Competition) (subject, body string) {
	subject = cat.T("competition.mail."+m.kind+".subject", m.tender, m.authority)
	var b strings.Builder
	b.WriteString(cat.T("competition.mail."+m.kind+".intro") + "\n\n")
	line := func(label, value string) { fmt.Fprintf(&b, "%s: %s\n", cat.T(label), value) }
	line("competition.mail.number", strconv.FormatInt(c.ID, 10))
	line("competition.mail.tender", m.tender+" — "+m.title)
	line("competition.mail.authority", m.authority)
	for _, f := range m.facts {
		v := f.value.Text
		if f.value.Key != "" {
			v = cat.T(f.value.Key)
		}
		if v != "" {
			line(f.label, v)
		}
	}
	line("competition.mail.link", m.link)
	b.WriteString("\n" + cat.T("competition.mail.closing") + "\n")
	return subject, b.String()
}
