// Package worker runs the service's background loops: a job run at once
// and then every interval until the context ends.
package worker

import (
	"context"
	"log/slog"
	"time"
)

// Every runs job now and then every interval (30s when not positive) until
// ctx ends, logging under name what it did (a count above zero) and its
// errors.
func Every(ctx context.Context, interval time.Duration, logger *slog.Logger, name string, job func(context.Context) (int, error)) {
	if interval <= 0 {
		interval = 30 * time.Second
	}
	if logger == nil {
		logger = slog.Default()
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		if n, err := job(ctx); err != nil && ctx.Err() == nil {
			logger.Error(name, "error", err)
		} else if n > 0 {
			logger.Info(name, "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
