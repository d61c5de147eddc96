package main

import (
	"bytes"
	"context"
	"errors"
	"madaf/internal/auth"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// closedDatabase is a DATABASE_URL nothing listens on: a start that got
// past the configuration would fail on it with another message.
const closedDatabase = "DATABASE_URL=postgres://postgres@127.0.0.1:1/madaf?sslmode=disable&connect_timeout=1"

// TestConfigurationErrorsStopTheStart runs `madaf serve` with each
// malformed setting and expects exit status 1 and one line on stderr that
// names the variable (and never repeats a secret).
func TestConfigurationErrorsStopTheStart(t *testing.T) {
	tests := []struct {
		name     string
		env      []string
		variable string
		secret   string
	}{
		{"DatabaseURLBadPort", []string{"DATABASE_URL=postgres://madaf:s3cret-pw@db.example:port/madaf"}, "DATABASE_URL", "s3cret-pw"},
		{"DatabaseURLOtherScheme", []string{"DATABASE_URL=mysql://madaf:s3cret-pw@db.example/madaf"}, "DATABASE_URL", "s3cret-pw"},
		{"DatabaseURLBadOption", []string{"DATABASE_URL=postgres://db.example/madaf?sslmode=sometimes"}, "DATABASE_URL", ""},
		{"SMTPNotSMTP", []string{closedDatabase, "MADAF_SMTP_URL=http://user:s3cret-pw@mail.example"}, "MADAF_SMTP_URL", "s3cret-pw"},
		{"SMTPNoHost", []string{closedDatabase, "MADAF_SMTP_URL=smtp:///?from=madaf@example.org"}, "MADAF_SMTP_URL", ""},
		{"SMTPBadFrom", []string{closedDatabase, "MADAF_SMTP_URL=smtp://mail.example?from=nobody"}, "MADAF_SMTP_URL", ""},
		{"BaseURLRelative", []string{closedDatabase, "MADAF_BASE_URL=madaf.example.org"}, "MADAF_BASE_URL", ""},
		{"BaseURLNotHTTP", []string{closedDatabase, "MADAF_BASE_URL=ftp://madaf.example.org"}, "MADAF_BASE_URL", ""},
		{"AddrNoPort", []string{closedDatabase, "MADAF_ADDR=127.0.0.1"}, "MADAF_ADDR", ""},
		{"AddrPortName", []string{closedDatabase, "MADAF_ADDR=localhost:http"}, "MADAF_ADDR", ""},
		{"MetricsAddrBad", []string{closedDatabase, "MADAF_METRICS_ADDR=9090"}, "MADAF_METRICS_ADDR", ""},
		{"MetricsAddrSameAsAddr", []string{closedDatabase, "MADAF_ADDR=127.0.0.1:8080", "MADAF_METRICS_ADDR=127.0.0.1:8080"}, "MADAF_METRICS_ADDR", ""},
		{"LogLevelUnknown", []string{closedDatabase, "MADAF_LOG_LEVEL=verbose"}, "MADAF_LOG_LEVEL", ""},
		{"DemoUnknown", []string{closedDatabase, "MADAF_DEMO=yes"}, "MADAF_DEMO", ""},
		{"UnknownVariable", []string{closedDatabase, "MADAF_ADRR=:8080"}, "MADAF_ADRR", ""},
		{"ProxyBad", []string{closedDatabase, "MADAF_TRUSTED_PROXIES=10.0.0.0/8, 10.0.0.0/33"}, "MADAF_TRUSTED_PROXIES", ""},
		{"MaxConnsNotANumber", []string{closedDatabase, "MADAF_DB_MAX_CONNS=many"}, "MADAF_DB_MAX_CONNS", ""},
		{"MaxIdleOverMax", []string{closedDatabase, "MADAF_DB_MAX_CONNS=5", "MADAF_DB_MAX_IDLE_CONNS=6"}, "MADAF_DB_MAX_IDLE_CONNS", ""},
		{"LifetimeNoUnit", []string{closedDatabase, "MADAF_DB_CONN_MAX_LIFETIME=60"}, "MADAF_DB_CONN_MAX_LIFETIME", ""},
		{"StatementCacheNegative", []string{closedDatabase, "MADAF_DB_STATEMENT_CACHE=-5"}, "MADAF_DB_STATEMENT_CACHE", ""},
		{"StatementTimeoutNegative", []string{closedDatabase, "MADAF_DB_STATEMENT_TIMEOUT=-1s"}, "MADAF_DB_STATEMENT_TIMEOUT", ""},
		{"ShutdownZero", []string{closedDatabase, "MADAF_SHUTDOWN_TIMEOUT=0"}, "MADAF_SHUTDOWN_TIMEOUT", ""},
		{"ReadTimeoutBad", []string{closedDatabase, "MADAF_HTTP_READ_TIMEOUT=soon"}, "MADAF_HTTP_READ_TIMEOUT", ""},
		{"WriteTimeoutBad", []string{closedDatabase, "MADAF_HTTP_WRITE_TIMEOUT=2 minutes"}, "MADAF_HTTP_WRITE_TIMEOUT", ""},
		{"SecretKeyShort", []string{closedDatabase, "MADAF_SECRET_KEY=c2hvcnQta2V5"}, "MADAF_SECRET_KEY", "c2hvcnQta2V5"},
		{"SecretKeyNotBase64", []string{"MADAF_SECRET_KEY=not a key at all!"}, "MADAF_SECRET_KEY", "not a key at all!"},
		{"SecretKeyMissingWithDatabaseURL", []string{closedDatabase}, "MADAF_SECRET_KEY", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runMadaf(t, tt.env, "serve")
			if code != 1 {
				t.Fatalf("exit status %d, want 1 (stderr %q)", code, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
			lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "madaf: "+tt.variable+": ") {
				t.Fatalf("stderr %q, want one line naming %s", stderr, tt.variable)
			}
			if tt.secret != "" && strings.Contains(stderr, tt.secret) {
				t.Errorf("the line repeats the secret: %q", stderr)
			}
		})
	}
	t.Run("TypoSuggestsTheSetting", func(t *testing.T) {
		_, _, stderr := runMadaf(t, []string{closedDatabase, "MADAF_LOG_LEVL=debug"}, "serve")
		if !strings.Contains(stderr, "did you mean MADAF_LOG_LEVEL?") {
			t.Fatalf("stderr %q", stderr)
		}
	})
}

// TestSecretKeyRequiredWithDatabaseURL: with DATABASE_URL, the commands
// that read or write the second factors' secrets (serve, demo) do not start
// without MADAF_SECRET_KEY, and start (here, to reach the closed database)
// with it; the other commands do not ask for it.
func TestSecretKeyRequiredWithDatabaseURL(t *testing.T) {
	const key = "MADAF_SECRET_KEY=q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80="
	for _, tt := range []struct {
		env     []string
		cmd     string
		keyLine bool
	}{
		{[]string{closedDatabase}, "serve", true},
		{[]string{closedDatabase}, "demo", true},
		{[]string{closedDatabase, key}, "serve", false},
		{[]string{closedDatabase, key}, "demo", false},
		{[]string{closedDatabase}, "migrate", false},
		{[]string{closedDatabase}, "volumes", false},
	} {
		code, _, stderr := runMadaf(t, tt.env, tt.cmd)
		named := strings.HasPrefix(stderr, "madaf: MADAF_SECRET_KEY: ")
		if code != 1 || named != tt.keyLine {
			t.Errorf("%s with %v: exit %d, stderr %q; want the key named: %v", tt.cmd, tt.env, code, stderr, tt.keyLine)
		}
		if !tt.keyLine && !strings.Contains(stderr, "database") {
			t.Errorf("%s with %v went no further than %q", tt.cmd, tt.env, stderr)
		}
	}
	c, err := loadConfig(nil)
	if err != nil {
		t.Fatal(err)
	}
	if k, err := c.secretKeyFor(); err != nil || !k.IsDevelopment() {
		t.Errorf("on the development database: %v, %v; want the development key", k, err)
	}
	c, err = loadConfig([]string{"DATABASE_URL=postgres://db.example/madaf", "MADAF_SECRET_KEY=" + auth.DevelopmentSecretKey})
	if err != nil {
		t.Fatal(err)
	}
	if k, err := c.secretKeyFor(); err == nil || !strings.Contains(err.Error(), "development key") {
		t.Errorf("the published key on a real database: %v, %v; want a refusal", k, err)
	}
}

// runMadaf runs the command with args in an environment of env alone and
// returns its exit status and output.
func runMadaf(t *testing.T, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append([]string{runAsMadaf + "=1", "HOME=" + t.TempDir()}, env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("run: %v", err)
	}
	return code, out.String(), errOut.String()
}

func TestConfigDefaults(t *testing.T) {
	c, err := loadConfig([]string{"PATH=/usr/bin", "MADAF_BENCH_DB=madaf_bench"})
	if err != nil {
		t.Fatal(err)
	}
	if c.addr != "127.0.0.1:8080" || c.ocidPrefix != "ocds-madaf1" || c.baseURL != "http://localhost:8080" {
		t.Errorf("addr %q, ocid prefix %q, base URL %q", c.addr, c.ocidPrefix, c.baseURL)
	}
	if c.db.MaxConns != 20 || c.db.MaxIdleConns != 10 || c.db.StatementTimeout != 30*time.Second || c.db.ConnMaxLifetime != time.Hour ||
		c.db.StatementCache != 256 {
		t.Errorf("pool %+v", c.db)
	}
	if c.shutdown != 25*time.Second || c.readTimeout != time.Minute || c.writeTimeout != 2*time.Minute {
		t.Errorf("shutdown %s, read %s, write %s", c.shutdown, c.readTimeout, c.writeTimeout)
	}
	c, err = loadConfig([]string{"MADAF_ADDR=:9000", "MADAF_DB_STATEMENT_TIMEOUT=0", "MADAF_DB_MAX_CONNS=4", "MADAF_DB_STATEMENT_CACHE=0",
		"MADAF_TRUSTED_PROXIES=10.0.0.0/8, 192.0.2.7", "MADAF_BASE_URL=https://madaf.example.org/"})
	if err != nil {
		t.Fatal(err)
	}
	if c.addr != ":9000" || c.db.StatementTimeout != 0 || c.db.MaxIdleConns != 4 || c.db.StatementCache >= 0 || len(c.proxies) != 2 || c.baseURL != "https://madaf.example.org" {
		t.Errorf("%+v", c)
	}
}

func TestHealthcheck(t *testing.T) {
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(status)
	}))
	defer srv.Close()
	addr := "MADAF_ADDR=" + strings.TrimPrefix(srv.URL, "http://")
	if err := run(context.Background(), []string{"healthcheck"}, []string{addr}); err != nil {
		t.Fatalf("a healthy service: %v", err)
	}
	status = http.StatusServiceUnavailable
	if err := run(context.Background(), []string{"healthcheck"}, []string{addr}); err == nil || !strings.Contains(err.Error(), "503") {
		t.Fatalf("an unhealthy service: %v", err)
	}
	srv.Close()
	if code, _, stderr := runMadaf(t, []string{addr}, "healthcheck"); code != 1 || !strings.Contains(stderr, "healthcheck") {
		t.Fatalf("no service: exit %d, %q", code, stderr)
	}
	for in, want := range map[string]string{":8080": "127.0.0.1:8080", "0.0.0.0:8080": "127.0.0.1:8080",
		"[::]:8080": "[::1]:8080", "10.0.0.5:8080": "10.0.0.5:8080"} {
		if got := loopback(in); got != want {
			t.Errorf("loopback(%q) = %q, want %q", in, got, want)
		}
	}
}
