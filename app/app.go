// Package app assembles Madaf: it mounts every feature's routes on the base
// server and lists the background workers. cmd/madaf configures and runs
// it; the browser tests start it whole.
package app

import (
	"context"
	"log/slog"

	"github.com/jmoiron/sqlx"

	"madaf/accounts"
	"madaf/authorities"
	"madaf/catalog"
	"madaf/internal/page"
	"madaf/internal/server"
	"madaf/orders"
	"madaf/suppliers"
	"madaf/templates"
	"madaf/volumes"
	"madaf/workplan"
)

// Config is what the features need from the environment.
type Config struct {
	Logger *slog.Logger
	// BaseURL is the service's public address, for links in e-mails.
	BaseURL string
	// SMTPURL is smtp://user:pass@host:port?from=...; empty logs mails instead.
	SMTPURL string
	// OCIDPrefix is the registered OCDS ocid prefix for exports.
	OCIDPrefix string
	// TrustedProxies are the addresses or CIDR ranges of the load balancers
	// in front of the service, whose X-Forwarded-For names the client (for
	// login throttling and logs). None by default.
	TrustedProxies []string
}

// New returns the whole service over db.
func New(db *sqlx.DB, cfg Config) *server.Base {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	base := server.New(db, cfg.Logger)
	if len(cfg.TrustedProxies) > 0 {
		if err := base.Engine.SetTrustedProxies(cfg.TrustedProxies); err != nil {
			panic("app: MADAF_TRUSTED_PROXIES: " + err.Error()) // checked when the configuration is read
		}
	}
	mount(base, db, cfg)
	return base
}

// mount adds each feature's routes; one line per feature.
func mount(base *server.Base, db *sqlx.DB, cfg Config) {
	accounts.Mount(base.API, accounts.NewStore(db), base.Auth)
	authorities.Mount(base.API, authorities.NewStore(db))
	suppliers.Mount(base.API, suppliers.NewStore(db))
	catalog.Mount(base.API, db)
	workplan.Mount(base.API, workplan.NewStore(db))
	orders.Mount(base.API, orders.NewService(db, orders.Options{BaseURL: cfg.BaseURL}))
	volumes.Mount(base.API, db, cfg.OCIDPrefix)
	mountOpenAPI(base.Engine)

	// Web pages: the engine first, then each feature's pages on it.
	pages := page.MustNew(templates.FS)
	pages.Mount(base.Engine)
	accounts.MountPages(base.Engine, pages, accounts.NewStore(db), base.Auth)
	catalog.MountPages(base.Engine, pages, db)
	orders.MountPages(base.Engine, pages, orders.NewService(db, orders.Options{BaseURL: cfg.BaseURL}))
	volumes.MountPages(base.Engine, pages, db)
	authorities.MountPages(base.Engine, pages, authorities.NewStore(db))
	suppliers.MountPages(base.Engine, pages, suppliers.NewStore(db))
	workplan.MountPages(base.Engine, pages, db)
}

// Workers are the background loops `madaf serve` runs until shutdown (the
// mail outbox sender, …); each returns when ctx ends.
func Workers(db *sqlx.DB, cfg Config) []func(ctx context.Context) {
	var ws []func(ctx context.Context)
	ws = append(ws, orders.MailSender(db, cfg.SMTPURL, cfg.Logger).Run)
	return ws
}
