package authorities

import (
	"context"

	"madaf/internal/apperr"
)

// Empty reports whether no authority has been recorded yet: a database the
// demo cluster may be loaded into.
func (s *Store) Empty(ctx context.Context) (empty bool, err error) {
	defer apperr.Wrap(&err, "authorities.Store.Empty")
	const q = `SELECT NOT EXISTS (SELECT 1 FROM authorities)`
	err = s.db.GetContext(ctx, &empty, q)
	return empty, err
}
