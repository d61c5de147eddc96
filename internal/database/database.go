// Package database opens PostgreSQL, runs transactions and maps PostgreSQL
// errors to application errors in one place.
package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/shopspring/decimal"

	"madaf/internal/apperr"
	"madaf/internal/money"
)

// Open connects to url and checks the connection.
func Open(ctx context.Context, url string) (*sqlx.DB, error) {
	db, err := sqlx.Open("postgres", url)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(10)
	db.SetConnMaxIdleTime(5 * time.Minute)
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Handle is what a store runs its statements on: the pool or a
// transaction (*sqlx.DB and *sqlx.Tx both are), so that one store method
// serves a caller with or without a transaction.
type Handle interface {
	sqlx.ExtContext
	GetContext(ctx context.Context, dest any, query string, args ...any) error
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
}

// Transact runs fn in a transaction on h: in h itself when h is already a
// transaction (fn joins the caller's, which commits or rolls back), else in
// a new one as WithTx runs it.
func Transact(ctx context.Context, h Handle, fn func(tx *sqlx.Tx) error) error {
	switch x := h.(type) {
	case *sqlx.Tx:
		return MapError(fn(x))
	case *sqlx.DB:
		return WithTx(ctx, x, fn)
	}
	return fmt.Errorf("database: cannot begin a transaction on %T", h)
}

// WithTx runs fn in a transaction: it commits when fn returns nil, rolls back
// on an error or a panic, and runs fn again (up to five times) when
// PostgreSQL reports a serialization failure or a deadlock.
func WithTx(ctx context.Context, db *sqlx.DB, fn func(tx *sqlx.Tx) error) error {
	const attempts = 5
	var err error
	for i := 0; i < attempts; i++ {
		err = runTx(ctx, db, fn)
		if !retryable(err) {
			return err
		}
		time.Sleep(time.Duration(i+1) * 10 * time.Millisecond)
	}
	return err
}

func runTx(ctx context.Context, db *sqlx.DB, fn func(tx *sqlx.Tx) error) (err error) {
	tx, err := db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback()
			panic(p)
		}
		if err != nil {
			tx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return MapError(err)
	}
	// Deferred constraints report at commit; their errors are the
	// caller's, like any other constraint's.
	return MapError(tx.Commit())
}

func retryable(err error) bool {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		return pqErr.Code == "40001" || pqErr.Code == "40P01"
	}
	return false
}

// MapError turns the PostgreSQL errors a caller may cause into application
// errors: no rows → not found, unique violation → conflict, foreign key →
// invalid reference, check violation → invalid. Anything else is returned
// unchanged (and will be reported as an internal error).
func MapError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.ErrNotFound
	}
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) {
		return err
	}
	switch pqErr.Code {
	case "MDR01": // a guard: the message is a catalog key, the detail its argument
		if amount, err := decimal.NewFromString(pqErr.Detail); err == nil && strings.Contains(pqErr.Detail, ".") {
			return apperr.Conflict(pqErr.Message, money.Format(amount))
		}
		return apperr.Conflict(pqErr.Message, pqErr.Detail)
	case "23505":
		return apperr.Conflict("error.duplicate", constraintSubject(pqErr))
	case "23503":
		return apperr.Invalid("error.bad_reference", apperr.Field(constraintSubject(pqErr), "msg.bad_reference"))
	case "23514", "23502", "22P02", "22003", "22007", "22008":
		return apperr.Invalid("error.out_of_range", apperr.Field(constraintSubject(pqErr), "msg.out_of_range"))
	}
	return err
}

// constraintSubject gives a caller-safe name for the violated constraint.
func constraintSubject(e *pq.Error) string {
	if e.Column != "" {
		return e.Column
	}
	if e.Constraint != "" {
		return e.Constraint
	}
	return "value"
}

// IsUniqueViolation reports whether err is a unique-constraint violation.
func IsUniqueViolation(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == "23505"
}
