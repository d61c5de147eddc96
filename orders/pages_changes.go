package orders

import (
	"fmt"
	"slices"

	"github.com/gin-gonic/gin"

	"madaf/catalog"
	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/page"
	"madaf/internal/web"
)

// changesView is the order page's change requests: each revision proposed,
// side by side with the order before it, with the actions the caller may
// take on it, and the officer's form to propose one.
type changesView struct {
	List []changeView
	// CanPropose is the officer's, on an order that may change and has no
	// change open; Addable are the tender's items not on the order.
	CanPropose bool
	Addable    []catalog.Item
}

// changeView is one change request and what the caller may do with it.
type changeView struct {
	*Change
	// Fills are the slots the caller may sign it in; SignWhy says why a
	// signatory may not.
	Fills                              []Fill
	SignWhy                            []apperr.Msg
	CanAccept, CanDecline, CanWithdraw bool
}

// OffersTreasurer reports whether the caller may sign the change in the
// treasurer's slot, which asks for the three checks.
func (v changeView) OffersTreasurer() bool {
	return slices.ContainsFunc(v.Fills, func(f Fill) bool { return f.Slot == SlotTreasurer })
}

// changes reads the order page's change requests for caller.
func (p *pages) changes(c *gin.Context, caller *auth.Principal, o *Order) (*changesView, error) {
	list, err := p.svc.Changes(c, caller, o.ID)
	if err != nil {
		return nil, err
	}
	v := &changesView{}
	officer := caller.Has(auth.RoleOfficer) && caller.AuthorityID == o.AuthorityID
	supplier := caller.Has(auth.RoleSupplier) && caller.SupplierID == o.SupplierID
	mayChange := slices.Contains(changeFrom, o.Status)
	open := false
	for i := range list {
		ch := &list[i]
		cv := changeView{Change: ch}
		open = open || ch.Open()
		if mayChange {
			if cv.Fills, cv.SignWhy, err = p.svc.ChangeSignOptions(c, caller, o, ch); err != nil {
				return nil, err
			}
			cv.CanAccept = supplier && ch.Status == ChangePendingSupplier
			cv.CanDecline = cv.CanAccept
			cv.CanWithdraw = officer && ch.Open()
		}
		v.List = append(v.List, cv)
	}
	// Oldest first, as the order's timeline (the store answers newest first).
	slices.Reverse(v.List)
	v.CanPropose = officer && mayChange && !open
	if v.CanPropose {
		items, err := p.svc.stores.catalog.Items(c, o.TenderID)
		if err != nil {
			return nil, err
		}
		for _, it := range items {
			if !slices.ContainsFunc(o.Lines, func(l Line) bool { return l.ItemID == it.ID }) {
				v.Addable = append(v.Addable, it)
			}
		}
	}
	return v, nil
}

// Change form fields: chg_qty_<line> (the line's new quantity, 0 removes
// it), chg_add_item and chg_add_qty (a line added), chg_address, chg_date
// and chg_reason.
func changeQtyField(lineID int64) string { return "chg_qty_" + page.Itoa(lineID) }

// proposeChange proposes a change of the order from its page: only what
// differs from the order is sent.
func (p *pages) proposeChange(c *gin.Context) error {
	return p.act(c, ActionChange, "order.change.proposed", func(o *Order, f *page.Form) (map[string]string, error) {
		in := ChangeInput{Reason: f.Value("chg_reason")}
		rename := map[string]string{"reason": "chg_reason", "delivery_address": "chg_address", "requested_date": "chg_date", "lines": ""}
		for _, l := range o.Lines {
			field := changeQtyField(l.ID)
			if f.Value(field) == "" {
				continue
			}
			q := f.Decimal(field, false)
			if q.Equal(l.Quantity.Decimal) {
				continue
			}
			n := len(in.Lines)
			rename[fmt.Sprintf("lines[%d].quantity", n)] = field
			rename[fmt.Sprintf("lines[%d].line_id", n)] = field
			in.Lines = append(in.Lines, ChangeLineInput{LineID: l.ID, Quantity: &Quantity{q}})
		}
		if item := f.Int64("chg_add_item", false); item > 0 {
			n := len(in.Lines)
			rename[fmt.Sprintf("lines[%d].quantity", n)] = "chg_add_qty"
			rename[fmt.Sprintf("lines[%d].item_id", n)] = "chg_add_item"
			in.Lines = append(in.Lines, ChangeLineInput{ItemID: item, Quantity: &Quantity{f.Decimal("chg_add_qty", page.Required)}})
		}
		if a := f.Value("chg_address"); a != "" && a != o.DeliveryAddress {
			in.DeliveryAddress = &a
		}
		if d := f.Date("chg_date", false); !d.IsZero() && d != o.RequestedDate {
			in.RequestedDate = d
		}
		if !f.Valid() {
			return nil, nil
		}
		_, _, err := p.svc.ProposeChange(c, auth.Caller(c), o.ID, f.Value("etag"), in)
		return rename, err
	})
}

// onChangePage runs action on the :change_id change of the order from its
// page.
func (p *pages) onChangePage(c *gin.Context, action, flash string,
	run func(o *Order, changeID int64, f *page.Form) (map[string]string, error)) error {
	changeID, err := web.ParamID(c, "change_id", "not_found.change")
	if err != nil {
		return err
	}
	return p.act(c, action, flash, func(o *Order, f *page.Form) (map[string]string, error) {
		return run(o, changeID, f)
	})
}

func (p *pages) signChange(c *gin.Context) error {
	return p.onChangePage(c, ActionChangeSign, "order.change.signed", func(o *Order, id int64, f *page.Form) (map[string]string, error) {
		in := SignInput{Slot: f.Value("slot"), Role: f.Value("role"), Legal: f.Value("legal") == "on", BudgetLine: f.Value("budget_line") == "on",
			NoDeficit: f.Value("no_deficit") == "on", Note: f.Value("sign_note")}
		_, _, err := p.svc.SignChange(c, auth.Caller(c), o.ID, id, f.Value("etag"), in)
		return map[string]string{"note": "sign_note"}, err
	})
}

func (p *pages) acceptChange(c *gin.Context) error {
	return p.onChangePage(c, ActionChangeAccept, "order.change.accepted", func(o *Order, id int64, f *page.Form) (map[string]string, error) {
		_, _, err := p.svc.AcceptChange(c, auth.Caller(c), o.ID, id, f.Value("etag"), ChangeNoteInput{Note: f.Value("change_note")})
		return map[string]string{"note": "change_note"}, err
	})
}

func (p *pages) declineChange(c *gin.Context) error {
	return p.onChangePage(c, ActionChangeDecline, "order.change.declined", func(o *Order, id int64, f *page.Form) (map[string]string, error) {
		in := DeclineInput{Reason: f.Text("decline_reason", page.Required)}
		if !f.Valid() {
			return nil, nil
		}
		_, _, err := p.svc.DeclineChange(c, auth.Caller(c), o.ID, id, f.Value("etag"), in)
		return map[string]string{"reason": "decline_reason"}, err
	})
}

func (p *pages) withdrawChange(c *gin.Context) error {
	return p.onChangePage(c, ActionChangeWithdraw, "order.change.withdrawn", func(o *Order, id int64, f *page.Form) (map[string]string, error) {
		_, _, err := p.svc.WithdrawChange(c, auth.Caller(c), o.ID, id, f.Value("etag"), ChangeNoteInput{Note: f.Value("change_note")})
		return map[string]string{"note": "change_note"}, err
	})
}
