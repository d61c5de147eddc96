// Package webtest drives handlers through the real engine in tests: it
// builds the base server over a test database, creates users and tokens,
// and sends JSON requests.
package webtest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/jmoiron/sqlx"

	"madaf/accounts"
	"madaf/internal/auth"
	"madaf/internal/server"
)

// NewBase builds the base server over db with a silent logger; mount the
// feature under test on its API group.
func NewBase(t testing.TB, db *sqlx.DB) *server.Base {
	t.Helper()
	return server.New(db, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// MustUser creates a user with the password "correct horse battery".
func MustUser(t testing.TB, db *sqlx.DB, nu accounts.NewUser) *accounts.User {
	t.Helper()
	if nu.Password == "" {
		nu.Password = Password
	}
	if nu.Name == "" {
		nu.Name = nu.Email
	}
	u, err := accounts.NewStore(db).CreateUser(context.Background(), nu)
	if err != nil {
		t.Fatalf("create user %s: %v", nu.Email, err)
	}
	return u
}

// Password is the password MustUser gives when none is set.
const Password = "correct horse battery"

// MustToken returns a personal API token for userID. A user whose roles
// or delegations require a second factor they have not enrolled gets one
// first (MustSecondFactor), since none of their tokens works before.
func MustToken(t testing.TB, db *sqlx.DB, userID int64) string {
	t.Helper()
	sf, err := accounts.NewStore(db).SecondFactorOf(context.Background(), userID)
	if err != nil {
		t.Fatalf("user %d: %v", userID, err)
	}
	if sf.Required && !sf.Enabled {
		MustSecondFactor(t, db, userID)
	}
	tok, err := auth.NewStore(db).NewToken(context.Background(), userID, "test")
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	return tok.Token
}

// MustSecondFactor enrols a new random TOTP secret as userID's second
// factor and returns the secret.
func MustSecondFactor(t testing.TB, db *sqlx.DB, userID int64) string {
	t.Helper()
	secret, err := auth.NewTOTPSecret()
	if err == nil {
		err = accounts.NewStore(db).EnrolSecondFactor(context.Background(), userID, secret)
	}
	if err != nil {
		t.Fatalf("second factor of user %d: %v", userID, err)
	}
	return secret
}

// Response is a recorded answer.
type Response struct {
	*httptest.ResponseRecorder
}

// JSON decodes the body into v, failing the test when it cannot.
func (r Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body.Bytes(), v); err != nil {
		t.Fatalf("decode %s: %v", r.Body.String(), err)
	}
}

// Map decodes the body into a map.
func (r Response) Map(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	r.JSON(t, &m)
	return m
}

// Do sends method path with body (a string or []byte is sent as is, any
// other value as JSON) authenticated with token (none when empty). Extra
// headers come in pairs.
func Do(h http.Handler, method, path, token string, body any, headers ...string) Response {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req := httptest.NewRequest(method, path, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return Response{w}
}
