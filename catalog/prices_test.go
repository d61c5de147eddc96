package catalog_test

import (
	"context"
	"testing"

	"madaf/catalog"
	"madaf/internal/apperr"
	"madaf/internal/calendar"
	"madaf/internal/dbtest"
)

func TestPriceInForceNone(t *testing.T) {
	db := dbtest.New(t)
	_, err := catalog.PriceInForce(context.Background(), db, 1, 1, calendar.Today())
	if !apperr.Is(err, apperr.KindNotFound) {
		t.Fatalf("err = %v, want not found", err)
	}
}
