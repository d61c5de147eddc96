package app

import (
	"context"
	"net/http"
	"os"
	"runtime/pprof"
	"testing"
	"time"

	"madaf/internal/database"
	"madaf/internal/dbtest"
	"madaf/internal/webtest"
)

// TestOpsFrozenDatabase: while the database is frozen (stopped, not gone:
// its connections stay open and nothing comes back), every request that
// needs it is answered 503 with Retry-After within the request timeout
// and a little grace, whether it reads, or writes with an Idempotency-Key
// (whose key the service cannot keep meanwhile).
func TestOpsFrozenDatabase(t *testing.T) {
	const requestTimeout = 3 * time.Second
	dbURL := dbtest.NewURL(t)
	f := dbtest.NewFreezer(t, dbURL)
	db, err := database.Open(context.Background(), f.URL, database.Options{StatementTimeout: 10 * time.Second, MaxWait: requestTimeout})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	who := mustOpsCaller(t, db)
	cfg := quiet
	cfg.RequestTimeout = requestTimeout
	base := New(db, cfg)
	if r := webtest.Do(base.Engine, "GET", "/api/v1/me", who.token, nil); r.Code != http.StatusOK {
		t.Fatalf("before the freeze: %d %s", r.Code, r.Body)
	}
	f.Freeze()
	tests := []struct {
		name, method, path string
		body               string
		headers            []string
	}{
		{"Read", "GET", "/api/v1/orders", "", nil},
		{"WriteWithKey", "POST", "/api/v1/tenders", `{}`, []string{"Content-Type", "application/json", "Idempotency-Key", "frozen-1"}},
		{"Page", "GET", "/orders", "", nil},
	}
	// The request timeout, the pool's grace for a silent server (2 s)
	// and a second for a busy machine.
	limit := requestTimeout + 3*time.Second
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			done := make(chan webtest.Response, 1)
			go func() { done <- webtest.Do(base.Engine, tt.method, tt.path, who.token, tt.body, tt.headers...) }()
			var r webtest.Response
			select {
			case r = <-done:
			case <-time.After(limit + 10*time.Second):
				pprof.Lookup("goroutine").WriteTo(os.Stderr, 1)
				t.Fatalf("no answer after %s", time.Since(start))
			}
			took := time.Since(start)
			if r.Code != http.StatusServiceUnavailable || r.Header().Get("Retry-After") == "" {
				t.Errorf("%d Retry-After %q: %s", r.Code, r.Header().Get("Retry-After"), r.Body)
			}
			if took > limit {
				t.Errorf("answered after %s, more than %s", took.Round(10*time.Millisecond), limit)
			}
			t.Logf("answered %d after %s", r.Code, took.Round(10*time.Millisecond))
		})
	}
}
