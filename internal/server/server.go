// Package server builds the HTTP engine every feature mounts on: the
// middleware chain, health and metrics endpoints, and authentication.
package server

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
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
	e.Use(web.Observe(logger, metrics), web.Recover(), web.SecureHeaders(), web.LimitBody(web.MaxBody), web.CrossOrigin())

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
	api := e.Group("/api/v1")

	e.NoRoute(func(c *gin.Context) { web.Error(c, apperr.NotFound("not_found.resource")) })
	e.NoMethod(func(c *gin.Context) {
		c.Header("Content-Type", "application/problem+json")
		c.AbortWithStatusJSON(http.StatusMethodNotAllowed, web.Problem{Type: "urn:madaf:problem:method-not-allowed",
			Title: "Method Not Allowed", Status: http.StatusMethodNotAllowed, RequestID: web.RequestID(c),
			Detail: "method " + strings.ToUpper(c.Request.Method) + " is not allowed here"})
	})
	return &Base{Engine: e, API: api, Auth: store, Registry: reg}
}
