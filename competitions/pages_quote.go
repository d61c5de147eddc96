package competitions

import (
	"fmt"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/money"
	"madaf/internal/page"

	"github.com/gin-gonic/gin"
)

// The winner's actions on the request page: a question, the quote, its
// withdrawal and a decline.

func (p *pages) ask(c *gin.Context) error {
	return p.act(c, "competition.page.asked", p.renderShow, func(v *Competition, f *page.Form) (map[string]string, string, error) {
		_, err := p.svc.Ask(c, auth.Caller(c), v.ID, TextInput{Text: f.Value("question")})
		return map[string]string{"text": "question"}, "", err
	})
}

// quote submits a unit price for every line of the request; a price
// refused (above the line's cap, not in agorot, missing) is shown beside
// its line.
func (p *pages) quote(c *gin.Context) error {
	return p.act(c, "competition.page.quoted", p.renderShow, func(v *Competition, f *page.Form) (map[string]string, string, error) {
		caller := auth.Caller(c)
		qf, err := p.svc.QuoteForm(c, caller, v.ID)
		if err != nil {
			return nil, "", err
		}
		f.Values.Set("quote", "1")
		var in QuoteInput
		rename := map[string]string{"lines": ""}
		for i, l := range qf.Lines {
			name := priceField(l.ItemID)
			price := f.Decimal(name, page.Required)
			rename[fmt.Sprintf("lines[%d].unit_price", i)] = name
			rename[fmt.Sprintf("lines[%d].item_id", i)] = name
			in.Lines = append(in.Lines, QuoteLineInput{ItemID: l.ItemID, UnitPrice: money.Of(price)})
		}
		if !f.Valid() {
			return nil, "", nil
		}
		_, err = p.svc.SubmitQuote(c, caller, v.ID, in)
		return rename, "", err
	})
}

// withdraw takes the winner's quote back, once confirmed.
func (p *pages) withdraw(c *gin.Context) error {
	return p.act(c, "competition.page.withdrawn", p.renderShow, func(v *Competition, f *page.Form) (map[string]string, string, error) {
		if err := allowed(auth.Caller(c), actWithdraw); err != nil {
			return nil, "", err
		}
		if !page.Confirmed(f) {
			p.eng.Confirm(c, page.Confirmation{
				Title:        apperr.M("competition.page.confirm_withdraw_title", v.TenderNumber),
				Consequences: []apperr.Msg{apperr.M("competition.page.confirm_withdraw_effect")},
				Action:       path(v.ID, "/quote/withdraw"), Values: f.Values,
				Button: apperr.M("competition.page.withdraw"), Back: path(v.ID),
			})
			return nil, "", errConfirming
		}
		_, err := p.svc.WithdrawQuote(c, auth.Caller(c), v.ID)
		return nil, "", err
	})
}

// decline refuses to quote in this round with a reason, once confirmed.
func (p *pages) decline(c *gin.Context) error {
	return p.act(c, "competition.page.declined", p.renderShow, func(v *Competition, f *page.Form) (map[string]string, string, error) {
		rename := map[string]string{"text": "decline_reason"}
		if err := allowed(auth.Caller(c), actDecline); err != nil {
			return nil, "", err
		}
		in := TextInput{Text: f.Value("decline_reason")}
		if err := in.check("competition.decline_invalid", MaxReason); err != nil {
			return rename, "", err
		}
		if !page.Confirmed(f) {
			p.eng.Confirm(c, page.Confirmation{
				Title:        apperr.M("competition.page.confirm_decline_title", v.TenderNumber),
				Consequences: []apperr.Msg{apperr.M("competition.page.confirm_decline_effect")},
				Action:       path(v.ID, "/decline"), Values: f.Values,
				Button: apperr.M("competition.page.decline"), Back: path(v.ID),
			})
			return nil, "", errConfirming
		}
		_, err := p.svc.Decline(c, auth.Caller(c), v.ID, in)
		return rename, "", err
	})
}
