package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jmoiron/sqlx"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/database"
	"madaf/internal/web"
)

// Every unsafe request under /api/v1 (POST, PUT, PATCH, DELETE) that
// carries an Idempotency-Key is carried out at most once for its user and
// key, and every retry with the same key and the same request (method,
// path and query, If-Match, body) gets the first answer again, with the
// header Idempotent-Replayed: true; the same key with another request is
// refused (422, idempotency.key_reused). The routes of NotIdempotent, and
// requests without a caller, do not take part; every other route does,
// with no edit of its own.
//
// How a request is carried out exactly once, with its answer kept in
// another transaction than its change:
//
//  1. The request claims the key: a row of request_keys in state running,
//     with a lease (a random token and an end, renewed while the request
//     runs). A second request with the key finds the row and waits for the
//     answer (polling, up to Options.KeyWait), then answers 409
//     idempotency.in_progress with Retry-After.
//  2. The request runs with database.BeforeCommit: every transaction it
//     commits first moves the key's row to applied, in that same
//     transaction, provided the lease is still the request's. So the row
//     says applied if and only if a change of the request committed; and a
//     request whose lease was taken over cannot commit anything (its
//     transaction rolls back, 409 idempotency.in_progress).
//  3. Once the answer is sent, it (status below 500, other than 408 and
//     429) is kept in the row (answered); a 5xx or a panic releases the key
//     instead: a row still running is deleted (nothing was changed: the
//     retry runs the request again) and an applied one keeps its state. A
//     service that stops waits for these writes (Base.Settle).
//
// A request that dies between its steps (the process is killed, the
// database goes away) leaves its row behind with a lease that ends soon
// (keyLease). A retry after that takes the key over:
//   - running: nothing committed, so the request simply runs again;
//   - applied: the change committed but its answer was never kept (the
//     window between step 2's commit and step 3's write: a crash, or the
//     database gone before the answer was kept). The request runs again with every commit refused: an action
//     that recognises its own repeat answers without writing (an order's
//     transition answers the order as it stands); anything else answers
//     409 idempotency.answer_lost, and that is kept as the key's answer.
//     Nothing is ever carried out twice.
//
// Writes that bypass database.WithTx (statements on a bare *sqlx.DB
// outside a transaction) are not covered by step 2; the stores write
// through database.Audited, whose writes run in WithTx.

// KeyHeader is the request header naming a request's idempotency key.
const KeyHeader = "Idempotency-Key"

// ReplayedHeader marks an answer that is the replay of a kept one.
const ReplayedHeader = "Idempotent-Replayed"

// maxKey is the longest idempotency key accepted.
const maxKey = 255

// NotIdempotent are the unsafe API routes (method and route template) that
// ignore Idempotency-Key: signing in and out, where the answer is the
// caller's new session, and answers that carry a secret, which is never
// kept (a new API token).
var NotIdempotent = map[string]bool{
	"POST /api/v1/auth/login":  true,
	"POST /api/v1/auth/logout": true,
	"POST /api/v1/auth/forgot": true,
	"POST /api/v1/auth/tokens": true,
}

const (
	// keyLease is how long a request holds its key without renewing it:
	// the longest a retry waits for a request that died.
	keyLease = 6 * time.Second
	// keyRenew is how often a running request renews its lease.
	keyRenew = 2 * time.Second
	// keyWait is the longest a request with a key held by another one
	// waits for its answer before answering 409, unless Options.KeyWait
	// says otherwise.
	keyWait = 5 * time.Second
)

// idempotent is the middleware of the API group (see the comment above).
func idempotent(db *sqlx.DB, wait time.Duration, kept *sync.WaitGroup) gin.HandlerFunc {
	return func(c *gin.Context) {
		key := c.GetHeader(KeyHeader)
		route := c.Request.Method + " " + c.FullPath()
		p := auth.Caller(c)
		if key == "" || !unsafeMethod(c.Request.Method) || c.FullPath() == "" || NotIdempotent[route] || p == nil {
			c.Next()
			return
		}
		if !validKey(key) {
			web.Error(c, apperr.Invalid("idempotency.bad_key", apperr.Field(KeyHeader, "idempotency.key_format", maxKey)))
			return
		}
		body, err := io.ReadAll(c.Request.Body)
		if err != nil {
			if web.IsTooLarge(err) {
				web.Error(c, apperr.New(apperr.KindTooLarge, "error.body_too_large", web.MaxBody))
				return
			}
			web.Error(c, apperr.Malformed("error.json_truncated"))
			return
		}
		c.Request.Body = io.NopCloser(bytes.NewReader(body))
		k := &keyed{db: db, userID: p.UserID, key: key, method: c.Request.Method, path: c.Request.URL.Path,
			hash: requestHash(c.Request, body), lease: newLease(), wait: wait, kept: kept}
		k.serve(c)
	}
}

func unsafeMethod(m string) bool {
	return m == http.MethodPost || m == http.MethodPut || m == http.MethodPatch || m == http.MethodDelete
}

// validKey reports whether key is 1 to maxKey visible ASCII characters.
func validKey(key string) bool {
	if len(key) == 0 || len(key) > maxKey {
		return false
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] > 0x7e {
			return false
		}
	}
	return true
}

// requestHash identifies a request for its key: method, path and query,
// If-Match and body.
func requestHash(r *http.Request, body []byte) []byte {
	h := sha256.New()
	for _, part := range []string{r.Method, r.URL.RequestURI(), r.Header.Get("If-Match")} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	h.Write(body)
	return h.Sum(nil)
}

func newLease() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// keyed is one request with an idempotency key.
type keyed struct {
	db           *sqlx.DB
	userID       int64
	key          string
	method, path string
	hash         []byte
	lease        string
	wait         time.Duration
	// kept counts the answers still being kept (Base.Settle).
	kept *sync.WaitGroup
}

// keptKey is a row of request_keys as a retry reads it.
type keptKey struct {
	Method  string          `db:"method"`
	Path    string          `db:"path"`
	Hash    []byte          `db:"request_hash"`
	State   string          `db:"state"`
	Lease   string          `db:"lease"`
	Expired bool            `db:"expired"`
	Status  sql.NullInt32   `db:"status"`
	Headers json.RawMessage `db:"headers"`
	Body    []byte          `db:"body"`
}

// Key states (request_keys.state).
const (
	keyRunning  = "running"
	keyApplied  = "applied"
	keyAnswered = "answered"
)

// serve claims the key, then runs the request, replays the kept answer or
// refuses.
func (k *keyed) serve(c *gin.Context) {
	ctx := c.Request.Context()
	waitUntil := time.Now().Add(k.wait)
	if d, ok := ctx.Deadline(); ok && d.Add(-time.Second).Before(waitUntil) {
		waitUntil = d.Add(-time.Second)
	}
	pause := 20 * time.Millisecond
	for {
		row, claimed, err := k.claim(ctx)
		if err != nil {
			web.Error(c, err)
			return
		}
		if claimed {
			k.run(c, false)
			return
		}
		if row.Method != k.method || row.Path != k.path || row.Hash != nil && !bytes.Equal(row.Hash, k.hash) {
			web.Error(c, apperr.Invalid("idempotency.key_reused", apperr.Field(KeyHeader, "idempotency.key_reused_field")))
			return
		}
		if row.State == keyAnswered {
			replay(c, row)
			return
		}
		if row.Expired {
			took, err := k.takeOver(ctx, row)
			if err != nil {
				web.Error(c, err)
				return
			}
			if took {
				k.run(c, row.State == keyApplied)
				return
			}
			continue
		}
		if time.Now().Add(pause).After(waitUntil) {
			e := apperr.Conflict("idempotency.in_progress")
			e.RetryAfter = 1
			web.Error(c, e)
			return
		}
		select {
		case <-ctx.Done():
			web.Error(c, database.Unavailable(ctx.Err()))
			return
		case <-time.After(pause):
		}
		pause = min(2*pause, 250*time.Millisecond)
	}
}

// errAnswerLost refuses every commit of a request run again for a key
// whose change committed but whose answer was never kept.
var errAnswerLost = apperr.Conflict("idempotency.answer_lost")

// run runs the request as the key's holder: its commits mark the key
// applied (or, when applied is true, the change was made already and
// every commit is refused), its lease is renewed while it runs, and its
// answer is kept.
func (k *keyed) run(c *gin.Context, applied bool) {
	hook := func(ctx context.Context, tx *sqlx.Tx) error {
		if applied {
			return errAnswerLost
		}
		held, err := k.markApplied(ctx, tx)
		if err != nil {
			return err
		}
		if !held {
			// The lease ended and another request took the key over.
			return apperr.Conflict("idempotency.in_progress")
		}
		return nil
	}
	ctx := c.Request.Context()
	c.Request = c.Request.WithContext(database.BeforeCommit(ctx, hook))
	rec := &recorder{ResponseWriter: c.Writer}
	c.Writer = rec

	stop := make(chan struct{})
	go k.renew(context.WithoutCancel(ctx), stop)
	// The key is kept or released after the answer is sent, not before:
	// when the database is frozen, each of those statements would hold
	// the answer for as long as the pool waits for a silent server. A
	// retry meanwhile finds the key still leased and waits for it, and
	// the statements' conditions on the lease make their order with the
	// renewals harmless.
	answered := false
	defer func() {
		close(stop)
		if !answered {
			k.kept.Go(func() { k.release(context.WithoutCancel(ctx)) })
		}
	}()

	c.Next()

	status := rec.Status()
	if status >= 500 || status == http.StatusRequestTimeout || status == http.StatusTooManyRequests {
		return
	}
	answered = true
	headers, body := rec.Header().Clone(), bytes.Clone(rec.body.Bytes())
	k.kept.Go(func() {
		ctx := context.WithoutCancel(ctx)
		if k.keep(ctx, status, headers, body) != nil {
			k.release(ctx)
		}
	})
}

// renew extends the lease every keyRenew until stop closes.
func (k *keyed) renew(ctx context.Context, stop <-chan struct{}) {
	t := time.NewTicker(keyRenew)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			rctx, cancel := context.WithTimeout(ctx, keyRenew)
			k.extend(rctx)
			cancel()
		}
	}
}

// keptHeaders are the answer's headers kept and replayed with its body.
var keptHeaders = []string{"Content-Type", "Location", "ETag"}

// replay answers the kept answer again.
func replay(c *gin.Context, row *keptKey) {
	var headers map[string]string
	json.Unmarshal(row.Headers, &headers)
	for name, v := range headers {
		c.Header(name, v)
	}
	c.Header(ReplayedHeader, "true")
	status := int(row.Status.Int32)
	c.Status(status)
	if len(row.Body) > 0 && bodyAllowed(status) {
		c.Writer.Write(row.Body)
	}
	c.Abort()
}

func bodyAllowed(status int) bool {
	return status != http.StatusNoContent && status != http.StatusNotModified && status >= 200
}

// recorder passes an answer on and keeps a copy of its body.
type recorder struct {
	gin.ResponseWriter
	body bytes.Buffer
}

func (r *recorder) Write(b []byte) (int, error) {
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

func (r *recorder) WriteString(s string) (int, error) {
	r.body.WriteString(s)
	return r.ResponseWriter.WriteString(s)
}
