// Package server builds the HTTP engine every feature mounts on: the
// middleware chain, health and metrics endpoints, and authentication.
//
// Every route answers as RFC 9110 asks: HEAD wherever GET is routed, with
// the same headers and no body; OPTIONS with 204 and Allow; a method the
// path does not take with 405 and Allow (problem+json under /api/, the
// error page elsewhere, see page.Engine.Mount); a 401 with a bearer
// challenge. Answers are compressed when the client accepts it, and a JSON
// answer with an ETag is 304 to a matching If-None-Match.
//
// The forwarding headers of a proxy (X-Forwarded-For, -Proto, -Host) are
// believed only from the trusted proxies; an answer to a request that came
// over TLS, directly or through one of them, carries HSTS. While the
// database cannot be reached, every request that needs it is answered 503
// with Retry-After, never as if the caller were anonymous. Every unsafe API
// request with an Idempotency-Key is carried out once and its answer
// replayed to its retries (see idempotency.go).
package server

import (
	"cmp"
	"context"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/database"
	"madaf/internal/web"
)

// Base is the engine with the shared routes; features mount on API
// (/api/v1) and, for pages, on Engine.
type Base struct {
	Engine   *gin.Engine
	API      *gin.RouterGroup
	Auth     *auth.Store
	Registry *prometheus.Registry
	// Metrics serves the Prometheus metrics, for a listener of their own
	// (Options.MetricsApart); it asks for the metrics token when one is set.
	Metrics http.Handler

	proxies  []netip.Prefix
	pageFail func(c *gin.Context, err error)
	// kept counts the idempotency keys whose answer is still being kept
	// after it was sent (see Settle).
	kept sync.WaitGroup
}

// Settle waits, until ctx ends, for the answers of the requests served so
// far to be kept for their idempotency keys: a service that stops after
// draining its requests settles them, so that a retry after the restart
// gets its first answer again.
func (b *Base) Settle(ctx context.Context) {
	done := make(chan struct{})
	go func() {
		b.kept.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// Options configure the base engine. The zero value trusts no proxy, serves
// no /metrics on the engine and sets no request deadline.
type Options struct {
	// TrustedProxies are the addresses or CIDR ranges of the proxies in
	// front of the service, whose forwarding headers name the client, the
	// scheme and the host. The configuration checks them (see ParseProxies).
	TrustedProxies []string
	// MetricsToken, when set, serves /metrics on the engine to requests
	// carrying "Authorization: Bearer <MetricsToken>", and 401 to others.
	// Without it, /metrics is not on the engine (404).
	MetricsToken string
	// MetricsApart leaves /metrics off the engine whatever MetricsToken
	// says: Base.Metrics is served on a listener of its own.
	MetricsApart bool
	// RequestTimeout ends each request's context, and so its database
	// work (none when 0).
	RequestTimeout time.Duration
	// KeyWait is the longest a request waits for the answer of another
	// request with the same Idempotency-Key before answering 409
	// (default 5 s; see idempotency.go).
	KeyWait time.Duration
}

func init() { gin.SetMode(gin.ReleaseMode) }

// New builds the base engine over db with opts (at most one; none is the
// zero Options). It panics on TrustedProxies that ParseProxies refuses.
func New(db *sqlx.DB, logger *slog.Logger, opts ...Options) *Base {
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(db.DB, "madaf"))
	metrics := web.NewMetrics(reg)

	e := gin.New()
	b := &Base{Engine: e, Registry: reg, Metrics: requireToken(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), o.MetricsToken)}
	if err := b.TrustProxies(o.TrustedProxies); err != nil {
		panic("server: " + err.Error())
	}
	e.ContextWithFallback = true
	e.HandleMethodNotAllowed = true
	e.Use(web.Methods(e), web.Forwarded(b.trusts), web.Observe(logger, metrics), web.Deadline(o.RequestTimeout),
		web.Compress(), web.Recover(), web.SecureHeaders(), web.Options(), b.limitBody(), web.CrossOrigin())

	e.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	e.GET("/readyz", func(c *gin.Context) {
		if err := ping(c.Request.Context(), db, readyTimeout); err != nil {
			web.Logger(c).Warn("database not ready", "error", err)
			c.Header("Retry-After", strconv.Itoa(database.RetryAfter))
			c.JSON(http.StatusServiceUnavailable, gin.H{"status": "database unavailable"})
			return
		}
		c.JSON(http.StatusOK, gin.H{"status": "ready"})
	})
	if o.MetricsToken != "" && !o.MetricsApart {
		e.GET("/metrics", metricsRoute(reg, o.MetricsToken))
	}

	b.Auth = auth.NewStore(db)
	e.Use(auth.Identify(b.Auth, b.fail))
	e.Use(auth.Attribute())
	b.API = e.Group("/api/v1", web.PrivateCache(), idempotent(db, cmp.Or(o.KeyWait, keyWait), &b.kept))

	e.NoRoute(func(c *gin.Context) { web.Error(c, apperr.NotFound("not_found.resource")) })
	e.NoMethod(func(c *gin.Context) { web.Error(c, web.MethodNotAllowed(c)) })
	return b
}

