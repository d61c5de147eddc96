// Package app assembles Madaf: it mounts every feature's routes on the base
// server and lists the background workers. cmd/madaf configures and runs
// it; the browser tests start it whole.
package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/jmoiron/sqlx"

	"madaf/accounts"
	"madaf/audit"
	"madaf/authorities"
	"madaf/catalog"
	"madaf/competitions"
	"madaf/documents"
	"madaf/documents/owners"
	"madaf/internal/auth"
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
	// login throttling and logs) and whose X-Forwarded-Proto says whether
	// it came over TLS. None by default.
	TrustedProxies []string
	// MetricsToken is the bearer token /metrics asks for; without it, or
	// with MetricsApart, the service's listener answers 404 there.
	MetricsToken string
	// MetricsApart serves the metrics on a listener of their own (the
	// base's Metrics handler), not on the service's.
	MetricsApart bool
	// RequestTimeout ends each request's context (none when 0).
	RequestTimeout time.Duration
	// SecretKey seals the second factors' secrets at rest
	// (MADAF_SECRET_KEY); nil is the development key.
	SecretKey *auth.SecretKey
	// Now is the clock of the orders and the mini-competitions; nil is the
	// real one (the database's, for the competitions' deadlines).
	Now func() time.Time
}

// New returns the whole service over db.
func New(db *sqlx.DB, cfg Config) *server.Base {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	base := server.New(db, cfg.Logger, server.Options{TrustedProxies: cfg.TrustedProxies,
		MetricsToken: cfg.MetricsToken, MetricsApart: cfg.MetricsApart, RequestTimeout: cfg.RequestTimeout})
	mount(base, db, cfg)
	return base
}

// mount builds each store and service once and mounts every feature's
// route table, then the navigation.
func mount(base *server.Base, db *sqlx.DB, cfg Config) {
	pages := page.MustNew(templates.FS)
	pages.Mount(base.Engine)
	base.AnswerPagesWith(pages.Fail)
	r := server.Router{API: base.API, Site: base.Engine, Pages: pages}
	orderService := orders.NewService(db, orders.Options{BaseURL: cfg.BaseURL, Now: cfg.Now})
	supplierStore, catalogStore := suppliers.NewStore(db), catalog.NewStore(db)
	competitionService := competitions.NewService(db, competitions.Options{BaseURL: cfg.BaseURL, Now: cfg.Now, Orders: orderService})
	docs := documents.NewService(db, owners.Features{Orders: orderService, Catalog: catalogStore,
		Suppliers: supplierStore, Competitions: competitionService}.Rules())
	features := []server.Feature{
		accounts.Routes{Store: accounts.NewStore(db), Sessions: base.Auth, BaseURL: cfg.BaseURL, SecretKey: cfg.SecretKey},
		authorities.Routes{Store: authorities.NewStore(db)},
		suppliers.Routes{Store: supplierStore, Documents: docs},
		catalog.Routes{Store: catalogStore, Documents: docs},
		orders.Routes{Service: orderService, Documents: docs},
		competitions.Routes{Service: competitionService, Documents: docs},
		documents.Routes{Service: docs},
		volumes.Routes{Store: volumes.NewStore(db), OCDS: volumes.OCDS{Prefix: cfg.OCIDPrefix, BaseURL: cfg.BaseURL}},
		workplan.Routes{Store: workplan.NewStore(db)},
		audit.Routes{Store: audit.NewStore(db)},
	}
	for _, f := range features {
		f.Mount(r)
	}
	pages.AddNav(navigation...)
	mountOpenAPI(base.Engine)
}

// Workers are the background loops `madaf serve` runs until shutdown (the
// mail outbox sender, the closer of mini-competitions past their deadline,
// the lapse of order changes their supplier did not answer in time); each
// returns when ctx ends.
func Workers(db *sqlx.DB, cfg Config) []func(ctx context.Context) {
	var ws []func(ctx context.Context)
	ws = append(ws, orders.MailSender(db, cfg.SMTPURL, cfg.Logger).Run)
	// On the service's clock, as the API's: what the API still accepts is
	// not closed or lapsed under it.
	orderService := orders.NewService(db, orders.Options{BaseURL: cfg.BaseURL, Now: cfg.Now})
	competitionService := competitions.NewService(db, competitions.Options{BaseURL: cfg.BaseURL, Now: cfg.Now, Orders: orderService})
	closer := &competitions.Closer{Service: competitionService, Logger: cfg.Logger}
	ws = append(ws, closer.Run)
	lapser := &orders.ChangesLapser{Service: orderService, Logger: cfg.Logger}
	ws = append(ws, lapser.Run)
	return ws
}
