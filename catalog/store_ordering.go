package catalog

import (
	"context"

	"madaf/internal/apperr"
)

// What an order reads of a tender while it reserves capacity: the tender
// and the authority's participation, each row locked until the end of the
// store's transaction, in the order the orders package documents (the
// order, the tender, the tender authority, then the budget line).

// LockTender returns tender id, without its authorities, locking its row
// (whose ceiling an order reserves from) until the end of the store's
// transaction; apperr not-found ("not_found.tender") when it is missing.
func (s *Store) LockTender(ctx context.Context, id int64) (_ *Tender, err error) {
	defer apperr.Wrap(&err, "catalog.Store.LockTender(%d)", id)
	const q = `SELECT ` + tenderColumns + ` FROM tenders t WHERE t.id = $1 FOR UPDATE`
	var t Tender
	if err := s.db.GetContext(ctx, &t, q, id); err != nil {
		return nil, notFound(err, "not_found.tender")
	}
	return &t, nil
}

// LockParticipation returns authorityID's participation in tender
// tenderID (its allocation, nil when none), locking the row until the end
// of the store's transaction; apperr not-found ("not_found.tender") when
// the tender is not open to the authority.
func (s *Store) LockParticipation(ctx context.Context, tenderID, authorityID int64) (_ *TenderAuthority, err error) {
	defer apperr.Wrap(&err, "catalog.Store.LockParticipation(%d, %d)", tenderID, authorityID)
	const q = `SELECT ta.authority_id, a.name_he, ta.allocation
		FROM tender_authorities ta JOIN authorities a ON a.id = ta.authority_id
		WHERE ta.tender_id = $1 AND ta.authority_id = $2 FOR UPDATE OF ta`
	var ta TenderAuthority
	if err := s.db.GetContext(ctx, &ta, q, tenderID, authorityID); err != nil {
		return nil, notFound(err, "not_found.tender")
	}
	return &ta, nil
}

// Item returns tender item id, whatever its tender, or apperr not-found
// ("not_found.item").
func (s *Store) Item(ctx context.Context, id int64) (_ *Item, err error) {
	defer apperr.Wrap(&err, "catalog.Store.Item(%d)", id)
	const q = `SELECT id, tender_id, sku, name, unit, max_price FROM tender_items WHERE id = $1`
	var it Item
	if err := s.db.GetContext(ctx, &it, q, id); err != nil {
		return nil, notFound(err, "not_found.item")
	}
	return &it, nil
}
