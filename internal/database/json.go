package database

import (
	"encoding/json"
	"fmt"
)

// ScanJSON reads a jsonb value src into dst, or empty when it is null: the
// Scan of a Go type stored as jsonb.
func ScanJSON[T any](src any, dst *T, empty T) error {
	var b []byte
	switch v := src.(type) {
	case nil:
		*dst = empty
		return nil
	case []byte:
		b = v
	case string:
		b = []byte(v)
	default:
		return fmt.Errorf("database: cannot scan %T into %T", src, dst)
	}
	return json.Unmarshal(b, dst)
}
