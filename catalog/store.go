package catalog

import (
	"github.com/jmoiron/sqlx"
)

// Store reads and writes tenders, items, awards and prices.
type Store struct {
	db *sqlx.DB
}

// NewStore returns a Store over db.
func NewStore(db *sqlx.DB) *Store { return &Store{db: db} }
