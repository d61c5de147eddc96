package database

import (
	"context"
	"database/sql"
	"io/fs"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// NewMigrator returns a goose provider over the embedded migrations, guarded
// by a PostgreSQL session advisory lock so that several instances may start
// at once. Each feature numbers its migrations in a range of its own (see
// package migrations), so a feature's new migration may sort below one
// already applied: such migrations are applied, not refused.
func NewMigrator(db *sql.DB, migrations fs.FS) (*goose.Provider, error) {
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return nil, err
	}
	return goose.NewProvider(goose.DialectPostgres, db, migrations, goose.WithSessionLocker(locker), goose.WithAllowOutofOrder(true))
}

// MigrateUp applies every pending migration.
func MigrateUp(ctx context.Context, db *sql.DB, migrations fs.FS) error {
	p, err := NewMigrator(db, migrations)
	if err != nil {
		return err
	}
	_, err = p.Up(ctx)
	return err
}
