package web

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
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
			route = "unmatched"
		}
		elapsed := time.Since(start)
		if m != nil {
			m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
			m.latency.WithLabelValues(method, route).Observe(elapsed.Seconds())
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
// Content-Security-Policy without inline scripts, no framing, no sniffing.
func SecureHeaders() gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
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

func newID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}
