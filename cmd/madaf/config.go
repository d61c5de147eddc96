package main

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"strings"

	"madaf/internal/database"
)

// config is read from the environment only here; feature packages never
// read it.
type config struct {
	databaseURL string
	addr        string
	baseURL     string
	smtpURL     string
	ocidPrefix  string
	privateDir  string
	demo        string
	proxies     []string
	logger      *slog.Logger
}

func loadConfig() config {
	level := slog.LevelInfo
	switch strings.ToLower(os.Getenv("MADAF_LOG_LEVEL")) {
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	var proxies []string
	for _, p := range strings.Split(os.Getenv("MADAF_TRUSTED_PROXIES"), ",") {
		if p = strings.TrimSpace(p); p != "" {
			proxies = append(proxies, p)
		}
	}
	return config{
		proxies:     proxies,
		databaseURL: os.Getenv("DATABASE_URL"),
		addr:        env("MADAF_ADDR", ":8080"),
		baseURL:     strings.TrimRight(env("MADAF_BASE_URL", "http://localhost:8080"), "/"),
		smtpURL:     os.Getenv("MADAF_SMTP_URL"),
		ocidPrefix:  env("MADAF_OCID_PREFIX", "ocds-madaf01"),
		privateDir:  env("MADAF_PGDATA", database.DefaultPrivateDir()),
		demo:        strings.ToLower(os.Getenv("MADAF_DEMO")),
		logger:      slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level})),
	}
}

// check reports the first setting that cannot work.
func (c config) check() error {
	for _, p := range c.proxies {
		if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
			return fmt.Errorf("MADAF_TRUSTED_PROXIES: %q is neither an address nor a CIDR range", p)
		}
	}
	return nil
}

func env(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}
