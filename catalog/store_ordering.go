package catalog

import (
	"context"

	"madaf/internal/apperr"
)

// Item returns tender item id, whatever its tender, or apperr not-found
// ("not_found.item").
func (s *Store) Item(ctx context.Context, id int64) (_ *Item, err error) {
	defer apperr.Wrap(&err, "catalog.Store.Item(%d)", id)
	const q = `SELECT ` + itemColumns + ` FROM tender_items WHERE id = $1`
	var it Item
	if err := s.db.GetContext(ctx, &it, q, id); err != nil {
		return nil, notFound(err, "not_found.item")
	}
	return &it, nil
}
