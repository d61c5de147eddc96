// Package database opens PostgreSQL, runs transactions and maps PostgreSQL
// errors to application errors in one place.
package database

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"madaf/internal/apperr"
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
		return err
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
	case "MDR01": // a capacity guard: the message is written for the caller
		return apperr.Conflict("%s", pqErr.Message)
	case "23505":
		return apperr.Conflict("a record with the same %s already exists", constraintSubject(pqErr))
	case "23503":
		return apperr.Invalid("a referenced record does not exist", apperr.Field(constraintSubject(pqErr), "refers to a record that does not exist"))
	case "23514", "23502", "22P02", "22003", "22007", "22008":
		return apperr.Invalid(fmt.Sprintf("a value is out of range (%s)", constraintSubject(pqErr)))
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
