package orders

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
	"github.com/shopspring/decimal"

	"madaf/internal/auth"
	"madaf/internal/calendar"
)

// demoOrder is one order of the demo cluster: who orders what, and how far
// along its lifecycle it is.
type demoOrder struct {
	officer  string // e-mail of the ordering officer
	tender   string // tender number
	supplier string // company number; "" = the rotation's proposal
	amount   int64  // roughly the subtotal wanted, in shekels
	status   string
	address  string
	notes    string
}

var demoOrders = []demoOrder{
	{"officer@zichron.example", "01/2024", "510000011", 4200, StatusClosed, "מרכז רפואי קהילתי, רחוב המייסדים 40, זכרון יעקב", "ערכות עזרה ראשונה לבתי הספר"},
	{"officer@zichron.example", "01/2024", "510000011", 9800, StatusDelivered, "אגף החינוך, רחוב הנדיב 12, זכרון יעקב", "מדי לחץ דם למרפאות בתי הספר"},
	{"officer@zichron.example", "01/2024", "510000011", 15600, StatusPartiallyDelivered, "מוקד עירוני, רחוב הנדיב 1, זכרון יעקב", "דפיברילטורים למבני ציבור"},
	{"officer@zichron.example", "01/2024", "510000011", 6300, StatusConfirmed, "מועדון קהילתי, רחוב השומרון 3, זכרון יעקב", "ציוד עזרה ראשונה למועדונים"},
	{"officer@zichron.example", "04/2024", "", 38000, StatusSent, "גן המייסדים, זכרון יעקב", "החלפת מתקנים בגן השעשועים"},
	{"officer@zichron.example", "05/2024", "510000052", 61000, StatusPendingApproval, "בית העם, רחוב המייסדים 2, זכרון יעקב", "שיפוץ חדרי השירותים"},
	{"officer@zichron.example", "02/2024", "", 12500, StatusDraft, "בניין המועצה, רחוב הנדיב 1, זכרון יעקב", "עמדות עבודה למחלקת הגבייה"},
	{"officer@kafrqara.example", "09/2024", "", 7400, StatusPendingApproval, "מבנה המועצה, כפר קרע", "חומרי ניקיון לבתי הספר"},
}

// demoBudgetCodes is the budget line each tender category is charged to.
var demoBudgetCodes = map[string]string{
	"ציוד רפואי": "1-613-740", "מחשוב": "1-611-750", "גני משחקים": "1-746-750",
	"בינוי ושיפוצים": "1-742-760", "ניקיון ותחזוקה": "1-742-760",
}

// SeedDemo adds the demo cluster's orders in handling (and one closed
// order) through the service, so that each carries its events, volumes and
// mails. It runs after the foundation's and the catalog's demo data, does
// nothing when orders exist, and skips an order whose officer or tender is
// missing.
func SeedDemo(ctx context.Context, db *sqlx.DB) error {
	var n int
	if err := db.GetContext(ctx, &n, `SELECT count(*) FROM orders`); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	svc := NewService(db, Options{})
	users := auth.NewStore(db)
	principal := func(email string) (*auth.Principal, error) {
		var id int64
		if err := db.GetContext(ctx, &id, `SELECT id FROM users WHERE lower(email) = lower($1)`, email); err != nil {
			return nil, err
		}
		u, err := users.User(ctx, id)
		if err != nil {
			return nil, err
		}
		return u.Principal(), nil
	}
	for _, d := range demoOrders {
		officer, err := principal(d.officer)
		if err != nil {
			continue
		}
		if err := seedOrder(ctx, db, svc, principal, officer, d); err != nil {
			return fmt.Errorf("order on tender %s: %w", d.tender, err)
		}
	}
	return nil
}

