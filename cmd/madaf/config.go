package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"madaf/internal/auth"
	"madaf/internal/database"
	"madaf/internal/mail"
	"madaf/internal/server"
)

// config is read from the environment only here; feature packages never
// read it.
type config struct {
	databaseURL  string
	addr         string
	metricsAddr  string
	metricsToken string
	baseURL      string
	smtpURL      string
	ocidPrefix   string
	privateDir   string
	demo         string
	proxies      []string
	logLevel     slog.Level
	db           database.Options
	shutdown     time.Duration
	readTimeout  time.Duration
	writeTimeout time.Duration
	// secretKey seals the second factors' secrets; nil when
	// MADAF_SECRET_KEY is unset (see secretKeyFor).
	secretKey *auth.SecretKey
}

// settings are the environment variables the service reads, beside
// DATABASE_URL; any other MADAF_ variable is refused as a likely typo.
var settings = []string{
	"MADAF_ADDR", "MADAF_METRICS_ADDR", "MADAF_METRICS_TOKEN", "MADAF_BASE_URL", "MADAF_SMTP_URL",
	"MADAF_TRUSTED_PROXIES", "MADAF_OCID_PREFIX", "MADAF_PGDATA", "MADAF_DEMO", "MADAF_LOG_LEVEL",
	"MADAF_DB_MAX_CONNS", "MADAF_DB_MAX_IDLE_CONNS", "MADAF_DB_CONN_MAX_LIFETIME", "MADAF_DB_STATEMENT_TIMEOUT",
	"MADAF_DB_STATEMENT_CACHE", "MADAF_SHUTDOWN_TIMEOUT", "MADAF_HTTP_READ_TIMEOUT", "MADAF_HTTP_WRITE_TIMEOUT", "MADAF_SECRET_KEY",
}

// benchmarkPrefix marks the variables the benchmarks read (see README
// "Performance"); the service lets them be.
const benchmarkPrefix = "MADAF_BENCH_"

// loadConfig reads the configuration from environ (os.Environ's form) and
// reports the first setting that cannot work, naming its variable.
func loadConfig(environ []string) (config, error) {
	env := map[string]string{}
	var unknown []string
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
		if strings.HasPrefix(k, "MADAF_") && !slices.Contains(settings, k) && !strings.HasPrefix(k, benchmarkPrefix) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		hint := ""
		if near := nearest(unknown[0], settings); near != "" {
			hint = "; did you mean " + near + "?"
		}
		return config{}, fmt.Errorf("%s: not a setting of Madaf (a typo?)%s", unknown[0], hint)
	}
	get := func(name, fallback string) string {
		if v := strings.TrimSpace(env[name]); v != "" {
			return v
		}
		return fallback
	}
	c := config{
		databaseURL:  env["DATABASE_URL"],
		addr:         get("MADAF_ADDR", "127.0.0.1:8080"),
		metricsAddr:  get("MADAF_METRICS_ADDR", ""),
		metricsToken: get("MADAF_METRICS_TOKEN", ""),
		baseURL:      strings.TrimRight(get("MADAF_BASE_URL", "http://localhost:8080"), "/"),
		smtpURL:      get("MADAF_SMTP_URL", ""),
		ocidPrefix:   get("MADAF_OCID_PREFIX", "ocds-madaf1"),
		privateDir:   get("MADAF_PGDATA", database.DefaultPrivateDir()),
		demo:         strings.ToLower(get("MADAF_DEMO", "")),
	}
	for p := range strings.SplitSeq(env["MADAF_TRUSTED_PROXIES"], ",") {
		if p = strings.TrimSpace(p); p != "" {
			c.proxies = append(c.proxies, p)
		}
	}

	var errs []error
	check := func(name string, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	if c.databaseURL != "" {
		check("DATABASE_URL", database.CheckURL(c.databaseURL))
	}
	check("MADAF_ADDR", checkAddr(c.addr))
	if c.metricsAddr != "" {
		check("MADAF_METRICS_ADDR", checkAddr(c.metricsAddr))
		if c.metricsAddr == c.addr {
			check("MADAF_METRICS_ADDR", errors.New("must differ from MADAF_ADDR"))
		}
	}
	check("MADAF_BASE_URL", checkBaseURL(c.baseURL))
	if c.smtpURL != "" {
		if _, err := mail.ParseSMTP(c.smtpURL); err != nil {
			check("MADAF_SMTP_URL", errors.New(strings.TrimPrefix(err.Error(), "mail: ")))
		}
	}
	if _, err := server.ParseProxies(c.proxies); err != nil {
		check("MADAF_TRUSTED_PROXIES", err)
	}
	switch c.demo {
	case "", "on", "off":
	default:
		check("MADAF_DEMO", fmt.Errorf("%q is neither on nor off", env["MADAF_DEMO"]))
	}
	var err error
	c.logLevel, err = logLevel(get("MADAF_LOG_LEVEL", "info"))
	check("MADAF_LOG_LEVEL", err)

	c.db.MaxConns, err = positive(get("MADAF_DB_MAX_CONNS", "20"))
	check("MADAF_DB_MAX_CONNS", err)
	c.db.MaxIdleConns, err = positive(get("MADAF_DB_MAX_IDLE_CONNS", strconv.Itoa(min(10, max(c.db.MaxConns, 1)))))
	check("MADAF_DB_MAX_IDLE_CONNS", err)
	if err == nil && c.db.MaxConns > 0 && c.db.MaxIdleConns > c.db.MaxConns {
		check("MADAF_DB_MAX_IDLE_CONNS", fmt.Errorf("%d is more than MADAF_DB_MAX_CONNS (%d)", c.db.MaxIdleConns, c.db.MaxConns))
	}
	c.db.ConnMaxLifetime, err = duration(get("MADAF_DB_CONN_MAX_LIFETIME", "1h"), true)
	check("MADAF_DB_CONN_MAX_LIFETIME", err)
	c.db.StatementTimeout, err = duration(get("MADAF_DB_STATEMENT_TIMEOUT", "30s"), true)
	check("MADAF_DB_STATEMENT_TIMEOUT", err)
	c.db.StatementCache, err = statementCache(get("MADAF_DB_STATEMENT_CACHE", "256"))
	check("MADAF_DB_STATEMENT_CACHE", err)
	c.shutdown, err = duration(get("MADAF_SHUTDOWN_TIMEOUT", "25s"), false)
	check("MADAF_SHUTDOWN_TIMEOUT", err)
	c.readTimeout, err = duration(get("MADAF_HTTP_READ_TIMEOUT", "60s"), false)
	check("MADAF_HTTP_READ_TIMEOUT", err)
	c.writeTimeout, err = duration(get("MADAF_HTTP_WRITE_TIMEOUT", "120s"), false)
	check("MADAF_HTTP_WRITE_TIMEOUT", err)
	c.db.MaxWait = c.writeTimeout
	if k := get("MADAF_SECRET_KEY", ""); k != "" {
		c.secretKey, err = auth.ParseSecretKey(k)
		check("MADAF_SECRET_KEY", err)
	}
	if len(errs) > 0 {
		return config{}, errs[0]
	}
	return c, nil
}

