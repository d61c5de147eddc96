// Command madaf runs the Madaf service and its administrative commands:
//
//	madaf [serve]                       run the service (the default)
//	madaf migrate up|down|status        apply, undo one, or list migrations
//	madaf demo                          load the demo cluster into an empty database
//	madaf user add --email E --name N --org ORG --role R   (password on stdin)
//	madaf volumes verify                recompute volume figures from the orders
//	madaf workplan import --year Y FILE import a work plan (report text or XLSX)
//	madaf healthcheck [URL]             exit 0 when the service's /healthz answers 200
//	madaf backup FILE                   write the database to FILE (pg_dump, custom format)
//	madaf restore [--clean] FILE        restore FILE into an empty database (pg_restore)
//
// The configuration is read from the environment (README "Configuration");
// a setting that cannot work, or an unknown MADAF_ variable, stops the
// command with one line naming the variable.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"madaf/app"
	"madaf/internal/database"
	"madaf/migrations"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Environ())
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "madaf:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args, environ []string) error {
	cfg, err := loadConfig(environ)
	if err != nil {
		return err
	}
	logger := cfg.logger()
	slog.SetDefault(logger)
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve", "migrate", "demo", "user", "volumes", "workplan":
	case "healthcheck":
		return healthcheck(ctx, cfg, args)
	case "backup", "restore":
		return backupCommand(ctx, cfg, cmd, args)
	case "help", "-h", "--help":
		fmt.Println(usage)
		return nil
	default:
		return fmt.Errorf("unknown command %q\n%s", cmd, usage)
	}
	// The service and the demo read and write the second factors' secrets.
	if cmd == "serve" || cmd == "demo" {
		if cfg.secretKey, err = cfg.secretKeyFor(); err != nil {
			return err
		}
	}

	url, stopServer, err := databaseURL(ctx, cfg)
	if err != nil {
		return err
	}
	defer stopServer()
	go func() {
		// A second interrupt while the first drains stops at once, and
		// the private development server with the command.
		<-ctx.Done()
		again := make(chan os.Signal, 1)
		signal.Notify(again, os.Interrupt, syscall.SIGTERM)
		<-again
		stopServer()
		os.Exit(130)
	}()
	// Migrations and the administrative commands may run long statements:
	// only the service's own pool has the statement timeout and waits no
	// longer than a request may.
	unlimited := cfg.db
	unlimited.StatementTimeout, unlimited.MaxWait = 0, 0
	if cmd != "migrate" {
		if err := migrateUp(ctx, url, unlimited); err != nil {
			return err
		}
	}
	opts := unlimited
	if cmd == "serve" {
		opts = cfg.db
	}
	db, err := database.Open(ctx, url, opts)
	if err != nil {
		return fmt.Errorf("database: %w", err)
	}
	defer db.Close()

	// The audit trail names the command as the author of what it changes.
	if cmd != "serve" {
		ctx = database.WithActor(ctx, database.Actor{Label: strings.TrimSpace("madaf " + cmd + " " + first(args))})
	}
	switch cmd {
	case "serve":
		return serve(ctx, db, cfg, logger)
	case "migrate":
		return migrate(ctx, db, args)
	case "demo":
		loaded, err := app.SeedDemo(ctx, db, os.Stdout)
		if err == nil && !loaded {
			fmt.Println("The database already holds data; nothing loaded.")
		}
		if err != nil {
			return err
		}
		return resealSecondFactors(ctx, db, cfg)
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
       madaf workplan import --year YEAR FILE
       madaf backup FILE
       madaf restore [--clean] FILE
       madaf healthcheck [URL]`

// databaseURL is DATABASE_URL, or the development database (the local
// server, else a private one), and how to let go of what was started.
func databaseURL(ctx context.Context, cfg config) (string, func(), error) {
	url, stopServer, err := database.Development(ctx, cfg.databaseURL, "madaf", cfg.privateDir)
	if errors.Is(err, database.ErrNoPostgres) {
		return "", nil, err
	}
	if err != nil {
		return "", nil, fmt.Errorf("database: %w", err)
	}
	return url, stopServer, nil
}

// migrateUp applies the pending migrations on a pool of its own.
func migrateUp(ctx context.Context, url string, opts database.Options) error {
	db, err := database.Open(ctx, url, opts)
	if err != nil {
		return fmt.Errorf("database: %w", err)
	}
	defer db.Close()
	if err := database.MigrateUp(ctx, db.DB, migrations.FS); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// first is args' first word, "" when there is none.
func first(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return args[0]
}
