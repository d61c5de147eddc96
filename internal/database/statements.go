package database

import (
	"container/list"
	"context"
	"database/sql/driver"
	"errors"

	"github.com/lib/pq"
)

// A statement cache keeps, on each connection, the statements it has run
// with parameters prepared under a name, so that running one again is a
// single round trip (bind and execute) that PostgreSQL neither parses nor,
// once it settles on a generic plan, plans again. Parsing and planning are
// a large part of what the service's short statements cost the server.
//
// Statements without parameters keep lib/pq's simple protocol (one round
// trip, several statements allowed), and a named statement's results come
// back in text like the unnamed ones (disable_prepared_binary_result), so
// every value is decoded as before. A connection holds at most size
// statements; the least recently used beyond that are closed when the pool
// next hands the connection out (ResetSession), never inside a transaction.
// Named statements outlive a rolled-back transaction, so a cached statement
// stays valid until its connection closes.

// cachingConnector makes connections whose statements are cached.
type cachingConnector struct {
	driver.Connector
	size int
}

func (c cachingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return newCachingConn(conn, c.size), nil
}

// pqConn is what lib/pq's connection implements and a cachingConn passes
// on.
type pqConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.QueryerContext
	driver.ExecerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
	driver.NamedValueChecker
}

type cachedStmt struct {
	query string
	stmt  interface {
		driver.Stmt
		driver.StmtQueryContext
		driver.StmtExecContext
	}
}

// cachingConn is one connection with its statements. database/sql uses a
// connection from one goroutine at a time, so it needs no lock.
type cachingConn struct {
	pqConn
	size    int
	byQuery map[string]*list.Element // of *cachedStmt
	recent  list.List                // most recently used first
	closing []driver.Stmt            // evicted, closed on the next ResetSession
	inTx    bool
	bad     bool // a statement's context ended: not to be used again
}

// BeginTx notes that the connection is in a transaction until it ends.
func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	tx, err := c.pqConn.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	c.inTx = true
	return cachingTx{Tx: tx, c: c}, nil
}

type cachingTx struct {
	driver.Tx
	c *cachingConn
}

func (t cachingTx) Commit() error   { t.c.inTx = false; return t.Tx.Commit() }
func (t cachingTx) Rollback() error { t.c.inTx = false; return t.Tx.Rollback() }

func newCachingConn(conn driver.Conn, size int) driver.Conn {
	pc, ok := conn.(pqConn)
	if !ok || size <= 0 {
		return conn
	}
	return &cachingConn{pqConn: pc, size: size, byQuery: map[string]*list.Element{}}
}

// prepared returns query's statement on this connection, preparing it on
// first use.
func (c *cachingConn) prepared(ctx context.Context, query string) (*cachedStmt, error) {
	if e, ok := c.byQuery[query]; ok {
		c.recent.MoveToFront(e)
		return e.Value.(*cachedStmt), nil
	}
	st, err := c.pqConn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	full, ok := st.(interface {
		driver.Stmt
		driver.StmtQueryContext
		driver.StmtExecContext
	})
	if !ok { // COPY: not a statement to keep
		st.Close()
		return nil, driver.ErrSkip
	}
	cs := &cachedStmt{query: query, stmt: full}
	c.byQuery[query] = c.recent.PushFront(cs)
	for c.recent.Len() > c.size {
		oldest := c.recent.Back()
		c.recent.Remove(oldest)
		old := oldest.Value.(*cachedStmt)
		delete(c.byQuery, old.query)
		c.closing = append(c.closing, old.stmt)
	}
	return cs, nil
}

// replanned reports whether err is the server refusing a prepared
// statement that no longer matches the tables it reads ("cached plan must
// not change result type") or that it does not know: raised when the
// statement is bound, before it runs, so running it afresh is safe.
func replanned(err error) bool {
	var pe *pq.Error
	if !errors.As(err, &pe) {
		return false
	}
	return pe.Code == "26000" || (pe.Code == "0A000" && pe.Routine == "RevalidateCachedQuery")
}

// drop forgets query's statement, closing it when the connection is next
// handed out.
func (c *cachingConn) drop(query string) {
	if e, ok := c.byQuery[query]; ok {
		c.recent.Remove(e)
		delete(c.byQuery, query)
		c.closing = append(c.closing, e.Value.(*cachedStmt).stmt)
	}
}

// run runs query with args through its prepared statement (plain when the
// statement is not one to keep). A statement the server no longer takes
// is dropped and, outside a transaction, prepared and run again once; in
// a transaction the error ends it and WithTx runs it again. A statement
// whose context ended leaves the connection unused again, as lib/pq does
// for its unnamed statements, so that a late cancel cannot reach the next
// statement on it.
func run[T any](c *cachingConn, ctx context.Context, query string, args []driver.NamedValue,
	plain func() (T, error), prepared func(*cachedStmt) (T, error)) (T, error) {
	var zero T
	if len(args) == 0 {
		return plain()
	}
	for attempt := 0; ; attempt++ {
		cs, err := c.prepared(ctx, query)
		if errors.Is(err, driver.ErrSkip) {
			return plain()
		}
		if err != nil {
			return zero, err
		}
		out, err := prepared(cs)
		if ctx.Err() != nil {
			c.bad = true
		}
		if err != nil && replanned(err) {
			c.drop(query)
			if !c.inTx && attempt == 0 {
				continue
			}
		}
		return out, err
	}
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return run(c, ctx, query, args,
		func() (driver.Rows, error) { return c.pqConn.QueryContext(ctx, query, args) },
		func(cs *cachedStmt) (driver.Rows, error) { return cs.stmt.QueryContext(ctx, args) })
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return run(c, ctx, query, args,
		func() (driver.Result, error) { return c.pqConn.ExecContext(ctx, query, args) },
		func(cs *cachedStmt) (driver.Result, error) { return cs.stmt.ExecContext(ctx, args) })
}

// IsValid reports whether the connection may be used again.
func (c *cachingConn) IsValid() bool { return !c.bad && c.pqConn.IsValid() }

// ResetSession closes the statements evicted since the connection was last
// handed out; a connection that cannot close them is not used again.
func (c *cachingConn) ResetSession(ctx context.Context) error {
	if c.bad {
		return driver.ErrBadConn
	}
	for len(c.closing) > 0 {
		st := c.closing[0]
		c.closing = c.closing[1:]
		if err := st.Close(); err != nil {
			return driver.ErrBadConn
		}
	}
	return c.pqConn.ResetSession(ctx)
}