// secretKeyFor is the key that seals the second factors' secrets for a
// command that reads or writes them: MADAF_SECRET_KEY, else, only on the
// development database (no DATABASE_URL), the published development key.
// With DATABASE_URL and without MADAF_SECRET_KEY such a command does not
// start.
func (c config) secretKeyFor() (*auth.SecretKey, error) {
	switch {
	case c.secretKey != nil && c.secretKey.IsDevelopment() && c.databaseURL != "":
		return nil, errors.New("MADAF_SECRET_KEY: the published development key cannot seal a real database's secrets " +
			"(make one with: openssl rand -base64 32)")
	case c.secretKey != nil:
		return c.secretKey, nil
	case c.databaseURL == "":
		return auth.DevelopmentKey(), nil
	}
	return nil, errors.New("MADAF_SECRET_KEY: required with DATABASE_URL, to seal the second factors' secrets " +
		"(32 random bytes in base64: openssl rand -base64 32; keep it apart from the database's backups)")
}

// logger writes JSON lines at the configured level on stderr.
func (c config) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: c.logLevel}))
}

// checkAddr accepts a listen address host:port (the host may be empty, for
// every interface) with a numeric port.
func checkAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port (e.g. 127.0.0.1:8080 or :8080)", addr)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || (n == 0 && port != "0") {
		return fmt.Errorf("%q has no port number", addr)
	}
	if strings.ContainsAny(host, " /") {
		return fmt.Errorf("%q is not a host name or address", host)
	}
	return nil
}

// checkBaseURL accepts an absolute http or https URL with a host.
func checkBaseURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
		return fmt.Errorf("%q is not an absolute http:// or https:// address", raw)
	}
	return nil
}

func logLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("%q is none of debug, info, warn, error", s)
}

func positive(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%q is not a whole number of at least 1", s)
	}
	return n, nil
}

// statementCache reads how many statements a connection keeps prepared:
// a whole number, 0 for none (database.Options takes none as negative).
func statementCache(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a whole number of at least 0", s)
	}
	if n == 0 {
		return -1, nil
	}
	return n, nil
}

// duration reads a Go duration (30s, 5m, 1h); 0 only where zero is allowed
// (meaning none).
func duration(s string, zero bool) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		return 0, fmt.Errorf("%q is not a duration (e.g. 30s, 5m, 1h)", s)
	case d < 0, d == 0 && !zero:
		return 0, fmt.Errorf("%q must be more than zero", s)
	}
	return d, nil
}

// nearest is the name of names within two edits of name, if any.
func nearest(name string, names []string) string {
	best, bestD := "", 3
	for _, n := range names {
		if d := editDistance(name, n); d < bestD {
			best, bestD = n, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
