package app

import (
	"testing"

	"madaf/internal/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }
