package auth

import (
	"errors"
	"strings"
	"testing"
)

func TestSecretKey(t *testing.T) {
	const production = "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80=" // 32 bytes
	key, err := ParseSecretKey(production)
	if err != nil {
		t.Fatal(err)
	}
	dev := DevelopmentKey()
	if key.IsDevelopment() || !dev.IsDevelopment() {
		t.Fatalf("IsDevelopment: %v for the configured key, %v for the development key", key.IsDevelopment(), dev.IsDevelopment())
	}
	const secret, record = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "users.totp_secret/7"

	t.Run("SealedValuesOpenOnlyWithTheirKeyAndRecord", func(t *testing.T) {
		sealed, err := key.Seal(secret, record)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(sealed, "v1:") || strings.Contains(sealed, secret) {
			t.Fatalf("sealed %q", sealed)
		}
		again, _ := key.Seal(secret, record)
		if again == sealed {
			t.Fatal("two seals of one value are the same (no fresh nonce)")
		}
		plain, stale, err := key.Open(sealed, record)
		if err != nil || plain != secret || stale {
			t.Fatalf("open: %q stale %v, %v", plain, stale, err)
		}
		if _, _, err := key.Open(sealed, "users.totp_secret/8"); !errors.Is(err, ErrSealedElsewhere) {
			t.Fatalf("another record's value opened: %v", err)
		}
		if _, _, err := dev.Open(sealed, record); !errors.Is(err, ErrSealedElsewhere) {
			t.Fatalf("the development key opened the configured key's value: %v", err)
		}
		tampered := sealed[:len(sealed)-2] + "AA"
		if tampered == sealed {
			tampered = sealed[:len(sealed)-2] + "BB"
		}
		if _, _, err := key.Open(tampered, record); !errors.Is(err, ErrSealedElsewhere) {
			t.Fatalf("an altered value opened: %v", err)
		}
	})
	t.Run("PlainAndDevelopmentValuesAreStale", func(t *testing.T) {
		plain, stale, err := key.Open(secret, record)
		if err != nil || plain != secret || !stale {
			t.Fatalf("a plain value: %q stale %v, %v", plain, stale, err)
		}
		byDev, _ := dev.Seal(secret, record)
		plain, stale, err = key.Open(byDev, record)
		if err != nil || plain != secret || !stale {
			t.Fatalf("a value of the development key: %q stale %v, %v", plain, stale, err)
		}
		if _, stale, _ := dev.Open(byDev, record); stale {
			t.Fatal("the development key's own value is stale for it")
		}
	})
	t.Run("ParseRefuses", func(t *testing.T) {
		for _, bad := range []string{"", "not base64!", "c2hvcnQ=", "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRW"} {
			if _, err := ParseSecretKey(bad); err == nil {
				t.Errorf("%q taken as a key", bad)
			}
		}
		for _, good := range []string{"q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80", "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80=", " " + production + "\n"} {
			if _, err := ParseSecretKey(good); err != nil {
				t.Errorf("%q: %v", good, err)
			}
		}
	})
}
