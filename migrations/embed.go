// Package migrations holds the embedded goose SQL migrations. Each feature
// owns a range of version numbers: foundation 00001–00099, catalog
// 00100–00199, orders 00200–00299, volumes 00300–00399, work plan
// 00400–00499, pages 00500–00599.
package migrations

import "embed"

// FS is the migration files, for database.NewMigrator.
//
//go:embed *.sql
var FS embed.FS
