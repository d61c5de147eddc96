// Command madaf runs the Madaf service and its administrative commands:
//
//	madaf [serve]                       run the service (the default)
//	madaf migrate up|down|status        apply, undo one, or list migrations
//	madaf demo                          load the demo cluster into an empty database
//	madaf user add --email E --name N --org ORG --role R   (password on stdin)
//	madaf volumes verify                recompute volume figures from the orders
//	madaf workplan import --year Y FILE import a work plan (report text or XLSX)
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/jmoiron/sqlx"

	"madaf/app"
	"madaf/internal/database"
	"madaf/migrations"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "madaf:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	cfg := loadConfig()
	if err := cfg.check(); err != nil {
		return err
	}
	slog.SetDefault(cfg.logger)
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve", "migrate", "demo", "user", "volumes", "workplan":
	case "help", "-h", "--help":
		fmt.Println(usage)
		return nil
	default:
		return fmt.Errorf("unknown command %q\n%s", cmd, usage)
	}

	db, closeDB, err := openDatabase(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeDB()

	if cmd != "migrate" {
		if err := database.MigrateUp(ctx, db.DB, migrations.FS); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
	}
	switch cmd {
	case "serve":
		return serve(ctx, db, cfg)
	case "migrate":
		return migrate(ctx, db, args)
	case "demo":
		loaded, err := app.SeedDemo(ctx, db, os.Stdout)
		if err == nil && !loaded {
			fmt.Println("The database already holds data; nothing loaded.")
		}
		return err
	case "user":
		return userCommand(ctx, db, args, os.Stdin)
	case "volumes":
		return volumesCommand(ctx, db, args)
	case "workplan":
		return workplanCommand(ctx, db, args)
	}
	return nil
}

const usage = `usage: madaf [serve]
       madaf migrate up|down|status
       madaf demo
       madaf user add --email E --name N --org cluster|authority:<id or code>|supplier:<company number> --role R  (password on stdin)
       madaf volumes verify
       madaf workplan import --year YEAR FILE`

// openDatabase connects to DATABASE_URL, or to the development database
// (the local server, else a private one), and returns how to let go of it.
func openDatabase(ctx context.Context, cfg config) (*sqlx.DB, func(), error) {
	url, stopServer, err := database.Development(ctx, cfg.databaseURL, "madaf", cfg.privateDir)
	if errors.Is(err, database.ErrNoPostgres) {
		return nil, nil, err
	}
	if err != nil {
		return nil, nil, fmt.Errorf("database: %w", err)
	}
	db, err := database.Open(ctx, url)
	if err != nil {
		stopServer()
		return nil, nil, fmt.Errorf("database: %w", err)
	}
	return db, func() { db.Close(); stopServer() }, nil
}
