package catalog

import "madaf/internal/paging"

// SearchQuery is a catalog search: a substring of item names, optionally
// limited to one category or one tender, one keyset page at a time.
type SearchQuery struct {
	Q        string
	Category string
	TenderID int64
	Page     paging.Page
}

// TenderRef is the tender a catalog hit belongs to.
type TenderRef struct {
	ID        int64  `db:"id" json:"id"`
	Number    string `db:"number" json:"number"`
	Title     string `db:"title" json:"title"`
	Category  string `db:"category" json:"category"`
	AwardRule string `db:"award_rule" json:"award_rule"`
}

// Hit is an item found in the catalog with its tender and every active
// award's price in force, cheapest first; a supplier is shown only its own.
type Hit struct {
	Item
	Tender TenderRef `json:"tender"`
	Offers []Offer   `json:"offers"`
}