// readyTimeout bounds /readyz: it answers within it even when the database
// does not answer at all.
const readyTimeout = 2 * time.Second

// ping checks the database within timeout, without waiting for a ping
// that does not come back.
func ping(ctx context.Context, db *sqlx.DB, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- db.PingContext(ctx) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// AnswerPagesWith makes fail (the page engine's Fail: the error page in the
// caller's language) the answer to a page request that the base refuses
// before its route runs, such as one whose session cannot be read while
// the database is unavailable. API requests, and page requests until this
// is called, are answered with problem+json.
func (b *Base) AnswerPagesWith(fail func(c *gin.Context, err error)) { b.pageFail = fail }

func (b *Base) fail(c *gin.Context, err error) {
	if b.pageFail != nil && !strings.HasPrefix(c.Request.URL.Path, "/api/") {
		b.pageFail(c, web.Unavailable(err))
		c.Abort()
		return
	}
	web.Error(c, err)
}

// TrustProxies makes list (addresses or CIDR ranges, see ParseProxies) the
// proxies whose forwarding headers are believed, for the client's address
// (gin's ClientIP) as for the scheme and the host; an empty list trusts
// none. Call it before serving.
func (b *Base) TrustProxies(list []string) error {
	prefixes, err := ParseProxies(list)
	if err != nil {
		return err
	}
	var ranges []string
	for _, p := range prefixes {
		ranges = append(ranges, p.String())
	}
	if err := b.Engine.SetTrustedProxies(ranges); err != nil {
		return err
	}
	b.proxies = prefixes
	return nil
}

// ParseProxies reads addresses and CIDR ranges (10.0.0.5, 10.0.0.0/8,
// fd00::/8), refusing anything else.
func ParseProxies(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an address nor a CIDR range", s)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

func (b *Base) trusts(peer netip.Addr) bool {
	return slices.ContainsFunc(b.proxies, func(p netip.Prefix) bool { return p.Contains(peer) })
}

// metricsRoute serves the metrics on the engine to the bearer of token;
// any other caller gets a 401 problem.
func metricsRoute(reg *prometheus.Registry, token string) gin.HandlerFunc {
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	return func(c *gin.Context) {
		if !hasToken(c.Request, token) {
			key := "auth.required"
			if c.GetHeader("Authorization") != "" {
				key = "auth.token_invalid"
			}
			web.Error(c, apperr.Unauthorized(key))
			return
		}
		h.ServeHTTP(c.Writer, c.Request)
	}
}

// requireToken serves h to the bearer of token (to anyone when token is
// empty), 401 to others.
func requireToken(h http.Handler, token string) http.Handler {
	if token == "" {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !hasToken(r, token) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="madaf"`)
			http.Error(w, http.StatusText(http.StatusUnauthorized), http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// hasToken reports whether r carries "Authorization: Bearer <token>".
func hasToken(r *http.Request, token string) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(token)) == 1
}
