package auth_test

import (
	"context"
	"testing"
	"time"

	"madaf/internal/apperr"
	"madaf/internal/auth"
	"madaf/internal/dbtest"
)

// rfcSecret is the SHA-1 key of RFC 6238's test vectors, in base32.
const rfcSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

func TestMatchTOTP(t *testing.T) {
	at := time.Unix(1111111109, 0) // RFC 6238 appendix B: 07081804 (8 digits)
	tests := []struct {
		name     string
		code     string
		at       time.Time
		wantStep int64
		ok       bool
	}{
		{"RFCVector", "081804", at, 1111111109 / 30, true},
		{"OneStepLate", "081804", at.Add(30 * time.Second), 1111111109 / 30, true},
		{"TwoStepsLate", "081804", at.Add(60 * time.Second), 0, false},
		{"Wrong", "081805", at, 0, false},
		{"Short", "81804", at, 0, false},
		{"Spaces", " 081804 ", at, 1111111109 / 30, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			step, ok := auth.MatchTOTP(rfcSecret, tt.code, tt.at)
			if ok != tt.ok || step != tt.wantStep {
				t.Errorf("MatchTOTP = %d, %t; want %d, %t", step, ok, tt.wantStep, tt.ok)
			}
		})
	}
	if code, err := auth.TOTPCode(rfcSecret, time.Unix(59, 0)); err != nil || code != "287082" {
		t.Errorf("TOTPCode at 59 = %q, %v; want 287082 (RFC 6238)", code, err)
	}
	secret, err := auth.NewTOTPSecret()
	if err != nil || len(secret) != 32 {
		t.Fatalf("secret %q, %v", secret, err)
	}
	key, err := auth.TOTPKey(secret, "treasurer@zichron.example")
	if err != nil || key.Secret() != secret || key.Issuer() != auth.TOTPIssuer || key.AccountName() != "treasurer@zichron.example" {
		t.Fatalf("key %v, %v", key, err)
	}
}

func TestSessionsOfAUser(t *testing.T) {
	ctx := context.Background()
	db := dbtest.New(t)
	s := auth.NewStore(db)
	lead := mustUser(t, db, "lead@example.com", auth.OrgCluster, 0, auth.RoleEconomicLead, "he")
	other := mustUser(t, db, "other@example.com", auth.OrgCluster, 0, auth.RoleEconomicLead, "he")
	here, _, err := s.OpenSession(ctx, lead, "198.51.100.1", "Firefox")
	if err != nil {
		t.Fatal(err)
	}
	there, _, _ := s.OpenSession(ctx, lead, "198.51.100.2", "Chromium")
	theirs, _, _ := s.OpenSession(ctx, other, "198.51.100.3", "Edge")

	ss, err := s.Sessions(ctx, lead, here)
	if err != nil || len(ss) != 2 {
		t.Fatalf("sessions %+v, %v", ss, err)
	}
	var current int
	for _, x := range ss {
		if x.Current {
			current++
			if x.Address != "198.51.100.1" || x.UserAgent != "Firefox" {
				t.Errorf("current session %+v", x)
			}
		}
	}
	if current != 1 {
		t.Errorf("%d current sessions", current)
	}

	t.Run("UseIsNoted", func(t *testing.T) {
		db.MustExec(`UPDATE sessions SET last_used_at = now() - interval '1 hour'`)
		if _, err := s.SessionPrincipal(ctx, here); err != nil {
			t.Fatal(err)
		}
		var recent bool
		db.Get(&recent, `SELECT last_used_at > now() - interval '1 minute' FROM sessions WHERE token_hash = sha256($1::bytea)`, here)
		if !recent {
			t.Error("the session's use is not noted")
		}
	})
	t.Run("EndAnotherUsersSession", func(t *testing.T) {
		var id int64
		db.Get(&id, `SELECT id FROM sessions WHERE token_hash = sha256($1::bytea)`, theirs)
		if err := s.EndUserSession(ctx, lead, id); !apperr.Is(err, apperr.KindNotFound) {
			t.Fatalf("err = %v, want not found", err)
		}
	})
	t.Run("EndOthers", func(t *testing.T) {
		n, err := s.EndOtherSessions(ctx, lead, here)
		if err != nil || n != 1 {
			t.Fatalf("ended %d, %v", n, err)
		}
		if _, err := s.SessionPrincipal(ctx, there); !apperr.Is(err, apperr.KindNotFound) {
			t.Error("the other session lives on")
		}
		if _, err := s.SessionPrincipal(ctx, here); err != nil {
			t.Error("the kept session ended")
		}
		if _, err := s.SessionPrincipal(ctx, theirs); err != nil {
			t.Error("another user's session ended")
		}
	})
	t.Run("SecondFactorDue", func(t *testing.T) {
		treasurer := mustUser(t, db, "treasurer@example.com", auth.OrgCluster, 0, auth.RoleClusterAdmin, "he")
		secret, _, _ := s.OpenSession(ctx, treasurer, "198.51.100.4", "")
		p, err := s.SessionPrincipal(ctx, secret)
		if err != nil || !p.SecondFactorDue {
			t.Fatalf("a cluster admin without a second factor: %+v, %v", p, err)
		}
		db.MustExec(`UPDATE users SET totp_secret = $2, totp_enabled_at = now() WHERE id = $1`, treasurer, rfcSecret)
		if p, _ := s.SessionPrincipal(ctx, secret); p.SecondFactorDue {
			t.Error("due after enrolling")
		}
		if p, _ := s.SessionPrincipal(ctx, here); p.SecondFactorDue {
			t.Error("an economic lead is due")
		}
	})
}