func seedOrder(ctx context.Context, db *sqlx.DB, svc *Service, principal func(string) (*auth.Principal, error), officer *auth.Principal, d demoOrder) error {
	today := calendar.Today()
	var t struct {
		ID       int64  `db:"id"`
		Category string `db:"category"`
	}
	if err := db.GetContext(ctx, &t, `SELECT id, category FROM tenders WHERE number = $1`, d.tender); err != nil {
		return nil // the catalog's demo has no such tender
	}
	tr, err := getTender(ctx, db, t.ID, false)
	if err != nil {
		return err
	}
	var supplierID int64
	switch {
	case d.supplier != "":
		if err := db.GetContext(ctx, &supplierID, `SELECT id FROM suppliers WHERE company_number = $1`, d.supplier); err != nil {
			return err
		}
	case tr.AwardRule == "rotation":
		p, err := propose(ctx, db, tr, today)
		if err != nil || p == nil {
			return err
		}
		supplierID = *p
	default:
		if err := db.GetContext(ctx, &supplierID, `SELECT supplier_id FROM awards WHERE tender_id = $1 AND status = 'active' ORDER BY id LIMIT 1`, t.ID); err != nil {
			return err
		}
	}
	var budgetLine int64
	const qLine = `SELECT id FROM budget_lines WHERE authority_id = $1 AND fiscal_year = $2
		ORDER BY (code = $3) DESC, amount DESC LIMIT 1`
	if err := db.GetContext(ctx, &budgetLine, qLine, officer.AuthorityID, today.Year(), demoBudgetCodes[t.Category]); err != nil {
		return err
	}

	// Up to two items the supplier prices today, in quantities that make
	// about the amount wanted.
	var items []struct {
		ID    int64           `db:"id"`
		Price decimal.Decimal `db:"price"`
	}
	const qItems = `SELECT i.id, p.price FROM tender_items i
		JOIN awards a ON a.tender_id = i.tender_id AND a.supplier_id = $2
		CROSS JOIN LATERAL (SELECT price FROM award_prices ap WHERE ap.award_id = a.id AND ap.item_id = i.id AND ap.valid_from <= $3
			ORDER BY ap.valid_from DESC, ap.id DESC LIMIT 1) p
		WHERE i.tender_id = $1 ORDER BY i.id LIMIT 2`
	if err := db.SelectContext(ctx, &items, qItems, t.ID, supplierID, today); err != nil {
		return err
	}
	if len(items) == 0 {
		return nil
	}
	in := NewOrder{TenderID: t.ID, SupplierID: supplierID, BudgetLineID: budgetLine, DeliveryAddress: d.address,
		RequestedDate: calendar.AddBusinessDays(today, 15), Notes: d.notes}
	share := decimal.NewFromInt(d.amount).Div(decimal.NewFromInt(int64(len(items))))
	for _, it := range items {
		qty := share.Div(it.Price).Ceil()
		in.Lines = append(in.Lines, LineInput{ItemID: it.ID, Quantity: Quantity{decimal.Max(qty, decimal.NewFromInt(1))}})
	}
	o, _, err := svc.Create(ctx, officer, in, "")
	if err != nil || d.status == StatusDraft {
		return err
	}
	if o, err = svc.Submit(ctx, officer, o.ID, ""); err != nil {
		return err
	}
	if d.status == StatusPendingApproval {
		if len(o.SignaturesRequired) > 1 {
			if treasurer, err := principal(authorityUser(ctx, db, o.AuthorityID, auth.RoleTreasurer)); err == nil {
				_, err = svc.Sign(ctx, treasurer, o.ID, "", SignInput{Legal: true, BudgetLine: true, NoDeficit: true})
				return err
			}
		}
		return nil
	}
	for _, role := range o.SignaturesRequired {
		signer, err := principal(authorityUser(ctx, db, o.AuthorityID, role))
		if err != nil {
			return fmt.Errorf("no %s to sign the demo order: %w", role, err)
		}
		if o, err = svc.Sign(ctx, signer, o.ID, "", SignInput{Legal: true, BudgetLine: true, NoDeficit: true}); err != nil {
			return err
		}
	}
	if d.status == StatusSent {
		return nil
	}
	supplier, err := principal(supplierUser(ctx, db, supplierID))
	if err != nil {
		return fmt.Errorf("no user of supplier %d to confirm the demo order: %w", supplierID, err)
	}
	if o, err = svc.Confirm(ctx, supplier, o.ID, "", ConfirmInput{PromisedDate: calendar.AddBusinessDays(today, 10)}); err != nil {
		return err
	}
	if d.status == StatusConfirmed {
		return nil
	}
	var delivery DeliverInput
	for _, l := range o.Lines {
		delivery.Lines = append(delivery.Lines, DeliveryLine{LineID: l.ID, Quantity: l.Quantity})
	}
	if d.status == StatusPartiallyDelivered {
		if len(delivery.Lines) > 1 {
			delivery.Lines = delivery.Lines[:1]
		} else {
			delivery.Lines[0].Quantity = Quantity{o.Lines[0].Quantity.Div(decimal.NewFromInt(2)).Floor()}
			if !delivery.Lines[0].Quantity.IsPositive() {
				return nil
			}
		}
	}
	if len(delivery.Lines) == 0 {
		return nil
	}
	if o, err = svc.Deliver(ctx, supplier, o.ID, "", delivery); err != nil {
		return err
	}
	if d.status == StatusClosed {
		_, err = svc.Close(ctx, officer, o.ID, "", CloseInput{InvoiceRef: fmt.Sprintf("INV-%d-%04d", today.Year(), o.ID)})
	}
	return err
}

// authorityUser returns the e-mail of the authority's first active user
// holding role, or "".
func authorityUser(ctx context.Context, q sqlx.QueryerContext, authorityID int64, role string) string {
	us, err := authorityUsers(ctx, q, authorityID, role)
	if err != nil || len(us) == 0 {
		return ""
	}
	return us[0].Email
}

// supplierUser returns the e-mail of the supplier's first active user, or "".
func supplierUser(ctx context.Context, q sqlx.QueryerContext, supplierID int64) string {
	var email string
	sqlx.GetContext(ctx, q, &email, `SELECT email FROM users WHERE supplier_id = $1 AND active ORDER BY id LIMIT 1`, supplierID)
	return email
}
