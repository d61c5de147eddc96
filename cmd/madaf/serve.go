package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"madaf/accounts"
	"madaf/app"
	"madaf/internal/database"
)

// serve runs the HTTP server (and the metrics listener, when configured)
// until ctx ends, then drains in-flight requests within the shutdown
// timeout and stops the background workers.
func serve(ctx context.Context, db *sqlx.DB, cfg config, logger *slog.Logger) error {
	// The demo loads by itself only into the development database (no
	// DATABASE_URL), or when MADAF_DEMO=on; MADAF_DEMO=off never loads it.
	if cfg.demo == "on" || (cfg.databaseURL == "" && cfg.demo != "off") {
		if _, err := app.SeedDemo(database.WithActor(ctx, database.Actor{Label: "madaf demo"}), db, os.Stdout); err != nil {
			return err
		}
	}
	if err := resealSecondFactors(database.WithActor(ctx, database.Actor{Label: "madaf serve"}), db, cfg); err != nil {
		return err
	}
	acfg := app.Config{Logger: logger, BaseURL: cfg.baseURL, SMTPURL: cfg.smtpURL, OCIDPrefix: cfg.ocidPrefix,
		TrustedProxies: cfg.proxies, MetricsToken: cfg.metricsToken, MetricsApart: cfg.metricsAddr != "",
		RequestTimeout: cfg.writeTimeout, SecretKey: cfg.secretKey}
	base := app.New(db, acfg)
	servers := []*http.Server{{
		Addr:              cfg.addr,
		Handler:           base.Engine,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       cfg.readTimeout,
		WriteTimeout:      cfg.writeTimeout,
		IdleTimeout:       120 * time.Second,
	}}
	if cfg.metricsAddr != "" {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", base.Metrics)
		servers = append(servers, &http.Server{Addr: cfg.metricsAddr, Handler: mux,
			ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second})
	}
	// Listen on every address first, so that one that cannot be had stops
	// the start before anything is served.
	listeners := make([]net.Listener, len(servers))
	for i, srv := range servers {
		l, err := net.Listen("tcp", srv.Addr)
		if err != nil {
			for _, l := range listeners[:i] {
				l.Close()
			}
			return err
		}
		listeners[i] = l
	}

	workCtx, stopWork := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, w := range app.Workers(db, acfg) {
		wg.Go(func() { w(workCtx) })
	}

	errc := make(chan error, len(servers))
	for i, srv := range servers {
		go func() { errc <- srv.Serve(listeners[i]) }()
	}
	logger.Info("serving", "addr", cfg.addr, "metrics_addr", cfg.metricsAddr, "base_url", cfg.baseURL)
	fmt.Printf("Madaf is serving on %s\n", cfg.addr)

	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
		logger.Info("shutting down: draining requests", "timeout", cfg.shutdown.String())
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.shutdown)
	defer cancel()
	for _, srv := range servers {
		if e := srv.Shutdown(shutdownCtx); e != nil && err == nil {
			err = e
		}
	}
	base.Settle(shutdownCtx)
	stopWork()
	wg.Wait()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// resealSecondFactors seals under cfg's key the second factors' secrets
// stored plain (before secrets were sealed) or under the development key
// (the demo's), and refuses to go on when some do not open with it: a
// wrong MADAF_SECRET_KEY would lock every signer out.
func resealSecondFactors(ctx context.Context, db *sqlx.DB, cfg config) error {
	n, err := accounts.NewStore(db).WithSecretKey(cfg.secretKey).ResealSecondFactors(ctx)
	var closed *accounts.SealedElsewhereError
	if errors.As(err, &closed) {
		return fmt.Errorf("MADAF_SECRET_KEY: it does not open what it must: %w", closed)
	}
	if err != nil {
		return fmt.Errorf("database: %w", err)
	}
	if n > 0 {
		slog.Info("second factors sealed under the configured key", "users", n)
	}
	return nil
}

// healthcheck runs `madaf healthcheck [URL]`: it asks the service's
// /healthz (on MADAF_ADDR, reached over the loopback when that listens on
// every interface) and succeeds when it answers 200 within three seconds.
// Container images without curl use it for their health check.
func healthcheck(ctx context.Context, cfg config, args []string) error {
	target := "http://" + loopback(cfg.addr) + "/healthz"
	if len(args) > 0 {
		target = args[0]
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s", target, resp.Status)
	}
	return nil
}

// loopback is the listen address addr as a client on this machine reaches
// it: an empty or unspecified host becomes 127.0.0.1 (or ::1).
func loopback(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
		if ip != nil && ip.To4() == nil {
			host = "::1"
		}
	}
	return net.JoinHostPort(host, port)
}
