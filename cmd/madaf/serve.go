package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"madaf/app"
)

// serve runs the HTTP server until ctx ends, then drains in-flight requests
// and stops the background workers.
func serve(ctx context.Context, db *sqlx.DB, cfg config) error {
	// The demo loads by itself only into the development database (no
	// DATABASE_URL), or when MADAF_DEMO=on; MADAF_DEMO=off never loads it.
	if cfg.demo == "on" || (cfg.databaseURL == "" && cfg.demo != "off") {
		if _, err := app.SeedDemo(ctx, db, os.Stdout); err != nil {
			return err
		}
	}
	acfg := app.Config{Logger: cfg.logger, BaseURL: cfg.baseURL, SMTPURL: cfg.smtpURL, OCIDPrefix: cfg.ocidPrefix, TrustedProxies: cfg.proxies}
	base := app.New(db, acfg)
	srv := &http.Server{
		Addr:              cfg.addr,
		Handler:           base.Engine,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
	}

	workCtx, stopWork := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, w := range app.Workers(db, acfg) {
		wg.Go(func() { w(workCtx) })
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	cfg.logger.Info("serving", "addr", cfg.addr, "base_url", cfg.baseURL)
	fmt.Printf("Madaf is serving on %s\n", cfg.addr)

	select {
	case err := <-errc:
		stopWork()
		wg.Wait()
		return err
	case <-ctx.Done():
	}
	cfg.logger.Info("shutting down: draining requests")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	stopWork()
	wg.Wait()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
