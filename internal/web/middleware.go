package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"madaf/internal/apperr"
)

const (
	requestIDKey = "madaf.request_id"
	loggerKey    = "madaf.logger"
)

var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)

// RequestID returns the id of the current request.
func RequestID(c *gin.Context) string { return c.GetString(requestIDKey) }

// Observe gives every request an id (the caller's X-Request-ID when it is
// sane), a logger carrying it, and writes one access-log line; 5xx answers
// are logged at error level with the internal error, 4xx are not errors.
func Observe(logger *slog.Logger, m *Metrics) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		id := c.GetHeader("X-Request-ID")
		if !validRequestID.MatchString(id) {
			id = newID()
		}
		c.Set(requestIDKey, id)
		c.Header("X-Request-ID", id)
		l := logger.With("request_id", id)
		c.Set(loggerKey, l)

		c.Next()

		status, method := c.Writer.Status(), Method(c)
		route := c.FullPath()
		if route == "" {
			route = unmatchedRoute
		}
		elapsed := time.Since(start)
		if m != nil {
			m.requests.WithLabelValues(metricMethod(method), route, strconv.Itoa(status)).Inc()
			m.latency.WithLabelValues(metricMethod(method), route).Observe(elapsed.Seconds())
		}
		attrs := []any{"method", method, "route", route, "status", status, "duration_ms", elapsed.Milliseconds()}
		if status >= 500 {
			l.Error("request failed", append(attrs, "error", c.Errors.String())...)
		} else {
			l.Info("request", attrs...)
		}
	}
}

// Recover turns a panic into a 500 problem without internals.
func Recover() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if p := recover(); p != nil {
				Error(c, fmt.Errorf("panic: %v", p))
			}
		}()
		c.Next()
	}
}

// LimitBody caps every request body at MaxBody bytes; reading past it fails
// and BindJSON answers 413. A declared Content-Length over the limit is
// refused at once.
func LimitBody(limit int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.ContentLength > limit {
			Error(c, tooLarge(limit))
			return
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
		c.Next()
	}
}

// SecureHeaders sets the headers every answer carries: a strict
// Content-Security-Policy without inline scripts, no framing, no sniffing;
// and, on a request that came over TLS (see IsTLS), HSTS for two years and
// the subdomains. It must run after Forwarded.
func SecureHeaders() gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		if IsTLS(c.Request) {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		c.Next()
	}
}

// forwardingHeaders are the headers by which a proxy tells the client's
// address, scheme and host.
var forwardingHeaders = []string{"X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Real-Ip", "Forwarded"}

// Forwarded believes the headers by which a proxy names the client, the
// scheme and the host (X-Forwarded-For, -Proto, -Host; X-Real-IP and
// Forwarded) only on a request whose peer trusted accepts: on any other
// they are removed before anything reads them, so a client cannot pass for
// another address or for TLS. From a trusted proxy, the scheme and the host
// are those the nearest proxy added (the last of a list), and the host
// becomes the request's. gin's own list of trusted proxies (for ClientIP)
// must say the same. It must run before everything that reads the headers.
func Forwarded(trusted func(peer netip.Addr) bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		r := c.Request
		peer, err := netip.ParseAddrPort(r.RemoteAddr)
		if err != nil || !trusted(peer.Addr().Unmap()) {
			for _, h := range forwardingHeaders {
				r.Header.Del(h)
			}
			c.Next()
			return
		}
		if proto := nearest(r.Header.Values("X-Forwarded-Proto")); proto != "" {
			r.Header.Set("X-Forwarded-Proto", strings.ToLower(proto))
		}
		if host := nearest(r.Header.Values("X-Forwarded-Host")); host != "" {
			r.Host = host
		}
		c.Next()
	}
}

// nearest is the last element of a header's comma-separated values: the
// one the proxy nearest to the service added.
func nearest(values []string) string {
	if len(values) == 0 {
		return ""
	}
	last := values[len(values)-1]
	if i := strings.LastIndexByte(last, ','); i >= 0 {
		last = last[i+1:]
	}
	return strings.TrimSpace(last)
}

// IsTLS reports whether the request reached the service over TLS, or
// reached a trusted proxy in front of it over TLS (Forwarded removed the
// header from anyone else).
func IsTLS(r *http.Request) bool {
	return r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https"
}

// Deadline ends every request's context after d (none when d is 0), so that
// the database work of a request whose answer can no longer be written
// stops.
func Deadline(d time.Duration) gin.HandlerFunc {
	return func(c *gin.Context) {
		if d <= 0 {
			c.Next()
			return
		}
		ctx, cancel := context.WithTimeout(c.Request.Context(), d)
		defer cancel()
		c.Request = c.Request.WithContext(ctx)
		c.Next()
	}
}

// CrossOrigin refuses cross-site unsafe requests (Go's
// http.CrossOriginProtection) unless they carry a bearer token, which a
// browser never adds on its own.
func CrossOrigin() gin.HandlerFunc {
	cop := http.NewCrossOriginProtection()
	return func(c *gin.Context) {
		if strings.HasPrefix(c.GetHeader("Authorization"), "Bearer ") {
			c.Next()
			return
		}
		if err := cop.Check(c.Request); err != nil {
			Error(c, apperr.Forbidden("error.cross_origin"))
			return
		}
		c.Next()
	}
}

// Metrics are the HTTP metrics exported on /metrics.
type Metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// NewMetrics registers the HTTP metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "madaf_http_requests_total", Help: "HTTP requests by method, route template and status.",
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "madaf_http_request_duration_seconds", Help: "HTTP request latency by method and route template.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route"}),
	}
	reg.MustRegister(m.requests, m.latency)
	return m
}

// unmatchedRoute is the route label of a request that matched no route.
const unmatchedRoute = "unmatched"

// metricMethod is the method label of the HTTP metrics: the methods the
// service routes, and OTHER for any other, so that no caller can add series
// by inventing methods.
func metricMethod(m string) string {
	if slices.Contains(methodOrder, m) {
		return m
	}
	return "OTHER"
}

func newID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}
