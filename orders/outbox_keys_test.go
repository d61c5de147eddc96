package orders

import (
	"testing"

	"madaf/internal/i18n"
	"madaf/internal/orderstatus"
)

// TestMailKeysInCatalogs: every kind of mail has its subject and first
// paragraph, and every label and value a mail uses its text, in each
// language (renderMail builds these keys at run time).
func TestMailKeysInCatalogs(t *testing.T) {
	keys := []string{"order.mail.number", "order.mail.authority", "order.mail.supplier", "order.mail.total",
		"order.mail.confirm_by", "order.mail.promised", "order.mail.reason", "order.mail.note", "order.mail.role",
		"order.mail.status", "order.mail.delivered_on", "order.mail.link", "order.mail.closing",
		"order.mail.status." + orderstatus.Delivered, "order.mail.status." + orderstatus.PartiallyDelivered}
	for _, kind := range []string{mailOrderSent, mailSignatureAwaited, mailOrderConfirmed, mailOrderRejected,
		mailOrderDelivered, mailOrderReturned, mailOrderCancelled} {
		keys = append(keys, "order.mail."+kind+".subject", "order.mail."+kind+".intro")
	}
	for _, reason := range CancelReasons {
		keys = append(keys, "cancel_reason."+reason)
	}
	for _, lang := range i18n.Langs {
		for _, k := range keys {
			if !i18n.For(lang).Has(k) {
				t.Errorf("%s lacks %q", lang, k)
			}
		}
	}
}
