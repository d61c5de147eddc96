// Package server builds the HTTP engine every feature mounts on: the
// middleware chain, health and metrics endpoints, and authentication.
//
// Every route answers as RFC 9110 asks: HEAD wherever GET is routed, with
// the same headers and no body; OPTIONS with 204 and Allow; a method the
// path does not take with 405 and Allow (problem+json under /api/, the
// error page elsewhere, see page.Engine.Mount); a 401 with a bearer
// challenge. Answers are compressed when the client accepts it, and a JSON
// answer with an ETag is 304 to a matching If-None-Match.
package server

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/web"
)

// Base is the engine with the shared routes; features mount on API
// (/api/v1) and, for pages, on Engine.
type Base struct {
	Engine   *gin.Engine
	API      *gin.RouterGroup
	Auth     *auth.Store
	Registry *prometheus.Registry
}

func init() { gin.SetMode(gin.ReleaseMode) }

// New builds the base engine over db.
func New(db *sqlx.DB, logger *slog.Logger) *Base {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(db.DB, "madaf"))
	metrics := web.NewMetrics(reg)

	e := gin.New()
	// Client addresses (for login throttling) come from the connection, not
	// from X-Forwarded-For, which any caller can forge.
	e.SetTrustedProxies(nil)
	e.ContextWithFallback = true
	e.HandleMethodNotAllowed = true
	e.Use(web.Methods(e), web.Observe(logger, metrics), web.Compress(), web.Recover(), web.SecureHeaders(),
		web.Options(), web.LimitBody(web.MaxBody), web.CrossOrigin())

	e.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	e.GET("/readyz", func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
		defer cancel()
		if err := db.PingContext(ctx); err != nil {
			web.Logger(c).Warn("database not ready", "error", err)
			c.JSON(http.StatusServiceUnavailable, gin.H{"status": "database unavailable"})
			return
		}
		c.JSON(http.StatusOK, gin.H{"status": "ready"})
	})
	e.GET("/metrics", gin.WrapH(promhttp.HandlerFor(reg, promhttp.HandlerOpts{})))

	store := auth.NewStore(db)
	e.Use(auth.Identify(store))
	api := e.Group("/api/v1", web.PrivateCache())

	e.NoRoute(func(c *gin.Context) { web.Error(c, apperr.NotFound("not_found.resource")) })
	e.NoMethod(func(c *gin.Context) { web.Error(c, web.MethodNotAllowed(c)) })
	return &Base{Engine: e, API: api, Auth: store, Registry: reg}
}
